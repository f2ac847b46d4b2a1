//! The reviewer's secrets in the OS keyring: API key, API secret and Ed25519 signing key.
//!
//! Secrets live only in the platform's credential store (Secret Service on Linux, Keychain on
//! macOS, Credential Manager on Windows) through the `keyring` crate, never in the SQLite cache,
//! a config file, logs or command lines. When the keyring is missing or locked, every operation
//! fails with a message saying how to fix it; there is deliberately no fallback to a file,
//! because a silent fallback is how secrets end up in backups.
//!
//! `keyring` 3.x is used with `sync-secret-service` + `crypto-rust` on Linux (secrets persist
//! in the login collection, encrypted on the D-Bus session with a pure-Rust cipher),
//! `apple-native` and `windows-native`. The `linux-native-*-persistent` stores were not taken:
//! they mirror every secret into the kernel's session keyring as a cache for headless daemons,
//! which Vetter does not need, and keyutils is often unavailable in containers and CI. Keyring
//! 4.x splits the stores into separate crates with a new API; 3.x is what the issue asked for and
//! covers the three platforms. Platforms without a native store do not compile (see below), so
//! the crate's in-memory mock store can never be picked by accident.
//!
//! [`login`] is what `vetter login` and the app call: it checks the credentials with the
//! server first, stores them only after that succeeded, makes the signing key on first login
//! and registers its public key.

use std::collections::HashMap;
use std::sync::Mutex;

use vetter_decision::signing::{PublicKey, ReviewerKey, SecretText, SigningError};
use vetter_protocol::auth::Credentials;
use vetter_protocol::routes::normalize_server;

#[cfg(not(any(
    target_os = "linux",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "macos",
    target_os = "windows"
)))]
compile_error!(
    "Vetter stores secrets only in a native OS keyring; this platform has none wired up"
);

/// The keyring service name all of Vetter's entries share.
pub const KEYRING_SERVICE: &str = "vetter";

/// Longest profile or key-registration response read during login.
const MAX_RESPONSE: usize = 64 * 1024;

/// One of the secrets kept per server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Secret {
    /// The API key (the JWT issuer). Not secret on its own, but kept with its secret.
    ApiKey,
    /// The API secret (the HS256 key).
    ApiSecret,
    /// The Ed25519 private key seed, base64url.
    SigningKey,
}

impl Secret {
    /// Every secret, for logout.
    pub const ALL: [Secret; 3] = [Secret::ApiKey, Secret::ApiSecret, Secret::SigningKey];

    /// The entry's name, part of the keyring account.
    pub fn name(self) -> &'static str {
        match self {
            Secret::ApiKey => "api-key",
            Secret::ApiSecret => "api-secret",
            Secret::SigningKey => "signing-key",
        }
    }
}

/// Why a secret could not be stored, read or used. Messages never contain a secret.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// The keyring service is not running or not reachable.
    #[error(
        "the OS keyring is not available ({detail}). Vetter keeps secrets only in the keyring: on Linux start a Secret Service provider (GNOME Keyring or KeePassXC) in your session; on macOS and Windows sign in to your user account. Then retry."
    )]
    Unavailable {
        /// The platform's error.
        detail: String,
    },
    /// The keyring is locked or refused access.
    #[error(
        "the OS keyring is locked or refused access ({detail}). Unlock your login keyring (it unlocks when you log in to your desktop) and retry."
    )]
    Locked {
        /// The platform's error.
        detail: String,
    },
    /// A stored entry is not text.
    #[error(
        "the keyring entry {account:?} is not valid text; run `vetter logout` then `vetter login`"
    )]
    Corrupt {
        /// The keyring account.
        account: String,
    },
    /// The keyring refused the entry's name or found several matches.
    #[error("the keyring refused entry {account:?}: {detail}")]
    Entry {
        /// The keyring account.
        account: String,
        /// The platform's reason.
        detail: String,
    },
    /// No credentials are stored for this server.
    #[error("not logged in to {server}: run `vetter login --server {server}`")]
    NotLoggedIn {
        /// The server.
        server: String,
    },
    /// The server could not be reached.
    #[error("cannot reach {url}: {detail}")]
    Unreachable {
        /// The URL.
        url: String,
        /// The HTTP client's error.
        detail: String,
    },
    /// The server refused the credentials or the key.
    #[error("{url} refused the request ({status} {code}): {detail}")]
    Refused {
        /// The URL.
        url: String,
        /// HTTP status.
        status: u16,
        /// The server's error code.
        code: String,
        /// The server's explanation.
        detail: String,
    },
    /// The stored signing key is unusable.
    #[error(transparent)]
    Signing(#[from] SigningError),
}

