-- The plugin versions an event runs, fixed at its first claim: a JSON object of content hashes by
-- plugin name (`crate::flow::pins`). NULL until the event is first claimed, and again after a
-- person replays or resolves it, so that its next claim takes the versions active then.
ALTER TABLE events ADD COLUMN pins TEXT;
