-- The index's tables, a migration step of the cache (see `store::schema`).
--
-- `search_text` is a contentless FTS5 trigram index over the text of each blob (rowid =
-- `blobs.id`); positions are kept so each literal is matched as a phrase of consecutive
-- trigrams (a substring, ignoring case), which narrows far more than trigrams anywhere.
-- `search_indexed` records every blob looked at, text or not, so a catch-up indexes only what
-- is new.

CREATE VIRTUAL TABLE search_text USING fts5(body, content='', tokenize='trigram');
CREATE TABLE search_indexed (
    blob_id INTEGER PRIMARY KEY REFERENCES blobs (id),
    is_text INTEGER NOT NULL CHECK (is_text IN (0, 1))
) STRICT;
