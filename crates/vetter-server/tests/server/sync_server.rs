//! End-to-end: the real `vetter-server` process on 127.0.0.1 and the sync engine of vetter-client.

use crate::common;

use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::json;
use vetter_client::sync::{self, LocalFileState, SyncOptions};
use vetter_fixtures::demo::{FaultSeed, Seed};
use vetter_protocol::auth::{Credentials, encode_token, encode_token_with_header, unix_now};

const KEY: &str = "user:4242:1";
const SECRET: &str = "demo-secret-4242-not-for-production";

struct Server {
    child: Child,
    url: String,
    data: std::path::PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the server on a free port with the demo seed plus `faults`.
fn start(tmp: &Path, faults: Vec<FaultSeed>) -> Server {
    let seed_dir = tmp.join("seed");
    std::fs::create_dir_all(&seed_dir).unwrap();
    let mut seed = Seed::load(&common::demo_dir()).unwrap();
    seed.faults = faults;
    std::fs::write(
        seed_dir.join("seed.json"),
        serde_json::to_vec(&seed).unwrap(),
    )
    .unwrap();
    let data = tmp.join("server");
    let (child, url) = common::spawn_server(&data, &seed_dir);
    Server { child, url, data }
}

fn options(server: &Server, client_dir: &Path) -> SyncOptions {
    let mut o = SyncOptions::new(&server.url, Credentials::new(KEY, SECRET), client_dir);
    o.retry.base_delay = std::time::Duration::from_millis(20);
    o
}

fn run(o: &SyncOptions) -> Result<sync::SyncSummary, sync::SyncError> {
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(sync::sync(o, &|_| {}))
}

#[test]
fn first_sync_brings_every_queue_entry_and_its_files() {
    let tmp = tempfile::tempdir().unwrap();
    let server = start(tmp.path(), vec![]);
    let client = tmp.path().join("client");
    let summary = run(&options(&server, &client)).unwrap();
    let seed = Seed::load(&common::demo_dir()).unwrap();
    assert_eq!(summary.entries_changed, seed.queue_entries.len() as u64);
    let entries = sync::local_entries(&client, None).unwrap();
    assert_eq!(entries.len(), seed.queue_entries.len());
    // The hostile archive in the demo is quarantined; everything else is cached.
    let quarantined: Vec<_> = entries
        .iter()
        .filter(|e| matches!(e.file, LocalFileState::Quarantined { .. }))
        .collect();
    assert_eq!(quarantined.len(), 1);
    assert!(
        entries
            .iter()
            .filter(|e| e.id != quarantined[0].id)
            .all(|e| matches!(e.file, LocalFileState::Cached { .. }))
    );
    assert!(entries.iter().any(|e| e.last_approved_version_id.is_some()));
}

#[test]
fn resync_after_new_version_transfers_only_the_change() {
    let tmp = tempfile::tempdir().unwrap();
    let server = start(tmp.path(), vec![]);
    let client = tmp.path().join("client");
    let o = options(&server, &client);
    run(&o).unwrap();
    let idle = run(&o).unwrap();
    assert_eq!(idle.requests, 1, "no-change re-sync is one request");
    assert!(idle.bytes_received < 10_000);

    // A new version of add-on 101 arrives through the admin path.
    let addon = vetter_fixtures::mv2_addon();
    let mut next = vetter_fixtures::next_version(&addon);
    let mut manifest = next.manifest();
    manifest["version"] = json!("9.0.0");
    manifest["browser_specific_settings"] = json!({"gecko": {"id": "tab-tidy@vetter.example"}});
    next.files[0].data = serde_json::to_vec(&manifest).unwrap();
    let xpi = tmp.path().join("new.xpi");
    std::fs::write(&xpi, next.to_xpi()).unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_vetter-server"))
        .args(["admin", "--data"])
        .arg(&server.data)
        .args(common::backend_args(&server.data))
        .args(["add-version", "--addon", "101", "--xpi"])
        .arg(&xpi)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());

    let after = run(&o).unwrap();
    assert_eq!(after.entries_changed, 1);
    assert_eq!(after.addons_refreshed, 1);
    assert_eq!(after.downloaded, 1);
    // Queue list + one queue page + versions + signals + one download.
    assert_eq!(after.requests, 5);
    let xpi_len = std::fs::metadata(&xpi).unwrap().len();
    assert!(
        after.bytes_received < xpi_len + 20_000,
        "{} bytes",
        after.bytes_received
    );
    let entry = sync::local_entries(&client, None)
        .unwrap()
        .into_iter()
        .find(|e| e.addon_id == 101)
        .unwrap();
    assert_eq!(entry.version, "9.0.0");
    assert!(matches!(entry.file, LocalFileState::Cached { .. }));
}

#[test]
fn download_cut_mid_stream_resumes_with_range() {
    let tmp = tempfile::tempdir().unwrap();
    let server = start(
        tmp.path(),
        vec![FaultSeed::CutDownload {
            file_id: 10203,
            after_bytes: 2000,
            times: 1,
        }],
    );
    let client = tmp.path().join("client");
    let summary = run(&options(&server, &client)).unwrap();
    assert_eq!(summary.quarantined, 1, "only the hostile archive");
    assert!(summary.retries >= 1);
    let entry = sync::local_entries(&client, None)
        .unwrap()
        .into_iter()
        .find(|e| e.version_id == 10203)
        .unwrap();
    assert!(matches!(entry.file, LocalFileState::Cached { .. }));
}

