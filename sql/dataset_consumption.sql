-- The imported consumption table, in key order.
SELECT * FROM consumption ORDER BY holder_id, item_id, month;
