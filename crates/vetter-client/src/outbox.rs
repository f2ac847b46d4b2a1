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

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use vetter_decision::signing::{JWS_MEDIA_TYPE, ReviewerKey, SigningError};
use vetter_decision::{
    Action, ActionForm, AddonRef, Decision, VersionRef, rfc3339_millis, unix_millis_now,
};
use vetter_protocol::auth::Credentials;
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
    /// SQLite refused an operation.
    #[error("outbox database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
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

/// One version of an add-on, for choosing the versions of a multi-version action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct VersionChoice {
    /// The server's version id.
    #[ts(type = "number")]
    pub id: i64,
    /// The version string.
    pub version: String,
    /// The server's file status (`public`, `nominated`, `disabled`, …).
    pub status: String,
}

/// What a decision made in a review would be about, and the choices the decision form offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct DecisionTarget {
    /// The add-on.
    pub addon: AddonRef,
    /// Its name.
    pub addon_name: String,
    /// The version under review, bound to the hash the sync verified.
    pub version: VersionRef,
    /// The queue the version waits in.
    pub queue: String,
    /// The actions offered in that queue, with the inputs each takes.
    pub actions: Vec<ActionForm>,
    /// The add-on's versions on the server, newest first.
    pub versions: Vec<VersionChoice>,
    /// Set for a version fetched from a plain AMO: the decision is signed and kept locally,
    /// and becomes a comment for this review page.
    pub amo: Option<vetter_decision::AmoTarget>,
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
    conn: Mutex<Connection>,
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
        let conn = Store::open(data_dir)?.into_connection();
        Ok(Outbox {
            conn: Mutex::new(conn),
        })
    }

    pub(crate) fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
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
        let server = server.trim_end_matches('/');
        let now = rfc3339_millis(unix_millis_now());
        {
            let mut conn = self.conn();
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            insert_local_decision(&tx, server, decision)?;
            tx.execute(
                "INSERT INTO outbox (decision_id, kid, jws, state, created_at, updated_at)
                 VALUES (?1, ?2, ?3, 'pending', ?4, ?4)",
                params![decision.id, kid, jws, now],
            )?;
            tx.commit()?;
        }
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
        let conn = self.conn();
        let found: Option<(i64, String)> = conn
            .query_row(
                "SELECT id, guid FROM remote_addons
                 WHERE CAST(id AS TEXT) = ?1 OR slug = ?1 OR guid = ?1
                 ORDER BY CAST(id AS TEXT) = ?1 DESC LIMIT 1",
                [addon],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let (addon_id, guid) = found.ok_or_else(|| OutboxError::UnknownAddon {
            addon: addon.to_owned(),
        })?;
        let mut stmt = conn.prepare(
            "SELECT DISTINCT v.id, v.version, v.sha256 FROM queue_entries q
             JOIN remote_versions v ON v.id = q.version_id
             WHERE q.addon_id = ?1 AND (?2 IS NULL OR v.id = ?2) ORDER BY v.id",
        )?;
        let versions: Vec<VersionRef> = stmt
            .query_map(params![addon_id, version_id], |r| {
                Ok(VersionRef {
                    id: r.get(0)?,
                    version: r.get(1)?,
                    file_sha256: r.get(2)?,
                })
            })?
            .collect::<Result<_, _>>()?;
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

    /// What a decision on the cached version `cached_version_id` (the cache's `versions.id`,
    /// the new side of a review) is about: the synced add-on and version under review, the
    /// queue it waits in, the actions offered there and the add-on's other versions.
    pub fn target_of_cached(&self, cached_version_id: i64) -> Result<DecisionTarget, OutboxError> {
        let conn = self.conn();
        // The same bytes may be cached under several server versions; the one in a queue is
        // the one a decision can be about.
        let found = conn
            .query_row(
                "SELECT a.id, a.guid, a.name, v.id, v.version, v.sha256, q.queue
                 FROM remote_versions v JOIN remote_addons a ON a.id = v.addon_id
                 JOIN queue_entries q ON q.version_id = v.id
                 WHERE v.cached_version_id = ?1 ORDER BY v.id DESC, q.queue LIMIT 1",
                [cached_version_id],
                |r| {
                    Ok((
                        AddonRef {
                            id: r.get(0)?,
                            guid: r.get(1)?,
                        },
                        r.get::<_, String>(2)?,
                        VersionRef {
                            id: r.get(3)?,
                            version: r.get(4)?,
                            file_sha256: r.get(5)?,
                        },
                        r.get::<_, String>(6)?,
                    ))
                },
            )
            .optional()?;
        let Some((addon, addon_name, version, queue)) = found else {
            drop(conn);
            // Not in a synced queue: a version fetched from AMO is decided on locally.
            return match self.amo_target_of_cached(cached_version_id)? {
                Some(target) => self.amo_decision_target(target),
                None => Err(OutboxError::NotUnderReview {
                    addon: format!("of cached version {cached_version_id}"),
                    what: "version under review matching these bytes".to_owned(),
                }),
            };
        };
        let mut stmt = conn.prepare(
            "SELECT id, version, status FROM remote_versions WHERE addon_id = ?1 ORDER BY id DESC
             LIMIT 1000",
        )?;
        let versions = stmt
            .query_map([addon.id], |r| {
                Ok(VersionChoice {
                    id: r.get(0)?,
                    version: r.get(1)?,
                    status: r.get(2)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        let actions = Action::offered_in(Some(&queue))
            .into_iter()
            .map(Action::form)
            .collect();
        Ok(DecisionTarget {
            addon,
            addon_name,
            version,
            queue,
            actions,
            versions,
            amo: None,
        })
    }

    /// One decision by id.
    pub fn entry(&self, id: &str) -> Result<OutboxEntry, OutboxError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!("{SELECT_ENTRY} WHERE o.decision_id = ?1"))?;
        let row = stmt.query_row([id], raw_entry).optional()?;
        row.ok_or_else(|| OutboxError::NotFound { id: id.to_owned() })?
            .into_entry()
    }

    /// Every decision, newest first; only `server`'s when given.
    pub fn entries(&self, server: Option<&str>) -> Result<Vec<OutboxEntry>, OutboxError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "{SELECT_ENTRY} WHERE ?1 IS NULL OR d.server = ?1 ORDER BY o.created_at DESC, o.decision_id DESC"
        ))?;
        let server = server.map(|s| s.trim_end_matches('/'));
        let rows = stmt
            .query_map([server], raw_entry)?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter().map(RawEntry::into_entry).collect()
    }

    /// How many decisions for `server` are still waiting.
    pub fn waiting(&self, server: &str) -> Result<u32, OutboxError> {
        Ok(self.conn().query_row(
            "SELECT count(*) FROM outbox o JOIN local_decisions d ON d.id = o.decision_id
             WHERE d.server = ?1 AND o.state IN ('pending', 'sending')",
            [server.trim_end_matches('/')],
            |r| r.get(0),
        )?)
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
        let server = server.trim_end_matches('/').to_owned();
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
        let waiting: Vec<(String, String)> = {
            let conn = self.conn();
            let mut stmt = conn.prepare(
                "SELECT o.decision_id, o.jws FROM outbox o
                 JOIN local_decisions d ON d.id = o.decision_id
                 WHERE d.server = ?1 AND o.state IN ('pending', 'sending')
                 ORDER BY o.created_at, o.decision_id",
            )?;
            stmt.query_map([&server], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?
        };
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
        self.conn().execute(
            "UPDATE outbox SET state = 'sending', attempts = attempts + 1, updated_at = ?2
             WHERE decision_id = ?1 AND state IN ('pending', 'sending')",
            params![id, rfc3339_millis(unix_millis_now())],
        )?;
        Ok(())
    }

    fn finish(
        &self,
        id: &str,
        state: OutboxState,
        code: Option<&str>,
        detail: Option<&str>,
        response: &serde_json::Value,
    ) -> Result<(), OutboxError> {
        self.conn().execute(
            "UPDATE outbox SET state = ?2, error_code = ?3, last_error = ?4, response = ?5,
                 updated_at = ?6
             WHERE decision_id = ?1",
            params![
                id,
                state.name(),
                code,
                detail,
                response.to_string(),
                rfc3339_millis(unix_millis_now())
            ],
        )?;
        Ok(())
    }

    fn retry_later(&self, id: &str, code: &str, detail: &str) -> Result<(), OutboxError> {
        self.conn().execute(
            "UPDATE outbox SET state = 'pending', error_code = ?2, last_error = ?3, updated_at = ?4
             WHERE decision_id = ?1 AND state = 'sending'",
            params![id, code, detail, rfc3339_millis(unix_millis_now())],
        )?;
        Ok(())
    }
}

