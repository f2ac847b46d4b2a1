-- The reference review server's database on PostgreSQL: the same tables as the SQLite file
-- after its fifth step (crates/vetter-store/migrations/server/), in PostgreSQL's types.
--
-- Queue entries carry a `seq` from one counter that only grows; removed entries stay as
-- tombstones, so a client's cursor (the last `seq` it saw) finds exactly what changed since.
-- Writers that take a `seq` (queue changes, decisions) hold one transaction-scoped advisory lock,
-- so numbers are committed in order even with several server processes.

CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE api_keys (
    key TEXT PRIMARY KEY, secret TEXT NOT NULL, user_id BIGINT NOT NULL,
    name TEXT NOT NULL, username TEXT NOT NULL);
CREATE TABLE addons (
    id BIGINT PRIMARY KEY, guid TEXT NOT NULL UNIQUE, slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL, summary TEXT NOT NULL);
CREATE TABLE versions (
    id BIGINT PRIMARY KEY, addon_id BIGINT NOT NULL REFERENCES addons (id),
    version TEXT NOT NULL, status TEXT NOT NULL, created TEXT NOT NULL,
    sha256 TEXT NOT NULL, size BIGINT NOT NULL, permissions TEXT NOT NULL,
    host_permissions TEXT NOT NULL, data BYTEA NOT NULL);
CREATE INDEX versions_by_addon ON versions (addon_id, version);
CREATE TABLE queue_entries (
    id BIGINT PRIMARY KEY, queue TEXT NOT NULL, addon_id BIGINT NOT NULL REFERENCES addons (id),
    version_id BIGINT NOT NULL REFERENCES versions (id), due_date TEXT NOT NULL,
    reasons TEXT NOT NULL, flags TEXT NOT NULL, weight BIGINT NOT NULL,
    seq BIGINT NOT NULL UNIQUE, removed BOOLEAN NOT NULL DEFAULT false);
CREATE INDEX queue_entries_by_queue ON queue_entries (queue, seq);
CREATE INDEX queue_entries_by_addon ON queue_entries (addon_id, seq);
CREATE TABLE signals (addon_id BIGINT PRIMARY KEY REFERENCES addons (id), body TEXT NOT NULL);
CREATE TABLE vocabulary (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    body TEXT NOT NULL CHECK ((body::jsonb) IS NOT NULL));

-- Reviewer keys are a history anyone can check: a row is never changed or deleted, only
-- revoked once. `registered` orders keys registered in the same second.
CREATE TABLE reviewer_keys (
    kid TEXT PRIMARY KEY, user_id BIGINT NOT NULL, public_key TEXT NOT NULL,
    alg TEXT NOT NULL DEFAULT 'EdDSA', created_at TEXT NOT NULL DEFAULT '', revoked_at TEXT,
    registered BIGSERIAL NOT NULL);
CREATE INDEX reviewer_keys_by_user ON reviewer_keys (user_id, created_at);

CREATE FUNCTION reviewer_keys_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'reviewer_keys is history: keys are revoked, never deleted';
    END IF;
    IF NEW.kid IS DISTINCT FROM OLD.kid OR NEW.user_id IS DISTINCT FROM OLD.user_id
       OR NEW.public_key IS DISTINCT FROM OLD.public_key OR NEW.alg IS DISTINCT FROM OLD.alg
       OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
        RAISE EXCEPTION 'reviewer_keys is insert-only: a kid never changes its key or owner';
    END IF;
    IF OLD.revoked_at IS NOT NULL AND NEW.revoked_at IS DISTINCT FROM OLD.revoked_at THEN
        RAISE EXCEPTION 'reviewer_keys: a revocation is final';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER reviewer_keys_guard BEFORE UPDATE OR DELETE ON reviewer_keys
    FOR EACH ROW EXECUTE FUNCTION reviewer_keys_guard();

-- The decision log is the audit trail: append-only, enforced by the database.
CREATE TABLE decisions (
    seq BIGINT PRIMARY KEY, id TEXT NOT NULL UNIQUE, user_id BIGINT NOT NULL,
    body BYTEA NOT NULL, result TEXT NOT NULL, recorded_at TEXT NOT NULL,
    kid TEXT NOT NULL DEFAULT '', decided_at TEXT NOT NULL DEFAULT '');
CREATE FUNCTION decisions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'decisions is an append-only log: a recorded decision never changes';
END $$;
CREATE TRIGGER decisions_append_only BEFORE UPDATE OR DELETE ON decisions
    FOR EACH ROW EXECUTE FUNCTION decisions_append_only();
CREATE TRIGGER decisions_no_truncate BEFORE TRUNCATE ON decisions
    FOR EACH STATEMENT EXECUTE FUNCTION decisions_append_only();

-- Who has an add-on's review open, renewed while it stays open; in the database so every
-- server process sees it.
CREATE TABLE presence (
    user_id BIGINT NOT NULL, addon_id BIGINT NOT NULL, name TEXT NOT NULL,
    expires_at BIGINT NOT NULL, PRIMARY KEY (user_id, addon_id));
CREATE INDEX presence_by_addon ON presence (addon_id, expires_at);

-- Request tokens already used (JWT `jti`), shared by every server process so a token cannot
-- be replayed against another one; rows go once their token has expired.
CREATE TABLE used_tokens (
    iss TEXT NOT NULL, jti TEXT NOT NULL, expires_at BIGINT NOT NULL, PRIMARY KEY (iss, jti));
CREATE INDEX used_tokens_by_expiry ON used_tokens (expires_at);
