//! Viewed marks: the key a mark is stored under in the cache and the review's progress, so a
//! file marked in an earlier review stays marked for as long as its bytes do not change.

use vetter_diff::{FileChange, FileStatus};
use vetter_store::viewed::ViewedMark;

use crate::ReviewFile;

/// The key a viewed mark is stored under: the path and the bytes the reviewer saw (the new
/// bytes, or for a deletion the old ones with `deleted` set, since seeing a file go is a
/// different fact from seeing it).
pub(crate) fn viewed_key(change: &FileChange) -> Option<ViewedMark> {
    let (sha256, deleted) = match (&change.new_sha256, &change.old_sha256) {
        (Some(new), _) => (new, false),
        (None, Some(old)) => (old, true),
        (None, None) => return None,
    };
    Some(ViewedMark {
        path: change.path.clone(),
        sha256: sha256.clone(),
        deleted,
    })
}

/// How many of the pair's changed files are marked viewed. A file opened from a search hit or a
/// note while unchanged in the pair is listed too, but is not part of the review's progress.
pub(crate) fn viewed_count(files: &[ReviewFile]) -> u32 {
    let n = files
        .iter()
        .filter(|f| f.viewed && f.change.status != FileStatus::Unchanged)
        .count();
    u32::try_from(n).unwrap_or(u32::MAX)
}
