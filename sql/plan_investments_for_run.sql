-- A run's expansion options considered, chosen or not.
-- one row per option
SELECT option_id, chosen, cost_usd
FROM plan_investments
WHERE run_id = $run_id
ORDER BY option_id;
