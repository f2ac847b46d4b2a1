//! Importing one package (an XPI, a CRX, a `.tgz`, any zip) as one transaction.
//!
//! The package is read and validated entirely in memory first, so a refused one writes
//! nothing. An archive with `manifest.json` at its root (after one top folder shared by every
//! path is set aside, as in an npm pack's `package/`) is an add-on; any other is kept as a
//! package, named from its `package.json` or its file name, so that npm packages and source
//! submissions diff and search like add-ons. Two different builds claiming one version string
//! are both kept: the package's sha256 is the identity of a version, not its version string. Then one `BEGIN IMMEDIATE` transaction inserts the add-on, the version, its files and
//! every blob not already stored; SQLite's WAL makes the commit the single point at which the
//! version becomes visible, so a crash or kill before it leaves no trace and one after it leaves
//! the whole version.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::Serialize;
use ts_rs::TS;

use super::similar::{self, SimilarIndex};
use super::{
    BuildInfo, FileCategory, MAX_BLOB_SIZE, MAX_DELTA_DEPTH, MAX_READ_FRAMES, PackageKind, Store,
    StoreError, base_closure, blob_id, blob_meta, codec, read_blob_id, sha256_hex,
};
use vetter_archive::{ArchiveEntry, Limits, read_package};
use vetter_manifest::{Manifest, parse_manifest, resolve_locale};

/// The name reviewers see: the manifest's, with `__MSG_…__` placeholders filled from the default
/// locale's messages when the archive ships them, as Firefox shows the add-on. The stored manifest
/// keeps the raw text; a missing or unreadable messages file leaves the name as written.
fn display_name(manifest: &Manifest, entries: &[ArchiveEntry]) -> String {
    let Some(locale) = manifest.default_locale.as_deref() else {
        return manifest.name.clone();
    };
    if !manifest.name.contains("__MSG_") {
        return manifest.name.clone();
    }
    let path = format!("_locales/{locale}/messages.json");
    let messages = entries
        .iter()
        .find(|e| e.path == path)
        .or_else(|| entries.iter().find(|e| e.path.eq_ignore_ascii_case(&path)));
    messages
        .and_then(|m| resolve_locale(manifest, &m.data).ok())
        .map_or_else(|| manifest.name.clone(), |resolved| resolved.name)
}

/// Where an import is, reported to a progress callback (and as events to the UI).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "stage", rename_all = "snake_case")]
#[ts(export)]
pub enum ImportProgress {
    /// The archive passed validation; `files` entries with `bytes` uncompressed bytes follow.
    Started {
        /// Entries to store.
        #[ts(type = "number")]
        files: u64,
        /// Their total uncompressed size.
        #[ts(type = "number")]
        bytes: u64,
    },
    /// One more entry is stored.
    Stored {
        /// Entries stored so far.
        #[ts(type = "number")]
        files_done: u64,
        /// Uncompressed bytes of those entries.
        #[ts(type = "number")]
        bytes_done: u64,
    },
    /// Every entry is written; the transaction is committing.
    Committing,
}

/// What one import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ImportSummary {
    /// The name the XPI was imported under.
    pub source_name: String,
    /// The cache's id for the version (the existing one when `already_present`).
    #[ts(type = "number")]
    pub version_id: i64,
    /// The add-on identity (see [`identity_for`]).
    pub guid: String,
    /// The add-on name from the manifest.
    pub name: String,
    /// The version string from the manifest.
    pub version: String,
    /// Files in the version.
    #[ts(type = "number")]
    pub files: u64,
    /// Blobs this import stored (whole or delta); files whose bytes were already cached add none.
    #[ts(type = "number")]
    pub new_blobs: u64,
    /// How many of `new_blobs` are deltas against a previous version's blob.
    #[ts(type = "number")]
    pub delta_blobs: u64,
    /// Uncompressed size of the version's files.
    #[ts(type = "number")]
    pub raw_bytes: u64,
    /// Compressed bytes the new blobs added to the database (row overhead not counted).
    #[ts(type = "number")]
    pub bytes_added: u64,
    /// The same package (by sha256) was already cached, so nothing was written.
    pub already_present: bool,
    /// What this build is and what tells it apart from other builds of the same version.
    #[serde(flatten)]
    #[ts(flatten)]
    pub build: BuildInfo,
}

