//! Request authentication the way addons.mozilla.org does it: a short-lived HS256 JWT per call.
//!
//! The client signs `{iss: API key, jti: random, iat, exp}` with the API secret and sends
//! `Authorization: JWT <token>`; the server checks every rule AMO checks (HS256 only, `iat` and
//! `exp` present, a lifetime of at most 300 s, 5 s of clock skew, `jti` never reused while the
//! token lives). Both sides live here so they cannot drift apart, and each failed rule is its
//! own error so a reviewer whose clock is off reads "issued in the future", not "unauthorized".

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Longest lifetime (`exp − iat`) a token may claim, in seconds (AMO's limit).
pub const MAX_LIFETIME_SECS: i64 = 300;
/// Clock skew tolerated between client and server, in seconds.
pub const LEEWAY_SECS: i64 = 5;
/// Lifetime the client gives its tokens: well under the limit, so a token is never refused for
/// its lifetime and a replay window stays short.
pub const CLIENT_LIFETIME_SECS: i64 = 60;
/// Longest `Authorization` value the server reads; real tokens are about 250 bytes.
pub const MAX_HEADER_LEN: usize = 4096;
/// Environment variable holding the API key (the JWT issuer).
pub const API_KEY_ENV: &str = "VETTER_API_KEY";
/// Environment variable holding the API secret.
pub const API_SECRET_ENV: &str = "VETTER_API_SECRET";

/// Why a token could not be made or was refused. Every refusal names the rule it broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The request carried no `Authorization` header.
    #[error("authentication credentials were not provided: send `Authorization: JWT <token>`")]
    MissingHeader,
    /// The header does not start with `JWT `.
    #[error("the Authorization header must be `JWT <token>`, not {scheme:?}")]
    WrongScheme {
        /// The scheme that was sent (at most 20 characters of it).
        scheme: String,
    },
    /// The token is not three base64url segments holding JSON, or is too long.
    #[error("the token is not a well-formed JWT: {reason}")]
    Malformed {
        /// What is wrong with it.
        reason: String,
    },
    /// The token was signed with another algorithm than HS256 (including `none`).
    #[error("the token uses algorithm {alg:?}; only HS256 is accepted")]
    WrongAlgorithm {
        /// The `alg` header value.
        alg: String,
    },
    /// A required claim is absent.
    #[error("the token has no `{claim}` claim")]
    MissingClaim {
        /// The claim's name.
        claim: &'static str,
    },
    /// A claim has the wrong type.
    #[error("the token's `{claim}` claim must be {expected}")]
    InvalidClaim {
        /// The claim's name.
        claim: &'static str,
        /// What it should be.
        expected: &'static str,
    },
    /// `iss` names no API key the server knows, or the signature does not match its secret.
    /// One error for both, so a caller without the secret cannot tell which API keys exist.
    #[error(
        "the token's API key {iss:?} and signature do not match a key and secret of this server: check both"
    )]
    BadCredentials {
        /// The issuer that was sent.
        iss: String,
    },
    /// `exp` is not after `iat`.
    #[error("the token expires (exp {exp}) before it is issued (iat {iat})")]
    ExpiresBeforeIssued {
        /// Issued at.
        iat: i64,
        /// Expires at.
        exp: i64,
    },
    /// `exp − iat` is longer than AMO allows.
    #[error("the token lives {lifetime} s (exp − iat); at most {MAX_LIFETIME_SECS} s is allowed")]
    LifetimeTooLong {
        /// `exp − iat`.
        lifetime: i64,
    },
    /// `iat` lies in the future beyond the leeway: the client's clock is ahead.
    #[error(
        "the token is issued in the future (iat {iat}, server time {now}, {LEEWAY_SECS} s leeway): check the clock"
    )]
    IssuedInFuture {
        /// Issued at.
        iat: i64,
        /// Server time.
        now: i64,
    },
    /// `exp` has passed beyond the leeway.
    #[error("the token expired at {exp} (server time {now}, {LEEWAY_SECS} s leeway)")]
    Expired {
        /// Expires at.
        exp: i64,
        /// Server time.
        now: i64,
    },
    /// This `jti` was already used by a token that is still alive.
    #[error("the token's jti {jti:?} was already used; every request needs a fresh token")]
    ReplayedJti {
        /// The reused id.
        jti: String,
    },
    /// A client credential is not set in the environment.
    #[error(
        "{variable} is not set: export the API key and secret from your review server's settings"
    )]
    MissingCredential {
        /// The environment variable.
        variable: &'static str,
    },
}

