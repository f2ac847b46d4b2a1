//! Mozilla's addons-linter (what AMO runs on every upload) as the oracle of the sink analysis,
//! on the real data (`bench/fetch-data`): for every code-level finding of the linter
//! (`UNSAFE_VAR_ASSIGNMENT`, `DANGEROUS_EVAL`, `NO_IMPLIED_EVAL`, `NO_DOCUMENT_WRITE`), Vetter
//! must report a sink of a matching kind in the same file at the same line. The recall is
//! printed per package and in total and must reach 95 %; every miss is printed, and the
//! sinks only Vetter reports are counted (docs/capabilities.md explains both).
//!
//! The linter is the one `scripts/setup` pins in `tools/addons-linter`; a missing linter or
//! missing data fails the test.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use vetter_capabilities::linter::{CODE_FINDINGS, find_linter, run_linter, stored_line};
use vetter_capabilities::{InputFile, LibraryIndex, analyze_version};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fetch_data() {
    let out = Command::new(root().join("bench/fetch-data"))
        .current_dir(root())
        .output()
        .expect("bench/fetch-data runs");
    assert!(
        out.status.success(),
        "bench/fetch-data failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every regular file under `dir`, as (relative path, bytes).
fn tree_files(dir: &Path) -> Files {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("reads the tree") {
            let entry = entry.expect("reads an entry");
            let path = entry.path();
            let kind = entry.file_type().expect("file type");
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() {
                let rel = path.strip_prefix(dir).expect("under the tree");
                let rel = rel.to_string_lossy().replace('\\', "/");
                out.push((rel, std::fs::read(&path).expect("reads a file")));
            }
        }
    }
    out
}

/// A package's files as (path, bytes).
type Files = Vec<(String, Vec<u8>)>;

struct Outcome {
    name: String,
    /// `.js` files the linter calls unknown minified code, and those Vetter does.
    minified: (Vec<String>, Vec<String>),
    findings: usize,
    matched: usize,
    misses: Vec<String>,
    vetter_only: usize,
}

fn compare(name: &str, target: &Path, files: Files, linter: &Path) -> Outcome {
    let report = run_linter(linter, target).unwrap_or_else(|e| panic!("{name}: {e}"));
    let manifest = files
        .iter()
        .find(|(p, _)| p == "manifest.json")
        .and_then(|(_, b)| vetter_manifest::parse_manifest(b).ok());
    let inputs = files.iter().map(|(p, b)| InputFile { path: p, bytes: b });
    // No library index: the linter's own known-library list skips some files, so Vetter reads
    // more than the linter here, never less.
    let caps = analyze_version(manifest.as_ref(), inputs, &LibraryIndex::empty());
    let text_of = |path: &str| {
        files
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default()
    };
    let mut findings = 0;
    let mut matched = 0;
    let mut misses = Vec::new();
    let mut answered: HashSet<(String, u32)> = HashSet::new();
    for m in &report.messages {
        let Some((_, kinds)) = CODE_FINDINGS.iter().find(|(code, _)| *code == m.code) else {
            continue;
        };
        let (Some(file), Some(line)) = (&m.file, m.line) else {
            continue;
        };
        findings += 1;
        let line = stored_line(&text_of(file), line);
        let hit = caps
            .sinks
            .iter()
            .any(|s| &s.at.path == file && s.at.line == line && kinds.contains(&s.kind));
        if hit {
            matched += 1;
            answered.insert((file.clone(), line));
        } else {
            misses.push(format!("{file}:{line} {} ({})", m.code, m.message));
        }
    }
    let linter_lines: HashSet<(String, u32)> = report
        .messages
        .iter()
        .filter(|m| CODE_FINDINGS.iter().any(|(c, _)| *c == m.code))
        .filter_map(|m| {
            let file = m.file.clone()?;
            let line = stored_line(&text_of(&file), m.line?);
            Some((file, line))
        })
        .collect();
    let vetter_only = caps
        .sinks
        .iter()
        .filter(|s| {
            CODE_FINDINGS
                .iter()
                .any(|(_, kinds)| kinds.contains(&s.kind))
        })
        .filter(|s| !linter_lines.contains(&(s.at.path.clone(), s.at.line)))
        .count();
    let mut theirs = report.unknown_minified_files.clone();
    theirs.sort();
    let mut ours: Vec<String> = caps
        .obfuscation
        .iter()
        .filter(|m| m.minified && m.path.ends_with(".js"))
        .filter(|m| !report.known_libraries.contains(&m.path))
        .map(|m| m.path.clone())
        .collect();
    ours.sort();
    Outcome {
        name: name.to_owned(),
        minified: (theirs, ours),
        findings,
        matched,
        misses,
        vetter_only,
    }
}

#[test]
fn vetters_sinks_answer_every_code_finding_of_addons_linter() {
    fetch_data();
    let linter = find_linter().expect("scripts/setup installs addons-linter");
    let data = root().join("target/bench-data");
    let mut jobs: Vec<(String, PathBuf, Files)> = Vec::new();
    for name in [
        "ublock-origin",
        "privacy-badger",
        "keepassxc-browser",
        "tree-style-tab",
        "foxyproxy",
    ] {
        let zip = data.join("zips").join(format!("{name}.zip"));
        let package = vetter_archive::read_package_file(&zip, &vetter_archive::Limits::default())
            .expect("the zip reads");
        let files = package
            .archive
            .entries
            .into_iter()
            .map(|e| (e.path, e.data))
            .collect();
        jobs.push((name.to_owned(), zip, files));
    }
    // pdf.js as a package without a manifest: the linter still lints every script in it.
    let pdfjs = data.join("trees/pdfjs-dist-6.5.438");
    jobs.push((
        "pdfjs-dist-6.5.438".into(),
        pdfjs.clone(),
        tree_files(&pdfjs),
    ));

    let outcomes: Vec<Outcome> = std::thread::scope(|s| {
        let handles: Vec<_> = jobs
            .into_iter()
            .map(|(name, target, files)| {
                let linter = linter.clone();
                s.spawn(move || compare(&name, &target, files, &linter))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a comparison finishes"))
            .collect()
    });

    let mut by_name = BTreeMap::new();
    println!("addons-linter code findings answered by Vetter's sinks (same file and line):");
    println!(
        "{:<22} {:>8} {:>8} {:>8} {:>12}",
        "package", "linter", "matched", "recall", "vetter-only"
    );
    let (mut total, mut hits) = (0, 0);
    for o in &outcomes {
        let recall = if o.findings == 0 {
            100.0
        } else {
            100.0 * o.matched as f64 / o.findings as f64
        };
        println!(
            "{:<22} {:>8} {:>8} {:>7.1}% {:>12}",
            o.name, o.findings, o.matched, recall, o.vetter_only
        );
        for miss in &o.misses {
            println!("  missed: {miss}");
        }
        total += o.findings;
        hits += o.matched;
        by_name.insert(o.name.clone(), o.findings);
    }
    let recall = 100.0 * hits as f64 / total.max(1) as f64;
    println!("{:<22} {:>8} {:>8} {:>7.1}%", "all", total, hits, recall);

    // The "unknown minified code" factor counts files by the linter's criterion; Vetter
    // applies the same criterion, so both must name the same files.
    println!("unknown minified .js files (the linter's list against Vetter's):");
    let mut minified_agree = true;
    for o in &outcomes {
        let (theirs, ours) = &o.minified;
        let only_linter: Vec<_> = theirs.iter().filter(|f| !ours.contains(f)).collect();
        let only_vetter: Vec<_> = ours.iter().filter(|f| !theirs.contains(f)).collect();
        println!(
            "{:<22} linter {:>3}  vetter {:>3}  only linter {:?}  only vetter {:?}",
            o.name,
            theirs.len(),
            ours.len(),
            only_linter,
            only_vetter
        );
        minified_agree &= only_linter.is_empty() && only_vetter.is_empty();
    }
    // Printed at the end of every CI log by scripts/reliability-summary.
    let agreeing = outcomes
        .iter()
        .filter(|o| o.minified.0 == o.minified.1)
        .count();
    vetter_reliability::support::write_figures(
        "linter_oracle",
        &serde_json::json!({
            "packages": outcomes.len(),
            "findings": total,
            "answered": hits,
            "recall_percent": recall,
            "vetter_only": outcomes.iter().map(|o| o.vetter_only).sum::<usize>(),
            "minified_agreeing_packages": agreeing,
        }),
    )
    .expect("figures written");
    assert!(
        total >= 50,
        "the linter found too little to measure against: {by_name:?}"
    );
    assert!(recall >= 95.0, "recall {recall:.1}% is under 95%");
    assert!(
        minified_agree,
        "the minified files differ from the linter's (listed above)"
    );
}
