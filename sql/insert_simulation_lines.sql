-- Store a simulation's simulation_lines rows; the relation 'frame' holds them without run_id.
INSERT INTO simulation_lines BY NAME SELECT $run_id AS run_id, * FROM frame;
