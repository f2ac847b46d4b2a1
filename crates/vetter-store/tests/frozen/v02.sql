-- A cache at schema step 2, frozen by make.py; never edit.
PRAGMA user_version = 2;
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
CREATE VIEW files (version_id, path, size, sha256, blob_id, category) AS
SELECT e.version_id, p.path, b.raw_size, b.sha256, e.blob_id,
       CASE e.category
           WHEN 0 THEN 'code' WHEN 1 THEN 'text' WHEN 2 THEN 'image' WHEN 3 THEN 'font'
           WHEN 4 THEN 'media' WHEN 5 THEN 'archive' ELSE 'binary'
       END
FROM entries e JOIN paths p ON p.id = e.path_id JOIN blobs b ON b.id = e.blob_id;
COMMIT;
