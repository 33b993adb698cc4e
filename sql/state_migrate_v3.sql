-- v3: long work started from the dashboard (a what-if's promise odds) runs in the background of
-- one server process; any process reads its progress and result here.
CREATE TABLE background_jobs (
    job_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    owner TEXT NOT NULL,
    stage TEXT NOT NULL,
    done INTEGER NOT NULL DEFAULT 0 CHECK (done >= 0),
    total INTEGER NOT NULL DEFAULT 0 CHECK (total >= 0),
    result TEXT,
    error TEXT,
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    finished_at TEXT,
    CHECK (result IS NULL OR error IS NULL)
);

CREATE INDEX background_jobs_running ON background_jobs (kind, finished_at, updated_at);

PRAGMA user_version = 3;