/// The identity under which an add-on's versions are grouped: the gecko id when the manifest
/// has one (`browser_specific_settings.gecko.id` or `applications.gecko.id`), else `noid:` and
/// the manifest's `name`. Without a gecko id Firefox gives each install a random id, so the
/// name is the only thing stable across uploads; two different add-ons with the same name and no
/// id share an identity, which costs only delta efficiency, never correctness.
pub fn identity_for(manifest: &Manifest) -> (String, bool) {
    match manifest.guid.as_deref().map(str::trim) {
        Some(guid) if !guid.is_empty() => (guid.to_owned(), true),
        _ => (format!("noid:{}", manifest.name.trim()), false),
    }
}

/// The identity of a package without a manifest: `package:` and its name, so that the versions
/// of one npm package or source tree group together (and never with an add-on).
pub fn package_identity(name: &str) -> String {
    format!("package:{}", name.trim())
}

/// The files of a package with one top folder set aside when the root has no `manifest.json`
/// and every path lies under the same folder (npm's `package/`, a zipped source folder).
fn set_aside_root(mut entries: Vec<ArchiveEntry>) -> (Vec<ArchiveEntry>, Option<String>) {
    if entries.is_empty() || entries.iter().any(|e| e.path == "manifest.json") {
        return (entries, None);
    }
    let Some(top) = entries[0]
        .path
        .split_once('/')
        .map(|(top, _)| format!("{top}/"))
    else {
        return (entries, None);
    };
    if !entries.iter().all(|e| e.path.starts_with(&top)) {
        return (entries, None);
    }
    for entry in &mut entries {
        entry.path.drain(..top.len());
    }
    (entries, Some(top))
}

/// What a package without a manifest is called: `package.json`'s `name` and `version` when
/// it has both as strings, else the file name, split as `name-1.2.3` when it ends in a version.
fn package_name(entries: &[ArchiveEntry], source_name: &str) -> (String, String) {
    let from_json = entries
        .iter()
        .find(|e| e.path == "package.json")
        .and_then(|e| serde_json::from_slice::<serde_json::Value>(&e.data).ok())
        .and_then(|json| {
            let field = |key: &str| json.get(key)?.as_str().map(str::trim).map(str::to_owned);
            Some((field("name")?, field("version").unwrap_or_default()))
        })
        .filter(|(name, _)| !name.is_empty());
    from_json.unwrap_or_else(|| name_from_file(source_name))
}

/// `pdfjs-dist-4.0.379.tgz` → (`pdfjs-dist`, `4.0.379`); `src.zip` → (`src`, ``).
fn name_from_file(source_name: &str) -> (String, String) {
    let lower = source_name.to_ascii_lowercase();
    let stem_len = [".tar.gz", ".tgz", ".zip", ".xpi", ".crx", ".jar"]
        .iter()
        .find(|ext| lower.ends_with(*ext))
        .map_or(source_name.len(), |ext| source_name.len() - ext.len());
    let stem = source_name.get(..stem_len).unwrap_or(source_name);
    let split = stem.char_indices().rev().find(|&(i, c)| {
        (c == '-' || c == '_')
            && stem[i + 1..]
                .trim_start_matches('v')
                .starts_with(|d: char| d.is_ascii_digit())
    });
    match split {
        Some((i, _)) if i > 0 => (
            stem[..i].to_owned(),
            stem[i + 1..].trim_start_matches('v').to_owned(),
        ),
        _ => (stem.to_owned(), String::new()),
    }
}

