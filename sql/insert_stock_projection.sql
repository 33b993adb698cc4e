-- Store a run's stock_projection rows; the relation 'frame' holds them without run_id.
INSERT INTO stock_projection BY NAME SELECT $run_id AS run_id, * FROM frame;
