//! Importing XPIs into the version cache: round trips, dedup, deltas, identities and refusals.

use std::collections::BTreeMap;

use rusqlite::Connection;
use vetter_archive::Limits;
use vetter_store::{DB_FILE, ImportProgress, MAX_DELTA_DEPTH, MAX_READ_FRAMES, Store, StoreError};

/// Zips `files` (path → bytes) with the project's own zip writer.
pub(crate) fn zip(files: &BTreeMap<String, Vec<u8>>) -> Vec<u8> {
    let list: Vec<(&String, &Vec<u8>)> = files.iter().collect();
    vetter_fixtures::zip_files(&list)
}

pub(crate) fn manifest(id: Option<&str>, name: &str, version: &str) -> Vec<u8> {
    let gecko = id
        .map(|id| format!(r#","browser_specific_settings":{{"gecko":{{"id":"{id}"}}}}"#))
        .unwrap_or_default();
    format!(r#"{{"manifest_version":3,"name":"{name}","version":"{version}"{gecko}}}"#).into_bytes()
}

pub(crate) fn addon(id: Option<&str>, version: &str, extra: &[(&str, &[u8])]) -> Vec<u8> {
    let mut files = BTreeMap::new();
    files.insert("manifest.json".to_owned(), manifest(id, "Tester", version));
    for (path, data) in extra {
        files.insert((*path).to_owned(), data.to_vec());
    }
    zip(&files)
}

/// Readable JavaScript of about `lines` lines, different for each `seed`.
pub(crate) fn script(seed: u64, lines: usize) -> Vec<u8> {
    (0..lines)
        .map(|i| {
            format!(
                "export function handler{i}(event) {{ return event.value * {}; }}\n",
                seed + i as u64
            )
        })
        .collect::<String>()
        .into_bytes()
}

pub(crate) fn import(
    store: &mut Store,
    name: &str,
    xpi: &[u8],
) -> Result<vetter_store::ImportSummary, StoreError> {
    store.import_archive(name, xpi, &Limits::default(), &mut |_| {})
}

pub(crate) fn db(dir: &std::path::Path) -> Connection {
    Connection::open(dir.join(DB_FILE)).unwrap()
}

#[test]
fn imported_files_read_back_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let js = script(1, 300);
    let png = [0x89, b'P', b'N', b'G', 0, 1, 2, 3, 255];
    let xpi = addon(
        Some("tester@example.org"),
        "1.0",
        &[("bg.js", &js), ("icons/a.png", &png), ("empty.txt", b"")],
    );
    let summary = import(&mut store, "tester-1.0.xpi", &xpi).unwrap();
    assert_eq!(summary.guid, "tester@example.org");
    assert_eq!(summary.version, "1.0");
    assert_eq!(summary.files, 4);
    assert_eq!(summary.new_blobs, 4);
    assert_eq!(summary.delta_blobs, 0);
    assert!(!summary.already_present);
    assert_eq!(store.read_file(summary.version_id, "bg.js").unwrap(), js);
    assert_eq!(
        store.read_file(summary.version_id, "icons/a.png").unwrap(),
        png
    );
    assert_eq!(
        store.read_file(summary.version_id, "empty.txt").unwrap(),
        b""
    );
    let files = store.version_files(summary.version_id).unwrap();
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        ["bg.js", "empty.txt", "icons/a.png", "manifest.json"]
    );
    assert_eq!(files[0].size, js.len() as u64);
    assert_eq!(store.read_blob(&files[0].sha256).unwrap(), js);
    let info = store.version(summary.version_id).unwrap();
    assert_eq!(info.source_name, "tester-1.0.xpi");
    assert_eq!(info.manifest_version, 3);
    assert_eq!(info.xpi_size, xpi.len() as u64);
    let manifest = store.version_manifest(summary.version_id).unwrap();
    assert_eq!(manifest["name"], "Tester");
}

#[test]
fn importing_the_same_xpi_twice_is_a_reported_no_op() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let xpi = addon(Some("a@b"), "1.0", &[("a.js", &script(1, 50))]);
    let first = import(&mut store, "a.xpi", &xpi).unwrap();
    let again = import(&mut store, "copy-of-a.xpi", &xpi).unwrap();
    assert!(again.already_present);
    assert_eq!(again.version_id, first.version_id);
    assert_eq!((again.new_blobs, again.bytes_added), (0, 0));
    assert_eq!(again.files, first.files);
    assert_eq!(store.versions().unwrap().len(), 1);
}

