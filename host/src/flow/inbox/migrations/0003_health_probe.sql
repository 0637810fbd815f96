-- The readiness probe writes its one row here: a commit that reaches the disk proves the inbox
-- can take events.
CREATE TABLE IF NOT EXISTS health_probe (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    probed_at INTEGER NOT NULL
);
