-- Store a run's plan_investments rows; the relation 'frame' holds them without run_id.
INSERT INTO plan_investments BY NAME SELECT $run_id AS run_id, * FROM frame;
