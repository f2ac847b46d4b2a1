//! File-level diff: every status, kinds, counts, renames, whitespace modes.

use vetter_diff::{
    DiffOptions, FileChange, FileStatus, LineOptions, VersionTree, Whitespace, diff_trees,
};
use vetter_text::{FileKind, TextEncoding};

fn tree(files: &[(&str, &[u8])]) -> VersionTree<'static> {
    VersionTree::from_files(
        "t",
        files.iter().map(|(p, b)| ((*p).to_owned(), b.to_vec())),
    )
}

fn find<'a>(files: &'a [FileChange], path: &str) -> &'a FileChange {
    files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("{path} not in diff"))
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01";

#[test]
fn marks_added_deleted_modified_and_leaves_unchanged_out() {
    let old = tree(&[
        ("keep.js", b"a\n"),
        ("gone.js", b"x\ny\n"),
        ("edit.js", b"1\n2\n3\n"),
    ]);
    let new = tree(&[
        ("keep.js", b"a\n"),
        ("new.js", b"n\n"),
        ("edit.js", b"1\ntwo\n3\n4\n"),
    ]);
    let d = diff_trees(&old, &new, &DiffOptions::default()).unwrap();
    let paths: Vec<_> = d
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.status))
        .collect();
    assert_eq!(
        paths,
        [
            ("edit.js", FileStatus::Modified),
            ("gone.js", FileStatus::Deleted),
            ("new.js", FileStatus::Added),
        ]
    );
    let edit = find(&d.files, "edit.js");
    assert_eq!((edit.added, edit.removed), (Some(2), Some(1)));
    let gone = find(&d.files, "gone.js");
    assert_eq!((gone.added, gone.removed), (Some(0), Some(2)));
    assert_eq!((d.totals.lines_added, d.totals.lines_removed), (3, 3));
    assert!(d.line_diff(0).is_some());
}

#[test]
fn lists_unchanged_files_when_asked() {
    let old = tree(&[("keep.js", b"a\n")]);
    let new = tree(&[("keep.js", b"a\n")]);
    let opts = DiffOptions {
        include_unchanged: true,
        ..DiffOptions::default()
    };
    let d = diff_trees(&old, &new, &opts).unwrap();
    assert_eq!(d.files.len(), 1);
    assert_eq!(d.files[0].status, FileStatus::Unchanged);
    assert_eq!(d.totals.unchanged, 1);
}

#[test]
fn identical_content_under_a_new_path_is_a_full_rename() {
    let body = b"export function f() {}\n";
    let old = tree(&[("lib/util.js", body)]);
    let new = tree(&[("src/util.js", body)]);
    let d = diff_trees(&old, &new, &DiffOptions::default()).unwrap();
    assert_eq!(d.files.len(), 1);
    let r = &d.files[0];
    assert_eq!(r.status, FileStatus::Renamed);
    assert_eq!(r.old_path.as_deref(), Some("lib/util.js"));
    assert_eq!(
        (r.similarity, r.added, r.removed),
        (Some(100), Some(0), Some(0))
    );
}

#[test]
fn similar_content_above_threshold_is_a_rename_with_counts() {
    let old_body: String = (0..20).map(|i| format!("line {i}\n")).collect();
    let new_body = old_body.replace("line 7\n", "line seven\n");
    let old = tree(&[("a.js", old_body.as_bytes())]);
    let new = tree(&[("b.js", new_body.as_bytes())]);
    let d = diff_trees(&old, &new, &DiffOptions::default()).unwrap();
    let r = find(&d.files, "b.js");
    assert_eq!(r.status, FileStatus::Renamed);
    assert_eq!(r.similarity, Some(95));
    assert_eq!((r.added, r.removed), (Some(1), Some(1)));
}

