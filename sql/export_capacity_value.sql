-- Extract: capacity_value rows of the given runs, with each run's scenario.
-- one row per capacity_value row of a run in $run_ids
SELECT r.scenario, t.*
FROM capacity_value AS t
JOIN runs AS r USING (run_id)
WHERE list_contains($run_ids, t.run_id)
ORDER BY ALL;
