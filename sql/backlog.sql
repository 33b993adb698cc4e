-- The backlog of each commitment: quantity minus deliveries so far.
-- one row per commitment
WITH delivered AS (
    SELECT commitment_id, sum(units) AS delivered_units
    FROM deliveries
    GROUP BY commitment_id
),

final AS (
    SELECT
        c.commitment_id,
        c.partner_id,
        c.item_id,
        c.quantity,
        coalesce(d.delivered_units, 0) AS delivered_units,
        greatest(c.quantity - coalesce(d.delivered_units, 0), 0) AS backlog_units,
        c.promised_month,
        c.priority,
        c.announced,
        c.releasable_to
    FROM commitments AS c
    LEFT JOIN delivered AS d USING (commitment_id)
)

SELECT * FROM final
ORDER BY commitment_id;
