-- Every commitment with its backlog and, when a plan run is given, the plan's view of it.
-- one row per commitment; plan columns are NULL for a commitment the run did not plan
WITH delivered AS (
    SELECT commitment_id, sum(units) AS delivered_units
    FROM deliveries
    GROUP BY commitment_id
),

planned AS (
    SELECT *
    FROM plan_commitments
    WHERE run_id = $run_id
),

final AS (
    SELECT
        c.commitment_id,
        c.partner_id,
        c.item_id,
        c.priority,
        c.quantity,
        c.promised_month,
        c.announced,
        c.releasable_to,
        greatest(c.quantity - coalesce(d.delivered_units, 0), 0) AS backlog_units,
        greatest(c.quantity - coalesce(d.delivered_units, 0), 0) * i.unit_cost_usd AS backlog_usd,
        p.planned_units,
        p.completion_month,
        p.late_unit_months,
        p.late_unit_months * pow(2, 5 - c.priority) AS weighted_late_unit_months,
        p.reasons
    FROM commitments AS c
    JOIN items AS i USING (item_id)
    LEFT JOIN delivered AS d USING (commitment_id)
    LEFT JOIN planned AS p USING (commitment_id)
)

SELECT * FROM final
ORDER BY commitment_id;
