-- A run's stock outlook per pool (floor breach and rebuild months at P10/P50/P90).
-- one row per holder, item
SELECT holder_id, item_id, floor_units, target_units,
       floor_breach_p10, floor_breach_p50, floor_breach_p90,
       target_reached_p10, target_reached_p50, target_reached_p90,
       breach_probability_3, breach_probability_6, breach_probability_12
FROM stock_outlook
WHERE run_id = $run_id
ORDER BY holder_id, item_id;
