-- The imported capacity table, in key order.
SELECT * FROM capacity ORDER BY source_id, item_id, month;
