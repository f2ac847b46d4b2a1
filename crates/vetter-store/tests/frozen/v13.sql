-- A cache at schema step 13, frozen by make.py; never edit.
PRAGMA user_version = 13;
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
, attempts INTEGER NOT NULL DEFAULT 1 CHECK (attempts >= 1), retry_at INTEGER) STRICT;
INSERT INTO quarantined_versions VALUES(9,'abababababababababababababababababababababababababababababababab','cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd','hash mismatch',1767323045,1,1767323045);
CREATE TABLE viewed_files (
    guid TEXT NOT NULL,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
    deleted INTEGER NOT NULL CHECK (deleted IN (0, 1)),
    viewed_at TEXT NOT NULL,
    PRIMARY KEY (guid, path, sha256, deleted)
) STRICT, WITHOUT ROWID;
INSERT INTO viewed_files VALUES('frozen@example.com','background.js','5b7929d6590e59585049f01de20bf92a671b13de97d6a0f58e7004506391b834',0,'2026-01-02T04:00:00Z');
CREATE TABLE local_decisions (
    id TEXT PRIMARY KEY CHECK (length(id) = 36),
    server TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    addon_id INTEGER NOT NULL,
    addon_guid TEXT NOT NULL,
    version_id INTEGER NOT NULL,
    version TEXT NOT NULL,
    file_sha256 TEXT NOT NULL CHECK (length(file_sha256) = 64),
    action TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    decision TEXT NOT NULL
) STRICT;
INSERT INTO local_decisions VALUES('0190f0a0-0000-7000-8000-000000000001','http://127.0.0.1:47474','reviewer',5,'frozen@example.com',9,'1.0','abababababababababababababababababababababababababababababababab','approve','2026-01-02T05:00:00.000Z','{"action":"approve"}');
CREATE TABLE outbox (
    decision_id TEXT PRIMARY KEY REFERENCES local_decisions (id),
    kid TEXT NOT NULL,
    jws TEXT NOT NULL,
    state TEXT NOT NULL
        CHECK (state IN ('pending', 'sending', 'accepted', 'conflict', 'rejected')),
    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    last_error TEXT,
    error_code TEXT,
    response TEXT
) STRICT;
INSERT INTO outbox VALUES('0190f0a0-0000-7000-8000-000000000001','kid-1','e30.e30.sig','pending',0,'2026-01-02T05:00:00Z','2026-01-02T05:00:00Z',NULL,NULL,NULL);
PRAGMA writable_schema=ON;
INSERT INTO sqlite_schema(type,name,tbl_name,rootpage,sql)VALUES('table','search_text','search_text',0,'CREATE VIRTUAL TABLE search_text USING fts5(body, content='''', tokenize=''trigram'')');
CREATE TABLE IF NOT EXISTS 'search_text_data'(id INTEGER PRIMARY KEY, block BLOB);
INSERT INTO search_text_data VALUES(1,X'0135');
INSERT INTO search_text_data VALUES(10,X'000000000101010001010101');
INSERT INTO search_text_data VALUES(137438953473,X'0000017a04300a6665010218010327293b010415220202667201020e0202687401021f010328276601020d03016801021e0103293b0a0104162201032e636f01022f02026c6f01020901032f2f65010226020265780102270202782701023301033a2f2f01022501033b0a660102170103616d7001022a010363682801021c02026f6d01023003016e0102020103652e6301022e03016c01020802026e270102130202746301021a0202786101022801036665740102190202726f01020f010367282701020c010368282701021d0202747401022001036c652e0104072802026f6701020a01036d2f780102320202706c01022b01036e27290102140202736f01020401036f672801020b02026c6501020602026d2f01023102026e7301020302027a650102110103706c6501022c0202733a0102230103726f7a0102100103733a2f01022402026f6c010205010374636801021b020270730102220202747001022101037827290102340202616d01022901037a656e0102120408090707080609080708070708080808070608060707070807080807090708070807080707070708070808070807070807');
CREATE TABLE IF NOT EXISTS 'search_text_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID;
INSERT INTO search_text_idx VALUES(1,X'',2);
CREATE TABLE IF NOT EXISTS 'search_text_docsize'(id INTEGER PRIMARY KEY, sz BLOB);
INSERT INTO search_text_docsize VALUES(1,X'35');
CREATE TABLE IF NOT EXISTS 'search_text_config'(k PRIMARY KEY, v) WITHOUT ROWID;
INSERT INTO search_text_config VALUES('version',4);
CREATE TABLE search_indexed (
    blob_id INTEGER PRIMARY KEY REFERENCES blobs (id),
    is_text INTEGER NOT NULL CHECK (is_text IN (0, 1))
) STRICT;
INSERT INTO search_indexed VALUES(1,1);
CREATE TABLE notes (
    id INTEGER PRIMARY KEY,
    version_id INTEGER NOT NULL REFERENCES versions (id),
    path TEXT NOT NULL,
    line INTEGER NOT NULL CHECK (line >= 1),
    line_hash TEXT NOT NULL,
    before_hash TEXT NOT NULL,
    after_hash TEXT NOT NULL,
    excerpt TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;
INSERT INTO notes VALUES(1,1,'background.js',2,'h2','h1','','fetch(','remote fetch: check the URL','2026-01-02T06:00:00Z');
CREATE TABLE minhash_sketch (
    blob_id INTEGER PRIMARY KEY REFERENCES blobs (id),
    sketch BLOB
) STRICT;
INSERT INTO minhash_sketch VALUES(1,NULL);
CREATE TABLE minhash_band (
    band_key INTEGER NOT NULL,
    blob_id INTEGER NOT NULL REFERENCES blobs (id),
    PRIMARY KEY (band_key, blob_id)
) STRICT, WITHOUT ROWID;
CREATE TABLE rule_files (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
    rules INTEGER NOT NULL CHECK (rules >= 0),
    enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    added_at TEXT NOT NULL
) STRICT;
INSERT INTO rule_files VALUES(1,'mine.yar','rule r { condition: true }','efefefefefefefefefefefefefefefefefefefefefefefefefefefefefefefef',1,1,'2026-01-02T07:00:00Z');
CREATE TABLE rule_scans (
    version_id INTEGER NOT NULL REFERENCES versions (id),
    ruleset TEXT NOT NULL CHECK (length(ruleset) = 64),
    complete INTEGER NOT NULL CHECK (complete IN (0, 1)),
    files_scanned INTEGER NOT NULL CHECK (files_scanned >= 0),
    truncated INTEGER NOT NULL CHECK (truncated IN (0, 1)),
    skipped TEXT NOT NULL,
    scanned_at TEXT NOT NULL,
    PRIMARY KEY (version_id, ruleset)
) STRICT;
INSERT INTO rule_scans VALUES(1,'0101010101010101010101010101010101010101010101010101010101010101',1,1,0,'[]','2026-01-02T07:01:00Z');
CREATE TABLE rule_matches (
    version_id INTEGER NOT NULL,
    ruleset TEXT NOT NULL,
    seq INTEGER NOT NULL,
    path TEXT NOT NULL,
    offset INTEGER NOT NULL CHECK (offset >= 0),
    length INTEGER NOT NULL CHECK (length >= 0),
    line INTEGER NOT NULL CHECK (line >= 1),
    col INTEGER NOT NULL CHECK (col >= 1),
    rule TEXT NOT NULL,
    namespace TEXT NOT NULL,
    pattern TEXT,
    tags TEXT NOT NULL,
    description TEXT,
    PRIMARY KEY (version_id, ruleset, seq),
    FOREIGN KEY (version_id, ruleset) REFERENCES rule_scans (version_id, ruleset)
        ON DELETE CASCADE
) STRICT, WITHOUT ROWID;
INSERT INTO rule_matches VALUES(1,'0101010101010101010101010101010101010101010101010101010101010101',0,'background.js',23,5,2,1,'r','default',NULL,'[]',NULL);
CREATE TABLE IF NOT EXISTS "versions" (
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
    format TEXT NOT NULL DEFAULT 'zip' CHECK (format IN ('zip', 'crx2', 'crx3', 'tar_gz')),
    kind TEXT NOT NULL DEFAULT 'extension' CHECK (kind IN ('extension', 'package')),
    signature_note TEXT,
    root_prefix TEXT
) STRICT;
INSERT INTO versions VALUES(1,1,'1.0','Frozen','frozen-1.0.xpi','abababababababababababababababababababababababababababababababab',1234,'2026-01-02T03:04:05Z',2,'{}','zip','extension',NULL,NULL);
CREATE TABLE version_origins (
    version_id INTEGER PRIMARY KEY REFERENCES versions (id) ON DELETE CASCADE,
    page_url TEXT NOT NULL,
    amo_origin TEXT NOT NULL,
    amo_addon_id INTEGER NOT NULL,
    amo_version_id INTEGER NOT NULL,
    amo_file_id INTEGER NOT NULL,
    channel TEXT NOT NULL,
    fetched_at TEXT NOT NULL
) STRICT;
INSERT INTO version_origins VALUES(1,'https://addons.mozilla.org/en-US/firefox/addon/frozen/','https://addons.mozilla.org',5,9,77,'listed','2026-01-02T08:00:00Z');
CREATE TABLE version_findings (
    version_id INTEGER NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
    source TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (version_id, source)
) STRICT;
INSERT INTO version_findings VALUES(1,'amo_validator','{"messages":[]}');
CREATE TABLE kept_decisions (
    decision_id TEXT PRIMARY KEY REFERENCES local_decisions (id),
    kid TEXT NOT NULL,
    jws TEXT NOT NULL,
    review_url TEXT NOT NULL,
    comment TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;
INSERT INTO kept_decisions VALUES('0190f0a0-0000-7000-8000-000000000001','kid-1','e30.e30.sig','https://addons.mozilla.org/reviewers/review/5','Approved.','2026-01-02T09:00:00Z');
CREATE VIEW files (version_id, path, size, sha256, blob_id, category) AS
SELECT e.version_id, p.path, b.raw_size, b.sha256, e.blob_id,
       CASE e.category
           WHEN 0 THEN 'code' WHEN 1 THEN 'text' WHEN 2 THEN 'image' WHEN 3 THEN 'font'
           WHEN 4 THEN 'media' WHEN 5 THEN 'archive' ELSE 'binary'
       END
FROM entries e JOIN paths p ON p.id = e.path_id JOIN blobs b ON b.id = e.blob_id;
CREATE INDEX remote_versions_by_addon ON remote_versions (addon_id, id);
CREATE INDEX queue_entries_by_queue ON queue_entries (queue, due_date);
CREATE INDEX outbox_by_state ON outbox (state, created_at);
CREATE INDEX notes_by_version ON notes (version_id, path);
CREATE INDEX versions_by_addon_version ON versions (addon_id, version);
PRAGMA writable_schema=OFF;
COMMIT;
