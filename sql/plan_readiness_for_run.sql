-- A plan's readiness: every stock source's pool and every partner stock, month by month.
-- one row per holder, item, month
SELECT holder_id, item_id, holder_kind, month, level, floor_units, target_units,
       below_floor_units, below_target_units, unmet_units
FROM plan_readiness
WHERE run_id = $run_id
ORDER BY holder_id, item_id, month;
