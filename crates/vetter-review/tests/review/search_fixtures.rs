//! Search over generated add-ons: scope, context, binary files, limits and refusals.

use vetter_archive::Limits;
use vetter_review::search::{SearchError, SearchLimits, SearchQuery, SearchStop, search};
use vetter_store::Store;

fn store_with_two_versions() -> (tempfile::TempDir, Store, i64, i64) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let mut ids = Vec::new();
    for (v, extra) in [("1", ""), ("2", "\nwindow.eval(code);")] {
        let manifest = format!(
            r#"{{"manifest_version":2,"name":"s","version":"{v}","browser_specific_settings":{{"gecko":{{"id":"s@example"}}}}}}"#
        );
        let js = format!("one();\ntwo();\nEval(x);\nthree();{extra}\n");
        let binary = b"\x00\x01eval(binary)\x00".to_vec();
        let xpi = vetter_fixtures::zip_files(&[
            ("manifest.json", manifest.as_bytes()),
            ("lib/a.js", js.as_bytes()),
            ("data.bin", binary.as_slice()),
            ("crlf.txt", b"x\r\neval(crlf)\r\n".as_slice()),
        ]);
        ids.push(
            store
                .import_archive(&format!("{v}.xpi"), &xpi, &Limits::default(), &mut |_| {})
                .unwrap()
                .version_id,
        );
    }
    (dir, store, ids[0], ids[1])
}

#[test]
fn finds_lines_across_versions_and_skips_binary_files() {
    let (_dir, mut store, v1, v2) = store_with_two_versions();
    let r = search(
        &mut store,
        &SearchQuery::regex(r"eval\("),
        &SearchLimits::default(),
    )
    .unwrap();
    let hits: Vec<(i64, &str, u32, u32)> = r
        .hits
        .iter()
        .map(|h| (h.version_id, h.path.as_str(), h.line, h.column))
        .collect();
    assert_eq!(
        hits,
        [
            (v1, "crlf.txt", 2, 0),
            (v2, "crlf.txt", 2, 0),
            (v2, "lib/a.js", 5, 7)
        ]
    );
    assert_eq!(r.hits[2].excerpt.text, "window.eval(code);");
    assert_eq!(r.index_literals, ["eval("]);
}

#[test]
fn version_scope_case_globs_and_context() {
    let (_dir, mut store, v1, _) = store_with_two_versions();
    let mut q = SearchQuery::regex("eval(");
    q.fixed_strings = true;
    q.ignore_case = true;
    q.version_id = Some(v1);
    q.globs = vec!["lib/**".into()];
    q.context = 1;
    let r = search(&mut store, &q, &SearchLimits::default()).unwrap();
    assert_eq!(r.hits.len(), 1);
    let hit = &r.hits[0];
    assert_eq!((hit.line, hit.length), (3, 5));
    assert_eq!(hit.before[0].text, "two();");
    assert_eq!(hit.after[0].text, "three();");
}

#[test]
fn limits_stop_the_search_and_say_so() {
    let (_dir, mut store, _, _) = store_with_two_versions();
    let limits = SearchLimits {
        max_hits: 1,
        ..SearchLimits::default()
    };
    let r = search(&mut store, &SearchQuery::regex("e"), &limits).unwrap();
    assert_eq!(r.hits.len(), 1);
    assert_eq!(r.stopped, Some(SearchStop::HitLimit));
    let tiny = SearchLimits {
        max_scan_bytes: 4,
        ..SearchLimits::default()
    };
    let r = search(&mut store, &SearchQuery::regex("e"), &tiny).unwrap();
    assert_eq!(r.stopped, Some(SearchStop::ByteBudget));
}

