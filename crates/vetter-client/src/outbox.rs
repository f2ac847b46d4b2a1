//! The outbox: signed decisions waiting for the server, surviving crashes and days offline.
//!
//! A decision is signed and written to `outbox` in the same transaction that records it in
//! `local_decisions`, before any network call, so once [`Outbox::record`] returns the decision
//! exists on disk and will reach the server eventually. [`Outbox::push`] sends what is waiting,
//! one row at a time: the row is marked `sending` (committed) before the request and gets its
//! final state after the answer. A process killed mid-request leaves the row in `sending`; the
//! next push sends it again, and because the server is idempotent on the decision id (same id
//! and bytes → the stored result), a retry can never create a second decision.
//!
//! States: `pending` (waiting), `sending` (a request may be in flight), `accepted` (the server
//! recorded it; its receipt is kept), `conflict` (the version moved on; the server's current
//! state is kept for the reviewer), `rejected` (refused; the server's error is kept).

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use vetter_decision::signing::{JWS_MEDIA_TYPE, ReviewerKey, SigningError};
use vetter_decision::{
    Action, AddonRef, Decision, VersionRef, guid_mismatch, rfc3339_millis, unix_millis_now,
};
pub use vetter_decision::{DecisionTarget, VersionChoice};
use vetter_protocol::auth::Credentials;
use vetter_store::decisions::OutboxRow;
use vetter_store::{Store, StoreError};

/// Longest server answer read for one decision.
const MAX_RESPONSE: usize = 64 * 1024;
/// How long one decision request may take before it counts as a network failure.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Why the outbox could not record, list or push.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// The cache database could not be opened or migrated.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The decision could not be signed (it broke a rule, or the key is bad).
    #[error(transparent)]
    Signing(#[from] SigningError),
    /// No decision with this id is in the outbox.
    #[error("no decision {id} in the outbox")]
    NotFound {
        /// The id.
        id: String,
    },
    /// A row holds a value this build does not know (the database was edited by hand).
    #[error("outbox row {id} is damaged: {reason}")]
    Damaged {
        /// The decision id.
        id: String,
        /// What is wrong.
        reason: String,
    },
    /// The HTTP client could not be built.
    #[error("cannot start the HTTP client: {0}")]
    Client(String),
    /// No synced add-on has this id, slug or guid.
    #[error("no synced add-on {addon:?}: run `vetter sync`, then name it by id, slug or guid")]
    UnknownAddon {
        /// What was asked for.
        addon: String,
    },
    /// The add-on has no version in a synced queue (or not the one asked for).
    #[error(
        "add-on {addon:?} has no {what} in the synced queues; run `vetter sync` or check `vetter queue`"
    )]
    NotUnderReview {
        /// The add-on.
        addon: String,
        /// "version under review" or "version N".
        what: String,
    },
    /// The version named as the one being reviewed is not the package that was opened.
    #[error(
        "server version {version_id} is not the package you opened (cached version \
         {cached_version_id}): its file differs or it waits in no synced queue; open the \
         review from that version's queue entry"
    )]
    NotThePackage {
        /// The server version named.
        version_id: i64,
        /// The cached package opened.
        cached_version_id: i64,
    },
    /// The opened package is the same file as several queued server versions, and the review
    /// did not say which one it is about.
    #[error(
        "the package you opened (cached version {cached_version_id}) is the same file as \
         server versions {versions:?}; open the review from the queue entry of the version you \
         mean (CLI: `vetter decide ADDON ACTION --version-id ID`)"
    )]
    AmbiguousPackage {
        /// The cached package opened.
        cached_version_id: i64,
        /// The server versions with those bytes in a queue.
        versions: Vec<i64>,
    },
    /// The add-on has several versions in the queues and none was chosen.
    #[error(
        "add-on {addon:?} has several versions under review ({versions:?}); choose one with --version"
    )]
    AmbiguousVersion {
        /// The add-on.
        addon: String,
        /// Their ids.
        versions: Vec<i64>,
    },
}

