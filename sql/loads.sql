-- Every recorded load, newest first.
-- one row per load: load_id, loaded_at, loaded_by, path, content_hash, tables_kept
SELECT load_id, loaded_at, loaded_by, path, content_hash, coalesce(tables_kept, false) AS tables_kept
FROM loads
ORDER BY load_id DESC;
