//! Cross-cache search times: a literal and a regex over every real add-on and pdf.js release
//! (fetched by `bench/fetch-data`), then over a generated cache of 300 versions.
//!
//! Run with `bench/search` (or `cargo bench -p vetter-review --bench search`). Prints figures;
//! the target is under 200 ms per search over the real data.
//!
//! `-- --cache DIR` instead searches an existing cache (`bench/year` passes its year-sized one)
//! with a spread of literals and regexes a reviewer would type, and prints p50 and p99 of each
//! kind.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use vetter_archive::Limits;
use vetter_review::search::{SearchLimits, SearchQuery, catch_up, search};
use vetter_store::Store;

const EXTENSIONS: &[&str] = &[
    "ublock-origin",
    "privacy-badger",
    "keepassxc-browser",
    "tree-style-tab",
    "foxyproxy",
];
const PDFJS: &[&str] = &["5.7.284", "6.4.299", "6.5.438"];
const RUNS: usize = 7;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Median time of `grep -rnE` (or `-rnF` for a literal) over the extracted trees, binary files
/// skipped (`-I`) as the search skips them, in the C locale like the real-data test.
fn time_grep(trees: &[PathBuf], pattern: &str, fixed: bool) -> (Duration, usize) {
    let mut times = Vec::new();
    let mut lines = 0;
    for _ in 0..RUNS {
        let t = Instant::now();
        let out = Command::new("grep")
            .env("LC_ALL", "C")
            .arg(if fixed { "-rnIF" } else { "-rnIE" })
            .arg("-e")
            .arg(pattern)
            .args(trees)
            .output()
            .expect("grep runs");
        times.push(t.elapsed());
        assert!(out.status.code().is_some_and(|c| c <= 1), "grep failed");
        lines = out
            .stdout
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .count();
    }
    (median(times), lines)
}

fn time_queries(store: &mut Store, label: &str, trees: Option<&[PathBuf]>) {
    let queries = [
        ("literal \"new Function\"", {
            let mut q = SearchQuery::regex("new Function");
            q.fixed_strings = true;
            q
        }),
        (r"regex eval\(", SearchQuery::regex(r"eval\(")),
        (
            r"regex fetch\([a-z]+\.url",
            SearchQuery::regex(r"fetch\([a-z]+\.url"),
        ),
        (
            "regex without literals \\w+@\\w+\\.com",
            SearchQuery::regex(r"\w+@\w+\.com"),
        ),
    ];
    for (name, q) in queries {
        let mut times = Vec::new();
        let mut hits = 0;
        let mut scanned = 0;
        for _ in 0..RUNS {
            let t = Instant::now();
            let r = search(store, &q, &SearchLimits::default()).expect("search runs");
            times.push(t.elapsed());
            hits = r.hits.len();
            scanned = r.bytes_scanned;
        }
        let ours = median(times);
        println!(
            "{label}: {name}: median {ours:?} over {RUNS} runs ({hits} hits, {:.1} MB scanned)",
            scanned as f64 / 1e6
        );
        if let Some(trees) = trees {
            let (grep, lines) = time_grep(trees, &q.pattern, q.fixed_strings);
            println!(
                "{label}: {name}: grep -rn{} on the extracted trees: median {grep:?} ({lines} \
                 lines); vetter/grep = {:.2}",
                if q.fixed_strings { "IF" } else { "IE" },
                ours.as_secs_f64() / grep.as_secs_f64()
            );
        }
    }
}

fn real_data(root: &Path) {
    let status = Command::new(root.join("bench/fetch-data"))
        .current_dir(root)
        .status()
        .expect("bench/fetch-data runs");
    assert!(status.success(), "bench/fetch-data failed");
    let zips = root.join("target/bench-data/zips");
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let t = Instant::now();
    for name in EXTENSIONS {
        let bytes = std::fs::read(zips.join(format!("{name}.zip"))).unwrap();
        store
            .import_archive(name, &bytes, &Limits::default(), &mut |_| {})
            .unwrap();
    }
    for v in PDFJS {
        let xpi = vetter_testkit::pdfjs_xpi(
            &zips.join(format!("pdfjs-dist-{v}.zip")),
            v,
            "pdfjs-bundle@bench.invalid",
        )
        .unwrap();
        store
            .import_archive(
                &format!("pdfjs-{v}.xpi"),
                &xpi,
                &Limits::default(),
                &mut |_| {},
            )
            .unwrap();
    }
    println!("real data: 8 versions imported in {:?}", t.elapsed());
    let t = Instant::now();
    let n = catch_up(&mut store).unwrap();
    println!(
        "real data: index catch-up of {n} blobs in {:?} (done by `vetter import`/sync and the app's background indexer, not by the first search)",
        t.elapsed()
    );
    // The first search after the import against the ones after it (issue 19: as fast).
    let mut literal = SearchQuery::regex("new Function");
    literal.fixed_strings = true;
    let times: Vec<Duration> = (0..3)
        .map(|_| {
            let t = Instant::now();
            search(&mut store, &literal, &SearchLimits::default()).unwrap();
            t.elapsed()
        })
        .collect();
    println!(
        "real data: first search after the import {:?}, second {:?}, third {:?} (first/second {:.2}×)",
        times[0],
        times[1],
        times[2],
        times[0].as_secs_f64() / times[1].as_secs_f64()
    );
    let mut trees: Vec<PathBuf> = EXTENSIONS
        .iter()
        .map(|n| root.join("target/bench-data/trees").join(n))
        .collect();
    trees.extend(
        PDFJS
            .iter()
            .map(|v| root.join(format!("target/bench-data/trees/pdfjs-dist-{v}"))),
    );
    time_queries(&mut store, "real data", Some(&trees));
}

