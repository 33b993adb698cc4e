-- A plan's promises as the decision metrics read them.
-- one row per commitment of the run
SELECT commitment_id, partner_id, item_id, backlog_units, planned_units, on_time_units,
       due_month, completion_month, late_unit_months
FROM plan_commitments
WHERE run_id = $run_id
ORDER BY commitment_id;
