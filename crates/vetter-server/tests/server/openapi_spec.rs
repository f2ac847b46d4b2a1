//! docs/api/openapi.yaml and the server agree: every documented operation answers (not 404 or
//! 405) on the real server, and every route the router serves is documented.

use crate::common;

use std::collections::BTreeSet;
use std::path::Path;

use vetter_protocol::auth::Credentials;

fn spec() -> serde_yaml::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/api/openapi.yaml");
    serde_yaml::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn spec_operations() -> BTreeSet<(String, String)> {
    let spec = spec();
    let paths = spec["paths"].as_mapping().unwrap();
    let mut out = BTreeSet::new();
    for (path, item) in paths {
        for (method, _) in item.as_mapping().unwrap() {
            // A path item also holds `parameters`, `summary` and the like.
            let known = ["get", "put", "post", "delete", "patch", "head", "options"];
            if !known.contains(&method.as_str().unwrap()) {
                continue;
            }
            out.insert((
                method.as_str().unwrap().to_uppercase(),
                path.as_str().unwrap().to_owned(),
            ));
        }
    }
    out
}

#[test]
fn every_router_route_is_in_the_spec_and_back() {
    let router: BTreeSet<(String, String)> = vetter_server::api::routes()
        .into_iter()
        .map(|(m, p)| (m.as_str().to_owned(), p.to_owned()))
        .collect();
    assert_eq!(router, spec_operations());
}

#[test]
fn every_spec_operation_answers_on_the_real_server() {
    let tmp = tempfile::tempdir().unwrap();
    let (child, base) = common::spawn_server(tmp.path(), &common::demo_dir());
    let _server = common::Running(child);
    let credentials = Credentials::new("user:4242:1", "demo-secret-4242-not-for-production");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let http = reqwest::Client::new();
    // The key routes answer 404 for a kid nobody registered: register one to ask about.
    let key = vetter_decision::signing::ReviewerKey::generate()
        .unwrap()
        .public_key();
    let registered = rt.block_on(async {
        http.put(format!("{base}/api/v5/reviewers/keys/{}/", key.kid()))
            .header("Authorization", credentials.authorization())
            .header("Content-Type", "application/json")
            .body(format!(
                r#"{{"alg":"EdDSA","public_key":"{}"}}"#,
                key.to_base64url()
            ))
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(registered, 201);
    for (method, path) in spec_operations() {
        let concrete = path
            .replace("{ident}", "101")
            .replace("{file_id}", "10101")
            .replace("{filename}", "tab-tidy.xpi")
            .replace("{name}", "mad")
            .replace("{id}", "101")
            .replace("{kid}", &key.kid());
        let url = format!("{base}{concrete}");
        let request = http
            .request(method.parse().unwrap(), &url)
            .header("Authorization", credentials.authorization())
            .header("Content-Type", "application/json")
            .body("{}");
        let (status, body) = rt.block_on(async {
            let r = request.send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        });
        assert!(
            status != 404 && status != 405,
            "{method} {path}: {status} {body}"
        );
        if status >= 400 {
            let json: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert!(
                json["code"].is_string() && json["detail"].is_string(),
                "{body}"
            );
        }
    }
}
