-- A run's plan per commitment, with the promised month and priority of the loaded data.
-- one row per commitment of the run
SELECT p.commitment_id, p.partner_id, p.item_id, p.backlog_units, p.planned_units,
       p.completion_month, p.late_unit_months, CAST(p.reasons AS VARCHAR) AS reasons,
       c.promised_month, c.priority, c.releasable_to
FROM plan_commitments AS p
LEFT JOIN commitments AS c USING (commitment_id)
WHERE p.run_id = $run_id
ORDER BY p.commitment_id;
