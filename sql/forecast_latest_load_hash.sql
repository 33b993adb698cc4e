-- The content hash of the newest load (the data a run reads).
-- one row at most: content_hash
SELECT content_hash
FROM loads
ORDER BY loaded_at DESC, load_id DESC
LIMIT 1;
