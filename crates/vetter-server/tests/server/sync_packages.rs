//! End-to-end: the sync imports whatever the review server serves, not only XPIs. The real
//! `vetter-server` on 127.0.0.1 serves a CRX3, an npm-style `.tgz` without `manifest.json`, and
//! two builds of one add-on under one version string; all of them end up in the cache, told
//! apart and with their formats recorded.

use crate::common;

use std::path::Path;
use std::process::{Child, Command};

use serde_json::{Value, json};
use vetter_archive::PackageFormat;
use vetter_client::sync::{self, LocalFileState, SyncOptions};
use vetter_fixtures::demo::Seed;
use vetter_fixtures::packages::{crx3, tgz_files};
use vetter_protocol::auth::Credentials;
use vetter_store::{PackageKind, Store, VersionInfo};

/// The demo seed's first reviewer, whose key this seed reuses.
const KEY: &str = "user:4242:1";
const SECRET: &str = "demo-secret-4242-not-for-production";

/// Kills the server when the test ends, however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn version(id: i64, version: &str, status: &str, extra: Value) -> Value {
    let mut v = json!({"id": id, "version": version, "status": status, "created": "now-3d"});
    if let (Some(v), Some(extra)) = (v.as_object_mut(), extra.as_object()) {
        v.extend(extra.clone());
    }
    v
}

fn addon(id: i64, slug: &str, base: &str, versions: Vec<Value>) -> Value {
    json!({
        "id": id,
        "guid": format!("{slug}@vetter.example"),
        "slug": slug,
        "name": slug,
        "summary": format!("{slug}, served to the sync test"),
        "base": base,
        "versions": versions,
    })
}

fn entry(id: i64, addon_id: i64, version_id: i64) -> Value {
    json!({
        "id": id, "queue": "extension", "addon_id": addon_id, "version_id": version_id,
        "due_date": "now+1d", "reasons": ["unknown"], "weight": 10,
    })
}

/// A seed of three add-ons: 201 serves a CRX3 and 202 an npm pack (both as real files beside
/// the seed, named as the server names every file, `<id>.xpi`), and 203 has an approved and an
/// unreviewed version that are both `2.0.0` but differ in one file.
fn write_seed(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let crx = crx3(&vetter_fixtures::mv3_addon().to_xpi());
    std::fs::write(dir.join("crx3.bin"), crx).unwrap();
    let tgz = tgz_files(&[
        (
            "package/package.json",
            br#"{"name": "left-pad-ish", "version": "1.3.0", "main": "index.js"}"#,
        ),
        (
            "package/index.js",
            b"module.exports = (s, n) => String(s).padStart(n);\n",
        ),
    ]);
    std::fs::write(dir.join("npm.tgz"), tgz).unwrap();
    let demo = Seed::load(&common::demo_dir()).unwrap();
    let seed = json!({
        "api_keys": demo.api_keys,
        "addons": [
            addon(201, "crx-wrapped", "mv3", vec![
                version(20101, "1.0.0", "unreviewed", json!({"xpi": "crx3.bin"})),
            ]),
            addon(202, "npm-pack", "mv2", vec![
                version(20201, "1.3.0", "unreviewed", json!({"xpi": "npm.tgz"})),
            ]),
            addon(203, "twice-built", "mv2", vec![
                version(20301, "2.0.0", "approved", json!({})),
                version(20302, "2.0.0", "unreviewed", json!({
                    "append": {"background.js": "\n// rebuilt with another bundler\n"},
                })),
            ]),
        ],
        "queue_entries": [
            entry(3001, 201, 20101),
            entry(3002, 202, 20201),
            entry(3003, 203, 20302),
        ],
    });
    std::fs::write(
        dir.join("seed.json"),
        serde_json::to_vec_pretty(&seed).unwrap(),
    )
    .unwrap();
    // The server refuses a seed that does not load; say so here, with the reason.
    Seed::load(dir).unwrap();
}

