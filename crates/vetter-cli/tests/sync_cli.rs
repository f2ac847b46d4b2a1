//! `vetter sync` and `vetter queue` against the real `vetter-server` process on 127.0.0.1.
//!
//! The server binary belongs to another package, so it is built here (once, into the same target
//! folder as this test's `vetter`) rather than assumed.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;

const KEY: &str = "user:4242:1";
const SECRET: &str = "demo-secret-4242-not-for-production";

fn server_binary() -> &'static PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let vetter = PathBuf::from(env!("CARGO_BIN_EXE_vetter"));
        let profile_dir = vetter.parent().unwrap();
        let target = profile_dir.parent().unwrap();
        let mut build = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        build
            .args(["build", "--quiet", "-p", "vetter-server", "--target-dir"])
            .arg(target);
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            build.arg("--release");
        }
        assert!(
            build.status().unwrap().success(),
            "cannot build vetter-server"
        );
        profile_dir.join(format!("vetter-server{}", std::env::consts::EXE_SUFFIX))
    })
}

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(data: &Path) -> Server {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/demo");
    let mut child = Command::new(server_binary())
        .args(["--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .arg("--seed")
        .arg(demo)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    Server { child, url }
}

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
        let server = start(&tmp.path().join("server"));
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
    let server = start(&tmp.path().join("server"));
    let out = vetter(
        &tmp.path().join("client"),
        &["sync", "--server", &server.url],
        Some("wrong"),
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad_signature"), "{stderr}");
}
