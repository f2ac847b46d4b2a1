//! `vetter report` writes the same report the app exports: with the matches of the reviewer's
//! local rules on the newer version.

use crate::cli_support;

use cli_support::{ok, vetter};

use vetter_fixtures::addons::{mv2_addon, next_version};

#[test]
fn the_report_lists_the_local_rules_matches_on_the_new_version() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let old = mv2_addon();
    let new = next_version(&old);
    for (name, addon) in [("1.xpi", &old), ("2.xpi", &new)] {
        let xpi = dir.path().join(name);
        std::fs::write(&xpi, addon.to_xpi()).unwrap();
        ok(vetter(&data, &["import", xpi.to_str().unwrap()]));
    }
    let rule = dir.path().join("badge.yar");
    std::fs::write(
        &rule,
        "rule badge_writer {\n  strings:\n    $b = \"setBadgeText\"\n  condition:\n    $b\n}\n",
    )
    .unwrap();
    ok(vetter(&data, &["rules", "add", rule.to_str().unwrap()]));

    let out = dir.path().join("report");
    let json: serde_json::Value = serde_json::from_str(&ok(vetter(
        &data,
        &["--json", "report", "1", "2", "--out", out.to_str().unwrap()],
    )))
    .unwrap();
    let local = json["report"]["local_signals"].as_array().unwrap();
    assert_eq!(local.len(), 1, "{json}");
    assert_eq!(local[0]["rule"], "badge.yar/badge_writer");
    assert_eq!(local[0]["path"], "background.js");

    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    let rule = vetter_review::report::escape_markdown("badge.yar/badge_writer");
    assert!(md.contains(&rule), "{md}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("badge.yar/badge_writer"), "{html}");
}
