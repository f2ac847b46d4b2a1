//! Which files changed between two cached versions, from the two listings (hashes and sizes)
//! rather than the bytes, so that even a large update opens at once; and reading a change's
//! two sides from the cache.

use std::collections::{BTreeMap, HashMap, HashSet};

use vetter_diff::{
    DiffError, DiffOptions, DiffTotals, FileChange, FileStatus, LineDiff, LineOptions, TreeEntry,
    VersionTree, Whitespace, diff_trees,
};
use vetter_store::{FileCategory, FileEntry, Store};
use vetter_text::{FileKind, decode};

use crate::tree::{self, CacheSource};
use crate::{ReviewError, ReviewFile};

/// A first guess at a file's kind from what the cache recorded at import (extension, else a
/// NUL in the first 8 KiB), refined from the bytes once the file is counted or opened. SVG is
/// text to the diff (it can carry script); only raster formats are images.
fn guess_kind(entry: &FileEntry) -> FileKind {
    match entry.category {
        FileCategory::Code | FileCategory::Text => FileKind::Text,
        FileCategory::Image => {
            let ext = entry
                .path
                .rsplit('.')
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            if ext == "svg" {
                FileKind::Text
            } else {
                FileKind::Image
            }
        }
        _ => FileKind::Binary,
    }
}

/// A change as the listing alone describes it: status, sizes, hashes and a guessed kind.
fn listed_change(
    path: &str,
    old_path: Option<&str>,
    status: FileStatus,
    oe: Option<&FileEntry>,
    ne: Option<&FileEntry>,
) -> FileChange {
    let kinds = [oe.map(guess_kind), ne.map(guess_kind)];
    let kind = if kinds.contains(&Some(FileKind::Image)) {
        FileKind::Image
    } else if kinds.contains(&Some(FileKind::Binary)) {
        FileKind::Binary
    } else {
        FileKind::Text
    };
    FileChange {
        path: path.to_owned(),
        old_path: old_path.map(str::to_owned),
        status,
        kind,
        old_size: oe.map(|e| e.size),
        new_size: ne.map(|e| e.size),
        old_sha256: oe.map(|e| e.sha256.clone()),
        new_sha256: ne.map(|e| e.sha256.clone()),
        added: None,
        removed: None,
        similarity: (status == FileStatus::Renamed).then_some(100),
        old_encoding: None,
        new_encoding: None,
        deadline_hit: false,
    }
}

/// Most bytes of unpaired deleted plus added files that opening a review reads to find renames
/// of similar (not identical) content; above it renames are found by identical bytes only, and
/// the rest show as a deletion and an addition, so a huge update still opens at once.
pub const RENAME_SCAN_BYTES: u64 = 4 * 1024 * 1024;

