//! The local version cache: one SQLite file in WAL mode holding add-ons, their versions, the
//! files of each version, and the files' bytes as content-addressed zstd blobs.
//!
//! Versions of one add-on share most files, so bytes are stored once by sha256, and a changed
//! file is stored as a zstd delta against the same path's blob in the add-on's previous version.
//! Every write that a reader could observe happens inside one transaction, so a crash at any
//! point leaves either the whole version or none of it.
//!
//! One connection per [`Store`], with a busy timeout, rather than a pool: SQLite allows one
//! writer at a time anyway, an import holds the write lock for its whole transaction, and reads
//! are index lookups plus a blob decode, so a front end that shares one `Store` behind a mutex
//! loses nothing, while several processes (the app and the CLI) wait on each other through the
//! busy timeout instead of failing.

pub mod analyses;
mod category;
mod codec;
pub mod decisions;
mod import;
pub mod info;
pub mod minhash;
pub mod notes;
mod origins;
pub mod queues;
pub mod retention;
pub mod rules;
mod schema;
pub mod search_index;
pub mod server_db;
#[cfg(feature = "postgres")]
pub mod server_pg;
pub mod signals;
mod similar;
pub mod viewed;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use ts_rs::TS;

use vetter_archive::{ArchiveError, PackageFormat};
use vetter_manifest::ManifestError;

pub use category::FileCategory;
pub use import::{ImportProgress, ImportSummary, identity_for, package_identity};
pub use origins::{AmoOrigin, VALIDATOR_SOURCE, VersionOrigin};

/// The file name of the cache inside the data folder.
pub const DB_FILE: &str = "vetter.sqlite3";

/// The largest blob the cache stores or decodes. Reads refuse rows that claim more, so a hostile
/// row can never make a read allocate beyond this; it sits above the archive reader's default
/// one-file limit (100 MiB) so that a raised limit still imports.
pub const MAX_BLOB_SIZE: u64 = 256 * 1024 * 1024;

/// The longest delta chain: a whole blob has depth 0, a delta one more than its deeper base.
pub const MAX_DELTA_DEPTH: u32 = 2;

/// The most zstd frames one read decodes: the blob and the distinct blobs among its bases,
/// recursively. A delta has one base (the same file in the previous version) or two (plus a
/// sibling stored earlier in the same import, e.g. `build/x.js` for `legacy/build/x.js`; the
/// two usually share their own base, which a read decodes once).
pub const MAX_READ_FRAMES: u32 = 4;

/// How long a write waits for another process's transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the cache could not be opened, read or written.
///
/// Each message is complete on its own (it includes the underlying error's text), so the
/// underlying errors are carried as fields rather than as `source()`: printing the chain would
/// repeat them.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The data folder could not be created.
    #[error("cannot create data folder {path}: {error}")]
    CreateDir {
        /// The folder.
        path: PathBuf,
        /// The OS error.
        error: std::io::Error,
    },
    /// SQLite refused an operation.
    #[error("cache database error: {0}")]
    Sqlite(rusqlite::Error),
    /// The schema could not be migrated to this build's version.
    #[error("cannot migrate the cache schema: {0}")]
    Migration(Box<rusqlite_migration::Error>),
    /// An add-on file on disk could not be read.
    #[error("cannot read {path}: {error}")]
    ReadSource {
        /// The file.
        path: PathBuf,
        /// The OS error.
        error: std::io::Error,
    },
    /// An add-on file on disk is larger than any archive the cache accepts.
    #[error("{path} is {size} bytes, over the {limit}-byte limit for one archive")]
    SourceTooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The archive reader refused the XPI.
    #[error("{source_name}: {error}")]
    Archive {
        /// The name the XPI was imported under.
        source_name: String,
        /// The reader's refusal, naming the entry and the rule.
        error: Box<ArchiveError>,
    },
    /// `manifest.json` could not be parsed.
    #[error("{source_name}: manifest.json: {error}")]
    Manifest {
        /// The name the XPI was imported under.
        source_name: String,
        /// The parser's refusal.
        error: Box<ManifestError>,
    },
    /// One archive entry is larger than the cache stores.
    #[error("{source_name}: entry {path:?} is {size} bytes, over the {limit}-byte blob limit")]
    EntryTooLarge {
        /// The name the XPI was imported under.
        source_name: String,
        /// The entry.
        path: String,
        /// Its size.
        size: u64,
        /// [`MAX_BLOB_SIZE`].
        limit: u64,
    },
    /// zstd could not compress an entry (in practice: out of memory).
    #[error("{source_name}: cannot compress entry {path:?}: {reason}")]
    Compress {
        /// The name the XPI was imported under.
        source_name: String,
        /// The entry.
        path: String,
        /// zstd's reason.
        reason: &'static str,
    },
    /// No version with this id is cached.
    #[error("no cached version with id {id}")]
    VersionNotFound {
        /// The id asked for.
        id: i64,
    },
    /// The version has no file at this path.
    #[error("version {version_id} has no file {path:?}")]
    FileNotFound {
        /// The version.
        version_id: i64,
        /// The path asked for.
        path: String,
    },
    /// No blob with this sha256 is cached.
    #[error("no cached blob with sha256 {sha256}")]
    BlobNotFound {
        /// The hash asked for.
        sha256: String,
    },
    /// A blob row is damaged or hostile: its bytes do not decode to what the row claims.
    #[error("cached blob {sha256} is corrupt: {reason}")]
    CorruptBlob {
        /// The blob.
        sha256: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A non-blob row holds a value this build cannot accept.
    #[error("cached {table} row {key} is corrupt: {reason}")]
    CorruptRow {
        /// The table.
        table: &'static str,
        /// The row's key.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        StoreError::Sqlite(error)
    }
}