impl CredentialError {
    /// Whether the keyring itself cannot be used (none running, or locked), as opposed to a
    /// refusal by the server or a problem with one entry.
    pub fn is_keyring_unavailable(&self) -> bool {
        matches!(
            self,
            CredentialError::Unavailable { .. } | CredentialError::Locked { .. }
        )
    }

    fn from_keyring(error: keyring::Error, account: &str) -> CredentialError {
        match error {
            keyring::Error::NoStorageAccess(e) => CredentialError::Locked {
                detail: e.to_string(),
            },
            keyring::Error::PlatformFailure(e) => CredentialError::Unavailable {
                detail: e.to_string(),
            },
            // The bytes in BadEncoding are the secret itself: never carried on.
            keyring::Error::BadEncoding(_) => CredentialError::Corrupt {
                account: account.to_owned(),
            },
            keyring::Error::TooLong(attr, limit) => CredentialError::Entry {
                account: account.to_owned(),
                detail: format!("attribute {attr} is longer than {limit}"),
            },
            keyring::Error::Invalid(attr, reason) => CredentialError::Entry {
                account: account.to_owned(),
                detail: format!("attribute {attr} is invalid: {reason}"),
            },
            keyring::Error::Ambiguous(found) => CredentialError::Entry {
                account: account.to_owned(),
                detail: format!(
                    "{} entries match; remove the duplicates in your keyring manager",
                    found.len()
                ),
            },
            keyring::Error::NoEntry => CredentialError::Entry {
                account: account.to_owned(),
                detail: "no such entry".to_owned(),
            },
            other => CredentialError::Unavailable {
                detail: other.to_string(),
            },
        }
    }
}

/// Where secrets are kept, per server. The keyring implementation is the only one a front end
/// uses; [`MemoryStore`] exists for unit tests.
pub trait CredentialStore: Send + Sync {
    /// The secret, or `None` when it is not stored.
    fn get(&self, server: &str, secret: Secret) -> Result<Option<SecretText>, CredentialError>;
    /// Stores (or replaces) the secret.
    fn set(&self, server: &str, secret: Secret, value: &str) -> Result<(), CredentialError>;
    /// Removes the secret; `Ok(false)` when it was not stored.
    fn delete(&self, server: &str, secret: Secret) -> Result<bool, CredentialError>;
}

/// The keyring account of one secret: the server URL (as [`normalize_server`] spells it) and the
/// secret's name. A text that is no server URL is used as given: login refuses such a server, so
/// no secret is ever stored under one.
pub fn account(server: &str, secret: Secret) -> String {
    let server = normalize_server(server).unwrap_or_else(|_| server.to_owned());
    format!("{server} {}", secret.name())
}

/// The OS keyring.
#[derive(Debug, Default, Clone, Copy)]
pub struct KeyringStore;

impl KeyringStore {
    fn entry(server: &str, secret: Secret) -> Result<(keyring::Entry, String), CredentialError> {
        let account = account(server, secret);
        let entry = keyring::Entry::new(KEYRING_SERVICE, &account)
            .map_err(|e| CredentialError::from_keyring(e, &account))?;
        Ok((entry, account))
    }
}

impl CredentialStore for KeyringStore {
    fn get(&self, server: &str, secret: Secret) -> Result<Option<SecretText>, CredentialError> {
        let (entry, account) = KeyringStore::entry(server, secret)?;
        match entry.get_password() {
            Ok(value) => Ok(Some(SecretText::new(value))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(CredentialError::from_keyring(e, &account)),
        }
    }

    fn set(&self, server: &str, secret: Secret, value: &str) -> Result<(), CredentialError> {
        let (entry, account) = KeyringStore::entry(server, secret)?;
        entry
            .set_password(value)
            .map_err(|e| CredentialError::from_keyring(e, &account))
    }

    fn delete(&self, server: &str, secret: Secret) -> Result<bool, CredentialError> {
        let (entry, account) = KeyringStore::entry(server, secret)?;
        match entry.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(CredentialError::from_keyring(e, &account)),
        }
    }
}

/// An in-memory store: for unit tests, and for a launch handed credentials on a machine without
/// a usable keyring ([`crate::flow::login_keyring_or_session`]), which the app then says on
/// screen. Never picked silently: its secrets die with the process, so a front end that used it
/// unannounced would look logged in on one run and not the next.
#[derive(Default)]
pub struct MemoryStore {
    entries: Mutex<HashMap<String, SecretText>>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = self.entries.lock().map(|e| e.len()).unwrap_or(0);
        f.debug_struct("MemoryStore")
            .field("entries", &count)
            .finish()
    }
}

