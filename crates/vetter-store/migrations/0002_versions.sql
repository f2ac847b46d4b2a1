-- Step 2: add-ons, versions, their files, and the content-addressed blobs behind them.
--
-- - `addons.guid` is the gecko id, or `noid:` + the manifest name for add-ons without one
-- (see `vetter_store::identity_for`).
-- - `blobs` are keyed by the sha256 (lowercase hex) of the raw bytes. A blob is a whole zstd frame
-- (`base_id` NULL, `depth` 0, `frames` 1) or a delta: a frame compressed with the raw bytes
-- of `base_id`, followed by those of `base2_id` when set, as its prefix. `depth` is one more
-- than the deeper base's and is at most 2; `frames` counts the distinct blobs a read decodes
-- (this one and its bases, recursively) and is at most 4. `data` is the last column so that
-- reading the other columns never touches its overflow pages.
-- - `paths` interns file paths, and `entries` (a version's files) is all integers, because
-- every version repeats the whole file list: a row costs about 10 bytes instead of 140 with
-- the path and hex hash inline (for pdf.js's 571 files that alone was 1.5 % of the release's
-- zip size). `entries.category` is a `vetter_store::FileCategory` code (0 code … 6
-- binary); the size is the blob's `raw_size`.
-- - The view `files` shows entries as a reader thinks of them (version, path, size, sha256,
-- category name), for other modules' queries and for humans with `sqlite3`.
-- - `versions.name` is the name in that version's manifest (`addons.name` is the latest one);
-- `versions.manifest` is the parsed manifest as JSON.

CREATE TABLE addons (
    id INTEGER PRIMARY KEY,
    guid TEXT NOT NULL UNIQUE,
    has_gecko_id INTEGER NOT NULL CHECK (has_gecko_id IN (0, 1)),
    name TEXT NOT NULL
) STRICT;

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

CREATE TABLE paths (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE
) STRICT;

CREATE TABLE entries (
    version_id INTEGER NOT NULL REFERENCES versions (id),
    path_id INTEGER NOT NULL REFERENCES paths (id),
    blob_id INTEGER NOT NULL REFERENCES blobs (id),
    category INTEGER NOT NULL CHECK (category BETWEEN 0 AND 6),
    PRIMARY KEY (version_id, path_id)
) STRICT, WITHOUT ROWID;

CREATE VIEW files (version_id, path, size, sha256, blob_id, category) AS
SELECT e.version_id, p.path, b.raw_size, b.sha256, e.blob_id,
       CASE e.category
           WHEN 0 THEN 'code' WHEN 1 THEN 'text' WHEN 2 THEN 'image' WHEN 3 THEN 'font'
           WHEN 4 THEN 'media' WHEN 5 THEN 'archive' ELSE 'binary'
       END
FROM entries e JOIN paths p ON p.id = e.path_id JOIN blobs b ON b.id = e.blob_id;
