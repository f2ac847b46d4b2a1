//! The reviewer's round trips with the server, as one call each, for front ends that keep no
//! logic of their own (the desktop app).
//!
//! A sync pushes the outbox before it pulls, so the queues it pulls already reflect decisions
//! made offline. Whether the server answers at all is probed first with one short request:
//! offline is the normal state of a reviewer on a train, so it is reported as a state, not as
//! an error after minutes of retries. A decision is signed and recorded before the network is
//! touched, exactly as `vetter decide` does, and pushed only when the server answers.

use std::path::Path;
use std::time::Duration;

use serde::Serialize;
use ts_rs::TS;

use crate::credentials::{
    self, CredentialError, CredentialStore, LoginOutcome, Secret, load_credentials,
    load_signing_key,
};
use crate::outbox::{Outbox, OutboxEntry, OutboxError, PushSummary};
use crate::sync::{self, SyncError, SyncOptions, SyncProgress, SyncSummary};
use vetter_decision::{Action, Decision, DecisionInput, FieldProblem, rfc3339_millis};
use vetter_protocol::vocabulary::Vocabulary;
use vetter_store::{Store, StoreError};

/// How long the reachability probe waits for any answer from the server.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);
/// The `sync_settings` key of the last finished sync's time.
const LAST_SYNC_KEY: &str = "last_sync";

/// Why a round trip could not be made.
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    /// No server is configured yet.
    #[error("no review server yet: enter its URL in Settings and log in")]
    NoServer,
    /// The keyring could not be used, or holds no credentials for the server.
    #[error(transparent)]
    Credentials(#[from] CredentialError),
    /// Pulling from the server failed.
    #[error(transparent)]
    Sync(#[from] SyncError),
    /// The outbox could not record, read or push.
    #[error(transparent)]
    Outbox(#[from] OutboxError),
    /// The cache could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The version was not fetched from an AMO, so it cannot be decided on locally.
    #[error("cached version {version_id} was not fetched from AMO; decide on it in its queue")]
    NotFetched {
        /// The cache's version id.
        version_id: i64,
    },
    /// The decision breaks a rule; nothing was signed or stored.
    #[error("{}", .0.message)]
    Invalid(FieldProblem),
}

/// What the app shows about its server and account. Never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ServerStatus {
    /// The remembered server URL.
    pub server: Option<String>,
    /// The API key stored for it (the public half; shown so the reviewer knows who they are).
    pub api_key: Option<String>,
    /// The signing key's id (its RFC 7638 thumbprint), the fingerprint the server registered.
    pub kid: Option<String>,
    /// When the last sync finished, `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    pub last_sync: Option<String>,
}

/// What one sync did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SyncReport {
    /// Whether the server answered; when it did not, nothing was pushed or pulled.
    pub online: bool,
    /// What the outbox push did (its `waiting` also counts when offline).
    pub pushed: PushSummary,
    /// What the pull did, when the server answered.
    pub synced: Option<SyncSummary>,
    /// When the sync finished (only set when it ran).
    pub finished_at: Option<String>,
}

/// What recording a decision did.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct DecideReport {
    /// The decision as it stands in the outbox after the push attempt.
    pub entry: OutboxEntry,
    /// Whether it was sent and the server answered (false: it waits for the next sync).
    pub online: bool,
}

/// Where a login keeps the reviewer's secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CredentialHome {
    /// The OS keyring, where every login keeps them.
    Keyring,
    /// This process's memory only, because the keyring could not be used: gone when the app
    /// quits, and never written to disk.
    Session {
        /// Why the keyring could not be used.
        why: String,
    },
}

/// What a login made when the app starts did.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct LaunchLogin {
    /// The login itself.
    pub outcome: LoginOutcome,
    /// Where the secrets are kept.
    pub kept_in: CredentialHome,
}

