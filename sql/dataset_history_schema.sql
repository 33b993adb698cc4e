-- Generated from store/contract.py by `python -m store.dataset_sql`; do not edit.
-- One <table>_history table per imported table: the rows of every kept load under its
-- load id (the columns of the table itself, so they follow it).
CREATE TABLE IF NOT EXISTS items_history AS SELECT CAST(0 AS BIGINT) AS load_id, * FROM items LIMIT 0;
CREATE TABLE IF NOT EXISTS partners_history AS SELECT CAST(0 AS BIGINT) AS load_id, * FROM partners LIMIT 0;
CREATE TABLE IF NOT EXISTS sources_history AS SELECT CAST(0 AS BIGINT) AS load_id, * FROM sources LIMIT 0;
CREATE TABLE IF NOT EXISTS capacity_history AS SELECT CAST(0 AS BIGINT) AS load_id, * FROM capacity LIMIT 0;
CREATE TABLE IF NOT EXISTS stockpiles_history AS SELECT CAST(0 AS BIGINT) AS load_id, * FROM stockpiles LIMIT 0;
CREATE TABLE IF NOT EXISTS consumption_history AS SELECT CAST(0 AS BIGINT) AS load_id, * FROM consumption LIMIT 0;
CREATE TABLE IF NOT EXISTS commitments_history AS SELECT CAST(0 AS BIGINT) AS load_id, * FROM commitments LIMIT 0;
CREATE TABLE IF NOT EXISTS deliveries_history AS SELECT CAST(0 AS BIGINT) AS load_id, * FROM deliveries LIMIT 0;
CREATE TABLE IF NOT EXISTS eligibility_history AS SELECT CAST(0 AS BIGINT) AS load_id, * FROM eligibility LIMIT 0;
CREATE TABLE IF NOT EXISTS absorption_history AS SELECT CAST(0 AS BIGINT) AS load_id, * FROM absorption LIMIT 0;
CREATE TABLE IF NOT EXISTS expansion_options_history AS SELECT CAST(0 AS BIGINT) AS load_id, * FROM expansion_options LIMIT 0;
CREATE TABLE IF NOT EXISTS bom_history AS SELECT CAST(0 AS BIGINT) AS load_id, * FROM bom LIMIT 0;
CREATE TABLE IF NOT EXISTS uncertainty_history AS SELECT CAST(0 AS BIGINT) AS load_id, * FROM uncertainty LIMIT 0;
