-- Counted stock per holder and item (the points before a fan chart's projection).
-- one row per holder, item, count date
SELECT holder_id, item_id, as_of, units, floor_units, target_units, releasable_to
FROM stockpiles
ORDER BY holder_id, item_id, as_of;
