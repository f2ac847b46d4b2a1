//! Kills a real `vetter prune` at random moments and checks the cache every time: SQLite's own
//! checks pass, every version still listed reads back byte for byte, every version the rules
//! keep is there, and a second, undisturbed prune then finishes the job exactly as a prune that
//! was never killed does (same versions, no unused blob, nothing of the removed versions left in
//! the search index).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use vetter_archive::Limits;
use vetter_store::{DB_FILE, Store};
use vetter_testkit::{Rng, code_like_text as text};

use crate::cli_support::{assert_sqlite_checks_pass, fresh_copy, wait_bounded};

const RUNS: u32 = 30;
const RELEASES: usize = 10;
const SEED: u64 = 0x5EED_0F4B_7700;

type Tree = BTreeMap<String, Vec<u8>>;

fn xpi(version: &str, files: &Tree) -> Vec<u8> {
    let manifest = format!(
        r#"{{"manifest_version":2,"name":"Prune","version":"{version}","applications":{{"gecko":{{"id":"prune@test"}}}}}}"#
    )
    .into_bytes();
    let mut list: Vec<(&str, &[u8])> = vec![("manifest.json", &manifest)];
    list.extend(files.iter().map(|(p, d)| (p.as_str(), d.as_slice())));
    vetter_fixtures::zip_files(&list)
}

/// Releases of one add-on: each edits every module a little (a delta on the one before) and
/// has a file of its own holding a word found in no other release.
fn releases(rng: &mut Rng) -> Vec<(String, Tree)> {
    let mut tree = Tree::new();
    for i in 0..16 {
        tree.insert(format!("src/module{i}.js"), text(rng, 40_000));
    }
    let mut out = Vec::new();
    for n in 1..=RELEASES {
        for data in tree.values_mut() {
            let at = (rng.next_u64() as usize) % data.len();
            data.splice(at..at, text(rng, 300));
        }
        let mut files = tree.clone();
        files.insert(
            "release.txt".to_owned(),
            format!("release marker uniq{n}word\n")
                .repeat(20)
                .into_bytes(),
        );
        out.push((format!("{n}.0"), files));
    }
    out
}

fn prune(data_dir: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_vetter"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(["prune", "--keep-last", "2"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// Where a killed prune had got to, as the cache shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    /// Every version still there.
    NothingRemoved,
    /// Versions removed, unused blobs still stored (that are not some blob's delta base).
    BlobsLeft,
    /// Only blobs files use, and bases kept for them, are left (compaction may not have run).
    BlobsDone,
}

/// The checks every cache must pass after a kill; returns how far the prune had got.
fn check(data_dir: &Path, all: &[(String, Tree)], run: u32) -> Stage {
    assert_sqlite_checks_pass(data_dir, run);
    let conn = Connection::open(data_dir.join(DB_FILE)).unwrap();
    let unused = count(
        &conn,
        "SELECT count(*) FROM blobs b WHERE NOT EXISTS (SELECT 1 FROM entries e WHERE e.blob_id = b.id)
         AND NOT EXISTS (SELECT 1 FROM blobs d WHERE d.base_id = b.id OR d.base2_id = b.id)",
    );
    drop(conn);
    let store = Store::open(data_dir).unwrap();
    let versions = store.versions().unwrap();
    for v in &versions {
        let (_, files) = all
            .iter()
            .find(|(name, _)| *name == v.version)
            .unwrap_or_else(|| panic!("run {run}: unknown version {}", v.version));
        let listed = store.version_files(v.id).unwrap();
        assert_eq!(
            listed.len(),
            files.len() + 1,
            "run {run}: {} files",
            v.version
        );
        for (path, data) in files {
            assert_eq!(
                &store.read_file(v.id, path).unwrap(),
                data,
                "run {run}: {} {path}",
                v.version
            );
        }
    }
    // The rules keep the last two releases, whatever moment the kill came at.
    for (name, _) in &all[RELEASES - 2..] {
        assert!(
            versions.iter().any(|v| &v.version == name),
            "run {run}: kept version {name} lost"
        );
    }
    if versions.len() == RELEASES {
        Stage::NothingRemoved
    } else if unused > 0 {
        Stage::BlobsLeft
    } else {
        Stage::BlobsDone
    }
}

