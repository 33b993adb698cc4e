-- Generated from store/contract.py by `python -m store.dataset_sql`; do not edit.
-- The imported bom table, in key order.
SELECT * FROM bom ORDER BY item_id, component_id, source_id;
