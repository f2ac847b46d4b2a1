-- Who has an add-on's review open: one row per reviewer and add-on, with the name shown,
-- renewed by the reviewer's app while the review stays open and ignored once it expires (the
-- app may close without saying so). In the database, so every server process sees it.
CREATE TABLE presence (
    user_id INTEGER NOT NULL,
    addon_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, addon_id)
) STRICT;
CREATE INDEX presence_by_addon ON presence (addon_id, expires_at);
