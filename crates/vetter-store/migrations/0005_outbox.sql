-- The migration step that adds the local decisions and the outbox (appended to the store's
-- migration list).
--
-- - `local_decisions` holds each decision's JSON exactly as signed; the columns beside it are
-- copies for listing and filtering.
-- - `outbox.jws` is the compact JWS sent verbatim on every attempt (the server compares bytes).
-- - `outbox.response` is the server's JSON answer: the receipt when accepted, the error with
-- the current state for a conflict or a rejection.

CREATE TABLE local_decisions (
    id TEXT PRIMARY KEY CHECK (length(id) = 36),
    server TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    addon_id INTEGER NOT NULL,
    addon_guid TEXT NOT NULL,
    version_id INTEGER NOT NULL,
    version TEXT NOT NULL,
    file_sha256 TEXT NOT NULL CHECK (length(file_sha256) = 64),
    action TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    decision TEXT NOT NULL
) STRICT;

CREATE TABLE outbox (
    decision_id TEXT PRIMARY KEY REFERENCES local_decisions (id),
    kid TEXT NOT NULL,
    jws TEXT NOT NULL,
    state TEXT NOT NULL
        CHECK (state IN ('pending', 'sending', 'accepted', 'conflict', 'rejected')),
    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    last_error TEXT,
    error_code TEXT,
    response TEXT
) STRICT;

CREATE INDEX outbox_by_state ON outbox (state, created_at);