impl AuthError {
    /// A stable machine-readable code for this failure, used in the server's JSON errors.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::MissingHeader => "missing_authorization",
            AuthError::WrongScheme { .. } => "wrong_auth_scheme",
            AuthError::Malformed { .. } => "malformed_token",
            AuthError::WrongAlgorithm { .. } => "wrong_algorithm",
            AuthError::MissingClaim { .. } => "missing_claim",
            AuthError::InvalidClaim { .. } => "invalid_claim",
            AuthError::BadCredentials { .. } => "bad_credentials",
            AuthError::ExpiresBeforeIssued { .. } => "expires_before_issued",
            AuthError::LifetimeTooLong { .. } => "lifetime_too_long",
            AuthError::IssuedInFuture { .. } => "issued_in_future",
            AuthError::Expired { .. } => "expired",
            AuthError::ReplayedJti { .. } => "replayed_jti",
            AuthError::MissingCredential { .. } => "missing_credential",
        }
    }
}

/// The claims of a request token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The API key.
    pub iss: String,
    /// A random id, single use within the token's lifetime.
    pub jti: String,
    /// Issued at, seconds since the Unix epoch.
    pub iat: i64,
    /// Expires at, seconds since the Unix epoch.
    pub exp: i64,
}

/// A reviewer's API key and secret. The secret never appears in `Debug` output or errors, and
/// every copy of it is wiped from memory when dropped.
#[derive(Clone)]
pub struct Credentials {
    key: String,
    secret: zeroize::Zeroizing<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("key", &self.key)
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl Credentials {
    /// Credentials from a key and a secret (an owned `String` is taken over, not copied).
    pub fn new(key: impl Into<String>, secret: impl Into<String>) -> Credentials {
        Credentials {
            key: key.into(),
            secret: zeroize::Zeroizing::new(secret.into()),
        }
    }

    /// Reads `VETTER_API_KEY` and `VETTER_API_SECRET`. Secrets are never taken from arguments
    /// or files, where they would end up in shell history or backups.
    pub fn from_env() -> Result<Credentials, AuthError> {
        let read = |variable: &'static str| {
            std::env::var(variable)
                .ok()
                .filter(|v| !v.trim().is_empty())
                .ok_or(AuthError::MissingCredential { variable })
        };
        Ok(Credentials::new(read(API_KEY_ENV)?, read(API_SECRET_ENV)?))
    }

    /// The API key (safe to show).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// A fresh token issued at `now` (Unix seconds) for [`CLIENT_LIFETIME_SECS`].
    pub fn token_at(&self, now: i64) -> String {
        let claims = Claims {
            iss: self.key.clone(),
            jti: random_jti(),
            iat: now,
            exp: now + CLIENT_LIFETIME_SECS,
        };
        encode_token(&claims, self.secret.as_bytes())
    }

    /// The `Authorization` header value for one request made now.
    pub fn authorization(&self) -> String {
        format!("JWT {}", self.token_at(unix_now()))
    }
}

/// Seconds since the Unix epoch (0 if the clock is before it).
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// 128 random bits as hex: collisions between honest tokens are out of reach.
fn random_jti() -> String {
    let mut bytes = [0u8; 16];
    // The OS RNG failing is not recoverable in any useful way; fall back to time and a counter
    // so tokens still differ (uniqueness, not secrecy, is what jti needs).
    if getrandom::fill(&mut bytes).is_err() {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        bytes[..8].copy_from_slice(&(t as u64).to_le_bytes());
        bytes[8..].copy_from_slice(&n.to_le_bytes());
    }
    hex::encode(bytes)
}

/// Signs `claims` (any JSON object) with HS256. Tests use it to build tokens that break one rule.
pub fn encode_token(claims: &impl Serialize, secret: &[u8]) -> String {
    encode_token_with_header(
        &serde_json::json!({"alg": "HS256", "typ": "JWT"}),
        claims,
        secret,
    )
}

