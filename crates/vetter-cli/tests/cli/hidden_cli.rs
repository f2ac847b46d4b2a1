//! Issue 15, items 2 and 9 on the command line: hidden characters (Trojan Source) are drawn as
//! `<U+XXXX>` markers in diffs, search hits and file names; files inside a nested archive are
//! diffed and searched like the package's own; `vetter signals` lists both kinds of signal.

use crate::cli_support;

use cli_support::{ok, vetter};
use std::path::Path;

use vetter_fixtures::addons::{Addon, AddonFile, mv2_addon, next_version};

fn set_file(addon: &mut Addon, path: &str, data: &[u8]) {
    addon.files.retain(|f| f.path != path);
    addon.files.push(AddonFile {
        path: path.to_owned(),
        data: data.to_vec(),
    });
}

/// The RLO and isolates make the admin check read as a comment in an editor (CVE-2021-42574).
const TROJAN: &str =
    "var ok = 1;\nif (isAdmin) { /*\u{202E} } \u{2066}if (isAdmin)\u{2069} \u{2066} x(); }\n";

/// Imports the MV2 fixture and a next version that holds a Trojan Source file, a file name with
/// a zero-width space and a changed file inside `lib/engine.jar`; returns (data, old, new) ids.
fn imported(dir: &Path) -> (std::path::PathBuf, i64, i64) {
    let data = dir.join("data");
    let mut v1 = mv2_addon();
    set_file(
        &mut v1,
        "lib/engine.jar",
        &vetter_fixtures::zip_files(&[("core.js", "run();\n")]),
    );
    let mut v2 = next_version(&mv2_addon());
    set_file(
        &mut v2,
        "lib/engine.jar",
        &vetter_fixtures::zip_files(&[("core.js", "run();\nsteal(document.cookie);\n")]),
    );
    set_file(&mut v2, "admin.js", TROJAN.as_bytes());
    set_file(&mut v2, "pay\u{200B}ment.js", b"pay();\n");
    let mut ids = Vec::new();
    for (name, addon) in [("v1.xpi", v1), ("v2.xpi", v2)] {
        let xpi = dir.join(name);
        std::fs::write(&xpi, addon.to_xpi()).unwrap();
        let out = ok(vetter(&data, &["--json", "import", xpi.to_str().unwrap()]));
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        ids.push(
            v[0]["imported"]["version_id"]
                .as_i64()
                .expect("a version id"),
        );
    }
    (data, ids[0], ids[1])
}

/// No hidden character reaches the terminal as itself.
fn assert_no_raw_hidden(out: &str) {
    assert!(
        !out.chars().any(vetter_text::is_hidden),
        "a hidden character reached the output:\n{out}"
    );
}

#[test]
fn signals_lists_hidden_text_hidden_names_and_nested_archives() {
    let dir = tempfile::tempdir().unwrap();
    let (data, old, new) = imported(dir.path());
    let out = ok(vetter(&data, &["signals", &new.to_string()]));
    assert_no_raw_hidden(&out);
    // Vetter's content checks come first; the capability analysis's facts (the fixture's
    // telemetry endpoints) follow them.
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines.len() > 3, "{out}");
    assert!(
        lines[3..]
            .iter()
            .all(|l| l.contains(" local/vetter endpoint")
                || l.contains(" local/vetter host-without-permission")),
        "{out}"
    );
    assert!(
        lines[0].starts_with("admin.js:2:18 local/vetter hidden-characters: ")
            && lines[0].contains("U+202E RIGHT-TO-LEFT OVERRIDE"),
        "{out}"
    );
    assert!(
        lines[1].starts_with("lib/engine.jar:1 local/vetter nested-archive: "),
        "{out}"
    );
    assert!(
        lines[2].starts_with("pay<U+200B>ment.js:1 local/vetter hidden-characters-in-name: "),
        "{out}"
    );

    let out = ok(vetter(&data, &["--json", "signals", &new.to_string()]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rules: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["rule"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules[..3],
        [
            "hidden-characters",
            "nested-archive",
            "hidden-characters-in-name"
        ]
    );
    // JSON keeps the path as stored; the marker is only for display.
    assert_eq!(v[2]["path"], "pay\u{200B}ment.js");

    let out = ok(vetter(&data, &["signals", &old.to_string()]));
    let hidden_or_nested = out
        .lines()
        .filter(|l| l.contains(" local/vetter hidden") || l.contains(" local/vetter nested"))
        .count();
    assert_eq!(hidden_or_nested, 1, "only the jar: {out}");
    let missing = vetter(&data, &["signals", "999"]);
    assert!(!missing.status.success());
}

#[test]
fn diff_and_search_draw_hidden_characters_as_markers() {
    let dir = tempfile::tempdir().unwrap();
    let (data, old, new) = imported(dir.path());
    let out = ok(vetter(&data, &["diff", &old.to_string(), &new.to_string()]));
    assert_no_raw_hidden(&out);
    assert!(
        out.contains("/*<U+202E> } <U+2066>if (isAdmin)<U+2069> <U+2066> x(); }"),
        "{out}"
    );
    assert!(out.contains("pay<U+200B>ment.js"), "{out}");

    let out = ok(vetter(
        &data,
        &["search", "--version", &new.to_string(), "isAdmin"],
    ));
    assert_no_raw_hidden(&out);
    assert!(
        out.contains(":admin.js:2:if (isAdmin) { /*<U+202E> }"),
        "{out}"
    );
}

#[test]
fn files_inside_a_nested_archive_are_diffed_and_searched() {
    let dir = tempfile::tempdir().unwrap();
    let (data, old, new) = imported(dir.path());
    let out = ok(vetter(&data, &["diff", &old.to_string(), &new.to_string()]));
    assert!(out.contains("lib/engine.jar!/core.js"), "{out}");
    assert!(out.contains("+steal(document.cookie);"), "{out}");

    let out = ok(vetter(&data, &["search", "-F", "document.cookie"]));
    assert_eq!(
        out.trim(),
        format!("{new}:lib/engine.jar!/core.js:2:steal(document.cookie);"),
        "{out}"
    );
}
