-- A simulation's promise probabilities, least likely first.
SELECT commitment_id, partner_id, item_id, p_on_time, p_on_time_se,
       completion_p10, completion_p50, completion_p90, expected_late_unit_months
FROM simulation_commitments
WHERE run_id = $run_id
ORDER BY p_on_time, commitment_id;