/// Where a decision is on its way to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum OutboxState {
    /// Waiting to be sent.
    Pending,
    /// A request may be in flight (or was cut off by a crash; it is sent again).
    Sending,
    /// The server recorded it.
    Accepted,
    /// The version moved on before the decision arrived; the server's state is kept.
    Conflict,
    /// The server refused it; its error is kept.
    Rejected,
}

impl OutboxState {
    /// The name stored in the database.
    pub fn name(self) -> &'static str {
        match self {
            OutboxState::Pending => "pending",
            OutboxState::Sending => "sending",
            OutboxState::Accepted => "accepted",
            OutboxState::Conflict => "conflict",
            OutboxState::Rejected => "rejected",
        }
    }

    fn from_name(name: &str) -> Option<OutboxState> {
        [
            OutboxState::Pending,
            OutboxState::Sending,
            OutboxState::Accepted,
            OutboxState::Conflict,
            OutboxState::Rejected,
        ]
        .into_iter()
        .find(|s| s.name() == name)
    }

    /// Whether the decision still has to be sent.
    pub fn is_waiting(self) -> bool {
        matches!(self, OutboxState::Pending | OutboxState::Sending)
    }
}

/// The version under review on the server when a decision arrived too late.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct CurrentVersion {
    /// Version id.
    #[ts(type = "number")]
    pub id: i64,
    /// Version string.
    pub version: String,
    /// The file hash as the server gives it (`sha256:…`).
    pub hash: String,
}

/// One decision in the outbox.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct OutboxEntry {
    /// The decision.
    pub decision: Decision,
    /// The server it goes to.
    pub server: String,
    /// The signing key's id.
    pub kid: String,
    /// Where it is.
    pub state: OutboxState,
    /// How many times it was sent.
    #[ts(type = "number")]
    pub attempts: i64,
    /// When it was recorded.
    pub created_at: String,
    /// When its state last changed.
    pub updated_at: String,
    /// The server's error code (conflict, rejection) or the last network error's kind.
    pub error_code: Option<String>,
    /// The last error, as the reviewer should read it.
    pub last_error: Option<String>,
    /// The server's JSON answer (receipt, or error with the current state).
    #[ts(type = "unknown")]
    pub response: Option<serde_json::Value>,
    /// For a conflict: what the server has under review now (`None` if nothing is).
    pub current_version: Option<CurrentVersion>,
}

/// What one push did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct PushSummary {
    /// Newly accepted (including retries the server had already recorded).
    pub accepted: u32,
    /// Ended in conflict.
    pub conflicts: u32,
    /// Refused by the server.
    pub rejected: u32,
    /// Still waiting after this push.
    pub waiting: u32,
    /// Why the push stopped early (server unreachable, credentials refused), if it did.
    pub stopped: Option<String>,
}

/// How the server answered one decision.
enum Answer {
    Final {
        state: OutboxState,
        code: Option<String>,
        detail: Option<String>,
        response: serde_json::Value,
    },
    /// Nothing was decided about the decision (network, 5xx, 429, auth): send it again later.
    Retry { code: String, detail: String },
}

/// The outbox over the cache database. Safe to share between threads (one connection behind a
/// mutex, never held across a network call).
pub struct Outbox {
    store: Mutex<Store>,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox").finish_non_exhaustive()
    }
}

impl Outbox {
    /// Opens the outbox in the cache of `data_dir`, migrating the schema first.
    pub fn open(data_dir: &Path) -> Result<Outbox, OutboxError> {
        // The store's one way to open the file: migrated, WAL, foreign keys on, and FULL
        // sync, so a recorded decision survives a power cut, not just a crash.
        Ok(Outbox {
            store: Mutex::new(Store::open(data_dir)?),
        })
    }

    /// The cache, for one short operation (never held across a network call).
    pub(crate) fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Signs `decision` with `key` and records it for `server`: the local decision and its
    /// outbox row are written in one transaction, before anything is sent.
    pub fn record(
        &self,
        server: &str,
        decision: &Decision,
        key: &ReviewerKey,
    ) -> Result<OutboxEntry, OutboxError> {
        let jws = key.sign(decision)?;
        let kid = key.public_key().kid();
        let server = &server_key(server)?;
        let now = rfc3339_millis(unix_millis_now());
        self.store()
            .record_for_outbox(server, decision, &kid, &jws, &now)?;
        tracing::info!(id = %decision.id, action = %decision.action, "decision recorded in the outbox");
        self.entry(&decision.id)
    }