impl From<rusqlite_migration::Error> for StoreError {
    fn from(error: rusqlite_migration::Error) -> Self {
        StoreError::Migration(Box::new(error))
    }
}

/// One cached add-on version, as lists show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct VersionInfo {
    /// The cache's id for the version.
    #[ts(type = "number")]
    pub id: i64,
    /// The add-on identity: its gecko id, or `noid:` + name (see [`identity_for`]).
    pub guid: String,
    /// Whether `guid` is a real gecko id from the manifest.
    pub has_gecko_id: bool,
    /// The add-on name from this version's manifest.
    pub name: String,
    /// The version string from the manifest.
    pub version: String,
    /// The name the XPI was imported under (its file name).
    pub source_name: String,
    /// sha256 (hex) of the whole XPI.
    pub xpi_sha256: String,
    /// Size of the whole XPI in bytes.
    #[ts(type = "number")]
    pub xpi_size: u64,
    /// When it was imported, RFC 3339 UTC.
    pub imported_at: String,
    /// The manifest's `manifest_version` (2 or 3); 0 for a [`PackageKind::Package`].
    pub manifest_version: u8,
    /// How many files the version holds.
    #[ts(type = "number")]
    pub files: u64,
    /// Total uncompressed size of those files.
    #[ts(type = "number")]
    pub total_size: u64,
    /// What this build is and what tells it apart from other builds of the same version.
    #[serde(flatten)]
    #[ts(flatten)]
    pub build: BuildInfo,
    /// The store page it was fetched from; `None` for a local file.
    pub origin: Option<String>,
}

/// What one build of a version is: the container it came in, whether it is an add-on, and what
/// tells it apart from other builds (other bytes) of the same version string. Flattened into
/// [`VersionInfo`] and [`ImportSummary`], so their JSON keeps these as top-level fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct BuildInfo {
    /// The container the version came in (zip, CRX2, CRX3, tar.gz).
    pub format: PackageFormat,
    /// An add-on (a `manifest.json` at its root) or another package.
    pub kind: PackageKind,
    /// For a CRX: what its header holds, and that its signature was not verified.
    pub signature_note: Option<String>,
    /// The one top folder all of the archive's paths were under (`package/` in an npm pack),
    /// left out of the stored paths; `None` when the paths are stored as they were.
    pub root_prefix: Option<String>,
    /// The first 8 hex digits of the package's sha256: what tells two builds of one version
    /// apart.
    pub short_hash: String,
    /// How many other cached builds (different bytes) of this add-on carry the same version
    /// string.
    #[ts(type = "number")]
    pub same_version_builds: u64,
    /// How lists name the version: the version string, with the short hash when other builds
    /// share it (`1.0 (build 3fa2b1c9)`).
    pub label: String,
}

