-- Store a run's plan_production rows; the relation 'frame' holds them without run_id.
INSERT INTO plan_production BY NAME SELECT $run_id AS run_id, * FROM frame;
