//! The capability analysis of a 1,000-file version built from the real data (`bench/fetch-data`:
//! pdf.js 6.5.438 and uBlock Origin, the two largest trees), the target being under 1 s on
//! this machine; then the cached answer (what reopening a review costs), and Mozilla's
//! addons-linter on the same files as the named peer (what AMO runs on upload), with the ratio.
//!
//! Run with `bench/capabilities` (or `cargo bench -p vetter-capabilities --bench inspect`).
//! Prints figures; `--no-linter` skips the peer.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use vetter_capabilities::linter::{find_linter, run_linter};
use vetter_capabilities::{Capabilities, InputFile, LibraryIndex, analyze_version};

const FILES: usize = 1000;
const RUNS: usize = 5;

fn tree_files(dir: &Path, prefix: &str, out: &mut Vec<(String, Vec<u8>)>) {
    let mut stack = vec![dir.to_owned()];
    let mut found = Vec::new();
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("reads the tree").flatten() {
            let path = entry.path();
            match entry.file_type() {
                Ok(t) if t.is_dir() => stack.push(path),
                Ok(t) if t.is_file() => found.push(path),
                _ => {}
            }
        }
    }
    found.sort();
    for path in found {
        let rel = path
            .strip_prefix(dir)
            .expect("inside")
            .to_string_lossy()
            .replace('\\', "/");
        out.push((
            format!("{prefix}{rel}"),
            std::fs::read(&path).expect("reads a file"),
        ));
    }
}

fn main() {
    let with_linter = !std::env::args().any(|a| a == "--no-linter");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let fetched = Command::new(root.join("bench/fetch-data"))
        .current_dir(&root)
        .status()
        .expect("bench/fetch-data runs");
    assert!(fetched.success(), "bench/fetch-data failed");
    let trees = root.join("target/bench-data/trees");
    let mut files = Vec::new();
    tree_files(&trees.join("ublock-origin"), "", &mut files);
    tree_files(
        &trees.join("pdfjs-dist-6.5.438"),
        "vendor/pdfjs/",
        &mut files,
    );
    files.truncate(FILES);
    let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    let manifest = files
        .iter()
        .find(|(p, _)| p == "manifest.json")
        .and_then(|(_, b)| vetter_manifest::parse_manifest(b).ok());
    let analyzed = files
        .iter()
        .filter(|(p, _)| vetter_capabilities::is_analyzed(p))
        .count();

    let index = LibraryIndex::empty();
    let mut times = Vec::new();
    let mut caps: Option<Capabilities> = None;
    for _ in 0..RUNS {
        let t = Instant::now();
        let inputs = files.iter().map(|(p, b)| InputFile { path: p, bytes: b });
        caps = Some(analyze_version(manifest.as_ref(), inputs, &index));
        times.push(t.elapsed());
    }
    times.sort();
    let median = times[RUNS / 2];
    let caps = caps.expect("ran");
    println!(
        "capability analysis of {} files ({} analysed, {:.1} MB): median {:.0} ms of {RUNS} runs (target < 1000 ms)",
        files.len(),
        analyzed,
        bytes as f64 / 1e6,
        ms(median)
    );
    println!(
        "  found {} endpoints, {} sinks, {} APIs, {} permissions, {} files with obfuscation measures; {} read by tokens",
        caps.endpoints.len(),
        caps.sinks.len(),
        caps.apis.len(),
        caps.permissions.len(),
        caps.obfuscation.len(),
        caps.token_read.len()
    );
    // Reopening a review reads the stored analysis back instead.
    let body = serde_json::to_string(&caps).expect("encodes");
    let t = Instant::now();
    let back: Capabilities = serde_json::from_str(&body).expect("decodes");
    println!(
        "  cached: reading the stored analysis back ({} kB of JSON) takes {:.1} ms",
        body.len() / 1024,
        ms(t.elapsed())
    );
    assert_eq!(back.sinks.len(), caps.sinks.len());

    if !with_linter {
        return;
    }
    let Ok(linter) = find_linter() else {
        println!("peer: addons-linter not installed (scripts/setup installs it); skipped");
        return;
    };
    let dir = tempfile::tempdir().expect("temporary folder");
    for (p, b) in &files {
        let path: PathBuf = dir.path().join(p);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("folders");
        std::fs::write(&path, b).expect("writes");
    }
    let t = Instant::now();
    let report = run_linter(&linter, dir.path()).expect("the linter runs");
    let linter_time = t.elapsed();
    println!(
        "peer: addons-linter {} on the same files: {:.1} s ({} messages); Vetter takes {:.3}× its time",
        report.linter_version,
        linter_time.as_secs_f64(),
        report.messages.len(),
        median.as_secs_f64() / linter_time.as_secs_f64()
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