/// Logs in to `server` and remembers it, keeping the secrets in `keyring`. When the keyring
/// cannot be used at all (none running, or locked), logs in again keeping them in `session`, a
/// store that lives in memory only, and says why; any other failure (the server refused, is
/// away) is returned as it is. For a launch that was handed credentials, such as the demo's: a
/// login typed by the reviewer never falls back.
pub async fn login_keyring_or_session(
    keyring: &dyn CredentialStore,
    session: &dyn CredentialStore,
    data_dir: &Path,
    server: &str,
    api_key: &str,
    api_secret: &str,
) -> Result<LaunchLogin, FlowError> {
    let login = match credentials::login(keyring, server, api_key, api_secret).await {
        Ok(outcome) => LaunchLogin {
            outcome,
            kept_in: CredentialHome::Keyring,
        },
        Err(e) if e.is_keyring_unavailable() => {
            tracing::warn!(error = %e, "no usable OS keyring: credentials kept for this session only");
            LaunchLogin {
                outcome: credentials::login(session, server, api_key, api_secret).await?,
                kept_in: CredentialHome::Session { why: e.to_string() },
            }
        }
        Err(e) => return Err(e.into()),
    };
    // The server as the login spelt it, so the keyring account and the remembered server agree.
    sync::remember_server(data_dir, &login.outcome.server)?;
    Ok(login)
}

/// The remembered server, or [`FlowError::NoServer`].
pub fn server(data_dir: &Path) -> Result<String, FlowError> {
    sync::remembered_server(data_dir)?.ok_or(FlowError::NoServer)
}

/// The words for the remembered server's codes: what it served at the last sync, over AMO's
/// names (works offline; AMO's names alone before any sync).
pub fn vocabulary(data_dir: &Path) -> Result<Vocabulary, FlowError> {
    let server = sync::remembered_server(data_dir)?;
    Ok(sync::vocabulary(
        &Store::open(data_dir)?,
        server.as_deref(),
    )?)
}

/// The server, the account stored for it and the last sync time.
pub fn server_status(
    store: &dyn CredentialStore,
    data_dir: &Path,
) -> Result<ServerStatus, FlowError> {
    let Some(server) = sync::remembered_server(data_dir)? else {
        return Ok(ServerStatus {
            server: None,
            api_key: None,
            kid: None,
            last_sync: None,
        });
    };
    let api_key = store
        .get(&server, Secret::ApiKey)?
        .map(|k| k.as_str().to_owned());
    let kid = match store.get(&server, Secret::SigningKey)? {
        Some(_) => Some(load_signing_key(store, &server)?.public_key().kid()),
        None => None,
    };
    Ok(ServerStatus {
        last_sync: last_sync(data_dir)?,
        server: Some(server),
        api_key,
        kid,
    })
}

/// When the last sync finished, if one did.
pub fn last_sync(data_dir: &Path) -> Result<Option<String>, FlowError> {
    Ok(Store::open(data_dir)?.setting(LAST_SYNC_KEY)?)
}

/// Whether `server` answers HTTP at all (any status counts: a 401 still proves it is there).
pub async fn is_reachable(server: &str) -> bool {
    let Ok(client) = reqwest::Client::builder().timeout(PROBE_TIMEOUT).build() else {
        return false;
    };
    let Ok(server) = vetter_protocol::routes::normalize_server(server) else {
        return false;
    };
    let url = format!("{server}{}", vetter_protocol::routes::QUEUES);
    client.get(url).send().await.is_ok()
}

/// Pushes the outbox, then pulls queues, metadata and XPIs, reporting the pull's progress.
/// With the server unreachable nothing is attempted and the report says offline.
pub async fn sync_round(
    store: &dyn CredentialStore,
    data_dir: &Path,
    progress: &(dyn Fn(SyncProgress) + Send + Sync),
) -> Result<SyncReport, FlowError> {
    let server = server(data_dir)?;
    let credentials = load_credentials(store, &server)?;
    let outbox = Outbox::open(data_dir)?;
    if !is_reachable(&server).await {
        return Ok(SyncReport {
            online: false,
            pushed: PushSummary {
                waiting: outbox.waiting(&server)?,
                ..PushSummary::default()
            },
            synced: None,
            finished_at: None,
        });
    }
    let pushed = outbox.push(&server, &credentials).await?;
    let options = SyncOptions::new(&server, credentials, data_dir);
    let synced = sync::sync(&options, progress).await?;
    let finished_at = rfc3339_millis(vetter_decision::unix_millis_now());
    Store::open(data_dir)?.set_setting(LAST_SYNC_KEY, &finished_at)?;
    Ok(SyncReport {
        online: true,
        pushed,
        synced: Some(synced),
        finished_at: Some(finished_at),
    })
}