/// Records `decision` for `server` in the local decision log (inside the caller's transaction,
/// which also records where it goes next).
pub(crate) fn insert_local_decision(
    tx: &rusqlite::Transaction<'_>,
    server: &str,
    decision: &Decision,
) -> rusqlite::Result<()> {
    let json = String::from_utf8(decision.to_json()).unwrap_or_default();
    tx.execute(
        "INSERT INTO local_decisions (id, server, reviewer, addon_id, addon_guid,
             version_id, version, file_sha256, action, decided_at, decision)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            decision.id,
            server,
            decision.reviewer,
            decision.addon.id,
            decision.addon.guid,
            decision.version.id,
            decision.version.version,
            decision.version.file_sha256,
            decision.action.name(),
            decision.decided_at,
            json,
        ],
    )?;
    Ok(())
}

/// Sends one signed decision and classifies the answer.
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

const SELECT_ENTRY: &str = "SELECT d.id, d.server, d.decision, o.kid, o.state, o.attempts,
    o.created_at, o.updated_at, o.error_code, o.last_error, o.response
    FROM outbox o JOIN local_decisions d ON d.id = o.decision_id";

struct RawEntry {
    id: String,
    server: String,
    decision: String,
    kid: String,
    state: String,
    attempts: i64,
    created_at: String,
    updated_at: String,
    error_code: Option<String>,
    last_error: Option<String>,
    response: Option<String>,
}

