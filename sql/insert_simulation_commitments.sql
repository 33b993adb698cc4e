-- Store a simulation's simulation_commitments rows; the relation 'frame' holds them without run_id.
INSERT INTO simulation_commitments BY NAME SELECT $run_id AS run_id, * FROM frame;
