//! Diff and highlight benchmark on real pdf.js updates, against git in the same run.
//!
//! Prints figures and ratios; asserts nothing (speed is reported, not tested). Run through
//! `bench/diff-bench`, which also times the CLI against `git diff | delta`:
//! `cargo bench -p vetter-review --bench diff -- [DATA_DIR]` (default `target/bench-data`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use vetter_archive::{Limits, read_archive_file};
use vetter_diff::{
    DiffOptions, IntralineOptions, LineOptions, RowKind, diff_lines, diff_lines_head, diff_trees,
    intraline,
};
use vetter_fixtures::addons::{Addon, AddonFile};
use vetter_store::Store;
use vetter_syntax::highlight::{HighlightOptions, Highlighter};
use vetter_text::TextLines;

/// Rows of one screen.
const SCREEN: usize = 60;

fn best_of<T>(n: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..n {
        let t = Instant::now();
        let v = f();
        best = best.min(t.elapsed());
        last = Some(v);
    }
    (best, last.expect("n > 0"))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Everything a viewer does before it can paint the first screen of one file's diff: decode
/// both sides, diff lines under the budget, cut hunks, pair intraline for the visible rows and
/// highlight the visible lines of both sides from a cold highlighter.
fn first_screen(path: &str, old: &[u8], new: &[u8]) -> usize {
    let (ot, nt) = (TextLines::decode(old), TextLines::decode(new));
    let lines = diff_lines_head(&ot, &nt, &LineOptions::default(), SCREEN);
    let hunks = lines.hunks(3);
    let opts = HighlightOptions::default();
    let (mut oh, mut nh) = (
        Highlighter::for_text(path, &ot, opts),
        Highlighter::for_text(path, &nt, opts),
    );
    let mut shown = 0;
    for h in &hunks {
        let rows = lines.rows(h);
        let take = rows.len().min(SCREEN - shown);
        let rows = &rows[..take];
        let (mut olo, mut ohi, mut nlo, mut nhi) = (u32::MAX, 0, u32::MAX, 0);
        for r in rows {
            if let Some(l) = r.old_line {
                olo = olo.min(l);
                ohi = ohi.max(l + 1);
            }
            if let Some(l) = r.new_line {
                nlo = nlo.min(l);
                nhi = nhi.max(l + 1);
            }
            if r.kind == RowKind::Removed
                && let (Some(a), Some(b)) = (r.old_line, r.pair)
            {
                let _ = intraline(
                    ot.content(a as usize),
                    nt.content(b as usize),
                    &IntralineOptions::default(),
                );
            }
        }
        if olo < ohi {
            let _ = oh.tokens(&ot, olo as usize..ohi as usize);
        }
        if nlo < nhi {
            let _ = nh.tokens(&nt, nlo as usize..nhi as usize);
        }
        shown += take;
        if shown >= SCREEN {
            break;
        }
    }
    shown
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn git_diff(trees: &Path, old: &str, new: &str, extra: &[&str]) -> Duration {
    best_of(3, || {
        Command::new("git")
            .current_dir(trees)
            .args(["diff", "--no-index"])
            .args(extra)
            .args([old, new])
            .stdout(Stdio::null())
            .status()
            .expect("git must be installed")
    })
    .0
}

fn pathological() -> Vec<(&'static str, String, String)> {
    let brackets = "[".repeat(100_000);
    let brackets_new = format!("{}{{{}", "[".repeat(50_000), "[".repeat(49_999));
    let mut js = String::with_capacity(4 << 20);
    let mut i = 0;
    while js.len() < 4 << 20 {
        js.push_str(&format!("var v{i}=function(a){{return a*{i}+\"s{i}\"}};"));
        i += 1;
    }
    let js_new = js
        .replacen("return a*7", "return a/7", 1)
        .replacen("v90000=", "w90000=", 1);
    let old_lines: String = (0..50_000)
        .map(|i| format!("line {i} = compute({i});\n"))
        .collect();
    let new_lines: String = (0..50_000)
        .map(|i| format!("line {i} = compute({});\n", i + 1))
        .collect();
    vec![
        ("deep.json (100,000 '[')", brackets, brackets_new),
        ("one-line-4MB.js", js + "\n", js_new + "\n"),
        ("every-line-changed.js (50,000 lines)", old_lines, new_lines),
    ]
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let data = args
        .first()
        .map_or_else(|| root.join("target/bench-data"), PathBuf::from);
    let trees = data.join("trees");
    let (old_name, new_name) = ("pdfjs-dist-5.7.284", "pdfjs-dist-6.5.438");

    // The cache, as a reviewer has it after syncing: both versions imported.
    let cache = std::env::temp_dir().join(format!("vetter-diff-bench-{}", std::process::id()));
    let mut store = Store::open(&cache).expect("open cache");
    let mut ids = Vec::new();
    for name in [old_name, new_name] {
        // pdf.js is a library, not an extension: the cache only takes add-ons, so a minimal
        // manifest.json is added at the root; every other file is the package's own.
        let zip = data.join(format!("zips/{name}.zip"));
        let archive = read_archive_file(&zip, &Limits::default())
            .unwrap_or_else(|e| panic!("{}: {e} (run bench/fetch-data)", zip.display()));
        let version = name.rsplit('-').next().unwrap_or("0");
        let manifest = format!(
            r#"{{"manifest_version": 2, "name": "pdf.js", "version": "{version}", "browser_specific_settings": {{"gecko": {{"id": "pdfjs@bench.invalid"}}}}}}"#
        );
        let mut files = vec![AddonFile {
            path: "manifest.json".into(),
            data: manifest.into_bytes(),
        }];
        files.extend(archive.entries.into_iter().map(|e| AddonFile {
            path: e.path,
            data: e.data,
        }));
        let xpi = Addon { files }.to_xpi();
        let s = store
            .import_archive(
                &format!("{name}.xpi"),
                &xpi,
                &Limits::default(),
                &mut |_| {},
            )
            .unwrap_or_else(|e| panic!("import {name}: {e}"));
        ids.push(s.version_id);
    }
    let store = store;
    println!("pdf.js {old_name} → {new_name}, from the cache");

    // 1. Full line diff of every changed file, from the cache, vs git on the extracted trees.
    let (t_ours, diff) = best_of(3, || {
        let old = vetter_review::tree::version_tree(&store, ids[0]).expect("old tree");
        let new = vetter_review::tree::version_tree(&store, ids[1]).expect("new tree");
        diff_trees(&old, &new, &DiffOptions::default()).expect("diff")
    });
    let t_git = git_diff(&trees, old_name, new_name, &[]);
    let t_git_numstat = git_diff(&trees, old_name, new_name, &["--numstat"]);
    println!(
        "full line diff: vetter {:.0} ms ({} files, +{} -{}), git diff {:.0} ms, git --numstat {:.0} ms → {:.2}× git",
        ms(t_ours),
        diff.files.len(),
        diff.totals.lines_added,
        diff.totals.lines_removed,
        ms(t_git),
        ms(t_git_numstat),
        t_ours.as_secs_f64() / t_git.as_secs_f64()
    );
    let hit = diff.files.iter().filter(|f| f.deadline_hit).count();
    println!("  files that hit the time budget: {hit}");

    // 2. First screen of every changed text file.
    let old = vetter_review::tree::version_tree(&store, ids[0]).expect("old tree");
    let new = vetter_review::tree::version_tree(&store, ids[1]).expect("new tree");
    let mut times = Vec::new();
    let mut named = Vec::new();
    for f in diff.files.iter().filter(|f| f.added.is_some()) {
        let ob = f
            .old_sha256
            .as_ref()
            .map(|_| {
                old.read(f.old_path.as_deref().unwrap_or(&f.path))
                    .expect("old bytes")
                    .into_owned()
            })
            .unwrap_or_default();
        let nb = f
            .new_sha256
            .as_ref()
            .map(|_| new.read(&f.path).expect("new bytes").into_owned())
            .unwrap_or_default();
        let (t, _) = best_of(3, || first_screen(&f.path, &ob, &nb));
        if f.path == "build/pdf.worker.min.mjs" || f.path == "build/pdf.worker.mjs.map" {
            named.push((f.path.clone(), t));
        }
        times.push(ms(t));
    }
    times.sort_by(f64::total_cmp);
    println!(
        "first screen ({SCREEN} rows) over {} changed text files: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        times.len(),
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        times.last().copied().unwrap_or(0.0)
    );
    for (p, t) in named {
        println!("  {p}: {:.2} ms", ms(t));
    }

    // 3. Pathological inputs: first screen and full diff, under the default 500 ms budget.
    for (name, a, b) in pathological() {
        let (t_first, _) = best_of(3, || first_screen(name, a.as_bytes(), b.as_bytes()));
        let (ta, tb) = (TextLines::from_text(&a), TextLines::from_text(&b));
        let (t_full, d) = best_of(1, || diff_lines(&ta, &tb, &LineOptions::default()));
        let (t_hl, _) = best_of(1, || {
            let mut h = Highlighter::for_text(name, &tb, HighlightOptions::default());
            h.tokens(&tb, 0..tb.len()).map(|v| v.len())
        });
        println!(
            "pathological {name}: first screen {:.2} ms, full line diff {:.1} ms (+{} -{}, budget hit: {}), full highlight {:.1} ms",
            ms(t_first),
            ms(t_full),
            d.added,
            d.removed,
            d.deadline_hit,
            ms(t_hl)
        );
    }
    drop(old);
    drop(new);
    drop(store);
    let _ = std::fs::remove_dir_all(&cache);
    if let Some(kib) = peak_rss_kib() {
        println!(
            "peak memory of this benchmark process (VmHWM): {:.1} MB",
            kib as f64 / 1024.0
        );
    }
}
