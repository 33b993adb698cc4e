-- Generated from store/contract.py by `python -m store.dataset_sql`; do not edit.
-- The imported uncertainty table, in key order.
SELECT * FROM uncertainty ORDER BY target, item_id, kind;
