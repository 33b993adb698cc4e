-- Set an exception's status; its owner is kept (none for a new row).
INSERT INTO exception_status (exception_key, status, owner, updated_by, updated_at)
VALUES (:exception_key, :status, NULL, :who, :at)
ON CONFLICT (exception_key) DO UPDATE
SET status = excluded.status, updated_by = excluded.updated_by, updated_at = excluded.updated_at;
