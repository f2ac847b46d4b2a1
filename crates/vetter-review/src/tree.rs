//! Cached versions as diff trees: the one [`FileSource`] over the cache.

use std::borrow::Cow;

use vetter_diff::{DiffError, FileSource, TreeEntry, VersionTree};
use vetter_store::Store;

/// How a cached version is named in a diff error.
pub(crate) fn cached_label(version_id: i64) -> String {
    format!("cached version {version_id}")
}

/// Reads a version's files from the cache, only when a diff needs them.
pub(crate) struct CacheSource<'s> {
    /// The cache.
    pub store: &'s Store,
    /// The cached version.
    pub version_id: i64,
}

impl FileSource for CacheSource<'_> {
    fn read(&self, path: &str) -> Result<Cow<'_, [u8]>, DiffError> {
        self.store
            .read_file(self.version_id, path)
            .map(Cow::Owned)
            .map_err(|source| DiffError::Source {
                tree: cached_label(self.version_id),
                path: path.to_owned(),
                source: Box::new(source),
            })
    }
}

/// A tree of a cached version, labelled with its name and version; bytes are read lazily.
pub fn version_tree(store: &Store, version_id: i64) -> Result<VersionTree<'_>, DiffError> {
    let listing = |source: vetter_store::StoreError| DiffError::Source {
        tree: cached_label(version_id),
        path: String::new(),
        source: Box::new(source),
    };
    let info = store.version(version_id).map_err(listing)?;
    let entries = store
        .version_files(version_id)
        .map_err(listing)?
        .into_iter()
        .map(|f| {
            (
                f.path,
                TreeEntry {
                    size: f.size,
                    sha256: f.sha256,
                },
            )
        })
        .collect();
    Ok(VersionTree::new(
        format!("{} {}", info.name, info.version),
        entries,
        Box::new(CacheSource { store, version_id }),
    ))
}
