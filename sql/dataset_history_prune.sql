-- Generated from store/contract.py by `python -m store.dataset_sql`; do not edit.
-- Drop the history rows of every load whose tables are no longer kept
-- (forget_old_loads marks them).
DELETE FROM items_history WHERE load_id NOT IN (SELECT load_id FROM loads WHERE tables_kept);
DELETE FROM partners_history WHERE load_id NOT IN (SELECT load_id FROM loads WHERE tables_kept);
DELETE FROM sources_history WHERE load_id NOT IN (SELECT load_id FROM loads WHERE tables_kept);
DELETE FROM capacity_history WHERE load_id NOT IN (SELECT load_id FROM loads WHERE tables_kept);
DELETE FROM stockpiles_history WHERE load_id NOT IN (SELECT load_id FROM loads WHERE tables_kept);
DELETE FROM consumption_history WHERE load_id NOT IN (SELECT load_id FROM loads WHERE tables_kept);
DELETE FROM commitments_history WHERE load_id NOT IN (SELECT load_id FROM loads WHERE tables_kept);
DELETE FROM deliveries_history WHERE load_id NOT IN (SELECT load_id FROM loads WHERE tables_kept);
DELETE FROM eligibility_history WHERE load_id NOT IN (SELECT load_id FROM loads WHERE tables_kept);
DELETE FROM absorption_history WHERE load_id NOT IN (SELECT load_id FROM loads WHERE tables_kept);
DELETE FROM expansion_options_history WHERE load_id NOT IN (SELECT load_id FROM loads WHERE tables_kept);
DELETE FROM bom_history WHERE load_id NOT IN (SELECT load_id FROM loads WHERE tables_kept);
DELETE FROM uncertainty_history WHERE load_id NOT IN (SELECT load_id FROM loads WHERE tables_kept);
