//! What the handlers need from storage, as a trait.
//!
//! SQLite ([`crate::sqlite::SqliteStorage`]) is the embedded default for one reviewer or a demo;
//! PostgreSQL ([`crate::postgres::PgStorage`]) serves a team from several server processes.
//! Both implement this trait, so no handler knows which one it talks to; what does not depend
//! on SQL (turning a seed into rows, the checks a signature cannot make) is kept here once.

use std::path::Path;

use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use vetter_fixtures::demo::{FaultSeed, Seed, VersionStatus, build_versions};
use vetter_protocol::vocabulary::Vocabulary;

/// Why storage failed. Handlers turn it into a 500 without details (they are logged).
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The database refused an operation.
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
    /// PostgreSQL refused an operation or could not be reached.
    #[error("PostgreSQL error: {}", pg_detail(.0))]
    Postgres(#[from] postgres::Error),
    /// The PostgreSQL schema could not be brought up to date.
    #[error(transparent)]
    Migrate(#[from] vetter_store::server_pg::MigrateError),
    /// No PostgreSQL connection could be had from the pool in time.
    #[error("PostgreSQL connection pool: {0}")]
    Pool(#[from] r2d2::Error),
    /// The database could not be opened or migrated.
    #[error(transparent)]
    Open(#[from] vetter_store::StoreError),
    /// A stored JSON column did not parse (the database was edited by hand).
    #[error("stored JSON in {what} is invalid: {error}")]
    Json {
        /// Which column.
        what: &'static str,
        /// The parser's message.
        error: serde_json::Error,
    },
    /// An admin or seed operation named something that does not exist or is inconsistent.
    #[error("{0}")]
    Invalid(String),
    /// The seed could not be built.
    #[error(transparent)]
    Seed(#[from] vetter_fixtures::demo::SeedError),
    /// The data folder could not be created.
    #[error("cannot create data folder {path}: {error}")]
    CreateDir {
        /// The folder.
        path: std::path::PathBuf,
        /// The OS error.
        error: std::io::Error,
    },
}

/// A PostgreSQL error with the server's own message, which the client's `Display` leaves out.
pub fn pg_detail(error: &postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => error.to_string(),
    }
}

/// A reviewer's API key and who it belongs to.
#[derive(Debug, Clone)]
pub struct ApiKey {
    /// The HS256 secret, wiped from memory when dropped.
    pub secret: zeroize::Zeroizing<Vec<u8>>,
    /// The reviewer.
    pub profile: Profile,
}

/// A reviewer, in AMO's profile shape.
#[derive(Debug, Clone, Serialize)]
pub struct Profile {
    /// User id.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// Username.
    pub username: String,
}

/// An add-on row.
#[derive(Debug, Clone)]
pub struct AddonRow {
    /// Id.
    pub id: i64,
    /// Gecko id.
    pub guid: String,
    /// Slug.
    pub slug: String,
    /// Name.
    pub name: String,
    /// Summary.
    pub summary: String,
}

/// A version row (one file per version, as on AMO today).
#[derive(Debug, Clone)]
pub struct VersionRow {
    /// Version id, also the file id.
    pub id: i64,
    /// The add-on.
    pub addon_id: i64,
    /// Version string.
    pub version: String,
    /// `approved`, `unreviewed`, `disabled` or `deleted`.
    pub status: String,
    /// Upload time, RFC 3339.
    pub created: String,
    /// sha256 of the XPI, lowercase hex.
    pub sha256: String,
    /// XPI size in bytes.
    pub size: i64,
    /// API permissions.
    pub permissions: Vec<String>,
    /// Host permissions.
    pub host_permissions: Vec<String>,
}

/// A queue entry with its add-on and version.
#[derive(Debug, Clone)]
pub struct EntryRow {
    /// Entry id.
    pub id: i64,
    /// Queue name.
    pub queue: String,
    /// The add-on.
    pub addon: AddonRow,
    /// The version under review.
    pub version: VersionRow,
    /// Due date, RFC 3339.
    pub due_date: String,
    /// Needs-human-review reasons.
    pub reasons: Vec<String>,
    /// Flags.
    pub flags: Vec<String>,
    /// Auto-approval weight.
    pub weight: i64,
    /// Change sequence number: the cursor after this entry.
    pub seq: i64,
    /// The entry left the queue (a tombstone, so clients delete it).
    pub removed: bool,
}

/// One queue and where its change feed ends.
#[derive(Debug, Clone, Serialize)]
pub struct QueueSummary {
    /// Queue name.
    pub name: String,
    /// Live entries.
    pub count: i64,
    /// The cursor of its latest change.
    pub cursor: String,
    /// The earliest due date among its live entries (RFC 3339), for the operator's metrics.
    #[serde(skip)]
    pub oldest_due: Option<String>,
}

/// A signed decision whose signature, key and action rules were verified.
#[derive(Debug, Clone)]
pub struct NewDecision {
    /// The exact request body (the compact JWS).
    pub body: Vec<u8>,
    /// Who submitted it.
    pub user_id: i64,
    /// The verified decision (its id is the idempotency key).
    pub decision: vetter_decision::Decision,
    /// The key that signed it.
    pub kid: String,
}

/// A registered signing key, as the key routes show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRow {
    /// The key id: the key's RFC 7638 thumbprint.
    pub kid: String,
    /// The JWS algorithm (`EdDSA`).
    pub alg: String,
    /// The Ed25519 public key, base64url.
    pub public_key: String,
    /// The reviewer who registered it.
    pub user_id: i64,
    /// When it was registered (RFC 3339; empty for keys registered before this was kept).
    pub created_at: String,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
}

/// What registering a key did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyPut {
    /// Newly registered.
    Created(KeyRow),
    /// Already registered by this reviewer (the same key: a kid names one key).
    Existing(KeyRow),
    /// Registered by another reviewer.
    OtherOwner,
    /// Registered by this reviewer and revoked since; a revoked key never comes back.
    Revoked(KeyRow),
}

/// What revoking a key did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRevoke {
    /// Revoked now, or earlier (the row as it stands).
    Revoked(KeyRow),
    /// The key belongs to another reviewer.
    NotYours,
    /// No such key.
    Missing,
}

