//! Syncing review queues and add-on versions from a review server into the local cache.
//!
//! Reviewers work offline on what the last sync brought, so a sync must be cheap when nothing
//! changed and safe to stop at any moment. It runs in three phases, each made of small steps
//! that commit on their own:
//!
//! 1. **Queues**: the queue list carries each queue's cursor; a queue whose cursor equals the
//!    stored one costs nothing more. Otherwise its changes since the stored cursor are applied
//!    page by page, each page and the new cursor in one transaction. Changed entries mark their
//!    add-on stale.
//! 2. **Metadata**: for each stale add-on, every version (`all_with_deleted`) and its signals
//!    are fetched (bounded concurrency) and stored in one transaction that clears the stale mark.
//!    The add-on's id, guid, slug and name come with its queue entry, so the detail endpoint is
//!    not asked (a third of the requests of a first sync).
//! 3. **Downloads**: for each queue entry, the version under review and the last approved one
//!    are downloaded unless cached. Bytes go to `partial/<file id>-<sha256>.part` in the data
//!    folder, so an interrupted download resumes with `Range` (from the same file, even in a later
//!    sync); the complete file must hash to the server's `sha256:` value and pass the archive
//!    rules of the cache's import, otherwise the version is quarantined with the reason and
//!    nothing of it is stored. Bytes that did not match the hash may have been tampered with on
//!    the way, so later syncs download such a version again, after a doubling delay and at most
//!    [`QuarantineRetry::max_downloads`] times in all; bytes that matched the hash but broke the
//!    archive rules are what the server really serves, and are not retried.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use futures_util::StreamExt;

use serde::Serialize;
use serde_json::Value;
use ts_rs::TS;

use vetter_protocol::amo;
use vetter_protocol::vetter::{EntryAddon, QueueList, QueuePage};
use vetter_protocol::vocabulary::Vocabulary;
pub use vetter_protocol::{Client, Counters, RetryPolicy};
use vetter_protocol::{Downloaded, ProtocolError};

use vetter_archive::Limits;
use vetter_protocol::auth::{AuthError, Credentials};
pub use vetter_store::queues::{LocalEntry, LocalFileState, LocalQueue};
use vetter_store::queues::{
    NeededDownload, Quarantine, QueueChange, QueuedEntry, RemoteAddon, RemoteVersion,
};
use vetter_store::{Store, StoreError};

/// Largest XPI downloaded (the archive reader's total limit is 250 MiB uncompressed).
pub const MAX_XPI_BYTES: u64 = 256 * 1024 * 1024;
/// Longest text field kept from a server response; longer ones are refused.
const MAX_FIELD: usize = 4096;

/// The setting that keeps the last vocabulary synced, with the server it came from.
pub const VOCABULARY_KEY: &str = "vocabulary";

/// The vocabulary kept from the last sync, with the server and tag it came with, when it is
/// still whole: the cache is hostile input too, and a damaged one counts as none (and is fetched
/// again by the next sync).
fn kept_vocabulary(store: &Store) -> Result<Option<(String, String, Vocabulary)>, StoreError> {
    let Some(text) = store.setting(VOCABULARY_KEY)? else {
        return Ok(None);
    };
    Ok(serde_json::from_str::<Value>(&text).ok().and_then(|v| {
        let server = v.get("server")?.as_str()?.to_owned();
        let tag = v.get("tag")?.as_str()?.to_owned();
        let words = serde_json::from_value::<Vocabulary>(v.get("vocabulary")?.clone()).ok()?;
        words.check().ok()?;
        Some((server, tag, words))
    }))
}

/// The tag of the vocabulary kept for `server`, if one is kept for it.
fn kept_vocabulary_tag(store: &Store, server: &str) -> Result<Option<String>, StoreError> {
    Ok(kept_vocabulary(store)?
        .filter(|(from, _, _)| from == server)
        .map(|(_, tag, _)| tag))
}

