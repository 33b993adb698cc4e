-- Generated from store/contract.py by `python -m store.dataset_sql`; do not edit.
-- The imported partners table, in key order.
SELECT * FROM partners ORDER BY partner_id;
