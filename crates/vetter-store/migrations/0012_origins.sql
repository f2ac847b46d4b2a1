-- Step 12: the origin of fetched versions and the store's findings per version.

CREATE TABLE version_origins (
    version_id INTEGER PRIMARY KEY REFERENCES versions (id) ON DELETE CASCADE,
    page_url TEXT NOT NULL,
    amo_origin TEXT NOT NULL,
    amo_addon_id INTEGER NOT NULL,
    amo_version_id INTEGER NOT NULL,
    amo_file_id INTEGER NOT NULL,
    channel TEXT NOT NULL,
    fetched_at TEXT NOT NULL
) STRICT;

CREATE TABLE version_findings (
    version_id INTEGER NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
    source TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (version_id, source)
) STRICT;
