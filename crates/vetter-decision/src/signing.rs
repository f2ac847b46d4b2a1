//! Signed decisions: a compact JWS (RFC 7515) with `alg: EdDSA` (Ed25519, RFC 8037).
//!
//! A decision is signed the moment the reviewer makes it, so it can wait offline for days and
//! still prove who decided what, about exactly which bytes (the payload carries the XPI's
//! sha256), and when. The format is plain JOSE so any standard library can verify it; the
//! key id is the key's RFC 7638 JWK thumbprint, which any JOSE library can recompute from the
//! public key, so a `kid` can never point at a different key than the one it names.
//!
//! Verification (used by the server) is split so that storage lookups stay with the caller:
//! [`SignedDecision::parse`] reads the token and its `kid`, the caller looks the key up, and
//! [`SignedDecision::verify`] checks the signature, the key's owner and the action rules;
//! [`check_review_state`] then compares the decision with the version under review.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::{Decision, DecisionError};

/// A secret string: wiped from memory on drop, and never shown by `Debug` (so an `unwrap`, a
/// log line or a panic message cannot print it). Read it with [`SecretText::as_str`].
#[derive(Clone, PartialEq, Eq)]
pub struct SecretText(Zeroizing<String>);

impl SecretText {
    /// Wraps `text`.
    pub fn new(text: String) -> SecretText {
        SecretText(Zeroizing::new(text))
    }

    /// The secret itself, for the one place that needs it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretText(<redacted>)")
    }
}

/// The `typ` header of a signed decision: keeps a decision from being mistaken for a JWT.
pub const JWS_TYPE: &str = "vetter-decision+jws";
/// The JOSE algorithm name for Ed25519.
pub const ALGORITHM: &str = "EdDSA";
/// Longest compact JWS accepted (it must fit the server's 64 KiB body limit).
pub const MAX_JWS_LEN: usize = 60 * 1024;
/// The media type of a compact JWS body (RFC 7515 §9.2.1).
pub const JWS_MEDIA_TYPE: &str = "application/jose";

/// Why a key could not be made or read, or a decision could not be signed.
#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    /// The operating system's random number generator failed.
    #[error("cannot generate a signing key: the OS random number generator failed: {0}")]
    Random(String),
    /// A stored private key is not 32 bytes of base64url.
    #[error(
        "the stored signing key is not a valid Ed25519 key ({reason}); run `vetter logout` then `vetter login` to make a new one"
    )]
    BadPrivateKey {
        /// What is wrong (never the key itself).
        reason: &'static str,
    },
    /// A public key is not 32 bytes of base64url naming a point on the curve.
    #[error("public key {key:?} is not a valid Ed25519 key: {reason}")]
    BadPublicKey {
        /// The key as given (public, safe to show; at most 100 characters).
        key: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// The decision breaks a rule and is not signed.
    #[error("not signed: {0}")]
    Invalid(#[from] DecisionError),
}

/// Why a signed decision was refused. Each variant has its own [`code`](VerifyError::code)
/// and HTTP status, so a reviewer reads which rule failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// Not a compact JWS, or its header or payload is not JSON.
    #[error("the signed decision is not a well-formed compact JWS: {reason}")]
    Malformed {
        /// What is wrong.
        reason: String,
    },
    /// The header names another algorithm than EdDSA, or another `typ`.
    #[error(
        "the signed decision uses {what} {value:?}; only alg EdDSA and typ {JWS_TYPE} are accepted"
    )]
    WrongHeader {
        /// `alg` or `typ`.
        what: &'static str,
        /// The value sent (at most 40 characters).
        value: String,
    },
    /// No key with this id is registered.
    #[error("key {kid:?} is not registered; register it with PUT /api/v5/reviewers/keys/{kid}/")]
    UnknownKey {
        /// The key id.
        kid: String,
    },
    /// The key was revoked: it verifies what it signed before, but signs nothing new.
    #[error("key {kid:?} was revoked at {revoked_at}; log in again to register a new key")]
    KeyRevoked {
        /// The key id.
        kid: String,
        /// When it was revoked (RFC 3339).
        revoked_at: String,
    },
    /// The key is registered, but to another reviewer.
    #[error("key {kid:?} belongs to another reviewer")]
    KeyOfAnotherReviewer {
        /// The key id.
        kid: String,
    },
    /// The signature does not match the header and payload (the payload was changed, or
    /// another key signed it).
    #[error(
        "the signature does not verify with key {kid:?}: the decision was altered or signed by another key"
    )]
    BadSignature {
        /// The key id.
        kid: String,
    },
    /// The decision's `reviewer` is not the API key that submitted it.
    #[error("the decision is by reviewer {reviewer:?} but was submitted by {submitter:?}")]
    ReviewerMismatch {
        /// The decision's `reviewer` (at most 100 characters).
        reviewer: String,
        /// The submitting API key.
        submitter: String,
    },
    /// The signed decision breaks an action rule.
    #[error("invalid decision: {0}")]
    Invalid(DecisionError),
    /// The version decided on is no longer the one under review.
    #[error("version {version_id} is no longer under review{}", match current { Some(c) => format!("; the add-on's version under review is now {} (id {})", c.version, c.version_id), None => String::new() })]
    Superseded {
        /// The version the decision names.
        version_id: i64,
        /// What is under review now, if anything.
        current: Option<UnderReview>,
    },
    /// The decision's file hash is not the hash of the version's file.
    #[error("the decision is about file {decided} but version {version_id}'s file is {actual}")]
    HashMismatch {
        /// The version.
        version_id: i64,
        /// The hash the reviewer saw.
        decided: String,
        /// The hash the server holds.
        actual: String,
    },
}

