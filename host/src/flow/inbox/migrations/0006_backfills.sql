-- A backfill: one flow's source history from `since` to `until` (ms, UTC) walked into the inbox
-- page by page (`crate::flow::backfill`). `cursor` is where the next page starts; each page's
-- events and the new cursor and counts commit together, so a backfill stopped anywhere resumes
-- where it stopped. `reached` is the newest change listed so far, for the progress shown.
CREATE TABLE IF NOT EXISTS backfills (
    id INTEGER PRIMARY KEY,
    flow TEXT NOT NULL,
    since INTEGER NOT NULL,
    until INTEGER NOT NULL,
    cursor TEXT,
    pages INTEGER NOT NULL DEFAULT 0,
    listed INTEGER NOT NULL DEFAULT 0,
    added INTEGER NOT NULL DEFAULT 0,
    reached INTEGER,
    started_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    finished_at INTEGER
);
CREATE INDEX IF NOT EXISTS backfills_open ON backfills (flow, since, finished_at);
