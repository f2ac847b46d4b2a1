-- The near-duplicate index's tables, a migration step of the cache (see `store::schema`).
-- `minhash_sketch` has a row for every JS blob examined (`sketch` NULL when too small to
-- sketch); `minhash_band` holds each sketch's band keys.

CREATE TABLE minhash_sketch (
    blob_id INTEGER PRIMARY KEY REFERENCES blobs (id),
    sketch BLOB
) STRICT;
CREATE TABLE minhash_band (
    band_key INTEGER NOT NULL,
    blob_id INTEGER NOT NULL REFERENCES blobs (id),
    PRIMARY KEY (band_key, blob_id)
) STRICT, WITHOUT ROWID;
