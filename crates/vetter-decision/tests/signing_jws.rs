//! Signed decisions: the JWS verifies, and each way of breaking it is refused with its own
//! error. One test verifies the token with an independent implementation (PyJWT over
//! `cryptography`), installed into a venv under the target folder.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use vetter_decision::signing::{
    RegisteredKey, ReviewerKey, SignedDecision, Submitter, UnderReview, VerifyError,
    check_review_state,
};
use vetter_decision::{Action, AddonRef, Decision, DecisionInput, VersionRef};

const SHA: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const REVIEWER: &str = "user:1:abc";

fn decision() -> Decision {
    Decision::new(
        REVIEWER,
        AddonRef {
            id: 7,
            guid: "tabs@example.org".to_owned(),
        },
        VersionRef {
            id: 70,
            version: "1.2.0".to_owned(),
            file_sha256: SHA.to_owned(),
        },
        Action::Reject,
        DecisionInput {
            reasons: vec!["policy-remote-code".to_owned()],
            comments: "Loads code from a CDN".to_owned(),
            ..Default::default()
        },
    )
    .unwrap()
}

fn registered(key: &ReviewerKey, owner: &str) -> RegisteredKey {
    RegisteredKey {
        owner: owner.to_owned(),
        public_key: key.public_key().to_base64url(),
        revoked_at: None,
    }
}

const ME: Submitter<'static> = Submitter {
    api_key: REVIEWER,
    user: "1",
};

fn verify(jws: &str, key: Option<&RegisteredKey>) -> Result<Decision, VerifyError> {
    SignedDecision::parse(jws)?.verify(ME, key)
}

#[test]
fn a_signed_decision_verifies_and_carries_the_file_hash() {
    let key = ReviewerKey::generate().unwrap();
    let d = decision();
    let jws = key.sign(&d).unwrap();
    let parsed = SignedDecision::parse(&jws).unwrap();
    assert_eq!(parsed.kid(), key.public_key().kid());
    let verified = parsed.verify(ME, Some(&registered(&key, "1"))).unwrap();
    assert_eq!(verified, d);
    assert_eq!(verified.version.file_sha256, SHA);
}

#[test]
fn signing_is_deterministic_so_a_retry_sends_the_same_bytes() {
    let key = ReviewerKey::generate().unwrap();
    let d = decision();
    assert_eq!(key.sign(&d).unwrap(), key.sign(&d).unwrap());
}

#[test]
fn an_invalid_decision_is_not_signed() {
    let key = ReviewerKey::generate().unwrap();
    let mut d = decision();
    d.reasons.clear();
    let err = key.sign(&d).unwrap_err();
    assert!(err.to_string().contains("`reasons`"), "{err}");
}

#[test]
fn refuses_a_tampered_payload() {
    let key = ReviewerKey::generate().unwrap();
    let jws = key.sign(&decision()).unwrap();
    let parts: Vec<&str> = jws.split('.').collect();
    let payload = String::from_utf8(URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    let tampered = payload.replace("\"reject\"", "\"public\"");
    assert_ne!(tampered, payload);
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(tampered),
        parts[2]
    );
    let err = verify(&forged, Some(&registered(&key, "1"))).unwrap_err();
    assert_eq!(err.code(), "bad_signature", "{err}");
}

#[test]
fn refuses_an_unregistered_key() {
    let key = ReviewerKey::generate().unwrap();
    let err = verify(&key.sign(&decision()).unwrap(), None).unwrap_err();
    assert_eq!(err.code(), "unknown_key");
}

#[test]
fn refuses_a_key_registered_by_another_reviewer() {
    let key = ReviewerKey::generate().unwrap();
    let err = verify(
        &key.sign(&decision()).unwrap(),
        Some(&registered(&key, "2")),
    )
    .unwrap_err();
    assert_eq!(err.code(), "key_not_yours");
}

#[test]
fn a_revoked_key_signs_nothing_new() {
    let key = ReviewerKey::generate().unwrap();
    let mut revoked = registered(&key, "1");
    revoked.revoked_at = Some("2026-12-04T05:00:00Z".to_owned());
    let err = verify(&key.sign(&decision()).unwrap(), Some(&revoked)).unwrap_err();
    assert_eq!((err.code(), err.status()), ("key_revoked", 403), "{err}");
    assert!(err.to_string().contains("2026-12-04T05:00:00Z"), "{err}");
}

