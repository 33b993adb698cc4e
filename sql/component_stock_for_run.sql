-- Each component pool's level per month in a run's plan (the pool is named by the component),
-- with the component's floor (the sum of its counts' floors) and name.
-- one row per component, month
SELECT p.item_id, it.name AS item_name, p.month, p.inventory, p.floor_breach
FROM plan_pools AS p
JOIN items AS it USING (item_id)
WHERE p.run_id = $run_id AND it.category = 'component' AND p.holder_id = p.item_id
ORDER BY p.item_id, p.month;
