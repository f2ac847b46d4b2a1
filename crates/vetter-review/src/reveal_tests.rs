//! Landing on a line: [`ReviewSession::reveal_line`] expands hidden context, opens unchanged
//! files, and refuses lines that do not exist.

use super::*;
use vetter_archive::Limits;
use vetter_diff::{FileStatus, Whitespace};
use vetter_fixtures::addons::{Addon, AddonFile, mv2_addon, next_version};
use vetter_store::{Store, StoreError};

const LONG: &str = "lib/long.js";

fn import(store: &mut Store, name: &str, addon: &Addon) -> i64 {
    store
        .import_archive(name, &addon.to_xpi(), &Limits::default(), &mut |_| {})
        .unwrap()
        .version_id
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

/// 200 numbered lines; `changed` lines get a different text.
fn long_file(changed: &[u32]) -> Vec<u8> {
    (1..=200u32)
        .map(|i| {
            if changed.contains(&i) {
                format!("const line{i} = 'changed';\n")
            } else {
                format!("const line{i} = {i};\n")
            }
        })
        .collect::<String>()
        .into_bytes()
}

/// A pair whose `lib/long.js` changes only on lines 10 and 100, so most lines are collapsed.
fn pair() -> (Store, tempfile::TempDir, i64, i64) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let mut v1 = mv2_addon();
    set_file(&mut v1, LONG, &long_file(&[]));
    let mut v2 = next_version(&v1);
    set_file(&mut v2, LONG, &long_file(&[10, 100]));
    let a = import(&mut store, "v1.xpi", &v1);
    let b = import(&mut store, "v2.xpi", &v2);
    (store, dir, a, b)
}

/// The new-side line number and text of display row `row`.
fn new_cell(session: &mut ReviewSession, store: &Store, index: u32, row: u32) -> (u32, String) {
    let rows = session
        .rows(store, index as usize, row, 1, 0, 1_000)
        .unwrap();
    match rows.first() {
        Some(ViewRow::Line { old, new, .. }) => {
            let n = new.as_ref().expect("the row has a new side");
            // A unified context row carries its text once, on the old side.
            let text_cell = if n.spans.is_empty() { old } else { new };
            let text = text_cell
                .as_ref()
                .map(|c| c.spans.iter().map(|s| s.text.as_str()).collect())
                .unwrap_or_default();
            (n.line, text)
        }
        other => panic!("row {row} is not a line: {other:?}"),
    }
}

#[test]
fn reveal_expands_the_collapsed_context_between_changes() {
    let (store, _dir, a, b) = pair();
    let mut session = ReviewSession::open(&store, a, b, Whitespace::All).unwrap();
    let index = session
        .summary()
        .files
        .iter()
        .position(|f| f.change.path == LONG)
        .unwrap();
    let before = session
        .view_file(&store, index, ViewOptions::default())
        .unwrap();
    let target = session
        .reveal_line(&store, LONG, 55, ViewOptions::default())
        .unwrap();
    assert_eq!(target.index as usize, index);
    assert!(target.layout.rows > before.rows, "the gap was expanded");
    let (line, text) = new_cell(&mut session, &store, target.index, target.row);
    assert_eq!(line, 55);
    assert_eq!(text, "const line55 = 55;");
}

#[test]
fn reveal_expands_the_context_below_the_last_change() {
    let (store, _dir, a, b) = pair();
    let mut session = ReviewSession::open(&store, a, b, Whitespace::All).unwrap();
    let target = session
        .reveal_line(&store, LONG, 190, ViewOptions::default())
        .unwrap();
    let (line, text) = new_cell(&mut session, &store, target.index, target.row);
    assert_eq!((line, text.as_str()), (190, "const line190 = 190;"));
}

#[test]
fn reveal_lands_on_a_changed_line_without_expanding() {
    let (store, _dir, a, b) = pair();
    let mut session = ReviewSession::open(&store, a, b, Whitespace::All).unwrap();
    let index = session
        .summary()
        .files
        .iter()
        .position(|f| f.change.path == LONG)
        .unwrap();
    let before = session
        .view_file(&store, index, ViewOptions::default())
        .unwrap();
    let target = session
        .reveal_line(&store, LONG, 100, ViewOptions::default())
        .unwrap();
    assert_eq!(target.layout.rows, before.rows);
    let (line, text) = new_cell(&mut session, &store, target.index, target.row);
    assert_eq!((line, text.as_str()), (100, "const line100 = 'changed';"));
}

#[test]
fn reveal_in_split_layout_finds_the_new_column() {
    let (store, _dir, a, b) = pair();
    let mut session = ReviewSession::open(&store, a, b, Whitespace::All).unwrap();
    let split = ViewOptions {
        layout: DiffLayout::Split,
        wrap: None,
        pretty: false,
    };
    let target = session.reveal_line(&store, LONG, 120, split).unwrap();
    assert_eq!(target.layout.options, split);
    let (line, _) = new_cell(&mut session, &store, target.index, target.row);
    assert_eq!(line, 120);
}

#[test]
fn reveal_opens_a_file_unchanged_in_the_pair_as_context() {
    let (store, _dir, a, b) = pair();
    let mut session = ReviewSession::open(&store, a, b, Whitespace::All).unwrap();
    let changed = session.summary().files.len();
    assert!(
        !session
            .summary()
            .files
            .iter()
            .any(|f| f.change.path == "content/content.js"),
        "the fixture keeps content/content.js unchanged"
    );
    let target = session
        .reveal_line(&store, "content/content.js", 3, ViewOptions::default())
        .unwrap();
    assert_eq!(target.index as usize, changed);
    assert_eq!(target.file.change.status, FileStatus::Unchanged);
    assert_eq!(session.summary().files.len(), changed + 1);
    let bytes = store.read_file(b, "content/content.js").unwrap();
    let third = String::from_utf8(bytes)
        .unwrap()
        .lines()
        .nth(2)
        .unwrap()
        .to_owned();
    let (line, text) = new_cell(&mut session, &store, target.index, target.row);
    assert_eq!((line, text), (3, third));
    // Revealing again reuses the appended entry.
    let again = session
        .reveal_line(&store, "content/content.js", 1, ViewOptions::default())
        .unwrap();
    assert_eq!(again.index, target.index);
}

#[test]
fn reveal_refuses_a_line_past_the_end() {
    let (store, _dir, a, b) = pair();
    let mut session = ReviewSession::open(&store, a, b, Whitespace::All).unwrap();
    let err = session
        .reveal_line(&store, LONG, 201, ViewOptions::default())
        .unwrap_err();
    assert!(
        matches!(
            err,
            ReviewError::NoSuchLine {
                line: 201,
                lines: 200,
                ..
            }
        ),
        "{err}"
    );
    let err = session
        .reveal_line(&store, LONG, 0, ViewOptions::default())
        .unwrap_err();
    assert!(
        matches!(err, ReviewError::NoSuchLine { line: 0, .. }),
        "{err}"
    );
}

#[test]
fn reveal_refuses_a_path_the_newer_version_lacks() {
    let (store, _dir, a, b) = pair();
    let mut session = ReviewSession::open(&store, a, b, Whitespace::All).unwrap();
    let err = session
        .reveal_line(&store, "no/such.js", 1, ViewOptions::default())
        .unwrap_err();
    assert!(
        matches!(err, ReviewError::Store(StoreError::FileNotFound { .. })),
        "{err}"
    );
}
