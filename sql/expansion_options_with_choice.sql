-- The expansion options and, when a run considered them, whether it chose each.
-- one row per expansion option
SELECT
    e.option_id,
    e.source_id,
    e.item_id,
    e.added_units_per_month,
    e.lead_time_months,
    e.cost_usd,
    p.chosen
FROM expansion_options AS e
LEFT JOIN (SELECT * FROM plan_investments WHERE run_id = $run_id) AS p USING (option_id)
ORDER BY e.cost_usd, e.option_id;
