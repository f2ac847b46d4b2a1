//! Keys, downloads and error shapes on the real server process (signed decisions are tested
//! with the signing code, in crates/vetter-cli/tests/decide_server.rs).

mod common;

use std::process::Child;

use serde_json::{Value, json};
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

fn register_key(s: &Server) {
    let (status, _) = s.json(
        "PUT",
        "/api/v5/reviewers/keys/laptop/",
        &json!({"alg": "EdDSA", "public_key": "A".repeat(43)}),
    );
    assert_eq!(status, 201);
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
    register_key(&s);
    s.credentials = Credentials::new("user:4343:1", "demo-secret-4343-not-for-production");
    let (status, body) = s.json(
        "PUT",
        "/api/v5/reviewers/keys/laptop/",
        &json!({"alg": "EdDSA", "public_key": "B".repeat(43)}),
    );
    assert_eq!((status, body["code"].as_str()), (409, Some("kid_taken")));
}
