-- The imported items table, in key order.
SELECT * FROM items ORDER BY item_id;
