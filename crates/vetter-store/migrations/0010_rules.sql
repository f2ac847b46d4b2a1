-- The rule tables, a migration step of the cache (see `store::schema`).
--
-- - `rule_files`: one row per rule file, its source (always valid UTF-8: it compiled), the
-- sha256 of that source, how many rules it defines, and whether scans use it.
-- - `rule_scans`: one row per (version, ruleset hash) scanned, with what was skipped (JSON) and
-- whether the scan covered every file (a timed-out file makes it incomplete, and an
-- incomplete scan is re-run rather than reused).
-- - `rule_matches`: the signals of one scan, in order (`seq`); tags are a JSON array.

CREATE TABLE rule_files (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
    rules INTEGER NOT NULL CHECK (rules >= 0),
    enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    added_at TEXT NOT NULL
) STRICT;

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
