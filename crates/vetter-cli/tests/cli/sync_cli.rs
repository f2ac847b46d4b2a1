//! `vetter sync` and `vetter queue` against the real reference server on 127.0.0.1.
//!
//! The server runs in this test's process (its library, on a port bound before it starts) rather
//! than as a separately built binary: building `vetter-server` from inside a test resolved
//! features differently from the workspace build and recompiled much of the tree, over five
//! minutes on CI.

use crate::decide_support as support;

use std::path::Path;
use std::process::{Command, Output};

use support::Server;

const KEY: &str = "user:4242:1";
const SECRET: &str = "demo-secret-4242-not-for-production";

fn vetter(data: &Path, args: &[&str], secret: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vetter"));
    cmd.arg("--data-dir").arg(data).args(args);
    cmd.env_remove("VETTER_API_KEY")
        .env_remove("VETTER_API_SECRET")
        .env_remove("VETTER_SERVER");
    if let Some(secret) = secret {
        cmd.env("VETTER_API_KEY", KEY)
            .env("VETTER_API_SECRET", secret);
    }
    cmd.output().unwrap()
}

#[test]
fn sync_then_queue_lists_the_demo_entries_offline() {
    let tmp = tempfile::tempdir().unwrap();
    let client = tmp.path().join("client");
    {
        let server = Server::start(&tmp.path().join("server"), 0).unwrap();
        let out = vetter(
            &client,
            &["--json", "sync", "--server", &server.url],
            Some(SECRET),
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(summary["entries_changed"], 12);
        assert_eq!(summary["quarantined"], 1);
        server.stop();
    }
    // The server is gone: the queue is read from the cache.
    let out = vetter(&client, &["--json", "queue", "mad"], None);
    assert!(out.status.success());
    let entries: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["addon_name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 3);
    assert!(names.contains(&"Focus Timer"));
    let out = vetter(&client, &["queue"], None);
    let text = String::from_utf8(out.stdout).unwrap();
    for queue in [
        "extension",
        "mad",
        "content_review",
        "pending_rejection",
        "theme",
    ] {
        assert!(text.contains(queue), "{text}");
    }
}

#[test]
fn sync_without_credentials_names_the_variable() {
    let tmp = tempfile::tempdir().unwrap();
    let out = vetter(
        &tmp.path().join("client"),
        &["sync", "--server", "http://127.0.0.1:9"],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("VETTER_API_KEY") || stderr.contains("VETTER_API_SECRET"),
        "{stderr}"
    );
}

#[test]
fn sync_with_a_wrong_secret_fails_with_the_servers_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("server"), 0).unwrap();
    let out = vetter(
        &tmp.path().join("client"),
        &["sync", "--server", &server.url],
        Some("wrong"),
    );
    server.stop();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad_credentials"), "{stderr}");
}
