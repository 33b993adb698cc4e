-- The imported partners table, in key order.
SELECT * FROM partners ORDER BY partner_id;
