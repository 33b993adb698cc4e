-- A run's stock projection per pool and month.
-- one row per holder, item, month
SELECT holder_id, item_id, month, p10, p50, p90
FROM stock_projection
WHERE run_id = $run_id
ORDER BY holder_id, item_id, month;
