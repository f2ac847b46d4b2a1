//! `vetter rules` end to end on the generated MV2 add-on: add, list, scan (printing
//! `path:line:col rule`), cached re-scan, refusal of a broken file, remove.

use crate::cli_support;

use cli_support::{ok, vetter};

use vetter_fixtures::addons::mv2_addon;

/// Line and column (both 1-based) of the first `needle` in `text`, counted line by line.
fn line_col(text: &str, needle: &str) -> (usize, usize) {
    text.lines()
        .enumerate()
        .find_map(|(i, l)| l.find(needle).map(|c| (i + 1, c + 1)))
        .expect("needle in fixture")
}

#[test]
fn rules_add_scan_and_remove_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let addon = mv2_addon();
    let xpi = dir.path().join("notes.xpi");
    std::fs::write(&xpi, addon.to_xpi()).unwrap();
    ok(vetter(&data, &["import", xpi.to_str().unwrap()]));

    let rule = dir.path().join("badge.yar");
    std::fs::write(
        &rule,
        "rule badge_writer : ui {\n  meta:\n    description = \"sets the toolbar badge\"\n  \
         strings:\n    $b = \"setBadgeText\"\n  condition:\n    $b\n}\n",
    )
    .unwrap();
    let out = ok(vetter(&data, &["rules", "add", rule.to_str().unwrap()]));
    assert!(out.contains("badge.yar added: 1 rule"), "{out}");
    let list = ok(vetter(&data, &["rules", "list"]));
    assert!(list.starts_with("badge.yar\tenabled\t1 rules"), "{list}");

    let background = std::str::from_utf8(addon.file("background.js").unwrap()).unwrap();
    let (line, col) = line_col(background, "setBadgeText");
    let out = ok(vetter(&data, &["rules", "scan", "--version", "1"]));
    assert_eq!(
        out,
        format!("background.js:{line}:{col} badge_writer [badge.yar] sets the toolbar badge\n")
    );

    // The add-on's gecko id picks its latest version; the same rules read the stored result.
    let guid = addon.id();
    let json: serde_json::Value =
        serde_json::from_str(&ok(vetter(&data, &["--json", "rules", "scan", &guid]))).unwrap();
    assert_eq!(json[0]["cached"], true, "{json}");
    assert_eq!(json[0]["signals"][0]["line"], line);

    let broken = dir.path().join("broken.yar");
    std::fs::write(&broken, "rule broken { condition: $nope }\n").unwrap();
    let out = vetter(
        &data,
        &["rules", "add", broken.to_str().unwrap(), "--name", "mine"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("\"mine\"") && err.contains("unknown pattern `$nope`"),
        "{err}"
    );

    ok(vetter(&data, &["rules", "remove", "badge.yar"]));
    assert_eq!(ok(vetter(&data, &["rules", "list"])), "");
    assert_eq!(
        ok(vetter(&data, &["rules", "scan"])),
        "",
        "no rules, no matches"
    );
    let out = vetter(&data, &["rules", "remove", "badge.yar"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no rule file named \"badge.yar\""));
}