/// The words for the current server's codes: the vocabulary it served at the last sync (if that
/// sync was with `server`), over AMO's names, which serve alone before any sync.
pub fn vocabulary(store: &Store, server: Option<&str>) -> Result<Vocabulary, StoreError> {
    let defaults = Vocabulary::amo_defaults();
    Ok(match kept_vocabulary(store)? {
        Some((from, _, words)) if Some(from.as_str()) == server => words.over(&defaults),
        _ => defaults,
    })
}
/// The actions offered on an entry of `queue`, in the server's order: the list the current
/// server's vocabulary gives for that queue (AMO's for a queue it does not list), keeping those
/// this client can sign; every action for a queue no vocabulary names.
pub fn offered_actions(
    store: &Store,
    queue: &str,
) -> Result<Vec<vetter_decision::Action>, StoreError> {
    use vetter_decision::Action;
    let server = store.setting(SERVER_SETTING)?;
    let words = vocabulary(store, server.as_deref())?;
    Ok(
        match words.queue_actions(&Vocabulary::amo_defaults(), queue) {
            Some(names) => {
                let known: Vec<Action> =
                    names.iter().filter_map(|n| Action::from_name(n)).collect();
                if known.len() < names.len() {
                    tracing::warn!(queue, "the server offers actions this client cannot sign");
                }
                known
            }
            None => Action::ALL.to_vec(),
        },
    )
}

/// Pages of versions followed per add-on before giving up (50 per page: 10,000 versions).
const MAX_VERSION_PAGES: usize = 200;
/// Queue pages followed per queue in one sync.
const MAX_QUEUE_PAGES: usize = 10_000;

/// Why a sync or a local read failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The cache could not be opened or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A request failed: refused, unanswered, or answered against the protocol.
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    /// A partial-download file could not be written.
    #[error("cannot write {path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        error: std::io::Error,
    },
    /// Credentials are missing.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The server is a plain AMO: it has add-ons and versions but no review queues.
    #[error(
        "{server} has no review queues to sync (it offers no Vetter review routes, as a plain AMO does not); \
         fetch add-ons from it with `vetter fetch ADDON --amo {server}`"
    )]
    NotAReviewServer {
        /// The server.
        server: String,
    },
    /// No server was given and none is remembered.
    #[error(
        "no review server: pass --server URL (or set VETTER_SERVER), or run `vetter login --server URL`"
    )]
    NoServer,
}

impl SyncError {
    /// A response that breaks the protocol, at `url`.
    fn invalid(url: impl Into<String>, reason: impl Into<String>) -> SyncError {
        SyncError::Protocol(ProtocolError::InvalidResponse {
            url: url.into(),
            reason: reason.into(),
        })
    }
}

/// The phase a sync is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SyncPhase {
    /// Pulling queue changes.
    Queues,
    /// Fetching add-on, version and signal metadata.
    Metadata,
    /// Downloading and importing XPIs.
    Downloads,
    /// Finished.
    Done,
}

/// One progress event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SyncProgress {
    /// The phase.
    pub phase: SyncPhase,
    /// Items of the phase done.
    #[ts(type = "number")]
    pub done: u64,
    /// Items of the phase in total.
    #[ts(type = "number")]
    pub total: u64,
    /// Bytes received so far in this sync.
    #[ts(type = "number")]
    pub bytes: u64,
}

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SyncSummary {
    /// Queues on the server.
    #[ts(type = "number")]
    pub queues: u64,
    /// Queue entries added or changed.
    #[ts(type = "number")]
    pub entries_changed: u64,
    /// Queue entries removed.
    #[ts(type = "number")]
    pub entries_removed: u64,
    /// Add-ons whose metadata was refreshed.
    #[ts(type = "number")]
    pub addons_refreshed: u64,
    /// XPIs downloaded and imported.
    #[ts(type = "number")]
    pub downloaded: u64,
    /// Versions quarantined in this sync.
    #[ts(type = "number")]
    pub quarantined: u64,
    /// HTTP requests sent (retries included).
    #[ts(type = "number")]
    pub requests: u64,
    /// Bytes received (bodies and headers).
    #[ts(type = "number")]
    pub bytes_received: u64,
    /// Attempts retried after a transient failure.
    #[ts(type = "number")]
    pub retries: u64,
    /// Milliseconds spent on queues and metadata.
    #[ts(type = "number")]
    pub metadata_ms: u64,
    /// Milliseconds spent downloading and importing.
    #[ts(type = "number")]
    pub downloads_ms: u64,
}

