//! Keys, downloads and error shapes on the real server process (signed decisions are tested
//! with the signing code, in crates/vetter-cli/tests/cli/decide_server.rs).

use crate::common;

use std::process::Child;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use vetter_decision::signing::ReviewerKey;
use vetter_protocol::auth::Credentials;

struct Server {
    child: Child,
    base: String,
    rt: tokio::runtime::Runtime,
    http: reqwest::Client,
    credentials: Credentials,
    _tmp: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start() -> Server {
        let tmp = tempfile::tempdir().unwrap();
        let (child, base) = common::spawn_server(tmp.path(), &common::demo_dir());
        Server {
            child,
            base,
            rt: tokio::runtime::Runtime::new().unwrap(),
            // No pooling: the server closes the connection after refusing an oversized body, and a
            // reused connection would fail the next request for a reason the test is not about.
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .unwrap(),
            credentials: Credentials::new("user:4242:1", "demo-secret-4242-not-for-production"),
            _tmp: tmp,
        }
    }

    fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> (u16, Vec<u8>, reqwest::header::HeaderMap) {
        let mut request = self
            .http
            .request(method.parse().unwrap(), format!("{}{path}", self.base))
            .header("Authorization", self.credentials.authorization())
            .body(body);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        self.rt.block_on(async {
            let r = request.send().await.unwrap();
            let (status, headers) = (r.status().as_u16(), r.headers().clone());
            (status, r.bytes().await.unwrap().to_vec(), headers)
        })
    }

    fn json(&self, method: &str, path: &str, body: &Value) -> (u16, Value) {
        let (status, bytes, _) = self.send(
            method,
            path,
            &[("Content-Type", "application/json")],
            serde_json::to_vec(body).unwrap(),
        );
        (status, serde_json::from_slice(&bytes).unwrap())
    }
}

fn put_key(s: &Server, kid: &str, public_key: &str) -> (u16, Value) {
    s.json(
        "PUT",
        &format!("/api/v5/reviewers/keys/{kid}/"),
        &json!({"alg": "EdDSA", "public_key": public_key}),
    )
}

fn register_key(s: &Server) -> ReviewerKey {
    let key = ReviewerKey::generate().unwrap();
    let public = key.public_key();
    let (status, body) = put_key(s, &public.kid(), &public.to_base64url());
    assert_eq!(status, 201, "{body}");
    key
}

/// RFC 7638 thumbprint of an Ed25519 `x`, computed here rather than by the code under test.
fn thumbprint(x: &str) -> String {
    use sha2::Digest;
    let jwk = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(jwk.as_bytes()))
}

#[test]
fn downloads_honour_single_ranges_and_refuse_unsatisfiable_ones() {
    let s = Server::start();
    let (status, whole, _) = s.send("GET", "/firefox/downloads/file/10101/x.xpi", &[], vec![]);
    assert_eq!(status, 200);
    let (status, part, headers) = s.send(
        "GET",
        "/firefox/downloads/file/10101/x.xpi",
        &[("Range", "bytes=100-")],
        vec![],
    );
    assert_eq!(status, 206);
    assert_eq!(part, whole[100..]);
    assert_eq!(
        headers["content-range"].to_str().unwrap(),
        format!("bytes 100-{}/{}", whole.len() - 1, whole.len())
    );
    let range = format!("bytes={}-", whole.len());
    let (status, body, _) = s.send(
        "GET",
        "/firefox/downloads/file/10101/x.xpi",
        &[("Range", &range)],
        vec![],
    );
    assert_eq!(status, 416);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["code"],
        "range_not_satisfiable"
    );
}

#[test]
fn oversized_and_malformed_requests_get_json_errors() {
    let s = Server::start();
    let (status, body, _) = s.send(
        "POST",
        "/api/v5/reviewers/decisions/",
        &[("Content-Type", "application/json")],
        vec![b' '; 100_000],
    );
    assert_eq!(status, 413);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["code"],
        "body_too_large"
    );
    for path in [
        "/api/v5/reviewers/queues/mad/?since=abc",
        "/api/v5/reviewers/addon/-1/signals/",
        "/api/v5/addons/addon/101/versions/?page_size=9999",
        "/firefox/downloads/file/x/y",
    ] {
        let (status, body, _) = s.send("GET", path, &[], vec![]);
        assert_eq!(status, 400, "{path}");
        assert_eq!(
            serde_json::from_slice::<Value>(&body).unwrap()["code"],
            "bad_request",
            "{path}"
        );
    }
    let (status, body, _) = s.send("GET", "/api/v5/reviewers/queues/nope/", &[], vec![]);
    assert_eq!(
        (
            status,
            serde_json::from_slice::<Value>(&body).unwrap()["code"]
                .as_str()
                .map(str::to_owned)
        ),
        (404, Some("not_found".to_owned()))
    );
    let (status, _, _) = s.send("DELETE", "/api/v5/reviewers/queues/", &[], vec![]);
    assert_eq!(status, 405);
}

#[test]
fn a_key_id_belongs_to_one_reviewer() {
    let mut s = Server::start();
    let key = register_key(&s);
    let public = key.public_key();
    s.credentials = Credentials::new("user:4343:1", "demo-secret-4343-not-for-production");
    let (status, body) = put_key(&s, &public.kid(), &public.to_base64url());
    assert_eq!((status, body["code"].as_str()), (409, Some("kid_taken")));
}

