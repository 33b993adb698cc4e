-- A running background job's progress; a finished job is left as it is.
UPDATE background_jobs
SET stage = :stage, done = :done, total = :total, updated_at = :at
WHERE job_id = :job_id AND finished_at IS NULL
RETURNING job_id;
