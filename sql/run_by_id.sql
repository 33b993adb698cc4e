-- One run by id, with its summary JSON as text.
-- one row (or none)
SELECT run_id, kind, scenario, start_month, horizon, status, started_at, finished_at,
       content_hash, CAST(summary AS VARCHAR) AS summary
FROM runs
WHERE run_id = $run_id;