/// What recording a decision did.
#[derive(Debug, Clone)]
pub enum DecisionOutcome {
    /// Newly recorded.
    Created(Value),
    /// The same id and bytes were recorded before; the stored result.
    Repeated(Value),
    /// The same id was recorded with other bytes.
    IdConflict,
    /// The version is not under review any more; the current state.
    NotUnderReview(Value),
    /// The sha256 does not match the version's file; the current state.
    HashMismatch(Value),
    /// The decision names an add-on or versions that do not go together on this server.
    Inconsistent {
        /// A stable code (`unknown_addon`, `addon_guid_mismatch`, `version_of_another_addon`).
        code: &'static str,
        /// What does not match.
        detail: String,
    },
}

/// A new version added by an admin.
#[derive(Debug, Clone)]
pub struct NewVersion {
    /// The add-on.
    pub addon_id: i64,
    /// Version string.
    pub version: String,
    /// XPI bytes.
    pub xpi: Vec<u8>,
    /// API permissions.
    pub permissions: Vec<String>,
    /// Host permissions.
    pub host_permissions: Vec<String>,
    /// Queue to put it in when the add-on has no entry yet.
    pub queue: String,
}

/// An admin change to a queue entry (each `Some` replaces the field).
#[derive(Debug, Clone, Default)]
pub struct EntryChange {
    /// Move to another queue.
    pub queue: Option<String>,
    /// New due date.
    pub due_date: Option<String>,
    /// New weight.
    pub weight: Option<i64>,
    /// New flags.
    pub flags: Option<Vec<String>>,
    /// New reasons.
    pub reasons: Option<Vec<String>>,
    /// Take the entry out of its queue.
    pub remove: bool,
}