/// How to sync.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Server base URL.
    pub server: String,
    /// API credentials.
    pub credentials: Credentials,
    /// The cache's data folder.
    pub data_dir: PathBuf,
    /// Concurrent metadata fetches and downloads.
    pub concurrency: usize,
    /// Retry policy.
    pub retry: RetryPolicy,
    /// Longest wait for a read on a connection.
    pub read_timeout: Duration,
    /// Skip the download phase (metadata only).
    pub metadata_only: bool,
    /// When a download refused for a hash mismatch is tried again.
    pub quarantine_retry: QuarantineRetry,
}

/// Retries of downloads whose bytes did not hash to the advertised value. Each refused download
/// is kept on record in the quarantine; a success clears only the pending retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantineRetry {
    /// Downloads of one version (with one advertised hash) that may end refused, the first
    /// included; after that it stays quarantined until the server advertises another hash.
    pub max_downloads: u32,
    /// Delay before the second download; doubled after each refusal.
    pub base_delay: Duration,
    /// Longest delay between two downloads.
    pub max_delay: Duration,
}

impl Default for QuarantineRetry {
    /// Four downloads, 10 minutes apart and then 20 and 40: long enough for a passing fault to
    /// clear, few enough that a version persistently served with a wrong hash stops costing.
    fn default() -> Self {
        QuarantineRetry {
            max_downloads: 4,
            base_delay: Duration::from_secs(600),
            max_delay: Duration::from_secs(24 * 3600),
        }
    }
}

impl QuarantineRetry {
    /// Seconds to wait after the `refusals`-th refused download before the next one, or `None`
    /// when that was the last download allowed.
    fn delay_after(&self, refusals: u32) -> Option<u64> {
        if refusals >= self.max_downloads {
            return None;
        }
        let factor = 1u64
            .checked_shl(refusals.saturating_sub(1))
            .unwrap_or(u64::MAX);
        Some(
            self.base_delay
                .as_secs()
                .saturating_mul(factor)
                .min(self.max_delay.as_secs()),
        )
    }
}

impl SyncOptions {
    /// Defaults: 4 concurrent transfers, 5 attempts, 30 s read timeout, the default
    /// [`QuarantineRetry`].
    pub fn new(server: &str, credentials: Credentials, data_dir: &Path) -> SyncOptions {
        SyncOptions {
            server: server.to_owned(),
            credentials,
            data_dir: data_dir.to_owned(),
            concurrency: 4,
            retry: RetryPolicy::default(),
            read_timeout: Duration::from_secs(30),
            metadata_only: false,
            quarantine_retry: QuarantineRetry::default(),
        }
    }
}

/// The reviewer the credentials belong to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct RemoteProfile {
    /// User id.
    #[ts(type = "number")]
    pub id: i64,
    /// Display name.
    pub name: String,
    /// Username.
    pub username: String,
}

/// Checks credentials against `GET /api/v5/accounts/profile/`.
pub async fn check_credentials(
    server: &str,
    credentials: &Credentials,
) -> Result<RemoteProfile, SyncError> {
    let client = Client::new(
        server,
        credentials.clone(),
        RetryPolicy::default(),
        Duration::from_secs(30),
    )?;
    let url = client.url("/api/v5/accounts/profile/")?;
    let body = client.get_json(&url).await?;
    let bad = |reason: &str| SyncError::invalid(url.to_string(), reason.to_owned());
    Ok(RemoteProfile {
        id: body["id"]
            .as_i64()
            .ok_or_else(|| bad("profile has no id"))?,
        name: text(&body["name"]).unwrap_or_default(),
        username: text(&body["username"]).unwrap_or_default(),
    })
}

/// Remembers the server URL (never credentials) in the cache.
pub fn remember_server(data_dir: &Path, url: &str) -> Result<(), SyncError> {
    Ok(Store::open(data_dir)?.set_setting(SERVER_SETTING, url)?)
}

