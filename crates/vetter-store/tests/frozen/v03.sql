-- A cache at schema step 3, frozen by make.py; never edit.
PRAGMA user_version = 3;
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
INSERT INTO meta VALUES('created_by','vetter 0.1.0');
CREATE TABLE addons (
    id INTEGER PRIMARY KEY,
    guid TEXT NOT NULL UNIQUE,
    has_gecko_id INTEGER NOT NULL CHECK (has_gecko_id IN (0, 1)),
    name TEXT NOT NULL
) STRICT;
INSERT INTO addons VALUES(1,'frozen@example.com',1,'Frozen');
CREATE TABLE blobs (
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL UNIQUE CHECK (length(sha256) = 64),
    raw_size INTEGER NOT NULL CHECK (raw_size >= 0),
    base_id INTEGER REFERENCES blobs (id),
    base2_id INTEGER REFERENCES blobs (id),
    depth INTEGER NOT NULL CHECK (depth BETWEEN 0 AND 2),
    frames INTEGER NOT NULL CHECK (frames BETWEEN 1 AND 4),
    data BLOB NOT NULL,
    CHECK ((base_id IS NULL) = (depth = 0)),
    CHECK ((depth = 0) = (frames = 1)),
    CHECK (base2_id IS NULL OR base_id IS NOT NULL)
) STRICT;
INSERT INTO blobs VALUES(1,'5b7929d6590e59585049f01de20bf92a671b13de97d6a0f58e7004506391b834',55,NULL,NULL,0,1,X'28b52ffd0468b90100636f6e736f6c652e6c6f67282766726f7a656e27293b0a6665746368282768747470733a2f2f6578616d706c652e636f6d2f7827293b0abd1774ab');
CREATE TABLE versions (
    id INTEGER PRIMARY KEY,
    addon_id INTEGER NOT NULL REFERENCES addons (id),
    version TEXT NOT NULL,
    name TEXT NOT NULL,
    source_name TEXT NOT NULL,
    xpi_sha256 TEXT NOT NULL UNIQUE CHECK (length(xpi_sha256) = 64),
    xpi_size INTEGER NOT NULL CHECK (xpi_size >= 0),
    imported_at TEXT NOT NULL,
    manifest_version INTEGER NOT NULL,
    manifest TEXT NOT NULL,
    UNIQUE (addon_id, version)
) STRICT;
INSERT INTO versions VALUES(1,1,'1.0','Frozen','frozen-1.0.xpi','abababababababababababababababababababababababababababababababab',1234,'2026-01-02T03:04:05Z',2,'{}');
CREATE TABLE paths (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE
) STRICT;
INSERT INTO paths VALUES(1,'background.js');
CREATE TABLE entries (
    version_id INTEGER NOT NULL REFERENCES versions (id),
    path_id INTEGER NOT NULL REFERENCES paths (id),
    blob_id INTEGER NOT NULL REFERENCES blobs (id),
    category INTEGER NOT NULL CHECK (category BETWEEN 0 AND 6),
    PRIMARY KEY (version_id, path_id)
) STRICT, WITHOUT ROWID;
INSERT INTO entries VALUES(1,1,1,0);
CREATE TABLE sync_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
INSERT INTO sync_settings VALUES('server','http://127.0.0.1:47474');
CREATE TABLE sync_cursors (queue TEXT PRIMARY KEY, cursor TEXT NOT NULL) STRICT;
INSERT INTO sync_cursors VALUES('extension','c-42');
CREATE TABLE remote_addons (
    id INTEGER PRIMARY KEY,
    guid TEXT NOT NULL,
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    stale INTEGER NOT NULL CHECK (stale IN (0, 1))
) STRICT;
INSERT INTO remote_addons VALUES(5,'frozen@example.com','frozen','Frozen',0);
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
INSERT INTO remote_versions VALUES(9,5,'1.0',77,'unreviewed','abababababababababababababababababababababababababababababababab',1234,'http://127.0.0.1:47474/firefox/downloads/file/77/frozen-1.0.xpi','["tabs"]','[]',1);
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
INSERT INTO queue_entries VALUES(3,'extension',5,9,'2026-01-05T00:00:00Z','["new_version"]','[]',120);
CREATE TABLE signals (addon_id INTEGER PRIMARY KEY REFERENCES remote_addons (id), body TEXT NOT NULL) STRICT;
INSERT INTO signals VALUES(5,'[{"scanner":"yara","rule":"remote_fetch","path":"background.js","line":2}]');
CREATE TABLE quarantined_versions (
    remote_version_id INTEGER PRIMARY KEY REFERENCES remote_versions (id),
    expected_sha256 TEXT NOT NULL,
    actual_sha256 TEXT,
    reason TEXT NOT NULL,
    quarantined_at INTEGER NOT NULL
) STRICT;
INSERT INTO quarantined_versions VALUES(9,'abababababababababababababababababababababababababababababababab','cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd','hash mismatch',1767323045);
CREATE VIEW files (version_id, path, size, sha256, blob_id, category) AS
SELECT e.version_id, p.path, b.raw_size, b.sha256, e.blob_id,
       CASE e.category
           WHEN 0 THEN 'code' WHEN 1 THEN 'text' WHEN 2 THEN 'image' WHEN 3 THEN 'font'
           WHEN 4 THEN 'media' WHEN 5 THEN 'archive' ELSE 'binary'
       END
FROM entries e JOIN paths p ON p.id = e.path_id JOIN blobs b ON b.id = e.blob_id;
CREATE INDEX remote_versions_by_addon ON remote_versions (addon_id, id);
CREATE INDEX queue_entries_by_queue ON queue_entries (queue, due_date);
COMMIT;
