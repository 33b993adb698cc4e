-- Set an exception's owner (null: nobody); its status is kept (open for a new row).
INSERT INTO exception_status (exception_key, status, owner, updated_by, updated_at)
VALUES (:exception_key, 'open', :owner, :who, :at)
ON CONFLICT (exception_key) DO UPDATE
SET owner = excluded.owner, updated_by = excluded.updated_by, updated_at = excluded.updated_at;
