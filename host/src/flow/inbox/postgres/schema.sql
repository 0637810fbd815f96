-- The inbox of hosts that share a PostgreSQL database (`[store]`): the same tables as the SQLite
-- inbox's (`../migrations/`), made at once. Times are milliseconds since the Unix epoch, UTC.
-- An event being run carries the host that claimed it (`held_by`) and until when its lease
-- holds (`lease_until`): past it, any host returns the event to pending. A polled flow's cursor
-- row likewise names the host that polls it (`leader`) and until when; only that host moves the
-- cursor, and another takes over once the lease ran out.

CREATE TABLE IF NOT EXISTS events (
    id BIGSERIAL PRIMARY KEY,
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
    replayed_at_attempt INTEGER NOT NULL DEFAULT 0,
    received_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    next_attempt_at BIGINT,
    last_error TEXT,
    review_reason TEXT,
    resolution TEXT,
    external_ids TEXT NOT NULL DEFAULT '[]',
    held_by TEXT,
    lease_until BIGINT,
    pins TEXT,
    UNIQUE (flow, event_key)
);
CREATE INDEX IF NOT EXISTS events_due ON events (status, next_attempt_at);
CREATE INDEX IF NOT EXISTS events_received ON events (received_at);
CREATE INDEX IF NOT EXISTS events_status ON events (status, id);
CREATE INDEX IF NOT EXISTS events_flow ON events (flow, id);
CREATE INDEX IF NOT EXISTS events_topic ON events (topic, id);
CREATE INDEX IF NOT EXISTS events_leased ON events (lease_until) WHERE status = 'running';

CREATE TABLE IF NOT EXISTS steps (
    id BIGSERIAL PRIMARY KEY,
    event_id BIGINT NOT NULL REFERENCES events (id),
    attempt INTEGER NOT NULL,
    name TEXT NOT NULL,
    plugin TEXT,
    plugin_version TEXT,
    plugin_hash TEXT,
    started_at BIGINT NOT NULL,
    duration_us BIGINT NOT NULL,
    ok BOOLEAN NOT NULL,
    message TEXT,
    detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS steps_event ON steps (event_id, id);

CREATE TABLE IF NOT EXISTS cursors (
    flow TEXT PRIMARY KEY,
    cursor TEXT,
    polled_at BIGINT,
    next_at BIGINT,
    last_error TEXT,
    leader TEXT,
    lease_until BIGINT
);

CREATE TABLE IF NOT EXISTS health_probe (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    probed_at BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS blobs (
    hash TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    stored_size BIGINT NOT NULL,
    data BYTEA NOT NULL
);

CREATE TABLE IF NOT EXISTS recordings (
    event_id BIGINT NOT NULL REFERENCES events (id),
    attempt INTEGER NOT NULL,
    recorded_at BIGINT NOT NULL,
    parts TEXT NOT NULL,
    PRIMARY KEY (event_id, attempt)
);
CREATE INDEX IF NOT EXISTS recordings_age ON recordings (recorded_at);

CREATE TABLE IF NOT EXISTS backfills (
    id BIGSERIAL PRIMARY KEY,
    flow TEXT NOT NULL,
    since BIGINT NOT NULL,
    until BIGINT NOT NULL,
    cursor TEXT,
    pages BIGINT NOT NULL DEFAULT 0,
    listed BIGINT NOT NULL DEFAULT 0,
    added BIGINT NOT NULL DEFAULT 0,
    reached BIGINT,
    started_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX IF NOT EXISTS backfills_open ON backfills (flow, since, finished_at);
