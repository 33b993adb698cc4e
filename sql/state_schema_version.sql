-- The schema version of the shared-state file (0 for a new file).
PRAGMA user_version;