    /// The add-on named `addon` (id, slug or guid) and the version it has under review in the
    /// synced queues (`version_id` picks one when there are several), with the file hash the
    /// sync verified: what a decision made now is about.
    pub fn review_target(
        &self,
        addon: &str,
        version_id: Option<i64>,
    ) -> Result<(AddonRef, VersionRef), OutboxError> {
        let store = self.store();
        let (addon_id, guid) =
            store
                .remote_addon_named(addon)?
                .ok_or_else(|| OutboxError::UnknownAddon {
                    addon: addon.to_owned(),
                })?;
        let versions = store.queued_versions(addon_id, version_id)?;
        let addon_ref = AddonRef { id: addon_id, guid };
        match versions.as_slice() {
            [one] => Ok((addon_ref, one.clone())),
            [] => Err(OutboxError::NotUnderReview {
                addon: addon.to_owned(),
                what: match version_id {
                    Some(id) => format!("version {id}"),
                    None => "version under review".to_owned(),
                },
            }),
            many => Err(OutboxError::AmbiguousVersion {
                addon: addon.to_owned(),
                versions: many.iter().map(|v| v.id).collect(),
            }),
        }
    }

    /// What a decision on the review the reviewer opened is about: the cached package
    /// `cached_version_id` (the cache's `versions.id`, the new side of a review) as the server
    /// version `remote_version_id` (the queue entry's version, or AMO's version id for a
    /// fetched one), with the queue it waits in, the actions offered there and the add-on's
    /// other versions.
    ///
    /// Identical files may be uploaded as several server versions, so the bytes never choose
    /// the version: without `remote_version_id` the package must be exactly one queued
    /// version, else the choice is refused as ambiguous; with it, that version must be the
    /// package opened.
    pub fn target_of_cached(
        &self,
        cached_version_id: i64,
        remote_version_id: Option<i64>,
    ) -> Result<DecisionTarget, OutboxError> {
        let store = self.store();
        let mut queued = store.queued_versions_of_cached(cached_version_id)?;
        if let Some(id) = remote_version_id {
            queued.retain(|q| q.version.id == id);
        }
        let queued = match queued.len() {
            1 => queued.remove(0),
            0 => {
                drop(store);
                // Not in a synced queue: a version fetched from AMO is decided on locally.
                return match self.amo_target_as(cached_version_id, remote_version_id)? {
                    Some(target) => self.amo_decision_target(cached_version_id, target),
                    None => Err(match remote_version_id {
                        Some(version_id) => OutboxError::NotThePackage {
                            version_id,
                            cached_version_id,
                        },
                        None => OutboxError::NotUnderReview {
                            addon: format!("of cached version {cached_version_id}"),
                            what: "version under review matching these bytes".to_owned(),
                        },
                    }),
                };
            }
            _ => {
                return Err(OutboxError::AmbiguousPackage {
                    cached_version_id,
                    versions: queued.iter().map(|q| q.version.id).collect(),
                });
            }
        };
        let versions = store.remote_version_choices(queued.addon.id)?;
        let manifest_guid = store.manifest_gecko_id(cached_version_id)?;
        let vetter_store::queues::QueuedVersion {
            addon,
            addon_name,
            version,
            queue,
        } = queued;
        let actions = crate::sync::offered_actions(&store, &queue)?
            .into_iter()
            .map(Action::form)
            .collect();
        let warnings = guid_mismatch(&addon.guid, manifest_guid.as_deref())
            .into_iter()
            .collect();
        Ok(DecisionTarget {
            addon,
            addon_name,
            version,
            queue,
            actions,
            versions,
            amo: None,
            manifest_guid,
            warnings,
        })
    }

