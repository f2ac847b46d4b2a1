-- Step 16: retention (see `store::retention`).
-- - `pinned_versions`: versions a reviewer pinned, which `vetter prune` never removes; a pin goes
--   with its version.
-- - Indexes on the columns that point at a blob, so that prune finds who still uses a blob, and
--   SQLite checks the foreign keys of a deleted blob, without scanning whole tables.

CREATE TABLE pinned_versions (
    version_id INTEGER PRIMARY KEY REFERENCES versions (id) ON DELETE CASCADE,
    pinned_at TEXT NOT NULL
) STRICT;

CREATE INDEX entries_by_blob ON entries (blob_id);
CREATE INDEX blobs_by_base ON blobs (base_id) WHERE base_id IS NOT NULL;
CREATE INDEX blobs_by_base2 ON blobs (base2_id) WHERE base2_id IS NOT NULL;
CREATE INDEX minhash_band_by_blob ON minhash_band (blob_id);
