-- Generated from store/contract.py by `python -m store.dataset_sql`; do not edit.
-- The imported absorption table, in key order.
SELECT * FROM absorption ORDER BY partner_id, category;
