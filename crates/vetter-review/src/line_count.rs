//! Line counting after a review opens: the per-file kind and line counts a [`LineCounter`]
//! computes on another thread, so the file list shows at once and fills in while the reviewer
//! reads.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;
use ts_rs::TS;
use vetter_diff::{FileChange, LineDiff, LineOptions, Whitespace, diff_lines};
use vetter_store::Store;
use vetter_text::{FileKind, TextEncoding, TextLines, classify};

use crate::changes::read_sides;
use crate::error::ReviewError;

/// A file's kind and line counts, computed after the review opened.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct FileCounts {
    /// The file's index in the review.
    pub index: u32,
    /// Its kind, from its bytes (the list's first guess came from the file names).
    pub kind: FileKind,
    /// Lines added; `None` for binary files.
    pub added: Option<u32>,
    /// Lines removed; `None` for binary files.
    pub removed: Option<u32>,
    /// Whether the line diff ran out of time.
    pub deadline_hit: bool,
    /// How the old text was decoded.
    pub old_encoding: Option<TextEncoding>,
    /// How the new text was decoded.
    pub new_encoding: Option<TextEncoding>,
}

/// One file counted by a [`LineCounter`], with the line diff the session keeps so that opening
/// the file does not diff it again.
#[derive(Debug, Clone)]
pub struct CountedFile {
    pub(crate) session: u64,
    /// The counts, as the UI shows them.
    pub counts: FileCounts,
    pub(crate) lines: Option<LineDiff>,
}

/// Kind and line counts of one change, as the diff engine computes them for a tree.
pub(crate) fn count_change(
    store: &Store,
    old_id: i64,
    new_id: i64,
    index: usize,
    change: &FileChange,
    whitespace: Whitespace,
) -> Result<(FileCounts, Option<LineDiff>), ReviewError> {
    let (ob, nb) = read_sides(store, old_id, new_id, change)?;
    Ok(count_sides(index, ob, nb, whitespace))
}

/// Kind and line counts of one change from both sides' bytes (`None` for a side the change
/// lacks); no cache access, so it runs on any thread.
fn count_sides(
    index: usize,
    ob: Option<Vec<u8>>,
    nb: Option<Vec<u8>>,
    whitespace: Whitespace,
) -> (FileCounts, Option<LineDiff>) {
    let kinds = [ob.as_deref().map(classify), nb.as_deref().map(classify)];
    let kind = if kinds.contains(&Some(FileKind::Image)) {
        FileKind::Image
    } else if kinds.contains(&Some(FileKind::Binary)) {
        FileKind::Binary
    } else {
        FileKind::Text
    };
    let mut counts = FileCounts {
        index: u32::try_from(index).unwrap_or(u32::MAX),
        kind,
        added: None,
        removed: None,
        deadline_hit: false,
        old_encoding: None,
        new_encoding: None,
    };
    if kind != FileKind::Text {
        return (counts, None);
    }
    let ot = match ob.as_deref() {
        Some(b) => TextLines::decode(b),
        None => TextLines::empty(),
    };
    let nt = match nb.as_deref() {
        Some(b) => TextLines::decode(b),
        None => TextLines::empty(),
    };
    counts.old_encoding = ob.is_some().then(|| ot.encoding());
    counts.new_encoding = nb.is_some().then(|| nt.encoding());
    let lines = diff_lines(
        &ot,
        &nt,
        &LineOptions {
            whitespace,
            ..LineOptions::default()
        },
    );
    counts.added = Some(lines.added);
    counts.removed = Some(lines.removed);
    counts.deadline_hit = lines.deadline_hit;
    (counts, Some(lines))
}

/// The line counting a review leaves for after it opens, detached from the session so that it
/// can run on another thread with its own cache connection while the reviewer reads.
#[derive(Debug)]
pub struct LineCounter {
    pub(crate) session: u64,
    pub(crate) old_id: i64,
    pub(crate) new_id: i64,
    pub(crate) whitespace: Whitespace,
    pub(crate) jobs: Vec<(usize, FileChange)>,
    pub(crate) cancel: Arc<AtomicBool>,
    pub(crate) first_view: Arc<AtomicBool>,
}

/// How long the line counter lets the first opened file go first. Both read and diff large
/// blobs; on a two-core machine counting alongside would slow the first diff the reviewer waits for.
const FIRST_VIEW_GRACE: std::time::Duration = std::time::Duration::from_millis(300);

impl LineCounter {
    /// How many files are left to count.
    pub fn len(&self) -> usize {
        self.jobs.len()
    }

    /// Whether nothing is left to count.
    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }

    /// Counts every file, in the review's order, handing each result to `each`; stops early
    /// (without error) once the session it came from is dropped.
    pub fn run(self, store: &Store, mut each: impl FnMut(CountedFile)) -> Result<(), ReviewError> {
        let start = std::time::Instant::now();
        while !self.first_view.load(Ordering::Relaxed)
            && !self.cancel.load(Ordering::Relaxed)
            && start.elapsed() < FIRST_VIEW_GRACE
        {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        // Read here, in order (the connection is this thread's); counted on every core.
        let counted = vetter_diff::parallel::ordered(
            self.jobs.len(),
            |i| {
                if self.cancel.load(Ordering::Relaxed) {
                    return Err(Halt::Cancelled);
                }
                let (index, change) = &self.jobs[i];
                let (ob, nb) =
                    read_sides(store, self.old_id, self.new_id, change).map_err(Halt::Failed)?;
                Ok((*index, ob, nb))
            },
            |(index, ob, nb)| count_sides(index, ob, nb, self.whitespace),
            |_, (counts, lines)| {
                each(CountedFile {
                    session: self.session,
                    counts,
                    lines,
                });
                Ok(())
            },
            || Halt::Failed(ReviewError::Diff(vetter_diff::DiffError::WorkerStopped)),
        );
        match counted {
            Ok(()) | Err(Halt::Cancelled) => Ok(()),
            Err(Halt::Failed(e)) => Err(e),
        }
    }
}

/// Why counting ended before the last file.
enum Halt {
    /// The session was dropped.
    Cancelled,
    /// A file could not be read, or a counting thread stopped.
    Failed(ReviewError),
}