/// What an import learned about the version before writing it.
struct Described {
    guid: String,
    has_gecko_id: bool,
    name: String,
    version: String,
    kind: PackageKind,
    manifest_version: u8,
    manifest_json: String,
}

impl Store {
    /// Imports one package's bytes under `source_name` (its file name, shown in lists and
    /// errors). The format (zip, CRX2, CRX3, tar.gz) is told from the bytes.
    ///
    /// Refusals from the archive reader or the manifest parser come back wrapped with the source
    /// name; nothing is written unless the whole version is. Importing bytes already cached is a
    /// no-op whose summary has `already_present` set; other bytes claiming a cached version are
    /// kept as another build of it.
    pub fn import_archive(
        &mut self,
        source_name: &str,
        xpi_bytes: &[u8],
        limits: &Limits,
        progress: &mut dyn FnMut(ImportProgress),
    ) -> Result<ImportSummary, StoreError> {
        let xpi_sha256 = sha256_hex(xpi_bytes);
        if let Some(summary) = existing_summary(&self.conn, source_name, &xpi_sha256)? {
            return Ok(summary);
        }
        let package = read_package(xpi_bytes, limits).map_err(|error| StoreError::Archive {
            source_name: source_name.to_owned(),
            error: Box::new(error),
        })?;
        let format = package.format;
        let signature_note = package.crx.as_ref().map(|h| h.note());
        let (entries, root_prefix) = set_aside_root(package.archive.entries);
        let archive = vetter_archive::Archive { entries };
        for entry in &archive.entries {
            let size = entry.data.len() as u64;
            if size > MAX_BLOB_SIZE {
                return Err(StoreError::EntryTooLarge {
                    source_name: source_name.to_owned(),
                    path: entry.path.clone(),
                    size,
                    limit: MAX_BLOB_SIZE,
                });
            }
        }
        let described = match archive.get("manifest.json") {
            Some(entry) => {
                let manifest =
                    parse_manifest(&entry.data).map_err(|error| StoreError::Manifest {
                        source_name: source_name.to_owned(),
                        error: Box::new(error),
                    })?;
                let manifest_json =
                    serde_json::to_string(&manifest).map_err(|e| StoreError::CorruptRow {
                        table: "versions",
                        key: source_name.to_owned(),
                        reason: format!("manifest does not serialize: {e}"),
                    })?;
                let (guid, has_gecko_id) = identity_for(&manifest);
                Described {
                    guid,
                    has_gecko_id,
                    name: display_name(&manifest, &archive.entries),
                    version: manifest.version.clone(),
                    kind: PackageKind::Extension,
                    manifest_version: manifest.manifest_version,
                    manifest_json,
                }
            }
            None => {
                let (name, version) = package_name(&archive.entries, source_name);
                Described {
                    guid: package_identity(&name),
                    has_gecko_id: false,
                    name,
                    version,
                    kind: PackageKind::Package,
                    manifest_version: 0,
                    manifest_json: "null".to_owned(),
                }
            }
        };
        let Described {
            guid,
            has_gecko_id,
            name,
            version,
            kind,
            manifest_version,
            manifest_json,
        } = described;
        let raw_total: u64 = archive.entries.iter().map(|e| e.data.len() as u64).sum();
        progress(ImportProgress::Started {
            files: archive.entries.len() as u64,
            bytes: raw_total,
        });

        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO addons (guid, has_gecko_id, name) VALUES (?1, ?2, ?3)
             ON CONFLICT (guid) DO UPDATE SET name = excluded.name",
            params![guid, has_gecko_id, name],
        )?;
        let addon_id: i64 =
            tx.query_row("SELECT id FROM addons WHERE guid = ?1", [&guid], |r| {
                r.get(0)
            })?;
        // Other bytes under a cached version string are another build, kept beside it.
        let same_version_builds: i64 = tx.query_row(
            "SELECT count(*) FROM versions WHERE addon_id = ?1 AND version = ?2",
            params![addon_id, version],
            |r| r.get(0),
        )?;
        let same_version_builds = u64::try_from(same_version_builds).unwrap_or(0);
        let previous: Option<i64> = tx.query_row(
            "SELECT max(id) FROM versions WHERE addon_id = ?1",
            [addon_id],
            |r| r.get(0),
        )?;
        tx.execute(
            "INSERT INTO versions (addon_id, version, name, source_name, xpi_sha256, xpi_size,
                                   imported_at, manifest_version, manifest, format, kind,
                                   signature_note, root_prefix)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), ?7, ?8,
                     ?9, ?10, ?11, ?12)",
            params![
                addon_id,
                version,
                name,
                source_name,
                xpi_sha256,
                xpi_bytes.len() as i64,
                i64::from(manifest_version),
                manifest_json,
                format.code(),
                kind.code(),
                signature_note,
                root_prefix,
            ],
        )?;
        let version_id = tx.last_insert_rowid();

        let mut summary = ImportSummary {
            source_name: source_name.to_owned(),
            version_id,
            guid,
            name: name.clone(),
            build: BuildInfo::new(
                format,
                kind,
                signature_note,
                root_prefix,
                &version,
                &xpi_sha256,
                same_version_builds,
            ),
            version,
            files: archive.entries.len() as u64,
            new_blobs: 0,
            delta_blobs: 0,
            raw_bytes: raw_total,
            bytes_added: 0,
            already_present: false,
        };
        let mut finder = BaseFinder {
            previous_version: previous,
            previous: None,
            current: SimilarIndex::default(),
        };
        let mut bytes_done = 0u64;
        // Shallower paths first: a second build of the same code usually sits deeper
        // (`legacy/build/x.js` beside `build/x.js`), and a sibling base must be stored first.
        let mut order: Vec<&ArchiveEntry> = archive.entries.iter().collect();
        order.sort_by_key(|e| (e.path.matches('/').count(), e.path.as_str()));
        let mut done = 0u64;
        for chunk in prepare_chunks(&order) {
            let shas = parallel_map(chunk, |e| sha256_hex(&e.data));
            let PreparedChunk {
                existing,
                mut fresh,
            } = prepare_blobs(&tx, source_name, &mut finder, chunk, &shas)?;
            for (i, entry) in chunk.iter().enumerate() {
                let sha256 = &shas[i];
                let blob = match (existing[i], fresh.remove(&i)) {
                    (Some(id), _) => id,
                    // The same content as an entry before it in this chunk, stored by now.
                    (None, None) => {
                        blob_id(&tx, sha256)?.ok_or_else(|| StoreError::BlobNotFound {
                            sha256: sha256.clone(),
                        })?
                    }
                    (None, Some(ready)) => {
                        let stored = store_blob(
                            &tx,
                            source_name,
                            &mut finder,
                            &entry.path,
                            sha256,
                            &entry.data,
                            ready,
                        )?;
                        summary.new_blobs += 1;
                        summary.delta_blobs += u64::from(stored.is_delta);
                        summary.bytes_added += stored.bytes;
                        stored.id
                    }
                };
                tx.execute(
                    "INSERT INTO paths (path) VALUES (?1) ON CONFLICT (path) DO NOTHING",
                    [&entry.path],
                )?;
                tx.execute(
                    "INSERT INTO entries (version_id, path_id, blob_id, category)
                     VALUES (?1, (SELECT id FROM paths WHERE path = ?2), ?3, ?4)",
                    params![
                        version_id,
                        entry.path,
                        blob,
                        FileCategory::classify(&entry.path, &entry.data).code(),
                    ],
                )?;
                bytes_done += entry.data.len() as u64;
                done += 1;
                progress(ImportProgress::Stored {
                    files_done: done,
                    bytes_done,
                });
            }
        }
        progress(ImportProgress::Committing);
        tx.commit()?;
        Ok(summary)
    }

    /// Reads a package from disk (refusing files over `limits.max_archive_size` unread) and
    /// imports it under its file name.
    pub fn import_file(
        &mut self,
        path: &Path,
        limits: &Limits,
        progress: &mut dyn FnMut(ImportProgress),
    ) -> Result<ImportSummary, StoreError> {
        let read_err = |error| StoreError::ReadSource {
            path: path.to_owned(),
            error,
        };
        let size = std::fs::metadata(path).map_err(read_err)?.len();
        // Checked before reading so a huge file is refused without being loaded.
        let limit = limits.max_archive_size;
        if size > limit {
            return Err(StoreError::SourceTooLarge {
                path: path.to_owned(),
                size,
                limit,
            });
        }
        let bytes = std::fs::read(path).map_err(read_err)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        self.import_archive(&name, &bytes, limits, progress)
    }
}