/// Says the reviewer has add-on `addon_id`'s review open on the remembered server, and
/// answers who else has; a server away or without presence gives nobody.
pub async fn touch_presence(
    store: &dyn CredentialStore,
    data_dir: &Path,
    addon_id: i64,
) -> Result<Vec<vetter_protocol::vetter::Viewer>, FlowError> {
    let server = server(data_dir)?;
    let credentials = load_credentials(store, &server)?;
    Ok(
        match crate::presence::touch(&server, &credentials, addon_id).await {
            Ok(p) => p.others,
            Err(e) => {
                tracing::debug!(error = %e, "no presence");
                Vec::new()
            }
        },
    )
}

/// Says the reviewer closed add-on `addon_id`'s review (best effort: it expires anyway).
pub async fn leave_presence(
    store: &dyn CredentialStore,
    data_dir: &Path,
    addon_id: i64,
) -> Result<(), FlowError> {
    let server = server(data_dir)?;
    let credentials = load_credentials(store, &server)?;
    if let Err(e) = crate::presence::leave(&server, &credentials, addon_id).await {
        tracing::debug!(error = %e, "presence not withdrawn; it expires by itself");
    }
    Ok(())
}

/// Every add-on whose review other reviewers have open on the remembered server; nobody when
/// it is away or offers no presence.
pub async fn presence(
    store: &dyn CredentialStore,
    data_dir: &Path,
) -> Result<Vec<vetter_protocol::vetter::Presence>, FlowError> {
    let server = server(data_dir)?;
    let credentials = load_credentials(store, &server)?;
    Ok(crate::presence::others(&server, &credentials)
        .await
        .unwrap_or_else(|e| {
            tracing::debug!(error = %e, "no presence");
            Vec::new()
        }))
}

/// Sends the waiting decisions now; the summary says why it stopped if the server is away.
pub async fn push_outbox(
    store: &dyn CredentialStore,
    data_dir: &Path,
) -> Result<PushSummary, FlowError> {
    let server = server(data_dir)?;
    let credentials = load_credentials(store, &server)?;
    Ok(Outbox::open(data_dir)?.push(&server, &credentials).await?)
}

/// Decides `action` on the version under review the reviewer opened: the package cached as
/// `cached_version_id`, as server version `remote_version_id` (the queue entry's; needed when
/// the same file is several server versions, see [`Outbox::target_of_cached`]). Validates (a
/// broken rule comes back as [`FlowError::Invalid`] naming the field), signs with the
/// keyring's key and records it in the outbox, then, when `send` is set and the server answers,
/// pushes it (unset: it waits for the next sync, like `vetter decide --offline`).
pub async fn decide(
    store: &dyn CredentialStore,
    data_dir: &Path,
    cached_version_id: i64,
    remote_version_id: Option<i64>,
    action: Action,
    input: DecisionInput,
    send: bool,
) -> Result<DecideReport, FlowError> {
    let server = server(data_dir)?;
    let outbox = Outbox::open(data_dir)?;
    let target = outbox.target_of_cached(cached_version_id, remote_version_id)?;
    let credentials = load_credentials(store, &server)?;
    let decision = Decision::new(
        credentials.key(),
        target.addon,
        target.version,
        action,
        input,
    )
    .map_err(|e| FlowError::Invalid(e.problem()))?;
    let key = load_signing_key(store, &server)?;
    outbox.record(&server, &decision, &key)?;
    let online = send && is_reachable(&server).await;
    if online {
        outbox.push(&server, &credentials).await?;
    }
    Ok(DecideReport {
        entry: outbox.entry(&decision.id)?,
        online,
    })
}

