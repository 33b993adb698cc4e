-- Per-connection settings of the shared-state file; the last statement returns the journal mode.
-- WAL lets readers and one writer work at once; NORMAL sync is durable at every checkpoint and
-- safe against corruption in WAL mode. The busy wait is set by the connection's timeout.
PRAGMA foreign_keys = ON;
PRAGMA synchronous = NORMAL;
PRAGMA journal_mode = WAL;
