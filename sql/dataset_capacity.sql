-- Generated from store/contract.py by `python -m store.dataset_sql`; do not edit.
-- The imported capacity table, in key order.
SELECT * FROM capacity ORDER BY source_id, item_id, month;
