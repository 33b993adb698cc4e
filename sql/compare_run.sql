-- One run by id, for comparisons and reports.
-- one row (or none): run_id, kind, scenario, start_month, horizon, status, started_at, content_hash, summary
SELECT run_id, kind, scenario, start_month, horizon, status, started_at, finished_at,
       content_hash, CAST(summary AS VARCHAR) AS summary
FROM runs
WHERE run_id = $run_id;
