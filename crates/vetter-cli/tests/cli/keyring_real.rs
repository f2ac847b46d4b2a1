//! The OS keyring for real: a GNOME Keyring daemon in a private D-Bus session (started by
//! `scripts/with-keyring`, which this test runs itself so plain `cargo test` covers it).
//! `vetter login` writes the secrets in one process; `secret-tool` (libsecret, an independent
//! client) and a later `vetter` process read them; `vetter logout` removes every one; a login
//! the server refuses stores nothing.

use crate::decide_support as support;

use std::path::Path;
use std::process::{Command, Output};

use support::{REVIEWER_KEY, REVIEWER_SECRET, Server};

fn vetter(data_dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vetter"));
    cmd.arg("--data-dir").arg(data_dir).args(args);
    cmd.env_remove("VETTER_API_KEY")
        .env_remove("VETTER_API_SECRET");
    cmd
}

fn ok(out: Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn lookup(server: &str, name: &str) -> Option<String> {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", "vetter", "username"])
        .arg(format!("{server} {name}"))
        .output()
        .expect("secret-tool (libsecret-tools) must be installed");
    let value = String::from_utf8_lossy(&out.stdout).into_owned();
    (out.status.success() && !value.is_empty()).then_some(value)
}

#[test]
fn secrets_written_by_login_are_read_by_other_processes_and_removed_by_logout() {
    if !support::inside_keyring(
        module_path!(),
        "secrets_written_by_login_are_read_by_other_processes_and_removed_by_logout",
    ) {
        return;
    }
    let server_dir = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(server_dir.path(), 0).unwrap();

    // Refused credentials are never stored.
    let out = vetter(data.path(), &["login", "--server", &server.url])
        .env("VETTER_API_KEY", REVIEWER_KEY)
        .env("VETTER_API_SECRET", "not-the-secret")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("bad_credentials"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for name in ["api-key", "api-secret", "signing-key"] {
        assert_eq!(
            lookup(&server.url, name),
            None,
            "{name} stored after a refused login"
        );
    }

    // Process 1 writes.
    let out = ok(vetter(data.path(), &["login", "--server", &server.url])
        .env("VETTER_API_KEY", REVIEWER_KEY)
        .env("VETTER_API_SECRET", REVIEWER_SECRET)
        .output()
        .unwrap());
    assert!(!out.contains(REVIEWER_SECRET), "{out}");

    // Process 2 (libsecret, not the keyring crate) reads them from the Secret Service.
    assert_eq!(
        lookup(&server.url, "api-secret").as_deref(),
        Some(REVIEWER_SECRET)
    );
    assert_eq!(
        lookup(&server.url, "api-key").as_deref(),
        Some(REVIEWER_KEY)
    );
    let seed = lookup(&server.url, "signing-key").expect("login stores the signing key");
    vetter_decision::signing::ReviewerKey::from_secret(&seed).expect("a valid Ed25519 seed");

    // Process 3: vetter itself, with nothing in the environment, finds the credentials.
    let out = ok(vetter(data.path(), &["outbox", "push"]).output().unwrap());
    assert!(out.contains("0 waiting"), "{out}");

    // A second login keeps the signing key (made on the first login only).
    ok(vetter(data.path(), &["login", "--server", &server.url])
        .env("VETTER_API_KEY", REVIEWER_KEY)
        .env("VETTER_API_SECRET", REVIEWER_SECRET)
        .output()
        .unwrap());
    assert_eq!(
        lookup(&server.url, "signing-key").as_deref(),
        Some(seed.as_str())
    );

    let out = ok(vetter(data.path(), &["logout"]).output().unwrap());
    assert!(out.contains("removed 3 secrets"), "{out}");
    for name in ["api-key", "api-secret", "signing-key"] {
        assert_eq!(lookup(&server.url, name), None, "{name} survived logout");
    }
    let out = vetter(data.path(), &["outbox", "push"]).output().unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("vetter login"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    server.stop();
}

#[test]
fn login_without_a_keyring_fails_with_instructions_and_writes_no_secret() {
    let server_dir = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(server_dir.path(), 0).unwrap();
    let out = vetter(data.path(), &["login", "--server", &server.url])
        .env("VETTER_API_KEY", REVIEWER_KEY)
        .env("VETTER_API_SECRET", REVIEWER_SECRET)
        // A session bus that does not exist: no Secret Service to talk to.
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/vetter-test-bus",
        )
        .env_remove("DISPLAY")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "login succeeded without a keyring");
    assert!(stderr.contains("OS keyring"), "{stderr}");
    assert!(stderr.contains("Secret Service"), "{stderr}");
    assert!(!stderr.contains(REVIEWER_SECRET));
    // No fallback: the secret is in no file under the data folder.
    for entry in walk(data.path()) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(
            !bytes
                .windows(REVIEWER_SECRET.len())
                .any(|w| w == REVIEWER_SECRET.as_bytes()),
            "{} holds the secret",
            entry.display()
        );
    }
    server.stop();
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
