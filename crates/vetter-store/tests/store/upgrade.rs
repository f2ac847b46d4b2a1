//! Every released schema step, frozen with data as users' caches held it, upgrades to today's
//! schema without losing a row, and what it held reads back through the store.
//!
//! The frozen caches are `tests/store/frozen/vNN.dump` (sqlite3 `.dump` output written by
//! `tests/store/frozen/make.py` when each step was released); a new step adds a file, never edits one.

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::Connection;
use vetter_store::viewed::ViewedMark;
use vetter_store::{DB_FILE, Store};

/// The content of the one file every frozen cache holds (`background.js` of Frozen 1.0).
const SCRIPT: &[u8] = b"console.log('frozen');\nfetch('https://example.com/x');\n";

/// The steps released so far; a test below fails when a step is added without a frozen cache.
const RELEASED: u32 = 17;

/// Tables a later step empties on purpose, with that step: their rows may go, and only there.
const EMPTIED_AT: &[(&str, u32)] = &[
    ("minhash_sketch", 14),
    ("minhash_band", 14),
    // Indexed again without positions.
    ("search_indexed", 17),
];

fn frozen(step: u32) -> String {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/store/frozen/v{step:02}.dump"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Rows per table (FTS shadow tables and SQLite's own left out).
fn row_counts(conn: &Connection) -> BTreeMap<String, i64> {
    let mut stmt = conn
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%'
             AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'search_text_%'",
        )
        .unwrap();
    let names: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    names
        .into_iter()
        .map(|t| {
            let n = conn
                .query_row(&format!("SELECT count(*) FROM \"{t}\""), [], |r| r.get(0))
                .unwrap();
            (t, n)
        })
        .collect()
}

/// Loads frozen cache `step` into a fresh data folder and returns its rows per table.
fn load(dir: &Path, step: u32) -> BTreeMap<String, i64> {
    let conn = Connection::open(dir.join(DB_FILE)).unwrap();
    conn.execute_batch(&frozen(step)).unwrap();
    let version: u32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        version, step,
        "frozen cache v{step:02} is at the wrong step"
    );
    row_counts(&conn)
}

#[test]
fn every_released_step_has_a_frozen_cache() {
    for step in 1..=RELEASED {
        assert!(frozen(step).contains(&format!("PRAGMA user_version = {step};")));
    }
    let latest = Store::open(tempfile::tempdir().unwrap().path())
        .unwrap()
        .schema_version()
        .unwrap();
    assert_eq!(
        latest, RELEASED,
        "a step was added: freeze a cache of it (tests/store/frozen/make.py) and raise RELEASED"
    );
}

#[test]
fn every_frozen_cache_upgrades_without_losing_a_row() {
    for step in 1..=RELEASED {
        let dir = tempfile::tempdir().unwrap();
        let before = load(dir.path(), step);
        let store = Store::open(dir.path())
            .unwrap_or_else(|e| panic!("upgrading the step-{step} cache failed: {e}"));
        assert_eq!(store.schema_version().unwrap(), RELEASED, "step {step}");

        let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
        let after = row_counts(&conn);
        for (table, rows) in &before {
            if EMPTIED_AT.iter().any(|(t, at)| t == table && step < *at) {
                assert_eq!(
                    after.get(table),
                    Some(&0),
                    "step {step}: {table} was to be emptied"
                );
                continue;
            }
            assert_eq!(
                after.get(table),
                Some(rows),
                "step {step}: table {table} held {rows} rows before the upgrade"
            );
        }
        let broken: i64 = conn
            .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(broken, 0, "step {step}: a foreign key points nowhere");
        let ok: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok", "step {step}");
    }
}

#[test]
fn what_a_frozen_cache_held_reads_back_through_the_store() {
    for step in 2..=RELEASED {
        let dir = tempfile::tempdir().unwrap();
        load(dir.path(), step);
        let mut store = Store::open(dir.path()).unwrap();

        let v = store.version(1).unwrap();
        assert_eq!(
            (v.guid.as_str(), v.version.as_str()),
            ("frozen@example.com", "1.0")
        );
        assert_eq!(v.files, 1, "step {step}");
        assert_eq!(
            store.read_file(1, "background.js").unwrap(),
            SCRIPT,
            "step {step}"
        );
        // Whatever the step left in the index, catching up makes the script findable.
        store.index_pending_blobs(&mut |_, _| {}).unwrap();
        let found = store
            .search_candidates(None, &["console.log('frozen')"])
            .unwrap();
        assert_eq!(
            found.len(),
            1,
            "step {step}: the index finds the frozen script"
        );

        if step >= 3 {
            let body = store.server_signals_body("frozen@example.com").unwrap();
            assert!(body.unwrap().contains("remote_fetch"), "step {step}");
        }
        if step >= 4 {
            let marks = store.viewed_marks("frozen@example.com").unwrap();
            let seen = ViewedMark {
                path: "background.js".into(),
                sha256: vetter_store::sha256_hex(SCRIPT),
                deleted: false,
            };
            assert!(marks.contains(&seen), "step {step}: {marks:?}");
        }
        if step >= 7 {
            let notes = store.notes_up_to("frozen@example.com", 1, None).unwrap();
            assert_eq!(notes.len(), 1, "step {step}");
            assert_eq!(notes[0].body, "remote fetch: check the URL");
        }
        if step >= 12 {
            assert!(v.origin.is_some(), "step {step}: the AMO origin was lost");
            let findings = store.findings(1, vetter_store::VALIDATOR_SOURCE).unwrap();
            assert_eq!(findings.as_deref(), Some("{\"messages\":[]}"));
        }
    }
}