/// The summary of a package already cached by sha256, reported as a no-op.
fn existing_summary(
    conn: &Connection,
    source_name: &str,
    xpi_sha256: &str,
) -> Result<Option<ImportSummary>, StoreError> {
    let Some(id) = super::version_id_by_sha256(conn, xpi_sha256)? else {
        return Ok(None);
    };
    let info = super::version_by_id(conn, id)?;
    Ok(Some(ImportSummary {
        source_name: source_name.to_owned(),
        version_id: id,
        guid: info.guid,
        name: info.name,
        version: info.version,
        files: info.files,
        new_blobs: 0,
        delta_blobs: 0,
        raw_bytes: info.total_size,
        bytes_added: 0,
        already_present: true,
        build: info.build,
    }))
}

/// How one new blob was stored.
struct Stored {
    id: i64,
    is_delta: bool,
    bytes: u64,
}

/// Delta-base lookups shared by the entries of one import.
struct BaseFinder {
    /// The add-on's previous version, whose files are the first choice of base.
    previous_version: Option<i64>,
    /// Fingerprints of the previous version's files, built on the first new path.
    previous: Option<SimilarIndex>,
    /// Fingerprints of the blobs this import stored so far: second bases.
    current: SimilarIndex,
}

/// A base picked for a delta, with its depth.
struct Base {
    id: i64,
    depth: u32,
}

