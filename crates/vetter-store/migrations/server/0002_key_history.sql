-- Reviewer keys become a history anyone can check (issue 15, finding 5): a row is never changed
-- or deleted, only revoked once; each key says when it was registered and with which algorithm;
-- each decision keeps the key id it was signed with and the time the reviewer gave, beside the
-- time the server recorded it.
--
-- Rows from before this step keep an empty `created_at` (the server did not record it).

ALTER TABLE reviewer_keys ADD COLUMN alg TEXT NOT NULL DEFAULT 'EdDSA';
ALTER TABLE reviewer_keys ADD COLUMN created_at TEXT NOT NULL DEFAULT '';
ALTER TABLE reviewer_keys ADD COLUMN revoked_at TEXT;

-- A kid names one key for ever: a registration can never swap the key behind old signatures.
CREATE TRIGGER reviewer_keys_never_change
BEFORE UPDATE OF kid, user_id, public_key, alg, created_at ON reviewer_keys
BEGIN
    SELECT RAISE(ABORT, 'reviewer_keys is insert-only: a kid never changes its key or owner');
END;
CREATE TRIGGER reviewer_keys_revoked_once
BEFORE UPDATE OF revoked_at ON reviewer_keys WHEN OLD.revoked_at IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'reviewer_keys: a revocation is final');
END;
CREATE TRIGGER reviewer_keys_kept
BEFORE DELETE ON reviewer_keys
BEGIN
    SELECT RAISE(ABORT, 'reviewer_keys is history: keys are revoked, never deleted');
END;
CREATE INDEX reviewer_keys_by_user ON reviewer_keys (user_id, created_at);

ALTER TABLE decisions ADD COLUMN kid TEXT NOT NULL DEFAULT '';
ALTER TABLE decisions ADD COLUMN decided_at TEXT NOT NULL DEFAULT '';