#[test]
fn sync_caches_crx_tgz_and_two_builds_of_one_version() {
    let tmp = tempfile::tempdir().unwrap();
    let seed_dir = tmp.path().join("seed");
    write_seed(&seed_dir);
    let data = tmp.path().join("server");
    let (child, url) = common::spawn_server(&data, &seed_dir);
    let _server = Server(child);
    let client = tmp.path().join("client");
    let mut options = SyncOptions::new(&url, Credentials::new(KEY, SECRET), &client);
    options.retry.base_delay = std::time::Duration::from_millis(20);

    let summary = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(sync::sync(&options, &|_| {}))
        .unwrap();
    assert_eq!(summary.entries_changed, 3);
    // The CRX, the npm pack, and both builds of 2.0.0 (the approved one as the diff base).
    assert_eq!((summary.downloaded, summary.quarantined), (4, 0));
    let entries = sync::local_entries(&client, None).unwrap();
    assert_eq!(entries.len(), 3);
    for e in &entries {
        assert!(
            matches!(e.file, LocalFileState::Cached { .. }),
            "entry {} (add-on {}): {:?}",
            e.id,
            e.addon_id,
            e.file
        );
    }

    let store = Store::open(&client).unwrap();
    let versions = store.versions().unwrap();
    assert_eq!(versions.len(), 4, "{versions:#?}");
    let find = |pred: &dyn Fn(&VersionInfo) -> bool| -> Vec<&VersionInfo> {
        versions.iter().filter(|v| pred(v)).collect()
    };

    let crx = find(&|v| v.build.format == PackageFormat::Crx3);
    assert_eq!(crx.len(), 1, "{versions:#?}");
    assert_eq!(crx[0].build.kind, PackageKind::Extension);
    let note = crx[0].build.signature_note.as_deref().unwrap();
    assert!(note.contains("signature not verified"), "{note}");

    let npm = find(&|v| v.build.format == PackageFormat::TarGz);
    assert_eq!(npm.len(), 1, "{versions:#?}");
    let npm = npm[0];
    assert_eq!(npm.build.kind, PackageKind::Package);
    assert_eq!(
        (npm.guid.as_str(), npm.name.as_str(), npm.version.as_str()),
        ("package:left-pad-ish", "left-pad-ish", "1.3.0")
    );
    assert_eq!(npm.build.root_prefix.as_deref(), Some("package/"));
    assert_eq!(npm.manifest_version, 0);
    let files: Vec<String> = store
        .version_files(npm.id)
        .unwrap()
        .into_iter()
        .map(|f| f.path)
        .collect();
    assert_eq!(files, ["index.js", "package.json"]);

    let builds = find(&|v| v.guid == "twice-built@vetter.example");
    assert_eq!(builds.len(), 2, "{versions:#?}");
    assert!(builds.iter().all(|v| v.version == "2.0.0"
        && v.build.format == PackageFormat::Zip
        && v.build.kind == PackageKind::Extension
        && v.build.same_version_builds == 1));
    assert_ne!(builds[0].xpi_sha256, builds[1].xpi_sha256);
    assert_ne!(builds[0].build.short_hash, builds[1].build.short_hash);
    for v in &builds {
        assert_eq!(v.build.short_hash, &v.xpi_sha256[..8]);
        assert_eq!(
            v.build.label,
            format!("2.0.0 (build {})", v.build.short_hash)
        );
    }
    // Neither of the single builds is labelled with a hash.
    assert_eq!(crx[0].build.same_version_builds, 0);
    assert_eq!(npm.build.label, "1.3.0");

    // Each queue entry points at the cached build it names, the rebuilt one for 203.
    let rebuilt = entries.iter().find(|e| e.addon_id == 203).unwrap();
    let LocalFileState::Cached { version_id } = rebuilt.file else {
        unreachable!()
    };
    assert_eq!(rebuilt.last_approved_version_id, Some(20301));
    let base = rebuilt.base_cached_version_id.unwrap();
    assert_ne!(version_id, base);
    assert!(builds.iter().any(|v| v.id == version_id));
    assert!(builds.iter().any(|v| v.id == base));

    // The seed may serve two builds of 2.0.0, but an upload of a third is refused, as on AMO.
    let mut again = vetter_fixtures::mv2_addon();
    let mut manifest = again.manifest();
    manifest["version"] = json!("2.0.0");
    again.files[0].data = serde_json::to_vec(&manifest).unwrap();
    assert_eq!(again.files[0].path, "manifest.json");
    let xpi = tmp.path().join("again.xpi");
    std::fs::write(&xpi, again.to_xpi()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_vetter-server"))
        .args(["admin", "--data"])
        .arg(&data)
        .args(common::backend_args(&data))
        .args(["add-version", "--addon", "203", "--xpi"])
        .arg(&xpi)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("already has a version \"2.0.0\""),
        "{stderr}"
    );
}
