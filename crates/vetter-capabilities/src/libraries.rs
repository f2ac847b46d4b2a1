//! Where the code came from: an index of the JavaScript files of chosen npm packages, built
//! from their registry tarballs, and the identification of a version's files against it.
//!
//! A file is the library when its bytes are an indexed file's (**unmodified**), when its code
//! without whitespace and comments is (**same code**: a stripped licence header, other line
//! ends), or, for a **modified** copy, when its MinHash sketch is close to an indexed file's;
//! a modified copy carries its diff against the upstream file, which is where injected code
//! hides.
//!
//! The index lives in a folder of the data directory (`index.json` and the upstream files by
//! sha256 under `files/`), built by `vetter libs update`; it is data, never shipped.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use vetter_diff::{LineOptions, RowKind, diff_lines};
use vetter_text::TextLines;

use crate::fingerprint::{self, band_keys, normalized_hash, similarity, sketch};
use crate::{LibraryFile, LibraryState};

/// The index file's format; an index of another format is refused with a message to rebuild.
pub const INDEX_FORMAT: u32 = 1;

/// Lines of a modified copy's diff kept.
pub const MAX_DIFF_LINES: usize = 400;

/// Indexed files smaller than this are left out: one-line stubs (`module.exports = …`) would
/// "identify" every file like them.
pub const MIN_INDEXED_SIZE: usize = 512;

/// JavaScript files indexed per package.
pub const MAX_FILES_PER_PACKAGE: usize = 5_000;

/// Estimated similarity from which a file is a modified copy of an indexed one.
pub const MODIFIED_COPY: f64 = 0.5;

/// Why the library index could not be read, built or written.
#[derive(Debug, thiserror::Error)]
pub enum LibraryError {
    /// The index file or an upstream file could not be read or written.
    #[error("library index {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The index file is not an index of this format.
    #[error(
        "library index {path} is not readable as format {INDEX_FORMAT} ({reason}); run `vetter libs update` to rebuild it"
    )]
    BadIndex {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A package tarball could not be read.
    #[error("package {package}: {source}")]
    Tarball {
        /// `name@version`.
        package: String,
        /// The archive reader's refusal.
        source: vetter_archive::ArchiveError,
    },
    /// A package holds no JavaScript worth indexing.
    #[error("package {0} holds no JavaScript file of {MIN_INDEXED_SIZE} bytes or more")]
    NoJavaScript(String),
}

/// One indexed file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexedFile {
    /// Its path in the package (without the tarball's `package/` folder).
    pub path: String,
    /// sha256 of its bytes.
    pub sha256: String,
    /// [`normalized_hash`] of its text.
    pub normalized: String,
    /// Its sketch, [`fingerprint::encode`]d as hex, when it has enough code to sketch.
    pub sketch: Option<String>,
    /// Its size in bytes.
    pub size: u64,
}

/// One indexed package version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexedPackage {
    /// The npm name.
    pub name: String,
    /// The version.
    pub version: String,
    /// The sha256 of the tarball it was built from.
    pub tarball_sha256: String,
    /// Its JavaScript files.
    pub files: Vec<IndexedFile>,
}

/// What the index file holds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct IndexFile {
    format: u32,
    packages: Vec<IndexedPackage>,
}

/// A match of a version's file in the index: the package and file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LibraryMatch {
    /// Index into the packages.
    pub package: usize,
    /// Index into that package's files.
    pub file: usize,
}

/// The library index, loaded, with its lookups.
#[derive(Debug, Clone, Default)]
pub struct LibraryIndex {
    dir: Option<PathBuf>,
    packages: Vec<IndexedPackage>,
    by_sha: HashMap<String, LibraryMatch>,
    by_normalized: HashMap<String, LibraryMatch>,
    sketches: Vec<(LibraryMatch, Vec<u64>)>,
    by_band: HashMap<i64, Vec<usize>>,
    digest: String,
}

impl LibraryIndex {
    /// An index with no package (identifies nothing).
    pub fn empty() -> LibraryIndex {
        LibraryIndex::default()
    }

