-- Store a run's stock_outlook rows; the relation 'frame' holds them without run_id.
INSERT INTO stock_outlook BY NAME SELECT $run_id AS run_id, * FROM frame;
