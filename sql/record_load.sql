-- Record a successful load whose rows the history tables keep.
INSERT INTO loads (loaded_at, path, content_hash, row_counts, loaded_by, tables_kept)
VALUES ($loaded_at, $path, $content_hash, $row_counts, $loaded_by, true);
