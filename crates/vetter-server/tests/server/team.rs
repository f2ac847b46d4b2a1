//! A review team on PostgreSQL: two server processes on one database, as behind a load
//! balancer. Whatever backend the rest of the suite runs on, these tests always use a private
//! PostgreSQL cluster, since sharing a database between processes is what they are about.

use crate::common;

use std::path::Path;
use std::sync::{Arc, Barrier};

use serde_json::{Value, json};
use vetter_decision::Action;
use vetter_decision::signing::ReviewerKey;
use vetter_protocol::auth::Credentials;
use vetter_testkit::ServerProcess;
use vetter_testkit::postgres::{Cluster, shared};

const ADA: (&str, &str) = ("user:4242:1", "demo-secret-4242-not-for-production");
const BO: (&str, &str) = ("user:4343:1", "demo-secret-4343-not-for-production");

/// Starts a server process on `key`'s database of `cluster`.
fn start(cluster: &Cluster, key: &str, data: &Path) -> ServerProcess {
    common::process(
        data,
        &common::demo_dir(),
        &cluster.server_args(key).unwrap(),
    )
}

/// One blocking request with fresh credentials; returns the status, the body as JSON (or
/// `Null`) and the raw Authorization header used.
fn call(
    base: &str,
    who: (&str, &str),
    method: &str,
    path: &str,
    body: Option<(&str, Vec<u8>)>,
) -> (u16, Value) {
    let credentials = Credentials::new(who.0, who.1);
    call_with(base, &credentials.authorization(), method, path, body)
}

fn call_with(
    base: &str,
    authorization: &str,
    method: &str,
    path: &str,
    body: Option<(&str, Vec<u8>)>,
) -> (u16, Value) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut request = reqwest::Client::new()
            .request(method.parse().unwrap(), format!("{base}{path}"))
            .header("Authorization", authorization);
        if let Some((content_type, bytes)) = body {
            request = request.header("Content-Type", content_type).body(bytes);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let bytes = response.bytes().await.unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    })
}

fn register(base: &str, who: (&str, &str)) -> ReviewerKey {
    let key = ReviewerKey::generate().unwrap();
    let public = key.public_key();
    let (status, body) = call(
        base,
        who,
        "PUT",
        &format!("/api/v5/reviewers/keys/{}/", public.kid()),
        Some((
            "application/json",
            serde_json::to_vec(&json!({"alg": "EdDSA", "public_key": public.to_base64url()}))
                .unwrap(),
        )),
    );
    assert_eq!(status, 201, "{body}");
    key
}