#[test]
fn dissimilar_content_stays_delete_plus_add() {
    let old = tree(&[("a.js", b"one\ntwo\nthree\n")]);
    let new = tree(&[("b.js", b"four\nfive\nsix\n")]);
    let d = diff_trees(&old, &new, &DiffOptions::default()).unwrap();
    let statuses: Vec<_> = d.files.iter().map(|f| f.status).collect();
    assert_eq!(statuses, [FileStatus::Deleted, FileStatus::Added]);
}

#[test]
fn rename_detection_can_be_switched_off() {
    let old = tree(&[("a.js", b"same\n")]);
    let new = tree(&[("b.js", b"same\n")]);
    let opts = DiffOptions {
        detect_renames: false,
        ..DiffOptions::default()
    };
    let d = diff_trees(&old, &new, &opts).unwrap();
    assert_eq!(d.files.len(), 2);
}

#[test]
fn binary_and_image_files_have_no_line_counts() {
    let old = tree(&[("icon.png", PNG), ("lib.wasm", b"\0asm\x01\0\0\0")]);
    let new = tree(&[
        ("icon.png", &[PNG, b"\x02"].concat()),
        ("lib.wasm", b"\0asm\x01\0\0\0\x01"),
    ]);
    let d = diff_trees(&old, &new, &DiffOptions::default()).unwrap();
    let png = find(&d.files, "icon.png");
    assert_eq!((png.kind, png.added), (FileKind::Image, None));
    let wasm = find(&d.files, "lib.wasm");
    assert_eq!((wasm.kind, wasm.removed), (FileKind::Binary, None));
}

#[test]
fn text_that_becomes_binary_is_reported_binary() {
    let old = tree(&[("data", b"text\n")]);
    let new = tree(&[("data", b"te\0xt\n")]);
    let d = diff_trees(&old, &new, &DiffOptions::default()).unwrap();
    assert_eq!(d.files[0].kind, FileKind::Binary);
}

#[test]
fn each_side_reports_its_decoding() {
    let old = tree(&[("l.txt", b"caf\xe9\n")]);
    let new = tree(&[("l.txt", "café\n".as_bytes())]);
    let d = diff_trees(&old, &new, &DiffOptions::default()).unwrap();
    let f = &d.files[0];
    assert_eq!(f.old_encoding, Some(TextEncoding::Latin1));
    assert_eq!(f.new_encoding, Some(TextEncoding::Utf8));
    // Same characters after decoding: the bytes changed, the text did not.
    assert_eq!(
        (f.status, f.added, f.removed),
        (FileStatus::Modified, Some(0), Some(0))
    );
}

#[test]
fn whitespace_modes_change_the_counts() {
    let old = tree(&[("a.js", b"if (x) {\n  go();  \n}\n")]);
    let new = tree(&[("a.js", b"if (x) {\n\tgo();\n}\n")]);
    let count = |ws| {
        let opts = DiffOptions {
            line: LineOptions {
                whitespace: ws,
                ..LineOptions::default()
            },
            ..DiffOptions::default()
        };
        let d = diff_trees(&old, &new, &opts).unwrap();
        (d.files[0].added, d.files[0].removed)
    };
    assert_eq!(count(Whitespace::All), (Some(1), Some(1)));
    assert_eq!(count(Whitespace::IgnoreTrailing), (Some(1), Some(1)));
    assert_eq!(count(Whitespace::IgnoreAll), (Some(0), Some(0)));
}

#[test]
fn directory_trees_diff_like_archives() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::create_dir_all(a.join("sub")).unwrap();
    std::fs::create_dir_all(b.join("sub")).unwrap();
    std::fs::write(a.join("sub/x.js"), "1\n").unwrap();
    std::fs::write(b.join("sub/x.js"), "2\n").unwrap();
    let d = diff_trees(
        &VersionTree::from_dir(&a).unwrap(),
        &VersionTree::from_dir(&b).unwrap(),
        &DiffOptions::default(),
    )
    .unwrap();
    assert_eq!(d.files[0].path, "sub/x.js");
    assert_eq!(d.files[0].status, FileStatus::Modified);
}
