//! `vetter decide` says which add-on the package really is: a manifest gecko id other than the
//! server's guid is a warning on stderr, before anything is signed.

use crate::cli_support;

use cli_support::vetter;
use rusqlite::{Connection, params};
use vetter_fixtures::addons::mv2_addon;

/// Imports the fixture add-on (manifest id `tab-notes@vetter.test`) with the real binary and
/// writes the rows a sync leaves: add-on 7 filed by the server under `guid`, its version 71
/// under review with that package's bytes.
fn synced_package(dir: &std::path::Path, guid: &str) {
    let xpi = dir.join("tab-notes.xpi");
    std::fs::write(&xpi, mv2_addon().to_xpi()).unwrap();
    let out = vetter(dir, &["import", xpi.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let conn = Connection::open(dir.join(vetter_store::DB_FILE)).unwrap();
    let cached: i64 = conn
        .query_row("SELECT id FROM versions", [], |r| r.get(0))
        .unwrap();
    conn.execute(
        "INSERT INTO remote_addons (id, guid, slug, name, stale) VALUES (7, ?1, 'tabs', 'Tabs', 0)",
        [guid],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO remote_versions (id, addon_id, version, file_id, status, sha256, size, url,
             permissions, host_permissions, cached_version_id)
         VALUES (71, 7, '1.0.0', 71, 'nominated', ?1, 10, 'http://x/', '[]', '[]', ?2)",
        params!["2".repeat(64), cached],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO queue_entries (id, queue, addon_id, version_id, due_date, reasons, flags, weight)
         VALUES (1, 'extension', 7, 71, '2026-09-10T10:00:00Z', '[]', '[]', 0)",
        [],
    )
    .unwrap();
}

/// Runs `vetter decide 7 reject --version-id 71 …`; no server is remembered, so it stops after
/// the checks that come before signing. Returns stderr.
fn decide_stderr(dir: &std::path::Path) -> String {
    let out = vetter(
        dir,
        &[
            "decide",
            "7",
            "reject",
            "--version-id",
            "71",
            "--reason",
            "policy-remote-code",
            "--offline",
        ],
    );
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn decide_warns_when_the_manifest_names_another_addon_than_the_server() {
    let dir = tempfile::tempdir().unwrap();
    synced_package(dir.path(), "tabs@example.org");
    let stderr = decide_stderr(dir.path());
    assert!(
        stderr.contains(
            "warning: the package's manifest declares gecko id \"tab-notes@vetter.test\""
        ) && stderr.contains("\"tabs@example.org\""),
        "{stderr}"
    );
}

#[test]
fn decide_says_nothing_when_the_manifest_is_the_servers_addon() {
    let dir = tempfile::tempdir().unwrap();
    synced_package(dir.path(), "tab-notes@vetter.test");
    let stderr = decide_stderr(dir.path());
    // It got past the check: it stopped only for the missing login.
    assert!(stderr.contains("no server yet"), "{stderr}");
    assert!(!stderr.contains("warning:"), "{stderr}");
}
