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
