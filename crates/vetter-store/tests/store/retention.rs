//! `Store::prune` and its plan: which versions stay and why, that the kept ones read back byte
//! for byte, and that what goes leaves no trace in the blobs, the search index or the file size.

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::Connection;
use vetter_store::retention::{KeepReason, RetentionRules};
use vetter_store::{Store, sha256_hex};

use crate::store_import::{addon, db, import, script};

type Files = BTreeMap<String, Vec<u8>>;

/// Version `n` of a library-like add-on: a large file edited a little in each version (so each
/// is stored as a delta against the one before), a file only this version has, with a word
/// found nowhere else, and a file every version shares.
fn release(n: u64) -> Files {
    let mut lib = script(7, 4000);
    let at = lib.len() / 2;
    lib.splice(at..at, format!("// release {n}\n").into_bytes());
    let mut files = Files::new();
    files.insert("lib.js".to_owned(), lib);
    files.insert(
        format!("only{n}.js"),
        format!("const marker = 'uniqueword{n}zz';\n")
            .repeat(40)
            .into_bytes(),
    );
    files.insert("shared.js".to_owned(), script(99, 50));
    files
}

fn import_release(store: &mut Store, guid: &str, n: u64, files: &Files) -> i64 {
    let extra: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, d)| (p.as_str(), d.as_slice()))
        .collect();
    import(
        store,
        &format!("{guid}-{n}.xpi"),
        &addon(Some(guid), &format!("{n}.0"), &extra),
    )
    .unwrap()
    .version_id
}

/// Five releases of one add-on and one of another; returns (version id, files) in order.
fn cache(store: &mut Store) -> Vec<(i64, Files)> {
    let mut out = Vec::new();
    for n in 1..=5 {
        let files = release(n);
        out.push((import_release(store, "lib@example.org", n, &files), files));
    }
    let files = release(50);
    out.push((import_release(store, "other@example.org", 1, &files), files));
    store.index_pending_blobs(&mut |_, _| {}).unwrap();
    out
}

fn table_counts(conn: &Connection) -> BTreeMap<String, i64> {
    [
        "versions",
        "entries",
        "blobs",
        "paths",
        "addons",
        "search_indexed",
        "minhash_sketch",
    ]
    .iter()
    .map(|t| {
        let n = conn
            .query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))
            .unwrap();
        (t.to_string(), n)
    })
    .collect()
}

/// The checks every cache must pass after a prune (or a killed one).
fn assert_consistent(conn: &Connection) {
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    let fk: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(fk, 0, "foreign key violations");
}

