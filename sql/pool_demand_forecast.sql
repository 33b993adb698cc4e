-- One stock's demand forecast of a run: mean and P10-P90 per month.
SELECT month, mean, p10, p90
FROM demand_forecast
WHERE run_id = $run_id AND holder_id = $holder_id AND item_id = $item_id
ORDER BY month;