impl VerifyError {
    /// A stable machine-readable code, used in the server's JSON errors.
    pub fn code(&self) -> &'static str {
        match self {
            VerifyError::Malformed { .. } => "malformed_jws",
            VerifyError::WrongHeader { .. } => "wrong_jws_header",
            VerifyError::UnknownKey { .. } => "unknown_key",
            VerifyError::KeyOfAnotherReviewer { .. } => "key_not_yours",
            VerifyError::KeyRevoked { .. } => "key_revoked",
            VerifyError::BadSignature { .. } => "bad_signature",
            VerifyError::ReviewerMismatch { .. } => "reviewer_mismatch",
            VerifyError::Invalid(_) => "invalid_decision",
            VerifyError::Superseded { .. } => "version_not_under_review",
            VerifyError::HashMismatch { .. } => "hash_mismatch",
        }
    }

    /// The HTTP status the server answers with: 400 for a malformed token, 403 for identity
    /// mismatches, 422 for a bad signature or rule, 409 when the version moved on.
    pub fn status(&self) -> u16 {
        match self {
            VerifyError::Malformed { .. } | VerifyError::WrongHeader { .. } => 400,
            VerifyError::KeyOfAnotherReviewer { .. }
            | VerifyError::KeyRevoked { .. }
            | VerifyError::ReviewerMismatch { .. } => 403,
            VerifyError::UnknownKey { .. }
            | VerifyError::BadSignature { .. }
            | VerifyError::Invalid(_) => 422,
            VerifyError::Superseded { .. } | VerifyError::HashMismatch { .. } => 409,
        }
    }
}

/// The version an add-on has under review right now, as the server knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnderReview {
    /// Version id.
    pub version_id: i64,
    /// Version string.
    pub version: String,
    /// sha256 of its file, lowercase hex.
    pub file_sha256: String,
}

/// A reviewer's Ed25519 private key. `Debug` never shows it; it is wiped from memory on drop.
pub struct ReviewerKey {
    key: SigningKey,
}

impl std::fmt::Debug for ReviewerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReviewerKey")
            .field("kid", &self.public_key().kid())
            .field("private_key", &"<redacted>")
            .finish()
    }
}

impl ReviewerKey {
    /// A new key from the OS random number generator.
    pub fn generate() -> Result<ReviewerKey, SigningError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        getrandom::fill(seed.as_mut()).map_err(|e| SigningError::Random(e.to_string()))?;
        Ok(ReviewerKey {
            key: SigningKey::from_bytes(&seed),
        })
    }

    /// The key from its 32-byte seed in base64url (the form kept in the keyring).
    pub fn from_secret(text: &str) -> Result<ReviewerKey, SigningError> {
        let bytes = Zeroizing::new(URL_SAFE_NO_PAD.decode(text.trim()).map_err(|_| {
            SigningError::BadPrivateKey {
                reason: "not base64url",
            }
        })?);
        let seed: Zeroizing<[u8; 32]> =
            Zeroizing::new(bytes.as_slice().try_into().map_err(|_| {
                SigningError::BadPrivateKey {
                    reason: "not 32 bytes",
                }
            })?);
        Ok(ReviewerKey {
            key: SigningKey::from_bytes(&seed),
        })
    }

    /// The 32-byte seed in base64url, for the keyring only.
    pub fn to_secret(&self) -> SecretText {
        SecretText::new(URL_SAFE_NO_PAD.encode(self.key.as_bytes()))
    }

    /// The public half.
    pub fn public_key(&self) -> PublicKey {
        PublicKey {
            key: self.key.verifying_key(),
        }
    }

    /// Validates `decision` and signs it as a compact JWS.
    pub fn sign(&self, decision: &Decision) -> Result<String, SigningError> {
        decision.validate()?;
        let header = serde_json::json!({
            "alg": ALGORITHM,
            "typ": JWS_TYPE,
            "kid": self.public_key().kid(),
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(decision.to_json())
        );
        let signature = self.key.sign(signing_input.as_bytes());
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature.to_bytes())
        ))
    }
}

