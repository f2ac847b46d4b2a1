//! The reference server's checks on signed decisions, each refusal with its own error code:
//! tampered payload, unregistered key, another reviewer's key, a replayed id with other bytes,
//! an expired request JWT, a superseded version, a hash that is not the file's; and the same
//! decision sent twice is recorded once.

use crate::decide_support as support;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use support::{Server, other_reviewer, post_decision, register_key, reviewer, under_review};
use vetter_decision::signing::ReviewerKey;
use vetter_decision::{Action, AddonRef, Decision, DecisionInput, VersionRef};
use vetter_protocol::auth::{Credentials, encode_token};

const ADDON: i64 = 101;
const GUID: &str = "tab-tidy@vetter.example";

fn comment(credentials: &Credentials, server: &str, text: &str) -> Decision {
    let (id, version, sha) = under_review(server, ADDON);
    Decision::new(
        credentials.key(),
        AddonRef {
            id: ADDON,
            guid: GUID.to_owned(),
        },
        VersionRef {
            id,
            version,
            file_sha256: sha,
        },
        Action::Comment,
        DecisionInput {
            comments: text.to_owned(),
            ..Default::default()
        },
    )
    .unwrap()
}

fn code(answer: &support::Answer) -> &str {
    answer.json["code"].as_str().unwrap_or("")
}

struct Setup {
    _dir: tempfile::TempDir,
    server: Server,
    key: ReviewerKey,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), 0).unwrap();
    let key = ReviewerKey::generate().unwrap();
    register_key(&server.url, &reviewer(), &key);
    Setup {
        _dir: dir,
        server,
        key,
    }
}

#[test]
fn accepts_a_signed_decision_once_and_repeats_its_receipt() {
    let s = setup();
    let jws = s
        .key
        .sign(&comment(&reviewer(), &s.server.url, "ok"))
        .unwrap();
    let first = post_decision(&s.server.url, &reviewer(), &jws);
    assert_eq!(first.status, 201, "{:?}", first.json);
    let second = post_decision(&s.server.url, &reviewer(), &jws);
    assert_eq!(second.status, 200, "{:?}", second.json);
    assert_eq!(first.json, second.json);
    let ids = support::server_decision_ids(&s.server.url);
    assert_eq!(ids.len(), 1);
}

#[test]
fn refuses_a_tampered_payload() {
    let s = setup();
    let jws = s
        .key
        .sign(&comment(&reviewer(), &s.server.url, "ok"))
        .unwrap();
    let parts: Vec<&str> = jws.split('.').collect();
    let payload = String::from_utf8(URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(payload.replace("\"ok\"", "\"ko\"")),
        parts[2]
    );
    let answer = post_decision(&s.server.url, &reviewer(), &forged);
    assert_eq!(
        (answer.status, code(&answer)),
        (422, "bad_signature"),
        "{:?}",
        answer.json
    );
    assert!(support::server_decision_ids(&s.server.url).is_empty());
}

#[test]
fn refuses_a_signature_by_an_unregistered_key() {
    let s = setup();
    let stranger = ReviewerKey::generate().unwrap();
    let jws = stranger
        .sign(&comment(&reviewer(), &s.server.url, "ok"))
        .unwrap();
    let answer = post_decision(&s.server.url, &reviewer(), &jws);
    assert_eq!(
        (answer.status, code(&answer)),
        (422, "unknown_key"),
        "{:?}",
        answer.json
    );
}

#[test]
fn refuses_a_decision_signed_with_another_reviewers_key() {
    let s = setup();
    // The second reviewer signs their own decision with the first reviewer's registered key.
    let jws = s
        .key
        .sign(&comment(&other_reviewer(), &s.server.url, "ok"))
        .unwrap();
    let answer = post_decision(&s.server.url, &other_reviewer(), &jws);
    assert_eq!(
        (answer.status, code(&answer)),
        (403, "key_not_yours"),
        "{:?}",
        answer.json
    );
}

#[test]
fn refuses_a_decision_submitted_under_someone_elses_name() {
    let s = setup();
    let other_key = ReviewerKey::generate().unwrap();
    register_key(&s.server.url, &other_reviewer(), &other_key);
    // Signed by the second reviewer's own key, but claiming to be the first reviewer's.
    let jws = other_key
        .sign(&comment(&reviewer(), &s.server.url, "ok"))
        .unwrap();
    let answer = post_decision(&s.server.url, &other_reviewer(), &jws);
    assert_eq!(
        (answer.status, code(&answer)),
        (403, "reviewer_mismatch"),
        "{:?}",
        answer.json
    );
}

