-- The console's and the CLI's event lists show the newest first under a filter: with an index
-- per filtered column, in id order, a page under a status, flow or topic walks that index from
-- its newest entry and stops after a page, whatever the inbox holds.
CREATE INDEX IF NOT EXISTS events_status ON events (status, id);
CREATE INDEX IF NOT EXISTS events_flow ON events (flow, id);
CREATE INDEX IF NOT EXISTS events_topic ON events (topic, id);