/// An Ed25519 public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicKey {
    key: VerifyingKey,
}

impl PublicKey {
    /// The key from 32 bytes in base64url (the form `PUT …/keys/{kid}/` carries).
    pub fn from_base64url(text: &str) -> Result<PublicKey, SigningError> {
        let bad = |reason| SigningError::BadPublicKey {
            key: text.chars().take(100).collect(),
            reason,
        };
        let bytes = URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| bad("not base64url"))?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| bad("not 32 bytes"))?;
        let key = VerifyingKey::from_bytes(&bytes).map_err(|_| bad("not a curve point"))?;
        // A small-order key verifies forged signatures for many messages; never accept one.
        if key.is_weak() {
            return Err(bad("a weak (small-order) key"));
        }
        Ok(PublicKey { key })
    }

    /// The 32 bytes in base64url.
    pub fn to_base64url(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.key.as_bytes())
    }

    /// The key id: the RFC 7638 JWK SHA-256 thumbprint, base64url (43 characters). It is the
    /// hash of `{"crv":"Ed25519","kty":"OKP","x":"<key>"}`, so any JOSE library computes the
    /// same id from the key.
    pub fn kid(&self) -> String {
        let jwk = format!(
            r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
            self.to_base64url()
        );
        URL_SAFE_NO_PAD.encode(Sha256::digest(jwk.as_bytes()))
    }
}

/// A registered signing key, as the server stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredKey {
    /// Who registered it (the server's user id, as text).
    pub owner: String,
    /// The public key in base64url.
    pub public_key: String,
    /// When it was revoked, if it was (RFC 3339).
    pub revoked_at: Option<String>,
}

/// Who is submitting a decision: the JWT issuer and the user it belongs to.
#[derive(Debug, Clone, Copy)]
pub struct Submitter<'a> {
    /// The API key (the request JWT's `iss`).
    pub api_key: &'a str,
    /// The server's user id for that key, as text.
    pub user: &'a str,
}

/// A parsed compact JWS whose signature is not checked yet.
#[derive(Debug, Clone)]
pub struct SignedDecision {
    kid: String,
    signing_input: String,
    payload: Vec<u8>,
    signature: [u8; 64],
}

#[derive(Deserialize)]
struct Header {
    alg: Option<serde_json::Value>,
    typ: Option<serde_json::Value>,
    kid: Option<serde_json::Value>,
    crit: Option<serde_json::Value>,
}

