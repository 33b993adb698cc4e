-- The stock counts of one pool, oldest first.
-- one row per count date
SELECT as_of, units, floor_units, target_units
FROM stockpiles
WHERE holder_id = $holder_id AND item_id = $item_id
ORDER BY as_of;
