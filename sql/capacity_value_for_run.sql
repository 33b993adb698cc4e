-- The value of one more unit of capacity at each line and month of a run (ranked in Python by
-- store.facts.rank_capacity_value, the one ranking every reader uses).
-- one row per source, item, month
SELECT v.source_id, src.name AS source_name, v.item_id, v.month, v.value
FROM capacity_value AS v
LEFT JOIN sources AS src USING (source_id)
WHERE v.run_id = $run_id
ORDER BY v.source_id, v.item_id, v.month;