/// How deep a sibling may be. Without a previous-version base (a first import, or a new path)
/// only whole blobs qualify, so that the next version's delta against this blob still has room
/// for depth; with one, any sibling that keeps the delta within [`MAX_DELTA_DEPTH`].
fn sibling_depth_limit(bases: &[Base]) -> u32 {
    if bases.is_empty() { 1 } else { MAX_DELTA_DEPTH }
}

/// Entries prepared on every core at a time, then stored in order: enough to keep the cores
/// busy, few enough that progress moves (and pages reach the WAL) as a large package goes in.
const PREPARE_CHUNK: usize = 64;
/// Uncompressed bytes that close a chunk early.
const PREPARE_CHUNK_BYTES: usize = 2 << 20;

/// `order` cut into runs of at most [`PREPARE_CHUNK`] entries, each closed once it holds
/// [`PREPARE_CHUNK_BYTES`].
fn prepare_chunks<'a, 'e>(order: &'a [&'e ArchiveEntry]) -> Vec<&'a [&'e ArchiveEntry]> {
    let mut chunks = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, entry) in order.iter().enumerate() {
        bytes += entry.data.len();
        if i + 1 - start == PREPARE_CHUNK || bytes >= PREPARE_CHUNK_BYTES {
            chunks.push(&order[start..=i]);
            (start, bytes) = (i + 1, 0);
        }
    }
    if start < order.len() {
        chunks.push(&order[start..]);
    }
    chunks
}