#[test]
fn refuses_a_replayed_id_with_other_bytes() {
    let s = setup();
    let first = comment(&reviewer(), &s.server.url, "first text");
    let answer = post_decision(&s.server.url, &reviewer(), &s.key.sign(&first).unwrap());
    assert_eq!(answer.status, 201, "{:?}", answer.json);
    let mut altered = first.clone();
    altered.comments = "second text".to_owned();
    let answer = post_decision(&s.server.url, &reviewer(), &s.key.sign(&altered).unwrap());
    assert_eq!(
        (answer.status, code(&answer)),
        (409, "decision_id_reused"),
        "{:?}",
        answer.json
    );
    assert_eq!(support::server_decision_ids(&s.server.url).len(), 1);
}

#[test]
fn refuses_an_expired_request_token() {
    let s = setup();
    let jws = s
        .key
        .sign(&comment(&reviewer(), &s.server.url, "ok"))
        .unwrap();
    let now = vetter_protocol::auth::unix_now();
    let token = encode_token(
        &serde_json::json!({"iss": support::REVIEWER_KEY, "jti": "expired-1", "iat": now - 400, "exp": now - 340}),
        support::REVIEWER_SECRET.as_bytes(),
    );
    let answer = support::request(
        "POST",
        &format!("{}/api/v5/reviewers/decisions/", s.server.url),
        &format!("JWT {token}"),
        Some(vetter_decision::signing::JWS_MEDIA_TYPE),
        Some(jws.into_bytes()),
    );
    assert_eq!(
        (answer.status, code(&answer)),
        (401, "expired"),
        "{:?}",
        answer.json
    );
    assert!(support::server_decision_ids(&s.server.url).is_empty());
}

#[test]
fn refuses_a_decision_on_a_superseded_version_with_the_current_state() {
    let s = setup();
    let stale = comment(&reviewer(), &s.server.url, "reviewed 1.1.0");
    let new_id = support::add_version(&s.server.data_dir, ADDON, "1.2.0");
    let answer = post_decision(&s.server.url, &reviewer(), &s.key.sign(&stale).unwrap());
    assert_eq!(
        (answer.status, code(&answer)),
        (409, "version_not_under_review"),
        "{:?}",
        answer.json
    );
    assert_eq!(
        answer.json["current"]["version_under_review"]["id"].as_i64(),
        Some(new_id),
        "{:?}",
        answer.json
    );
}

#[test]
fn refuses_a_hash_that_is_not_the_files() {
    let s = setup();
    let mut d = comment(&reviewer(), &s.server.url, "ok");
    d.version.file_sha256 = "ab".repeat(32);
    let answer = post_decision(&s.server.url, &reviewer(), &s.key.sign(&d).unwrap());
    assert_eq!(
        (answer.status, code(&answer)),
        (409, "hash_mismatch"),
        "{:?}",
        answer.json
    );
}

#[test]
fn refuses_an_invalid_decision_even_when_signed() {
    let s = setup();
    let mut d = comment(&reviewer(), &s.server.url, "ok");
    d.action = Action::Reject; // no reasons: our signer refuses, so forge the JWS by hand
    let header = serde_json::json!({"alg": "EdDSA", "typ": vetter_decision::signing::JWS_TYPE, "kid": s.key.public_key().kid()});
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&d).unwrap())
    );
    // Sign the raw input through a valid decision's key material: reuse the signer on bytes.
    let jws = sign_raw(&s.key, &input);
    let answer = post_decision(&s.server.url, &reviewer(), &jws);
    assert_eq!(
        (answer.status, code(&answer)),
        (422, "invalid_decision"),
        "{:?}",
        answer.json
    );
    assert!(
        answer.json["detail"].as_str().unwrap().contains("reasons"),
        "{:?}",
        answer.json
    );
}

