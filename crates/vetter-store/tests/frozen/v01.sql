-- A cache at schema step 1, frozen by make.py; never edit.
PRAGMA user_version = 1;
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
INSERT INTO meta VALUES('created_by','vetter 0.1.0');
COMMIT;
