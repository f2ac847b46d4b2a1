//! From a synced queue entry to a review and a decision, without a server: the synced rows are
//! written the way a sync leaves them, over versions really imported into the cache.

use rusqlite::{Connection, params};
use vetter_archive::Limits;
use vetter_client::credentials::{CredentialStore, MemoryStore, Secret, ensure_signing_key};
use vetter_client::flow::{FlowError, decide};
use vetter_client::outbox::{Outbox, OutboxError};
use vetter_client::sync::{LocalFileState, local_entries};
use vetter_decision::{Action, DecisionInput, FieldNeed};
use vetter_fixtures::addons::{mv2_addon, next_version};
use vetter_store::{DB_FILE, Store};

const SHA_OLD: &str = "1111111111111111111111111111111111111111111111111111111111111111";
const SHA_NEW: &str = "2222222222222222222222222222222222222222222222222222222222222222";

/// Imports two versions of one add-on; returns their cache ids (old, new).
fn import_pair(dir: &std::path::Path) -> (i64, i64) {
    let mut store = Store::open(dir).unwrap();
    let old = mv2_addon();
    let new = next_version(&old);
    let mut quiet = |_| {};
    let a = store
        .import_archive("old.xpi", &old.to_xpi(), &Limits::default(), &mut quiet)
        .unwrap();
    let b = store
        .import_archive("new.xpi", &new.to_xpi(), &Limits::default(), &mut quiet)
        .unwrap();
    (a.version_id, b.version_id)
}

/// Writes the synced rows: add-on 7 with public version 70 and version 71 in `queue`.
fn sync_rows(dir: &std::path::Path, queue: &str, old: Option<i64>, new: Option<i64>) {
    let conn = Connection::open(dir.join(DB_FILE)).unwrap();
    conn.execute(
        "INSERT INTO remote_addons (id, guid, slug, name, stale) VALUES (7, 'tabs@example.org', 'tabs', 'Tabs', 0)",
        [],
    )
    .unwrap();
    for (id, version, status, sha, cached) in [
        (70, "1.0.0", "public", SHA_OLD, old),
        (71, "1.1.0", "nominated", SHA_NEW, new),
    ] {
        conn.execute(
            "INSERT INTO remote_versions (id, addon_id, version, file_id, status, sha256, size, url,
                 permissions, host_permissions, cached_version_id)
             VALUES (?1, 7, ?2, ?1, ?3, ?4, 10, 'http://x/', '[]', '[]', ?5)",
            params![id, version, status, sha, cached],
        )
        .unwrap();
    }
    conn.execute(
        "INSERT INTO queue_entries (id, queue, addon_id, version_id, due_date, reasons, flags, weight)
         VALUES (1, ?1, 7, 71, '2026-09-10T10:00:00Z', '[\"new_version\"]', '[]', 40)",
        [queue],
    )
    .unwrap();
}

#[test]
fn entry_names_the_cached_pair_of_last_approved_and_under_review() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = import_pair(dir.path());
    sync_rows(dir.path(), "extension", Some(old), Some(new));
    let entries = local_entries(dir.path(), None).unwrap();
    let [entry] = entries.as_slice() else {
        panic!("{entries:?}")
    };
    assert_eq!(entry.file, LocalFileState::Cached { version_id: new });
    assert_eq!(entry.last_approved_version_id, Some(70));
    assert_eq!(entry.base_cached_version_id, Some(old));
    assert!(entry.offline_ready);
}

#[test]
fn entry_whose_base_is_not_downloaded_is_not_ready_offline() {
    let dir = tempfile::tempdir().unwrap();
    let (_old, new) = import_pair(dir.path());
    sync_rows(dir.path(), "extension", None, Some(new));
    let entry = &local_entries(dir.path(), None).unwrap()[0];
    assert_eq!(entry.base_cached_version_id, None);
    assert!(!entry.offline_ready);
}

