-- Shared state, version 1: what dashboard users write at once (SQLite, WAL mode).
-- Runs inside the migrator's BEGIN IMMEDIATE transaction; the last statement stamps the version.
-- Times are UTC ISO 8601 text with microseconds (they sort as they compare).

-- The one audit trail of the product: append-only, one row per state-changing call.
CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    who TEXT NOT NULL,
    action TEXT NOT NULL,
    subject_kind TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(details))
);
CREATE INDEX audit_by_subject ON audit (subject_kind, subject_id, id);

CREATE TRIGGER audit_is_never_updated BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit rows are append-only: never updated');
END;

CREATE TRIGGER audit_is_never_deleted BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit rows are append-only: never deleted');
END;

-- Login sessions: only the SHA-256 of the random token is kept.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user TEXT NOT NULL,
    role TEXT NOT NULL,
    partner TEXT,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX sessions_by_user ON sessions (user);

-- The worklist: one status per exception, and its comments.
CREATE TABLE exception_status (
    exception_key TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('open', 'acknowledged', 'resolved')),
    owner TEXT,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE exception_comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    exception_key TEXT NOT NULL,
    who TEXT NOT NULL,
    at TEXT NOT NULL,
    text TEXT NOT NULL CHECK (length(trim(text)) > 0)
);
CREATE INDEX exception_comments_by_key ON exception_comments (exception_key, id);

-- Shipments firmed and completions pinned by planners (stage 0 of the allocation model).
CREATE TABLE firmed_shipments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id TEXT NOT NULL,
    commitment_id TEXT,
    partner_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    month TEXT NOT NULL CHECK (month GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]'),
    units REAL NOT NULL CHECK (units >= 0),
    kind TEXT NOT NULL CHECK (kind IN ('shipment', 'completion_pin')),
    who TEXT NOT NULL,
    at TEXT NOT NULL,
    released_at TEXT,
    released_by TEXT,
    CHECK ((released_at IS NULL) = (released_by IS NULL))
);

-- What-if scenarios saved from the dashboard: where the file is and what it held.
CREATE TABLE saved_scenarios (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
    who TEXT NOT NULL,
    at TEXT NOT NULL
);

PRAGMA user_version = 1;
