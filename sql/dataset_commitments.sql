-- The imported commitments table, in key order.
SELECT * FROM commitments ORDER BY commitment_id;
