-- Generated from store/contract.py by `python -m store.dataset_sql`; do not edit.
-- The imported deliveries table, ordered by every column (it has no key).
SELECT * FROM deliveries ORDER BY commitment_id, source_id, month, units;
