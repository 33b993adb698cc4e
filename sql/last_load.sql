-- The most recent load.
-- one row (or none): loaded_at, path, content_hash, row_counts
SELECT loaded_at, path, content_hash, row_counts
FROM loads
ORDER BY load_id DESC
LIMIT 1;