#[test]
fn files_shared_by_two_versions_are_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let lib = script(7, 400);
    let v1 = import(
        &mut store,
        "1.xpi",
        &addon(Some("a@b"), "1.0", &[("lib.js", &lib), ("same.js", &lib)]),
    )
    .unwrap();
    // Two paths with the same bytes in one version share one blob too.
    assert_eq!(v1.new_blobs, 2);
    let v2 = import(
        &mut store,
        "2.xpi",
        &addon(
            Some("a@b"),
            "2.0",
            &[("lib.js", &lib), ("moved/lib.js", &lib)],
        ),
    )
    .unwrap();
    assert_eq!(v2.new_blobs, 1, "only the manifest is new");
    let blobs: i64 = db(dir.path())
        .query_row("SELECT count(*) FROM blobs", [], |r| r.get(0))
        .unwrap();
    assert_eq!(blobs, 3);
    assert_eq!(store.read_file(v2.version_id, "moved/lib.js").unwrap(), lib);
}

#[test]
fn changed_file_is_stored_as_a_small_delta_against_the_previous_version() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let old = script(3, 5000);
    let mut new = old.clone();
    new.splice(
        20_000..20_000,
        b"console.log('a reviewer should see this');\n"
            .iter()
            .copied(),
    );
    let v1 = import(
        &mut store,
        "1.xpi",
        &addon(Some("a@b"), "1.0", &[("big.js", &old)]),
    )
    .unwrap();
    let v2 = import(
        &mut store,
        "2.xpi",
        &addon(Some("a@b"), "2.0", &[("big.js", &new)]),
    )
    .unwrap();
    assert_eq!(
        v2.delta_blobs, 2,
        "big.js and the manifest both change by a few bytes"
    );
    assert!(
        v2.bytes_added * 20 < v1.bytes_added,
        "delta import added {} bytes, whole import {}",
        v2.bytes_added,
        v1.bytes_added
    );
    assert_eq!(store.read_file(v2.version_id, "big.js").unwrap(), new);
    assert_eq!(store.read_file(v1.version_id, "big.js").unwrap(), old);
}

#[test]
fn delta_chains_never_exceed_the_depth_limit() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let mut content = script(11, 3000);
    let mut expected = Vec::new();
    for v in 0..7u8 {
        content.extend_from_slice(format!("// release {v}\n").as_bytes());
        let s = import(
            &mut store,
            &format!("{v}.xpi"),
            &addon(Some("a@b"), &format!("1.{v}"), &[("main.js", &content)]),
        )
        .unwrap();
        expected.push((s.version_id, content.clone()));
    }
    let max_depth: i64 = db(dir.path())
        .query_row("SELECT max(depth) FROM blobs", [], |r| r.get(0))
        .unwrap();
    assert_eq!(max_depth, i64::from(MAX_DELTA_DEPTH));
    let deltas: i64 = db(dir.path())
        .query_row(
            "SELECT count(*) FROM blobs WHERE base_id IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        deltas >= 6,
        "every later main.js should be a delta, got {deltas}"
    );
    for (id, bytes) in expected {
        assert_eq!(store.read_file(id, "main.js").unwrap(), bytes);
    }
}

