//! Version trees: the differ's input, whatever a version came from.
//!
//! A tree is a listing (path → size + sha256) and a way to load bytes on demand. Listings are
//! enough to find unchanged files, so a diff between two cached versions reads only the files
//! that changed; the same engine runs on an XPI read into memory, on the cache, or (for tests and
//! benchmarks) on a directory.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};

use super::DiffError;
use vetter_archive::Archive;
use vetter_archive::sha256_hex;

/// Largest file a directory tree will read (the archive reader's default per-file limit).
pub const MAX_DIR_FILE: u64 = 100 * 1024 * 1024;

/// Most files a directory tree will list, so a wrong path cannot walk a whole disk.
pub const MAX_DIR_FILES: usize = 20_000;

/// What the differ knows about a file before reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeEntry {
    /// Size in bytes.
    pub size: u64,
    /// sha256 of the bytes, lowercase hex.
    pub sha256: String,
}

/// Loads the bytes of a tree's files.
pub trait FileSource {
    /// The bytes of the file at `path`.
    fn read(&self, path: &str) -> Result<Cow<'_, [u8]>, DiffError>;
}

/// A version as the differ sees it.
pub struct VersionTree<'s> {
    label: String,
    entries: BTreeMap<String, TreeEntry>,
    source: Box<dyn FileSource + 's>,
}

impl std::fmt::Debug for VersionTree<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VersionTree")
            .field("label", &self.label)
            .field("files", &self.entries.len())
            .finish()
    }
}

/// Files held in memory (an archive's entries).
struct MemorySource {
    files: HashMap<String, Vec<u8>>,
}

impl FileSource for MemorySource {
    fn read(&self, path: &str) -> Result<Cow<'_, [u8]>, DiffError> {
        self.files
            .get(path)
            .map(|b| Cow::Borrowed(b.as_slice()))
            .ok_or_else(|| DiffError::Missing {
                path: path.to_owned(),
            })
    }
}

/// Files under a directory, read on demand.
struct DirSource {
    root: PathBuf,
}

fn read_capped(path: &Path) -> Result<Vec<u8>, DiffError> {
    let io = |source| DiffError::Io {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut data = Vec::new();
    file.take(MAX_DIR_FILE + 1)
        .read_to_end(&mut data)
        .map_err(io)?;
    if data.len() as u64 > MAX_DIR_FILE {
        return Err(DiffError::TooLarge {
            path: path.display().to_string(),
            limit: MAX_DIR_FILE,
        });
    }
    Ok(data)
}

impl FileSource for DirSource {
    fn read(&self, path: &str) -> Result<Cow<'_, [u8]>, DiffError> {
        read_capped(&self.root.join(path)).map(Cow::Owned)
    }
}

impl<'s> VersionTree<'s> {
    /// A tree from a listing and a source of bytes.
    pub fn new(
        label: impl Into<String>,
        entries: BTreeMap<String, TreeEntry>,
        source: Box<dyn FileSource + 's>,
    ) -> VersionTree<'s> {
        VersionTree {
            label: label.into(),
            entries,
            source,
        }
    }

    /// A tree of in-memory files; each file is hashed once here.
    pub fn from_files(
        label: impl Into<String>,
        files: impl IntoIterator<Item = (String, Vec<u8>)>,
    ) -> VersionTree<'static> {
        let mut entries = BTreeMap::new();
        let mut map = HashMap::new();
        for (path, data) in files {
            entries.insert(
                path.clone(),
                TreeEntry {
                    size: data.len() as u64,
                    sha256: sha256_hex(&data),
                },
            );
            map.insert(path, data);
        }
        VersionTree::new(label, entries, Box::new(MemorySource { files: map }))
    }

    /// A tree of an archive already read (and validated) by [`vetter_archive`].
    pub fn from_archive(label: impl Into<String>, archive: Archive) -> VersionTree<'static> {
        VersionTree::from_files(label, archive.entries.into_iter().map(|e| (e.path, e.data)))
    }

    /// A tree of the regular files under `root` (symlinks are skipped, never followed). Meant for
    /// tests and benchmarks; reviewers' input goes through the archive reader.
    pub fn from_dir(root: &Path) -> Result<VersionTree<'static>, DiffError> {
        let mut entries = BTreeMap::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            let io = |source| DiffError::Io {
                path: dir.clone(),
                source,
            };
            for item in std::fs::read_dir(&dir).map_err(io)? {
                let item = item.map_err(io)?;
                let kind = item.file_type().map_err(io)?;
                let path = item.path();
                if kind.is_dir() {
                    stack.push(path);
                } else if kind.is_file() {
                    if entries.len() >= MAX_DIR_FILES {
                        return Err(DiffError::TooManyFiles {
                            root: root.to_owned(),
                            limit: MAX_DIR_FILES,
                        });
                    }
                    let rel = path
                        .strip_prefix(root)
                        .unwrap_or(&path)
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy())
                        .collect::<Vec<_>>()
                        .join("/");
                    let data = read_capped(&path)?;
                    entries.insert(
                        rel,
                        TreeEntry {
                            size: data.len() as u64,
                            sha256: sha256_hex(&data),
                        },
                    );
                }
            }
        }
        Ok(VersionTree::new(
            root.display().to_string(),
            entries,
            Box::new(DirSource {
                root: root.to_owned(),
            }),
        ))
    }

    /// The tree's name for messages ("name version", a path).
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Every file, sorted by path.
    pub fn entries(&self) -> &BTreeMap<String, TreeEntry> {
        &self.entries
    }

    /// The listing entry of one path.
    pub fn entry(&self, path: &str) -> Option<&TreeEntry> {
        self.entries.get(path)
    }

    /// The bytes of one file; an unknown path is an error, not an empty file.
    pub fn read(&self, path: &str) -> Result<Cow<'_, [u8]>, DiffError> {
        if !self.entries.contains_key(path) {
            return Err(DiffError::Missing {
                path: path.to_owned(),
            });
        }
        self.source.read(path)
    }
}