/// Signs `claims` under an arbitrary header (for tests of the algorithm rule).
pub fn encode_token_with_header(
    header: &serde_json::Value,
    claims: &impl Serialize,
    secret: &[u8],
) -> String {
    let header = URL_SAFE_NO_PAD.encode(serde_json::to_vec(header).unwrap_or_default());
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default());
    let signing_input = format!("{header}.{payload}");
    let signature = URL_SAFE_NO_PAD.encode(sign(signing_input.as_bytes(), secret));
    format!("{signing_input}.{signature}")
}

fn sign(input: &[u8], secret: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so new_from_slice cannot fail.
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(input);
    mac.finalize().into_bytes().to_vec()
}

/// Remembers the `jti`s of live tokens so each is accepted once.
pub trait JtiLedger {
    /// Records `jti` of issuer `iss`, alive until `expires_at` (Unix seconds). Returns false if
    /// it was already recorded and is still alive. Entries past `now` may be forgotten.
    fn record(&self, iss: &str, jti: &str, expires_at: i64, now: i64) -> bool;
}

/// Checks one `Authorization` header value at server time `now`.
///
/// `secret_for` looks up the API secret of an issuer. Rules are checked in this order: header
/// shape, algorithm, issuer, signature, claims, lifetime, clock, replay — so an attacker without
/// the secret learns nothing about the claims' checks, and a replayed token is only recorded
/// once it passed every other rule.
pub fn verify_authorization(
    header: Option<&str>,
    now: i64,
    secret_for: impl FnOnce(&str) -> Option<zeroize::Zeroizing<Vec<u8>>>,
    ledger: &dyn JtiLedger,
) -> Result<Claims, AuthError> {
    let header = header.ok_or(AuthError::MissingHeader)?;
    if header.len() > MAX_HEADER_LEN {
        return Err(AuthError::Malformed {
            reason: format!("header is {} bytes, over {MAX_HEADER_LEN}", header.len()),
        });
    }
    let token = match header.split_once(' ') {
        Some(("JWT", token)) => token.trim(),
        Some((scheme, _)) => {
            return Err(AuthError::WrongScheme {
                scheme: scheme.chars().take(20).collect(),
            });
        }
        None => {
            return Err(AuthError::WrongScheme {
                scheme: header.chars().take(20).collect(),
            });
        }
    };
    let mut parts = token.split('.');
    let (Some(head), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed("expected three dot-separated segments"));
    };
    let head: serde_json::Value = decode_segment(head, "header")?;
    let alg = head.get("alg").and_then(|a| a.as_str()).unwrap_or("");
    if alg != "HS256" {
        return Err(AuthError::WrongAlgorithm {
            alg: alg.chars().take(20).collect(),
        });
    }
    let claims: serde_json::Value = decode_segment(payload, "payload")?;
    let claims = claims
        .as_object()
        .ok_or_else(|| malformed("payload is not a JSON object"))?;
    let iss = match claims.get("iss") {
        None => return Err(AuthError::MissingClaim { claim: "iss" }),
        Some(v) => v.as_str().ok_or(AuthError::InvalidClaim {
            claim: "iss",
            expected: "a string",
        })?,
    };
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| malformed("signature is not base64url"))?;
    let secret = secret_for(iss);
    // An unknown issuer still costs one HMAC, so its answer takes as long as a bad signature's.
    let key: &[u8] = secret
        .as_deref()
        .map_or(b"no such API key", |s| s.as_slice());
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(format!("{}.{}", token_segment(token, 0), token_segment(token, 1)).as_bytes());
    let verified = mac.verify_slice(&signature).is_ok();
    if secret.is_none() || !verified {
        return Err(AuthError::BadCredentials {
            iss: iss.chars().take(100).collect(),
        });
    }

    let int_claim = |claim: &'static str| match claims.get(claim) {
        None => Err(AuthError::MissingClaim { claim }),
        Some(v) => v.as_i64().ok_or(AuthError::InvalidClaim {
            claim,
            expected: "an integer number of seconds",
        }),
    };
    let iat = int_claim("iat")?;
    let exp = int_claim("exp")?;
    let jti = match claims.get("jti") {
        None => return Err(AuthError::MissingClaim { claim: "jti" }),
        Some(v) => v
            .as_str()
            .filter(|s| !s.is_empty() && s.len() <= 128)
            .ok_or(AuthError::InvalidClaim {
                claim: "jti",
                expected: "a non-empty string of at most 128 characters",
            })?,
    };
    if exp <= iat {
        return Err(AuthError::ExpiresBeforeIssued { iat, exp });
    }
    if exp.saturating_sub(iat) > MAX_LIFETIME_SECS {
        return Err(AuthError::LifetimeTooLong {
            lifetime: exp.saturating_sub(iat),
        });
    }
    if iat > now.saturating_add(LEEWAY_SECS) {
        return Err(AuthError::IssuedInFuture { iat, now });
    }
    if exp.saturating_add(LEEWAY_SECS) < now {
        return Err(AuthError::Expired { exp, now });
    }
    if !ledger.record(iss, jti, exp.saturating_add(LEEWAY_SECS), now) {
        return Err(AuthError::ReplayedJti {
            jti: jti.to_owned(),
        });
    }
    Ok(Claims {
        iss: iss.to_owned(),
        jti: jti.to_owned(),
        iat,
        exp,
    })
}

