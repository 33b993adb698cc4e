-- Every exception with a recorded status, one row per exception key.
SELECT exception_key, status, owner, updated_by, updated_at
FROM exception_status
ORDER BY exception_key;