/// The server remembered by [`remember_server`].
pub fn remembered_server(data_dir: &Path) -> Result<Option<String>, SyncError> {
    Ok(Store::open(data_dir)?.setting(SERVER_SETTING)?)
}

/// The cache setting that holds the remembered server URL.
const SERVER_SETTING: &str = "server";

/// A string field of at most [`MAX_FIELD`] characters.
fn text(v: &Value) -> Option<String> {
    v.as_str().and_then(capped)
}

/// A version as the client keeps it.
/// A string of at most [`MAX_FIELD`] bytes, or `None`.
fn capped(text: &str) -> Option<String> {
    (text.len() <= MAX_FIELD).then(|| text.to_owned())
}

/// Up to `most` strings of at most [`MAX_FIELD`] bytes each, as the JSON list the cache keeps.
fn capped_list(items: &[String], most: usize) -> String {
    let kept: Vec<&String> = items
        .iter()
        .filter(|i| i.len() <= MAX_FIELD)
        .take(most)
        .collect();
    serde_json::to_string(&kept).unwrap_or_else(|_| "[]".into())
}

fn parse_version(v: &amo::Version, url: &str) -> Result<RemoteVersion, SyncError> {
    let bad = |reason: String| SyncError::invalid(url, reason);
    let id = v.id;
    let file = v
        .file
        .as_ref()
        .ok_or_else(|| bad(format!("version {id} has no file")))?;
    let sha256 = file
        .sha256()
        .map_err(|reason| bad(format!("version {id}: {reason}")))?;
    let size = file
        .size
        .filter(|s| *s <= MAX_XPI_BYTES)
        .and_then(|s| i64::try_from(s).ok())
        .ok_or_else(|| {
            bad(format!(
                "version {id}: file size missing or over {MAX_XPI_BYTES}"
            ))
        })?;
    Ok(RemoteVersion {
        id,
        version: capped(&v.version)
            .ok_or_else(|| bad(format!("version {id} has no version string")))?,
        file_id: file.id,
        status: file
            .status
            .as_deref()
            .and_then(capped)
            .unwrap_or_else(|| "unknown".into()),
        sha256,
        size,
        url: file
            .url
            .as_deref()
            .and_then(capped)
            .ok_or_else(|| bad(format!("version {id}: file has no url")))?,
        permissions: capped_list(&file.permissions, 1000),
        host_permissions: capped_list(&file.host_permissions, 1000),
    })
}

