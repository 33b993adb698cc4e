-- Record a successful load.
INSERT INTO loads (loaded_at, path, content_hash, row_counts)
VALUES ($loaded_at, $path, $content_hash, $row_counts);
