//! Offline: decisions made while the server is down wait in the outbox, and are accepted when
//! it comes back; one made on a version that was superseded meanwhile ends in `conflict`, with
//! the new version shown by `vetter outbox`.

use crate::decide_support as support;

use std::process::Command;

use support::{Server, register_key, reviewer, under_review};
use vetter_client::outbox::{Outbox, OutboxState};
use vetter_decision::signing::ReviewerKey;
use vetter_decision::{Action, AddonRef, Decision, DecisionInput, VersionRef};

fn decide(server: &str, addon: i64, guid: &str, action: Action, input: DecisionInput) -> Decision {
    let (id, version, sha) = under_review(server, addon);
    Decision::new(
        support::REVIEWER_KEY,
        AddonRef {
            id: addon,
            guid: guid.to_owned(),
        },
        VersionRef {
            id,
            version,
            file_sha256: sha,
        },
        action,
        input,
    )
    .unwrap()
}

fn push(outbox: &Outbox, server: &str) -> vetter_client::outbox::PushSummary {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(outbox.push(server, &reviewer()))
        .unwrap()
}

#[test]
fn decisions_wait_offline_then_are_accepted_or_conflict_when_the_version_moved_on() {
    let server_dir = tempfile::tempdir().unwrap();
    let client_dir = tempfile::tempdir().unwrap();
    let server = Server::start(server_dir.path(), 0).unwrap();
    let port = server.port();
    let url = server.url.clone();
    let key = ReviewerKey::generate().unwrap();
    register_key(&url, &reviewer(), &key);
    // What the reviewer synced before going offline.
    let decisions = [
        decide(
            &url,
            101,
            "tab-tidy@vetter.example",
            Action::Comment,
            DecisionInput {
                comments: "notifications look fine".to_owned(),
                ..Default::default()
            },
        ),
        decide(
            &url,
            102,
            "focus-timer@vetter.example",
            Action::Public,
            DecisionInput::default(),
        ),
        decide(
            &url,
            103,
            "reader-calm@vetter.example",
            Action::Reject,
            DecisionInput {
                reasons: vec!["policy-remote-code".to_owned()],
                comments: "loads a remote script".to_owned(),
                ..Default::default()
            },
        ),
    ];
    server.stop();

    let outbox = Outbox::open(client_dir.path()).unwrap();
    for d in &decisions {
        outbox.record(&url, d, &key).unwrap();
    }
    let summary = push(&outbox, &url);
    assert_eq!(summary.waiting, 3, "{summary:?}");
    assert!(summary.stopped.is_some(), "{summary:?}");
    assert!(
        outbox
            .entries(None)
            .unwrap()
            .iter()
            .all(|e| e.state == OutboxState::Pending)
    );

    // A new version of add-on 103 arrives while the reviewer is offline.
    let new_version = support::add_version(server_dir.path(), 103, "9.0.0");
    let server = Server::start(server_dir.path(), port).unwrap();

    let summary = push(&outbox, &url);
    assert_eq!(
        (
            summary.accepted,
            summary.conflicts,
            summary.rejected,
            summary.waiting
        ),
        (2, 1, 0, 0),
        "{summary:?}"
    );
    for d in &decisions[..2] {
        assert_eq!(outbox.entry(&d.id).unwrap().state, OutboxState::Accepted);
    }
    let conflict = outbox.entry(&decisions[2].id).unwrap();
    assert_eq!(conflict.state, OutboxState::Conflict);
    assert_eq!(
        conflict.error_code.as_deref(),
        Some("version_not_under_review")
    );
    let current = conflict
        .current_version
        .expect("the server's current version is kept");
    assert_eq!(
        (current.id, current.version.as_str()),
        (new_version, "9.0.0")
    );
    let mut on_server = support::server_decision_ids(&url);
    on_server.sort();
    let mut accepted: Vec<String> = decisions[..2].iter().map(|d| d.id.clone()).collect();
    accepted.sort();
    assert_eq!(on_server, accepted);

    // `vetter outbox` shows the conflict with the version now under review.
    let out = Command::new(env!("CARGO_BIN_EXE_vetter"))
        .arg("--data-dir")
        .arg(client_dir.path())
        .arg("outbox")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout
        .lines()
        .find(|l| l.contains(&decisions[2].id))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        line.contains("conflict") && line.contains("now under review: 9.0.0"),
        "{line}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_vetter"))
        .arg("--data-dir")
        .arg(client_dir.path())
        .args(["outbox", "--json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let states: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["state"].as_str().unwrap())
        .collect();
    assert_eq!(states.iter().filter(|s| **s == "accepted").count(), 2);
    assert_eq!(states.iter().filter(|s| **s == "conflict").count(), 1);
    server.stop();
}
