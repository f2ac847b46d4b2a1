#!/usr/bin/env python3
"""Writes one frozen cache per released schema step: v01.dump … vNN.dump.

Run once when a step is released, never again for released steps: the files are the databases
that users' machines held, and `tests/store/upgrade.rs` upgrades each of them. Each step's rows are
inserted right after that step's migration, with the schema as it stood then, so later steps
transform them as they transformed real caches. The dump is sqlite3's own `.dump`.

Usage: python3 make.py STEP   (writes vSTEP.dump for step STEP from ../../../migrations)
"""
import hashlib, os, pathlib, sqlite3, subprocess, sys, tempfile

HERE = pathlib.Path(__file__).resolve().parent
MIGRATIONS = sorted((HERE / "../../../migrations").resolve().glob("*.sql"))
SCRIPT = b"console.log('frozen');\nfetch('https://example.com/x');\n"
SHA = hashlib.sha256(SCRIPT).hexdigest()
XPI = "ab" * 32
DECISION = "0190f0a0-0000-7000-8000-000000000001"

# The rows each step brought, in that step's schema.
ROWS = {
    1: ["INSERT INTO meta (key, value) VALUES ('created_by', 'vetter 0.1.0')"],
    2: [
        "INSERT INTO addons (id, guid, has_gecko_id, name) VALUES (1, 'frozen@example.com', 1, 'Frozen')",
        f"INSERT INTO blobs (id, sha256, raw_size, depth, frames, data) VALUES (1, '{SHA}', {len(SCRIPT)}, 0, 1, :frame)",
        "INSERT INTO versions (id, addon_id, version, name, source_name, xpi_sha256, xpi_size, imported_at,"
        " manifest_version, manifest)"
        f" VALUES (1, 1, '1.0', 'Frozen', 'frozen-1.0.xpi', '{XPI}', 1234, '2026-01-02T03:04:05Z', 2, '{{}}')",
        "INSERT INTO paths (id, path) VALUES (1, 'background.js')",
        "INSERT INTO entries (version_id, path_id, blob_id, category) VALUES (1, 1, 1, 0)",
    ],
    3: [
        "INSERT INTO sync_settings (key, value) VALUES ('server', 'http://127.0.0.1:47474')",
        "INSERT INTO sync_cursors (queue, cursor) VALUES ('extension', 'c-42')",
        "INSERT INTO remote_addons (id, guid, slug, name, stale) VALUES (5, 'frozen@example.com', 'frozen', 'Frozen', 0)",
        "INSERT INTO remote_versions (id, addon_id, version, file_id, status, sha256, size, url, permissions,"
        f" host_permissions, cached_version_id) VALUES (9, 5, '1.0', 77, 'unreviewed', '{XPI}', 1234,"
        " 'http://127.0.0.1:47474/firefox/downloads/file/77/frozen-1.0.xpi', '[\"tabs\"]', '[]', 1)",
        "INSERT INTO queue_entries (id, queue, addon_id, version_id, due_date, reasons, flags, weight)"
        " VALUES (3, 'extension', 5, 9, '2026-01-05T00:00:00Z', '[\"new_version\"]', '[]', 120)",
        "INSERT INTO signals (addon_id, body) VALUES (5, '[{\"scanner\":\"yara\",\"rule\":\"remote_fetch\","
        "\"path\":\"background.js\",\"line\":2}]')",
        "INSERT INTO quarantined_versions (remote_version_id, expected_sha256, actual_sha256, reason, quarantined_at)"
        f" VALUES (9, '{XPI}', '{'cd' * 32}', 'hash mismatch', 1767323045)",
    ],
    4: [
        "INSERT INTO viewed_files (guid, path, sha256, deleted, viewed_at)"
        f" VALUES ('frozen@example.com', 'background.js', '{SHA}', 0, '2026-01-02T04:00:00Z')",
    ],
    5: [
        "INSERT INTO local_decisions (id, server, reviewer, addon_id, addon_guid, version_id, version, file_sha256,"
        f" action, decided_at, decision) VALUES ('{DECISION}', 'http://127.0.0.1:47474', 'reviewer', 5,"
        f" 'frozen@example.com', 9, '1.0', '{XPI}', 'approve', '2026-01-02T05:00:00.000Z', '{{\"action\":\"approve\"}}')",
        "INSERT INTO outbox (decision_id, kid, jws, state, attempts, created_at, updated_at)"
        f" VALUES ('{DECISION}', 'kid-1', 'e30.e30.sig', 'pending', 0, '2026-01-02T05:00:00Z', '2026-01-02T05:00:00Z')",
    ],
    6: ["INSERT INTO search_indexed (blob_id, is_text) VALUES (1, 1)",
        "INSERT INTO search_text (rowid, body) VALUES (1, :script)"],
    7: [
        "INSERT INTO notes (id, version_id, path, line, line_hash, before_hash, after_hash, excerpt, body, created_at)"
        " VALUES (1, 1, 'background.js', 2, 'h2', 'h1', '', 'fetch(', 'remote fetch: check the URL', '2026-01-02T06:00:00Z')",
    ],
    8: ["INSERT INTO minhash_sketch (blob_id, sketch) VALUES (1, NULL)"],
    9: [],
    10: [
        "INSERT INTO rule_files (id, name, source, sha256, rules, enabled, added_at)"
        f" VALUES (1, 'mine.yar', 'rule r {{ condition: true }}', '{'ef' * 32}', 1, 1, '2026-01-02T07:00:00Z')",
        "INSERT INTO rule_scans (version_id, ruleset, complete, files_scanned, truncated, skipped, scanned_at)"
        f" VALUES (1, '{'01' * 32}', 1, 1, 0, '[]', '2026-01-02T07:01:00Z')",
        "INSERT INTO rule_matches (version_id, ruleset, seq, path, offset, length, line, col, rule, namespace,"
        f" pattern, tags, description) VALUES (1, '{'01' * 32}', 0, 'background.js', 23, 5, 2, 1, 'r',"
        " 'default', NULL, '[]', NULL)",
    ],
    11: [],
    12: [
        "INSERT INTO version_origins (version_id, page_url, amo_origin, amo_addon_id, amo_version_id, amo_file_id,"
        " channel, fetched_at) VALUES (1, 'https://addons.mozilla.org/en-US/firefox/addon/frozen/',"
        " 'https://addons.mozilla.org', 5, 9, 77, 'listed', '2026-01-02T08:00:00Z')",
        "INSERT INTO version_findings (version_id, source, body) VALUES (1, 'amo_validator', '{\"messages\":[]}')",
    ],
    14: [],
    15: [
        "INSERT INTO capability_analyses (version_id, key, body, analyzed_at)"
        " VALUES (1, '1:', '{\"analysis_version\": 1}', '2026-01-02T10:00:00Z')",
        "INSERT INTO linter_runs (version_id, linter_version, body, ran_at)"
        " VALUES (1, '10.14.0', '{\"messages\": []}', '2026-01-02T10:01:00Z')",
    ],
    13: [
        "INSERT INTO kept_decisions (decision_id, kid, jws, review_url, comment, created_at)"
        f" VALUES ('{DECISION}', 'kid-1', 'e30.e30.sig', 'https://addons.mozilla.org/reviewers/review/5',"
        " 'Approved.', '2026-01-02T09:00:00Z')",
    ],
    16: [
        "INSERT INTO pinned_versions (version_id, pinned_at) VALUES (1, '2026-01-02T11:00:00Z')",
    ],
    # The index rebuilt without positions: a cache at this step has every blob to index again.
    17: [],
}


def main(step: int) -> None:
    frame = subprocess.run(["zstd", "-q", "-c", "-19"], input=SCRIPT, check=True, capture_output=True).stdout
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "cache.sqlite3")
        conn = sqlite3.connect(db, isolation_level=None)
        for n, path in enumerate(MIGRATIONS[:step], 1):
            conn.executescript(path.read_text())
            for sql in ROWS[n]:
                conn.execute(sql, {"frame": frame, "script": SCRIPT.decode()} if ":" in sql else {})
            conn.execute(f"PRAGMA user_version = {n}")
        conn.close()
        dump = subprocess.run(["sqlite3", db, ".dump"], check=True, capture_output=True, text=True).stdout
    header = f"-- A cache at schema step {step}, frozen by make.py; never edit.\nPRAGMA user_version = {step};\n"
    (HERE / f"v{step:02}.dump").write_text(header + dump)


if __name__ == "__main__":
    main(int(sys.argv[1]))
