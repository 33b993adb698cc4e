-- The newest finished run of a kind for a scenario that started before a given time: the plan
-- a newer one is compared with ("what changed since the last night").
-- one row (or none): run_id, start_month, horizon, started_at, content_hash
SELECT run_id, start_month, horizon, kind, scenario, started_at, content_hash
FROM runs
WHERE scenario = $scenario
  AND status = 'ok'
  AND started_at < $before
  AND (kind = $kind OR kind = 'pipeline')
  AND ($kind <> 'allocate' OR run_id IN (SELECT run_id FROM plan_commitments))
  AND ($kind <> 'project' OR run_id IN (SELECT run_id FROM stock_outlook))
ORDER BY started_at DESC, run_id DESC
LIMIT 1;