/// Runs one sync. `progress` receives events from this task (call it cheaply).
pub async fn sync(
    options: &SyncOptions,
    progress: &(dyn Fn(SyncProgress) + Send + Sync),
) -> Result<SyncSummary, SyncError> {
    let client = Client::new(
        &options.server,
        options.credentials.clone(),
        options.retry.clone(),
        options.read_timeout,
    )?;
    let mut store = Store::open(&options.data_dir)?;
    let mut summary = SyncSummary::default();
    let started = Instant::now();
    let bytes = |c: &Client| c.counters.bytes.load(Ordering::Relaxed);

    // Phase 1: queues.
    let list_url = client.url(vetter_protocol::routes::QUEUES)?;
    let list: QueueList = match client.get(&list_url).await {
        Ok(list) => list,
        // No queue route: a plain AMO says so by having no capability document either.
        Err(e) if e.status() == Some(404) => {
            if crate::credentials::discover(&client).await?.is_none() {
                return Err(SyncError::NotAReviewServer {
                    server: client.origin(),
                });
            }
            return Err(e.into());
        }
        Err(e) => return Err(e.into()),
    };
    let queues = &list.results;
    summary.queues = queues.len() as u64;
    for (n, q) in queues.iter().enumerate() {
        progress(SyncProgress {
            phase: SyncPhase::Queues,
            done: n as u64,
            total: queues.len() as u64,
            bytes: bytes(&client),
        });
        let name = Some(q.name.clone())
            .filter(|n| {
                !n.is_empty()
                    && n.len() <= 64
                    && n.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            })
            .ok_or_else(|| {
                SyncError::invalid(
                    list_url.to_string(),
                    "queue name must be 1-64 characters of a-z, 0-9, _ and -",
                )
            })?;
        let server_cursor = capped(&q.cursor).unwrap_or_default();
        let mut cursor = store.queue_cursor(&name)?.unwrap_or_default();
        if !server_cursor.is_empty() && cursor == server_cursor {
            continue;
        }
        for _ in 0..MAX_QUEUE_PAGES {
            let mut url = client.url(&vetter_protocol::routes::queue(&name))?;
            if !cursor.is_empty() {
                url.query_pairs_mut().append_pair("since", &cursor);
            }
            let page: QueuePage = client.get(&url).await?;
            let (changed, removed, next_cursor) =
                apply_queue_page(&mut store, &name, &page, url.as_str())?;
            summary.entries_changed += changed;
            summary.entries_removed += removed;
            let advanced = next_cursor != cursor;
            cursor = next_cursor;
            if page.next.is_none() || !advanced {
                break;
            }
        }
    }

    // The server's words for its codes, fetched when the queue list's tag says they changed
    // and kept for offline use (a server without a tag has none: AMO's names serve).
    if let Some(tag) = list.vocabulary.as_deref().and_then(capped)
        && kept_vocabulary_tag(&store, &options.server)?.as_deref() != Some(tag.as_str())
    {
        let words_url = client.url(vetter_protocol::routes::VOCABULARY)?;
        let words: Vocabulary = client.get(&words_url).await?;
        words
            .check()
            .map_err(|e| SyncError::invalid(words_url.to_string(), e.to_string()))?;
        let kept = serde_json::json!({ "server": options.server, "tag": tag, "vocabulary": words });
        store.set_setting(VOCABULARY_KEY, &kept.to_string())?;
    }

    // Phase 2: metadata of stale add-ons.
    let stale = store.stale_remote_addons()?;
    let total = stale.len() as u64;
    let mut fetches = futures_util::stream::iter(stale.into_iter().map(|id| {
        let client = client.clone();
        async move { fetch_metadata(&client, id).await.map(|m| (id, m)) }
    }))
    .buffer_unordered(options.concurrency.max(1));
    let mut done = 0;
    while let Some(result) = fetches.next().await {
        let (id, meta) = result?;
        store.apply_addon_metadata(id, &meta.versions, &meta.signals.to_string())?;
        done += 1;
        summary.addons_refreshed += 1;
        progress(SyncProgress {
            phase: SyncPhase::Metadata,
            done,
            total,
            bytes: bytes(&client),
        });
    }
    drop(fetches);
    summary.metadata_ms = started.elapsed().as_millis() as u64;

    // Phase 3: downloads.
    let download_start = Instant::now();
    if !options.metadata_only {
        let needed = store.needed_downloads(vetter_protocol::auth::unix_now())?;
        let total = needed.len() as u64;
        let partial_dir = options.data_dir.join("partial");
        tokio::fs::create_dir_all(&partial_dir)
            .await
            .map_err(|error| SyncError::Io {
                path: partial_dir.clone(),
                error,
            })?;
        let mut downloads = futures_util::stream::iter(needed.into_iter().map(|n| {
            let client = client.clone();
            let dir = partial_dir.clone();
            async move {
                let outcome = download(&client, &n, &dir).await;
                (n, outcome)
            }
        }))
        .buffer_unordered(options.concurrency.max(1));
        let mut done = 0;
        while let Some((n, outcome)) = downloads.next().await {
            match outcome? {
                Downloaded::Bytes(data, part) => {
                    let name = format!("{}-{}.xpi", n.slug, n.version);
                    match store.import_archive(&name, &data, &Limits::default(), &mut |_| {}) {
                        Ok(imported) => {
                            store.link_cached(n.id, imported.version_id)?;
                            summary.downloaded += 1;
                        }
                        Err(
                            e @ (StoreError::Sqlite(_)
                            | StoreError::Migration(_)
                            | StoreError::CreateDir { .. }),
                        ) => {
                            return Err(e.into());
                        }
                        Err(refusal) => {
                            // The bytes are the advertised ones: downloading again would bring
                            // the same refusal.
                            quarantine(&store, &n, Some(&n.sha256), &refusal.to_string(), None)?;
                            summary.quarantined += 1;
                        }
                    }
                    let _ = tokio::fs::remove_file(&part).await;
                }
                Downloaded::Mismatch { actual, reason } => {
                    let retry = &options.quarantine_retry;
                    quarantine(&store, &n, actual.as_deref(), &reason, Some(retry))?;
                    summary.quarantined += 1;
                }
            }
            done += 1;
            progress(SyncProgress {
                phase: SyncPhase::Downloads,
                done,
                total,
                bytes: bytes(&client),
            });
        }
    }
    summary.downloads_ms = download_start.elapsed().as_millis() as u64;
    summary.requests = client.counters.requests.load(Ordering::Relaxed);
    summary.bytes_received = bytes(&client);
    summary.retries = client.counters.retries.load(Ordering::Relaxed);
    progress(SyncProgress {
        phase: SyncPhase::Done,
        done: 1,
        total: 1,
        bytes: summary.bytes_received,
    });
    Ok(summary)
}

