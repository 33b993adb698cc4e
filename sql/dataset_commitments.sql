-- Generated from store/contract.py by `python -m store.dataset_sql`; do not edit.
-- The imported commitments table, in key order.
SELECT * FROM commitments ORDER BY commitment_id;