/// What a finished prune leaves: the kept versions, the blobs' hashes, and which release
/// markers the search index still finds in a file (a blob kept only as a delta base stays in
/// the index, so that a later import of the same bytes is found at once).
fn finished_state(data_dir: &Path) -> (Vec<String>, Vec<String>, Vec<usize>) {
    let conn = Connection::open(data_dir.join(DB_FILE)).unwrap();
    let mut versions: Vec<String> = conn
        .prepare("SELECT version FROM versions ORDER BY version")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    versions.sort();
    let blobs: Vec<String> = conn
        .prepare("SELECT sha256 FROM blobs ORDER BY sha256")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let found: Vec<usize> = (1..=RELEASES)
        .filter(|n| {
            count(
                &conn,
                &format!(
                    "SELECT count(*) FROM search_text WHERE search_text MATCH '{}'
                     AND rowid IN (SELECT blob_id FROM entries)",
                    vetter_store::search_index::index_query(&[format!("uniq{n}word")])
                        .expect("a long word")
                ),
            ) > 0
        })
        .collect();
    (versions, blobs, found)
}

#[test]
fn prune_killed_at_random_points_leaves_a_consistent_cache_that_a_rerun_completes() {
    let mut rng = Rng(SEED);
    let all = releases(&mut rng);
    let work = tempfile::tempdir().unwrap();
    let template = work.path().join("template");
    {
        let mut store = Store::open(&template).unwrap();
        for (version, files) in &all {
            store
                .import_archive(
                    &format!("prune-{version}.xpi"),
                    &xpi(version, files),
                    &Limits::default(),
                    &mut |_| {},
                )
                .unwrap();
        }
        store.index_pending_blobs(&mut |_, _| {}).unwrap();
    }
    assert!(!template.join(format!("{DB_FILE}-wal")).exists());
    let fresh_copy = |name: &str| fresh_copy(&template, work.path(), name);

    // One undisturbed prune: how long the window for kills is, and the state to reach.
    let dir = fresh_copy("full");
    let started = Instant::now();
    assert!(wait_bounded(&mut prune(&dir), 0).success());
    let full = started.elapsed();
    assert_eq!(check(&dir, &all, 0), Stage::BlobsDone);
    let expected = finished_state(&dir);
    let mut kept: Vec<String> = all[RELEASES - 2..].iter().map(|(v, _)| v.clone()).collect();
    kept.sort();
    assert_eq!(expected.0, kept);
    assert_eq!(expected.2, [RELEASES - 1, RELEASES]);

    let mut stages: BTreeMap<String, u32> = BTreeMap::new();
    for run in 1..=RUNS {
        let dir = fresh_copy(&format!("run{run}"));
        let window = full.as_micros() as u64 * 12 / 10;
        let delay = Duration::from_micros(rng.next_u64() % window.max(1));
        let mut child = prune(&dir);
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL; fails harmlessly if the prune already exited
        let status = wait_bounded(&mut child, run);
        let stage = if status.success() {
            "finished".to_owned()
        } else {
            format!("{:?}", check(&dir, &all, run))
        };
        *stages.entry(stage).or_default() += 1;
        // A prune after the kill ends where an undisturbed one does.
        assert!(
            wait_bounded(&mut prune(&dir), run).success(),
            "run {run}: rerun"
        );
        assert_eq!(check(&dir, &all, run), Stage::BlobsDone, "run {run}");
        assert_eq!(finished_state(&dir), expected, "run {run}: final state");
        std::fs::remove_dir_all(&dir).unwrap();
    }
    eprintln!("{RUNS} kills over a {full:?} prune, by where they landed: {stages:?}");
    let mid = stages.get("BlobsLeft").copied().unwrap_or(0);
    assert!(
        mid >= 3,
        "only {mid} kills landed while unused blobs were being removed: {stages:?}"
    );
}
