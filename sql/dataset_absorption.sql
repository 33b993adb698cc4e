-- The imported absorption table, in key order.
SELECT * FROM absorption ORDER BY partner_id, category;
