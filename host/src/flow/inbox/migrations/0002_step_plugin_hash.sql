-- Each step records the SHA-256 of the component that ran it: two builds may carry one version.
-- Steps recorded before have none.
ALTER TABLE steps ADD COLUMN plugin_hash TEXT;
