-- Every commitment with its backlog and, when a plan run is given, the plan's view of it.
-- one row per commitment; plan columns are NULL for a commitment the run did not plan
WITH planned AS (
    SELECT *
    FROM plan_commitments
    WHERE run_id = $run_id
),

final AS (
    SELECT
        b.commitment_id,
        b.partner_id,
        b.item_id,
        b.priority,
        b.quantity,
        b.promised_month,
        b.announced,
        b.releasable_to,
        b.backlog_units,
        b.backlog_units * i.unit_cost_usd AS backlog_usd,
        p.planned_units,
        p.completion_month,
        p.late_unit_months,
        p.late_unit_months * b.weight AS weighted_late_unit_months,
        p.reasons
    FROM backlog AS b
    JOIN items AS i USING (item_id)
    LEFT JOIN planned AS p USING (commitment_id)
)

SELECT * FROM final
ORDER BY commitment_id;
