//! Kills a real `vetter import` at random moments and checks that the cache survives every time:
//! `PRAGMA integrity_check` is `ok`, and the version being imported is either fully there (every
//! file readable with the right bytes) or not there at all.
//!
//! The add-on is a few MB so that the import's one transaction runs long enough for kills to
//! land inside it; the test counts how many did (the WAL holds frames of a transaction that
//! never committed) and fails if too few did, since then it would prove nothing.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use vetter_archive::Limits;
use vetter_store::{DB_FILE, Store};

use crate::cli_support::{assert_sqlite_checks_pass, fresh_copy, wait_bounded};

const RUNS: u32 = 50;
const SEED: u64 = 0x5EED_0F4B_1100;

use vetter_testkit::{Rng, code_like_text as text};

fn manifest(version: &str) -> Vec<u8> {
    format!(
        r#"{{"manifest_version":2,"name":"Kill","version":"{version}","applications":{{"gecko":{{"id":"kill@test"}}}}}}"#
    )
    .into_bytes()
}

fn xpi(version: &str, files: &BTreeMap<String, Vec<u8>>) -> Vec<u8> {
    let manifest = manifest(version);
    let mut list: Vec<(&str, &[u8])> = vec![("manifest.json", &manifest)];
    list.extend(files.iter().map(|(p, d)| (p.as_str(), d.as_slice())));
    vetter_fixtures::zip_files(&list)
}

type Tree = BTreeMap<String, Vec<u8>>;

/// Checks the cache after a kill; returns whether version 2 is present.
fn check(data_dir: &Path, v1: &Tree, v2: &Tree, run: u32) -> bool {
    assert_sqlite_checks_pass(data_dir, run);

    let store = Store::open(data_dir).unwrap();
    let versions = store.versions().unwrap();
    let old = versions
        .iter()
        .find(|v| v.version == "1.0")
        .unwrap_or_else(|| panic!("run {run}: version 1 lost"));
    for (path, data) in v1 {
        assert_eq!(
            &store.read_file(old.id, path).unwrap(),
            data,
            "run {run}: v1 {path}"
        );
    }
    let Some(new) = versions.iter().find(|v| v.version == "2.0") else {
        let files: i64 = rusqlite::Connection::open(data_dir.join(DB_FILE))
            .unwrap()
            .query_row("SELECT count(*) FROM files", [], |r| r.get(0))
            .unwrap();
        assert_eq!(
            files as usize,
            v1.len() + 1,
            "run {run}: stray file rows of version 2"
        );
        return false;
    };
    let listed = store.version_files(new.id).unwrap();
    assert_eq!(listed.len(), v2.len() + 1, "run {run}: partial file list");
    for (path, data) in v2 {
        assert_eq!(
            &store.read_file(new.id, path).unwrap(),
            data,
            "run {run}: {path}"
        );
    }
    true
}

fn run_import(data_dir: &Path, xpi: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_vetter"))
        .arg("--data-dir")
        .arg(data_dir)
        .arg("import")
        .arg(xpi)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn import_killed_at_random_points_leaves_all_or_nothing() {
    let mut rng = Rng(SEED);
    // Version 1: text files; version 2 edits each (deltas), drops some, adds incompressible
    // ones, so the transaction both computes for a while and writes megabytes of pages.
    let mut v1 = BTreeMap::new();
    for i in 0..20 {
        v1.insert(format!("src/module{i}.js"), text(&mut rng, 120_000));
    }
    let mut v2 = BTreeMap::new();
    for (i, (path, data)) in v1.iter().enumerate() {
        if i % 7 == 3 {
            continue;
        }
        let mut new = data.clone();
        let at = (rng.next_u64() as usize) % new.len();
        new.splice(at..at, text(&mut rng, 2000));
        v2.insert(path.clone(), new);
    }
    for i in 0..6 {
        v2.insert(
            format!("assets/blob{i}.bin"),
            (0..400_000)
                .map(|_| rng.next_u64() as u8)
                .collect::<Vec<u8>>(),
        );
    }
    assert_eq!(v2.len(), v1.len() - 3 + 6);

    let work = tempfile::tempdir().unwrap();
    let template = work.path().join("template");
    {
        let mut store = Store::open(&template).unwrap();
        store
            .import_archive("1.xpi", &xpi("1.0", &v1), &Limits::default(), &mut |_| {})
            .unwrap();
    }
    // Closing the last connection checkpointed the WAL, so copies start from the main file only.
    assert!(!template.join(format!("{DB_FILE}-wal")).exists());
    let v2_path = work.path().join("kill-2.0.xpi");
    std::fs::write(&v2_path, xpi("2.0", &v2)).unwrap();
    let fresh_copy = |name: &str| fresh_copy(&template, work.path(), name);

    // One undisturbed import measures how long the window for kills is.
    let dir = fresh_copy("full");
    let started = Instant::now();
    let status = wait_bounded(&mut run_import(&dir, &v2_path), 0);
    let full = started.elapsed();
    assert!(status.success(), "undisturbed import failed");
    assert!(check(&dir, &v1, &v2, 0));

    let test_started = Instant::now();
    let (mut present, mut mid_transaction, mut absent) = (0, 0, 0);
    // The window follows what the kills find, since the machine's load (other tests run beside
    // this one) changes how long an import takes: a kill after the commit shortens it, a kill
    // before any write lengthens it, so most kills land inside the transaction either way.
    let mut window = full.as_micros() as u64 * 13 / 10;
    for run in 1..=RUNS {
        let dir = fresh_copy(&format!("run{run}"));
        // Uniform over the window, which runs past the commit, so kills also land after it.
        let delay = Duration::from_micros(rng.next_u64() % window.max(1));
        let mut child = run_import(&dir, &v2_path);
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL; fails harmlessly if the import already exited
        wait_bounded(&mut child, run);
        let wal = std::fs::metadata(dir.join(format!("{DB_FILE}-wal")))
            .map(|m| m.len())
            .unwrap_or(0);
        if check(&dir, &v1, &v2, run) {
            present += 1;
            window = window * 85 / 100;
        } else if wal > 0 {
            mid_transaction += 1;
        } else {
            absent += 1;
            window = window * 110 / 100;
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
    eprintln!(
        "{RUNS} kills over a {full:?} import: {present} after commit, {mid_transaction} \
         mid-transaction (uncommitted pages in the WAL), {absent} before any write; \
         {:?} in all",
        test_started.elapsed()
    );
    assert!(
        mid_transaction >= RUNS / 5,
        "only {mid_transaction} of {RUNS} kills landed inside the transaction"
    );
}
