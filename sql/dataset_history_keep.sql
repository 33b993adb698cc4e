-- Generated from store/contract.py by `python -m store.dataset_sql`; do not edit.
-- Keep the rows being loaded (the registered relations new_<table>) under the load id
-- just recorded. Runs inside the loader's transaction, after record_load.
INSERT INTO items_history BY NAME SELECT (SELECT max(load_id) FROM loads) AS load_id, * FROM new_items;
INSERT INTO partners_history BY NAME SELECT (SELECT max(load_id) FROM loads) AS load_id, * FROM new_partners;
INSERT INTO sources_history BY NAME SELECT (SELECT max(load_id) FROM loads) AS load_id, * FROM new_sources;
INSERT INTO capacity_history BY NAME SELECT (SELECT max(load_id) FROM loads) AS load_id, * FROM new_capacity;
INSERT INTO stockpiles_history BY NAME SELECT (SELECT max(load_id) FROM loads) AS load_id, * FROM new_stockpiles;
INSERT INTO consumption_history BY NAME SELECT (SELECT max(load_id) FROM loads) AS load_id, * FROM new_consumption;
INSERT INTO commitments_history BY NAME SELECT (SELECT max(load_id) FROM loads) AS load_id, * FROM new_commitments;
INSERT INTO deliveries_history BY NAME SELECT (SELECT max(load_id) FROM loads) AS load_id, * FROM new_deliveries;
INSERT INTO eligibility_history BY NAME SELECT (SELECT max(load_id) FROM loads) AS load_id, * FROM new_eligibility;
INSERT INTO absorption_history BY NAME SELECT (SELECT max(load_id) FROM loads) AS load_id, * FROM new_absorption;
INSERT INTO expansion_options_history BY NAME SELECT (SELECT max(load_id) FROM loads) AS load_id, * FROM new_expansion_options;
INSERT INTO bom_history BY NAME SELECT (SELECT max(load_id) FROM loads) AS load_id, * FROM new_bom;
INSERT INTO uncertainty_history BY NAME SELECT (SELECT max(load_id) FROM loads) AS load_id, * FROM new_uncertainty;
