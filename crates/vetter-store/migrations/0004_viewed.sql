-- The cache's table of viewed marks (a migration step of `vetter_store`).
--
-- A mark is the add-on, the path and the sha256 of the bytes the reviewer saw; `deleted`
-- marks having seen a file's removal, which is a different fact from having read it.

CREATE TABLE viewed_files (
    guid TEXT NOT NULL,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
    deleted INTEGER NOT NULL CHECK (deleted IN (0, 1)),
    viewed_at TEXT NOT NULL,
    PRIMARY KEY (guid, path, sha256, deleted)
) STRICT, WITHOUT ROWID;
