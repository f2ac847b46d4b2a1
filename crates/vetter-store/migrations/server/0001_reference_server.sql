-- The reference review server's database, as first released (the server created it with
-- CREATE ... IF NOT EXISTS before it had migrations, so this step is harmless on such a file).
--
-- Queue entries carry a `seq` from one counter that only grows; removed entries stay as
-- tombstones, so a client's cursor (the last `seq` it saw) finds exactly what changed since.

CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS api_keys (
    key TEXT PRIMARY KEY, secret TEXT NOT NULL, user_id INTEGER NOT NULL,
    name TEXT NOT NULL, username TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS addons (
    id INTEGER PRIMARY KEY, guid TEXT NOT NULL UNIQUE, slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL, summary TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS versions (
    id INTEGER PRIMARY KEY, addon_id INTEGER NOT NULL REFERENCES addons (id),
    version TEXT NOT NULL, status TEXT NOT NULL, created TEXT NOT NULL,
    sha256 TEXT NOT NULL, size INTEGER NOT NULL, permissions TEXT NOT NULL,
    host_permissions TEXT NOT NULL, data BLOB NOT NULL) STRICT;
-- Not unique: a seed may serve two builds of one version string (a rebuilt or re-signed file),
-- which clients must keep apart; `add-version` still refuses a version string already used.
CREATE INDEX IF NOT EXISTS versions_by_addon ON versions (addon_id, version);
CREATE TABLE IF NOT EXISTS queue_entries (
    id INTEGER PRIMARY KEY, queue TEXT NOT NULL, addon_id INTEGER NOT NULL REFERENCES addons (id),
    version_id INTEGER NOT NULL REFERENCES versions (id), due_date TEXT NOT NULL,
    reasons TEXT NOT NULL, flags TEXT NOT NULL, weight INTEGER NOT NULL,
    seq INTEGER NOT NULL UNIQUE, removed INTEGER NOT NULL DEFAULT 0) STRICT;
CREATE INDEX IF NOT EXISTS queue_entries_by_queue ON queue_entries (queue, seq);
CREATE TABLE IF NOT EXISTS signals (addon_id INTEGER PRIMARY KEY REFERENCES addons (id),
    body TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS reviewer_keys (kid TEXT PRIMARY KEY, user_id INTEGER NOT NULL,
    public_key TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS decisions (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL, body BLOB NOT NULL, result TEXT NOT NULL,
    recorded_at TEXT NOT NULL) STRICT;
