-- The file of the open database (NULL for an in-memory one).
-- one row: path
SELECT path
FROM duckdb_databases()
WHERE database_name = current_database();