/// The storage the handlers use.
pub trait Storage: Send + Sync + 'static {
    /// Whether the database answers a trivial query (the readiness check).
    fn ping(&self) -> Result<(), StorageError>;
    /// Whether the database already holds a seed.
    fn is_seeded(&self) -> Result<bool, StorageError>;
    /// Loads a seed's rows in one transaction.
    fn load_seed(&self, rows: &SeedRows) -> Result<(), StorageError>;
    /// The test-only faults the seed asked for.
    fn faults(&self) -> Result<Vec<FaultSeed>, StorageError>;
    /// The API key `key`, if known.
    fn api_key(&self, key: &str) -> Result<Option<ApiKey>, StorageError>;
    /// An add-on by id, slug or guid.
    fn addon(&self, ident: &str) -> Result<Option<AddonRow>, StorageError>;
    /// The latest approved version of an add-on.
    fn current_version(&self, addon_id: i64) -> Result<Option<VersionRow>, StorageError>;
    /// One page of versions, newest first, and the total count.
    fn versions(
        &self,
        addon_id: i64,
        with_deleted: bool,
        offset: i64,
        limit: i64,
    ) -> Result<(i64, Vec<VersionRow>), StorageError>;
    /// A file's version row, without its bytes.
    fn file_row(&self, file_id: i64) -> Result<Option<VersionRow>, StorageError>;
    /// At most `len` bytes of a file from `offset` (fewer at its end), so a download can be
    /// streamed without holding the whole file or a connection.
    fn file_chunk(&self, file_id: i64, offset: u64, len: usize) -> Result<Vec<u8>, StorageError>;
    /// Every queue with its count and cursor.
    fn queues(&self) -> Result<Vec<QueueSummary>, StorageError>;
    /// Up to `limit` changes of `queue` after cursor `since`, oldest first; `None` if the queue
    /// does not exist.
    fn queue_entries(
        &self,
        queue: &str,
        since: i64,
        limit: i64,
    ) -> Result<Option<Vec<EntryRow>>, StorageError>;
    /// An add-on's signals.
    fn signals(&self, addon_id: i64) -> Result<Option<Value>, StorageError>;
    /// The vocabulary this server was given (its seed's), if any; AMO's names fill the rest.
    fn vocabulary(&self) -> Result<Option<Value>, StorageError>;
    /// Registers a reviewer's public key under its thumbprint `kid`, stamped with the server's
    /// time; never changes a registered row.
    fn put_key(&self, user_id: i64, kid: &str, public_key: &str) -> Result<KeyPut, StorageError>;
    /// The key registered under `kid`, revoked or not.
    fn key(&self, kid: &str) -> Result<Option<KeyRow>, StorageError>;
    /// Every key ever registered, oldest first.
    fn keys(&self) -> Result<Vec<KeyRow>, StorageError>;
    /// Revokes `user_id`'s key `kid` now (a second revocation keeps the first time).
    fn revoke_key(&self, user_id: i64, kid: &str) -> Result<KeyRevoke, StorageError>;
    /// Records a decision (idempotent on its id) and appends it to the audit log.
    fn record_decision(&self, decision: &NewDecision) -> Result<DecisionOutcome, StorageError>;
    /// The audit log after `since`, oldest first.
    fn decisions(&self, since: i64, limit: i64) -> Result<Vec<Value>, StorageError>;
    /// Records that `viewer` has add-on `addon_id`'s review open until `expires_at` (Unix
    /// seconds), and returns the others who have it open at `now`.
    fn touch_presence(
        &self,
        viewer: &Profile,
        addon_id: i64,
        now: i64,
        expires_at: i64,
    ) -> Result<Vec<(i64, String)>, StorageError>;
    /// Forgets that `user_id` has add-on `addon_id`'s review open.
    fn leave_presence(&self, user_id: i64, addon_id: i64) -> Result<(), StorageError>;
    /// Every add-on whose review someone other than `user_id` has open at `now`, as
    /// (add-on, user id, name) rows ordered by add-on and name; expired rows are removed.
    fn presence(&self, user_id: i64, now: i64) -> Result<Vec<(i64, i64, String)>, StorageError>;
    /// Adds a version and puts it under review (admin only).
    fn add_version(&self, version: &NewVersion) -> Result<VersionRow, StorageError>;
    /// Changes a queue entry (admin only).
    fn change_entry(&self, entry_id: i64, change: &EntryChange) -> Result<(), StorageError>;
}

