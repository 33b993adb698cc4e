-- Generated from store/contract.py by `python -m store.dataset_sql`; do not edit.
-- The imported items table, in key order.
SELECT * FROM items ORDER BY item_id;
