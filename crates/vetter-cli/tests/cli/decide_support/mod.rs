//! Shared by the decision, outbox, keyring and secrets tests: the real reference server run
//! in-process on 127.0.0.1 (so a test can stop and restart it), the demo seed, raw HTTP, and
//! re-running one test inside a private unlocked GNOME Keyring.
#![allow(dead_code)]

use std::path::Path;

use vetter_protocol::auth::Credentials;
// Each test binary that includes this module uses a different part of it.
#[allow(unused_imports)]
pub use vetter_testkit::{
    OTHER_KEY, OTHER_SECRET, REVIEWER_KEY, REVIEWER_SECRET, Server, demo_seed, other_reviewer,
    reviewer,
};

/// Adds a new version to an add-on through the server's admin storage, which moves the
/// add-on's queue entry to it (what "a new version arrived" looks like to reviewers).
pub fn add_version(data_dir: &Path, addon_id: i64, version: &str) -> i64 {
    use vetter_server::storage::{NewVersion, Storage};
    let storage = vetter_server::open_storage(data_dir, None).unwrap();
    let mut addon = vetter_fixtures::addons::mv2_addon();
    addon = vetter_fixtures::addons::next_version(&addon);
    let row = storage
        .add_version(&NewVersion {
            addon_id,
            version: version.to_owned(),
            xpi: addon.to_xpi(),
            permissions: vec![],
            host_permissions: vec![],
            queue: "extension".to_owned(),
        })
        .unwrap();
    row.id
}

/// A blocking HTTP answer.
#[derive(Debug)]
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// Body as JSON (Null when not JSON).
    pub json: serde_json::Value,
}

/// Sends one request with a JWT from `credentials` (or the given Authorization value).
pub fn request(
    method: &str,
    url: &str,
    authorization: &str,
    content_type: Option<&str>,
    body: Option<Vec<u8>>,
) -> Answer {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let mut req = client
            .request(method.parse().unwrap(), url)
            .header("Authorization", authorization);
        if let Some(ct) = content_type {
            req = req.header("Content-Type", ct);
        }
        if let Some(body) = body {
            req = req.body(body);
        }
        let response = req.send().await.unwrap();
        let status = response.status().as_u16();
        let bytes = response.bytes().await.unwrap();
        Answer {
            status,
            json: serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        }
    })
}

/// GET as JSON with `credentials`.
pub fn get_json(server: &str, path: &str, credentials: &Credentials) -> serde_json::Value {
    let answer = request(
        "GET",
        &format!("{server}{path}"),
        &credentials.authorization(),
        None,
        None,
    );
    assert_eq!(answer.status, 200, "GET {path}: {:?}", answer.json);
    answer.json
}

/// Registers `key` for `credentials`' reviewer.
pub fn register_key(
    server: &str,
    credentials: &Credentials,
    key: &vetter_decision::signing::ReviewerKey,
) {
    let public = key.public_key();
    let answer = request(
        "PUT",
        &format!("{server}/api/v5/reviewers/keys/{}/", public.kid()),
        &credentials.authorization(),
        Some("application/json"),
        Some(
            serde_json::json!({"alg": "EdDSA", "public_key": public.to_base64url()})
                .to_string()
                .into_bytes(),
        ),
    );
    assert!(matches!(answer.status, 200 | 201), "{answer:?}");
}

/// Posts a signed decision as `credentials`.
pub fn post_decision(server: &str, credentials: &Credentials, jws: &str) -> Answer {
    request(
        "POST",
        &format!("{server}/api/v5/reviewers/decisions/"),
        &credentials.authorization(),
        Some(vetter_decision::signing::JWS_MEDIA_TYPE),
        Some(jws.as_bytes().to_vec()),
    )
}

/// The version under review for `addon_id` as the server reports it: (id, version, sha256).
pub fn under_review(server: &str, addon_id: i64) -> (i64, String, String) {
    let queues = get_json(server, "/api/v5/reviewers/queues/", &reviewer());
    let names: Vec<String> = queues
        .get("results")
        .and_then(|r| r.as_array())
        .or_else(|| queues.as_array())
        .unwrap()
        .iter()
        .map(|q| q["name"].as_str().unwrap().to_owned())
        .collect();
    for name in names {
        let page = get_json(
            server,
            &format!("/api/v5/reviewers/queues/{name}/?since=0&page_size=1000"),
            &reviewer(),
        );
        for entry in page["results"].as_array().unwrap() {
            if entry["addon"]["id"].as_i64() == Some(addon_id)
                && !entry["removed"].as_bool().unwrap_or(false)
            {
                let v = &entry["version"];
                let hash = v["file"]["hash"].as_str().unwrap();
                return (
                    v["id"].as_i64().unwrap(),
                    v["version"].as_str().unwrap().to_owned(),
                    hash.strip_prefix("sha256:").unwrap_or(hash).to_owned(),
                );
            }
        }
    }
    panic!("add-on {addon_id} has no version under review");
}

/// Every decision id in the server's audit log (with repeats, if the server ever doubled one).
pub fn server_decision_ids(server: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut since = "0".to_owned();
    loop {
        let page = get_json(
            server,
            &format!("/api/v5/reviewers/decisions/?since={since}&page_size=1000"),
            &reviewer(),
        );
        let results = page["results"].as_array().unwrap();
        if results.is_empty() {
            return ids;
        }
        for row in results {
            ids.push(row["id"].as_str().unwrap().to_owned());
        }
        since = page["cursor"].as_str().unwrap().to_owned();
    }
}

/// Runs the test `name` of module `module` (its `module_path!()`) in this test binary again
/// inside `scripts/with-keyring` (a private D-Bus session with an unlocked GNOME Keyring) and
/// returns false; inside, returns true.
/// The test fails when the keyring cannot be started: it never skips.
pub fn inside_keyring(module: &str, name: &str) -> bool {
    if std::env::var_os("VETTER_TEST_IN_KEYRING").is_some() {
        return true;
    }
    // libtest names a test by its module path below the crate: `module_path!()` less its first
    // segment (the test binary), then the function.
    let name = match module.split_once("::") {
        Some((_, below)) => format!("{below}::{name}"),
        None => name.to_owned(),
    };
    let name = name.as_str();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/with-keyring");
    let out = std::process::Command::new(script)
        .arg(std::env::current_exe().unwrap())
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env("VETTER_TEST_IN_KEYRING", "1")
        .output()
        .expect("scripts/with-keyring could not be run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{name} failed inside the keyring session ({}):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(
        stdout.contains("1 passed"),
        "{name} did not run inside the keyring session:\n{stdout}\n{stderr}"
    );
    false
}
