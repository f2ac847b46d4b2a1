//! `vetter prune`, `vetter pin` and `vetter unpin` as a user meets them: the dry run's words
//! and figures, that it changes nothing, and that the prune keeps what was pinned.

use crate::cli_support::{ok, vetter};

fn versions(data: &std::path::Path) -> Vec<(i64, String)> {
    let listed: serde_json::Value =
        serde_json::from_str(&ok(vetter(data, &["--json", "versions"]))).unwrap();
    listed
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["id"].as_i64().unwrap(),
                v["version"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Writes `addons` as XPIs into `dir` and imports them all with one `vetter import`.
fn import_all(dir: &std::path::Path, data: &std::path::Path, addons: &[&vetter_fixtures::Addon]) {
    let paths: Vec<String> = addons
        .iter()
        .enumerate()
        .map(|(i, addon)| {
            let path = dir.join(format!("{i}.xpi"));
            std::fs::write(&path, addon.to_xpi()).unwrap();
            path.to_str().unwrap().to_owned()
        })
        .collect();
    let mut args = vec!["import"];
    args.extend(paths.iter().map(String::as_str));
    ok(vetter(data, &args));
}

#[test]
fn a_dry_run_says_what_would_go_and_the_prune_keeps_what_was_pinned() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let v1 = vetter_fixtures::mv3_addon();
    let v2 = vetter_fixtures::next_version(&v1);
    let v3 = vetter_fixtures::next_version(&v2);
    import_all(dir.path(), &data, &[&v1, &v2, &v3]);
    let before = versions(&data);
    assert_eq!(before.len(), 3);
    let first = before[0].0.to_string();

    let pinned = ok(vetter(&data, &["pin", &first]));
    assert!(pinned.contains("is pinned"), "{pinned}");
    let again = ok(vetter(&data, &["pin", &first]));
    assert!(again.contains("is already pinned"), "{again}");
    let listed = ok(vetter(&data, &["versions"]));
    assert!(
        listed.contains(&format!(
            "pinned, kept by `vetter prune` whatever its rules: {first} ("
        )),
        "{listed}"
    );

    let dry = ok(vetter(&data, &["prune", "--keep-last", "1", "--dry-run"]));
    assert!(dry.contains("prune would remove 1 of 3 versions"), "{dry}");
    assert!(
        dry.contains(&format!("{} {}", v2.id(), v2.version())),
        "{dry}"
    );
    assert!(
        dry.contains("pinned") && dry.contains("space returned: about"),
        "{dry}"
    );
    assert_eq!(versions(&data), before, "a dry run changes nothing");

    let plan: serde_json::Value = serde_json::from_str(&ok(vetter(
        &data,
        &["--json", "prune", "--keep-last", "1", "--dry-run"],
    )))
    .unwrap();
    assert_eq!(plan["removed"].as_array().unwrap().len(), 1);

    let report: serde_json::Value =
        serde_json::from_str(&ok(vetter(&data, &["--json", "prune", "--keep-last", "1"]))).unwrap();
    assert_eq!(report["versions_removed"], 1);
    let after: Vec<String> = versions(&data).into_iter().map(|(_, v)| v).collect();
    assert_eq!(after, [v1.version(), v3.version()]);

    let unpinned = ok(vetter(&data, &["unpin", &first]));
    assert!(unpinned.contains("is not pinned"), "{unpinned}");
    assert!(!ok(vetter(&data, &["versions"])).contains("pinned, kept by"));
    let pruned = ok(vetter(&data, &["prune", "--keep-last", "1"]));
    assert!(pruned.contains("removed 1 version and "), "{pruned}");
    assert_eq!(versions(&data).len(), 1);

    let missing = vetter(&data, &["pin", "999"]);
    assert!(!missing.status.success());
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("no cached version with id 999"),
        "{}",
        String::from_utf8_lossy(&missing.stderr)
    );
}

#[test]
fn listings_to_a_reader_that_has_gone_end_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let v1 = vetter_fixtures::mv3_addon();
    let v2 = vetter_fixtures::next_version(&v1);
    import_all(dir.path(), &data, &[&v1, &v2]);
    // `vetter prune --dry-run | head -0`: the pipe's reading end is closed before the listing
    // is written, so the write fails with a broken pipe, which must not be a panic.
    for listing in [
        &["prune", "--keep-last", "0", "--dry-run"][..],
        &["versions"][..],
        &["queue"][..],
    ] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_vetter"))
            .arg("--data-dir")
            .arg(&data)
            .args(listing)
            .env_remove("VETTER_DATA_DIR")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "{listing:?}: {:?} {stderr}",
            out.status
        );
        assert!(!stderr.contains("panicked"), "{listing:?}: {stderr}");
    }
}
