//! Notes follow their line's content to later versions and are marked outdated when it goes.

use vetter_archive::Limits;
use vetter_review::notes::{NotePlacement, add_note, notes_for, notes_summary};
use vetter_store::Store;

fn version(store: &mut Store, v: &str, bg: &str) -> i64 {
    let manifest = format!(
        r#"{{"manifest_version":2,"name":"n","version":"{v}","browser_specific_settings":{{"gecko":{{"id":"notes@example"}}}}}}"#
    );
    let xpi = vetter_fixtures::zip_files(&[
        ("manifest.json", manifest.as_bytes()),
        ("bg.js", bg.as_bytes()),
    ]);
    store
        .import_archive(&format!("{v}.xpi"), &xpi, &Limits::default(), &mut |_| {})
        .unwrap()
        .version_id
}

#[test]
fn notes_move_with_their_line_and_go_outdated_when_it_disappears() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let v1 = version(
        &mut store,
        "1",
        "a();\nfetch(remote);\n}\nb();\n}\nkeep();\n",
    );
    let fetch = add_note(&mut store, v1, "bg.js", 2, "exfiltrates to remote").unwrap();
    let brace = add_note(&mut store, v1, "bg.js", 5, "second closing brace").unwrap();
    let gone = add_note(&mut store, v1, "bg.js", 6, "keep an eye on keep()").unwrap();

    // Three lines inserted on top, keep() removed; "}" appears twice, told apart by context.
    let v2 = version(
        &mut store,
        "2",
        "x();\ny();\nz();\na();\nfetch(remote);\n}\nb();\n}\n",
    );
    let notes = notes_for(&store, v2, None).unwrap();
    let by_id = |id: i64| notes.iter().find(|n| n.id == id).unwrap();
    assert_eq!(by_id(fetch).line, Some(5));
    assert_eq!(
        by_id(fetch).placement,
        NotePlacement::Carried { from_version: v1 }
    );
    assert_eq!(by_id(brace).line, Some(8));
    assert_eq!(by_id(gone).line, None);
    assert_eq!(
        by_id(gone).placement,
        NotePlacement::Outdated { from_version: v1 }
    );

    // The original version still shows every note where it was written.
    let own = notes_for(&store, v1, Some("bg.js")).unwrap();
    assert!(own.iter().all(|n| n.placement == NotePlacement::Current));

    let summary = notes_summary(&notes);
    assert!(
        summary.contains("bg.js:5: exfiltrates to remote"),
        "{summary}"
    );
    assert!(summary.contains("bg.js:6 (outdated"), "{summary}");
}

#[test]
fn a_note_on_a_missing_line_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let v1 = version(&mut store, "1", "one\n");
    let err = add_note(&mut store, v1, "bg.js", 3, "x").unwrap_err();
    assert!(err.to_string().contains("no line 3"), "{err}");
    assert!(add_note(&mut store, v1, "bg.js", 1, "  ").is_err());
}
