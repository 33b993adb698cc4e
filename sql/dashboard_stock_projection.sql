-- The projected stock of one pool in one run.
-- one row per month
SELECT month, p10, p50, p90
FROM stock_projection
WHERE run_id = $run_id AND holder_id = $holder_id AND item_id = $item_id
ORDER BY month;