    /// The index in folder `dir`; an empty one when the folder has none yet.
    pub fn load(dir: &Path) -> Result<LibraryIndex, LibraryError> {
        let path = dir.join("index.json");
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(LibraryIndex {
                    dir: Some(dir.to_owned()),
                    ..LibraryIndex::default()
                });
            }
            Err(source) => return Err(LibraryError::Io { path, source }),
        };
        let file: IndexFile =
            serde_json::from_slice(&bytes).map_err(|e| LibraryError::BadIndex {
                path: path.clone(),
                reason: e.to_string(),
            })?;
        if file.format != INDEX_FORMAT {
            return Err(LibraryError::BadIndex {
                path,
                reason: format!("format {}", file.format),
            });
        }
        let mut index = LibraryIndex {
            dir: Some(dir.to_owned()),
            digest: hex::encode(Sha256::digest(&bytes)),
            ..LibraryIndex::default()
        };
        index.packages = file.packages;
        index.rebuild_lookups();
        Ok(index)
    }

    fn rebuild_lookups(&mut self) {
        self.by_sha.clear();
        self.by_normalized.clear();
        self.sketches.clear();
        self.by_band.clear();
        for (p, package) in self.packages.iter().enumerate() {
            for (f, file) in package.files.iter().enumerate() {
                let m = LibraryMatch {
                    package: p,
                    file: f,
                };
                self.by_sha.entry(file.sha256.clone()).or_insert(m);
                self.by_normalized
                    .entry(file.normalized.clone())
                    .or_insert(m);
                let decoded = file
                    .sketch
                    .as_deref()
                    .and_then(|h| hex::decode(h).ok())
                    .and_then(|b| fingerprint::decode(&b));
                if let Some(s) = decoded {
                    let at = self.sketches.len();
                    for key in band_keys(&s) {
                        self.by_band.entry(key).or_default().push(at);
                    }
                    self.sketches.push((m, s));
                }
            }
        }
    }

    /// The indexed packages.
    pub fn packages(&self) -> &[IndexedPackage] {
        &self.packages
    }

    /// Whether no package is indexed.
    pub fn is_empty(&self) -> bool {
        self.packages.is_empty()
    }

    /// A digest of the index as loaded (empty for an empty index): cached analyses made with
    /// another index are recomputed.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// Adds (or replaces) package `name@version` from its registry tarball `tarball`, writing
    /// its upstream files into the index folder; returns how many files were indexed. The
    /// index file itself is written by [`LibraryIndex::save`].
    pub fn add_package(
        &mut self,
        name: &str,
        version: &str,
        tarball: &[u8],
    ) -> Result<usize, LibraryError> {
        let spec = format!("{name}@{version}");
        let package = vetter_archive::read_package(tarball, &vetter_archive::Limits::default())
            .map_err(|source| LibraryError::Tarball {
                package: spec.clone(),
                source,
            })?;
        let dir = self.dir.clone().unwrap_or_default();
        let files_dir = dir.join("files");
        fs::create_dir_all(&files_dir).map_err(|source| LibraryError::Io {
            path: files_dir.clone(),
            source,
        })?;
        let mut files = Vec::new();
        for entry in &package.archive.entries {
            let lower = entry.path.to_ascii_lowercase();
            if !(lower.ends_with(".js") || lower.ends_with(".mjs") || lower.ends_with(".cjs"))
                || entry.data.len() < MIN_INDEXED_SIZE
            {
                continue;
            }
            if files.len() >= MAX_FILES_PER_PACKAGE {
                break;
            }
            let text = String::from_utf8_lossy(&entry.data);
            let sha = hex::encode(Sha256::digest(&entry.data));
            let stored = files_dir.join(&sha);
            if !stored.exists() {
                write_atomically(&stored, &entry.data)?;
            }
            // npm tarballs put everything under one folder (`package/`).
            let path = entry
                .path
                .split_once('/')
                .map(|(_, rest)| rest)
                .unwrap_or(&entry.path)
                .to_owned();
            files.push(IndexedFile {
                path,
                sha256: sha,
                normalized: normalized_hash(&text),
                sketch: sketch(&text).map(|s| hex::encode(fingerprint::encode(&s))),
                size: entry.data.len() as u64,
            });
        }
        if files.is_empty() {
            return Err(LibraryError::NoJavaScript(spec));
        }
        let count = files.len();
        self.packages
            .retain(|p| !(p.name == name && p.version == version));
        self.packages.push(IndexedPackage {
            name: name.to_owned(),
            version: version.to_owned(),
            tarball_sha256: hex::encode(Sha256::digest(tarball)),
            files,
        });
        self.packages
            .sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
        self.rebuild_lookups();
        Ok(count)
    }

    /// Writes the index file (atomically: a reader sees the old index or the new one).
    pub fn save(&mut self) -> Result<(), LibraryError> {
        let dir = self.dir.clone().unwrap_or_default();
        fs::create_dir_all(&dir).map_err(|source| LibraryError::Io {
            path: dir.clone(),
            source,
        })?;
        let file = IndexFile {
            format: INDEX_FORMAT,
            packages: self.packages.clone(),
        };
        let bytes = serde_json::to_vec(&file).map_err(|e| LibraryError::BadIndex {
            path: dir.join("index.json"),
            reason: e.to_string(),
        })?;
        write_atomically(&dir.join("index.json"), &bytes)?;
        self.digest = hex::encode(Sha256::digest(&bytes));
        Ok(())
    }

    /// What file `path` of a version (bytes `bytes`, decoded `text`) is in the index, if
    /// anything.
    pub fn identify(&self, path: &str, bytes: &[u8], text: &str) -> Option<LibraryFile> {
        if self.packages.is_empty() || bytes.len() < MIN_INDEXED_SIZE {
            return None;
        }
        let sha = hex::encode(Sha256::digest(bytes));
        if let Some(m) = self.by_sha.get(&sha) {
            return Some(self.describe(path, *m, LibraryState::Unmodified, text));
        }
        if let Some(m) = self.by_normalized.get(&normalized_hash(text)) {
            return Some(self.describe(path, *m, LibraryState::SameCode, text));
        }
        let mine = sketch(text)?;
        let mut best: Option<(f64, LibraryMatch)> = None;
        let mut seen = std::collections::HashSet::new();
        for key in band_keys(&mine) {
            for &i in self
                .by_band
                .get(&key)
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                if !seen.insert(i) {
                    continue;
                }
                let (m, theirs) = &self.sketches[i];
                let sim = similarity(&mine, theirs);
                if sim >= MODIFIED_COPY && best.is_none_or(|(b, _)| sim > b) {
                    best = Some((sim, *m));
                }
            }
        }
        best.map(|(_, m)| self.describe(path, m, LibraryState::Modified, text))
    }

    fn describe(
        &self,
        path: &str,
        m: LibraryMatch,
        state: LibraryState,
        text: &str,
    ) -> LibraryFile {
        let package = &self.packages[m.package];
        let file = &package.files[m.file];
        let mut out = LibraryFile {
            path: path.to_owned(),
            package: package.name.clone(),
            version: package.version.clone(),
            upstream_path: file.path.clone(),
            state,
            upstream_diff: Vec::new(),
            added: 0,
            removed: 0,
        };
        if out.state == LibraryState::Modified {
            match self.upstream_text(&file.sha256) {
                Ok(upstream) => {
                    let (diff, added, removed) = unified(
                        &upstream,
                        text,
                        &format!("{}@{}/{}", package.name, package.version, file.path),
                        path,
                    );
                    out.upstream_diff = diff;
                    out.added = added;
                    out.removed = removed;
                }
                Err(e) => out.upstream_diff = vec![format!("(upstream file unavailable: {e})")],
            }
        }
        out
    }

    fn upstream_text(&self, sha256: &str) -> Result<String, LibraryError> {
        let path = self
            .dir
            .clone()
            .unwrap_or_default()
            .join("files")
            .join(sha256);
        let bytes = fs::read(&path).map_err(|source| LibraryError::Io { path, source })?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// A unified diff of `old` against `new` with 3 lines of context, at most [`MAX_DIFF_LINES`]
/// lines (each cut to 300 characters), and the lines added and removed.
fn unified(old: &str, new: &str, old_name: &str, new_name: &str) -> (Vec<String>, u32, u32) {
    let (a, b) = (TextLines::from_text(old), TextLines::from_text(new));
    let diff = diff_lines(&a, &b, &LineOptions::default());
    let mut out = vec![format!("--- {old_name}"), format!("+++ {new_name}")];
    let (mut added, mut removed) = (0u32, 0u32);
    let line_of = |t: &TextLines<'_>, i: Option<u32>| {
        i.map(|i| {
            let l = t.content(i as usize).trim_end_matches(['\n', '\r']);
            crate::one_line(l, 300)
        })
        .unwrap_or_default()
    };
    for hunk in diff.hunks(3) {
        out.push(format!(
            "@@ -{},{} +{},{} @@",
            hunk.old_start + 1,
            hunk.old_len,
            hunk.new_start + 1,
            hunk.new_len
        ));
        for row in diff.rows(&hunk) {
            let line = match row.kind {
                RowKind::Context => format!(" {}", line_of(&a, row.old_line)),
                RowKind::Removed => {
                    removed += 1;
                    format!("-{}", line_of(&a, row.old_line))
                }
                RowKind::Added => {
                    added += 1;
                    format!("+{}", line_of(&b, row.new_line))
                }
            };
            if out.len() < MAX_DIFF_LINES {
                out.push(line);
            }
        }
    }
    if out.len() >= MAX_DIFF_LINES {
        out.push(format!("… (diff cut at {MAX_DIFF_LINES} lines)"));
    }
    (out, added, removed)
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), LibraryError> {
    let io = |source| LibraryError::Io {
        path: path.to_owned(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    tmp.write_all(bytes).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}