#[test]
fn hostile_and_invalid_patterns_are_refused_with_a_reason() {
    let (_dir, mut store, _, _) = store_with_two_versions();
    for pattern in [r"(a{1000}){1000}", "(unclosed", r"\p{NoSuchClass}"] {
        match search(
            &mut store,
            &SearchQuery::regex(pattern),
            &SearchLimits::default(),
        ) {
            Err(SearchError::Pattern {
                pattern: p,
                message,
            }) => {
                assert_eq!(p, pattern);
                assert!(!message.is_empty());
            }
            other => panic!("{pattern}: {other:?}"),
        }
    }
    let mut q = SearchQuery::regex("x");
    q.globs = vec!["[".into()];
    assert!(matches!(
        search(&mut store, &q, &SearchLimits::default()),
        Err(SearchError::Glob { .. })
    ));
}

#[test]
fn catching_up_reports_each_new_blob_then_nothing_is_left() {
    let (_dir, mut store, _, _) = store_with_two_versions();
    let mut seen = Vec::new();
    let indexed =
        vetter_review::search::catch_up_with(&mut store, &mut |p| seen.push((p.done, p.total)))
            .unwrap();
    assert!(indexed > 0);
    let total = seen[0].1;
    assert_eq!(total, indexed, "every new blob is indexed");
    let want: Vec<(u64, u64)> = (1..=total).map(|d| (d, total)).collect();
    assert_eq!(seen, want);
    // Caught up: a second run indexes and reports nothing.
    let mut again = 0;
    let n = vetter_review::search::catch_up_with(&mut store, &mut |_| again += 1).unwrap();
    assert_eq!((n, again), (0, 0));
}

#[test]
fn a_hit_limit_returns_exactly_the_first_hits_of_the_full_search_and_stops_scanning_early() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    // 30 versions sharing one library (one blob for all) beside their own code (one blob each),
    // enough blobs that a search goes round the worker pipeline many times.
    let library: String = (0..50).map(|i| format!("lib_{i}(); // mark\n")).collect();
    for v in 1..=30 {
        let manifest = format!(
            r#"{{"manifest_version":2,"name":"s","version":"{v}","browser_specific_settings":{{"gecko":{{"id":"s@example"}}}}}}"#
        );
        let own: String = (0..v)
            .map(|i| format!("own_{v}_{i}(); // mark\n"))
            .collect();
        let xpi = vetter_fixtures::zip_files(&[
            ("manifest.json", manifest.as_bytes()),
            ("a/library.js", library.as_bytes()),
            ("b/own.js", own.as_bytes()),
            (
                &format!("c/only-{v}.js"),
                format!("// mark {v}\n").as_bytes(),
            ),
        ]);
        store
            .import_archive(&format!("{v}.xpi"), &xpi, &Limits::default(), &mut |_| {})
            .unwrap();
    }
    let query = SearchQuery::regex("mark");
    let full = search(&mut store, &query, &SearchLimits::default()).unwrap();
    assert_eq!(full.stopped, None);
    assert_eq!(full.hits.len(), 30 * 50 + (1..=30).sum::<usize>() + 30);
    for max_hits in [1, 49, 50, 51, 137, 1000, full.hits.len() - 1] {
        let limits = SearchLimits {
            max_hits,
            ..SearchLimits::default()
        };
        let cut = search(&mut store, &query, &limits).unwrap();
        assert_eq!(cut.hits, full.hits[..max_hits], "max_hits {max_hits}");
        assert_eq!(
            cut.stopped,
            Some(SearchStop::HitLimit),
            "max_hits {max_hits}"
        );
    }
    let exact = SearchLimits {
        max_hits: full.hits.len(),
        ..SearchLimits::default()
    };
    let all = search(&mut store, &query, &exact).unwrap();
    assert_eq!((all.hits.len(), all.stopped), (full.hits.len(), None));
    // The first version alone holds 52 hits: a limit of 10 needs none of the later versions'
    // own blobs.
    let few = SearchLimits {
        max_hits: 10,
        ..SearchLimits::default()
    };
    let cut = search(&mut store, &query, &few).unwrap();
    assert!(
        cut.blobs_scanned < full.blobs_scanned / 2,
        "{} of {} blobs scanned for 10 hits",
        cut.blobs_scanned,
        full.blobs_scanned
    );
}
