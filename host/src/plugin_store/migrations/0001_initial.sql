-- The plugin store: every component ever installed, by content hash, and which one of each name is
-- active. Times are milliseconds since the Unix epoch, UTC.

-- One row per distinct component; the bytes are in components/<hash>.wasm beside this file.
CREATE TABLE IF NOT EXISTS components (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    world TEXT NOT NULL,
    size INTEGER NOT NULL,
    installed_at INTEGER NOT NULL,
    origin TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS components_name ON components (name, seq);

-- Every activation, in order: the newest row of a name is its active version. Its id is the store's
-- generation, which a running service watches to pick up installs made by another process.
CREATE TABLE IF NOT EXISTS activations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    hash TEXT NOT NULL REFERENCES components (hash),
    activated_at INTEGER NOT NULL,
    -- `install`, `rollback`, or `plugin dir`.
    reason TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS activations_name ON activations (name, id);
