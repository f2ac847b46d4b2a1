-- The second migration step: bytes that did not hash to the advertised value may have been
-- tampered with on the way (a proxy, a broken mirror) rather than be wrong at the source, so
-- such a quarantine is retried by later syncs with a growing delay, a bounded number of times.
--
-- - `attempts`: downloads of this version (with this expected hash) that ended refused.
-- - `retry_at`: unix seconds from which a sync downloads it again; `NULL` when it must not be
-- retried (the bytes matched the hash but broke the archive rules, the retries are spent, or
-- a retry succeeded). The row itself stays, so the refusal remains on record for audit.
--
-- Rows quarantined before this step for a hash mismatch become retryable at once.

ALTER TABLE quarantined_versions ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1 CHECK (attempts >= 1);
ALTER TABLE quarantined_versions ADD COLUMN retry_at INTEGER;
UPDATE quarantined_versions SET retry_at = quarantined_at
    WHERE actual_sha256 IS NULL OR actual_sha256 <> expected_sha256;