#[test]
fn a_registration_needs_a_strong_key_under_its_own_thumbprint() {
    let s = Server::start();
    let good = ReviewerKey::generate().unwrap().public_key();
    let other = ReviewerKey::generate().unwrap().public_key();
    // Any name but the thumbprint would let a kid be re-pointed later.
    let (status, body) = put_key(&s, "laptop", &good.to_base64url());
    assert_eq!((status, body["code"].as_str()), (400, Some("bad_request")));
    let (status, body) = put_key(&s, &other.kid(), &good.to_base64url());
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("kid_not_thumbprint")),
        "{body}"
    );
    assert!(
        body["detail"].as_str().unwrap().contains(&good.kid()),
        "{body}"
    );
    // The identity point has small order: it "verifies" forged signatures.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let weak = URL_SAFE_NO_PAD.encode(identity);
    let (status, body) = put_key(&s, &thumbprint(&weak), &weak);
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("bad_public_key")),
        "{body}"
    );
    assert!(body["detail"].as_str().unwrap().contains("weak"), "{body}");
    let short = URL_SAFE_NO_PAD.encode([7u8; 31]);
    let (status, body) = put_key(&s, &thumbprint(&short), &short);
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("bad_public_key"))
    );
    let (status, body) = s.json("GET", "/api/v5/reviewers/keys/", &Value::Null);
    assert_eq!((status, body["count"].as_i64()), (200, Some(0)), "{body}");
}

#[test]
fn a_kid_never_changes_its_key() {
    let s = Server::start();
    let first = register_key(&s).public_key();
    let second = ReviewerKey::generate().unwrap().public_key();
    let (status, body) = put_key(&s, &first.kid(), &second.to_base64url());
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("kid_not_thumbprint")),
        "{body}"
    );
    let (status, body) = put_key(&s, &first.kid(), &first.to_base64url());
    assert_eq!(status, 200, "the same key again is fine: {body}");
    let (_, body) = s.json(
        "GET",
        &format!("/api/v5/reviewers/keys/{}/", first.kid()),
        &Value::Null,
    );
    assert_eq!(body["public_key"], first.to_base64url().as_str(), "{body}");
}

#[test]
fn keys_keep_their_history_and_revocation() {
    let mut s = Server::start();
    let old = register_key(&s).public_key();
    let new = register_key(&s).public_key();
    let path = |kid: &str| format!("/api/v5/reviewers/keys/{kid}/");
    let (status, revoked) = s.json("DELETE", &path(&old.kid()), &Value::Null);
    assert_eq!(status, 200, "{revoked}");
    let revoked_at = revoked["revoked_at"].as_str().unwrap().to_owned();
    // A second revocation keeps the first time; a revoked key never comes back.
    let (status, again) = s.json("DELETE", &path(&old.kid()), &Value::Null);
    assert_eq!(
        (status, again["revoked_at"].as_str()),
        (200, Some(revoked_at.as_str()))
    );
    let (status, body) = put_key(&s, &old.kid(), &old.to_base64url());
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("key_revoked")),
        "{body}"
    );

    let (status, list) = s.json("GET", "/api/v5/reviewers/keys/", &Value::Null);
    assert_eq!(status, 200);
    let keys = list["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2, "{list}");
    for (key, public, revoked) in [(&keys[0], old, true), (&keys[1], new, false)] {
        assert_eq!(key["kid"], public.kid().as_str());
        assert_eq!(key["x"], public.to_base64url().as_str());
        assert_eq!(key["public_key"], public.to_base64url().as_str());
        assert_eq!(
            (key["kty"].as_str(), key["crv"].as_str()),
            (Some("OKP"), Some("Ed25519"))
        );
        assert_eq!(
            (key["alg"].as_str(), key["user_id"].as_i64()),
            (Some("EdDSA"), Some(4242))
        );
        assert!(
            key["created_at"].as_str().unwrap().starts_with("20"),
            "{key}"
        );
        assert_eq!(key["revoked_at"].is_string(), revoked, "{key}");
    }

    s.credentials = Credentials::new("user:4343:1", "demo-secret-4343-not-for-production");
    let (status, body) = s.json("DELETE", &path(&new.kid()), &Value::Null);
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("key_not_yours"))
    );
    let (status, _) = s.json("GET", &path(&"A".repeat(43)), &Value::Null);
    assert_eq!(status, 404);
}

#[test]
fn an_unknown_key_and_a_wrong_secret_get_the_same_answer() {
    let mut s = Server::start();
    s.credentials = Credentials::new("user:9999:9", "demo-secret-4242-not-for-production");
    let (unknown_status, unknown, _) = s.send("GET", "/api/v5/accounts/profile/", &[], vec![]);
    s.credentials = Credentials::new("user:4242:1", "not-the-secret");
    let (wrong_status, wrong, _) = s.send("GET", "/api/v5/accounts/profile/", &[], vec![]);
    let unknown = String::from_utf8(unknown).unwrap();
    let wrong = String::from_utf8(wrong).unwrap();
    assert_eq!((unknown_status, wrong_status), (401, 401));
    // Identical but for the API key the caller sent itself.
    assert_eq!(
        unknown.replace("user:9999:9", "KEY"),
        wrong.replace("user:4242:1", "KEY")
    );
    assert!(wrong.contains("bad_credentials"), "{wrong}");
}