impl BuildInfo {
    /// The build of `version` whose package has sha256 `sha256`, with `short_hash` and `label`
    /// derived from them and `same_version_builds`.
    pub fn new(
        format: PackageFormat,
        kind: PackageKind,
        signature_note: Option<String>,
        root_prefix: Option<String>,
        version: &str,
        sha256: &str,
        same_version_builds: u64,
    ) -> BuildInfo {
        BuildInfo {
            format,
            kind,
            signature_note,
            root_prefix,
            short_hash: short_hash(sha256).to_owned(),
            same_version_builds,
            label: version_label(version, sha256, same_version_builds),
        }
    }
}

/// Hex digits of the package's sha256 shown to tell builds apart.
pub const SHORT_HASH_LEN: usize = 8;

/// The first [`SHORT_HASH_LEN`] hex digits of a sha256.
pub fn short_hash(sha256: &str) -> &str {
    sha256.get(..SHORT_HASH_LEN).unwrap_or(sha256)
}

/// The label of version `version` of a package with sha256 `sha256`, given how many other
/// builds share the version string.
pub fn version_label(version: &str, sha256: &str, same_version_builds: u64) -> String {
    let version = if version.is_empty() {
        "(no version)"
    } else {
        version
    };
    if same_version_builds > 0 {
        format!("{version} (build {})", short_hash(sha256))
    } else {
        version.to_owned()
    }
}

/// What a cached version is: a browser add-on, or some other package kept for diffing and
/// search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum PackageKind {
    /// An add-on: `manifest.json` at the root (after a common top folder is set aside).
    Extension,
    /// No `manifest.json`: an npm package, a source archive. Named from `package.json`'s
    /// `name` and `version` when it has them, else from the file name; identity
    /// `package:<name>`.
    Package,
}

impl PackageKind {
    /// The code stored in `versions.kind`.
    pub fn code(self) -> &'static str {
        match self {
            PackageKind::Extension => "extension",
            PackageKind::Package => "package",
        }
    }

    /// The kind with this [`PackageKind::code`].
    pub fn from_code(code: &str) -> Option<PackageKind> {
        [PackageKind::Extension, PackageKind::Package]
            .into_iter()
            .find(|k| k.code() == code)
    }
}

/// One file of a cached version: enough to diff two versions by path and hash without reading
/// any bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct FileEntry {
    /// Path inside the archive, `/`-separated.
    pub path: String,
    /// Uncompressed size in bytes.
    #[ts(type = "number")]
    pub size: u64,
    /// sha256 (hex) of the bytes.
    pub sha256: String,
    /// Coarse content kind.
    pub category: FileCategory,
}

/// What a cache's stored bytes add up to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct StoreStats {
    /// Cached versions.
    #[ts(type = "number")]
    pub versions: u64,
    /// Distinct blobs.
    #[ts(type = "number")]
    pub blobs: u64,
    /// Blobs stored as deltas.
    #[ts(type = "number")]
    pub delta_blobs: u64,
    /// Deltas with two bases (the previous version's file and a sibling from the same import).
    #[ts(type = "number")]
    pub two_base_blobs: u64,
    /// Sum of the blobs' uncompressed sizes.
    #[ts(type = "number")]
    pub raw_bytes: u64,
    /// Sum of the blobs' stored (compressed) sizes.
    #[ts(type = "number")]
    pub stored_bytes: u64,
}

/// An open cache.
pub struct Store {
    conn: Connection,
    data_dir: PathBuf,
}

