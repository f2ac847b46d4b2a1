//! What an operator relies on, on the real server process (on this run's backend): metrics
//! that Prometheus' own text parser reads and that move with the traffic, health and readiness,
//! request ids in structured logs with nothing secret in them, and a shutdown that lets a
//! download in flight finish.

use crate::common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::Digest;
use vetter_decision::Action;
use vetter_decision::signing::ReviewerKey;
use vetter_protocol::auth::Credentials;
use vetter_testkit::ServerProcess;

const KEY: &str = "user:4242:1";
const SECRET: &str = "demo-secret-4242-not-for-production";

fn start(data: &Path, extra: &[&str]) -> ServerProcess {
    let mut args: Vec<String> = extra.iter().map(|a| (*a).to_owned()).collect();
    args.extend(common::backend_args(data));
    common::process(data, &common::demo_dir(), &args)
}

/// One request; `auth` adds fresh credentials. Returns status, headers and body.
fn request(
    base: &str,
    method: &str,
    path: &str,
    auth: bool,
    body: Option<Vec<u8>>,
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut r =
            reqwest::Client::new().request(method.parse().unwrap(), format!("{base}{path}"));
        if auth {
            r = r.header(
                "Authorization",
                Credentials::new(KEY, SECRET).authorization(),
            );
        }
        if let Some(body) = body {
            let kind = if path.ends_with("/decisions/") {
                "application/jose"
            } else {
                "application/json"
            };
            r = r.header("Content-Type", kind).body(body);
        }
        let response = r.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        (status, headers, response.bytes().await.unwrap().to_vec())
    })
}

fn json_of(base: &str, path: &str) -> Value {
    let (status, _, body) = request(base, "GET", path, true, None);
    assert_eq!(status, 200, "{path}");
    serde_json::from_slice(&body).unwrap()
}

/// A metric sample: name, sorted labels, value.
type Sample = (String, Vec<(String, String)>, f64);

/// The metrics, read by the `prometheus-parse` crate (a parser of the text format we did not
/// write), as (name, labels) → value; histograms give their `+Inf` bucket (their count).
fn scrape(base: &str) -> Vec<Sample> {
    let (status, headers, body) = request(base, "GET", "/metrics", false, None);
    assert_eq!(status, 200);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4"),
        "{headers:?}"
    );
    let text = String::from_utf8(body).unwrap();
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).unwrap();
    scrape
        .samples
        .into_iter()
        .map(|s| {
            let mut labels: Vec<(String, String)> = s
                .labels
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            labels.sort();
            let value = match s.value {
                prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Untyped(v) => v,
                prometheus_parse::Value::Histogram(buckets) => buckets
                    .iter()
                    .find(|b| b.less_than.is_infinite())
                    .map_or(0.0, |b| b.count),
                prometheus_parse::Value::Summary(_) => f64::NAN,
            };
            (s.metric, labels, value)
        })
        .collect()
}

fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .find(|(n, l, _)| {
            n == name
                && labels
                    .iter()
                    .all(|(k, v)| l.iter().any(|(lk, lv)| lk == k && lv == v))
        })
        .map_or(0.0, |s| s.2)
}

const QUEUES: &str = "/api/v5/reviewers/queues/";
const DOWNLOAD: &str = "/firefox/downloads/file/:file_id/:filename";