/// The changed files of a pair from the listings alone: modified where the hashes differ,
/// renamed where a deleted and an added path hold identical bytes (or, within
/// [`RENAME_SCAN_BYTES`], similar text, as [`diff_trees`] pairs them), with no line counts
/// except for those similar-content candidates, which had to be read anyway. Sorted by path.
pub(crate) fn list_changes(
    store: &Store,
    old_id: i64,
    new_id: i64,
    whitespace: Whitespace,
) -> Result<(Vec<FileChange>, HashMap<String, LineDiff>), ReviewError> {
    let old_files = store.version_files(old_id)?;
    let new_files = store.version_files(new_id)?;
    let old: BTreeMap<&str, &FileEntry> = old_files.iter().map(|e| (e.path.as_str(), e)).collect();
    let new: BTreeMap<&str, &FileEntry> = new_files.iter().map(|e| (e.path.as_str(), e)).collect();
    let mut out = Vec::new();
    let mut deleted: Vec<&str> = Vec::new();
    for (path, oe) in &old {
        match new.get(path) {
            Some(ne) if ne.sha256 == oe.sha256 => {}
            Some(ne) => out.push(listed_change(
                path,
                None,
                FileStatus::Modified,
                Some(oe),
                Some(ne),
            )),
            None => deleted.push(path),
        }
    }
    let mut added: Vec<&str> = new
        .keys()
        .copied()
        .filter(|p| !old.contains_key(p))
        .collect();
    // Identical bytes first, preferring the same file name: a moved file rather than a copy.
    let mut by_hash: HashMap<&str, Vec<&str>> = HashMap::new();
    for p in &deleted {
        by_hash.entry(old[p].sha256.as_str()).or_default().push(p);
    }
    let mut paired_old: HashSet<&str> = HashSet::new();
    added.retain(|p| {
        let ne = new[p];
        let Some(cands) = by_hash.get_mut(ne.sha256.as_str()) else {
            return true;
        };
        if cands.is_empty() {
            return true;
        }
        let name = p.rsplit('/').next();
        let pick = cands
            .iter()
            .position(|c| c.rsplit('/').next() == name)
            .unwrap_or(0);
        let from = cands.remove(pick);
        paired_old.insert(from);
        out.push(listed_change(
            p,
            Some(from),
            FileStatus::Renamed,
            Some(old[from]),
            Some(ne),
        ));
        false
    });
    deleted.retain(|p| !paired_old.contains(p));
    let mut lines = HashMap::new();
    let scan: u64 = deleted
        .iter()
        .map(|p| old[p].size)
        .chain(added.iter().map(|p| new[p].size))
        .sum();
    if !deleted.is_empty() && !added.is_empty() && scan <= RENAME_SCAN_BYTES {
        // The diff engine pairs the rest by content, exactly as a whole-tree diff would.
        let subtree = |files: &[&str], map: &BTreeMap<&str, &FileEntry>, id: i64| {
            let entries = files
                .iter()
                .map(|p| {
                    (
                        (*p).to_owned(),
                        TreeEntry {
                            size: map[p].size,
                            sha256: map[p].sha256.clone(),
                        },
                    )
                })
                .collect();
            VersionTree::new(
                String::new(),
                entries,
                Box::new(CacheSource {
                    store,
                    version_id: id,
                }),
            )
        };
        let options = DiffOptions {
            line: LineOptions {
                whitespace,
                ..LineOptions::default()
            },
            ..DiffOptions::default()
        };
        let tree = diff_trees(
            &subtree(&deleted, &old, old_id),
            &subtree(&added, &new, new_id),
            &options,
        )?;
        for (i, change) in tree.files.iter().enumerate() {
            if let Some(ld) = tree.line_diff(i) {
                lines.insert(change.path.clone(), ld.clone());
            }
        }
        out.extend(tree.files);
    } else {
        for p in deleted {
            out.push(listed_change(
                p,
                None,
                FileStatus::Deleted,
                Some(old[p]),
                None,
            ));
        }
        for p in added {
            out.push(listed_change(
                p,
                None,
                FileStatus::Added,
                None,
                Some(new[p]),
            ));
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok((out, lines))
}

/// File `path` as a change of its own: unchanged in the pair, both sides holding `bytes`.
pub(crate) fn unchanged_change(path: &str, bytes: &[u8]) -> FileChange {
    let sha = vetter_store::sha256_hex(bytes);
    let kind = vetter_text::classify(bytes);
    let text = kind == FileKind::Text;
    let encoding = text.then(|| decode(bytes).encoding);
    let size = bytes.len() as u64;
    FileChange {
        path: path.to_owned(),
        old_path: None,
        status: FileStatus::Unchanged,
        kind,
        old_size: Some(size),
        new_size: Some(size),
        old_sha256: Some(sha.clone()),
        new_sha256: Some(sha),
        added: text.then_some(0),
        removed: text.then_some(0),
        similarity: None,
        old_encoding: encoding,
        new_encoding: encoding,
        deadline_hit: false,
    }
}

/// Reads one side of a change from the cache, naming the version and path on failure.
fn read_side(store: &Store, version_id: i64, path: &str) -> Result<Vec<u8>, ReviewError> {
    store.read_file(version_id, path).map_err(|source| {
        ReviewError::Diff(DiffError::Source {
            tree: tree::cached_label(version_id),
            path: path.to_owned(),
            source: Box::new(source),
        })
    })
}

/// Both sides' bytes of a change (`None` for the side it does not have).
type SideBytes = (Option<Vec<u8>>, Option<Vec<u8>>);

pub(crate) fn read_sides(
    store: &Store,
    old_id: i64,
    new_id: i64,
    change: &FileChange,
) -> Result<SideBytes, ReviewError> {
    let old_path = change.old_path.as_deref().unwrap_or(&change.path);
    let ob = match change.status {
        FileStatus::Added => None,
        _ => Some(read_side(store, old_id, old_path)?),
    };
    let nb = match change.status {
        FileStatus::Deleted => None,
        _ => Some(read_side(store, new_id, &change.path)?),
    };
    Ok((ob, nb))
}

/// The totals of a review's files, counted like a diff's.
pub(crate) fn totals_of(files: &[ReviewFile]) -> DiffTotals {
    vetter_diff::totals_of(files.iter().map(|f| &f.change))
}
