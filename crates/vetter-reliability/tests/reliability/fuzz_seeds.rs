//! Writes the fuzz targets' seed corpus from the project's generated fixtures (scripts/fuzz
//! sets `VETTER_FUZZ_SEEDS` to fuzz/corpus). Without it the seeds go to a temporary folder, so
//! CI still checks that every target gets seeds and that the fixtures still build.

use std::path::Path;

use vetter_decision::signing::ReviewerKey;
use vetter_decision::{Action, AddonRef, Decision, DecisionInput, VersionRef};
use vetter_fixtures::standin::{AmoStandin, REVIEWER_KEY, REVIEWER_SECRET, raw_get};
use vetter_protocol::auth::Credentials;

fn write(dir: &Path, target: &str, name: &str, bytes: &[u8]) {
    let folder = dir.join(target);
    std::fs::create_dir_all(&folder).unwrap();
    // Names from the fixtures may hold any character; the seed's name only needs to be unique.
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    std::fs::write(folder.join(format!("seed-{safe}")), bytes).unwrap();
}

/// The `protocol` target's seeds: AMO's answers as the stand-in (written from AMO's serializers,
/// not from Vetter's types) gives them, and pasted references. Each seed starts with the byte
/// that picks the type in `fuzz/fuzz_targets/protocol.rs`.
fn protocol_seeds(dir: &Path) {
    let work = tempfile::tempdir().unwrap();
    let (amo, _) = AmoStandin::start_example(Path::new(env!("CARGO_TARGET_TMPDIR")), work.path());
    let auth = Credentials::new(REVIEWER_KEY, REVIEWER_SECRET).authorization();
    let api = format!("{}/api/v5", amo.origin);
    let answers = [
        (0u8, "addon", format!("{api}/addons/addon/101/")),
        (
            1,
            "versions",
            format!("{api}/addons/addon/101/versions/?filter=all_with_unlisted"),
        ),
        (
            2,
            "version",
            format!("{api}/addons/addon/101/versions/1007/"),
        ),
        (4, "profile", format!("{api}/accounts/profile/")),
        (5, "error", format!("{api}/addons/addon/999999/")),
        (
            6,
            "validation",
            format!("{api}/reviewers/addon/101/file/5007/validation/"),
        ),
    ];
    for (mode, name, url) in answers {
        let response = raw_get(&url, &[("Authorization", &auth)]);
        let mut seed = vec![mode];
        seed.extend_from_slice(&response.body);
        write(dir, "protocol", name, &seed);
    }
    // A version's file alone, and the linter report alone, as the client reads them.
    let version = format!("{api}/addons/addon/101/versions/1007/");
    let version: serde_json::Value =
        serde_json::from_slice(&raw_get(&version, &[("Authorization", &auth)]).body).unwrap();
    let mut file = vec![3u8];
    file.extend(serde_json::to_vec(&version["file"]).unwrap());
    write(dir, "protocol", "file", &file);
    // The reference server's own answers, in the shapes docs/api/openapi.yaml gives them.
    let entry = serde_json::json!({
        "id": 7, "queue": "extension", "cursor": "12", "due_date": "2026-11-24T09:00:00Z",
        "reasons": ["auto_approval_disabled"], "flags": ["needs_admin_code_review"], "weight": 140,
        "addon": {"id": 101, "guid": "tab-notes@vetter.example", "slug": "tab-notes",
                  "name": {"en-US": "Tab Notes"}},
        "version": version,
    });
    let documents = [
        (
            9u8,
            "capabilities",
            serde_json::json!({"service": "vetter", "version": 1,
            "features": ["queues", "signals", "signing_keys", "decisions"]}),
        ),
        (
            10,
            "queues",
            serde_json::json!({"count": 1, "results": [
            {"name": "extension", "count": 1, "cursor": "12",
             "url": "http://127.0.0.1:1/api/v5/reviewers/queues/extension/"}]}),
        ),
        (
            11,
            "queue-page",
            serde_json::json!({"name": "extension", "count": 2, "cursor": "12",
            "next": null, "results": [entry, {"id": 8, "removed": true, "cursor": "11"}]}),
        ),
    ];
    for (mode, name, document) in documents {
        let mut seed = vec![mode];
        seed.extend(serde_json::to_vec(&document).unwrap());
        write(dir, "protocol", name, &seed);
    }
    for (i, reference) in [
        "https://addons.mozilla.org/de/firefox/addon/tab-notes/",
        "https://reviewers.addons.mozilla.org/en-US/reviewers/review-unlisted/102",
        "https://addons.mozilla.org/api/v5/addons/addon/%7Bd4f1c2a0-1111-4e3b-9f00-0123456789ab%7D/",
        "tab-notes@vetter.example",
        "101",
    ]
    .iter()
    .enumerate()
    {
        let mut seed = vec![12u8];
        seed.extend_from_slice(reference.as_bytes());
        write(dir, "protocol", &format!("ref{i}"), &seed);
    }
}

#[test]
fn write_fuzz_seeds() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = std::env::var_os("VETTER_FUZZ_SEEDS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| tmp.path().to_owned());
    let addons = [
        ("mv2", vetter_fixtures::mv2_addon()),
        ("mv3", vetter_fixtures::mv3_addon()),
    ];
    for (label, addon) in &addons {
        write(&dir, "archive", label, &addon.to_xpi());
        let next = vetter_fixtures::next_version(addon);
        for file in &addon.files {
            let name = format!("{label}-{}", file.path);
            if file.path.ends_with("manifest.json") {
                write(&dir, "manifest", &name, &file.data);
            }
            if [".js", ".css", ".json"]
                .iter()
                .any(|e| file.path.ends_with(e))
            {
                write(&dir, "pretty", &name, &file.data);
            }
            if let Some(newer) = next.files.iter().find(|f| f.path == file.path) {
                let mut pair = file.data.clone();
                pair.push(0);
                pair.extend_from_slice(&newer.data);
                write(&dir, "diff_highlight", &name, &pair);
            }
        }
    }
    // Hostile archives that are small enough to mutate quickly.
    for (name, bytes, _) in vetter_fixtures::all_malicious() {
        if bytes.len() <= 256 * 1024 {
            write(&dir, "archive", name, &bytes);
        }
    }
    let credentials = Credentials::new("user:4242:1", "fuzz-secret");
    write(&dir, "jwt", "demo", credentials.authorization().as_bytes());
    let key = ReviewerKey::generate().unwrap();
    let decision = Decision::new(
        "user:4242:1",
        AddonRef {
            id: 101,
            guid: "tab-tidy@vetter.example".into(),
        },
        VersionRef {
            id: 10101,
            version: "1.0.0".into(),
            file_sha256: "0".repeat(64),
        },
        Action::Comment,
        DecisionInput {
            comments: "seed".into(),
            ..Default::default()
        },
    )
    .unwrap();
    write(
        &dir,
        "jws",
        "decision",
        key.sign(&decision).unwrap().as_bytes(),
    );
    write(
        &dir,
        "jws",
        "public-key",
        key.public_key().to_base64url().as_bytes(),
    );

    protocol_seeds(&dir);

    for target in [
        "protocol",
        "archive",
        "manifest",
        "diff_highlight",
        "pretty",
        "jwt",
        "jws",
    ] {
        let seeds = std::fs::read_dir(dir.join(target)).unwrap().count();
        assert!(seeds > 0, "no seeds for {target}");
    }
}