/// `f` over `items` on every core, results in the items' order.
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len());
    if workers < 2 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let done: Vec<Vec<(usize, R)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else {
                            return out;
                        };
                        out.push((i, f(item)));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    let mut slots: Vec<Option<R>> = (0..items.len()).map(|_| None).collect();
    for (i, r) in done.into_iter().flatten() {
        slots[i] = Some(r);
    }
    slots
        .into_iter()
        .map(|r| r.expect("every item was worked on"))
        .collect()
}

/// What one new blob needs before it is written, worked out ahead and on every core: its
/// fingerprint, its first base with that base's bytes, and its frames compressed against that
/// base alone and whole (the latter only when the rule in [`store_blob`] may want it).
struct Prepared {
    samples: Vec<u64>,
    first: Option<Base>,
    prefix: Vec<u8>,
    delta: Option<Vec<u8>>,
    whole: Option<Vec<u8>>,
}

/// Whether a delta is small enough that the whole frame is not worth trying.
fn good_enough(frame: &[u8], data: &[u8]) -> bool {
    frame.len() <= data.len() / codec::DELTA_GOOD_ENOUGH_DIVISOR
}

/// A chunk's entries as looked up and prepared: by index in the chunk, the blob the cache
/// already holds for each, and what each content new to it needs (the first entry holding it).
struct PreparedChunk {
    existing: Vec<Option<i64>>,
    fresh: HashMap<usize, Prepared>,
}

/// Prepares the entries of `chunk` whose content the cache lacks (each content once). First
/// bases come from the previous version alone, which this import does not change, so
/// preparing ahead picks exactly what storing one by one would.
fn prepare_blobs(
    conn: &Connection,
    source_name: &str,
    finder: &mut BaseFinder,
    chunk: &[&ArchiveEntry],
    shas: &[String],
) -> Result<PreparedChunk, StoreError> {
    let mut seen = HashSet::new();
    let mut fresh = Vec::new();
    let mut existing = Vec::with_capacity(shas.len());
    for (i, sha) in shas.iter().enumerate() {
        let id = blob_id(conn, sha)?;
        if id.is_none() && seen.insert(sha.as_str()) {
            fresh.push(i);
        }
        existing.push(id);
    }
    let samples = parallel_map(&fresh, |&i| {
        let data = &chunk[i].data;
        if data.len() >= similar::MIN_SIMILAR_SIZE {
            similar::fingerprint(data)
        } else {
            Vec::new()
        }
    });
    let mut firsts = Vec::with_capacity(fresh.len());
    for (k, &i) in fresh.iter().enumerate() {
        let first = first_base(conn, finder, &chunk[i].path, &samples[k])?;
        let prefix = match &first {
            Some(base) => read_blob_id(conn, base.id)?,
            None => Vec::new(),
        };
        firsts.push((first, prefix));
    }
    let frames = parallel_map(&(0..fresh.len()).collect::<Vec<_>>(), |&k| {
        let data = &chunk[fresh[k]].data;
        let (first, prefix) = &firsts[k];
        let delta = first
            .as_ref()
            .map(|_| codec::compress_delta(prefix, data))
            .transpose()?;
        let whole = match &delta {
            Some(frame) if good_enough(frame, data) => None,
            _ => Some(codec::compress_whole(data)?),
        };
        Ok::<_, codec::CodecError>((delta, whole))
    });
    let mut out = HashMap::with_capacity(fresh.len());
    let prepared = samples.into_iter().zip(firsts).zip(frames);
    for (&i, ((samples, (first, prefix)), framed)) in fresh.iter().zip(prepared) {
        let (delta, whole) = framed.map_err(|e| StoreError::Compress {
            source_name: source_name.to_owned(),
            path: chunk[i].path.clone(),
            reason: e.0,
        })?;
        let ready = Prepared {
            samples,
            first,
            prefix,
            delta,
            whole,
        };
        out.insert(i, ready);
    }
    Ok(PreparedChunk {
        existing,
        fresh: out,
    })
}