/// The first live entry of the demo's `extension` queue, as the server lists it.
fn first_entry(base: &str) -> Value {
    let (status, page) = call(
        base,
        ADA,
        "GET",
        "/api/v5/reviewers/queues/extension/",
        None,
    );
    assert_eq!(status, 200, "{page}");
    page["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| !e["removed"].as_bool().unwrap_or(false))
        .cloned()
        .expect("the demo queue has a live entry")
}

#[test]
fn two_reviewers_on_two_processes_deciding_one_entry_one_wins_and_the_other_sees_why() {
    let cluster = shared().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let a = start(cluster, "race", &tmp.path().join("a"));
    let b = start(cluster, "race", &tmp.path().join("b"));
    let ada_key = register(&a.base, ADA);
    let bo_key = register(&b.base, BO);
    let entry = first_entry(&a.base);
    let approve = vetter_testkit::signed_decision(&ada_key, ADA.0, &entry, Action::Public);
    let reject = vetter_testkit::signed_decision(&bo_key, BO.0, &entry, Action::Reject);
    // Both submit at the same moment, each to its own process.
    let barrier = Arc::new(Barrier::new(2));
    let outcomes: Vec<(u16, Value)> =
        [(a.base.clone(), ADA, approve), (b.base.clone(), BO, reject)]
            .into_iter()
            .map(|(base, who, body)| {
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    barrier.wait();
                    call(
                        &base,
                        who,
                        "POST",
                        "/api/v5/reviewers/decisions/",
                        Some(("application/jose", body)),
                    )
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect();
    let statuses: Vec<u16> = outcomes.iter().map(|o| o.0).collect();
    assert!(
        statuses == [201, 409] || statuses == [409, 201],
        "one decision wins, the other is refused: {outcomes:?}"
    );
    let (_, refused) = outcomes.iter().find(|o| o.0 == 409).unwrap();
    assert_eq!(refused["code"], "version_not_under_review", "{refused}");
    assert_eq!(refused["current"]["in_queue"], false, "{refused}");
    assert_eq!(refused["current"]["entry_id"], entry["id"], "{refused}");
    // Both processes serve the same audit log: one decision, and the entry left the queue.
    for base in [&a.base, &b.base] {
        let (_, log) = call(base, ADA, "GET", "/api/v5/reviewers/decisions/", None);
        assert_eq!(log["count"], 1, "{log}");
        let since = entry["cursor"].as_str().unwrap();
        let (_, changes) = call(
            base,
            BO,
            "GET",
            &format!("/api/v5/reviewers/queues/extension/?since={since}"),
            None,
        );
        let gone = changes["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == entry["id"])
            .unwrap_or_else(|| panic!("the settled entry is a change: {changes}"));
        assert_eq!(gone["removed"], true, "{gone}");
    }
}

#[test]
fn presence_and_used_tokens_are_shared_by_every_process() {
    let cluster = shared().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let a = start(cluster, "shared-state", &tmp.path().join("a"));
    let b = start(cluster, "shared-state", &tmp.path().join("b"));
    let entry = first_entry(&a.base);
    let addon = entry["addon"]["id"].as_i64().unwrap();
    let (status, body) = call(
        &a.base,
        ADA,
        "POST",
        &format!("/api/v5/reviewers/addon/{addon}/presence/"),
        None,
    );
    assert_eq!(status, 200, "{body}");
    let (status, others) = call(&b.base, BO, "GET", "/api/v5/reviewers/presence/", None);
    assert_eq!(status, 200, "{others}");
    assert!(
        others.to_string().contains("4242") || others.to_string().contains("Ada"),
        "Bo, on the other process, sees Ada's open review: {others}"
    );
    // A request token is good once, on whichever process sees it first.
    let header = Credentials::new(BO.0, BO.1).authorization();
    let (status, _) = call_with(&a.base, &header, "GET", "/api/v5/accounts/profile/", None);
    assert_eq!(status, 200);
    let (status, body) = call_with(&b.base, &header, "GET", "/api/v5/accounts/profile/", None);
    assert_eq!(
        status, 401,
        "a replay on another process is refused: {body}"
    );
}

#[test]
fn processes_started_together_on_an_empty_database_seed_it_once() {
    let cluster = shared().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let args = cluster.server_args("together").unwrap();
    let started: Vec<ServerProcess> = (0..3)
        .map(|n| {
            let data = tmp.path().join(n.to_string());
            let args = args.clone();
            std::thread::spawn(move || common::process(&data, &common::demo_dir(), &args))
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().unwrap())
        .collect();
    let counts: Vec<Vec<(Value, Value)>> = started
        .iter()
        .map(|p| {
            let (_, list) = call(&p.base, ADA, "GET", "/api/v5/reviewers/queues/", None);
            list["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|q| (q["name"].clone(), q["count"].clone()))
                .collect()
        })
        .collect();
    assert_eq!(counts[0].len(), 5, "{counts:?}");
    assert!(counts.iter().all(|c| c == &counts[0]), "{counts:?}");
    let name = cluster.database_for("together").unwrap();
    let mut client = cluster.client(&name).unwrap();
    let seeded: i64 = client
        .query_one("SELECT COUNT(*) FROM meta WHERE key = 'seeded'", &[])
        .unwrap()
        .get(0);
    let steps: i64 = client
        .query_one("SELECT COUNT(*) FROM schema_steps", &[])
        .unwrap()
        .get(0);
    assert_eq!((seeded, steps), (1, 1));
}

#[test]
fn the_decision_log_refuses_changes_in_the_database_itself() {
    let cluster = shared().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let a = start(cluster, "append-only", &tmp.path().join("a"));
    let key = register(&a.base, ADA);
    let entry = first_entry(&a.base);
    let (status, body) = call(
        &a.base,
        ADA,
        "POST",
        "/api/v5/reviewers/decisions/",
        Some((
            "application/jose",
            vetter_testkit::signed_decision(&key, ADA.0, &entry, Action::Comment),
        )),
    );
    assert_eq!(status, 201, "{body}");
    let name = cluster.database_for("append-only").unwrap();
    let mut client = cluster.client(&name).unwrap();
    for sql in [
        "UPDATE decisions SET user_id = 1",
        "DELETE FROM decisions",
        "TRUNCATE decisions",
        "UPDATE reviewer_keys SET public_key = 'x'",
        "DELETE FROM reviewer_keys",
    ] {
        let error = client.batch_execute(sql).unwrap_err();
        let message = vetter_server::storage::pg_detail(&error);
        assert!(
            message.contains("append-only") || message.contains("reviewer_keys"),
            "{sql}: {message}"
        );
    }
    let kept: i64 = client
        .query_one("SELECT COUNT(*) FROM decisions", &[])
        .unwrap()
        .get(0);
    assert_eq!(kept, 1);
}

#[test]
fn a_database_url_with_a_password_or_a_remote_host_is_refused_before_starting() {
    for (url, expected) in [
        (
            "postgres://vetter:hunter2@127.0.0.1:5432/vetter",
            "password",
        ),
        (
            "postgres://vetter@db.example.org:5432/vetter",
            "not on this machine",
        ),
        ("not a url at all ===", "PostgreSQL connection"),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_vetter-server"))
            .args(["--listen", "127.0.0.1:0", "--data"])
            .arg(tmp.path())
            .args(["--database", url])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{url}");
        assert!(stderr.contains(expected), "{url}: {stderr}");
        assert!(
            !stderr.contains("hunter2"),
            "the password is never echoed: {stderr}"
        );
    }
}
