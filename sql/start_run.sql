-- Record the start of a run.
INSERT INTO runs (run_id, kind, scenario, started_at, start_month, horizon, status, content_hash)
VALUES ($run_id, $kind, $scenario, $started_at, $start_month, $horizon, 'running', $content_hash);
