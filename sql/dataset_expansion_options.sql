-- Generated from store/contract.py by `python -m store.dataset_sql`; do not edit.
-- The imported expansion_options table, in key order.
SELECT * FROM expansion_options ORDER BY option_id;