/// The rowids of the trigram index that hold `word`.
fn indexed_holders(conn: &Connection, word: &str) -> Vec<i64> {
    let mut stmt = conn
        .prepare("SELECT rowid FROM search_text WHERE search_text MATCH ?1")
        .unwrap();
    let query = vetter_store::search_index::index_query(&[word]).expect("a word of 3+ characters");
    stmt.query_map([query], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn prune_keeps_the_last_versions_and_removes_the_rest_with_their_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let versions = cache(&mut store);
    let deltas_before: i64 = db(dir.path())
        .query_row(
            "SELECT count(*) FROM blobs WHERE base_id IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(deltas_before >= 4, "the releases are stored as deltas");
    let conn = db(dir.path());
    assert_eq!(indexed_holders(&conn, "uniqueword1zz").len(), 1);
    drop(conn);

    let report = store
        .prune(RetentionRules { keep_last: 2 }, &[], &mut |_| {})
        .unwrap();
    let removed: Vec<i64> = report.plan.removed.iter().map(|v| v.id).collect();
    assert_eq!(removed, [versions[0].0, versions[1].0, versions[2].0]);
    assert_eq!(report.versions_removed, 3);
    for v in &report.plan.kept {
        assert_eq!(v.reasons, [KeepReason::Recent], "{v:?}");
    }

    // Kept versions read back byte for byte (each read checks the sha256 too).
    for (id, files) in &versions[3..] {
        for (path, data) in files {
            assert_eq!(&store.read_file(*id, path).unwrap(), data, "{id} {path}");
        }
    }
    for (id, _) in &versions[..3] {
        assert!(store.version(*id).is_err(), "version {id} is gone");
    }

    let conn = db(dir.path());
    assert_consistent(&conn);
    // What no kept file uses is gone, but the earlier releases' lib.js, a few bytes each as
    // changes, which stay as the bases of release 4's rather than storing that whole.
    let unused: Vec<(i64, bool)> = {
        let mut stmt = conn
            .prepare(
                "SELECT b.id, EXISTS (SELECT 1 FROM blobs d WHERE d.base_id = b.id OR d.base2_id = b.id)
                 FROM blobs b WHERE NOT EXISTS (SELECT 1 FROM entries e WHERE e.blob_id = b.id)",
            )
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert_eq!(unused.len() as u64, report.plan.blobs_kept_as_bases);
    assert!(report.plan.blobs_kept_as_bases >= 1);
    assert!(unused.iter().all(|(_, is_base)| *is_base), "{unused:?}");
    // The removed releases' own files left the index; the kept ones' are still found.
    for n in 1..=3 {
        assert!(indexed_holders(&conn, &format!("uniqueword{n}zz")).is_empty());
    }
    for n in [4, 5, 50] {
        assert_eq!(indexed_holders(&conn, &format!("uniqueword{n}zz")).len(), 1);
    }
    let orphan_paths: i64 = conn
        .query_row(
            "SELECT count(*) FROM paths p WHERE NOT EXISTS
                 (SELECT 1 FROM entries e WHERE e.path_id = p.id)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(orphan_paths, 0);
    // Every delta's depth and frame count match its bases as they are now.
    let wrong_depth: i64 = conn
        .query_row(
            "SELECT count(*) FROM blobs d JOIN blobs b ON b.id = d.base_id
             WHERE d.base2_id IS NULL AND (d.depth <> b.depth + 1 OR d.frames <> b.frames + 1)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(wrong_depth, 0);
    assert_eq!(report.blobs_rewritten, report.plan.blobs_rewritten);
    assert!(
        report.file_bytes_after < report.file_bytes_before,
        "{} -> {}",
        report.file_bytes_before,
        report.file_bytes_after
    );
    // Search through the public API finds only kept versions.
    let found = store.search_candidates(None, &["lib"]).unwrap();
    assert!(found.iter().all(|(v, _, _)| !removed.contains(v)));
}

#[test]
fn a_large_base_of_a_small_kept_change_goes_and_the_change_is_stored_whole() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    // Release 2's lib.js is the start of release 1's, edited: stored as a change against it,
    // but far smaller whole than the 4,000 lines kept only for it.
    let big = script(7, 4000);
    let mut small = big[..big.len() / 40].to_vec();
    small.extend_from_slice(b"// release 2\n");
    let mut first = Files::new();
    first.insert("lib.js".to_owned(), big);
    let mut second = Files::new();
    second.insert("lib.js".to_owned(), small.clone());
    import_release(&mut store, "cut@example.org", 1, &first);
    let kept = import_release(&mut store, "cut@example.org", 2, &second);
    let conn = db(dir.path());
    let base: Option<i64> = conn
        .query_row(
            "SELECT b.base_id FROM files f JOIN blobs b ON b.id = f.blob_id
             WHERE f.version_id = ?1 AND f.path = 'lib.js'",
            [kept],
            |r| r.get(0),
        )
        .unwrap();
    assert!(base.is_some(), "release 2's lib.js is stored as a change");
    drop(conn);

    let report = store
        .prune(RetentionRules { keep_last: 1 }, &[], &mut |_| {})
        .unwrap();
    assert_eq!(report.plan.blobs_kept_as_bases, 0);
    // lib.js, and the manifest when it too was a change against the first one.
    assert_eq!(report.blobs_rewritten, report.plan.blobs_rewritten);
    assert!(report.blobs_rewritten >= 1);
    let conn = db(dir.path());
    assert_consistent(&conn);
    let (base, depth): (Option<i64>, i64) = conn
        .query_row(
            "SELECT b.base_id, b.depth FROM files f JOIN blobs b ON b.id = f.blob_id
             WHERE f.version_id = ?1 AND f.path = 'lib.js'",
            [kept],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((base, depth), (None, 0));
    let unused: Vec<i64> = conn
        .prepare("SELECT id FROM blobs b WHERE NOT EXISTS (SELECT 1 FROM entries e WHERE e.blob_id = b.id)")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(unused, [] as [i64; 0], "the first release's lib.js went");
    assert_eq!(store.read_file(kept, "lib.js").unwrap(), small);
}

#[test]
fn a_dry_run_changes_nothing_and_the_prune_does_what_it_said() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    cache(&mut store);
    let before = table_counts(&db(dir.path()));
    let plan = store
        .prune_plan(RetentionRules { keep_last: 1 }, &[])
        .unwrap();
    assert_eq!(table_counts(&db(dir.path())), before);
    assert_eq!(plan.removed.len(), 4);
    assert_eq!(plan.kept.len(), 2);
    assert!(plan.blobs_removed > 0 && plan.blob_bytes_removed > 0);
    assert!(plan.estimated_bytes_returned > 0);
    assert!(plan.estimated_bytes_returned <= plan.file_bytes);

    let report = store
        .prune(RetentionRules { keep_last: 1 }, &[], &mut |_| {})
        .unwrap();
    assert_eq!(report.plan.removed, plan.removed);
    assert_eq!(report.blobs_removed, plan.blobs_removed);
    assert_eq!(report.blobs_rewritten, plan.blobs_rewritten);
    // A second prune under the same rules finds nothing to do.
    let again = store
        .prune_plan(RetentionRules { keep_last: 1 }, &[])
        .unwrap();
    assert!(again.removed.is_empty());
    assert_eq!(again.blobs_removed, 0);
}

#[test]
fn queues_pins_waiting_decisions_notes_and_viewed_marks_each_keep_a_version() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let v = cache(&mut store);
    let id = |i: usize| v[i].0;
    let xpi = |i: usize| store.version(v[i].0).unwrap().xpi_sha256;
    let conn = db(dir.path());
    // The sync's view: lib@ 4.0 under review, 2.0 its last approved version (3.0 was disabled;
    // 5.0, approved later, is not what the entry diffs against).
    conn.execute_batch(
        "INSERT INTO remote_addons (id, guid, slug, name, stale)
             VALUES (1, 'lib@example.org', 'lib', 'Lib', 0);",
    )
    .unwrap();
    for (remote, local, status) in [
        (13, 1, "public"),
        (14, 2, "disabled"),
        (15, 3, "unreviewed"),
        (16, 4, "public"),
    ] {
        conn.execute(
            "INSERT INTO remote_versions (id, addon_id, version, file_id, status, sha256, size, url,
                 permissions, host_permissions, cached_version_id)
             VALUES (?1, 1, ?2, ?1, ?3, ?4, 1, 'http://127.0.0.1/x.xpi', '[]', '[]', ?5)",
            rusqlite::params![remote, format!("{remote}"), status, xpi(local), id(local)],
        )
        .unwrap();
    }
    conn.execute(
        "INSERT INTO queue_entries (id, queue, addon_id, version_id, due_date, reasons, flags, weight)
         VALUES (1, 'extension', 1, 15, '2026-01-01T00:00:00Z', '[]', '[]', 0)",
        [],
    )
    .unwrap();
    // A note on 2.0, a decision on 1.0 waiting in the outbox.
    conn.execute(
        "INSERT INTO notes (version_id, path, line, line_hash, before_hash, after_hash, excerpt,
                            body, created_at)
         VALUES (?1, 'lib.js', 1, 'h', 'h', 'h', 'x', 'look here', '2026-01-01T00:00:00Z')",
        [id(1)],
    )
    .unwrap();
    let decision = "0190f0a0-0000-7000-8000-000000000001";
    conn.execute(
        "INSERT INTO local_decisions (id, server, reviewer, addon_id, addon_guid, version_id,
             version, file_sha256, action, decided_at, decision)
         VALUES (?1, 'http://127.0.0.1:1', 'me', 1, 'lib@example.org', 11, '1.0', ?2, 'approve',
                 '2026-01-01T00:00:00Z', '{}')",
        rusqlite::params![decision, xpi(0)],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO outbox (decision_id, kid, jws, state, created_at, updated_at)
         VALUES (?1, 'k', 'a.b.c', 'pending', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
        [decision],
    )
    .unwrap();
    drop(conn);
    // 4.0 pinned; a file only 3.0 has marked viewed in lib@'s open review; the other add-on's only version holds a file marked viewed, but
    // that add-on has no open review, so the mark alone does not keep it.
    store.pin_version(id(3)).unwrap();
    let shared = sha256_hex(&v[5].1["shared.js"]);
    db(dir.path())
        .execute(
            "INSERT INTO viewed_files (guid, path, sha256, deleted, viewed_at)
             VALUES ('other@example.org', 'shared.js', ?1, 0, '2026-01-01T00:00:00Z'),
                    ('lib@example.org', 'only3.js', ?2, 0, '2026-01-01T00:00:00Z')",
            rusqlite::params![shared, sha256_hex(&v[2].1["only3.js"])],
        )
        .unwrap();

    let plan = store
        .prune_plan(RetentionRules { keep_last: 0 }, &[])
        .unwrap();
    let kept: BTreeMap<i64, Vec<KeepReason>> = plan
        .kept
        .iter()
        .map(|p| (p.id, p.reasons.clone()))
        .collect();
    let expected: BTreeMap<i64, Vec<KeepReason>> = [
        (id(0), vec![KeepReason::PendingDecision]),
        (id(1), vec![KeepReason::ReviewBase, KeepReason::Note]),
        (id(2), vec![KeepReason::Viewed]),
        (id(3), vec![KeepReason::OpenQueue, KeepReason::Pinned]),
    ]
    .into_iter()
    .collect();
    assert_eq!(kept, expected);
    let removed: BTreeSet<i64> = plan.removed.iter().map(|p| p.id).collect();
    assert_eq!(removed, BTreeSet::from([id(4), id(5)]));
    // A version open in the app stays too.
    let open = store
        .prune_plan(RetentionRules { keep_last: 0 }, &[id(4)])
        .unwrap();
    let open_kept: Vec<_> = open.kept.iter().filter(|p| p.id == id(4)).collect();
    assert_eq!(open_kept.len(), 1);
    assert_eq!(open_kept[0].reasons, [KeepReason::Open]);

    store
        .prune(RetentionRules { keep_last: 0 }, &[], &mut |_| {})
        .unwrap();
    let conn = db(dir.path());
    assert_consistent(&conn);
    // The queue entry's version link stays; the remote version whose bytes went is unlinked.
    let links: Vec<(i64, Option<i64>)> = {
        let mut stmt = conn
            .prepare("SELECT id, cached_version_id FROM remote_versions ORDER BY id")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert_eq!(
        links,
        [
            (13, Some(id(1))),
            (14, Some(id(2))),
            (15, Some(id(3))),
            (16, None)
        ]
    );
    for (i, (vid, files)) in v.iter().enumerate().take(4) {
        for (path, data) in files {
            assert_eq!(&store.read_file(*vid, path).unwrap(), data, "{i} {path}");
        }
    }
    assert_eq!(store.pinned_versions().unwrap(), [id(3)]);
    assert!(store.unpin_version(id(3)).unwrap());
    assert!(!store.unpin_version(id(3)).unwrap());
}
