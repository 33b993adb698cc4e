-- The newest finished run of a kind for a scenario whose results include the given kind.
-- one row: run_id, start_month, horizon
SELECT run_id, start_month, horizon, kind, scenario, started_at, summary, content_hash
FROM runs
WHERE scenario = $scenario
  AND status = 'ok'
  AND (kind = $kind OR kind = 'pipeline')
  AND ($kind <> 'forecast' OR run_id IN (SELECT run_id FROM demand_forecast))
  AND ($kind <> 'allocate' OR run_id IN (SELECT run_id FROM plan_commitments))
  AND ($kind <> 'project' OR run_id IN (SELECT run_id FROM stock_outlook))
  AND ($kind <> 'simulate' OR (kind = 'simulate' AND run_id IN (SELECT run_id FROM simulation_commitments)))
ORDER BY started_at DESC, run_id DESC
LIMIT 1;
