-- The imported expansion_options table, in key order.
SELECT * FROM expansion_options ORDER BY option_id;