fn raw_entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawEntry> {
    Ok(RawEntry {
        id: r.get(0)?,
        server: r.get(1)?,
        decision: r.get(2)?,
        kid: r.get(3)?,
        state: r.get(4)?,
        attempts: r.get(5)?,
        created_at: r.get(6)?,
        updated_at: r.get(7)?,
        error_code: r.get(8)?,
        last_error: r.get(9)?,
        response: r.get(10)?,
    })
}

impl RawEntry {
    fn into_entry(self) -> Result<OutboxEntry, OutboxError> {
        let damaged = |reason: String| OutboxError::Damaged {
            id: self.id.clone(),
            reason,
        };
        let decision: Decision = serde_json::from_str(&self.decision)
            .map_err(|e| damaged(format!("decision JSON: {e}")))?;
        let state = OutboxState::from_name(&self.state)
            .ok_or_else(|| damaged(format!("unknown state {:?}", self.state)))?;
        let response: Option<serde_json::Value> = match &self.response {
            Some(text) => Some(
                serde_json::from_str(text).map_err(|e| damaged(format!("response JSON: {e}")))?,
            ),
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
            server: self.server,
            kid: self.kid,
            state,
            attempts: self.attempts,
            created_at: self.created_at,
            updated_at: self.updated_at,
            error_code: self.error_code,
            last_error: self.last_error,
            response,
            current_version,
        })
    }
}
