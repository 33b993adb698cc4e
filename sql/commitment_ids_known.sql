-- Every commitment id known (loaded or in any run), with its partner and releasability.
-- one row per commitment id
SELECT commitment_id, MAX(partner_id) AS partner_id, MAX(releasable_to) AS releasable_to
FROM (
    SELECT commitment_id, partner_id, releasable_to FROM commitments
    UNION ALL
    SELECT commitment_id, partner_id, NULL AS releasable_to FROM plan_commitments
)
GROUP BY commitment_id
ORDER BY commitment_id;