impl SignedDecision {
    /// Reads a compact JWS: three base64url segments, a header with `alg: EdDSA`, our `typ`
    /// and a `kid`, and a 64-byte signature. The payload is only decoded, not trusted.
    pub fn parse(jws: &str) -> Result<SignedDecision, VerifyError> {
        let malformed = |reason: &str| VerifyError::Malformed {
            reason: reason.to_owned(),
        };
        if jws.len() > MAX_JWS_LEN {
            return Err(malformed(&format!(
                "{} bytes, at most {MAX_JWS_LEN}",
                jws.len()
            )));
        }
        let jws = jws.trim();
        let mut parts = jws.split('.');
        let (Some(head), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed("expected three dot-separated segments"));
        };
        let header_bytes = URL_SAFE_NO_PAD
            .decode(head)
            .map_err(|_| malformed("header is not base64url"))?;
        let header: Header = serde_json::from_slice(&header_bytes)
            .map_err(|_| malformed("header is not a JSON object"))?;
        let text = |v: &Option<serde_json::Value>| {
            v.as_ref()
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| v.to_string())
                })
                .unwrap_or_default()
        };
        let alg = text(&header.alg);
        if alg != ALGORITHM {
            return Err(VerifyError::WrongHeader {
                what: "alg",
                value: alg.chars().take(40).collect(),
            });
        }
        let typ = text(&header.typ);
        if typ != JWS_TYPE {
            return Err(VerifyError::WrongHeader {
                what: "typ",
                value: typ.chars().take(40).collect(),
            });
        }
        // RFC 7515 §4.1.11: a recipient must refuse critical extensions it does not know.
        if header.crit.is_some() {
            return Err(malformed(
                "header has a `crit` extension this server does not know",
            ));
        }
        let kid = match &header.kid {
            Some(serde_json::Value::String(kid)) if !kid.is_empty() && kid.len() <= 64 => {
                kid.clone()
            }
            _ => return Err(malformed("header needs a `kid` string of 1-64 characters")),
        };
        let payload_bytes = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| malformed("payload is not base64url"))?;
        let signature: [u8; 64] = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| malformed("signature is not base64url"))?
            .try_into()
            .map_err(|_| malformed("signature is not 64 bytes"))?;
        Ok(SignedDecision {
            kid,
            signing_input: format!("{head}.{payload}"),
            payload: payload_bytes,
            signature,
        })
    }

    /// The `kid` header: the key the caller must look up.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The payload as sent, before verification (for logs of refused decisions: never trust it).
    pub fn unverified_payload(&self) -> &[u8] {
        &self.payload
    }

    /// Checks, in order: the key is registered, it belongs to the submitter and is not revoked,
    /// the signature verifies (strictly), the payload is a valid decision, and its `reviewer`
    /// is the submitting API key. Returns the verified decision.
    pub fn verify(
        &self,
        submitter: Submitter<'_>,
        key: Option<&RegisteredKey>,
    ) -> Result<Decision, VerifyError> {
        let key = key.ok_or_else(|| VerifyError::UnknownKey {
            kid: self.kid.clone(),
        })?;
        if key.owner != submitter.user {
            return Err(VerifyError::KeyOfAnotherReviewer {
                kid: self.kid.clone(),
            });
        }
        if let Some(revoked_at) = &key.revoked_at {
            return Err(VerifyError::KeyRevoked {
                kid: self.kid.clone(),
                revoked_at: revoked_at.chars().take(40).collect(),
            });
        }
        let bad_signature = || VerifyError::BadSignature {
            kid: self.kid.clone(),
        };
        let public = PublicKey::from_base64url(&key.public_key).map_err(|_| bad_signature())?;
        // The kid must be this key's thumbprint, so a registration can never alias another key.
        if public.kid() != self.kid {
            return Err(bad_signature());
        }
        public
            .key
            .verify_strict(
                self.signing_input.as_bytes(),
                &Signature::from_bytes(&self.signature),
            )
            .map_err(|_| bad_signature())?;
        let decision = Decision::from_json(&self.payload).map_err(VerifyError::Invalid)?;
        if decision.reviewer != submitter.api_key {
            return Err(VerifyError::ReviewerMismatch {
                reviewer: decision.reviewer.chars().take(100).collect(),
                submitter: submitter.api_key.to_owned(),
            });
        }
        Ok(decision)
    }
}

/// Checks a verified decision against the version the server has under review for its add-on:
/// it must be the same version, with the same file hash.
pub fn check_review_state(
    decision: &Decision,
    under_review: Option<&UnderReview>,
) -> Result<(), VerifyError> {
    match under_review {
        Some(current) if current.version_id == decision.version.id => {
            if current
                .file_sha256
                .eq_ignore_ascii_case(&decision.version.file_sha256)
            {
                Ok(())
            } else {
                Err(VerifyError::HashMismatch {
                    version_id: current.version_id,
                    decided: decision.version.file_sha256.clone(),
                    actual: current.file_sha256.clone(),
                })
            }
        }
        other => Err(VerifyError::Superseded {
            version_id: decision.version.id,
            current: other.cloned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kid_matches_the_rfc_8037_thumbprint_example() {
        // RFC 8037 Appendix A.3: the thumbprint of the example Ed25519 key.
        let key = PublicKey::from_base64url("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo").unwrap();
        assert_eq!(key.kid(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    }

    #[test]
    fn signs_like_the_rfc_8037_example() {
        // RFC 8037 Appendix A.4 signs "Example of Ed25519 signing" under {"alg":"EdDSA"}; our
        // header differs, so check the primitive on the RFC's own signing input instead.
        let key = ReviewerKey::from_secret("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A").unwrap();
        let input = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
        let sig = URL_SAFE_NO_PAD.encode(key.key.sign(input.as_bytes()).to_bytes());
        assert_eq!(
            sig,
            "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
        );
    }

    #[test]
    fn debug_output_hides_the_private_key() {
        let key = ReviewerKey::generate().unwrap();
        let secret = key.to_secret();
        let text = format!("{key:?}");
        assert!(!text.contains(secret.as_str()));
        assert!(text.contains(&key.public_key().kid()));
    }
}
