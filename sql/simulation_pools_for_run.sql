-- A simulation's stock outlook per watched pool.
SELECT holder_id, item_id, floor_units, target_units,
       floor_breach_p10, floor_breach_p50, floor_breach_p90,
       target_reached_p10, target_reached_p50, target_reached_p90,
       breach_probability_3, breach_probability_6, breach_probability_12
FROM simulation_pools
WHERE run_id = $run_id
ORDER BY holder_id, item_id;
