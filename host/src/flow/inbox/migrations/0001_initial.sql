-- The durable inbox and audit trail of the flow engine. Times are milliseconds since the Unix epoch, UTC.

-- One row per (flow, event key): a webhook delivered twice or polled again finds its row and adds nothing.
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    flow TEXT NOT NULL,
    connection TEXT NOT NULL,
    event_key TEXT NOT NULL,
    topic TEXT NOT NULL,
    reference TEXT NOT NULL,
    occurred_at TEXT,
    payload TEXT,
    arrival TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    -- `attempts` when the last replay or resolution began: retries are counted from there.
    replayed_at_attempt INTEGER NOT NULL DEFAULT 0,
    received_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    next_attempt_at INTEGER,
    last_error TEXT,
    review_reason TEXT,
    resolution TEXT,
    external_ids TEXT NOT NULL DEFAULT '[]',
    UNIQUE (flow, event_key)
);
CREATE INDEX IF NOT EXISTS events_due ON events (status, next_attempt_at);
CREATE INDEX IF NOT EXISTS events_received ON events (received_at);

-- Every step of every attempt, in order.
CREATE TABLE IF NOT EXISTS steps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id INTEGER NOT NULL REFERENCES events (id),
    attempt INTEGER NOT NULL,
    name TEXT NOT NULL,
    plugin TEXT,
    plugin_version TEXT,
    started_at INTEGER NOT NULL,
    duration_us INTEGER NOT NULL,
    ok INTEGER NOT NULL,
    message TEXT,
    detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS steps_event ON steps (event_id, id);

-- Where each polled flow stands.
CREATE TABLE IF NOT EXISTS cursors (
    flow TEXT PRIMARY KEY,
    cursor TEXT,
    polled_at INTEGER,
    next_at INTEGER,
    last_error TEXT
);
