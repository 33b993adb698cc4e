-- A run's demand forecast (for the change fingerprints).
-- one row per holder, item, month
SELECT holder_id, item_id, month, mean, p10, p50, p90
FROM demand_forecast
WHERE run_id = $run_id
ORDER BY holder_id, item_id, month;
