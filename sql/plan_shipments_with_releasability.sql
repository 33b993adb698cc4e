-- The shipments of one plan, with the releasability of the commitment each one serves.
-- one row per source, commitment, shipping month
SELECT
    s.source_id,
    src.name AS source_name,
    s.commitment_id,
    s.item_id,
    s.partner_id,
    s.month,
    s.arrival_month,
    s.units,
    c.releasable_to
FROM plan_shipments AS s
JOIN commitments AS c USING (commitment_id)
LEFT JOIN sources AS src USING (source_id)
WHERE s.run_id = $run_id
ORDER BY s.source_id, s.commitment_id, s.month;
