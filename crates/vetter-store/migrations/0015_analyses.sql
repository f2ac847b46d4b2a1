-- Step 15: what Vetter's own analyses found in a version, kept so a review opens with them at
-- once.
--
-- - `capability_analyses`: one row per (version, key), the key naming the analysis version and
-- the library index it used; the body is the analysis as JSON (read back as hostile: a row
-- that does not parse is recomputed, never trusted).
-- - `linter_runs`: the newest report of Mozilla's addons-linter on a version, as JSON, with the
-- linter's version.

CREATE TABLE capability_analyses (
    version_id INTEGER NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    body TEXT NOT NULL,
    analyzed_at TEXT NOT NULL,
    PRIMARY KEY (version_id, key)
) STRICT;

CREATE TABLE linter_runs (
    version_id INTEGER PRIMARY KEY REFERENCES versions (id) ON DELETE CASCADE,
    linter_version TEXT NOT NULL,
    body TEXT NOT NULL,
    ran_at TEXT NOT NULL
) STRICT;