#[test]
fn addon_without_gecko_id_is_grouped_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let old = script(5, 2000);
    let mut new = old.clone();
    new.extend_from_slice(b"// more\n");
    let v1 = import(&mut store, "1.xpi", &addon(None, "1.0", &[("a.js", &old)])).unwrap();
    let v2 = import(&mut store, "2.xpi", &addon(None, "1.1", &[("a.js", &new)])).unwrap();
    assert_eq!(v1.guid, "noid:Tester");
    assert_eq!(v2.guid, v1.guid);
    assert!(
        v2.delta_blobs >= 1,
        "the second version deltas against the first"
    );
    assert!(!store.version(v2.version_id).unwrap().has_gecko_id);
    let prev = store.previous_version(v2.version_id).unwrap().unwrap();
    assert_eq!(prev.id, v1.version_id);
}

#[test]
fn other_bytes_for_a_cached_version_are_kept_as_another_build() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let first = import(
        &mut store,
        "a.xpi",
        &addon(Some("a@b"), "1.0", &[("a.js", b"1")]),
    )
    .unwrap();
    let second = import(
        &mut store,
        "evil.xpi",
        &addon(Some("a@b"), "1.0", &[("a.js", b"2")]),
    )
    .unwrap();
    assert_ne!(first.version_id, second.version_id);
    assert_eq!(second.build.same_version_builds, 1);
    assert_eq!(store.versions().unwrap().len(), 2);
}

#[test]
fn refused_archive_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let mut files = BTreeMap::new();
    files.insert(
        "manifest.json".to_owned(),
        b"{\"manifest_version\": 3, \"name\": ".to_vec(),
    );
    files.insert("a.js".to_owned(), script(1, 100));
    let err = import(&mut store, "broken.xpi", &zip(&files)).unwrap_err();
    assert!(
        matches!(&err, StoreError::Manifest { source_name, .. } if source_name == "broken.xpi"),
        "{err}"
    );

    let err = import(&mut store, "garbage.xpi", b"not a zip at all").unwrap_err();
    assert!(
        matches!(&err, StoreError::Archive { source_name, .. } if source_name == "garbage.xpi"),
        "{err}"
    );

    let conn = db(dir.path());
    for table in ["addons", "versions", "files", "blobs"] {
        let n: i64 = conn
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0, "{table} must stay empty");
    }
}

#[test]
fn progress_reports_every_file_then_the_commit() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let xpi = addon(Some("a@b"), "1.0", &[("a.js", b"aaaa"), ("b.js", b"bb")]);
    let mut events = Vec::new();
    store
        .import_archive("a.xpi", &xpi, &Limits::default(), &mut |p| events.push(p))
        .unwrap();
    let total = manifest(Some("a@b"), "Tester", "1.0").len() as u64 + 6;
    assert_eq!(
        events.first(),
        Some(&ImportProgress::Started {
            files: 3,
            bytes: total
        })
    );
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, ImportProgress::Stored { .. }))
            .count(),
        3
    );
    assert_eq!(
        events[events.len() - 2],
        ImportProgress::Stored {
            files_done: 3,
            bytes_done: total
        }
    );
    assert_eq!(events.last(), Some(&ImportProgress::Committing));
}

#[test]
fn versions_lists_every_import_grouped_by_addon() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    import(&mut store, "z1.xpi", &addon(Some("z@z"), "1", &[])).unwrap();
    import(&mut store, "a1.xpi", &addon(Some("a@a"), "1", &[])).unwrap();
    import(&mut store, "z2.xpi", &addon(Some("z@z"), "2", &[])).unwrap();
    let listed: Vec<(String, String)> = store
        .versions()
        .unwrap()
        .into_iter()
        .map(|v| (v.guid, v.version))
        .collect();
    assert_eq!(
        listed,
        [
            ("a@a".into(), "1".into()),
            ("z@z".into(), "1".into()),
            ("z@z".into(), "2".into())
        ]
    );
    let stats = store.stats().unwrap();
    assert_eq!(stats.versions, 3);
}

#[test]
fn import_file_uses_the_file_name_and_reports_unreadable_paths() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("data")).unwrap();
    let path = dir.path().join("tester-1.0.xpi");
    std::fs::write(&path, addon(Some("a@b"), "1.0", &[])).unwrap();
    let s = store
        .import_file(&path, &Limits::default(), &mut |_| {})
        .unwrap();
    assert_eq!(s.source_name, "tester-1.0.xpi");
    let missing = dir.path().join("missing.xpi");
    let err = store
        .import_file(&missing, &Limits::default(), &mut |_| {})
        .unwrap_err();
    assert!(matches!(err, StoreError::ReadSource { .. }), "{err}");
}

