//! `vetter import` and `vetter versions` as a user meets them: output, exit status, JSON.

use crate::cli_support;

use cli_support::vetter;
use std::path::Path;

fn text(out: &[u8]) -> String {
    String::from_utf8(out.to_vec()).unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn import_prints_a_summary_and_versions_lists_the_result() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let v1 = vetter_fixtures::mv3_addon();
    let v2 = vetter_fixtures::next_version(&v1);
    let p1 = write(dir.path(), "one.xpi", &v1.to_xpi());
    let p2 = write(dir.path(), "two.xpi", &v2.to_xpi());

    let out = vetter(&data, &["import", &p1, &p2]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(lines[0].starts_with("one.xpi: imported "), "{stdout}");
    assert!(
        lines[0].contains(&v1.id()) && lines[0].contains("0 deltas"),
        "{stdout}"
    );
    assert!(lines[1].starts_with("two.xpi: imported "), "{stdout}");
    assert!(
        !lines[1].contains(" 0 deltas"),
        "the update reuses and deltas: {stdout}"
    );

    // The import indexed what it brought for search: the first search has nothing to catch up.
    let store = vetter_store::Store::open(&data).unwrap();
    assert_eq!(store.unindexed_blobs().unwrap(), 0);
    drop(store);

    let out = vetter(&data, &["versions"]);
    assert!(out.status.success());
    let table = text(&out.stdout);
    assert!(table.starts_with("ID"), "{table}");
    assert_eq!(table.lines().count(), 3, "{table}");
    assert!(
        table.contains(&v2.version()) && table.contains("two.xpi"),
        "{table}"
    );

    let out = vetter(&data, &["versions", "--json"]);
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[1]["version"], v2.version());
    assert_eq!(listed[1]["guid"], v1.id());
    assert_eq!(listed[1]["files"], v2.files.len());
}

#[test]
fn reimport_is_reported_as_already_cached() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let p = write(dir.path(), "a.xpi", &vetter_fixtures::mv2_addon().to_xpi());
    assert!(vetter(&data, &["import", &p]).status.success());
    let out = vetter(&data, &["import", &p, "--json"]);
    assert!(out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report[0]["imported"]["already_present"], true);
    assert_eq!(report[0]["imported"]["bytes_added"], 0);
}

#[test]
fn refused_archive_exits_1_with_one_line_naming_file_and_rule() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let p = write(
        dir.path(),
        "evil.xpi",
        &vetter_fixtures::malicious::parent_traversal(),
    );
    let out = vetter(&data, &["import", &p]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("evil.xpi") && stderr.contains("`..`"),
        "{stderr}"
    );
    assert!(text(&out.stdout).is_empty());
}

#[test]
fn batch_keeps_going_past_a_refused_file_and_fails_at_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let bad = write(
        dir.path(),
        "evil.xpi",
        &vetter_fixtures::malicious::parent_traversal(),
    );
    let good = write(
        dir.path(),
        "good.xpi",
        &vetter_fixtures::mv3_addon().to_xpi(),
    );
    let out = vetter(&data, &["import", &bad, &good, "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report[0]["error"].as_str().unwrap().contains("evil.xpi"));
    assert_eq!(report[1]["imported"]["source_name"], "good.xpi");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("1 of 2 files were not imported"),
        "{stderr}"
    );
    let versions = vetter(&data, &["versions", "--json"]);
    let listed: serde_json::Value = serde_json::from_slice(&versions.stdout).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
}

#[test]
fn addon_supplied_control_characters_are_not_sent_to_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let manifest = r#"{"manifest_version":2,"name":"N","version":"1.0\u001b[2J","applications":{"gecko":{"id":"x\u001b]0;pwned\u0007@y"}}}"#;
    let p = write(
        dir.path(),
        "ctl.xpi",
        &vetter_fixtures::zip_files(&[("manifest.json", manifest.as_bytes())]),
    );
    let out = vetter(&data, &["import", &p]);
    if out.status.success() {
        assert!(!out.stdout.contains(&0x1b), "{:?}", text(&out.stdout));
        let table = vetter(&data, &["versions"]);
        assert!(!table.stdout.contains(&0x1b), "{:?}", text(&table.stdout));
    } else {
        // Refusing such a manifest outright is also safe, as long as the refusal is escaped.
        assert!(!out.stderr.contains(&0x1b), "{:?}", text(&out.stderr));
    }
}

#[test]
fn versions_on_an_empty_cache_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let out = vetter(dir.path(), &["versions"]);
    assert!(out.status.success());
    assert!(text(&out.stdout).starts_with("no versions cached"));
    let out = vetter(dir.path(), &["versions", "--json"]);
    assert_eq!(text(&out.stdout).trim(), "[]");
}
