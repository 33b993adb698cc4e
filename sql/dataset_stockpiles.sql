-- Generated from store/contract.py by `python -m store.dataset_sql`; do not edit.
-- The imported stockpiles table, in key order.
SELECT * FROM stockpiles ORDER BY holder_id, item_id, as_of;