/// The first base for `path`: the same path's blob in the previous version or, for a path new
/// in this version, the previous version's most similar file; moved down its chain when a delta
/// against it would be too deep.
fn first_base(
    conn: &Connection,
    finder: &mut BaseFinder,
    path: &str,
    samples: &[u64],
) -> Result<Option<Base>, StoreError> {
    let mut candidate = None;
    if let Some(previous_version) = finder.previous_version {
        candidate = same_path_blob(conn, previous_version, path)?;
        if candidate.is_none() && !samples.is_empty() {
            if finder.previous.is_none() {
                finder.previous = Some(similar_index(conn, previous_version)?);
            }
            candidate = finder
                .previous
                .as_ref()
                .and_then(|index| index.best(samples, similar::MIN_COVERAGE_PERCENT, None));
        }
    }
    match candidate {
        Some(id) => shallow_base(conn, id),
        None => Ok(None),
    }
}

/// Stores `data` as a delta when that is smaller, else as a whole frame.
///
/// The first base was chosen ahead ([`first_base`]). A second base is added when a blob stored
/// earlier in this import covers much of what the first lacks: release builds ship the same
/// change several times (`build/` and `legacy/build/`), and the second copy then costs little.
fn store_blob(
    conn: &Connection,
    source_name: &str,
    finder: &mut BaseFinder,
    path: &str,
    sha256: &str,
    data: &[u8],
    ready: Prepared,
) -> Result<Stored, StoreError> {
    let compress_err = |e: codec::CodecError| StoreError::Compress {
        source_name: source_name.to_owned(),
        path: path.to_owned(),
        reason: e.0,
    };
    let Prepared {
        samples,
        first,
        mut prefix,
        mut delta,
        whole,
    } = ready;
    let mut bases: Vec<Base> = first.into_iter().collect();
    if !samples.is_empty() {
        let known = similar::fingerprint(&prefix);
        let rest = similar::novel(&samples, &known);
        let exclude = bases.first().map(|b| b.id);
        let sibling = (rest.len() >= similar::MIN_NOVEL_SAMPLES)
            .then(|| {
                finder
                    .current
                    .best(&rest, similar::MIN_SIBLING_PERCENT, exclude)
            })
            .flatten();
        if let Some(sibling) = sibling
            && let Some(meta) = blob_meta(conn, sibling)?
            && meta.depth < sibling_depth_limit(&bases)
        {
            let mut all: Vec<i64> = bases.iter().map(|b| b.id).collect();
            all.push(sibling);
            // The new blob's own frame plus its bases' must stay within the limit.
            if (base_closure(conn, &all)?.len() as u32) < MAX_READ_FRAMES {
                prefix.extend_from_slice(&read_blob_id(conn, sibling)?);
                bases.push(Base {
                    id: sibling,
                    depth: meta.depth,
                });
                delta = Some(codec::compress_delta(&prefix, data).map_err(compress_err)?);
            }
        }
    }
    let frame = match delta {
        Some(frame) if good_enough(&frame, data) => frame,
        other => {
            let whole = match whole {
                Some(whole) => whole,
                None => codec::compress_whole(data).map_err(compress_err)?,
            };
            match other {
                Some(frame) if frame.len() < whole.len() => frame,
                _ => {
                    bases.clear();
                    whole
                }
            }
        }
    };
    let depth = bases.iter().map(|b| b.depth + 1).max().unwrap_or(0);
    let base_ids: Vec<i64> = bases.iter().map(|b| b.id).collect();
    let frames = 1 + base_closure(conn, &base_ids)?.len() as u32;
    conn.execute(
        "INSERT INTO blobs (sha256, raw_size, base_id, base2_id, depth, frames, data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            sha256,
            data.len() as i64,
            base_ids.first(),
            base_ids.get(1),
            depth,
            frames,
            frame
        ],
    )?;
    let id = conn.last_insert_rowid();
    finder.current.add_samples(id, samples);
    Ok(Stored {
        id,
        is_delta: !bases.is_empty(),
        bytes: frame.len() as u64,
    })
}

