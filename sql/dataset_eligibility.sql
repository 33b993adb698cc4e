-- The imported eligibility table, in key order.
SELECT * FROM eligibility ORDER BY source_id, partner_id, item_id;