#[test]
fn refuses_a_registration_whose_key_is_not_the_kid() {
    // The server holds another public key under this kid: the thumbprint no longer matches.
    let signer = ReviewerKey::generate().unwrap();
    let other = ReviewerKey::generate().unwrap();
    let err = verify(
        &signer.sign(&decision()).unwrap(),
        Some(&registered(&other, "1")),
    )
    .unwrap_err();
    assert_eq!(err.code(), "bad_signature");
}

#[test]
fn refuses_a_decision_submitted_by_someone_else() {
    let key = ReviewerKey::generate().unwrap();
    let jws = key.sign(&decision()).unwrap();
    let other = Submitter {
        api_key: "user:2:def",
        user: "1",
    };
    let err = SignedDecision::parse(&jws)
        .unwrap()
        .verify(other, Some(&registered(&key, "1")))
        .unwrap_err();
    assert_eq!(err.code(), "reviewer_mismatch");
}

#[test]
fn refuses_other_algorithms_and_garbage() {
    let key = ReviewerKey::generate().unwrap();
    let jws = key.sign(&decision()).unwrap();
    let rest = jws.split_once('.').unwrap().1;
    let none = format!(
        "{}.{rest}",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"vetter-decision+jws","kid":"x"}"#)
    );
    assert_eq!(
        SignedDecision::parse(&none).unwrap_err().code(),
        "wrong_jws_header"
    );
    let hs = format!(
        "{}.{rest}",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"vetter-decision+jws","kid":"x"}"#)
    );
    assert_eq!(
        SignedDecision::parse(&hs).unwrap_err().code(),
        "wrong_jws_header"
    );
    for garbage in ["", "a.b", "a.b.c.d", "!!!.!!!.!!!", &"a".repeat(70_000)] {
        assert_eq!(
            SignedDecision::parse(garbage).unwrap_err().code(),
            "malformed_jws",
            "{:.20}",
            garbage
        );
    }
}

#[test]
fn superseded_version_and_other_bytes_are_conflicts() {
    let d = decision();
    let same = UnderReview {
        version_id: 70,
        version: "1.2.0".to_owned(),
        file_sha256: SHA.to_owned(),
    };
    check_review_state(&d, Some(&same)).unwrap();
    let newer = UnderReview {
        version_id: 71,
        version: "1.3.0".to_owned(),
        file_sha256: SHA.replace('0', "1"),
    };
    let err = check_review_state(&d, Some(&newer)).unwrap_err();
    assert_eq!(
        (err.code(), err.status()),
        ("version_not_under_review", 409)
    );
    assert!(err.to_string().contains("1.3.0"), "{err}");
    let rebuilt = UnderReview {
        file_sha256: SHA.replace('0', "2"),
        ..same
    };
    let err = check_review_state(&d, Some(&rebuilt)).unwrap_err();
    assert_eq!((err.code(), err.status()), ("hash_mismatch", 409));
    assert_eq!(
        check_review_state(&d, None).unwrap_err().code(),
        "version_not_under_review"
    );
}

fn python_verify(python: &std::path::Path, jws: &str, public_key: &str) -> (bool, String) {
    use std::io::Write;
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/jws-verify.py");
    let mut child = std::process::Command::new(python)
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let request = serde_json::json!({"jws": jws, "public_key": public_key});
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn pyjwt_verifies_the_signature_kid_and_payload_independently() {
    let python = vetter_fixtures::standin::python_with_pyjwt(std::path::Path::new(env!(
        "CARGO_TARGET_TMPDIR"
    )));
    let key = ReviewerKey::generate().unwrap();
    let d = decision();
    let jws = key.sign(&d).unwrap();
    let public = key.public_key().to_base64url();

    let (ok, out) = python_verify(&python, &jws, &public);
    assert!(ok, "PyJWT refused a valid decision: {out}");
    let result: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(result["header"]["alg"], "EdDSA");
    assert_eq!(result["thumbprint"], key.public_key().kid());
    assert_eq!(result["payload"]["id"], d.id.as_str());
    assert_eq!(result["payload"]["version"]["file_sha256"], SHA);
    assert_eq!(result["payload"]["action"], "reject");

    // The independent verifier must also refuse what ours refuses.
    let parts: Vec<&str> = jws.split('.').collect();
    let payload = String::from_utf8(URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(payload.replace("\"reject\"", "\"public\"")),
        parts[2]
    );
    let (ok, out) = python_verify(&python, &forged, &public);
    assert!(!ok, "PyJWT accepted a tampered payload: {out}");
    let other = ReviewerKey::generate().unwrap().public_key().to_base64url();
    let (ok, _) = python_verify(&python, &jws, &other);
    assert!(!ok, "PyJWT accepted the signature under another key");
}