    /// The gecko id declared by the manifest of server version `remote_version_id`'s cached
    /// file (`None`: not downloaded, or it declares none), for the same check the decision
    /// form makes ([`guid_mismatch`]).
    pub fn manifest_guid_of_remote(
        &self,
        remote_version_id: i64,
    ) -> Result<Option<String>, OutboxError> {
        let store = self.store();
        Ok(match store.cached_version_of_remote(remote_version_id)? {
            Some(cached) => store.manifest_gecko_id(cached)?,
            None => None,
        })
    }

    /// One decision by id.
    pub fn entry(&self, id: &str) -> Result<OutboxEntry, OutboxError> {
        let row = self.store().outbox_row(id)?;
        into_entry(row.ok_or_else(|| OutboxError::NotFound { id: id.to_owned() })?)
    }

    /// Every decision, newest first; only `server`'s when given.
    pub fn entries(&self, server: Option<&str>) -> Result<Vec<OutboxEntry>, OutboxError> {
        let server = server.map(server_key).transpose()?;
        let rows = self.store().outbox_rows(server.as_deref())?;
        rows.into_iter().map(into_entry).collect()
    }

    /// How many decisions for `server` are still waiting.
    pub fn waiting(&self, server: &str) -> Result<u32, OutboxError> {
        Ok(self.store().outbox_waiting_count(&server_key(server)?)?)
    }

    /// Sends every waiting decision for `server`, oldest first, each as its own request.
    ///
    /// Stops at the first answer that says nothing about the decision itself (the server is
    /// unreachable, overloaded, or refused the credentials): those rows go back to `pending`
    /// and the reason is in [`PushSummary::stopped`]. A database error aborts the push.
    pub async fn push(
        &self,
        server: &str,
        credentials: &Credentials,
    ) -> Result<PushSummary, OutboxError> {
        let server = server_key(server)?;
        let client = vetter_protocol::Client::new(
            &server,
            credentials.clone(),
            vetter_protocol::RetryPolicy::default(),
            REQUEST_TIMEOUT,
        )
        .map_err(|e| OutboxError::Client(e.to_string()))?;
        let url = client
            .url(vetter_protocol::routes::DECISIONS)
            .map_err(|e| OutboxError::Client(e.to_string()))?;
        let mut summary = PushSummary::default();
        let waiting = self.store().outbox_waiting(&server)?;
        for (id, jws) in waiting {
            self.set_sending(&id)?;
            let answer = send(&client, &url, jws).await;
            match answer {
                Answer::Final {
                    state,
                    code,
                    detail,
                    response,
                } => {
                    self.finish(&id, state, code.as_deref(), detail.as_deref(), &response)?;
                    tracing::info!(id = %id, state = state.name(), "decision pushed");
                    match state {
                        OutboxState::Accepted => summary.accepted += 1,
                        OutboxState::Conflict => summary.conflicts += 1,
                        _ => summary.rejected += 1,
                    }
                }
                Answer::Retry { code, detail } => {
                    self.retry_later(&id, &code, &detail)?;
                    tracing::warn!(id = %id, code = %code, "decision push stopped: {detail}");
                    summary.stopped = Some(detail);
                    break;
                }
            }
        }
        summary.waiting = self.waiting(&server)?;
        Ok(summary)
    }

    fn set_sending(&self, id: &str) -> Result<(), OutboxError> {
        Ok(self
            .store()
            .outbox_set_sending(id, &rfc3339_millis(unix_millis_now()))?)
    }

    fn finish(
        &self,
        id: &str,
        state: OutboxState,
        code: Option<&str>,
        detail: Option<&str>,
        response: &serde_json::Value,
    ) -> Result<(), OutboxError> {
        Ok(self.store().outbox_finish(
            id,
            state.name(),
            code,
            detail,
            &response.to_string(),
            &rfc3339_millis(unix_millis_now()),
        )?)
    }

    fn retry_later(&self, id: &str, code: &str, detail: &str) -> Result<(), OutboxError> {
        Ok(self
            .store()
            .outbox_retry_later(id, code, detail, &rfc3339_millis(unix_millis_now()))?)
    }
}

/// Sends one signed decision and classifies the answer.
/// `server` as [`vetter_protocol::routes::normalize_server`] spells it: the one spelling outbox
/// rows are kept and looked up under.
fn server_key(server: &str) -> Result<String, OutboxError> {
    vetter_protocol::routes::normalize_server(server)
        .map_err(|e| OutboxError::Client(e.to_string()))
}

