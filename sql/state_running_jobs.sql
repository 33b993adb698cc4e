-- The jobs of a kind still running: not finished and heard from since :since.
SELECT job_id, kind, owner, stage, done, total, result, error, started_at, updated_at,
       finished_at
FROM background_jobs
WHERE kind = :kind AND finished_at IS NULL AND updated_at >= :since
ORDER BY started_at;
