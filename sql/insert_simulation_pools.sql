-- Store a simulation's simulation_pools rows; the relation 'frame' holds them without run_id.
INSERT INTO simulation_pools BY NAME SELECT $run_id AS run_id, * FROM frame;
