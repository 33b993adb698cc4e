-- Store a run's demand_forecast rows; the relation 'frame' holds them without run_id.
INSERT INTO demand_forecast BY NAME SELECT $run_id AS run_id, * FROM frame;
