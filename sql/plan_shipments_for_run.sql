-- The shipments of one plan.
-- one row per source, commitment (null for sustainment: then partner and item), shipping month
SELECT source_id, commitment_id, item_id, partner_id, month, arrival_month, units, purpose
FROM plan_shipments
WHERE run_id = $run_id
ORDER BY source_id, commitment_id NULLS LAST, partner_id, item_id, month;
