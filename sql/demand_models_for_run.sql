-- The chosen demand models of one run, with their backtest scores; $holder_id and $item_id
-- narrow it to one pool (NULL: every pool).
-- one row per holder, item
SELECT holder_id, item_id, model, mase, coverage_80, data_hash, params::VARCHAR AS params, notes
FROM demand_models
WHERE run_id = $run_id
  AND ($holder_id IS NULL OR holder_id = $holder_id)
  AND ($item_id IS NULL OR item_id = $item_id)
ORDER BY holder_id, item_id;
