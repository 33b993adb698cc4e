-- Store a run's plan_shipments rows; the relation 'frame' holds them without run_id.
INSERT INTO plan_shipments BY NAME SELECT $run_id AS run_id, * FROM frame;
