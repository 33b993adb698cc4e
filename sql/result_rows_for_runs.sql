-- The rows of one result table ($table: plan_commitments, capacity_value, stock_outlook, ...)
-- for the given runs, with each run's scenario (the nightly extracts).
-- one row per row of $table whose run is in $run_ids
SELECT r.scenario, t.*
FROM query_table($table) AS t
JOIN runs AS r USING (run_id)
WHERE list_contains($run_ids, t.run_id)
ORDER BY ALL;