/// One generated file: varied JavaScript whose content depends on `seed`.
fn generated_js(seed: usize, lines: usize) -> String {
    let mut s = String::new();
    for i in 0..lines {
        s.push_str(&format!(
            "function f{seed}_{i}(a){{return a.map(function(x){{return x*{}+{i}}}).filter(Boolean)}}\n",
            (seed * 7 + i) % 97
        ));
        if (seed + i).is_multiple_of(211) {
            s.push_str("var g=new Function('return this')();\n");
        }
        if (seed + i).is_multiple_of(173) {
            s.push_str(&format!("eval(atob('{seed}'));\n"));
        }
    }
    s
}

fn generated_cache() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let t = Instant::now();
    // 30 add-ons × 10 versions; each version changes two of its 20 files.
    for addon in 0..30 {
        for version in 0..10 {
            let manifest = format!(
                r#"{{"manifest_version":2,"name":"gen {addon}","version":"1.{version}","browser_specific_settings":{{"gecko":{{"id":"gen{addon}@bench.invalid"}}}}}}"#
            );
            let mut files: Vec<(String, Vec<u8>)> =
                vec![("manifest.json".to_owned(), manifest.into_bytes())];
            for f in 0..20 {
                let changed = if f < 2 { version } else { 0 };
                let seed = addon * 1000 + f * 10 + changed;
                files.push((format!("js/m{f}.js"), generated_js(seed, 400).into_bytes()));
            }
            let xpi = vetter_fixtures::zip_files(&files);
            store
                .import_archive(
                    &format!("gen{addon}-{version}.xpi"),
                    &xpi,
                    &Limits::default(),
                    &mut |_| {},
                )
                .unwrap();
        }
    }
    println!("generated: 300 versions imported in {:?}", t.elapsed());
    let t = Instant::now();
    let n = catch_up(&mut store).unwrap();
    println!(
        "generated: index catch-up of {n} blobs in {:?}",
        t.elapsed()
    );
    time_queries(&mut store, "generated 300 versions", None);
}

/// Literals a reviewer looks for across add-ons.
const YEAR_LITERALS: &[&str] = &[
    "new Function",
    "eval(",
    "innerHTML",
    "outerHTML",
    "document.write",
    "document.cookie",
    "XMLHttpRequest",
    "localStorage",
    "postMessage",
    "atob(",
    "fromCharCode",
    "chrome.tabs.query",
    "browser.runtime.sendMessage",
    "webRequest",
    "setTimeout(\"",
    "importScripts",
    "createElement(\"script\")",
    "insertAdjacentHTML",
    "nativeMessaging",
    "unsafe-eval",
];

/// Regexes a reviewer types: most with a literal the index can use, two without.
const YEAR_REGEXES: &[&str] = &[
    r"eval\(",
    r"fetch\([a-z]+\.url",
    r"new\s+Function\s*\(",
    r"document\.(write|cookie)",
    r"https?://[a-z0-9.-]+\.(ru|cn|tk|top)/",
    r"chrome\.(tabs|cookies|history)\.\w+",
    r#"setTimeout\(\s*['"]"#,
    r"String\.fromCharCode\(\d+",
    r"atob\([a-zA-Z_$]+\)",
    r"\.innerHTML\s*=\s*[a-z]",
    r"\w+@\w+\.com",
    r"[0-9a-f]{32}",
];

/// Nearest-rank percentile of sorted times.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

/// p50/p99 of searching `cache` for the year's literals and regexes, each run `rounds` times.
fn existing_cache(cache: &Path, rounds: usize) {
    // Opening a folder without a cache would make an empty one and time nothing.
    assert!(
        cache.join(vetter_store::DB_FILE).is_file(),
        "{} holds no Vetter cache (cargo bench runs in the crate's folder: give an absolute path)",
        cache.display()
    );
    let mut store = Store::open(cache).expect("the cache opens");
    let indexed = catch_up(&mut store).expect("the index catches up");
    println!(
        "cache {}: {indexed} blobs left to index before searching",
        cache.display()
    );
    for (kind, patterns, fixed) in [
        ("literal", YEAR_LITERALS, true),
        ("regex", YEAR_REGEXES, false),
    ] {
        let mut times = Vec::new();
        let mut slowest = (Duration::ZERO, "");
        let mut hits = 0;
        for _ in 0..rounds {
            for pattern in patterns {
                let mut q = SearchQuery::regex(pattern);
                q.fixed_strings = fixed;
                let t = Instant::now();
                let r = search(&mut store, &q, &SearchLimits::default()).expect("search runs");
                let took = t.elapsed();
                hits += r.hits.len();
                times.push(took);
                if took > slowest.0 {
                    slowest = (took, pattern);
                }
            }
        }
        times.sort();
        println!(
            "search, {kind}: p50 {:.0} ms, p99 {:.0} ms over {} searches ({} patterns × {rounds}; {} hits per round); slowest: {:?} {:.0} ms",
            percentile(&times, 50.0).as_secs_f64() * 1e3,
            percentile(&times, 99.0).as_secs_f64() * 1e3,
            times.len(),
            patterns.len(),
            hits / rounds.max(1),
            slowest.1,
            slowest.0.as_secs_f64() * 1e3,
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--cache") {
        let cache = args.get(i + 1).expect("--cache DIR");
        let rounds = args
            .iter()
            .position(|a| a == "--rounds")
            .and_then(|i| args.get(i + 1)?.parse().ok())
            .unwrap_or(5);
        existing_cache(Path::new(cache), rounds);
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    real_data(&root);
    generated_cache();
}