/// Brings the schema up to date. Two processes opening a new cache at once (the app and the CLI,
/// or two windows) both read the old version; the second one's first step then fails on what the
/// first one created, or finds the file busy. Read the version again and carry on from there; a
/// failure that persists over [`MIGRATION_ATTEMPTS`] rounds with the version unchanged is a real
/// one and is returned.
fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let version = |conn: &Connection| {
        retry_busy(|| conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0)))
    };
    let migrations = schema::migrations();
    for _ in 1..MIGRATION_ATTEMPTS {
        let before = version(conn)?;
        if migrations.to_latest(conn).is_ok() {
            return Ok(());
        }
        if version(conn)? == before {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    Ok(migrations.to_latest(conn)?)
}

/// Runs `f` again while SQLite answers "busy" without having waited (see [`Store::open`]), for at
/// most [`BUSY_TIMEOUT`].
fn retry_busy<T>(mut f: impl FnMut() -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    let start = std::time::Instant::now();
    loop {
        match f() {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy
                    && start.elapsed() < BUSY_TIMEOUT =>
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            other => return other,
        }
    }
}

/// Opens the SQLite file at `path` with the settings every Vetter database uses: a busy
/// timeout, WAL, and FULL sync.
pub(crate) fn open_file(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // Switching a new file to WAL answers "busy" at once, without the busy handler, while
    // another connection is doing the same; it is done within milliseconds.
    retry_busy(|| conn.pragma_update(None, "journal_mode", "WAL"))?;
    // FULL syncs the WAL on every commit: the cache holds signed decisions and notes, the
    // server its decisions, which must survive a power cut, not just a crash; an import is
    // one commit, so the extra fsync is small beside the work.
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(conn)
}

/// Opens the SQLite file at `path` read-only, for an outside observer (a test harness, a
/// support tool) that checks what is on disk with its own queries and must change nothing:
/// no migration runs and no write is possible.
pub fn open_read_only(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    Ok(conn)
}

/// Rounds of [`migrate`]: each lost round means another process applied at least one step.
const MIGRATION_ATTEMPTS: usize = 32;

impl Store {
    /// Opens the cache in `data_dir`, creating the folder and migrating the schema as needed.
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|error| StoreError::CreateDir {
            path: data_dir.to_owned(),
            error,
        })?;
        let mut conn = open_file(&data_dir.join(DB_FILE))?;
        // Foreign keys are off while migrating: a step that rebuilds a table (SQLite's only way
        // to drop a constraint) would otherwise cascade into the tables that refer to it. Such
        // steps run `foreign_key_check` before they commit instead.
        conn.pragma_update(None, "foreign_keys", "OFF")?;
        migrate(&mut conn)?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        Ok(Store {
            conn,
            data_dir: data_dir.to_owned(),
        })
    }

    /// The data folder this cache lives in (other per-user data sits beside the database).
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The cached add-on named `key`: its identity (gecko id or `noid:` name), or the id of one
    /// of its cached versions; as (id, identity).
    pub fn addon_named(&self, key: &str) -> Result<Option<(i64, String)>, StoreError> {
        let by_guid = self
            .conn()
            .query_row("SELECT id, guid FROM addons WHERE guid = ?1", [key], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        if by_guid.is_some() {
            return Ok(by_guid);
        }
        let Ok(version) = key.parse::<i64>() else {
            return Ok(None);
        };
        Ok(self
            .conn()
            .query_row(
                "SELECT a.id, a.guid FROM versions v JOIN addons a ON a.id = v.addon_id
                 WHERE v.id = ?1",
                [version],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// How many add-ons the cache holds.
    pub fn addon_count(&self) -> Result<u32, StoreError> {
        Ok(self
            .conn()
            .query_row("SELECT count(*) FROM addons", [], |r| r.get(0))?)
    }

    /// The open connection, for this crate's table modules.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The open connection, mutably, for this crate's transactions.
    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// The schema version (`user_version`) of the open cache.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    /// Every cached version, grouped by add-on, oldest import first within one.
    pub fn versions(&self) -> Result<Vec<VersionInfo>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(&format!("{VERSION_SELECT} ORDER BY a.guid, v.id"))?;
        let rows = stmt.query_map([], version_row)?;
        rows.map(|r| r?).collect()
    }

    /// One cached version.
    pub fn version(&self, id: i64) -> Result<VersionInfo, StoreError> {
        version_by_id(&self.conn, id)
    }

    /// The version of the same add-on imported just before `id`, if any: the natural left side
    /// of a diff.
    pub fn previous_version(&self, id: i64) -> Result<Option<VersionInfo>, StoreError> {
        let current = self.version(id)?;
        let prev: Option<i64> = self
            .conn
            .query_row(
                "SELECT v.id FROM versions v JOIN addons a ON a.id = v.addon_id
                 WHERE a.guid = ?1 AND v.id < ?2 ORDER BY v.id DESC LIMIT 1",
                params![current.guid, id],
                |r| r.get(0),
            )
            .optional()?;
        prev.map(|p| self.version(p)).transpose()
    }

    /// The manifest of a version as the parser understood it, as JSON.
    pub fn version_manifest(&self, id: i64) -> Result<serde_json::Value, StoreError> {
        let text: String = self
            .conn
            .query_row("SELECT manifest FROM versions WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?
            .ok_or(StoreError::VersionNotFound { id })?;
        serde_json::from_str(&text).map_err(|e| StoreError::CorruptRow {
            table: "versions",
            key: id.to_string(),
            reason: format!("manifest is not JSON: {e}"),
        })
    }

    /// The files of a version, sorted by path, with sizes and hashes but no bytes.
    pub fn version_files(&self, version_id: i64) -> Result<Vec<FileEntry>, StoreError> {
        version_files(&self.conn, version_id)
    }

    /// The bytes of one file of a version, verified against its sha256.
    pub fn read_file(&self, version_id: i64, path: &str) -> Result<Vec<u8>, StoreError> {
        let blob: Option<i64> = self
            .conn
            .query_row(
                "SELECT e.blob_id FROM entries e JOIN paths p ON p.id = e.path_id
                 WHERE e.version_id = ?1 AND p.path = ?2",
                params![version_id, path],
                |r| r.get(0),
            )
            .optional()?;
        match blob {
            Some(id) => read_blob_id(&self.conn, id),
            None => {
                version_by_id(&self.conn, version_id)?;
                Err(StoreError::FileNotFound {
                    version_id,
                    path: path.to_owned(),
                })
            }
        }
    }

    /// The bytes of one blob by sha256 (hex), verified against it.
    pub fn read_blob(&self, sha256: &str) -> Result<Vec<u8>, StoreError> {
        let id = blob_id(&self.conn, sha256)?.ok_or_else(|| StoreError::BlobNotFound {
            sha256: sha256.to_owned(),
        })?;
        read_blob_id(&self.conn, id)
    }

    /// Totals over everything stored, for reports and benchmarks.
    pub fn stats(&self) -> Result<StoreStats, StoreError> {
        let versions: i64 = self
            .conn
            .query_row("SELECT count(*) FROM versions", [], |r| r.get(0))?;
        let (blobs, delta_blobs, two_base, raw, stored): (i64, i64, i64, i64, i64) =
            self.conn.query_row(
                "SELECT count(*), count(base_id), count(base2_id),
                        coalesce(sum(raw_size), 0), coalesce(sum(length(data)), 0) FROM blobs",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )?;
        let non_negative = |n: i64| u64::try_from(n).unwrap_or(0);
        Ok(StoreStats {
            versions: non_negative(versions),
            blobs: non_negative(blobs),
            delta_blobs: non_negative(delta_blobs),
            two_base_blobs: non_negative(two_base),
            raw_bytes: non_negative(raw),
            stored_bytes: non_negative(stored),
        })
    }
}

/// Columns of [`VersionInfo`], in [`version_row`]'s order.
const VERSION_SELECT: &str = "
SELECT v.id, a.guid, a.has_gecko_id, v.name, v.version, v.source_name, v.xpi_sha256,
       v.xpi_size, v.imported_at, v.manifest_version,
       (SELECT count(*) FROM entries e WHERE e.version_id = v.id),
       (SELECT coalesce(sum(b.raw_size), 0) FROM entries e JOIN blobs b ON b.id = e.blob_id
        WHERE e.version_id = v.id),
       v.format, v.kind, v.signature_note, v.root_prefix,
       (SELECT count(*) FROM versions o
        WHERE o.addon_id = v.addon_id AND o.version = v.version AND o.id <> v.id),
       (SELECT g.page_url FROM version_origins g WHERE g.version_id = v.id)
FROM versions v
JOIN addons a ON a.id = v.addon_id";

/// Maps a [`VERSION_SELECT`] row; out-of-range numbers become SQLite conversion errors.
fn version_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<VersionInfo, StoreError>> {
    let id: i64 = r.get(0)?;
    let corrupt = |reason: &str| StoreError::CorruptRow {
        table: "versions",
        key: id.to_string(),
        reason: reason.to_owned(),
    };
    let xpi_size: i64 = r.get(7)?;
    let manifest_version: i64 = r.get(9)?;
    let files: i64 = r.get(10)?;
    let total_size: i64 = r.get(11)?;
    let (Ok(xpi_size), Ok(files), Ok(total_size)) = (
        u64::try_from(xpi_size),
        u64::try_from(files),
        u64::try_from(total_size),
    ) else {
        return Ok(Err(corrupt("negative size")));
    };
    let Ok(manifest_version) = u8::try_from(manifest_version) else {
        return Ok(Err(corrupt("manifest_version out of range")));
    };
    let format: String = r.get(12)?;
    let Some(format) = PackageFormat::from_code(&format) else {
        return Ok(Err(corrupt(&format!("unknown format {format:?}"))));
    };
    let kind: String = r.get(13)?;
    let Some(kind) = PackageKind::from_code(&kind) else {
        return Ok(Err(corrupt(&format!("unknown kind {kind:?}"))));
    };
    let same_version_builds = u64::try_from(r.get::<_, i64>(16)?).unwrap_or(0);
    let version: String = r.get(4)?;
    let xpi_sha256: String = r.get(6)?;
    Ok(Ok(VersionInfo {
        id,
        guid: r.get(1)?,
        has_gecko_id: r.get::<_, i64>(2)? != 0,
        name: r.get(3)?,
        build: BuildInfo::new(
            format,
            kind,
            r.get(14)?,
            r.get(15)?,
            &version,
            &xpi_sha256,
            same_version_builds,
        ),
        version,
        source_name: r.get(5)?,
        xpi_sha256,
        xpi_size,
        imported_at: r.get(8)?,
        manifest_version,
        files,
        total_size,
        origin: r.get(17)?,
    }))
}

/// The cached version whose package bytes hash to `sha256` (lowercase hex).
fn version_id_by_sha256(conn: &Connection, sha256: &str) -> Result<Option<i64>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT id FROM versions WHERE xpi_sha256 = ?1",
            [sha256],
            |r| r.get(0),
        )
        .optional()?)
}

fn version_by_id(conn: &Connection, id: i64) -> Result<VersionInfo, StoreError> {
    conn.query_row(
        &format!("{VERSION_SELECT} WHERE v.id = ?1"),
        [id],
        version_row,
    )
    .optional()?
    .ok_or(StoreError::VersionNotFound { id })?
}

fn version_files(conn: &Connection, version_id: i64) -> Result<Vec<FileEntry>, StoreError> {
    version_by_id(conn, version_id)?;
    let mut stmt = conn.prepare(
        "SELECT p.path, b.raw_size, b.sha256, e.category
         FROM entries e JOIN paths p ON p.id = e.path_id JOIN blobs b ON b.id = e.blob_id
         WHERE e.version_id = ?1 ORDER BY p.path",
    )?;
    let rows = stmt.query_map([version_id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, i64>(3)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (path, size, sha256, category) = row?;
        let corrupt = |reason: String| StoreError::CorruptRow {
            table: "files",
            key: format!("{version_id}/{path}"),
            reason,
        };
        let size = u64::try_from(size).map_err(|_| corrupt(format!("negative size {size}")))?;
        let category = FileCategory::from_code(category)
            .ok_or_else(|| corrupt(format!("unknown category {category}")))?;
        out.push(FileEntry {
            path,
            size,
            sha256,
            category,
        });
    }
    Ok(out)
}

/// The id of the blob with this sha256 (lowercase hex), if stored.
pub(crate) fn blob_id(conn: &Connection, sha256: &str) -> Result<Option<i64>, StoreError> {
    Ok(conn
        .query_row("SELECT id FROM blobs WHERE sha256 = ?1", [sha256], |r| {
            r.get(0)
        })
        .optional()?)
}

/// A blob row without its data: enough to plan a delta or a read.
#[derive(Debug, Clone)]
pub(crate) struct BlobMeta {
    /// sha256 (hex) the bytes must hash to.
    pub(crate) sha256: String,
    raw_size: u64,
    /// Base blob ids, first base first.
    pub(crate) bases: Vec<i64>,
    pub(crate) depth: u32,
    pub(crate) frames: u32,
}

pub(crate) fn blob_meta(conn: &Connection, id: i64) -> Result<Option<BlobMeta>, StoreError> {
    type Row = (String, i64, Option<i64>, Option<i64>, i64, i64);
    let row: Option<Row> = conn
        .query_row(
            "SELECT sha256, raw_size, base_id, base2_id, depth, frames FROM blobs WHERE id = ?1",
            [id],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            },
        )
        .optional()?;
    let Some((sha256, raw_size, base, base2, depth, frames)) = row else {
        return Ok(None);
    };
    let corrupt = |reason: String| StoreError::CorruptBlob {
        sha256: sha256.clone(),
        reason,
    };
    let raw_size = u64::try_from(raw_size)
        .ok()
        .filter(|&s| s <= MAX_BLOB_SIZE)
        .ok_or_else(|| {
            corrupt(format!(
                "declared size {raw_size} is outside 0..={MAX_BLOB_SIZE}"
            ))
        })?;
    let depth = u32::try_from(depth)
        .ok()
        .filter(|&d| d <= MAX_DELTA_DEPTH)
        .ok_or_else(|| {
            corrupt(format!(
                "delta depth {depth} is outside 0..={MAX_DELTA_DEPTH}"
            ))
        })?;
    let frames = u32::try_from(frames)
        .ok()
        .filter(|&f| (1..=MAX_READ_FRAMES).contains(&f))
        .ok_or_else(|| {
            corrupt(format!(
                "frame count {frames} is outside 1..={MAX_READ_FRAMES}"
            ))
        })?;
    let bases = match (base, base2) {
        (None, None) => Vec::new(),
        (Some(a), None) => vec![a],
        (Some(a), Some(b)) => vec![a, b],
        (None, Some(_)) => return Err(corrupt("second base without a first".to_owned())),
    };
    Ok(Some(BlobMeta {
        sha256,
        raw_size,
        bases,
        depth,
        frames,
    }))
}

/// Reads and verifies a blob, decoding through at most [`MAX_DELTA_DEPTH`] levels of bases.
pub(crate) fn read_blob_id(conn: &Connection, id: i64) -> Result<Vec<u8>, StoreError> {
    let mut decoded = BlobCache::default();
    let raw = decode(conn, id, MAX_DELTA_DEPTH, &mut decoded)?;
    drop(decoded);
    Ok(Arc::try_unwrap(raw).unwrap_or_else(|shared| (*shared).clone()))
}

/// Reads many blobs in a row (a search over the cache), keeping what it decoded so that a base
/// shared by many deltas (the previous release of a file, for every later one) is decoded and
/// verified once. Bounded: past its budget ([`BlobCache::MAX_BYTES`] unless made smaller) it
/// starts afresh.
pub(crate) struct BlobCache {
    decoded: HashMap<i64, Arc<Vec<u8>>>,
    /// Bytes in `decoded`, kept as it grows (summing on every read cost a search seconds).
    held: usize,
    /// Bytes kept at most.
    budget: usize,
}

impl Default for BlobCache {
    fn default() -> Self {
        BlobCache::with_budget(BlobCache::MAX_BYTES)
    }
}

impl BlobCache {
    /// Decoded bytes kept at most; a search keeps its candidates' text anyway.
    const MAX_BYTES: usize = 128 * 1024 * 1024;

    /// Blob `id`, decoded and checked against its sha256 like [`read_blob_id`].
    pub(crate) fn read(&mut self, conn: &Connection, id: i64) -> Result<Arc<Vec<u8>>, StoreError> {
        if self.held > self.budget {
            self.decoded.clear();
            self.held = 0;
        }
        decode(conn, id, MAX_DELTA_DEPTH, self)
    }

    /// A cache keeping at most `budget` bytes (one of several working side by side).
    pub(crate) fn with_budget(budget: usize) -> BlobCache {
        BlobCache {
            decoded: HashMap::new(),
            held: 0,
            budget,
        }
    }

    /// Keeps `raw` as blob `id`'s bytes.
    fn keep(&mut self, id: i64, raw: &Arc<Vec<u8>>) {
        if let Some(old) = self.decoded.insert(id, Arc::clone(raw)) {
            self.held -= old.len();
        }
        self.held += raw.len();
    }
}

/// Decodes one blob, reusing bases already decoded for this read (two bases often share their
/// own base). The budget, not the rows' `depth` column, bounds the recursion, so a hostile row
/// that points at itself or at a long chain stops after a few steps.
fn decode(
    conn: &Connection,
    id: i64,
    budget: u32,
    decoded: &mut BlobCache,
) -> Result<Arc<Vec<u8>>, StoreError> {
    if let Some(raw) = decoded.decoded.get(&id) {
        return Ok(Arc::clone(raw));
    }
    let meta = blob_meta(conn, id)?.ok_or_else(|| StoreError::BlobNotFound {
        sha256: format!("(blob row {id})"),
    })?;
    let corrupt = |reason: String| StoreError::CorruptBlob {
        sha256: meta.sha256.clone(),
        reason,
    };
    if !meta.bases.is_empty() && budget == 0 {
        return Err(corrupt(format!(
            "delta chain is longer than {MAX_DELTA_DEPTH}"
        )));
    }
    let mut prefix = Vec::new();
    for &base in &meta.bases {
        let bytes = decode(conn, base, budget - 1, decoded).map_err(|e| match e {
            StoreError::BlobNotFound { .. } => {
                corrupt(format!("its delta base (blob row {base}) is missing"))
            }
            other => other,
        })?;
        prefix.extend_from_slice(&bytes);
    }
    let data: Vec<u8> =
        conn.query_row("SELECT data FROM blobs WHERE id = ?1", [id], |r| r.get(0))?;
    let raw_size = usize::try_from(meta.raw_size)
        .map_err(|_| corrupt("declared size does not fit in memory".to_owned()))?;
    let base = (!meta.bases.is_empty()).then_some(prefix.as_slice());
    let raw =
        codec::decompress(&data, base, raw_size).map_err(|e| corrupt(format!("zstd: {}", e.0)))?;
    let actual = sha256_hex(&raw);
    if actual != meta.sha256 {
        return Err(corrupt(format!("its bytes hash to {actual}")));
    }
    let raw = Arc::new(raw);
    decoded.keep(id, &raw);
    Ok(raw)
}

/// The distinct blobs a read of a delta on `bases` decodes, the delta itself not counted.
pub(crate) fn base_closure(conn: &Connection, bases: &[i64]) -> Result<HashSet<i64>, StoreError> {
    let mut seen = HashSet::new();
    let mut todo: Vec<i64> = bases.to_vec();
    // Depth ≤ 2 with two bases per blob bounds an honest closure at 6; the step cap guards
    // hostile rows.
    let mut steps = 0;
    while let Some(id) = todo.pop() {
        steps += 1;
        if steps > 16 {
            break;
        }
        if seen.insert(id)
            && let Some(meta) = blob_meta(conn, id)?
        {
            todo.extend(meta.bases.iter().copied());
        }
    }
    Ok(seen)
}

pub use vetter_archive::sha256_hex;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_openers_of_a_new_cache_all_succeed() {
        // As when the app and a second process open a new data folder at the same moment.
        let alone = tempfile::tempdir().unwrap();
        let want = Store::open(alone.path()).unwrap().schema_version().unwrap();
        for _ in 0..5 {
            let dir = tempfile::tempdir().unwrap();
            let barrier = std::sync::Arc::new(std::sync::Barrier::new(8));
            let openers: Vec<_> = (0..8)
                .map(|_| {
                    let (path, barrier) = (dir.path().to_owned(), barrier.clone());
                    std::thread::spawn(move || {
                        barrier.wait();
                        Store::open(&path).map(|s| s.schema_version())
                    })
                })
                .collect();
            for opener in openers {
                let version = opener.join().unwrap().unwrap().unwrap();
                assert_eq!(version, want);
            }
        }
    }

    #[test]
    fn fresh_cache_is_at_the_latest_schema_version() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        // Step 2 holds the version cache; later steps belong to other modules.
        assert!(store.schema_version().unwrap() >= 2);
        assert!(store.versions().unwrap().is_empty());
    }

    #[test]
    fn reopening_keeps_the_schema() {
        let dir = tempfile::tempdir().unwrap();
        let first = Store::open(dir.path()).unwrap().schema_version().unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.schema_version().unwrap(), first);
    }

    #[test]
    fn unknown_version_and_blob_are_typed_errors() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert!(matches!(
            store.version(42),
            Err(StoreError::VersionNotFound { id: 42 })
        ));
        assert!(matches!(
            store.version_files(42),
            Err(StoreError::VersionNotFound { id: 42 })
        ));
        assert!(matches!(
            store.read_file(42, "a.js"),
            Err(StoreError::VersionNotFound { id: 42 })
        ));
        assert!(matches!(
            store.read_blob(&"0".repeat(64)),
            Err(StoreError::BlobNotFound { .. })
        ));
    }
}
