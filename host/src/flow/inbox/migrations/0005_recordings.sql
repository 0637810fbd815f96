-- What each attempt's mapping was given and what it answered, kept whole so a candidate mapping
-- can be dry-run over real history (`crate::flow::recording`). The parts are content-addressed:
-- a config or a record seen by many attempts is stored once.

-- One part: the SHA-256 of its bytes, their length, and the bytes compressed (zstd).
CREATE TABLE IF NOT EXISTS blobs (
    hash TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    stored_size INTEGER NOT NULL,
    data BLOB NOT NULL
);

-- One recorded attempt: `parts` is JSON naming each part's blob by its hash.
CREATE TABLE IF NOT EXISTS recordings (
    event_id INTEGER NOT NULL REFERENCES events (id),
    attempt INTEGER NOT NULL,
    recorded_at INTEGER NOT NULL,
    parts TEXT NOT NULL,
    PRIMARY KEY (event_id, attempt)
);
CREATE INDEX IF NOT EXISTS recordings_age ON recordings (recorded_at);
