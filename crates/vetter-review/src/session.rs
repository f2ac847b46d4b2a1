//! The review session: one add-on's version pair opened from the cache, with every operation a
//! viewer performs on it in one `impl` (opening files, windows of rows, expanding context,
//! landing on a line, viewed marks, line counts, signals, images). The work itself lives in the
//! concern modules; this one keeps the session's state and its cache of opened files.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use serde::Serialize;
use ts_rs::TS;
use vetter_diff::{
    DiffTotals, FileChange, FileStatus, LineDiff, LineOptions, Whitespace, diff_lines,
};
use vetter_manifest::{PermissionChanges, parse_manifest, permission_changes};
use vetter_store::{PackageKind, Store, StoreError, VersionInfo};
use vetter_text::FileKind;

use crate::changes::{list_changes, read_sides, totals_of, unchanged_change};
use crate::images::{self, image_type};
use crate::layout::{
    FileLayout, FileView, MAX_WINDOW_COLS, MAX_WINDOW_ROWS, Side, ViewOptions, ViewRow,
};
use crate::line_count::{CountedFile, FileCounts, LineCounter, count_change};
use crate::side_text::SideText;
use crate::signals::{self, MAX_SIGNALS};
use crate::viewed::{viewed_count, viewed_key};
use crate::{ReviewError, ReviewSignal, SignalSource};

/// How many opened files a session keeps (texts, highlighters, layouts); older ones are dropped
/// and reopened on demand.
const KEEP_FILES: usize = 4;

/// Source of unique session ids, so counts computed for a replaced session are never applied
/// to its successor.
static NEXT_SESSION: AtomicU64 = AtomicU64::new(1);

/// One changed file of a review, with whether the reviewer has seen it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ReviewFile {
    /// What changed.
    pub change: FileChange,
    /// Whether these exact bytes at this path were marked viewed (in this or an earlier review).
    pub viewed: bool,
}

/// What the top of the review shows: the pair, what the add-on asks for now, the changed files.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ReviewSummary {
    /// The older version.
    pub old: VersionInfo,
    /// The newer version.
    pub new: VersionInfo,
    /// Permission, host-permission and content-script changes between the manifests.
    pub permissions: PermissionChanges,
    /// Changed files, sorted by path.
    pub files: Vec<ReviewFile>,
    /// Totals over the changed files.
    pub totals: DiffTotals,
    /// How many of `files` are marked viewed.
    pub viewed: u32,
    /// The whitespace mode the line counts were computed under.
    pub whitespace: Whitespace,
    /// Text files whose line counts are still being computed (see [`LineCounter`]); their
    /// `added`/`removed` are `None` until then, and `totals` counts only the others.
    pub pending: u32,
    /// Findings on the newer version: the server's scanner hits and the reviewer's own rules.
    pub signals: Vec<ReviewSignal>,
}

/// Where [`ReviewSession::reveal_line`] landed: the file, its layout with the line shown, and
/// the display row of the line.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct LineTarget {
    /// The file's index in the review (a file unchanged in the pair is appended to the list).
    pub index: u32,
    /// The file as the review now lists it.
    pub file: ReviewFile,
    /// The file's layout, with the gap that hid the line expanded.
    pub layout: FileLayout,
    /// The display row showing the line (its first wrapped piece).
    pub row: u32,
}

/// An open review of one version pair.
pub struct ReviewSession {
    id: u64,
    summary: ReviewSummary,
    guid: String,
    /// Set when the session is dropped, so its [`LineCounter`] stops.
    cancel: Arc<AtomicBool>,
    /// Set once rows of a file have been asked for (the first screen is being drawn), so its
    /// [`LineCounter`] may start.
    first_view: Arc<AtomicBool>,
    /// Which text files still wait for their line counts.
    uncounted: HashSet<usize>,
    /// Line diffs computed so far, by file index (whole-file, as stored, not pretty).
    line_diffs: HashMap<usize, LineDiff>,
    files: Vec<FileView>,
}

