-- The comments on one exception, oldest first.
SELECT id, exception_key, who, at, text
FROM exception_comments
WHERE exception_key = :exception_key
ORDER BY id;
