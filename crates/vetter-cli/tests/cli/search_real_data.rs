//! Search on real data: every real extension and pdf.js release fetched by `bench/fetch-data`
//! (see docs/bench-data.md) is imported, and a cross-cache search must find exactly the lines
//! `grep -rnEI` finds in the extracted trees. The fetch runs first and a failure fails the test
//! (never a skip): a missing data set must not look like a pass.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use vetter_archive::Limits;
use vetter_review::search::{SearchLimits, SearchQuery, search};
use vetter_store::Store;

use crate::real_data_support;
use real_data_support::{EXTENSIONS, PDFJS, bench_data, pdfjs_xpi, zip_path};

/// (tree name, path, line) for every line grep finds; binary files skipped as with `-I`.
fn grep(trees: &Path, names: &[String], pattern: &str) -> BTreeSet<(String, String, u32)> {
    let mut out = BTreeSet::new();
    for name in names {
        let dir = trees.join(name);
        let result = Command::new("grep")
            .env("LC_ALL", "C")
            .args(["-rnEI", "-e", pattern, "."])
            .current_dir(&dir)
            .output()
            .expect("grep runs");
        assert!(result.status.code().is_some_and(|c| c <= 1), "grep failed");
        for line in result
            .stdout
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
        {
            let line = String::from_utf8_lossy(line);
            let rest = line.strip_prefix("./").expect("grep prints ./path");
            let mut parts = rest.splitn(3, ':');
            let path = parts.next().unwrap().to_owned();
            let no: u32 = parts.next().unwrap().parse().unwrap();
            out.insert((name.clone(), path, no));
        }
    }
    out
}

#[test]
fn cross_cache_search_matches_grep_on_the_extracted_trees() {
    let data = bench_data();
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let mut names_by_version = std::collections::HashMap::new();
    let mut tree_names = Vec::new();
    for name in EXTENSIONS {
        let bytes = std::fs::read(zip_path(name)).unwrap();
        let s = store
            .import_archive(name, &bytes, &Limits::default(), &mut |_| {})
            .unwrap();
        names_by_version.insert(s.version_id, (*name).to_owned());
        tree_names.push((*name).to_owned());
    }
    for v in PDFJS {
        let s = store
            .import_archive(
                &format!("pdfjs-{v}.xpi"),
                &pdfjs_xpi(v),
                &Limits::default(),
                &mut |_| {},
            )
            .unwrap();
        names_by_version.insert(s.version_id, format!("pdfjs-dist-{v}"));
        tree_names.push(format!("pdfjs-dist-{v}"));
    }
    let t = Instant::now();
    let indexed = vetter_review::search::catch_up(&mut store).unwrap();
    eprintln!("indexed {indexed} blobs in {:?}", t.elapsed());
    assert!(indexed > 1000, "every distinct blob is indexed once");

    for (pattern, fixed) in [(r"eval\(", false), ("new Function", true)] {
        let mut query = SearchQuery::regex(pattern);
        query.fixed_strings = fixed;
        let t = Instant::now();
        let results = search(&mut store, &query, &SearchLimits::default()).unwrap();
        let took = t.elapsed();
        eprintln!(
            "{pattern:?}: {} hits, {} blobs / {} bytes scanned in {took:?}",
            results.hits.len(),
            results.blobs_scanned,
            results.bytes_scanned
        );
        assert!(results.stopped.is_none());
        assert!(!results.index_literals.is_empty(), "the index narrows");
        let ours: BTreeSet<(String, String, u32)> = results
            .hits
            .iter()
            .map(|h| {
                (
                    names_by_version[&h.version_id].clone(),
                    h.path.clone(),
                    h.line,
                )
            })
            .collect();
        assert_eq!(ours.len(), results.hits.len(), "one hit per line");
        let grep_pattern = if fixed { "new Function" } else { pattern };
        let theirs = grep(&data.join("trees"), &tree_names, grep_pattern);
        assert!(theirs.len() > 10, "the real data has hits for {pattern}");
        let missing: Vec<_> = theirs.difference(&ours).take(5).collect();
        let extra: Vec<_> = ours.difference(&theirs).take(5).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{pattern}: missing {missing:?}, extra {extra:?}"
        );
    }
}
