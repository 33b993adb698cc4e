-- A background job starts (its id is random, chosen by the caller).
INSERT INTO background_jobs (job_id, kind, owner, stage, done, total, started_at, updated_at)
VALUES (:job_id, :kind, :owner, :stage, 0, :total, :at, :at);