#[test]
fn decision_target_of_a_reviewed_version_is_the_synced_version_under_review() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = import_pair(dir.path());
    sync_rows(dir.path(), "content_review", Some(old), Some(new));
    let target = Outbox::open(dir.path())
        .unwrap()
        .target_of_cached(new, None)
        .unwrap();
    assert_eq!(
        (target.addon.id, target.addon.guid.as_str()),
        (7, "tabs@example.org")
    );
    assert_eq!(
        (target.version.id, target.version.file_sha256.as_str()),
        (71, SHA_NEW)
    );
    assert_eq!(target.queue, "content_review");
    let actions: Vec<Action> = target.actions.iter().map(|f| f.action).collect();
    assert!(actions.contains(&Action::ApproveContent));
    assert!(!actions.contains(&Action::Public));
    let reject_many = target
        .actions
        .iter()
        .find(|f| f.action == Action::RejectMultipleVersions)
        .unwrap();
    assert_eq!(reject_many.versions, FieldNeed::Required);
    let ids: Vec<i64> = target.versions.iter().map(|v| v.id).collect();
    assert_eq!(ids, [71, 70]);
}

#[test]
fn a_version_not_under_review_has_no_decision_target() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = import_pair(dir.path());
    sync_rows(dir.path(), "extension", Some(old), Some(new));
    // The last approved version is cached but waits in no queue.
    let err = Outbox::open(dir.path())
        .unwrap()
        .target_of_cached(old, None)
        .unwrap_err();
    assert!(matches!(err, OutboxError::NotUnderReview { .. }), "{err}");
}

/// Adds server version 72 ("1.1.1", `guid`'s add-on 7) whose file is the very package cached
/// as `cached`, waiting in the same queue: a decoy uploaded with the bytes of version 71.
fn decoy_with_the_same_bytes(dir: &std::path::Path, cached: i64) {
    let conn = Connection::open(dir.join(DB_FILE)).unwrap();
    conn.execute(
        "INSERT INTO remote_versions (id, addon_id, version, file_id, status, sha256, size, url,
             permissions, host_permissions, cached_version_id)
         VALUES (72, 7, '1.1.1', 72, 'nominated', ?1, 10, 'http://x/', '[]', '[]', ?2)",
        params![SHA_NEW, cached],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO queue_entries (id, queue, addon_id, version_id, due_date, reasons, flags, weight)
         VALUES (2, 'extension', 7, 72, '2026-09-11T10:00:00Z', '[]', '[]', 10)",
        [],
    )
    .unwrap();
}

#[test]
fn the_version_opened_is_the_target_not_the_highest_id_with_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = import_pair(dir.path());
    sync_rows(dir.path(), "extension", Some(old), Some(new));
    decoy_with_the_same_bytes(dir.path(), new);
    let outbox = Outbox::open(dir.path()).unwrap();
    // The old code looked the target up by the cached bytes and took the highest id (72).
    let target = outbox.target_of_cached(new, Some(71)).unwrap();
    assert_eq!(
        (target.version.id, target.version.version.as_str()),
        (71, "1.1.0")
    );
    let decoy = outbox.target_of_cached(new, Some(72)).unwrap();
    assert_eq!(decoy.version.id, 72);
}

#[test]
fn the_same_file_under_two_versions_without_the_version_opened_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = import_pair(dir.path());
    sync_rows(dir.path(), "extension", Some(old), Some(new));
    decoy_with_the_same_bytes(dir.path(), new);
    let err = Outbox::open(dir.path())
        .unwrap()
        .target_of_cached(new, None)
        .unwrap_err();
    match &err {
        OutboxError::AmbiguousPackage { versions, .. } => assert_eq!(versions, &[71, 72]),
        other => panic!("{other}"),
    }
    assert!(err.to_string().contains("[71, 72]"), "{err}");
}

#[test]
fn a_version_whose_file_is_not_the_package_opened_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = import_pair(dir.path());
    sync_rows(dir.path(), "extension", Some(old), Some(new));
    // Version 70 is the last approved one: its bytes are `old`, not `new`.
    let err = Outbox::open(dir.path())
        .unwrap()
        .target_of_cached(new, Some(70))
        .unwrap_err();
    assert!(
        matches!(err, OutboxError::NotThePackage { version_id: 70, .. }),
        "{err}"
    );
}