#[test]
fn metrics_move_with_the_traffic_and_hold_nothing_secret() {
    let tmp = tempfile::tempdir().unwrap();
    let server = start(tmp.path(), &[]);
    let base = &server.base;
    // Health and readiness need no credentials.
    for path in ["/healthz", "/readyz"] {
        let (status, _, body) = request(base, "GET", path, false, None);
        assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
    }
    let before = scrape(base);
    let route = [("route", QUEUES), ("method", "GET"), ("status", "200")];
    for _ in 0..3 {
        json_of(base, QUEUES);
    }
    let (status, _, _) = request(base, "GET", QUEUES, false, None);
    assert_eq!(status, 401);
    // The extension queue: its live entries, their oldest due date, and one file to download.
    let page = json_of(base, "/api/v5/reviewers/queues/extension/");
    let live: Vec<&Value> = page["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| !e["removed"].as_bool().unwrap_or(false))
        .collect();
    let oldest = live
        .iter()
        .map(|e| e["due_date"].as_str().unwrap())
        .min()
        .unwrap();
    let entry = live[0].clone();
    let file_url = entry["version"]["file"]["url"].as_str().unwrap();
    let file_path = &file_url[file_url.find("/firefox/").unwrap()..];
    let (status, _, file) = request(base, "GET", file_path, true, None);
    assert_eq!(status, 200);

    let after = scrape(base);
    let delta = |name: &str, labels: &[(&str, &str)]| {
        value(&after, &format!("vetter_{name}"), labels)
            - value(&before, &format!("vetter_{name}"), labels)
    };
    assert_eq!(delta("http_requests_total", &route), 3.0);
    assert_eq!(
        delta(
            "http_requests_total",
            &[("route", QUEUES), ("method", "GET"), ("status", "401")]
        ),
        1.0
    );
    assert_eq!(
        delta(
            "http_request_duration_seconds",
            &[("route", QUEUES), ("method", "GET")]
        ),
        4.0,
        "every request is timed"
    );
    assert_eq!(
        delta("sync_bytes_total", &[("route", DOWNLOAD)]),
        file.len() as f64,
        "a download counts its bytes"
    );
    let extension = [("queue", "extension")];
    assert_eq!(
        value(&after, "vetter_queue_entries", &extension),
        live.len() as f64
    );
    let oldest_secs =
        time::OffsetDateTime::parse(oldest, &time::format_description::well_known::Rfc3339)
            .unwrap()
            .unix_timestamp() as f64;
    assert_eq!(
        value(
            &after,
            "vetter_queue_oldest_due_timestamp_seconds",
            &extension
        ),
        oldest_secs
    );

    // An approval takes the entry out of the queue: the gauge and the decision counter move.
    let key = ReviewerKey::generate().unwrap();
    let public = key.public_key();
    let (status, _, _) = request(
        base,
        "PUT",
        &format!("/api/v5/reviewers/keys/{}/", public.kid()),
        true,
        Some(
            serde_json::to_vec(&json!({"alg": "EdDSA", "public_key": public.to_base64url()}))
                .unwrap(),
        ),
    );
    assert_eq!(status, 201);
    let body = vetter_testkit::signed_decision(&key, KEY, &entry, Action::Public);
    let (status, _, _) = request(
        base,
        "POST",
        "/api/v5/reviewers/decisions/",
        true,
        Some(body.clone()),
    );
    assert_eq!(status, 201);
    let (status, _, _) = request(
        base,
        "POST",
        "/api/v5/reviewers/decisions/",
        true,
        Some(body),
    );
    assert_eq!(status, 200, "the same decision again is a repeat");
    let last = scrape(base);
    let public_action = |outcome| [("action", "public"), ("outcome", outcome)];
    assert_eq!(
        value(&last, "vetter_decisions_total", &public_action("recorded")),
        1.0
    );
    assert_eq!(
        value(&last, "vetter_decisions_total", &public_action("repeated")),
        1.0
    );
    assert_eq!(
        value(&last, "vetter_queue_entries", &extension),
        live.len() as f64 - 1.0
    );

    // Nothing secret, and no client-sent path: routes are patterns.
    let (_, _, text) = request(base, "GET", "/metrics", false, None);
    let text = String::from_utf8(text).unwrap();
    for secret in [SECRET, KEY, public.kid().as_str(), file_path] {
        assert!(!text.contains(secret), "/metrics shows {secret:?}");
    }
}

#[test]
fn each_request_has_an_id_in_its_answer_and_in_one_json_log_line_without_secrets() {
    let tmp = tempfile::tempdir().unwrap();
    let log_path = tmp.path().join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let server = {
        let data = tmp.path().join("data");
        let mut args = vec!["--log-json".to_owned()];
        args.extend(common::backend_args(&data));
        let (child, base) =
            common::spawn_logging(&data, &common::demo_dir(), &args, "info", Stdio::from(log));
        ServerProcess { child, base }
    };
    let authorization = Credentials::new(KEY, SECRET).authorization();
    let (status, headers, _) =
        request(&server.base, "GET", "/api/v5/accounts/profile/", true, None);
    assert_eq!(status, 200);
    let first = headers["x-request-id"].to_str().unwrap().to_owned();
    let (_, headers, _) = request(&server.base, "GET", "/api/v5/accounts/profile/", true, None);
    let second = headers["x-request-id"].to_str().unwrap().to_owned();
    assert_ne!(first, second);
    stop(server);
    let text = std::fs::read_to_string(&log_path).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let answered: Vec<&Value> = lines
        .iter()
        .filter(|l| l["span"]["id"] == first.as_str())
        .collect();
    assert_eq!(answered.len(), 1, "{text}");
    assert_eq!(answered[0]["status"], 200, "{}", answered[0]);
    assert_eq!(answered[0]["span"]["route"], "/api/v5/accounts/profile/");
    assert_eq!(answered[0]["span"]["method"], "GET");
    assert!(answered[0]["micros"].as_u64().is_some());
    for secret in [SECRET, authorization.as_str()] {
        assert!(!text.contains(secret), "the log shows a secret");
    }
}

/// Sends SIGTERM and waits for the process to end; returns whether it exited cleanly.
fn stop(mut server: ServerProcess) -> bool {
    terminate(&server.child);
    let status = wait_for(&mut server.child, Duration::from_secs(20));
    status.is_some_and(|s| s.success())
}

fn terminate(child: &Child) {
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

fn wait_for(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

#[test]
fn a_shutdown_lets_a_download_in_flight_finish_and_takes_no_new_connection() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    // A version large enough that its download is still streaming when the signal comes.
    let mut addon = vetter_fixtures::mv2_addon();
    let mut manifest = addon.manifest();
    manifest["version"] = json!("9.9.9");
    addon.files[0].data = serde_json::to_vec(&manifest).unwrap();
    let mut noise = vec![0u8; 24 * 1024 * 1024];
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for b in noise.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
    addon.files.push(vetter_fixtures::AddonFile {
        path: "data/blob.bin".to_owned(),
        data: noise,
    });
    let xpi_path = tmp.path().join("big.xpi");
    let xpi = addon.to_xpi();
    std::fs::write(&xpi_path, &xpi).unwrap();
    // Seed first (the admin command needs the add-on), then add the version.
    let server = start(&data, &[]);
    drop(server);
    let out = Command::new(env!("CARGO_BIN_EXE_vetter-server"))
        .args(["admin", "--data"])
        .arg(&data)
        .args(common::backend_args(&data))
        .args(["add-version", "--addon", "101", "--xpi"])
        .arg(&xpi_path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let id: i64 = stdout
        .split("(id ")
        .nth(1)
        .and_then(|r| r.split(')').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{stdout}"));

    let mut server = start(&data, &["--shutdown-grace", "60"]);
    let addr = server.base.trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&addr).unwrap();
    let authorization = Credentials::new(KEY, SECRET).authorization();
    write!(
        stream,
        "GET /firefox/downloads/file/{id}/big.xpi HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {authorization}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    // Read the head and a first piece, then signal while the rest is still to come.
    let mut received = vec![0u8; 64 * 1024];
    let n = stream.read(&mut received).unwrap();
    received.truncate(n);
    terminate(&server.child);
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "the server waits for the download"
    );
    assert!(
        TcpStream::connect(&addr).is_err(),
        "no new connection is taken after the signal"
    );
    stream.read_to_end(&mut received).unwrap();
    let head_end = received.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8_lossy(&received[..head_end]).to_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    let body = &received[head_end..];
    assert_eq!(body.len(), xpi.len(), "the whole file arrived");
    assert_eq!(sha2::Sha256::digest(body), sha2::Sha256::digest(&xpi));
    let status = wait_for(&mut server.child, Duration::from_secs(20));
    assert!(
        status.is_some_and(|s| s.success()),
        "the server exits cleanly once the download is done: {status:?}"
    );
}
