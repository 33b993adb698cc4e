-- Generated from store/contract.py by `python -m store.dataset_sql`; do not edit.
-- Replace every imported table with the registered relations new_<table>.
-- Runs inside the loader's transaction: all tables change together or none does.
DELETE FROM items;
DELETE FROM partners;
DELETE FROM sources;
DELETE FROM capacity;
DELETE FROM stockpiles;
DELETE FROM consumption;
DELETE FROM commitments;
DELETE FROM deliveries;
DELETE FROM eligibility;
DELETE FROM absorption;
DELETE FROM expansion_options;
DELETE FROM bom;
DELETE FROM uncertainty;
INSERT INTO items BY NAME SELECT * FROM new_items;
INSERT INTO partners BY NAME SELECT * FROM new_partners;
INSERT INTO sources BY NAME SELECT * FROM new_sources;
INSERT INTO capacity BY NAME SELECT * FROM new_capacity;
INSERT INTO stockpiles BY NAME SELECT * FROM new_stockpiles;
INSERT INTO consumption BY NAME SELECT * FROM new_consumption;
INSERT INTO commitments BY NAME SELECT * FROM new_commitments;
INSERT INTO deliveries BY NAME SELECT * FROM new_deliveries;
INSERT INTO eligibility BY NAME SELECT * FROM new_eligibility;
INSERT INTO absorption BY NAME SELECT * FROM new_absorption;
INSERT INTO expansion_options BY NAME SELECT * FROM new_expansion_options;
INSERT INTO bom BY NAME SELECT * FROM new_bom;
INSERT INTO uncertainty BY NAME SELECT * FROM new_uncertainty;
