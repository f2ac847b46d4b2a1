-- The client-side sync tables, appended to the cache's migrations as one step.
--
-- - `sync_settings`: the remembered server URL (never a secret).
-- - `sync_cursors`: per queue, the server's cursor after the last applied page; it advances in
-- the same transaction as the entries of that page, so a stopped sync resumes exactly there.
-- - `remote_addons.stale`: set when a queue change touches the add-on and cleared in the
-- transaction that stores its refreshed metadata, so an interrupted metadata phase resumes.
-- - `remote_versions.cached_version_id`: the cache's `versions.id` once the XPI is imported.
-- - `quarantined_versions`: downloads that failed verification (hash or archive rules), with
-- the reason; they are never imported, and are retried only if the server's hash changes.
-- A second step (0009) adds the retry book-keeping for hash mismatches.

CREATE TABLE sync_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;

CREATE TABLE sync_cursors (queue TEXT PRIMARY KEY, cursor TEXT NOT NULL) STRICT;

CREATE TABLE remote_addons (
    id INTEGER PRIMARY KEY,
    guid TEXT NOT NULL,
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    stale INTEGER NOT NULL CHECK (stale IN (0, 1))
) STRICT;

CREATE TABLE remote_versions (
    id INTEGER PRIMARY KEY,
    addon_id INTEGER NOT NULL REFERENCES remote_addons (id),
    version TEXT NOT NULL,
    file_id INTEGER NOT NULL,
    status TEXT NOT NULL,
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
    size INTEGER NOT NULL CHECK (size >= 0),
    url TEXT NOT NULL,
    permissions TEXT NOT NULL,
    host_permissions TEXT NOT NULL,
    cached_version_id INTEGER REFERENCES versions (id)
) STRICT;
CREATE INDEX remote_versions_by_addon ON remote_versions (addon_id, id);

CREATE TABLE queue_entries (
    id INTEGER PRIMARY KEY,
    queue TEXT NOT NULL,
    addon_id INTEGER NOT NULL REFERENCES remote_addons (id),
    version_id INTEGER NOT NULL REFERENCES remote_versions (id),
    due_date TEXT NOT NULL,
    reasons TEXT NOT NULL,
    flags TEXT NOT NULL,
    weight INTEGER NOT NULL
) STRICT;
CREATE INDEX queue_entries_by_queue ON queue_entries (queue, due_date);

CREATE TABLE signals (addon_id INTEGER PRIMARY KEY REFERENCES remote_addons (id), body TEXT NOT NULL) STRICT;

CREATE TABLE quarantined_versions (
    remote_version_id INTEGER PRIMARY KEY REFERENCES remote_versions (id),
    expected_sha256 TEXT NOT NULL,
    actual_sha256 TEXT,
    reason TEXT NOT NULL,
    quarantined_at INTEGER NOT NULL
) STRICT;