/// Signs arbitrary bytes with the reviewer's key (the key's seed through ed25519-dalek, as a
/// buggy or hostile client could).
fn sign_raw(key: &ReviewerKey, input: &str) -> String {
    use ed25519_dalek::Signer;
    let seed: [u8; 32] = URL_SAFE_NO_PAD
        .decode(key.to_secret().as_str())
        .unwrap()
        .try_into()
        .unwrap();
    let signing = ed25519_dalek::SigningKey::from_bytes(&seed);
    let signature = signing.sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
}

fn post_signed(s: &Setup, d: &Decision) -> support::Answer {
    post_decision(&s.server.url, &reviewer(), &s.key.sign(d).unwrap())
}

#[test]
fn refuses_a_guid_that_is_not_the_addons() {
    let s = setup();
    // Signed, but about a decoy guid: the signature cannot tell, the server's records can.
    let mut d = comment(&reviewer(), &s.server.url, "ok");
    d.addon.guid = "decoy@attacker.example".to_owned();
    let answer = post_signed(&s, &d);
    assert_eq!(
        (answer.status, code(&answer)),
        (422, "addon_guid_mismatch"),
        "{:?}",
        answer.json
    );
    assert!(support::server_decision_ids(&s.server.url).is_empty());
}

#[test]
fn refuses_a_multi_version_rejection_naming_another_addons_version() {
    let s = setup();
    let (id, version, sha) = under_review(&s.server.url, ADDON);
    let d = Decision::new(
        reviewer().key(),
        AddonRef {
            id: ADDON,
            guid: GUID.to_owned(),
        },
        VersionRef {
            id,
            version,
            file_sha256: sha,
        },
        Action::RejectMultipleVersions,
        DecisionInput {
            // 10201 is a version of add-on 102.
            versions: vec![id, 10201],
            reasons: vec!["policy-remote-code".to_owned()],
            ..Default::default()
        },
    )
    .unwrap();
    let answer = post_signed(&s, &d);
    assert_eq!(
        (answer.status, code(&answer)),
        (422, "version_of_another_addon"),
        "{:?}",
        answer.json
    );
    assert!(
        answer.json["detail"]
            .as_str()
            .unwrap()
            .contains("version 10201 belongs to add-on 102"),
        "{:?}",
        answer.json
    );
}

#[test]
fn refuses_a_decision_dated_ahead_of_the_server_and_keeps_both_times_of_an_old_one() {
    let s = setup();
    let now = vetter_protocol::auth::unix_now();
    let mut ahead = comment(&reviewer(), &s.server.url, "from a fast clock");
    ahead.decided_at = vetter_decision::rfc3339_millis((now + 3600) * 1000);
    let answer = post_signed(&s, &ahead);
    assert_eq!(
        (answer.status, code(&answer)),
        (422, "decided_in_future"),
        "{:?}",
        answer.json
    );
    // A day in an offline outbox is normal: accepted, with the reviewer's time and the
    // server's both in the log.
    let mut old = comment(&reviewer(), &s.server.url, "from the outbox");
    old.decided_at = vetter_decision::rfc3339_millis((now - 86_400) * 1000);
    let answer = post_signed(&s, &old);
    assert_eq!(answer.status, 201, "{:?}", answer.json);
    let log = support::get_json(
        &s.server.url,
        "/api/v5/reviewers/decisions/?since=0",
        &reviewer(),
    );
    let row = &log["results"][0];
    assert_eq!(row["decided_at"], old.decided_at.as_str());
    assert_ne!(row["recorded_at"], row["decided_at"]);
    assert_eq!(row["kid"], s.key.public_key().kid().as_str());
}

#[test]
fn a_revoked_key_signs_nothing_new() {
    let s = setup();
    let first = post_signed(&s, &comment(&reviewer(), &s.server.url, "before"));
    assert_eq!(first.status, 201, "{:?}", first.json);
    let kid = s.key.public_key().kid();
    let revoked = support::request(
        "DELETE",
        &format!("{}/api/v5/reviewers/keys/{kid}/", s.server.url),
        &reviewer().authorization(),
        None,
        None,
    );
    assert_eq!(revoked.status, 200, "{:?}", revoked.json);
    assert!(revoked.json["revoked_at"].is_string(), "{:?}", revoked.json);
    let after = post_signed(&s, &comment(&reviewer(), &s.server.url, "after"));
    assert_eq!(
        (after.status, code(&after)),
        (403, "key_revoked"),
        "{:?}",
        after.json
    );
    assert_eq!(support::server_decision_ids(&s.server.url).len(), 1);
}
