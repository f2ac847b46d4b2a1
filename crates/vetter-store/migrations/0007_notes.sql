-- The notes table, a migration step of the cache (see `store::schema`).

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
CREATE INDEX notes_by_version ON notes (version_id, path);