async fn send(client: &vetter_protocol::Client, url: &reqwest::Url, jws: String) -> Answer {
    use vetter_protocol::PostError;
    let (status, body) = match client
        .send_once(
            reqwest::Method::POST,
            url,
            JWS_MEDIA_TYPE,
            jws.into_bytes(),
            MAX_RESPONSE,
        )
        .await
    {
        Ok(answer) => answer,
        Err(PostError::Unreachable(reason)) => {
            return Answer::Retry {
                code: "unreachable".to_owned(),
                detail: format!("cannot reach {url}: {reason}"),
            };
        }
        Err(PostError::TooLarge) => {
            return Answer::Retry {
                code: "response_too_large".to_owned(),
                detail: format!("{url} answered with more than {MAX_RESPONSE} bytes"),
            };
        }
        Err(PostError::Cut(reason)) => {
            return Answer::Retry {
                code: "unreachable".to_owned(),
                detail: format!("the answer from {url} was cut off: {reason}"),
            };
        }
        // A redirect says nothing about the decision: it waits until the address is fixed.
        Err(e @ PostError::Redirected { .. }) => {
            return Answer::Retry {
                code: "redirect_refused".to_owned(),
                detail: format!("{url}: {}", e.describe(MAX_RESPONSE)),
            };
        }
    };
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    let text = |name: &str| {
        json.get(name)
            .and_then(|v| v.as_str())
            .map(|s| s.chars().take(1000).collect::<String>())
    };
    let code = text("code").unwrap_or_else(|| format!("http_{status}"));
    let detail = text("detail").unwrap_or_else(|| format!("HTTP {status}"));
    match status {
        200 | 201 => Answer::Final {
            state: OutboxState::Accepted,
            code: None,
            detail: None,
            response: json,
        },
        409 if matches!(code.as_str(), "version_not_under_review" | "hash_mismatch") => {
            Answer::Final {
                state: OutboxState::Conflict,
                code: Some(code),
                detail: Some(detail),
                response: json,
            }
        }
        // 401: the request token was refused (clock, credentials); 408/429/5xx: the server
        // could not decide. Neither says anything about the decision, so it waits.
        401 | 408 | 429 | 500..=599 => Answer::Retry {
            code,
            detail: format!("{url} answered {status}: {detail}"),
        },
        _ => Answer::Final {
            state: OutboxState::Rejected,
            code: Some(code),
            detail: Some(detail),
            response: json,
        },
    }
}

/// An outbox row read back, its JSON checked: a row this build cannot read is reported, not guessed.
fn into_entry(row: OutboxRow) -> Result<OutboxEntry, OutboxError> {
    let damaged = |reason: String| OutboxError::Damaged {
        id: row.id.clone(),
        reason,
    };
    let decision: Decision =
        serde_json::from_str(&row.decision).map_err(|e| damaged(format!("decision JSON: {e}")))?;
    let state = OutboxState::from_name(&row.state)
        .ok_or_else(|| damaged(format!("unknown state {:?}", row.state)))?;
    let response: Option<serde_json::Value> = match &row.response {
        Some(text) => {
            Some(serde_json::from_str(text).map_err(|e| damaged(format!("response JSON: {e}")))?)
        }
        None => None,
    };
    let current_version = (state == OutboxState::Conflict)
        .then_some(response.as_ref())
        .flatten()
        .and_then(|r| r.pointer("/current/version_under_review"))
        .and_then(|v| {
            Some(CurrentVersion {
                id: v.get("id")?.as_i64()?,
                version: v.get("version")?.as_str()?.to_owned(),
                hash: v.get("hash")?.as_str()?.to_owned(),
            })
        });
    Ok(OutboxEntry {
        decision,
        server: row.server,
        kid: row.kid,
        state,
        attempts: row.attempts,
        created_at: row.created_at,
        updated_at: row.updated_at,
        error_code: row.error_code,
        last_error: row.last_error,
        response,
        current_version,
    })
}