/// A seed as the rows both backends insert: versions built, hashes taken, JSON columns written,
/// the vocabulary checked, so a backend only runs its own `INSERT`s.
#[derive(Debug, Clone)]
pub struct SeedRows {
    /// `api_keys` rows: key, secret, user id, name, username.
    pub api_keys: Vec<(String, String, i64, String, String)>,
    /// The vocabulary document, checked.
    pub vocabulary: Option<String>,
    /// Add-ons.
    pub addons: Vec<AddonRow>,
    /// Versions with their XPI bytes.
    pub versions: Vec<(VersionRow, Vec<u8>)>,
    /// Each add-on's signals document.
    pub signals: Vec<(i64, String)>,
    /// Queue entries: id, queue, add-on, version, due date, reasons, flags (JSON), weight, seq.
    #[allow(clippy::type_complexity)]
    pub entries: Vec<(i64, String, i64, i64, String, String, String, i64, i64)>,
    /// The test-only faults, as JSON.
    pub faults: String,
}

/// Builds a seed's rows (generating each version's XPI from the files in `seed_dir`).
pub fn seed_rows(seed: &Seed, seed_dir: &Path) -> Result<SeedRows, StorageError> {
    let vocabulary = match &seed.vocabulary {
        None => None,
        Some(vocabulary) => {
            // Checked here, once, so what the server serves is always a vocabulary a client
            // accepts.
            let parsed: Vocabulary = serde_json::from_value(vocabulary.clone())
                .map_err(|e| StorageError::Invalid(format!("seed vocabulary: {e}")))?;
            parsed
                .check()
                .map_err(|e| StorageError::Invalid(format!("seed {e}")))?;
            Some(vocabulary.to_string())
        }
    };
    let mut rows = SeedRows {
        api_keys: seed
            .api_keys
            .iter()
            .map(|k| {
                (
                    k.key.clone(),
                    k.secret.clone(),
                    k.user_id,
                    k.name.clone(),
                    k.username.clone(),
                )
            })
            .collect(),
        vocabulary,
        addons: Vec::new(),
        versions: Vec::new(),
        signals: Vec::new(),
        entries: Vec::new(),
        faults: serde_json::to_string(&seed.faults).unwrap_or_else(|_| "[]".to_owned()),
    };
    for addon in &seed.addons {
        rows.addons.push(AddonRow {
            id: addon.id,
            guid: addon.guid.clone(),
            slug: addon.slug.clone(),
            name: addon.name.clone(),
            summary: addon.summary.clone(),
        });
        let built = build_versions(addon, seed_dir)?;
        for (v, b) in addon.versions.iter().zip(built) {
            let status = match v.status {
                VersionStatus::Approved => "approved",
                VersionStatus::Unreviewed => "unreviewed",
                VersionStatus::Disabled => "disabled",
                VersionStatus::Deleted => "deleted",
            };
            rows.versions.push((
                VersionRow {
                    id: v.id,
                    addon_id: addon.id,
                    version: v.version.clone(),
                    status: status.to_owned(),
                    created: v.created.clone(),
                    sha256: hex::encode(Sha256::digest(&b.xpi)),
                    size: b.xpi.len() as i64,
                    permissions: b.permissions,
                    host_permissions: b.host_permissions,
                },
                b.xpi,
            ));
        }
        let signals = json!({
            "addon_id": addon.id,
            "scanners": addon.signals.scanners.iter().map(|s| json!({
                "scanner": s.scanner, "rule": s.rule,
                "files": s.files.iter().map(|f| json!({"path": f.path, "lines": f.lines})).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "abuse_reports": {
                "count": addon.signals.abuse_reports.count,
                "last_30_days": addon.signals.abuse_reports.last_30_days,
                "by_reason": addon.signals.abuse_reports.by_reason,
            },
            "weight": {
                "total": addon.signals.weight_breakdown.values().sum::<i64>(),
                "breakdown": addon.signals.weight_breakdown,
            },
        });
        rows.signals.push((addon.id, signals.to_string()));
    }
    for (n, e) in seed.queue_entries.iter().enumerate() {
        rows.entries.push((
            e.id,
            e.queue.clone(),
            e.addon_id,
            e.version_id,
            e.due_date.clone(),
            json_text(&e.reasons),
            json_text(&e.flags),
            e.weight,
            n as i64 + 1,
        ));
    }
    Ok(rows)
}

/// The queues this server has.
pub const QUEUES: &[&str] = vetter_fixtures::demo::QUEUES;

/// Refuses a queue name an admin change gives that this server does not have.
pub fn known_queue(name: &str) -> Result<(), StorageError> {
    if QUEUES.contains(&name) {
        Ok(())
    } else {
        Err(StorageError::Invalid(format!(
            "unknown queue {name:?} (one of {})",
            QUEUES.join(", ")
        )))
    }
}

/// A list of strings as the JSON text both backends store.
pub fn json_text(list: &[String]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".to_owned())
}

/// A stored JSON list column, parsed; `what` names the column when it does not parse.
pub fn parse_list(text: &str, what: &'static str) -> Result<Vec<String>, StorageError> {
    serde_json::from_str(text).map_err(|error| StorageError::Json { what, error })
}

/// A stored JSON column, parsed; `what` names it when it does not parse.
pub fn parsed(text: Option<String>, what: &'static str) -> Result<Option<Value>, StorageError> {
    text.map(|t| serde_json::from_str(&t).map_err(|error| StorageError::Json { what, error }))
        .transpose()
}

/// What a signature cannot prove: that the add-on's guid is this server's guid for its id
/// (`guid_of` looks it up), and that every version the decision names belongs to that add-on
/// (`owner_of` gives a version's add-on).
pub fn inconsistency(
    d: &vetter_decision::Decision,
    guid_of: impl FnOnce(i64) -> Result<Option<String>, StorageError>,
    mut owner_of: impl FnMut(i64) -> Result<Option<i64>, StorageError>,
) -> Result<Option<(&'static str, String)>, StorageError> {
    let Some(guid) = guid_of(d.addon.id)? else {
        return Ok(Some((
            "unknown_addon",
            format!("there is no add-on with id {}", d.addon.id),
        )));
    };
    if guid != d.addon.guid {
        return Ok(Some((
            "addon_guid_mismatch",
            format!(
                "add-on {} has guid {guid:?}, not {:?}",
                d.addon.id,
                d.addon.guid.chars().take(200).collect::<String>()
            ),
        )));
    }
    // The version under review is checked against the queue by `check_review_state`.
    for &id in &d.versions {
        let owner = owner_of(id)?;
        if owner != Some(d.addon.id) {
            return Ok(Some((
                "version_of_another_addon",
                match owner {
                    Some(other) => format!(
                        "version {id} belongs to add-on {other}, not to add-on {}",
                        d.addon.id
                    ),
                    None => format!("there is no version with id {id}"),
                },
            )));
        }
    }
    Ok(None)
}

/// The current state of an add-on's review, as a 409 shows it: its latest entry (id, queue,
/// removed) and, while it is live, the version under review (id, version, sha256).
pub fn entry_state_json(
    entry: Option<(i64, String, bool)>,
    current: Option<(i64, String, String)>,
) -> Value {
    let in_queue = matches!(entry, Some((_, _, false)));
    json!({
        "entry_id": entry.as_ref().map(|r| r.0),
        "queue": entry.as_ref().map(|r| r.1.clone()),
        "in_queue": in_queue,
        "version_under_review": current.filter(|_| in_queue).map(|(id, version, sha)| json!({
            "id": id, "version": version, "hash": format!("sha256:{sha}"),
        })),
    })
}

/// The server's clock as RFC 3339 seconds, the form every stored time takes.
pub fn now_rfc3339() -> String {
    vetter_decision::rfc3339_seconds(vetter_protocol::auth::unix_now())
}

/// The result document of a newly recorded decision.
pub fn recorded_result(id: &str, seq: i64, recorded_at: &str) -> Value {
    json!({"id": id, "status": "recorded", "seq": seq, "recorded_at": recorded_at})
}
