-- Generated from store/contract.py by `python -m store.dataset_sql`; do not edit.
-- The imported consumption table, in key order.
SELECT * FROM consumption ORDER BY holder_id, item_id, month;
