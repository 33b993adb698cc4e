-- Store a run's capacity_value rows; the relation 'frame' holds them without run_id.
INSERT INTO capacity_value BY NAME SELECT $run_id AS run_id, * FROM frame;
