-- Extract: stock_projection rows of the given runs, with each run's scenario.
-- one row per stock_projection row of a run in $run_ids
SELECT r.scenario, t.*
FROM stock_projection AS t
JOIN runs AS r USING (run_id)
WHERE list_contains($run_ids, t.run_id)
ORDER BY ALL;
