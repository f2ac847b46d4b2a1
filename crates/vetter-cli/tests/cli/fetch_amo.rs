//! `vetter fetch` against the stand-in AMO (tests/amo-standin/amo.py, written from AMO's docs
//! and serializers, checking tokens with PyJWT): by slug, page URL and guid, anonymously and
//! with a reviewer's and an admin's key. The stand-in answers translated fields as objects,
//! absolute `next` links, 301 for a missing slash, 403 on `all_with_deleted` for non-admins, a
//! public download as a redirect to its CDN origin, a version with an `md5:` hash, and
//! reviewer-only validation results.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use vetter_fixtures::standin::{
    ADMIN_KEY, ADMIN_SECRET, AmoStandin, REVIEWER_KEY, REVIEWER_SECRET,
};

struct World {
    amo: AmoStandin,
    _files: tempfile::TempDir,
    data: tempfile::TempDir,
    guid: String,
}

fn world() -> World {
    let files = tempfile::tempdir().unwrap();
    let (amo, seed) =
        AmoStandin::start_example(Path::new(env!("CARGO_TARGET_TMPDIR")), files.path());
    let guid = seed["addons"][0]["guid"].as_str().unwrap().to_owned();
    World {
        amo,
        _files: files,
        data: tempfile::tempdir().unwrap(),
        guid,
    }
}

