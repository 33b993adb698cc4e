-- A run's capacity value per line and month.
-- one row per source, item, month
SELECT source_id, item_id, month, value
FROM capacity_value
WHERE run_id = $run_id
ORDER BY source_id, item_id, month;