/// Checks one queue page and applies it with its cursor in one transaction; returns (changed,
/// removed, cursor).
fn apply_queue_page(
    store: &mut Store,
    queue: &str,
    page: &QueuePage,
    url: &str,
) -> Result<(u64, u64, String), SyncError> {
    let bad = |reason: String| SyncError::invalid(url, reason);
    let cursor = Some(page.cursor.clone())
        .filter(|c| !c.is_empty() && c.len() <= 200)
        .ok_or_else(|| bad("no cursor".into()))?;
    let mut changes = Vec::with_capacity(page.results.len());
    for e in &page.results {
        if e.removed {
            changes.push(QueueChange::Removed { id: e.id });
            continue;
        }
        let addon = e
            .addon
            .as_ref()
            .ok_or_else(|| bad(format!("entry {} has no add-on", e.id)))?;
        let version = parse_version(
            e.version
                .as_ref()
                .ok_or_else(|| bad(format!("entry {} has no version", e.id)))?,
            url,
        )?;
        changes.push(QueueChange::Upsert(Box::new(QueuedEntry {
            id: e.id,
            queue: e
                .queue
                .as_deref()
                .and_then(capped)
                .unwrap_or_else(|| queue.to_owned()),
            addon: remote_addon(addon),
            version,
            due_date: e.due_date.as_deref().and_then(capped).unwrap_or_default(),
            reasons: capped_list(&e.reasons, 100),
            flags: capped_list(&e.flags, 100),
            weight: e.weight,
        })));
    }
    let (changed, removed) = store.apply_queue_page(queue, &changes, &cursor)?;
    Ok((changed, removed, cursor))
}

/// An add-on of a queue entry, its texts capped.
fn remote_addon(a: &EntryAddon) -> RemoteAddon {
    RemoteAddon {
        id: a.id,
        guid: capped(&a.guid).unwrap_or_default(),
        slug: capped(&a.slug).unwrap_or_default(),
        name: a.name.best("en-US").and_then(capped).unwrap_or_default(),
    }
}

struct Metadata {
    versions: Vec<RemoteVersion>,
    signals: Value,
}

async fn fetch_metadata(client: &Client, id: i64) -> Result<Metadata, SyncError> {
    let mut versions = Vec::new();
    for page in 1..=MAX_VERSION_PAGES {
        let mut url = client.url(&vetter_protocol::routes::versions(id))?;
        url.query_pairs_mut()
            .append_pair("filter", "all_with_deleted")
            .append_pair("page_size", "50")
            .append_pair("page", &page.to_string());
        let body: amo::Page<amo::Version> = client.get(&url).await?;
        for v in &body.results {
            versions.push(parse_version(v, url.as_str())?);
        }
        if body.next.is_none() || body.results.is_empty() {
            break;
        }
    }
    let signals_url = client.url(&vetter_protocol::routes::signals(id))?;
    let signals = client.get_json(&signals_url).await?;
    Ok(Metadata { versions, signals })
}

