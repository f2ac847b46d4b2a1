//! Vetter's line counts on real pdf.js updates equal `git diff --no-index --numstat --minimal`.
//!
//! Runs `bench/fetch-data` (idempotent; fails rather than skips when the data cannot be had),
//! reads both versions from their zips through the archive reader, as an uploaded XPI would be,
//! and compares every changed path and every added/removed count with git on the extracted
//! trees. Exact mode, renames off: git's `--no-index` reports none either.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use vetter_archive::{Limits, read_archive_file};
use vetter_diff::{DiffOptions, LineAlgorithm, LineOptions, VersionTree, diff_trees};
use vetter_text::FileKind;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fetch() -> PathBuf {
    let status = Command::new(root().join("bench/fetch-data"))
        .status()
        .expect("bench/fetch-data must be runnable");
    assert!(status.success(), "bench/fetch-data failed: {status}");
    root().join("target/bench-data")
}

/// git's numstat: path → (added, removed), `None` for binary.
fn git_numstat(trees: &Path, old: &str, new: &str) -> BTreeMap<String, Option<(u32, u32)>> {
    let out = Command::new("git")
        .current_dir(trees)
        .args([
            "diff",
            "--no-index",
            "--numstat",
            "--minimal",
            "--no-renames",
            "-z",
            old,
            new,
        ])
        .output()
        .expect("git must be installed");
    // Exit status 1 means "differences found".
    assert!(out.status.code() == Some(1), "git diff failed: {out:?}");
    let text = String::from_utf8(out.stdout).expect("numstat is UTF-8 here");
    let mut fields = text.split('\0');
    let mut map = BTreeMap::new();
    while let Some(head) = fields.next() {
        if head.is_empty() {
            continue;
        }
        let mut parts = head.split('\t');
        let (a, d) = (parts.next().unwrap(), parts.next().unwrap());
        let (from, to) = (fields.next().unwrap(), fields.next().unwrap());
        let path = if to == "/dev/null" { from } else { to };
        let rel = path.split_once('/').map(|(_, p)| p).unwrap().to_owned();
        // git also lists mode-only changes (0 0); archives carry no modes, so these are not
        // content changes and Vetter rightly leaves them out.
        let same = std::fs::read(trees.join(old).join(&rel)).ok()
            == std::fs::read(trees.join(new).join(&rel)).ok();
        if same {
            continue;
        }
        let counts = (a != "-").then(|| (a.parse().unwrap(), d.parse().unwrap()));
        map.insert(rel, counts);
    }
    map
}

fn check_pair(old: &str, new: &str) {
    let data = fetch();
    let expected = git_numstat(&data.join("trees"), old, new);
    let open = |name: &str| {
        let archive = read_archive_file(&data.join(format!("zips/{name}.zip")), &Limits::default())
            .unwrap_or_else(|e| panic!("{name}.zip: {e}"));
        VersionTree::from_archive(name, archive)
    };
    let options = DiffOptions {
        line: LineOptions {
            algorithm: LineAlgorithm::Exact,
            ..LineOptions::default()
        },
        detect_renames: false,
        ..DiffOptions::default()
    };
    let diff = diff_trees(&open(old), &open(new), &options).unwrap();
    let ours: BTreeMap<String, Option<(u32, u32)>> = diff
        .files
        .iter()
        .map(|f| {
            let counts = match f.kind {
                FileKind::Text => Some((f.added.unwrap(), f.removed.unwrap())),
                _ => None,
            };
            (f.path.clone(), counts)
        })
        .collect();
    let missing: Vec<_> = expected.keys().filter(|k| !ours.contains_key(*k)).collect();
    let extra: Vec<_> = ours.keys().filter(|k| !expected.contains_key(*k)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, extra {extra:?}"
    );
    for (path, counts) in &expected {
        assert_eq!(&ours[path], counts, "{path}");
    }
}

#[test]
fn ordinary_update_6_4_to_6_5_matches_git_minimal() {
    check_pair("pdfjs-dist-6.4.299", "pdfjs-dist-6.5.438");
}

#[test]
fn large_update_5_7_to_6_5_matches_git_minimal() {
    check_pair("pdfjs-dist-5.7.284", "pdfjs-dist-6.5.438");
}
