-- A background job ends with its result (JSON) or its error, once.
UPDATE background_jobs
SET stage = :stage, result = :result, error = :error, finished_at = :at, updated_at = :at
WHERE job_id = :job_id AND finished_at IS NULL
RETURNING job_id;
