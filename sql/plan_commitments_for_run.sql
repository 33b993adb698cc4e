-- The promises of one plan as the plan stored them (a scenario's added promises included).
-- one row per commitment of the run
SELECT commitment_id, partner_id, item_id, backlog_units, planned_units, completion_month,
       late_unit_months
FROM plan_commitments
WHERE run_id = $run_id
ORDER BY commitment_id;
