-- One background job by id.
SELECT job_id, kind, owner, stage, done, total, result, error, started_at, updated_at,
       finished_at
FROM background_jobs
WHERE job_id = :job_id;
