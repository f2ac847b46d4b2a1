//! Logging in to a plain AMO (the stand-in of tests/amo-standin, written from AMO's code):
//! the profile is checked, no key is registered (AMO has no route for it), and the secrets are
//! stored only when every request succeeded.

use std::path::Path;

use vetter_client::credentials::{
    CredentialError, CredentialStore, MemoryStore, Secret, ServerKind, login,
};
use vetter_fixtures::standin::{AmoStandin, REVIEWER_KEY, REVIEWER_SECRET};

fn standin() -> (AmoStandin, tempfile::TempDir) {
    let files = tempfile::tempdir().unwrap();
    let (amo, _) = AmoStandin::start_example(Path::new(env!("CARGO_TARGET_TMPDIR")), files.path());
    (amo, files)
}

#[tokio::test]
async fn login_to_a_plain_amo_checks_the_profile_and_registers_no_key() {
    let (amo, _files) = standin();
    let store = MemoryStore::default();
    let outcome = login(&store, &amo.origin, REVIEWER_KEY, REVIEWER_SECRET)
        .await
        .unwrap();
    assert_eq!(outcome.kind, ServerKind::Amo);
    assert!(!outcome.key_registered);
    assert_eq!(outcome.profile["username"], "rita", "{}", outcome.profile);
    assert_eq!(
        store
            .get(&amo.origin, Secret::ApiKey)
            .unwrap()
            .map(|k| k.as_str().to_owned())
            .as_deref(),
        Some(REVIEWER_KEY)
    );
    let log = amo.log();
    assert!(
        log.contains("/api/v5/vetter/capabilities/") && log.contains("404"),
        "{log}"
    );
    assert!(
        !log.contains("/reviewers/keys/"),
        "no key route is tried on AMO:\n{log}"
    );
}

#[tokio::test]
async fn a_refused_login_stores_nothing() {
    let (amo, _files) = standin();
    let store = MemoryStore::default();
    let err = login(&store, &amo.origin, REVIEWER_KEY, "not-the-secret")
        .await
        .unwrap_err();
    match &err {
        CredentialError::Refused { status, detail, .. } => {
            assert_eq!(*status, 401, "{err}");
            // AMO's own words, passed through to the reviewer.
            assert!(detail.contains("signature"), "{err}");
        }
        other => panic!("expected a refusal, got {other}"),
    }
    for secret in Secret::ALL {
        assert!(
            store.get(&amo.origin, secret).unwrap().is_none(),
            "{secret:?} stored"
        );
    }
}

#[tokio::test]
async fn a_sync_against_a_plain_amo_says_it_has_no_queues_and_what_to_do() {
    let (amo, _files) = standin();
    let data = tempfile::tempdir().unwrap();
    let options = vetter_client::sync::SyncOptions::new(
        &amo.origin,
        vetter_protocol::auth::Credentials::new(REVIEWER_KEY, REVIEWER_SECRET),
        data.path(),
    );
    let err = vetter_client::sync::sync(&options, &|_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(err, vetter_client::sync::SyncError::NotAReviewServer { .. }),
        "{err}"
    );
    let text = err.to_string();
    assert!(text.contains("vetter fetch ADDON --amo"), "{text}");
}

#[tokio::test]
async fn a_fetched_version_is_decided_on_locally_through_the_decision_form() {
    use vetter_client::fetch::{FetchOptions, fetch};
    use vetter_client::outbox::Outbox;
    use vetter_decision::{Action, DecisionInput};

    let (amo, _files) = standin();
    let data = tempfile::tempdir().unwrap();
    let store = MemoryStore::default();
    login(&store, &amo.origin, REVIEWER_KEY, REVIEWER_SECRET)
        .await
        .unwrap();
    let mut options = FetchOptions::new(&amo.origin, data.path());
    options.credentials = Some(vetter_protocol::auth::Credentials::new(
        REVIEWER_KEY,
        REVIEWER_SECRET,
    ));
    options.download_origins = vec![amo.cdn.clone()];
    let report = fetch("tab-notes", &options, &|_| {}).await.unwrap();
    let newest = report.imported_ids()[0];

    // The form the app shows: AMO's general actions, the fetched versions as choices.
    let outbox = Outbox::open(data.path()).unwrap();
    let target = outbox.target_of_cached(newest, None).unwrap();
    let on_amo = target
        .amo
        .clone()
        .expect("a fetched version is decided on locally");
    assert_eq!(target.queue, "AMO (listed)");
    assert!(target.actions.iter().any(|a| a.action == Action::Reject));
    assert!(target.versions.len() >= 4, "{:?}", target.versions);
    assert_eq!(
        on_amo.review_url,
        format!("{}/reviewers/review/101", amo.origin)
    );

    let kept = vetter_client::flow::decide_locally(
        &store,
        data.path(),
        newest,
        None,
        Action::Reject,
        DecisionInput {
            reasons: vec!["policy-remote-code".into()],
            comments: "Loads remote code.".into(),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(kept.comment, "Loads remote code.");
    assert_eq!(
        outbox.kept_decision(&kept.decision_id).unwrap().as_ref(),
        Some(&kept)
    );
    assert_eq!(outbox.kept_decision("no-such-id").unwrap(), None);
    assert_eq!(outbox.kept().unwrap(), vec![kept]);

    // A rule broken is refused before anything is signed or kept.
    let err = vetter_client::flow::decide_locally(
        &store,
        data.path(),
        newest,
        None,
        Action::Reject,
        DecisionInput::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("reason"), "{err}");
    assert_eq!(outbox.kept().unwrap().len(), 1);
}
