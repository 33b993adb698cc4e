-- Generated from store/contract.py by `python -m store.dataset_sql`; do not edit.
-- The imported eligibility table, in key order.
SELECT * FROM eligibility ORDER BY source_id, partner_id, item_id;
