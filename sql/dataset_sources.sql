-- The imported sources table, in key order.
SELECT * FROM sources ORDER BY source_id;
