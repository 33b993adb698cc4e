-- The value of one more unit of capacity at each source, item and month of a run.
-- one row per source, item, month
SELECT v.source_id, src.name AS source_name, v.item_id, v.month, v.value
FROM capacity_value AS v
LEFT JOIN sources AS src USING (source_id)
WHERE v.run_id = $run_id
ORDER BY v.source_id, v.item_id, v.month;
