//! The server's limits and its public URL, on the real process: a key over its request budget
//! gets 429 with `Retry-After` (which Vetter's client waits out), refused credentials are slowed
//! per address, and `--public-url` puts every link on the TLS front end's origin.

use crate::common;

use std::process::Command;
use std::time::Duration;

use vetter_protocol::auth::Credentials;
use vetter_protocol::{Client, RetryPolicy};

fn reviewer() -> Credentials {
    Credentials::new("user:4242:1", "demo-secret-4242-not-for-production")
}

fn get(base: &str, credentials: &Credentials, path: &str) -> (u16, Option<String>, String) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let response = reqwest::Client::new()
            .get(format!("{base}{path}"))
            .header("Authorization", credentials.authorization())
            .send()
            .await
            .unwrap();
        let retry = response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        (
            response.status().as_u16(),
            retry,
            response.text().await.unwrap(),
        )
    })
}

#[test]
fn a_key_over_its_budget_gets_429_and_the_client_waits_it_out() {
    let tmp = tempfile::tempdir().unwrap();
    let (child, base) = common::spawn_server_with(
        tmp.path(),
        &common::demo_dir(),
        &["--rate-limit", "2", "--burst", "3"],
    );
    let _server = common::Running(child);
    let answers: Vec<_> = (0..6)
        .map(|_| get(&base, &reviewer(), "/api/v5/reviewers/queues/"))
        .collect();
    let limited: Vec<_> = answers
        .iter()
        .filter(|(status, ..)| *status == 429)
        .collect();
    assert!(!limited.is_empty(), "{answers:?}");
    for (_, retry, body) in limited {
        let secs: u64 = retry.as_deref().unwrap().parse().unwrap();
        assert!((1..=2).contains(&secs), "{retry:?}");
        assert!(body.contains("rate_limited"), "{body}");
    }
    // Another key has its own budget.
    let other = Credentials::new("user:4343:1", "demo-secret-4343-not-for-production");
    assert_eq!(get(&base, &other, "/api/v5/reviewers/queues/").0, 200);
    // Vetter's client honours Retry-After and gets through.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = Client::new(
        &base,
        reviewer(),
        RetryPolicy::default(),
        Duration::from_secs(30),
    )
    .unwrap();
    let url = client.url("/api/v5/reviewers/queues/").unwrap();
    for _ in 0..6 {
        rt.block_on(client.get_json(&url)).unwrap();
    }
}

#[test]
fn refused_credentials_are_slowed_per_address() {
    let tmp = tempfile::tempdir().unwrap();
    let (child, base) = common::spawn_server(tmp.path(), &common::demo_dir());
    let _server = common::Running(child);
    let guesser = Credentials::new("user:4242:1", "guess");
    let statuses: Vec<u16> = (0..60)
        .map(|_| get(&base, &guesser, "/api/v5/accounts/profile/").0)
        .collect();
    assert_eq!(statuses[0], 401);
    assert!(statuses.contains(&429), "{statuses:?}");
    // The reviewer whose key was guessed at is not locked out.
    assert_eq!(get(&base, &reviewer(), "/api/v5/accounts/profile/").0, 200);
}

#[test]
fn public_url_puts_links_and_files_on_the_front_ends_origin() {
    let tmp = tempfile::tempdir().unwrap();
    let (child, base) = common::spawn_server_with(
        tmp.path(),
        &common::demo_dir(),
        &["--public-url", "https://review.example.org"],
    );
    let _server = common::Running(child);
    let (status, _, body) = get(&base, &reviewer(), "/api/v5/addons/addon/101/versions/");
    assert_eq!(status, 200, "{body}");
    let page: serde_json::Value = serde_json::from_str(&body).unwrap();
    let url = page["results"][0]["file"]["url"].as_str().unwrap();
    assert!(
        url.starts_with("https://review.example.org/firefox/downloads/file/"),
        "{url}"
    );
}

#[test]
fn public_url_refuses_plain_http_to_another_host_and_paths() {
    let tmp = tempfile::tempdir().unwrap();
    for (url, says) in [
        ("http://review.example.org", "http://"),
        ("https://review.example.org/vetter", "without a path"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_vetter-server"))
            .args(["--listen", "127.0.0.1:0", "--public-url", url, "--data"])
            .arg(tmp.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{url} was accepted");
        assert!(stderr.contains(says), "{url}: {stderr}");
    }
}