/// Runs `vetter` with `args` and no credentials unless `key` is given (never the caller's).
fn vetter(w: &World, key: Option<(&str, &str)>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vetter"));
    cmd.arg("--data-dir").arg(w.data.path()).args(args);
    cmd.env_remove("VETTER_API_KEY")
        .env_remove("VETTER_API_SECRET")
        .env_remove("VETTER_AMO")
        // No keyring in this test: an empty session bus address makes the lookup fail fast.
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent");
    if let Some((k, s)) = key {
        cmd.env("VETTER_API_KEY", k).env("VETTER_API_SECRET", s);
    }
    cmd.output().unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn fetch_json(w: &World, key: Option<(&str, &str)>, addon: &str, extra: &[&str]) -> Value {
    let mut args = vec!["--json", "fetch", addon, "--amo", &w.amo.origin];
    args.extend_from_slice(&["--download-host", &w.amo.cdn]);
    args.extend_from_slice(extra);
    let out = vetter(w, key, &args);
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// (version string, outcome) of every version a report lists.
fn outcomes(report: &Value) -> Vec<(String, String)> {
    report["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["version"].as_str().unwrap().to_owned(),
                v["outcome"]["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn skip_reason<'a>(report: &'a Value, version: &str) -> &'a str {
    report["versions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["version"] == version)
        .unwrap()["outcome"]["reason"]
        .as_str()
        .unwrap()
}

#[test]
fn anonymous_fetch_by_slug_takes_the_public_versions_and_skips_the_bad_hash() {
    let w = world();
    // Human output first: what a reviewer reads.
    let out = vetter(
        &w,
        None,
        &[
            "fetch",
            "tab-notes",
            "--amo",
            &w.amo.origin,
            "--download-host",
            &w.amo.cdn,
        ],
    );
    let shown = text(&out);
    assert!(out.status.success(), "{shown}");
    assert!(shown.contains("anonymous"), "{shown}");
    assert!(shown.contains("filter: public"), "{shown}");
    assert!(
        shown.contains("0.9.5") && shown.contains("skipped") && shown.contains("md5:"),
        "the md5-hashed version is skipped with the reason: {shown}"
    );
    assert!(
        shown.contains("compare the newest two: vetter diff"),
        "{shown}"
    );
    assert!(
        !w.amo.cdn_saw_authorization(),
        "no credentials were sent, so none reached the CDN"
    );

    // The cache lists them with their origin, and `versions --json` ids diff.
    let out = vetter(&w, None, &["--json", "versions"]);
    assert!(out.status.success(), "{}", text(&out));
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let mut listed: Vec<&str> = rows
        .iter()
        .map(|r| r["version"].as_str().unwrap())
        .collect();
    listed.sort();
    assert_eq!(listed, ["1.0.0", "1.0.1", "1.0.2"]);
    let page = format!("{}/en-US/firefox/addon/tab-notes/", w.amo.origin);
    for r in &rows {
        assert_eq!(r["origin"].as_str(), Some(page.as_str()), "{r}");
    }
    let id_of = |v: &str| {
        rows.iter().find(|r| r["version"] == v).unwrap()["id"]
            .as_i64()
            .unwrap()
            .to_string()
    };
    let out = vetter(&w, None, &["diff", &id_of("1.0.1"), &id_of("1.0.2")]);
    let diff = text(&out);
    assert!(out.status.success(), "{diff}");
    assert!(diff.contains("content/content.js"), "{diff}");
    assert!(diff.contains("innerHTML"), "{diff}");
    assert!(
        diff.contains("downloads"),
        "the added permission shows: {diff}"
    );

    // The same add-on again by its page URL: nothing is downloaded twice.
    let again = fetch_json(&w, None, &page, &[]);
    for (version, outcome) in outcomes(&again) {
        if version != "0.9.5" {
            assert_eq!(outcome, "imported", "{again}");
        }
    }
    assert!(
        again["versions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| v["outcome"]["outcome"] == "imported")
            .all(|v| v["outcome"]["already_cached"] == true),
        "{again}"
    );
    let log = w.amo.log();
    assert_eq!(
        log.lines().filter(|l| l.contains("/user-media/")).count(),
        3,
        "three files, each downloaded once from the CDN:\n{log}"
    );
}

#[test]
fn a_reviewer_key_falls_back_to_unlisted_and_keeps_validation_but_never_leaks_to_the_cdn() {
    let w = world();
    let report = fetch_json(&w, Some((REVIEWER_KEY, REVIEWER_SECRET)), &w.guid, &[]);
    assert_eq!(report["signed"], true);
    assert_eq!(
        report["filter"], "all_with_unlisted",
        "a reviewer is refused all_with_deleted (403) and falls back: {report}"
    );
    let got = outcomes(&report);
    assert!(
        got.contains(&("1.0.3".into(), "imported".into())),
        "the unlisted version, downloaded from the AMO origin with the key: {got:?}"
    );
    assert!(
        got.iter().all(|(v, _)| v != "0.9.0"),
        "deleted stays out: {got:?}"
    );
    assert!(skip_reason(&report, "0.9.5").contains("md5:"), "{report}");
    assert_eq!(report["validation_read"], true, "{report}\n{}", w.amo.log());
    let findings: u64 = report["versions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["outcome"]["findings"].as_u64())
        .sum();
    assert!(findings >= 2, "validator findings kept: {report}");
    assert!(
        !w.amo.cdn_saw_authorization(),
        "public files came from the CDN without the key"
    );
    let log = w.amo.log();
    assert!(
        log.contains("filter=all_with_deleted") && log.contains("403"),
        "the wider filter was asked first and refused:\n{log}"
    );
}

#[test]
fn an_admin_key_sees_deleted_versions_and_latest_takes_one() {
    let w = world();
    let page = format!("{}/de/firefox/addon/tab-notes/versions/", w.amo.origin);
    let report = fetch_json(
        &w,
        Some((ADMIN_KEY, ADMIN_SECRET)),
        &page,
        &["--versions", "latest"],
    );
    assert_eq!(report["filter"], "all_with_deleted", "{report}");
    assert_eq!(report["versions"].as_array().unwrap().len(), 1, "{report}");
    assert!(
        report["capped"].as_str().unwrap().contains("--versions 1"),
        "{report}"
    );
    assert!(report["listed"].as_u64().unwrap() >= 7, "{report}");
}

#[test]
fn downloads_off_the_allow_list_are_skipped_with_the_host_named() {
    let w = world();
    // Without --download-host the CDN is not allowed: each public file is refused, named.
    let out = vetter(
        &w,
        None,
        &["--json", "fetch", "tab-notes", "--amo", &w.amo.origin],
    );
    assert!(
        !out.status.success(),
        "nothing imported is a failure: {}",
        text(&out)
    );
    let err = text(&out);
    assert!(err.contains("not an allowed host"), "{err}");
    assert!(err.contains(&w.amo.cdn), "{err}");
}

#[test]
fn bad_references_and_insecure_instances_are_refused_before_any_request() {
    let w = world();
    for (args, expect) in [
        (
            vec!["fetch", "tab-notes", "--amo", "http://addons.example.org"],
            "is plain http to another machine",
        ),
        (
            vec![
                "fetch",
                "https://addons.mozilla.org/en-US/firefox/addon/tab-notes/",
                "--amo",
                &w.amo.origin,
            ],
            "pass --amo https://addons.mozilla.org",
        ),
        (
            vec!["fetch", "no-such-addon", "--amo", &w.amo.origin],
            "has no add-on \"no-such-addon\"",
        ),
        (
            vec![
                "fetch",
                "https://addons.mozilla.org/en-US/firefox/",
                "--amo",
                &w.amo.origin,
            ],
            "not an add-on page",
        ),
    ] {
        let out = vetter(&w, None, &args);
        let shown = text(&out);
        assert!(!out.status.success(), "{args:?}: {shown}");
        assert!(shown.contains(expect), "{args:?}: {shown}");
    }
}
