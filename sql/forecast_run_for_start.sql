-- The newest finished run with a demand forecast for a scenario and start month.
-- one row at most: run_id, start_month, horizon
WITH forecast_runs AS (
    SELECT DISTINCT run_id FROM demand_models
)
SELECT r.run_id, r.start_month, r.horizon
FROM runs AS r
JOIN forecast_runs AS f USING (run_id)
WHERE r.scenario = $scenario
  AND r.status = 'ok'
  AND r.start_month = $start_month
ORDER BY r.started_at DESC, r.run_id DESC
LIMIT 1;
