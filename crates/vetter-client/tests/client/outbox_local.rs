//! The outbox without a server: what `record` writes, and that an unreachable server leaves
//! decisions waiting. (Pushing to the real server is tested in vetter-cli's outbox tests.)

use rusqlite::Connection;
use vetter_client::outbox::{Outbox, OutboxState};
use vetter_decision::signing::{RegisteredKey, ReviewerKey, SignedDecision, Submitter};
use vetter_decision::{Action, AddonRef, Decision, DecisionInput, VersionRef};
use vetter_protocol::auth::Credentials;
use vetter_store::DB_FILE;

const SHA: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const SERVER: &str = "http://127.0.0.1:9";

fn decision(action: Action, input: DecisionInput) -> Decision {
    Decision::new(
        "user:1:abc",
        AddonRef {
            id: 7,
            guid: "tabs@example.org".to_owned(),
        },
        VersionRef {
            id: 70,
            version: "1.2.0".to_owned(),
            file_sha256: SHA.to_owned(),
        },
        action,
        input,
    )
    .unwrap()
}

fn count(dir: &std::path::Path, table: &str) -> i64 {
    Connection::open(dir.join(DB_FILE))
        .unwrap()
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

#[test]
fn record_writes_the_decision_and_its_signed_outbox_row_together() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(dir.path()).unwrap();
    let key = ReviewerKey::generate().unwrap();
    let d = decision(Action::Public, DecisionInput::default());
    let entry = outbox.record(SERVER, &d, &key).unwrap();
    assert_eq!(entry.state, OutboxState::Pending);
    assert_eq!(entry.decision, d);
    assert_eq!(entry.kid, key.public_key().kid());
    assert_eq!(
        (
            count(dir.path(), "local_decisions"),
            count(dir.path(), "outbox")
        ),
        (1, 1)
    );

    // The stored JWS is the decision, signed by this key.
    let jws: String = Connection::open(dir.path().join(DB_FILE))
        .unwrap()
        .query_row("SELECT jws FROM outbox", [], |r| r.get(0))
        .unwrap();
    let verified = SignedDecision::parse(&jws)
        .unwrap()
        .verify(
            Submitter {
                api_key: "user:1:abc",
                user: "1",
            },
            Some(&RegisteredKey {
                owner: "1".to_owned(),
                public_key: key.public_key().to_base64url(),
                revoked_at: None,
            }),
        )
        .unwrap();
    assert_eq!(verified, d);
}

#[test]
fn an_invalid_decision_leaves_no_row() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(dir.path()).unwrap();
    let key = ReviewerKey::generate().unwrap();
    let mut d = decision(Action::Public, DecisionInput::default());
    d.action = Action::Reject; // no reasons
    let err = outbox.record(SERVER, &d, &key).unwrap_err();
    assert!(err.to_string().contains("`reasons`"), "{err}");
    assert_eq!(
        (
            count(dir.path(), "local_decisions"),
            count(dir.path(), "outbox")
        ),
        (0, 0)
    );
}

#[test]
fn recording_the_same_decision_twice_is_refused_and_keeps_one_row() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(dir.path()).unwrap();
    let key = ReviewerKey::generate().unwrap();
    let d = decision(Action::Public, DecisionInput::default());
    outbox.record(SERVER, &d, &key).unwrap();
    assert!(outbox.record(SERVER, &d, &key).is_err());
    assert_eq!(
        (
            count(dir.path(), "local_decisions"),
            count(dir.path(), "outbox")
        ),
        (1, 1)
    );
}

#[test]
fn unreachable_server_leaves_decisions_pending_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(dir.path()).unwrap();
    let key = ReviewerKey::generate().unwrap();
    // A port nothing listens on: bind one, note it, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = format!("http://127.0.0.1:{port}");
    for _ in 0..3 {
        let d = decision(
            Action::Comment,
            DecisionInput {
                comments: "looks fine".to_owned(),
                ..Default::default()
            },
        );
        outbox.record(&server, &d, &key).unwrap();
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let summary = runtime
        .block_on(outbox.push(&server, &Credentials::new("user:1:abc", "s3cret")))
        .unwrap();
    assert_eq!(summary.waiting, 3);
    assert_eq!(summary.accepted, 0);
    assert!(
        summary
            .stopped
            .as_deref()
            .unwrap_or("")
            .contains("cannot reach"),
        "{summary:?}"
    );
    let entries = outbox.entries(Some(&server)).unwrap();
    assert!(entries.iter().all(|e| e.state == OutboxState::Pending));
    // The push stopped at the first failure: one attempt, not three.
    assert_eq!(entries.iter().map(|e| e.attempts).sum::<i64>(), 1);
    assert_eq!(entries.iter().filter(|e| e.last_error.is_some()).count(), 1);
}

#[test]
fn integrity_check_is_ok_after_recording() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(dir.path()).unwrap();
    let key = ReviewerKey::generate().unwrap();
    outbox
        .record(
            SERVER,
            &decision(Action::Public, DecisionInput::default()),
            &key,
        )
        .unwrap();
    let check: String = Connection::open(dir.path().join(DB_FILE))
        .unwrap()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}
