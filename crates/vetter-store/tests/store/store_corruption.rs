//! A damaged or hostile cache row must give a typed error on read, never wrong bytes, a panic or
//! a huge allocation. Each test imports real data, then breaks one row with raw SQL.

use rusqlite::{Connection, params};
use vetter_archive::Limits;
use vetter_store::{DB_FILE, MAX_BLOB_SIZE, Store, StoreError};

fn script(seed: u64, lines: usize) -> Vec<u8> {
    (0..lines)
        .map(|i| format!("let v{i} = {};\n", seed * 31 + i as u64))
        .collect::<String>()
        .into_bytes()
}

fn xpi(version: &str, js: &[u8]) -> Vec<u8> {
    let manifest = format!(
        r#"{{"manifest_version":2,"name":"C","version":"{version}","applications":{{"gecko":{{"id":"c@c"}}}}}}"#
    );
    vetter_fixtures::zip_files(&[("manifest.json", manifest.as_bytes()), ("a.js", js)])
}

/// A cache with two versions of `a.js`, the second stored as a delta; returns the store, a raw
/// connection (foreign keys and CHECK constraints off, as a hostile writer would have), and the two versions' ids.
fn cache(dir: &std::path::Path) -> (Store, Connection, i64, i64) {
    let mut store = Store::open(dir).unwrap();
    let old = script(1, 3000);
    let mut new = old.clone();
    new.extend_from_slice(b"let added = true;\n");
    let v1 = store
        .import_archive("1.xpi", &xpi("1", &old), &Limits::default(), &mut |_| {})
        .unwrap();
    let v2 = store
        .import_archive("2.xpi", &xpi("2", &new), &Limits::default(), &mut |_| {})
        .unwrap();
    assert_eq!(v2.delta_blobs, 2);
    let conn = Connection::open(dir.join(DB_FILE)).unwrap();
    conn.pragma_update(None, "foreign_keys", "OFF").unwrap();
    conn.pragma_update(None, "ignore_check_constraints", "ON")
        .unwrap();
    (store, conn, v1.version_id, v2.version_id)
}

fn sha_of(conn: &Connection, version_id: i64, path: &str) -> String {
    conn.query_row(
        "SELECT sha256 FROM files WHERE version_id = ?1 AND path = ?2",
        params![version_id, path],
        |r| r.get(0),
    )
    .unwrap()
}

fn assert_corrupt(result: Result<Vec<u8>, StoreError>, sha: &str) {
    match result {
        Err(StoreError::CorruptBlob { sha256, reason }) => {
            assert_eq!(sha256, sha, "error names the damaged blob ({reason})");
        }
        other => panic!("expected CorruptBlob for {sha}, got {other:?}"),
    }
}

#[test]
fn refuses_blob_whose_compressed_bytes_were_altered() {
    let dir = tempfile::tempdir().unwrap();
    let (store, conn, v1, _) = cache(dir.path());
    let sha = sha_of(&conn, v1, "a.js");
    let mut data: Vec<u8> = conn
        .query_row("SELECT data FROM blobs WHERE sha256 = ?1", [&sha], |r| {
            r.get(0)
        })
        .unwrap();
    let mid = data.len() / 2;
    data[mid] ^= 0x55;
    conn.execute(
        "UPDATE blobs SET data = ?1 WHERE sha256 = ?2",
        params![data, sha],
    )
    .unwrap();
    assert_corrupt(store.read_file(v1, "a.js"), &sha);
}

#[test]
fn refuses_blob_whose_bytes_belong_to_another_hash() {
    let dir = tempfile::tempdir().unwrap();
    let (store, conn, v1, _) = cache(dir.path());
    let js = sha_of(&conn, v1, "a.js");
    let manifest = sha_of(&conn, v1, "manifest.json");
    // Swap in the manifest's frame and size: decodes cleanly, but to the wrong bytes.
    conn.execute(
        "UPDATE blobs SET data = (SELECT data FROM blobs WHERE sha256 = ?2),
                          raw_size = (SELECT raw_size FROM blobs WHERE sha256 = ?2)
         WHERE sha256 = ?1",
        params![js, manifest],
    )
    .unwrap();
    match store.read_blob(&js) {
        Err(StoreError::CorruptBlob { reason, .. }) => assert!(reason.contains("hash"), "{reason}"),
        other => panic!("expected a hash mismatch, got {other:?}"),
    }
}

