-- A run's production per line and month against capacity, with the line's and item's names.
-- one row per source, item, month
SELECT p.source_id, src.name AS source_name, p.item_id, it.name AS item_name,
       it.category, p.month, p.units, p.capacity
FROM plan_production AS p
LEFT JOIN sources AS src USING (source_id)
LEFT JOIN items AS it USING (item_id)
WHERE p.run_id = $run_id
ORDER BY p.source_id, p.item_id, p.month;