#[test]
fn fixture_update_stores_only_the_changed_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let v1 = vetter_fixtures::mv3_addon();
    let v2 = vetter_fixtures::next_version(&v1);
    let s1 = import(&mut store, "v1.xpi", &v1.to_xpi()).unwrap();
    let s2 = import(&mut store, "v2.xpi", &v2.to_xpi()).unwrap();
    assert_eq!(s1.guid, v1.id());
    assert_eq!(s2.version, v2.version());
    let changed = v2
        .files
        .iter()
        .filter(|f| v1.file(&f.path) != Some(f.data.as_slice()))
        .count() as u64;
    assert_eq!(
        s2.new_blobs, changed,
        "unchanged files must reuse their blobs"
    );
    assert_eq!(
        store.previous_version(s2.version_id).unwrap().unwrap().id,
        s1.version_id
    );
    for f in &v2.files {
        assert_eq!(
            store.read_file(s2.version_id, &f.path).unwrap(),
            f.data,
            "{}",
            f.path
        );
    }
    for f in &v1.files {
        assert_eq!(
            store.read_file(s1.version_id, &f.path).unwrap(),
            f.data,
            "{}",
            f.path
        );
    }
}

/// `legacy/x.js` is `x.js` with a header and polyfills: two builds of one source, as pdf.js
/// ships; each release inserts a new block of code into both.
fn two_builds(seed: u64, release: u8) -> (Vec<u8>, Vec<u8>) {
    let mut modern = script(seed, 4000);
    for r in 0..release {
        let at = modern.len() / (usize::from(r) + 2);
        let change = script(1000 + u64::from(r) * 7919, 100);
        modern.splice(at..at, change);
    }
    let mut legacy = b"/* legacy build: transpiled for older engines */\n".to_vec();
    for (i, chunk) in modern.chunks(20_000).enumerate() {
        legacy.extend_from_slice(chunk);
        legacy.extend_from_slice(format!("/* polyfill {i} */\n").as_bytes());
    }
    (modern, legacy)
}

#[test]
fn second_build_of_a_change_is_a_delta_on_both_its_old_self_and_its_sibling() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let (m1, l1) = two_builds(21, 0);
    let (m2, l2) = two_builds(21, 1);
    let s1 = import(
        &mut store,
        "1.xpi",
        &addon(Some("a@b"), "1.0", &[("x.js", &m1), ("legacy/x.js", &l1)]),
    )
    .unwrap();
    let s2 = import(
        &mut store,
        "2.xpi",
        &addon(Some("a@b"), "2.0", &[("x.js", &m2), ("legacy/x.js", &l2)]),
    )
    .unwrap();
    let conn = db(dir.path());
    let files = store.version_files(s2.version_id).unwrap();
    let sha = |p: &str| files.iter().find(|f| f.path == p).unwrap().sha256.clone();
    let (base2, frames): (Option<String>, i64) = conn
        .query_row(
            "SELECT (SELECT sha256 FROM blobs b2 WHERE b2.id = b.base2_id), b.frames
             FROM blobs b WHERE b.sha256 = ?1",
            [sha("legacy/x.js")],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        base2,
        Some(sha("x.js")),
        "the new modern build is the second base"
    );
    assert!(frames <= i64::from(MAX_READ_FRAMES));
    assert_eq!(store.read_file(s2.version_id, "legacy/x.js").unwrap(), l2);
    assert_eq!(store.read_file(s2.version_id, "x.js").unwrap(), m2);
    assert_eq!(store.read_file(s1.version_id, "legacy/x.js").unwrap(), l1);
}