fn token_segment(token: &str, n: usize) -> &str {
    token.split('.').nth(n).unwrap_or("")
}

fn malformed(reason: &str) -> AuthError {
    AuthError::Malformed {
        reason: reason.to_owned(),
    }
}

fn decode_segment(segment: &str, what: &str) -> Result<serde_json::Value, AuthError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| malformed(&format!("{what} is not base64url")))?;
    serde_json::from_slice(&bytes).map_err(|_| malformed(&format!("{what} is not JSON")))
}

/// An in-memory [`JtiLedger`], enough for one server process (tokens live at most 305 s, so a
/// restart forgets nothing that could still be replayed for long).
///
/// Entries are filed in buckets of [`LEDGER_BUCKET_SECS`] by expiry; a bucket whose whole span
/// has passed is dropped at once, so each token costs O(log n) and nothing is rescanned.
#[derive(Default)]
pub struct MemoryJtiLedger {
    inner: std::sync::Mutex<Ledger>,
}

/// Seconds of expiry times that share one bucket of a [`MemoryJtiLedger`].
pub const LEDGER_BUCKET_SECS: i64 = 30;

#[derive(Default)]
struct Ledger {
    /// Live `(iss, jti)` and when each expires.
    live: std::collections::HashMap<(String, String), i64>,
    /// Bucket number (expiry / bucket length) → the entries filed in it.
    buckets: std::collections::BTreeMap<i64, Vec<(String, String)>>,
}