/// Records a refused download of `n`. With `retry`, the refusal may be a passing fault: the
/// download is counted against the same expected hash's earlier refusals and scheduled again
/// while the policy allows; without, it is final.
fn quarantine(
    store: &Store,
    n: &NeededDownload,
    actual: Option<&str>,
    reason: &str,
    retry: Option<&QuarantineRetry>,
) -> Result<(), SyncError> {
    let now = vetter_protocol::auth::unix_now();
    let attempts = store
        .quarantine_attempts(n.id, &n.sha256)?
        .saturating_add(1);
    let retry_at = retry
        .and_then(|policy| policy.delay_after(attempts))
        .map(|delay| now.saturating_add(i64::try_from(delay).unwrap_or(i64::MAX)));
    store.quarantine(&Quarantine {
        remote_version_id: n.id,
        expected_sha256: &n.sha256,
        actual_sha256: actual,
        reason,
        at: now,
        attempts,
        retry_at,
    })?;
    Ok(())
}

/// Downloads one XPI into its partial file, resuming from what is there. File URLs come from
/// the server's answers, so they must be on its own origin.
async fn download(
    client: &Client,
    n: &NeededDownload,
    dir: &Path,
) -> Result<Downloaded, SyncError> {
    let url = client.same_origin(&n.url)?;
    let part = dir.join(format!("{}-{}.part", n.file_id, n.sha256));
    Ok(client
        .download(&url, &part, n.size, &n.sha256, &|_| {})
        .await?)
}

/// Queues with cached entries.
pub fn local_queues(data_dir: &Path) -> Result<Vec<LocalQueue>, SyncError> {
    Ok(Store::open(data_dir)?.local_queues()?)
}

