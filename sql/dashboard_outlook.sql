-- A run's floor-breach and rebuild months (P50) per pool.
-- one row per holder, item
SELECT holder_id, item_id, floor_breach_p50, target_reached_p50
FROM stock_outlook
WHERE run_id = $run_id
ORDER BY holder_id, item_id;
