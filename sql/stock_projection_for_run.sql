-- A run's stock projection per pool and month; $holder_id and $item_id narrow it to one pool
-- (NULL: every pool).
-- one row per holder, item, month
SELECT holder_id, item_id, month, p10, p50, p90
FROM stock_projection
WHERE run_id = $run_id
  AND ($holder_id IS NULL OR holder_id = $holder_id)
  AND ($item_id IS NULL OR item_id = $item_id)
ORDER BY holder_id, item_id, month;
