-- One pool's planned end-of-month level in a run: a US or allied pool's from plan_pools, a
-- partner's from plan_readiness.
-- one row per month
SELECT month, inventory AS level
FROM plan_pools
WHERE run_id = $run_id AND holder_id = $holder_id AND item_id = $item_id
UNION ALL
SELECT month, level
FROM plan_readiness
WHERE run_id = $run_id AND holder_id = $holder_id AND item_id = $item_id
  AND holder_kind = 'partner'
ORDER BY month;