/// Decides `action` on a version fetched from a plain AMO (cached as `cached_version_id`; when
/// `amo_version_id` is given it must be that package's AMO version): validates, signs with the
/// keyring's key for that AMO and keeps it locally with the comment for AMO's review page. AMO has no API for decisions, so nothing is sent.
pub fn decide_locally(
    store: &dyn CredentialStore,
    data_dir: &Path,
    cached_version_id: i64,
    amo_version_id: Option<i64>,
    action: Action,
    input: DecisionInput,
) -> Result<crate::kept::KeptDecision, FlowError> {
    let outbox = Outbox::open(data_dir)?;
    let target = outbox
        .amo_target_as(cached_version_id, amo_version_id)?
        .ok_or(FlowError::NotFetched {
            version_id: cached_version_id,
        })?;
    let credentials = load_credentials(store, &target.amo)?;
    let decision = Decision::new(
        credentials.key(),
        target.addon.clone(),
        target.version.clone(),
        action,
        input,
    )
    .map_err(|e| FlowError::Invalid(e.problem()))?;
    let key = load_signing_key(store, &target.amo)?;
    Ok(outbox.keep_local(&target, &decision, &key)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::MemoryStore;

    #[test]
    fn status_without_a_server_names_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let status = server_status(&MemoryStore::default(), dir.path()).unwrap();
        assert_eq!(status.server, None);
        assert_eq!(status.kid, None);
    }

    #[test]
    fn status_shows_the_key_fingerprint_and_never_the_secret() {
        let dir = tempfile::tempdir().unwrap();
        let store = MemoryStore::default();
        let server = "http://127.0.0.1:9";
        sync::remember_server(dir.path(), server).unwrap();
        store.set(server, Secret::ApiKey, "user:1:1").unwrap();
        store
            .set(server, Secret::ApiSecret, "s3cret-value")
            .unwrap();
        let (key, _) = crate::credentials::ensure_signing_key(&store, server).unwrap();
        let status = server_status(&store, dir.path()).unwrap();
        assert_eq!(status.api_key.as_deref(), Some("user:1:1"));
        assert_eq!(status.kid, Some(key.public_key().kid()));
        let json = serde_json::to_string(&status).unwrap();
        assert!(!json.contains("s3cret-value"), "{json}");
        assert!(!json.contains(key.to_secret().as_str()), "{json}");
    }

    #[tokio::test]
    async fn sync_with_the_server_away_reports_offline_and_keeps_decisions_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let store = MemoryStore::default();
        // A port nothing listens on: bind one, note it, close it.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let server = format!("http://127.0.0.1:{port}");
        sync::remember_server(dir.path(), &server).unwrap();
        store.set(&server, Secret::ApiKey, "user:1:1").unwrap();
        store.set(&server, Secret::ApiSecret, "secret").unwrap();
        let report = sync_round(&store, dir.path(), &|_| {}).await.unwrap();
        assert!(!report.online);
        assert_eq!(report.synced, None);
        assert_eq!(last_sync(dir.path()).unwrap(), None);
    }

    #[tokio::test]
    async fn decision_on_a_version_nobody_synced_is_refused_before_signing() {
        let dir = tempfile::tempdir().unwrap();
        let store = MemoryStore::default();
        sync::remember_server(dir.path(), "http://127.0.0.1:9").unwrap();
        let err = decide(
            &store,
            dir.path(),
            1,
            None,
            Action::Public,
            DecisionInput::default(),
            true,
        )
        .await
        .unwrap_err();
        assert!(
            matches!(err, FlowError::Outbox(OutboxError::NotUnderReview { .. })),
            "{err}"
        );
        assert!(
            Outbox::open(dir.path())
                .unwrap()
                .entries(None)
                .unwrap()
                .is_empty()
        );
    }
}