impl CredentialStore for MemoryStore {
    fn get(&self, server: &str, secret: Secret) -> Result<Option<SecretText>, CredentialError> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        Ok(entries.get(&account(server, secret)).cloned())
    }

    fn set(&self, server: &str, secret: Secret, value: &str) -> Result<(), CredentialError> {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.insert(account(server, secret), SecretText::new(value.to_owned()));
        Ok(())
    }

    fn delete(&self, server: &str, secret: Secret) -> Result<bool, CredentialError> {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        Ok(entries.remove(&account(server, secret)).is_some())
    }
}

/// The API credentials stored for `server`.
pub fn load_credentials(
    store: &dyn CredentialStore,
    server: &str,
) -> Result<Credentials, CredentialError> {
    let not_logged_in = || CredentialError::NotLoggedIn {
        server: server.to_owned(),
    };
    let key = store
        .get(server, Secret::ApiKey)?
        .ok_or_else(not_logged_in)?;
    let secret = store
        .get(server, Secret::ApiSecret)?
        .ok_or_else(not_logged_in)?;
    Ok(Credentials::new(key.as_str(), secret.as_str()))
}

/// The signing key stored for `server`.
pub fn load_signing_key(
    store: &dyn CredentialStore,
    server: &str,
) -> Result<ReviewerKey, CredentialError> {
    let secret =
        store
            .get(server, Secret::SigningKey)?
            .ok_or_else(|| CredentialError::NotLoggedIn {
                server: server.to_owned(),
            })?;
    Ok(ReviewerKey::from_secret(secret.as_str())?)
}

/// The stored signing key for `server`, or a new one stored now; true when it was created.
pub fn ensure_signing_key(
    store: &dyn CredentialStore,
    server: &str,
) -> Result<(ReviewerKey, bool), CredentialError> {
    if let Some(secret) = store.get(server, Secret::SigningKey)? {
        return Ok((ReviewerKey::from_secret(secret.as_str())?, false));
    }
    let key = ReviewerKey::generate()?;
    store.set(server, Secret::SigningKey, key.to_secret().as_str())?;
    Ok((key, true))
}

/// Removes every secret stored for `server`; returns how many there were.
pub fn logout(store: &dyn CredentialStore, server: &str) -> Result<usize, CredentialError> {
    let mut removed = 0;
    for secret in Secret::ALL {
        if store.delete(server, secret)? {
            removed += 1;
        }
    }
    Ok(removed)
}

/// What kind of server a login found, from its capability document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum ServerKind {
    /// A Vetter review server: queues, signals, signed decisions.
    Vetter,
    /// A plain AMO (no capability document): add-ons and versions only; decisions stay local.
    Amo,
}

impl ServerKind {
    /// The `sync_settings` value.
    pub fn name(self) -> &'static str {
        match self {
            ServerKind::Vetter => "vetter",
            ServerKind::Amo => "amo",
        }
    }
}

/// What a successful login did.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct LoginOutcome {
    /// The server.
    pub server: String,
    /// What the server offers.
    pub kind: ServerKind,
    /// The API key (safe to show).
    pub api_key: String,
    /// The reviewer's profile as the server returned it.
    #[ts(type = "unknown")]
    pub profile: serde_json::Value,
    /// The signing key's id.
    pub kid: String,
    /// The signing key was made by this login (first login on this machine).
    pub key_created: bool,
    /// The public key was registered with the server (Vetter servers only; AMO has no route).
    pub key_registered: bool,
}

/// Asks `client`'s server for its capability document: a Vetter server answers it, AMO has no
/// such route (404). Anything else (refused credentials, no answer) is an error.
pub async fn discover(
    client: &vetter_protocol::Client,
) -> Result<Option<vetter_protocol::vetter::Capabilities>, vetter_protocol::ProtocolError> {
    let url = client.url(vetter_protocol::routes::CAPABILITIES)?;
    match client.get(&url).await {
        Ok(capabilities) => Ok(Some(capabilities)),
        Err(e) if e.status() == Some(404) => Ok(None),
        Err(e) => Err(e),
    }
}

fn credential_error(error: vetter_protocol::ProtocolError, server: &str) -> CredentialError {
    match error {
        vetter_protocol::ProtocolError::Status {
            url,
            status,
            code,
            detail,
        } => CredentialError::Refused {
            url,
            status,
            code: if code.is_empty() {
                "unknown".to_owned()
            } else {
                code
            },
            detail,
        },
        other => CredentialError::Unreachable {
            url: server.to_owned(),
            detail: other.to_string(),
        },
    }
}

