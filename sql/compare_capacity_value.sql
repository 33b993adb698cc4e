-- A run's capacity value per line, summed over the horizon's months, ranked.
-- one row per source, item
SELECT source_id, item_id, SUM(value) AS value,
       RANK() OVER (ORDER BY SUM(value) DESC) AS rank
FROM capacity_value
WHERE run_id = $run_id
GROUP BY source_id, item_id
ORDER BY value DESC, source_id, item_id;
