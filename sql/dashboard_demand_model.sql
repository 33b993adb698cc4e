-- The demand model chosen for one pool in one forecast run, with its backtest scores.
-- one row (or none)
SELECT model, mase, coverage_80, notes
FROM demand_models
WHERE run_id = $run_id AND holder_id = $holder_id AND item_id = $item_id;
