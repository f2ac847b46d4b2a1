-- Step 11: every package a reviewer meets, and several builds of one version string.
--
-- `versions` loses `UNIQUE (addon_id, version)`: two different builds that claim the same
-- version (Firefox's built-in add-ons across releases, a re-signed copy, a tampered one) are
-- both kept, told apart by their sha256, which stays unique. SQLite cannot drop a constraint,
-- so the table is rebuilt the documented way (new table, copy, drop, rename) while foreign keys
-- are off (`vetter_store::Store::open` turns them on after migrating) and checked at the end
-- of the step. New columns:
-- - `format`: the container, an `vetter_archive::PackageFormat` code (`zip`, `crx2`, `crx3`,
-- `tar_gz`);
-- - `kind`: `extension` (a `manifest.json` at the root) or `package` (none: an npm package or a
-- source archive, named from `package.json` or the file name, `manifest_version` 0);
-- - `signature_note`: what a CRX header holds, with the fact that it was not verified;
-- - `root_prefix`: the one top folder every path was under (`package/` in an npm pack), which
-- the stored paths leave out, or NULL.

CREATE TABLE versions_new (
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
INSERT INTO versions_new (id, addon_id, version, name, source_name, xpi_sha256, xpi_size,
                          imported_at, manifest_version, manifest)
SELECT id, addon_id, version, name, source_name, xpi_sha256, xpi_size, imported_at,
       manifest_version, manifest
FROM versions;
DROP TABLE versions;
ALTER TABLE versions_new RENAME TO versions;
CREATE INDEX versions_by_addon_version ON versions (addon_id, version);
