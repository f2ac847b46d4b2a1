//! Writes the fuzz targets' seed corpus from the project's generated fixtures (scripts/fuzz
//! sets `VETTER_FUZZ_SEEDS` to fuzz/corpus). Without it the seeds go to a temporary folder, so
//! CI still checks that every target gets seeds and that the fixtures still build.

use std::path::Path;

use vetter_decision::signing::ReviewerKey;
use vetter_decision::{Action, AddonRef, Decision, DecisionInput, VersionRef};
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

    for target in [
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