/// The blob at `path` in `version_id`, if it has that path.
fn same_path_blob(
    conn: &Connection,
    version_id: i64,
    path: &str,
) -> Result<Option<i64>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT e.blob_id FROM entries e JOIN paths p ON p.id = e.path_id
             WHERE e.version_id = ?1 AND p.path = ?2",
            params![version_id, path],
            |r| r.get(0),
        )
        .optional()?)
}

/// Fingerprints of every distinct blob of `version_id` large enough to be a base.
fn similar_index(conn: &Connection, version_id: i64) -> Result<SimilarIndex, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT DISTINCT e.blob_id FROM entries e JOIN blobs b ON b.id = e.blob_id
         WHERE e.version_id = ?1 AND b.raw_size >= ?2",
    )?;
    let ids = stmt
        .query_map(params![version_id, similar::MIN_SIMILAR_SIZE as i64], |r| {
            r.get::<_, i64>(0)
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut index = SimilarIndex::default();
    for id in ids {
        let data = read_blob_id(conn, id)?;
        index.add(id, &data);
    }
    Ok(index)
}

/// `id` itself if a delta against it alone stays within [`MAX_DELTA_DEPTH`] and
/// [`MAX_READ_FRAMES`], else the nearest ancestor along first bases that does.
fn shallow_base(conn: &Connection, id: i64) -> Result<Option<Base>, StoreError> {
    let mut candidate = Some(id);
    // Walking down a chain is bounded by the depth cap; the step count guards hostile rows.
    for _ in 0..=MAX_DELTA_DEPTH {
        let Some(id) = candidate else {
            return Ok(None);
        };
        let Some(meta) = blob_meta(conn, id)? else {
            return Ok(None);
        };
        if meta.depth < MAX_DELTA_DEPTH && meta.frames < MAX_READ_FRAMES {
            return Ok(Some(Base {
                id,
                depth: meta.depth,
            }));
        }
        candidate = meta.bases.first().copied();
    }
    Ok(None)
}

#[cfg(test)]
mod parallel_tests {
    use super::parallel_map;

    #[test]
    fn results_keep_the_items_order_whichever_thread_worked_them() {
        let items: Vec<u64> = (0..500).collect();
        let out = parallel_map(&items, |&i| {
            // Uneven work, so threads finish out of order.
            std::thread::sleep(std::time::Duration::from_micros((i * 7919) % 300));
            i * 3
        });
        assert_eq!(out, items.iter().map(|i| i * 3).collect::<Vec<_>>());
        assert!(parallel_map(&[] as &[u8], |_| 0).is_empty());
    }

    #[test]
    fn chunks_close_at_their_entry_count_or_their_bytes() {
        use super::{PREPARE_CHUNK, PREPARE_CHUNK_BYTES, prepare_chunks};
        let entry = |len: usize| vetter_archive::ArchiveEntry {
            path: String::new(),
            data: vec![0; len],
        };
        let small: Vec<_> = (0..PREPARE_CHUNK * 2 + 5).map(|_| entry(10)).collect();
        let refs: Vec<_> = small.iter().collect();
        let lens: Vec<usize> = prepare_chunks(&refs).iter().map(|c| c.len()).collect();
        assert_eq!(lens, [PREPARE_CHUNK, PREPARE_CHUNK, 5]);
        let big: Vec<_> = [PREPARE_CHUNK_BYTES, 1, PREPARE_CHUNK_BYTES - 1, 1, 3]
            .into_iter()
            .map(entry)
            .collect();
        let refs: Vec<_> = big.iter().collect();
        let lens: Vec<usize> = prepare_chunks(&refs).iter().map(|c| c.len()).collect();
        assert_eq!(lens, [1, 2, 2]);
        assert!(prepare_chunks(&[]).is_empty());
    }
}
