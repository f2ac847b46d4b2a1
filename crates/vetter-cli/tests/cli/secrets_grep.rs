//! Secrets never leave the keyring: a full login → sync → decide → outbox run with trace
//! logging, then the cache database (with its WAL and shared-memory files), every other file in
//! the data folder and the captured output are searched for the API secret and the signing
//! key, raw and in hex and base64 forms. Nothing may match; the API key (not a secret) must,
//! which proves the search looks in the right places.

use crate::decide_support as support;

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use support::{REVIEWER_KEY, REVIEWER_SECRET, Server};

fn run(data: &Path, args: &[&str], log: &mut Vec<u8>) {
    let out = Command::new(env!("CARGO_BIN_EXE_vetter"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env("VETTER_API_KEY", REVIEWER_KEY)
        .env("VETTER_API_SECRET", REVIEWER_SECRET)
        .env("VETTER_LOG", "trace")
        .env("RUST_LOG", "trace")
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    log.extend_from_slice(format!("$ vetter {}\n", args.join(" ")).as_bytes());
    log.extend_from_slice(&out.stdout);
    log.extend_from_slice(&out.stderr);
    assert!(
        out.status.success(),
        "vetter {args:?} failed:\n{}",
        String::from_utf8_lossy(log)
    );
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files(&path));
        } else {
            found.push(path);
        }
    }
    found
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The forms a leaked secret could take.
fn forms(raw: &[u8]) -> Vec<(String, Vec<u8>)> {
    vec![
        ("raw".to_owned(), raw.to_vec()),
        ("hex".to_owned(), hex(raw).into_bytes()),
        ("HEX".to_owned(), hex(raw).to_uppercase().into_bytes()),
        ("base64".to_owned(), STANDARD.encode(raw).into_bytes()),
        (
            "base64 unpadded".to_owned(),
            STANDARD_NO_PAD.encode(raw).into_bytes(),
        ),
        ("base64url".to_owned(), URL_SAFE.encode(raw).into_bytes()),
        (
            "base64url unpadded".to_owned(),
            URL_SAFE_NO_PAD.encode(raw).into_bytes(),
        ),
    ]
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn a_full_run_leaves_no_secret_in_the_database_files_or_logs() {
    if !support::inside_keyring(
        module_path!(),
        "a_full_run_leaves_no_secret_in_the_database_files_or_logs",
    ) {
        return;
    }
    let server_dir = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(server_dir.path(), 0).unwrap();
    let mut log = Vec::new();
    run(data.path(), &["login", "--server", &server.url], &mut log);
    run(data.path(), &["sync"], &mut log);
    run(
        data.path(),
        &[
            "decide",
            "tab-tidy",
            "comment",
            "--comments",
            "checked the notifications",
        ],
        &mut log,
    );
    run(
        data.path(),
        &["decide", "102", "public", "--offline"],
        &mut log,
    );
    run(data.path(), &["outbox"], &mut log);
    run(data.path(), &["outbox", "--json"], &mut log);
    run(data.path(), &["outbox", "push"], &mut log);

    // The signing key as the keyring holds it (read with libsecret, another client).
    let out = Command::new("secret-tool")
        .args(["lookup", "service", "vetter", "username"])
        .arg(format!("{} signing-key", server.url))
        .output()
        .unwrap();
    let seed_text = String::from_utf8(out.stdout).unwrap();
    let seed = URL_SAFE_NO_PAD.decode(seed_text.trim()).unwrap();
    assert_eq!(seed.len(), 32);

    let db = data.path().join(vetter_store::DB_FILE);
    let mut haystacks: Vec<(String, Vec<u8>)> = files(data.path())
        .into_iter()
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    assert!(
        haystacks
            .iter()
            .any(|(name, _)| *name == db.display().to_string()),
        "the database is where it should be"
    );
    haystacks.push(("captured output".to_owned(), log.clone()));
    assert!(
        log.len() > 1000,
        "trace logging produced almost nothing:\n{}",
        String::from_utf8_lossy(&log)
    );

    // Positive control: the API key (not a secret) is in the decisions and the logs.
    assert!(
        haystacks
            .iter()
            .any(|(_, bytes)| contains(bytes, REVIEWER_KEY.as_bytes())),
        "the search did not find even the API key"
    );
    let mut leaks = Vec::new();
    for (what, raw) in [
        ("API secret", REVIEWER_SECRET.as_bytes()),
        ("signing key", &seed[..]),
    ] {
        for (form, needle) in forms(raw) {
            for (name, bytes) in &haystacks {
                if contains(bytes, &needle) {
                    leaks.push(format!("{what} ({form}) in {name}"));
                }
            }
        }
    }
    assert!(leaks.is_empty(), "secrets leaked: {leaks:#?}");
    server.stop();
}