/// Cached entries of `queue` (all queues when `None`), soonest due first.
pub fn local_entries(data_dir: &Path, queue: Option<&str>) -> Result<Vec<LocalEntry>, SyncError> {
    Ok(Store::open(data_dir)?.local_entries(queue)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_version_with_a_non_sha256_hash() {
        let v = serde_json::json!({"id": 1, "version": "1.0", "file": {"id": 1, "hash": "md5:abc", "size": 3, "url": "http://x/"}});
        assert!(matches!(
            parse_version(&serde_json::from_value(v).unwrap(), "u"),
            Err(SyncError::Protocol(ProtocolError::InvalidResponse { .. }))
        ));
    }

    #[test]
    fn refuses_version_larger_than_any_xpi() {
        let v = serde_json::json!({"id": 1, "version": "1.0", "file": {"id": 1, "hash": format!("sha256:{}", "a".repeat(64)), "size": MAX_XPI_BYTES + 1, "url": "http://x/"}});
        assert!(matches!(
            parse_version(&serde_json::from_value(v).unwrap(), "u"),
            Err(SyncError::Protocol(ProtocolError::InvalidResponse { .. }))
        ));
    }

    fn version_7(sha256: &str) -> RemoteVersion {
        RemoteVersion {
            id: 7,
            version: "1.0".to_owned(),
            file_id: 70,
            status: "nominated".to_owned(),
            sha256: sha256.to_owned(),
            size: 3,
            url: "http://x/7".to_owned(),
            permissions: "[]".to_owned(),
            host_permissions: "[]".to_owned(),
        }
    }

    /// A cache with one add-on whose version 7 waits in a queue, not downloaded yet.
    fn cache_with_one_queued_version(dir: &Path) -> (Store, NeededDownload) {
        let mut store = Store::open(dir).unwrap();
        let sha = "ab".repeat(32);
        let entry = QueueChange::Upsert(Box::new(QueuedEntry {
            id: 1,
            queue: "extension".to_owned(),
            addon: RemoteAddon {
                id: 1,
                guid: "a@x".to_owned(),
                slug: "a".to_owned(),
                name: "A".to_owned(),
            },
            version: version_7(&sha),
            due_date: "2026-01-01".to_owned(),
            reasons: "[]".to_owned(),
            flags: "[]".to_owned(),
            weight: 0,
        }));
        store.apply_queue_page("extension", &[entry], "c1").unwrap();
        let needed = NeededDownload {
            id: 7,
            file_id: 70,
            slug: "a".to_owned(),
            version: "1.0".to_owned(),
            sha256: sha,
            size: 3,
            url: "http://x/7".to_owned(),
        };
        (store, needed)
    }

    fn due(store: &Store, now: i64) -> Vec<i64> {
        store
            .needed_downloads(now)
            .unwrap()
            .into_iter()
            .map(|n| n.id)
            .collect()
    }

    #[test]
    fn hash_mismatch_is_downloaded_again_after_a_doubling_delay_until_the_downloads_are_spent() {
        let dir = tempfile::tempdir().unwrap();
        let (store, n) = cache_with_one_queued_version(dir.path());
        let policy = QuarantineRetry {
            max_downloads: 3,
            base_delay: Duration::from_secs(100),
            max_delay: Duration::from_secs(150),
        };
        let start = vetter_protocol::auth::unix_now();
        assert_eq!(due(&store, start), vec![7]);
        quarantine(
            &store,
            &n,
            Some(&"cd".repeat(32)),
            "wrong hash",
            Some(&policy),
        )
        .unwrap();
        assert_eq!(
            due(&store, start),
            Vec::<i64>::new(),
            "retried before its delay"
        );
        assert_eq!(due(&store, start + 101), vec![7]);
        quarantine(&store, &n, None, "too long", Some(&policy)).unwrap();
        // The second delay doubles to 200 s, capped at 150 s.
        assert_eq!(due(&store, start + 140), Vec::<i64>::new());
        assert_eq!(due(&store, start + 160), vec![7]);
        quarantine(
            &store,
            &n,
            Some(&"cd".repeat(32)),
            "wrong hash",
            Some(&policy),
        )
        .unwrap();
        // Three refused downloads: it stays quarantined, with every refusal counted.
        assert_eq!(due(&store, start + 1_000_000), Vec::<i64>::new());
        assert_eq!(store.quarantine_attempts(7, &n.sha256).unwrap(), 3);
    }

    #[test]
    fn a_new_advertised_hash_starts_the_retries_afresh() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, mut n) = cache_with_one_queued_version(dir.path());
        let policy = QuarantineRetry {
            max_downloads: 1,
            ..QuarantineRetry::default()
        };
        quarantine(&store, &n, None, "wrong hash", Some(&policy)).unwrap();
        let now = vetter_protocol::auth::unix_now();
        assert_eq!(due(&store, now + 1_000_000), Vec::<i64>::new());
        n.sha256 = "ef".repeat(32);
        store
            .apply_addon_metadata(1, &[version_7(&n.sha256)], "[]")
            .unwrap();
        assert_eq!(
            due(&store, now),
            vec![7],
            "the server now serves other bytes"
        );
    }

    #[test]
    fn bytes_that_match_the_hash_but_break_the_archive_rules_are_not_downloaded_again() {
        let dir = tempfile::tempdir().unwrap();
        let (store, n) = cache_with_one_queued_version(dir.path());
        let sha = n.sha256.clone();
        quarantine(&store, &n, Some(&sha), "entry escapes the root", None).unwrap();
        assert_eq!(
            due(&store, vetter_protocol::auth::unix_now() + 1_000_000),
            Vec::<i64>::new()
        );
    }

    #[test]
    fn retry_delays_double_and_stop_at_the_last_download() {
        let policy = QuarantineRetry::default();
        assert_eq!(policy.delay_after(1), Some(600));
        assert_eq!(policy.delay_after(2), Some(1200));
        assert_eq!(policy.delay_after(3), Some(2400));
        assert_eq!(policy.delay_after(4), None);
        let huge = QuarantineRetry {
            max_downloads: u32::MAX,
            ..policy
        };
        assert_eq!(huge.delay_after(200), Some(24 * 3600), "no overflow");
    }

    #[test]
    fn remembers_the_server_url() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(remembered_server(dir.path()).unwrap(), None);
        remember_server(dir.path(), "http://127.0.0.1:1").unwrap();
        assert_eq!(
            remembered_server(dir.path()).unwrap().as_deref(),
            Some("http://127.0.0.1:1")
        );
    }
}
