-- The chosen demand models of one run.
-- one row per holder, item
SELECT holder_id, item_id, model, mase, coverage_80, data_hash, params::VARCHAR AS params, notes
FROM demand_models
WHERE run_id = $run_id
ORDER BY holder_id, item_id;
