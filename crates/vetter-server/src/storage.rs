//! What the handlers need from storage, as a trait.
//!
//! SQLite ([`crate::sqlite::SqliteStorage`]) is the embedded default for one reviewer or a demo;
//! a PostgreSQL backend for teams can implement the same trait without touching a handler.

use serde::Serialize;
use serde_json::Value;

/// Why storage failed. Handlers turn it into a 500 without details (they are logged).
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The database refused an operation.
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
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
