-- Step 1: the skeleton's key/value table (kept as released).

CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
