-- A run's plan per commitment, with the loaded data's quantity, promised month, priority and
-- releasability (NULL for a commitment the loaded data does not have, e.g. a scenario's).
-- one row per commitment of the run
SELECT p.commitment_id, p.partner_id, p.item_id, c.quantity, c.promised_month, c.priority,
       p.backlog_units, p.planned_units, p.completion_month, p.late_unit_months,
       CAST(p.reasons AS VARCHAR) AS reasons, c.releasable_to
FROM plan_commitments AS p
LEFT JOIN commitments AS c USING (commitment_id)
WHERE p.run_id = $run_id
ORDER BY p.commitment_id;