#[test]
fn refuses_blob_that_claims_a_huge_size_without_allocating_it() {
    let dir = tempfile::tempdir().unwrap();
    let (store, conn, v1, _) = cache(dir.path());
    let sha = sha_of(&conn, v1, "a.js");
    for size in [i64::MAX, 1 << 40, MAX_BLOB_SIZE as i64 + 1, -1] {
        conn.execute(
            "UPDATE blobs SET raw_size = ?1 WHERE sha256 = ?2",
            params![size, sha],
        )
        .unwrap();
        assert_corrupt(store.read_blob(&sha), &sha);
    }
}

#[test]
fn refuses_blob_that_decodes_past_its_recorded_size() {
    let dir = tempfile::tempdir().unwrap();
    let (store, conn, v1, _) = cache(dir.path());
    let sha = sha_of(&conn, v1, "a.js");
    conn.execute("UPDATE blobs SET raw_size = 100 WHERE sha256 = ?1", [&sha])
        .unwrap();
    assert_corrupt(store.read_blob(&sha), &sha);
}

#[test]
fn refuses_delta_whose_base_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let (store, conn, v1, v2) = cache(dir.path());
    let base = sha_of(&conn, v1, "a.js");
    let delta = sha_of(&conn, v2, "a.js");
    conn.execute("DELETE FROM blobs WHERE sha256 = ?1", [&base])
        .unwrap();
    assert_corrupt(store.read_file(v2, "a.js"), &delta);
}

#[test]
fn refuses_delta_against_the_wrong_base() {
    let dir = tempfile::tempdir().unwrap();
    let (store, conn, v1, v2) = cache(dir.path());
    let other = sha_of(&conn, v1, "manifest.json");
    let delta = sha_of(&conn, v2, "a.js");
    conn.execute(
        "UPDATE blobs SET base_id = (SELECT id FROM blobs WHERE sha256 = ?1) WHERE sha256 = ?2",
        params![other, delta],
    )
    .unwrap();
    assert_corrupt(store.read_file(v2, "a.js"), &delta);
}

#[test]
fn refuses_delta_chain_that_loops() {
    let dir = tempfile::tempdir().unwrap();
    let (store, conn, _, v2) = cache(dir.path());
    let delta = sha_of(&conn, v2, "a.js");
    conn.execute("UPDATE blobs SET base_id = id WHERE sha256 = ?1", [&delta])
        .unwrap();
    // The loop is cut by the depth budget and reported on the blob where it ran out.
    assert!(matches!(
        store.read_file(v2, "a.js"),
        Err(StoreError::CorruptBlob { .. })
    ));
}

#[test]
fn refuses_rows_that_break_the_schema_rules() {
    let dir = tempfile::tempdir().unwrap();
    let (store, conn, v1, _) = cache(dir.path());
    let sha = sha_of(&conn, v1, "a.js");
    conn.execute("UPDATE blobs SET depth = 9 WHERE sha256 = ?1", [&sha])
        .unwrap();
    assert_corrupt(store.read_blob(&sha), &sha);
    conn.execute(
        "UPDATE entries SET category = 42
         WHERE version_id = ?1 AND path_id = (SELECT id FROM paths WHERE path = 'a.js')",
        [v1],
    )
    .unwrap();
    assert!(matches!(
        store.version_files(v1),
        Err(StoreError::CorruptRow { table: "files", .. })
    ));
    conn.execute("UPDATE versions SET xpi_size = -1 WHERE id = ?1", [v1])
        .unwrap();
    assert!(matches!(
        store.version(v1),
        Err(StoreError::CorruptRow {
            table: "versions",
            ..
        })
    ));
}

#[test]
fn undamaged_rows_still_read_after_a_neighbour_is_corrupted() {
    let dir = tempfile::tempdir().unwrap();
    let (store, conn, v1, v2) = cache(dir.path());
    let js = sha_of(&conn, v1, "a.js");
    conn.execute("UPDATE blobs SET data = x'00' WHERE sha256 = ?1", [&js])
        .unwrap();
    assert!(store.read_file(v1, "manifest.json").is_ok());
    assert!(store.read_file(v2, "manifest.json").is_ok());
}
