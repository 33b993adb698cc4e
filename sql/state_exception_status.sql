-- The worklist status of one exception (no row: never touched, so open and unowned).
SELECT exception_key, status, owner, updated_by, updated_at
FROM exception_status
WHERE exception_key = :exception_key;