#[tokio::test]
async fn a_signed_decision_names_the_version_opened_when_a_decoy_has_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = import_pair(dir.path());
    sync_rows(dir.path(), "extension", Some(old), Some(new));
    decoy_with_the_same_bytes(dir.path(), new);
    let server = "http://127.0.0.1:9";
    vetter_client::sync::remember_server(dir.path(), server).unwrap();
    let keys = MemoryStore::default();
    keys.set(server, Secret::ApiKey, "user:1:1").unwrap();
    keys.set(server, Secret::ApiSecret, "secret").unwrap();
    ensure_signing_key(&keys, server).unwrap();
    let input = || DecisionInput {
        reasons: vec!["policy-remote-code".into()],
        comments: "Loads remote code.".into(),
        ..Default::default()
    };
    // Recorded only (not sent): what matters is the version the signature names.
    let report = decide(
        &keys,
        dir.path(),
        new,
        Some(71),
        Action::Reject,
        input(),
        false,
    )
    .await
    .unwrap();
    assert_eq!(report.entry.decision.version.id, 71);
    let refused = decide(&keys, dir.path(), new, None, Action::Reject, input(), false)
        .await
        .unwrap_err();
    assert!(
        matches!(
            refused,
            FlowError::Outbox(OutboxError::AmbiguousPackage { .. })
        ),
        "{refused}"
    );
    let recorded = Outbox::open(dir.path()).unwrap().entries(None).unwrap();
    assert_eq!(recorded.len(), 1);
}

#[test]
fn a_manifest_gecko_id_other_than_the_servers_guid_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = import_pair(dir.path());
    // The server files the package under `tabs@example.org`; its manifest says otherwise.
    sync_rows(dir.path(), "extension", Some(old), Some(new));
    let outbox = Outbox::open(dir.path()).unwrap();
    let target = outbox.target_of_cached(new, Some(71)).unwrap();
    assert_eq!(
        target.manifest_guid.as_deref(),
        Some("tab-notes@vetter.test")
    );
    let [warning] = target.warnings.as_slice() else {
        panic!("{:?}", target.warnings)
    };
    assert!(
        warning.contains("tab-notes@vetter.test") && warning.contains("tabs@example.org"),
        "{warning}"
    );
    assert_eq!(
        outbox.manifest_guid_of_remote(71).unwrap().as_deref(),
        Some("tab-notes@vetter.test")
    );

    // Once the server's guid is the manifest's, there is nothing to warn about.
    let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
    conn.execute(
        "UPDATE remote_addons SET guid = 'tab-notes@vetter.test' WHERE id = 7",
        [],
    )
    .unwrap();
    let target = outbox.target_of_cached(new, Some(71)).unwrap();
    assert!(target.warnings.is_empty(), "{:?}", target.warnings);
}

#[test]
fn a_servers_vocabulary_chooses_the_actions_its_queue_offers() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = import_pair(dir.path());
    sync_rows(dir.path(), "content_review", Some(old), Some(new));
    {
        let store = Store::open(dir.path()).unwrap();
        store.set_setting("server", "http://127.0.0.1:9/").unwrap();
        // The server lists two actions it offers, and one this client cannot sign.
        let words = serde_json::json!({
            "server": "http://127.0.0.1:9/",
            "tag": "t1",
            "vocabulary": { "queues": [{
                "name": "content_review", "title": "Content", "usual_action": "comment",
                "actions": ["comment", "approve_and_celebrate", "approve_content"]
            }]}
        });
        store
            .set_setting(vetter_client::sync::VOCABULARY_KEY, &words.to_string())
            .unwrap();
    }
    let target = Outbox::open(dir.path())
        .unwrap()
        .target_of_cached(new, None)
        .unwrap();
    let actions: Vec<Action> = target.actions.iter().map(|f| f.action).collect();
    assert_eq!(actions, [Action::Comment, Action::ApproveContent]);

    // Another server's words do not apply: AMO's list for the queue does.
    Store::open(dir.path())
        .unwrap()
        .set_setting("server", "http://127.0.0.1:10/")
        .unwrap();
    let target = Outbox::open(dir.path())
        .unwrap()
        .target_of_cached(new, None)
        .unwrap();
    assert_eq!(target.actions[0].action, Action::ApproveContent);
    assert!(target.actions.len() > 5);
}
