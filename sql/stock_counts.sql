-- Counted stock per holder and item (the points before a fan chart's projection); $holder_id
-- and $item_id narrow it to one pool (NULL: every pool).
-- one row per holder, item, count date
SELECT holder_id, item_id, as_of, units, floor_units, target_units, releasable_to
FROM stockpiles
WHERE ($holder_id IS NULL OR holder_id = $holder_id)
  AND ($item_id IS NULL OR item_id = $item_id)
ORDER BY holder_id, item_id, as_of;