impl MemoryJtiLedger {
    /// How many tokens are remembered now.
    pub fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .live
            .len()
    }

    /// Whether no token is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl JtiLedger for MemoryJtiLedger {
    fn record(&self, iss: &str, jti: &str, expires_at: i64, now: i64) -> bool {
        let mut ledger = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let Ledger { live, buckets } = &mut *ledger;
        // Every entry of a bucket that ended by `now` has expired.
        while let Some(entry) = buckets.first_entry() {
            if (*entry.key() + 1).saturating_mul(LEDGER_BUCKET_SECS) > now {
                break;
            }
            for key in entry.remove() {
                if live.get(&key).is_some_and(|exp| *exp < now) {
                    live.remove(&key);
                }
            }
        }
        let key = (iss.to_owned(), jti.to_owned());
        if live.get(&key).is_some_and(|exp| *exp >= now) {
            return false;
        }
        live.insert(key.clone(), expires_at);
        buckets
            .entry(expires_at.div_euclid(LEDGER_BUCKET_SECS))
            .or_default()
            .push(key);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SECRET: &[u8] = b"s3cret";

    fn check(token: &str, now: i64, ledger: &MemoryJtiLedger) -> Result<Claims, AuthError> {
        let header = format!("JWT {token}");
        verify_authorization(
            Some(&header),
            now,
            |iss| (iss == "user:1:1").then(|| zeroize::Zeroizing::new(SECRET.to_vec())),
            ledger,
        )
    }

    fn claims(iat: i64, exp: i64, jti: &str) -> serde_json::Value {
        json!({"iss": "user:1:1", "jti": jti, "iat": iat, "exp": exp})
    }

    #[test]
    fn accepts_a_client_token_once() {
        let ledger = MemoryJtiLedger::default();
        let token = Credentials::new("user:1:1", "s3cret").token_at(1000);
        assert_eq!(check(&token, 1000, &ledger).unwrap().iss, "user:1:1");
        assert_eq!(
            check(&token, 1001, &ledger).unwrap_err().code(),
            "replayed_jti"
        );
    }

    #[test]
    fn refuses_each_broken_rule_with_its_own_code() {
        let cases: Vec<(String, &str)> = vec![
            (
                encode_token(&claims(1000, 1060, "a"), b"other"),
                "bad_credentials",
            ),
            (
                encode_token(&json!({"iss": "user:1:1", "jti": "b", "exp": 1060}), SECRET),
                "missing_claim",
            ),
            (
                encode_token(&json!({"iss": "user:1:1", "jti": "c", "iat": 1000}), SECRET),
                "missing_claim",
            ),
            (
                encode_token(
                    &json!({"iss": "user:1:1", "iat": 1000, "exp": 1060}),
                    SECRET,
                ),
                "missing_claim",
            ),
            (
                encode_token(&claims(1000, 1301, "d"), SECRET),
                "lifetime_too_long",
            ),
            (
                encode_token(&claims(1010, 1060, "e"), SECRET),
                "issued_in_future",
            ),
            (encode_token(&claims(900, 990, "f"), SECRET), "expired"),
            (
                encode_token(&claims(1000, 1000, "g"), SECRET),
                "expires_before_issued",
            ),
            (
                encode_token_with_header(&json!({"alg": "none"}), &claims(1000, 1060, "h"), SECRET),
                "wrong_algorithm",
            ),
            (
                encode_token(
                    &json!({"iss": "user:9:9", "jti": "i", "iat": 1000, "exp": 1060}),
                    SECRET,
                ),
                "bad_credentials",
            ),
            ("not-a-token".to_owned(), "malformed_token"),
        ];
        for (token, code) in cases {
            let ledger = MemoryJtiLedger::default();
            assert_eq!(
                check(&token, 1000, &ledger).unwrap_err().code(),
                code,
                "{token}"
            );
        }
    }

    #[test]
    fn allows_five_seconds_of_skew_each_way() {
        let ledger = MemoryJtiLedger::default();
        assert!(
            check(
                &encode_token(&claims(1005, 1060, "a"), SECRET),
                1000,
                &ledger
            )
            .is_ok()
        );
        assert!(check(&encode_token(&claims(900, 995, "b"), SECRET), 1000, &ledger).is_ok());
        assert!(check(&encode_token(&claims(900, 994, "c"), SECRET), 1000, &ledger).is_err());
    }

    #[test]
    fn refuses_other_schemes_and_missing_header() {
        let ledger = MemoryJtiLedger::default();
        let err = verify_authorization(Some("Bearer x"), 0, |_| None, &ledger).unwrap_err();
        assert_eq!(err.code(), "wrong_auth_scheme");
        let err = verify_authorization(None, 0, |_| None, &ledger).unwrap_err();
        assert_eq!(err.code(), "missing_authorization");
    }

    #[test]
    fn the_ledger_forgets_expired_tokens_by_bucket_and_still_refuses_live_ones() {
        let ledger = MemoryJtiLedger::default();
        for n in 0..50 {
            assert!(ledger.record("user:1:1", &format!("old-{n}"), 1060, 1000));
        }
        assert!(ledger.record("user:1:1", "live", 2100, 1001));
        assert!(
            !ledger.record("user:1:1", "old-3", 1060, 1030),
            "still alive"
        );
        // Long after: the 50 old ones are gone without a scan, the live one is still refused.
        assert!(ledger.record("user:1:1", "new", 2200, 2000));
        assert_eq!(ledger.len(), 2);
        assert!(!ledger.record("user:1:1", "live", 2100, 2050));
        // An expired jti may be used again (its token could not be).
        assert!(ledger.record("user:1:1", "old-3", 3000, 2990));
    }

    #[test]
    fn every_copy_of_the_secret_is_wiped_on_drop() {
        // A plain `String` would leave the secret in freed memory after each clone is dropped.
        let credentials = Credentials::new("user:1:1", "s3cret".to_owned());
        let copy = credentials.clone();
        for c in [&credentials, &copy] {
            assert!(
                std::any::type_name_of_val(&c.secret).starts_with("zeroize::Zeroizing<"),
                "{}",
                std::any::type_name_of_val(&c.secret)
            );
        }
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let text = format!("{:?}", Credentials::new("user:1:1", "hunter2"));
        assert!(!text.contains("hunter2"));
    }
}