#[test]
fn bytes_that_do_not_match_the_hash_are_quarantined_and_not_stored() {
    let tmp = tempfile::tempdir().unwrap();
    let server = start(tmp.path(), vec![FaultSeed::WrongBytes { file_id: 10203 }]);
    let client = tmp.path().join("client");
    let summary = run(&options(&server, &client)).unwrap();
    assert_eq!(summary.quarantined, 2);
    let entry = sync::local_entries(&client, None)
        .unwrap()
        .into_iter()
        .find(|e| e.version_id == 10203)
        .unwrap();
    match entry.file {
        LocalFileState::Quarantined { reason } => {
            assert!(reason.contains("advertised sha256:"), "{reason}")
        }
        other => panic!("expected quarantine, got {other:?}"),
    }
    let store = vetter_store::Store::open(&client).unwrap();
    assert!(
        store
            .versions()
            .unwrap()
            .iter()
            .all(|v| v.version != "1.2.0" || !v.guid.starts_with("focus-timer"))
    );
}

#[test]
fn server_errors_are_retried_after_retry_after() {
    let tmp = tempfile::tempdir().unwrap();
    let server = start(
        tmp.path(),
        vec![FaultSeed::Status {
            path_prefix: "/api/v5/reviewers/queues/".into(),
            status: 503,
            retry_after: Some(1),
            times: 2,
        }],
    );
    let client = tmp.path().join("client");
    let started = std::time::Instant::now();
    let summary = run(&options(&server, &client)).unwrap();
    assert_eq!(summary.retries, 2);
    // Two Retry-After: 1 waits; the jittered backoff alone would be far shorter.
    assert!(started.elapsed() >= std::time::Duration::from_secs(2));
    assert_eq!(summary.entries_changed, 12);
}

#[test]
fn client_errors_are_not_retried() {
    let tmp = tempfile::tempdir().unwrap();
    let server = start(tmp.path(), vec![]);
    let mut o = options(&server, &tmp.path().join("client"));
    o.credentials = Credentials::new(KEY, "wrong-secret");
    match run(&o) {
        Err(sync::SyncError::Protocol(vetter_protocol::ProtocolError::Status {
            status: 401,
            code,
            ..
        })) => assert_eq!(code, "bad_credentials"),
        other => panic!("expected a 401, got {other:?}"),
    }
}

#[test]
fn every_jwt_rule_fails_with_its_own_message() {
    let tmp = tempfile::tempdir().unwrap();
    let server = start(tmp.path(), vec![]);
    let now = unix_now();
    let claims =
        |iat: i64, exp: i64, jti: &str| json!({"iss": KEY, "jti": jti, "iat": iat, "exp": exp});
    let replayed = encode_token(&claims(now, now + 60, "replay-me"), SECRET.as_bytes());
    let cases: Vec<(Option<String>, &str)> = vec![
        (None, "missing_authorization"),
        (Some("Bearer abc".into()), "wrong_auth_scheme"),
        (Some("JWT not.a.token".into()), "malformed_token"),
        (
            Some(format!(
                "JWT {}",
                encode_token_with_header(
                    &json!({"alg": "none"}),
                    &claims(now, now + 60, "a"),
                    SECRET.as_bytes()
                )
            )),
            "wrong_algorithm",
        ),
        (
            Some(format!(
                "JWT {}",
                encode_token(
                    &json!({"iss": "user:1:9", "jti": "b", "iat": now, "exp": now + 60}),
                    SECRET.as_bytes()
                )
            )),
            "bad_credentials",
        ),
        (
            Some(format!(
                "JWT {}",
                encode_token(&claims(now, now + 60, "c"), b"nope")
            )),
            "bad_credentials",
        ),
        (
            Some(format!(
                "JWT {}",
                encode_token(
                    &json!({"iss": KEY, "jti": "d", "exp": now + 60}),
                    SECRET.as_bytes()
                )
            )),
            "missing_claim",
        ),
        (
            Some(format!(
                "JWT {}",
                encode_token(
                    &json!({"iss": KEY, "jti": "e", "iat": now}),
                    SECRET.as_bytes()
                )
            )),
            "missing_claim",
        ),
        (
            Some(format!(
                "JWT {}",
                encode_token(
                    &json!({"iss": KEY, "iat": now, "exp": now + 60}),
                    SECRET.as_bytes()
                )
            )),
            "missing_claim",
        ),
        (
            Some(format!(
                "JWT {}",
                encode_token(&claims(now, now + 301, "f"), SECRET.as_bytes())
            )),
            "lifetime_too_long",
        ),
        (
            Some(format!(
                "JWT {}",
                encode_token(&claims(now + 60, now + 120, "g"), SECRET.as_bytes())
            )),
            "issued_in_future",
        ),
        (
            Some(format!(
                "JWT {}",
                encode_token(&claims(now - 200, now - 100, "h"), SECRET.as_bytes())
            )),
            "expired",
        ),
        (
            Some(format!(
                "JWT {}",
                encode_token(&claims(now, now, "i"), SECRET.as_bytes())
            )),
            "expires_before_issued",
        ),
        (Some(format!("JWT {replayed}")), "ok"),
        (Some(format!("JWT {replayed}")), "replayed_jti"),
    ];
    let rt = tokio::runtime::Runtime::new().unwrap();
    let http = reqwest::Client::new();
    let mut details = std::collections::HashSet::new();
    for (header, code) in cases {
        let mut request = http.get(format!("{}/api/v5/accounts/profile/", server.url));
        if let Some(h) = &header {
            request = request.header("Authorization", h);
        }
        let (status, body) = rt.block_on(async {
            let r = request.send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        });
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        if code == "ok" {
            assert_eq!(status, 200, "{body}");
            continue;
        }
        assert_eq!(status, 401, "{header:?}");
        assert_eq!(body["code"], code, "{header:?}: {body}");
        details.insert(body["detail"].as_str().unwrap().to_owned());
    }
    assert_eq!(details.len(), 14, "each failure has its own message");
}