/// Logs in to `server`, all or nothing: checks the API key and secret with the profile route,
/// asks what the server offers, makes the signing key if there is none and, on a Vetter server,
/// registers its public key (idempotent, so every login re-registers and a registration lost to
/// a network error heals itself). The API key and secret are stored only after every request
/// succeeded, so a refused or half-answered login leaves nothing behind. AMO has no key route:
/// there the key only signs the decisions kept locally.
pub async fn login(
    store: &dyn CredentialStore,
    server: &str,
    api_key: &str,
    api_secret: &str,
) -> Result<LoginOutcome, CredentialError> {
    let server = normalize_server(server).map_err(|e| credential_error(e, server))?;
    let credentials = Credentials::new(api_key, api_secret);
    let retry = vetter_protocol::RetryPolicy {
        max_attempts: 2,
        ..Default::default()
    };
    let client = vetter_protocol::Client::new(
        &server,
        credentials.clone(),
        retry,
        std::time::Duration::from_secs(30),
    )
    .map_err(|e| credential_error(e, &server))?;
    let profile_url = client
        .url(vetter_protocol::routes::PROFILE)
        .map_err(|e| credential_error(e, &server))?;
    // No redirect is followed here: fresh credentials go only to the server the reviewer named.
    let profile = client
        .get_json_here(&profile_url)
        .await
        .map_err(|e| credential_error(e, &server))?;
    let kind = match discover(&client)
        .await
        .map_err(|e| credential_error(e, &server))?
    {
        Some(c) if c.offers(vetter_protocol::vetter::Feature::SigningKeys) => ServerKind::Vetter,
        _ => ServerKind::Amo,
    };
    tracing::info!(server = %server, api_key = credentials.key(), kind = kind.name(), "credentials accepted");
    let (key, key_created) = ensure_signing_key(store, &server)?;
    let public = key.public_key();
    let key_registered = kind == ServerKind::Vetter;
    if key_registered {
        register_key(&client, &public).await?;
    }
    store.set(&server, Secret::ApiKey, credentials.key())?;
    store.set(&server, Secret::ApiSecret, api_secret)?;
    Ok(LoginOutcome {
        server,
        kind,
        api_key: credentials.key().to_owned(),
        profile,
        kid: public.kid(),
        key_created,
        key_registered,
    })
}

/// Registers `public` with `client`'s server under its thumbprint.
pub async fn register_key(
    client: &vetter_protocol::Client,
    public: &PublicKey,
) -> Result<(), CredentialError> {
    let url = client
        .url(&vetter_protocol::routes::signing_key(&public.kid()))
        .map_err(|e| credential_error(e, &client.origin()))?;
    let body = serde_json::json!({"alg": "EdDSA", "public_key": public.to_base64url()});
    let unreachable = |detail: String| CredentialError::Unreachable {
        url: url.to_string(),
        detail,
    };
    let (status, bytes) = client
        .send_once(
            reqwest::Method::PUT,
            &url,
            "application/json",
            body.to_string().into_bytes(),
            MAX_RESPONSE,
        )
        .await
        .map_err(|e| unreachable(e.describe(MAX_RESPONSE)))?;
    if !(200..300).contains(&status) {
        let parsed: vetter_protocol::amo::ErrorBody =
            serde_json::from_slice(&bytes).unwrap_or_default();
        let cut = |s: String| s.chars().take(500).collect::<String>();
        return Err(CredentialError::Refused {
            url: url.to_string(),
            status,
            code: parsed.code.map(cut).unwrap_or_else(|| "unknown".to_owned()),
            detail: parsed
                .detail
                .map(cut)
                .unwrap_or_else(|| format!("HTTP {status}")),
        });
    }
    tracing::info!(kid = %public.kid(), "signing key registered");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logout_removes_every_secret_of_that_server_only() {
        let store = MemoryStore::default();
        for secret in Secret::ALL {
            store.set("http://a", secret, "x").unwrap();
            store.set("http://b", secret, "y").unwrap();
        }
        assert_eq!(logout(&store, "http://a").unwrap(), 3);
        for secret in Secret::ALL {
            assert!(store.get("http://a", secret).unwrap().is_none());
            assert!(store.get("http://b", secret).unwrap().is_some());
        }
        assert_eq!(logout(&store, "http://a").unwrap(), 0);
    }

    #[test]
    fn signing_key_is_made_once_and_then_reused() {
        let store = MemoryStore::default();
        let (first, created) = ensure_signing_key(&store, "http://a").unwrap();
        assert!(created);
        let (second, created) = ensure_signing_key(&store, "http://a").unwrap();
        assert!(!created);
        assert_eq!(first.public_key(), second.public_key());
    }

    #[test]
    fn secret_text_debug_hides_the_value() {
        let text = format!("{:?}", Some(SecretText::new("hunter2".to_owned())));
        assert!(!text.contains("hunter2"), "{text}");
    }

    #[test]
    fn missing_credentials_say_how_to_log_in() {
        let store = MemoryStore::default();
        let message = load_credentials(&store, "http://a")
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("vetter login --server http://a"),
            "{message}"
        );
    }
}
