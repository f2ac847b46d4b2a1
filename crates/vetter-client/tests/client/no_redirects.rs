//! Writes and logins never follow a redirect (issue 15, finding 7): a server that answers 307
//! gets one request, no credentials or decision go anywhere else, a decision stays waiting in
//! the outbox (a redirect says nothing about it), and the reviewer is told why.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use vetter_client::credentials::{CredentialStore, MemoryStore, Secret, login, register_key};
use vetter_client::outbox::{Outbox, OutboxState};
use vetter_decision::signing::ReviewerKey;
use vetter_decision::{Action, AddonRef, Decision, DecisionInput, VersionRef};
use vetter_protocol::auth::Credentials;
use vetter_protocol::{Client, RetryPolicy};

/// A server on 127.0.0.1 that answers every request with 307 to `location`, counting requests.
struct Redirector {
    url: String,
    hits: Arc<AtomicUsize>,
}

fn redirector(location: &str) -> Redirector {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let location = location.to_owned();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            counted.fetch_add(1, Ordering::SeqCst);
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let _ = write!(
                stream,
                "HTTP/1.1 307 Temporary Redirect\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    Redirector { url, hits }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn a_redirected_decision_stays_in_the_outbox_with_the_reason() {
    let server = redirector("/api/v5/reviewers/decisions/elsewhere/");
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(dir.path()).unwrap();
    let key = ReviewerKey::generate().unwrap();
    let decision = Decision::new(
        "user:1:abc",
        AddonRef {
            id: 7,
            guid: "tabs@example.org".to_owned(),
        },
        VersionRef {
            id: 70,
            version: "1.2.0".to_owned(),
            file_sha256: "ab".repeat(32),
        },
        Action::Comment,
        DecisionInput {
            comments: "looks fine".to_owned(),
            ..Default::default()
        },
    )
    .unwrap();
    outbox.record(&server.url, &decision, &key).unwrap();
    let summary = runtime()
        .block_on(outbox.push(&server.url, &Credentials::new("user:1:abc", "s3cret")))
        .unwrap();
    assert_eq!((summary.accepted, summary.waiting), (0, 1), "{summary:?}");
    let entry = &outbox.entries(Some(&server.url)).unwrap()[0];
    assert_eq!(entry.state, OutboxState::Pending, "{entry:?}");
    assert_eq!(entry.error_code.as_deref(), Some("redirect_refused"));
    let reason = entry.last_error.as_deref().unwrap();
    assert!(
        reason.contains("307") && reason.contains("/decisions/elsewhere/"),
        "{reason}"
    );
    assert_eq!(server.hits.load(Ordering::SeqCst), 1);
}

#[test]
fn a_login_that_is_redirected_stops_and_stores_nothing() {
    // Same origin, another path: even there fresh credentials are not sent on.
    let server = redirector("/api/v5/accounts/profile/again/");
    let store = MemoryStore::default();
    let err = runtime()
        .block_on(login(&store, &server.url, "user:1:abc", "s3cret"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("never follows a redirect"), "{err}");
    assert_eq!(server.hits.load(Ordering::SeqCst), 1);
    for secret in Secret::ALL {
        assert!(store.get(&server.url, secret).unwrap().is_none());
    }
}

#[test]
fn a_redirected_key_registration_is_an_error_naming_the_redirect() {
    let server = redirector("https://elsewhere.example/keys/");
    let client = Client::new(
        &server.url,
        Credentials::new("user:1:abc", "s3cret"),
        RetryPolicy::default(),
        std::time::Duration::from_secs(10),
    )
    .unwrap();
    let key = ReviewerKey::generate().unwrap();
    let err = runtime()
        .block_on(register_key(&client, &key.public_key()))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("307") && err.contains("https://elsewhere.example/keys/"),
        "{err}"
    );
    assert_eq!(server.hits.load(Ordering::SeqCst), 1);
}
