//! The server's words for its codes: served over AMO's names, synced and kept by the client,
//! checked on the way in at both ends.

use crate::common;

use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::json;
use vetter_client::sync::{self, SyncOptions, VOCABULARY_KEY};
use vetter_fixtures::demo::Seed;
use vetter_protocol::auth::Credentials;
use vetter_protocol::vocabulary::Vocabulary;
use vetter_store::Store;

const KEY: &str = "user:4242:1";
const SECRET: &str = "demo-secret-4242-not-for-production";

fn write_seed(dir: &Path, seed: &Seed) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("seed.json"), serde_json::to_vec(seed).unwrap()).unwrap();
}

fn title_of<'a>(terms: impl IntoIterator<Item = (&'a str, &'a str)>, code: &str) -> String {
    terms
        .into_iter()
        .find(|(name, _)| *name == code)
        .map(|(_, title)| title.to_owned())
        .unwrap_or_else(|| panic!("no words for {code:?}"))
}

#[test]
fn every_code_of_the_demo_has_words_after_a_sync() {
    let tmp = tempfile::tempdir().unwrap();
    let (child, url) = common::spawn_server(&tmp.path().join("server"), &common::demo_dir());
    let _server = common::Running(child);
    let client = tmp.path().join("client");
    let mut options = SyncOptions::new(&url, Credentials::new(KEY, SECRET), &client);
    options.metadata_only = true;
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(sync::sync(&options, &|_| {}))
        .unwrap();

    let words = sync::vocabulary(&Store::open(&client).unwrap(), Some(&url)).unwrap();
    let seed = Seed::load(&common::demo_dir()).unwrap();
    let queues = || {
        words
            .queues
            .iter()
            .map(|t| (t.name.as_str(), t.title.as_str()))
    };
    let reasons = || {
        words
            .reasons
            .iter()
            .map(|t| (t.name.as_str(), t.title.as_str()))
    };
    let flags = || {
        words
            .flags
            .iter()
            .map(|t| (t.name.as_str(), t.title.as_str()))
    };
    for entry in &seed.queue_entries {
        title_of(queues(), &entry.queue);
        for r in &entry.reasons {
            title_of(reasons(), r);
        }
        for f in &entry.flags {
            title_of(flags(), f);
        }
    }
    for addon in &seed.addons {
        for factor in addon.signals.weight_breakdown.keys() {
            title_of(
                words
                    .weight_factors
                    .iter()
                    .map(|t| (t.name.as_str(), t.title.as_str())),
                factor,
            );
        }
    }
    // AMO's words, and the demo server's own: its flag and the store's reasons with policies.
    assert_eq!(title_of(queues(), "extension"), "Manual Review");
    assert_eq!(title_of(reasons(), "scanner_action"), "Hit scanner rule");
    assert_eq!(
        title_of(flags(), "has_developer_reply"),
        "Developer replied"
    );
    let remote = words
        .review_reasons
        .iter()
        .find(|r| r.name == "Remote code execution")
        .expect("the demo's review reasons");
    assert!(
        remote
            .policy
            .as_ref()
            .unwrap()
            .text
            .contains("outside the package")
    );
    assert!(remote.actions.iter().any(|a| a == "reject"));
    // Every action the client can sign reads as words.
    for action in vetter_decision::Action::ALL {
        assert!(
            words.actions.iter().any(|a| a.name == action.name()),
            "{action} has no words"
        );
    }

    // Kept for this server only: another server's codes get AMO's names until it is synced.
    let elsewhere =
        sync::vocabulary(&Store::open(&client).unwrap(), Some("http://127.0.0.1:1")).unwrap();
    assert_eq!(elsewhere, Vocabulary::amo_defaults());
}

#[test]
fn a_damaged_kept_vocabulary_falls_back_to_amos_names() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let server = "http://127.0.0.1:9";
    for kept in [
        "not json".to_owned(),
        json!({"server": server, "tag": "t", "vocabulary": {"flags": [{"name": "a", "title": ""}]}})
            .to_string(),
        json!({"server": server, "tag": "t", "vocabulary": 7}).to_string(),
    ] {
        store.set_setting(VOCABULARY_KEY, &kept).unwrap();
        let words = sync::vocabulary(&store, Some(server)).unwrap();
        assert_eq!(words, Vocabulary::amo_defaults(), "{kept}");
    }
}

#[test]
fn a_seed_vocabulary_that_breaks_a_rule_is_refused_when_loaded() {
    let tmp = tempfile::tempdir().unwrap();
    let mut seed = Seed::load(&common::demo_dir()).unwrap();
    seed.vocabulary = Some(json!({"flags": [
        {"name": "promoted", "title": "Promoted"},
        {"name": "promoted", "title": "Promoted again"},
    ]}));
    let seed_dir = tmp.path().join("seed");
    write_seed(&seed_dir, &seed);
    let out = Command::new(env!("CARGO_BIN_EXE_vetter-server"))
        .args(["--listen", "127.0.0.1:0", "--data"])
        .arg(tmp.path().join("server"))
        .arg("--seed")
        .arg(&seed_dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success(), "a broken vocabulary was served");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("vocabulary flags[1]") && stderr.contains("listed twice"),
        "{stderr}"
    );
}
