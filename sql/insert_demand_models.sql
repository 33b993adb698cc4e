-- Store a run's demand_models rows; the relation 'frame' holds them without run_id.
INSERT INTO demand_models BY NAME SELECT $run_id AS run_id, * FROM frame;