#[test]
fn reads_never_decode_more_than_the_frame_limit_across_many_releases() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let mut expected = Vec::new();
    for release in 0..8u8 {
        let (modern, legacy) = two_builds(5, release);
        let s = import(
            &mut store,
            &format!("{release}.xpi"),
            &addon(
                Some("a@b"),
                &format!("1.{release}"),
                &[("x.js", &modern), ("legacy/x.js", &legacy)],
            ),
        )
        .unwrap();
        expected.push((s.version_id, modern, legacy));
    }
    let conn = db(dir.path());
    let (depth, frames, two_base): (i64, i64, i64) = conn
        .query_row(
            "SELECT max(depth), max(frames), count(base2_id) FROM blobs",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert!(depth <= i64::from(MAX_DELTA_DEPTH) && frames <= i64::from(MAX_READ_FRAMES));
    assert!(two_base >= 1, "some legacy build used its sibling");
    for (id, modern, legacy) in expected {
        assert_eq!(store.read_file(id, "x.js").unwrap(), modern);
        assert_eq!(store.read_file(id, "legacy/x.js").unwrap(), legacy);
    }
}

#[test]
fn a_localised_name_is_shown_from_the_default_locale_and_kept_raw_in_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    // The project's own fixture: name `__MSG_extensionName__`, default locale `en`.
    let tab_notes = vetter_fixtures::addons::mv2_addon();
    let summary = import(&mut store, "notes.xpi", &tab_notes.to_xpi()).unwrap();
    assert_eq!(summary.name, "Tab Notes");
    let info = store.version(summary.version_id).unwrap();
    assert_eq!(info.name, "Tab Notes");
    let manifest: String = db(dir.path())
        .query_row(
            "SELECT manifest FROM versions WHERE id = ?1",
            [summary.version_id],
            |r| r.get(0),
        )
        .unwrap();
    assert!(manifest.contains("__MSG_extensionName__"), "{manifest}");

    // Without the default locale's messages, or with a broken one, the name stays as written.
    let mut files = BTreeMap::new();
    files.insert(
        "manifest.json".to_owned(),
        br#"{"manifest_version":2,"name":"__MSG_n__","version":"1.0","default_locale":"en","browser_specific_settings":{"gecko":{"id":"loc@example.com"}}}"#.to_vec(),
    );
    let plain = import(&mut store, "1.xpi", &zip(&files)).unwrap();
    assert_eq!(plain.name, "__MSG_n__");
    files.insert(
        "_locales/en/messages.json".to_owned(),
        b"{not json".to_vec(),
    );
    files.insert(
        "manifest.json".to_owned(),
        br#"{"manifest_version":2,"name":"__MSG_n__","version":"1.1","default_locale":"en","browser_specific_settings":{"gecko":{"id":"loc@example.com"}}}"#.to_vec(),
    );
    let broken = import(&mut store, "2.xpi", &zip(&files)).unwrap();
    assert_eq!(broken.name, "__MSG_n__");
}

#[test]
fn search_indexing_interrupted_mid_way_keeps_its_finished_batches_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let files: Vec<(String, Vec<u8>)> = (0..600)
        .map(|n| (format!("src/f{n}.js"), script(n, 3)))
        .collect();
    let extra: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, d)| (p.as_str(), d.as_slice()))
        .collect();
    import(
        &mut store,
        "many.xpi",
        &addon(Some("many@example.org"), "1.0", &extra),
    )
    .unwrap();
    let total = store.unindexed_blobs().unwrap();
    assert!(total > 600, "{total}");
    // A run that dies after 300 files (a kill, a crash) keeps the first whole batch.
    let died = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        store
            .index_pending_blobs(&mut |done, _| assert!(done < 300, "stopped"))
            .unwrap();
    }));
    assert!(died.is_err());
    let left = store.unindexed_blobs().unwrap();
    assert_eq!(left, total - vetter_store::search_index::INDEX_BATCH as u64);
    // The next run does only the rest, and then nothing is left.
    let mut reported_total = 0;
    let done = store
        .index_pending_blobs(&mut |_, total| reported_total = total)
        .unwrap();
    assert_eq!((done, reported_total), (left, left));
    assert_eq!(store.unindexed_blobs().unwrap(), 0);
}
