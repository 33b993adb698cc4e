-- Store a run's plan_readiness rows; the relation 'frame' holds them without run_id.
INSERT INTO plan_readiness BY NAME SELECT $run_id AS run_id, * FROM frame;
