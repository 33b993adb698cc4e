-- Store a run's plan_pools rows; the relation 'frame' holds them without run_id.
INSERT INTO plan_pools BY NAME SELECT $run_id AS run_id, * FROM frame;
