//! `vetter search`, `vetter notes`, `vetter links`, `vetter report` and `vetter diff --manifest /
//! --pretty` end to end on generated add-ons.

use crate::cli_support;

use cli_support::{ok, vetter};
use std::path::Path;

use vetter_fixtures::linked::linked_family;

/// Imports the linked family; returns the data folder.
fn family(dir: &Path) -> std::path::PathBuf {
    let data = dir.join("data");
    for (id, addon) in linked_family() {
        let xpi = dir.join(format!("{id}.xpi"));
        std::fs::write(&xpi, addon.to_xpi()).unwrap();
        ok(vetter(&data, &["import", xpi.to_str().unwrap()]));
    }
    data
}

#[test]
fn search_prints_grep_style_hits_with_globs_and_case_options() {
    let dir = tempfile::tempdir().unwrap();
    let data = family(dir.path());
    let out = ok(vetter(&data, &["search", r"new Function\(t\)"]));
    let lines: Vec<&str> = out.lines().collect();
    // alpha and beta ship the payload byte for byte, gamma renamed: three files, one line each.
    assert_eq!(lines.len(), 3, "{out}");
    assert!(
        lines.iter().any(|l| l.contains(":js/analytics.js:1:")),
        "{out}"
    );
    assert!(
        lines.iter().any(|l| l.contains(":vendor/helper.js:1:")),
        "{out}"
    );

    let out = ok(vetter(
        &data,
        &["search", "--glob", "vendor/*", "-F", "new Function(t)"],
    ));
    assert_eq!(out.lines().count(), 1, "{out}");

    let out = ok(vetter(&data, &["search", "MINILIB V3"]));
    assert!(out.is_empty(), "case-sensitive by default: {out}");
    let out = ok(vetter(&data, &["search", "-i", "MINILIB V3"]));
    assert_eq!(
        out.lines().count(),
        4,
        "the library is in four add-ons: {out}"
    );

    let out = ok(vetter(
        &data,
        &["--json", "search", "--version", "1", "lib"],
    ));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["version_id"] == 1)
    );

    let bad = vetter(&data, &["search", "(unclosed"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("invalid search pattern"));
}

#[test]
fn links_lists_the_family_and_marks_the_library_only_overlap() {
    let dir = tempfile::tempdir().unwrap();
    let data = family(dir.path());
    let out = ok(vetter(&data, &["links", "alpha@family.example"]));
    let beta = out.find("beta@other.example").expect("beta listed");
    let delta = out.find("delta@unrelated.example").expect("delta listed");
    assert!(beta < delta, "linked add-ons come first:\n{out}");
    assert!(out.contains("near-identical code"), "{out}");
    assert!(out.contains("libraries only"), "{out}");
}

#[test]
fn notes_report_and_manifest_diff_work_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let v1 = vetter_fixtures::zip_files(&[
        (
            "manifest.json",
            br#"{"manifest_version":2,"name":"n","version":"1","permissions":["storage"],"browser_specific_settings":{"gecko":{"id":"cli@example"}}}"#.as_slice(),
        ),
        ("bg.js", b"start();\nfetch(x);\n".as_slice()),
    ]);
    let v2 = vetter_fixtures::zip_files(&[
        (
            "manifest.json",
            br#"{"manifest_version":2,"name":"n","version":"2","permissions":["storage","nativeMessaging"],"browser_specific_settings":{"gecko":{"id":"cli@example"}}}"#.as_slice(),
        ),
        ("bg.js", b"init();\nstart();\nfetch(x);\n".as_slice()),
    ]);
    for (name, bytes) in [("1.xpi", &v1), ("2.xpi", &v2)] {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        ok(vetter(&data, &["import", p.to_str().unwrap()]));
    }
    ok(vetter(
        &data,
        &["notes", "add", "1", "bg.js", "2", "sends data out"],
    ));
    let out = ok(vetter(&data, &["notes", "list", "2"]));
    assert!(
        out.contains("bg.js:3 (from version 1): sends data out"),
        "{out}"
    );

    let out = ok(vetter(&data, &["diff", "--manifest", "1", "2"]));
    assert!(out.contains("+ permissions: nativeMessaging"), "{out}");
    assert!(
        out.contains("! nativeMessaging: can talk to native programs"),
        "{out}"
    );

    let report_dir = dir.path().join("report");
    ok(vetter(
        &data,
        &["report", "1", "2", "--out", report_dir.to_str().unwrap()],
    ));
    let html = std::fs::read_to_string(report_dir.join("report.html")).unwrap();
    assert!(html.contains("nativeMessaging") && html.contains("sends data out"));
    let md = std::fs::read_to_string(report_dir.join("report.md")).unwrap();
    assert!(md.contains("## Permission changes"));
}

#[test]
fn diff_pretty_diffs_reformatted_code() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    std::fs::write(a.join("x.min.js"), "function f(){a();b();c()}").unwrap();
    std::fs::write(b.join("x.min.js"), "function f(){a();evil();c()}").unwrap();
    let out = ok(vetter(
        dir.path(),
        &[
            "diff",
            "--color",
            "never",
            "--pretty",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
        ],
    ));
    // Pretty-printed, the change is one line of three statements, not the whole file.
    assert!(out.contains("+1") && out.contains("-1"), "{out}");
    assert!(out.contains("evil()"), "{out}");
}
