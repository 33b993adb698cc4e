-- Store a run's plan_commitments rows; the relation 'frame' holds them without run_id.
INSERT INTO plan_commitments BY NAME SELECT $run_id AS run_id, * FROM frame;
