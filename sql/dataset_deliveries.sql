-- The imported deliveries table, in key order.
SELECT * FROM deliveries ORDER BY commitment_id, source_id, month, units;
