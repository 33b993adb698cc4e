-- Generated from store/contract.py by `python -m store.dataset_sql`; do not edit.
-- The imported sources table, in key order.
SELECT * FROM sources ORDER BY source_id;