impl Drop for ReviewSession {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

impl ReviewSession {
    /// Opens versions `old_id` → `new_id` of one add-on from the cache: the changed files from
    /// the two listings (hashes and sizes, so a 200-file update opens at once), the permission
    /// changes, the viewed marks and the synced signals. Line counts come later, from
    /// [`ReviewSession::line_counter`] (or when a file is opened).
    pub fn open(
        store: &Store,
        old_id: i64,
        new_id: i64,
        whitespace: Whitespace,
    ) -> Result<ReviewSession, ReviewError> {
        if old_id == new_id {
            return Err(ReviewError::SameVersion { id: old_id });
        }
        let (old, new) = (store.version(old_id)?, store.version(new_id)?);
        if old.guid != new.guid {
            return Err(ReviewError::DifferentAddons {
                old_id,
                old_guid: old.guid,
                new_id,
                new_guid: new.guid,
            });
        }
        let manifest = |id: i64| -> Result<_, ReviewError> {
            let bytes = store.read_file(id, "manifest.json")?;
            parse_manifest(&bytes).map_err(|error| ReviewError::Manifest {
                version_id: id,
                error,
            })
        };
        // A package without a manifest (an npm package, a source archive) asks for nothing.
        let permissions = if old.build.kind == PackageKind::Extension
            && new.build.kind == PackageKind::Extension
        {
            permission_changes(&manifest(old_id)?, &manifest(new_id)?)
        } else {
            PermissionChanges::default()
        };
        let (changes, mut known) = list_changes(store, old_id, new_id, whitespace)?;
        let marks = store.viewed_marks(&old.guid)?;
        let mut uncounted = HashSet::new();
        let mut line_diffs = HashMap::new();
        let files: Vec<ReviewFile> = changes
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                if let Some(ld) = known.remove(&c.path) {
                    line_diffs.insert(i, ld);
                } else if c.kind == FileKind::Text || c.added.is_none() {
                    // Binary guesses are checked too: a file named .png may hold text.
                    uncounted.insert(i);
                }
                ReviewFile {
                    viewed: viewed_key(&c).is_some_and(|m| marks.contains(&m)),
                    change: c,
                }
            })
            .collect();
        let viewed = viewed_count(&files);
        let signals = signals::stored_signals(store, &old.guid, new.id)?;
        let mut session = ReviewSession {
            id: NEXT_SESSION.fetch_add(1, Ordering::Relaxed),
            guid: old.guid.clone(),
            summary: ReviewSummary {
                old,
                new,
                permissions,
                totals: totals_of(&files),
                pending: u32::try_from(uncounted.len()).unwrap_or(u32::MAX),
                files,
                viewed,
                whitespace,
                signals,
            },
            cancel: Arc::new(AtomicBool::new(false)),
            first_view: Arc::new(AtomicBool::new(false)),
            uncounted,
            line_diffs,
            files: Vec::new(),
        };
        session.list_flagged_files(store)?;
        Ok(session)
    }

    /// Appends the files that carry signals but did not change in the pair, marked unchanged,
    /// so that every finding can be reached from the file list and with `a`/`z` (a scanner hit
    /// in code the reviewer approved before still deserves a look). A signal naming a file the
    /// version does not hold stays counted but has nowhere to be shown.
    fn list_flagged_files(&mut self, store: &Store) -> Result<(), ReviewError> {
        let wanted = signals::unlisted_paths(&self.summary.files, &self.summary.signals);
        for path in wanted {
            match self.add_unchanged(store, &path) {
                Ok(_) | Err(ReviewError::Store(StoreError::FileNotFound { .. })) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// The pair, permission changes, changed files and signals.
    pub fn summary(&self) -> &ReviewSummary {
        &self.summary
    }

    /// The counting still to do, in the review's path order, to run on another thread with
    /// [`LineCounter::run`] and hand back file by file with [`ReviewSession::apply_counts`].
    pub fn line_counter(&self) -> LineCounter {
        let mut jobs: Vec<(usize, FileChange)> = self
            .uncounted
            .iter()
            .filter_map(|&i| self.summary.files.get(i).map(|f| (i, f.change.clone())))
            .collect();
        jobs.sort_by_key(|(i, _)| *i);
        LineCounter {
            session: self.id,
            old_id: self.summary.old.id,
            new_id: self.summary.new.id,
            whitespace: self.summary.whitespace,
            jobs,
            cancel: Arc::clone(&self.cancel),
            first_view: Arc::clone(&self.first_view),
        }
    }

    /// Takes one file's counts into the summary (and keeps its line diff for when the file is
    /// opened), and returns the counts the window must show for that file: these, or the ones
    /// taken when the reviewer opened the file before the counter reached it (the window hears
    /// of every file once from the counter, however it was counted). `None`, changing nothing,
    /// for counts of another session.
    pub fn apply_counts(&mut self, counted: CountedFile) -> Option<FileCounts> {
        if counted.session != self.id {
            return None;
        }
        let index = counted.counts.index as usize;
        if !self.uncounted.remove(&index) {
            // Counted already, when the file was opened: the summary has its counts.
            let f = self.summary.files.get(index)?;
            return Some(FileCounts {
                index: counted.counts.index,
                kind: f.change.kind,
                added: f.change.added,
                removed: f.change.removed,
                deadline_hit: f.change.deadline_hit,
                old_encoding: f.change.old_encoding,
                new_encoding: f.change.new_encoding,
            });
        }
        if let Some(f) = self.summary.files.get_mut(index) {
            let c = &counted.counts;
            f.change.kind = c.kind;
            f.change.added = c.added;
            f.change.removed = c.removed;
            f.change.deadline_hit = c.deadline_hit;
            f.change.old_encoding = c.old_encoding;
            f.change.new_encoding = c.new_encoding;
        }
        if let Some(ld) = counted.lines {
            self.line_diffs.entry(index).or_insert(ld);
        }
        self.summary.totals = totals_of(&self.summary.files);
        self.summary.pending = u32::try_from(self.uncounted.len()).unwrap_or(u32::MAX);
        Some(counted.counts)
    }

    /// Replaces the locally computed findings (Vetter's checks, the reviewer's rules, the
    /// linter's stored report) with `signals`, keeping the server's, up to [`MAX_SIGNALS`] in all. A rescan with other rules
    /// thus never leaves stale matches behind; files already opened pick them up when reopened.
    pub fn set_local_signals(
        &mut self,
        store: &Store,
        signals: impl IntoIterator<Item = ReviewSignal>,
    ) -> Result<(), ReviewError> {
        self.summary
            .signals
            .retain(|s| s.source == SignalSource::Server);
        let room = MAX_SIGNALS.saturating_sub(self.summary.signals.len());
        self.summary.signals.extend(
            signals
                .into_iter()
                .filter(|s| s.source != SignalSource::Server)
                .take(room),
        );
        self.files.clear();
        self.list_flagged_files(store)
    }

    /// Opens the review of `old_id` → `new_id` ahead of time and counts every file's lines at
    /// once, so that when the reviewer opens the pair (the next queue entry, prepared on a
    /// background thread) the file list, its counts and the line diffs are complete.
    pub fn prepare(
        store: &Store,
        old_id: i64,
        new_id: i64,
        whitespace: Whitespace,
    ) -> Result<ReviewSession, ReviewError> {
        let mut session = ReviewSession::open(store, old_id, new_id, whitespace)?;
        let counter = session.line_counter();
        // Nobody reads this review yet: there is no first file to let go first.
        counter.first_view.store(true, Ordering::Relaxed);
        let mut counted = Vec::new();
        counter.run(store, |c| counted.push(c))?;
        for c in counted {
            session.apply_counts(c);
        }
        Ok(session)
    }

    /// Whether this is the review of `old_id` → `new_id` under `whitespace`.
    pub fn is_pair(&self, old_id: i64, new_id: i64, whitespace: Whitespace) -> bool {
        self.summary.old.id == old_id
            && self.summary.new.id == new_id
            && self.summary.whitespace == whitespace
    }

    /// This session's identity: a later session (another pair, or the same pair reopened) has
    /// another, so background work for a replaced session can tell it is stale.
    pub fn id(&self) -> u64 {
        self.id
    }

    fn change(&self, index: usize) -> Result<&FileChange, ReviewError> {
        self.summary
            .files
            .get(index)
            .map(|f| &f.change)
            .ok_or(ReviewError::NoSuchFile {
                index,
                files: self.summary.files.len(),
            })
    }

    /// Opens file `index` (reading and highlighting lazily) laid out with `options`, and returns
    /// its layout. Reopening with other options only relayouts; expanded context is kept
    /// (except when switching pretty-printing, which shows other lines).
    pub fn view_file(
        &mut self,
        store: &Store,
        index: usize,
        options: ViewOptions,
    ) -> Result<FileLayout, ReviewError> {
        let view = self.file_view_with(store, index, options.pretty)?;
        view.lay_out(options);
        Ok(view.layout_info())
    }

    /// The opened view of file `index`, opening it when it is not cached.
    fn file_view(&mut self, store: &Store, index: usize) -> Result<&mut FileView, ReviewError> {
        let pretty = self
            .files
            .iter()
            .find(|f| f.index == index)
            .is_some_and(|f| f.pretty);
        self.file_view_with(store, index, pretty)
    }

    /// The opened view of file `index` built with or without pretty-printing.
    fn file_view_with(
        &mut self,
        store: &Store,
        index: usize,
        pretty: bool,
    ) -> Result<&mut FileView, ReviewError> {
        if let Some(at) = self
            .files
            .iter()
            .position(|f| f.index == index && f.pretty == pretty)
        {
            // Most recently used last, so the oldest is dropped first.
            let view = self.files.remove(at);
            self.files.push(view);
        } else {
            if self.uncounted.contains(&index) {
                // Opened before the counter got to it: count it now, so the list and the view
                // agree on its kind and counts.
                let change = self.change(index)?.clone();
                let (counts, lines) = count_change(
                    store,
                    self.summary.old.id,
                    self.summary.new.id,
                    index,
                    &change,
                    self.summary.whitespace,
                )?;
                self.apply_counts(CountedFile {
                    session: self.id,
                    counts,
                    lines,
                });
            }
            let view = self.open_file(store, index, pretty)?;
            self.files.retain(|f| f.index != index);
            if self.files.len() >= KEEP_FILES {
                self.files.remove(0);
            }
            self.files.push(view);
        }
        Ok(self.files.last_mut().expect("a view was just pushed"))
    }

    fn open_file(
        &self,
        store: &Store,
        index: usize,
        pretty: bool,
    ) -> Result<FileView, ReviewError> {
        let change = self.change(index)?.clone();
        if change.kind != FileKind::Text {
            return Err(ReviewError::NotText { path: change.path });
        }
        let old_path = change.old_path.as_deref().unwrap_or(&change.path);
        let (ob, nb) = read_sides(store, self.summary.old.id, self.summary.new.id, &change)?;
        let old = SideText::new(old_path, ob.as_deref(), pretty);
        let new = SideText::new(&change.path, nb.as_deref(), pretty);
        let printed = old.pretty.is_some() || new.pretty.is_some();
        let lines = match self.line_diffs.get(&index) {
            Some(ld) if !printed => ld.clone(),
            _ => diff_lines(
                &old.text,
                &new.text,
                &LineOptions {
                    whitespace: self.summary.whitespace,
                    ..LineOptions::default()
                },
            ),
        };
        let signal_lines = signals::signal_lines(&self.summary.signals, &change, &new);
        Ok(FileView::new(index, old, new, lines, pretty, signal_lines))
    }

    /// Display rows `start .. start + count` of file `index` (which must have been opened with
    /// [`ReviewSession::view_file`]), each line clipped to columns `col_start .. col_start +
    /// col_count` of its row (of its wrapped piece when wrapping).
    pub fn rows(
        &mut self,
        store: &Store,
        index: usize,
        start: u32,
        count: u32,
        col_start: u32,
        col_count: u32,
    ) -> Result<Vec<ViewRow>, ReviewError> {
        let view = self.file_view(store, index)?;
        view.ensure_laid_out();
        let start = start as usize;
        let count = count.min(MAX_WINDOW_ROWS) as usize;
        let col_start = col_start as usize;
        let col_count = col_count.min(MAX_WINDOW_COLS) as usize;
        let rows = view.window(start..start + count, col_start..col_start + col_count);
        self.first_view.store(true, Ordering::Relaxed);
        Ok(rows)
    }

    /// Shows up to `lines` more hidden lines of gap `gap` of file `index` (the gap above hunk
    /// `gap`, or below the last hunk), and returns the new layout.
    pub fn expand(
        &mut self,
        store: &Store,
        index: usize,
        gap: u32,
        lines: u32,
    ) -> Result<FileLayout, ReviewError> {
        let view = self.file_view(store, index)?;
        view.expand_gap(gap, lines);
        Ok(view.layout_info())
    }

    /// Display rows of file `index` whose line contains `needle` (case-insensitive), at most
    /// [`MAX_FIND_HITS`](crate::MAX_FIND_HITS). Lines hidden in collapsed gaps are not searched.
    pub fn find(
        &mut self,
        store: &Store,
        index: usize,
        needle: &str,
    ) -> Result<Vec<u32>, ReviewError> {
        let view = self.file_view(store, index)?;
        view.ensure_laid_out();
        Ok(view.find(needle))
    }

    /// Marks file `index` viewed (or not) for these exact bytes, and returns how many files of
    /// the review are now viewed.
    pub fn set_viewed(
        &mut self,
        store: &Store,
        index: usize,
        viewed: bool,
    ) -> Result<u32, ReviewError> {
        let change = self.change(index)?;
        if let Some(mark) = viewed_key(change) {
            store.set_viewed_mark(&self.guid, &mark, viewed)?;
        }
        if let Some(f) = self.summary.files.get_mut(index) {
            f.viewed = viewed;
        }
        self.summary.viewed = viewed_count(&self.summary.files);
        Ok(self.summary.viewed)
    }

    /// The bytes of one side of file `index` and their media type (for images; other files get
    /// `application/octet-stream`).
    pub fn file_bytes(
        &self,
        store: &Store,
        index: usize,
        side: Side,
    ) -> Result<(Vec<u8>, &'static str), ReviewError> {
        let change = self.change(index)?;
        let (id, path) = match (side, change.status) {
            (Side::Old, FileStatus::Added) | (Side::New, FileStatus::Deleted) => {
                return Err(ReviewError::NoSide {
                    path: change.path.clone(),
                    side,
                });
            }
            (Side::Old, _) => (
                self.summary.old.id,
                change.old_path.as_deref().unwrap_or(&change.path),
            ),
            (Side::New, _) => (self.summary.new.id, change.path.as_str()),
        };
        let bytes = store.read_file(id, path)?;
        let mime = image_type(&bytes);
        Ok((bytes, mime))
    }

    /// One side of an image file as a `data:` URL for an `<img>`, refused unless its magic bytes
    /// say it is a raster image (so SVG, which can carry script, is never rendered as an image
    /// here; it is text and shows as a text diff).
    pub fn image_data_url(
        &self,
        store: &Store,
        index: usize,
        side: Side,
    ) -> Result<String, ReviewError> {
        let (bytes, mime) = self.file_bytes(store, index, side)?;
        let path = self.change(index)?.path.clone();
        images::data_url(path, &bytes, mime)
    }

    /// Opens `path` of the newer version laid out with `options` and makes its 1-based `line`
    /// visible, expanding the collapsed context that hides it (with a few lines around it).
    ///
    /// A search hit or a note can point at a file that did not change in this pair; such a file
    /// is appended to the review's list as unchanged, shown whole as context, so the reviewer
    /// lands on the line instead of on "file not in this review".
    pub fn reveal_line(
        &mut self,
        store: &Store,
        path: &str,
        line: u32,
        options: ViewOptions,
    ) -> Result<LineTarget, ReviewError> {
        let index = match self
            .summary
            .files
            .iter()
            .position(|f| f.change.path == path && f.change.new_sha256.is_some())
        {
            Some(i) => i,
            None => self.add_unchanged(store, path)?,
        };
        let view = self.file_view_with(store, index, options.pretty)?;
        view.lay_out(options);
        let lines = view.new_lines();
        let row = view
            .reveal_stored_line(line)
            .ok_or_else(|| ReviewError::NoSuchLine {
                path: path.to_owned(),
                line,
                lines,
            })?;
        let layout = view.layout_info();
        let file = self
            .summary
            .files
            .get(index)
            .cloned()
            .ok_or(ReviewError::NoSuchFile {
                index,
                files: self.summary.files.len(),
            })?;
        Ok(LineTarget {
            index: u32::try_from(index).unwrap_or(u32::MAX),
            file,
            layout,
            row,
        })
    }

    /// Appends `path`, which the newer version holds with the same bytes as the older one, to
    /// the review's files as unchanged; returns its index.
    fn add_unchanged(&mut self, store: &Store, path: &str) -> Result<usize, ReviewError> {
        let bytes = store.read_file(self.summary.new.id, path)?;
        let change = unchanged_change(path, &bytes);
        let marks = store.viewed_marks(&self.guid)?;
        let viewed = viewed_key(&change).is_some_and(|m| marks.contains(&m));
        // No line diff is kept for an appended file; opening it diffs the (equal) sides.
        self.summary.files.push(ReviewFile { change, viewed });
        Ok(self.summary.files.len() - 1)
    }
}
