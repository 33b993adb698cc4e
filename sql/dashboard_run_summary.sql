-- One run's summary JSON as text.
-- one row (or none)
SELECT run_id, scenario, start_month, horizon, CAST(summary AS VARCHAR) AS summary
FROM runs
WHERE run_id = $run_id;
