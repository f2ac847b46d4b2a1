//! Review sessions: one add-on's version pair, ready for a viewer that draws a screen at a time.
//!
//! A reviewer opens a pair once and then scrolls, jumps between changes and expands context many
//! times a second, so the session diffs the pair once, keeps the opened files' texts, line diffs,
//! highlighters and row layouts, and serves any window of display rows (clipped to the columns
//! on screen) in time proportional to the window, never to the file. A 50,000-line file or a
//! 1,000,000-character line costs the same per screen as a small one.
//!
//! "Viewed" marks live in the cache keyed by add-on, path and the file's sha256, so a file marked
//! in an earlier review stays marked in later ones for as long as its bytes do not change.

pub mod links;
pub mod notes;
pub mod report;
pub mod search;
pub mod tree;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use tree::CacheSource;
use vetter_diff::{
    DiffError, DiffOptions, DiffTotals, FileChange, FileStatus, Hunk, Intraline, IntralineOptions,
    LineDiff, LineOptions, Row, RowKind, TreeEntry, VersionTree, Whitespace, diff_lines,
    diff_trees, intraline,
};
use vetter_manifest::{ManifestError, PermissionChanges, parse_manifest, permission_changes};
pub use vetter_store::signals::{ReviewSignal, SignalSource};
use vetter_store::viewed::ViewedMark;
use vetter_store::{FileCategory, FileEntry, PackageKind, Store, StoreError, VersionInfo};
use vetter_syntax::highlight::{Class, HighlightOptions, Highlighter, LineTokens};
use vetter_syntax::pretty::{Position, Pretty, PrettyLang, pretty_print};
use vetter_text::{Decoded, FileKind, TextEncoding, TextLines, classify, decode};

/// Unchanged lines shown around each change when a file is first opened.
pub const DEFAULT_CONTEXT: u32 = 3;

/// The most display rows one window request returns.
pub const MAX_WINDOW_ROWS: u32 = 2_000;

/// The most columns (characters) of one line one window request returns.
pub const MAX_WINDOW_COLS: u32 = 20_000;

/// The most matches [`ReviewSession::find`] reports.
pub const MAX_FIND_HITS: usize = 10_000;

/// How many opened files a session keeps (texts, highlighters, layouts); older ones are dropped
/// and reopened on demand.
const KEEP_FILES: usize = 4;

/// Lines longer than this (in characters) get a sparse char → byte index so that a window in the
/// middle of a giant line does not rescan it from the start.
const CHAR_INDEX_STEP: usize = 1_024;

/// Why a review could not be opened or served.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    /// The cache failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The diff engine could not read a file.
    #[error(transparent)]
    Diff(#[from] DiffError),
    /// A version's manifest no longer parses.
    #[error("the manifest of cached version {version_id} does not parse: {error}")]
    Manifest {
        /// The cached version.
        version_id: i64,
        /// What the parser said.
        error: ManifestError,
    },
    /// The two versions belong to different add-ons.
    #[error("version {old_id} belongs to {old_guid:?} but version {new_id} to {new_guid:?}")]
    DifferentAddons {
        /// Old version id.
        old_id: i64,
        /// Its add-on.
        old_guid: String,
        /// New version id.
        new_id: i64,
        /// Its add-on.
        new_guid: String,
    },
    /// The same version was picked on both sides.
    #[error("version {id} was picked on both sides; pick two different versions")]
    SameVersion {
        /// The version.
        id: i64,
    },
    /// A file index outside the review's file list.
    #[error("file {index} is not in this review, which has {files} changed files")]
    NoSuchFile {
        /// The index asked for.
        index: usize,
        /// Files in the review.
        files: usize,
    },
    /// The file has no line view (an image or other binary).
    #[error("{path:?} is not a text file, so it has no line view")]
    NotText {
        /// The file.
        path: String,
    },
    /// The file is not a raster image.
    #[error("{path:?} is not a raster image (PNG, JPEG, GIF, WebP, BMP or ICO)")]
    NotImage {
        /// The file.
        path: String,
    },
    /// The image is too large to show inline.
    #[error("{path:?} is {size} bytes, over the {limit}-byte limit for showing images")]
    ImageTooLarge {
        /// The file.
        path: String,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The line asked for is past the end of the file's new side.
    #[error("{path:?} has {lines} lines in the newer version; there is no line {line}")]
    NoSuchLine {
        /// The file.
        path: String,
        /// The 1-based line asked for.
        line: u32,
        /// Lines of the file's newer side.
        lines: usize,
    },
    /// The side asked for does not exist (the old side of an added file, the new of a deleted).
    #[error("{path:?} has no {side:?} side in this review")]
    NoSide {
        /// The file.
        path: String,
        /// The side asked for.
        side: Side,
    },
}

/// One side of a diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Side {
    /// The older version.
    Old,
    /// The newer version.
    New,
}

/// One add-on with every cached version of it, oldest import first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct AddonVersions {
    /// The add-on identity.
    pub guid: String,
    /// The name in its latest version's manifest.
    pub name: String,
    /// Its versions, oldest import first.
    pub versions: Vec<VersionInfo>,
}

impl AddonVersions {
    /// The pair a review opens with: the version before the latest, then the latest. `None`
    /// when only one version is cached.
    pub fn default_pair(&self) -> Option<(i64, i64)> {
        match self.versions.as_slice() {
            [.., old, new] => Some((old.id, new.id)),
            _ => None,
        }
    }
}

/// Every cached add-on with its versions, sorted by name (then identity).
pub fn cached_addons(store: &Store) -> Result<Vec<AddonVersions>, ReviewError> {
    let mut by_guid: BTreeMap<String, Vec<VersionInfo>> = BTreeMap::new();
    for v in store.versions()? {
        by_guid.entry(v.guid.clone()).or_default().push(v);
    }
    let mut out: Vec<AddonVersions> = by_guid
        .into_iter()
        .map(|(guid, mut versions)| {
            versions.sort_by_key(|v| v.id);
            let name = versions.last().map(|v| v.name.clone()).unwrap_or_default();
            AddonVersions {
                guid,
                name,
                versions,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        a.name
            .to_lowercase()
            .cmp(&b.name.to_lowercase())
            .then_with(|| a.guid.cmp(&b.guid))
    });
    Ok(out)
}

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

/// The most files a review lists only because signals point into them (each is read and hashed
/// when the review opens).
const MAX_FLAGGED_UNCHANGED: usize = 200;

/// The most signals a review keeps; a hostile or runaway signals body is cut here.
pub const MAX_SIGNALS: usize = 10_000;

/// A signal shown at a display row of an opened file (a target of "next signal").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SignalRow {
    /// The display row.
    pub row: u32,
    /// The signal's index in [`ReviewSummary::signals`].
    pub signal: u32,
}

/// How a text file's rows are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum DiffLayout {
    /// One column: removed lines above added lines.
    #[default]
    Unified,
    /// Two columns: old on the left, new on the right, changed lines side by side.
    Split,
}

/// The reviewer's display choices for one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ViewOptions {
    /// Unified or side by side.
    pub layout: DiffLayout,
    /// Wrap lines at this many characters (each wrapped piece is its own display row), or
    /// `None` to scroll horizontally.
    pub wrap: Option<u32>,
    /// Show (and diff) minified JavaScript, CSS and JSON pretty-printed.
    #[serde(default)]
    pub pretty: bool,
}

/// The shape of one file's rows: what a virtualized viewer needs to size its scroller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct FileLayout {
    /// The file's index in the review.
    pub index: u32,
    /// Display rows (with wrapping, each wrapped piece counts).
    pub rows: u32,
    /// The longest line, in characters (the horizontal extent when not wrapping).
    pub max_cols: u32,
    /// The display row where each change starts, in order (targets of "next change").
    pub changes: Vec<u32>,
    /// The syntax the file is highlighted as.
    pub syntax: String,
    /// Whether the line diff ran out of time (still correct, maybe not minimal).
    pub deadline_hit: bool,
    /// The options the rows are laid out with.
    pub options: ViewOptions,
    /// Whether the rows are pretty-printed (asked for, and the file is JavaScript, CSS or JSON
    /// that the pretty-printer could read).
    pub pretty: bool,
    /// The rows of this file's signals, in row order (targets of "next signal"). Signals whose
    /// line the file does not have are not listed here but stay in the summary.
    pub signals: Vec<SignalRow>,
}

/// A run of one line's text with its class; `changed` marks intraline changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ViewSpan {
    /// Add-on text: render it as a text node, never as markup.
    pub text: String,
    /// Syntax class.
    pub class: Class,
    /// Whether this run is part of the words that changed within a changed line.
    pub changed: bool,
}

/// One side of a display row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ViewCell {
    /// Line number (1-based, as editors show it).
    pub line: u32,
    /// Context, removed or added.
    pub kind: RowKind,
    /// The visible columns of the line's text.
    pub spans: Vec<ViewSpan>,
    /// Whether the line goes past the requested columns (or wrap piece).
    pub more: bool,
}

/// One display row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
#[ts(export)]
pub enum ViewRow {
    /// Unchanged lines that are hidden; expanding gap `gap` shows them.
    Gap {
        /// The display row.
        row: u32,
        /// The gap's number, for [`ReviewSession::expand`].
        gap: u32,
        /// How many lines are hidden.
        hidden: u32,
    },
    /// A line, or one wrapped piece of it.
    Line {
        /// The display row.
        row: u32,
        /// Which wrapped piece (0 for the first or when not wrapping).
        segment: u32,
        /// The old side (context and removed rows; in split layout, the left column).
        old: Option<ViewCell>,
        /// The new side (context and added rows; in split layout, the right column). In unified
        /// layout a context row carries the text once, in `old`, and only the number here.
        new: Option<ViewCell>,
    },
}

/// One line slot of a display row: which line of which side, and how it changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cell {
    line: u32,
    kind: RowKind,
    pair: Option<u32>,
}

/// A display row before rendering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Gap {
        gap: u32,
        hidden: u32,
    },
    Line {
        old: Option<Cell>,
        new: Option<Cell>,
        segment: u32,
    },
}

/// One side's text and what the viewer caches about it.
struct SideText {
    text: TextLines<'static>,
    hl: Highlighter,
    /// Characters per line.
    chars: Vec<u32>,
    /// Sparse char → byte offsets of long lines, every [`CHAR_INDEX_STEP`] characters.
    char_index: HashMap<u32, Vec<u32>>,
    /// When the text shown is pretty-printed: the map back to the stored text.
    pretty: Option<Pretty>,
}

impl SideText {
    /// One side's text, pretty-printed when `pretty` is asked and the path is JavaScript, CSS or
    /// JSON that the pretty-printer reads (otherwise as stored).
    fn new(path: &str, bytes: Option<&[u8]>, pretty: bool) -> SideText {
        let mut map = None;
        let text = match bytes {
            Some(b) => {
                let decoded = decode(b);
                let printed = PrettyLang::for_path(path)
                    .filter(|_| pretty)
                    .and_then(|lang| pretty_print(&decoded.text, lang).ok());
                match printed {
                    Some(p) => {
                        let lines = owned_lines(Decoded {
                            text: std::borrow::Cow::Owned(p.text.clone()),
                            encoding: decoded.encoding,
                            had_errors: decoded.had_errors,
                        });
                        map = Some(p);
                        lines
                    }
                    None => owned_lines(decoded),
                }
            }
            None => TextLines::empty(),
        };
        let hl = Highlighter::for_text(path, &text, HighlightOptions::default());
        let chars = (0..text.len())
            .map(|i| u32::try_from(text.content(i).chars().count()).unwrap_or(u32::MAX))
            .collect();
        SideText {
            text,
            hl,
            chars,
            char_index: HashMap::new(),
            pretty: map,
        }
    }

    /// The 0-based line shown for 1-based stored line `line` (and 1-based byte `column`), or
    /// `None` when the text has no such line.
    fn shown_line(&self, line: u32, column: Option<u32>) -> Option<u32> {
        let shown = match &self.pretty {
            Some(p) => {
                let pos = Position {
                    line,
                    column: column.map_or(0, |c| c.saturating_sub(1)),
                };
                // A column past the line's end still names the line.
                p.to_pretty(pos)
                    .or_else(|| p.to_pretty(Position { line, column: 0 }))?
                    .line
            }
            None => line,
        };
        let shown = shown.checked_sub(1)?;
        ((shown as usize) < self.text.len()).then_some(shown)
    }

    fn chars(&self, line: u32) -> u32 {
        self.chars.get(line as usize).copied().unwrap_or(0)
    }

    /// The byte offset of character `c` of `line` (clamped to the line's end).
    fn byte_at(&mut self, line: u32, c: usize) -> usize {
        let content = self.text.content(line as usize);
        if content.len() <= CHAR_INDEX_STEP {
            return content
                .char_indices()
                .nth(c)
                .map_or(content.len(), |(b, _)| b);
        }
        let index = self.char_index.entry(line).or_insert_with(|| {
            content
                .char_indices()
                .step_by(CHAR_INDEX_STEP)
                .map(|(b, _)| u32::try_from(b).unwrap_or(u32::MAX))
                .collect()
        });
        let k = c / CHAR_INDEX_STEP;
        let Some(&start) = index.get(k) else {
            return content.len();
        };
        let start = start as usize;
        content[start..]
            .char_indices()
            .nth(c - k * CHAR_INDEX_STEP)
            .map_or(content.len(), |(b, _)| start + b)
    }
}

/// Converts decoded text to an owned [`TextLines`] the session can keep.
fn owned_lines(d: Decoded<'_>) -> TextLines<'static> {
    TextLines::from_decoded(Decoded {
        text: std::borrow::Cow::Owned(d.text.into_owned()),
        encoding: d.encoding,
        had_errors: d.had_errors,
    })
}

/// An opened text file: both sides, the line diff, the hunks as expanded so far, the layout.
struct FileView {
    index: usize,
    old: SideText,
    new: SideText,
    lines: LineDiff,
    hunks: Vec<Hunk>,
    options: ViewOptions,
    slots: Vec<Slot>,
    changes: Vec<u32>,
    intraline: HashMap<(u32, u32), Intraline>,
    /// Whether the sides were built pretty-printed (asked for; see `SideText::pretty`).
    pretty: bool,
    /// The file's signals: 0-based shown line of the new side and the signal's index.
    signal_lines: Vec<(u32, u32)>,
    /// The rows of `signal_lines` under the current layout.
    signal_rows: Vec<SignalRow>,
}

impl FileView {
    fn layout_info(&self) -> FileLayout {
        let max_cols = self
            .old
            .chars
            .iter()
            .chain(&self.new.chars)
            .copied()
            .max()
            .unwrap_or(0);
        FileLayout {
            index: u32::try_from(self.index).unwrap_or(u32::MAX),
            rows: u32::try_from(self.slots.len()).unwrap_or(u32::MAX),
            max_cols,
            changes: self.changes.clone(),
            syntax: self.new.hl.syntax().name.clone(),
            deadline_hit: self.lines.deadline_hit,
            options: self.options,
            pretty: self.old.pretty.is_some() || self.new.pretty.is_some(),
            signals: self.signal_rows.clone(),
        }
    }

    /// Expands collapsed context so that every signal's line is shown, since a reviewer opening
    /// a flagged file must see the flagged line without hunting for it.
    fn reveal_signal_lines(&mut self) {
        let lines: Vec<u32> = self.signal_lines.iter().map(|(l, _)| *l).collect();
        for line in lines {
            if !self.shows_new_line(line) {
                self.expand_to_new_line(line);
            }
        }
    }

    /// Whether 0-based new line `line` is inside a hunk (or the file has no hunks and is shown
    /// whole).
    fn shows_new_line(&self, line: u32) -> bool {
        self.lines.edits.is_empty()
            || self
                .hunks
                .iter()
                .any(|h| line >= h.new_start && line < h.new_start + h.new_len)
    }

    /// Wrapped pieces of a row with the given lines.
    fn segments(&self, old: Option<Cell>, new: Option<Cell>) -> u32 {
        let Some(w) = self.options.wrap.filter(|w| *w > 0) else {
            return 1;
        };
        let pieces = |chars: u32| chars.div_ceil(w).max(1);
        let o = old.map_or(1, |c| pieces(self.old.chars(c.line)));
        let n = new.map_or(1, |c| pieces(self.new.chars(c.line)));
        o.max(n)
    }

    /// Rebuilds the display rows from the hunks and options.
    fn relayout(&mut self) {
        let mut slots = Vec::new();
        let mut changes = Vec::new();
        let push_row = |this: &FileView, slots: &mut Vec<Slot>, old, new| {
            for segment in 0..this.segments(old, new) {
                slots.push(Slot::Line { old, new, segment });
            }
        };
        if self.lines.edits.is_empty() {
            // Identical under the whitespace mode (or a pure rename): show the file as context.
            for i in 0..self.new.text.len().max(self.old.text.len()) {
                let line = u32::try_from(i).unwrap_or(u32::MAX);
                let old = (i < self.old.text.len()).then_some(Cell {
                    line,
                    kind: RowKind::Context,
                    pair: None,
                });
                let new = (i < self.new.text.len()).then_some(Cell {
                    line,
                    kind: RowKind::Context,
                    pair: None,
                });
                push_row(self, &mut slots, old, new);
            }
        }
        let mut shown_old_end = 0u32;
        for (h, hunk) in self.hunks.iter().enumerate() {
            let hidden = hunk.old_start.saturating_sub(shown_old_end);
            if hidden > 0 {
                slots.push(Slot::Gap {
                    gap: u32::try_from(h).unwrap_or(u32::MAX),
                    hidden,
                });
            }
            shown_old_end = hunk.old_start + hunk.old_len;
            let rows = self.lines.rows(hunk);
            let mut prev_context = true;
            let mut i = 0;
            while i < rows.len() {
                let row = rows[i];
                let starts_change = row.kind != RowKind::Context && prev_context;
                prev_context = row.kind == RowKind::Context;
                if starts_change {
                    changes.push(u32::try_from(slots.len()).unwrap_or(u32::MAX));
                }
                match (row.kind, self.options.layout) {
                    (RowKind::Context, _) => {
                        let (old, new) = (cell(&row, Side::Old), cell(&row, Side::New));
                        push_row(self, &mut slots, old, new);
                        i += 1;
                    }
                    (_, DiffLayout::Unified) => {
                        let c = if row.kind == RowKind::Removed {
                            (cell(&row, Side::Old), None)
                        } else {
                            (None, cell(&row, Side::New))
                        };
                        push_row(self, &mut slots, c.0, c.1);
                        i += 1;
                    }
                    (_, DiffLayout::Split) => {
                        // One change: its removed rows, then its added rows, shown side by side.
                        let start = i;
                        while i < rows.len() && rows[i].kind == RowKind::Removed {
                            i += 1;
                        }
                        let mid = i;
                        while i < rows.len() && rows[i].kind == RowKind::Added {
                            i += 1;
                        }
                        let (removed, added) = (&rows[start..mid], &rows[mid..i]);
                        for k in 0..removed.len().max(added.len()) {
                            let old = removed.get(k).and_then(|r| cell(r, Side::Old));
                            let new = added.get(k).and_then(|r| cell(r, Side::New));
                            push_row(self, &mut slots, old, new);
                        }
                        prev_context = false;
                    }
                }
            }
        }
        if !self.hunks.is_empty() {
            let hidden = self.lines.old_lines.saturating_sub(shown_old_end);
            if hidden > 0 {
                slots.push(Slot::Gap {
                    gap: u32::try_from(self.hunks.len()).unwrap_or(u32::MAX),
                    hidden,
                });
            }
        }
        self.slots = slots;
        self.changes = changes;
        let mut row_of_line: HashMap<u32, u32> = HashMap::new();
        for (r, slot) in self.slots.iter().enumerate() {
            if let Slot::Line {
                new: Some(c),
                segment: 0,
                ..
            } = slot
            {
                row_of_line
                    .entry(c.line)
                    .or_insert(u32::try_from(r).unwrap_or(u32::MAX));
            }
        }
        let mut rows: Vec<SignalRow> = self
            .signal_lines
            .iter()
            .filter_map(|&(line, signal)| {
                row_of_line.get(&line).map(|&row| SignalRow { row, signal })
            })
            .collect();
        rows.sort_by_key(|r| (r.row, r.signal));
        self.signal_rows = rows;
    }

    /// The changed byte ranges of a paired line, computed once per pair.
    fn changed_ranges(&mut self, side: Side, c: Cell) -> Vec<Range<u32>> {
        let Some(pair) = c.pair else {
            return Vec::new();
        };
        if c.kind == RowKind::Context {
            return Vec::new();
        }
        let (ol, nl) = match side {
            Side::Old => (c.line, pair),
            Side::New => (pair, c.line),
        };
        let (old, new) = (&self.old.text, &self.new.text);
        let il = self.intraline.entry((ol, nl)).or_insert_with(|| {
            intraline(
                old.content(ol as usize),
                new.content(nl as usize),
                &IntralineOptions::default(),
            )
        });
        // Lines that share almost nothing are better read whole than as a confetti of words.
        let (ol_len, nl_len) = (
            old.content(ol as usize).len(),
            new.content(nl as usize).len(),
        );
        if !il.coarse && il.unchanged_share(ol_len, nl_len) < 0.3 {
            return Vec::new();
        }
        match side {
            Side::Old => il.old.clone(),
            Side::New => il.new.clone(),
        }
    }

    /// Renders display rows `rows` with columns `cols` of each line (of each wrapped piece).
    fn window(&mut self, rows: Range<usize>, cols: Range<usize>) -> Vec<ViewRow> {
        let rows = rows.start.min(self.slots.len())..rows.end.min(self.slots.len());
        let mut want_old = Vec::new();
        let mut want_new = Vec::new();
        for slot in &self.slots[rows.clone()] {
            if let Slot::Line { old, new, .. } = slot {
                want_old.extend(old.map(|c| c.line));
                want_new.extend(new.map(|c| c.line));
            }
        }
        let old_tokens = tokens_for(&mut self.old, want_old);
        let new_tokens = tokens_for(&mut self.new, want_new);
        let unified = self.options.layout == DiffLayout::Unified;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let row = u32::try_from(r).unwrap_or(u32::MAX);
            match self.slots[r] {
                Slot::Gap { gap, hidden } => out.push(ViewRow::Gap { row, gap, hidden }),
                Slot::Line { old, new, segment } => {
                    let base = self
                        .options
                        .wrap
                        .map_or(0, |w| segment as usize * w as usize);
                    let piece_end = self.options.wrap.map_or(usize::MAX, |w| base + w as usize);
                    let chars = base.saturating_add(cols.start)
                        ..base.saturating_add(cols.end).min(piece_end);
                    // A unified context row shows its text once.
                    let skip_new_text = unified && old.is_some() && new.is_some();
                    let old_cell =
                        old.map(|c| self.render_cell(Side::Old, c, &old_tokens, &chars, false));
                    let new_cell = new.map(|c| {
                        self.render_cell(Side::New, c, &new_tokens, &chars, skip_new_text)
                    });
                    out.push(ViewRow::Line {
                        row,
                        segment,
                        old: old_cell,
                        new: new_cell,
                    });
                }
            }
        }
        out
    }

    fn render_cell(
        &mut self,
        side: Side,
        c: Cell,
        tokens: &HashMap<u32, LineTokens>,
        chars: &Range<usize>,
        number_only: bool,
    ) -> ViewCell {
        let changed = if number_only {
            Vec::new()
        } else {
            self.changed_ranges(side, c)
        };
        let st = match side {
            Side::Old => &mut self.old,
            Side::New => &mut self.new,
        };
        let total = st.chars(c.line) as usize;
        let more = chars.end < total;
        let spans = if number_only || chars.start >= total {
            Vec::new()
        } else {
            let b0 = st.byte_at(c.line, chars.start);
            let b1 = st.byte_at(c.line, chars.end);
            let content = st.text.content(c.line as usize);
            let toks = tokens.get(&c.line).map_or(&[][..], |t| &t.tokens[..]);
            build_spans(content, toks, &changed, b0..b1)
        };
        ViewCell {
            line: c.line.saturating_add(1),
            kind: c.kind,
            spans,
            more,
        }
    }

    /// Display rows (first pieces only) whose line contains `needle`, case-insensitively.
    fn find(&self, needle: &str) -> Vec<u32> {
        let needle = needle.to_lowercase();
        if needle.is_empty() {
            return Vec::new();
        }
        let contains = |text: &TextLines<'_>, line: u32| {
            text.content(line as usize)
                .to_lowercase()
                .contains(needle.as_str())
        };
        let mut hits = Vec::new();
        for (r, slot) in self.slots.iter().enumerate() {
            if let Slot::Line {
                old,
                new,
                segment: 0,
            } = slot
            {
                let hit = old.is_some_and(|c| contains(&self.old.text, c.line))
                    || new.is_some_and(|c| contains(&self.new.text, c.line));
                if hit {
                    hits.push(u32::try_from(r).unwrap_or(u32::MAX));
                    if hits.len() >= MAX_FIND_HITS {
                        break;
                    }
                }
            }
        }
        hits
    }
}

/// The cell of one side of a unified row, if the row has that side.
fn cell(row: &Row, side: Side) -> Option<Cell> {
    let line = match side {
        Side::Old => row.old_line?,
        Side::New => row.new_line?,
    };
    Some(Cell {
        line,
        kind: row.kind,
        pair: row.pair,
    })
}

/// Tokens for the given lines, highlighting each run of consecutive lines in one request so the
/// highlighter resumes from its checkpoints instead of reparsing per line.
fn tokens_for(side: &mut SideText, mut lines: Vec<u32>) -> HashMap<u32, LineTokens> {
    lines.sort_unstable();
    lines.dedup();
    let mut out = HashMap::new();
    let mut i = 0;
    while i < lines.len() {
        let start = lines[i];
        let mut end = start + 1;
        while i + 1 < lines.len() && lines[i + 1] == end {
            i += 1;
            end += 1;
        }
        i += 1;
        let range = start as usize..(end as usize).min(side.text.len());
        if let Ok(toks) = side.hl.tokens(&side.text, range) {
            for (k, t) in toks.into_iter().enumerate() {
                out.insert(start + u32::try_from(k).unwrap_or(u32::MAX), t);
            }
        }
    }
    out
}

/// Cuts `content[window]` into spans at token and intraline boundaries. Bytes no token covers
/// are plain, so a short token list never loses text.
fn build_spans(
    content: &str,
    tokens: &[vetter_syntax::highlight::Token],
    changed: &[Range<u32>],
    window: Range<usize>,
) -> Vec<ViewSpan> {
    let end = window.end.min(content.len());
    let mut cuts: Vec<(usize, Class)> = Vec::new();
    let mut covered = window.start;
    for t in tokens {
        let (s, e) = (t.start as usize, t.end as usize);
        if e <= window.start || s >= end {
            continue;
        }
        let s = s.max(window.start);
        if s > covered {
            cuts.push((covered, Class::Plain));
        }
        cuts.push((s, t.class));
        covered = e.min(end);
    }
    if covered < end || cuts.is_empty() {
        cuts.push((covered, Class::Plain));
    }
    let mut bounds: Vec<usize> = cuts.iter().map(|c| c.0).collect();
    for r in changed {
        for b in [r.start as usize, r.end as usize] {
            if b > window.start && b < end {
                bounds.push(b);
            }
        }
    }
    bounds.push(end);
    bounds.sort_unstable();
    bounds.dedup();
    let class_at = |b: usize| {
        let k = cuts.partition_point(|c| c.0 <= b);
        cuts.get(k.saturating_sub(1)).map_or(Class::Plain, |c| c.1)
    };
    let is_changed = |b: usize| {
        changed
            .iter()
            .any(|r| (r.start as usize) <= b && b < r.end as usize)
    };
    let mut spans: Vec<ViewSpan> = Vec::new();
    for w in bounds.windows(2) {
        let (s, e) = (w[0], w[1]);
        if s >= e || !content.is_char_boundary(s) || !content.is_char_boundary(e) {
            continue;
        }
        let class = class_at(s);
        let changed = is_changed(s);
        match spans.last_mut() {
            Some(last) if last.class == class && last.changed == changed => {
                last.text.push_str(&content[s..e]);
            }
            _ => spans.push(ViewSpan {
                text: content[s..e].to_owned(),
                class,
                changed,
            }),
        }
    }
    spans
}

/// The key a viewed mark is stored under: the path and the bytes the reviewer saw (the new
/// bytes, or for a deletion the old ones with `deleted` set, since seeing a file go is a
/// different fact from seeing it).
fn viewed_key(change: &FileChange) -> Option<ViewedMark> {
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

/// Source of unique session ids, so counts computed for a replaced session are never applied
/// to its successor.
static NEXT_SESSION: AtomicU64 = AtomicU64::new(1);

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

fn read_sides(
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
    session: u64,
    /// The counts, as the UI shows them.
    pub counts: FileCounts,
    lines: Option<LineDiff>,
}

/// Kind and line counts of one change, as the diff engine computes them for a tree.
fn count_change(
    store: &Store,
    old_id: i64,
    new_id: i64,
    index: usize,
    change: &FileChange,
    whitespace: Whitespace,
) -> Result<(FileCounts, Option<LineDiff>), ReviewError> {
    let (ob, nb) = read_sides(store, old_id, new_id, change)?;
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
        return Ok((counts, None));
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
    Ok((counts, Some(lines)))
}

/// The line counting a review leaves for after it opens, detached from the session so that it
/// can run on another thread with its own cache connection while the reviewer reads.
#[derive(Debug)]
pub struct LineCounter {
    session: u64,
    old_id: i64,
    new_id: i64,
    whitespace: Whitespace,
    jobs: Vec<(usize, FileChange)>,
    cancel: Arc<AtomicBool>,
    first_view: Arc<AtomicBool>,
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
        for (index, change) in &self.jobs {
            if self.cancel.load(Ordering::Relaxed) {
                break;
            }
            let (counts, lines) = count_change(
                store,
                self.old_id,
                self.new_id,
                *index,
                change,
                self.whitespace,
            )?;
            each(CountedFile {
                session: self.session,
                counts,
                lines,
            });
        }
        Ok(())
    }
}

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
fn list_changes(
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

/// How many of the pair's changed files are marked viewed. A file opened from a search hit or a
/// note while unchanged in the pair is listed too, but is not part of the review's progress.
fn viewed_count(files: &[ReviewFile]) -> u32 {
    let n = files
        .iter()
        .filter(|f| f.viewed && f.change.status != FileStatus::Unchanged)
        .count();
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Sums statuses and the line counts known so far.
fn totals_of(files: &[ReviewFile]) -> DiffTotals {
    let mut t = DiffTotals::default();
    for f in files {
        let c = &f.change;
        match c.status {
            FileStatus::Added => t.added += 1,
            FileStatus::Deleted => t.deleted += 1,
            FileStatus::Modified => t.modified += 1,
            FileStatus::Renamed => t.renamed += 1,
            FileStatus::Unchanged => t.unchanged += 1,
        }
        t.lines_added += u64::from(c.added.unwrap_or(0));
        t.lines_removed += u64::from(c.removed.unwrap_or(0));
    }
    t
}

/// The server's signals for add-on `guid`, as sync stored them, read leniently: the body is
/// the server's JSON and is treated as hostile, so entries of the wrong shape are skipped, text
/// fields are kept only as text, and at most [`MAX_SIGNALS`] are kept.
fn server_signals(store: &Store, guid: &str) -> Result<Vec<ReviewSignal>, ReviewError> {
    let body = store.server_signals_body(guid)?;
    Ok(body.map(|b| parse_server_signals(&b)).unwrap_or_default())
}

/// AMO's validation results kept with version `version_id` when it was fetched, one signal
/// per message that points at a line; read leniently, as the body is the store's JSON.
fn validator_signals(store: &Store, version_id: i64) -> Result<Vec<ReviewSignal>, ReviewError> {
    let Some(body) = store.findings(version_id, vetter_store::VALIDATOR_SOURCE)? else {
        return Ok(Vec::new());
    };
    Ok(parse_validator_signals(&body))
}

/// Parses AMO's stored linter results (`{"validation": {"messages": [...]}}`).
pub fn parse_validator_signals(body: &str) -> Vec<ReviewSignal> {
    let Ok(found) = serde_json::from_str::<vetter_protocol::amo::FileValidation>(body) else {
        return Vec::new();
    };
    let cut = |s: String| s.chars().take(1_000).collect::<String>();
    found
        .validation
        .all()
        .cloned()
        .filter_map(|m| {
            let path = m.file.clone().filter(|p| !p.is_empty())?;
            let line = m
                .line
                .and_then(|l| u32::try_from(l).ok())
                .filter(|l| *l > 0)?;
            Some(ReviewSignal {
                source: SignalSource::Server,
                scanner: "AMO validator".to_owned(),
                rule: cut(m
                    .rule()
                    .unwrap_or_else(|| m.kind.clone().unwrap_or_default())),
                message: m.message.map(cut),
                path,
                line,
                column: m
                    .column
                    .and_then(|c| u32::try_from(c).ok())
                    .filter(|c| *c > 0),
            })
        })
        .take(MAX_SIGNALS)
        .collect()
}

/// Parses a synced signals body (`{"scanners": [{"scanner", "rule", "message"?, "files":
/// [{"path", "lines": [..]}]}]}`) into one signal per file line.
pub fn parse_server_signals(body: &str) -> Vec<ReviewSignal> {
    /// Longest scanner, rule or message text kept; longer text is cut at a character boundary.
    const MAX_TEXT: usize = 1_000;
    fn text(v: &serde_json::Value) -> Option<String> {
        let s = v.as_str()?;
        let mut end = s.len().min(MAX_TEXT);
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        Some(s[..end].to_owned())
    }
    let Ok(json) = serde_json::from_str::<serde_json::Value>(body) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let scanners = json["scanners"].as_array().map_or(&[][..], Vec::as_slice);
    for hit in scanners {
        let (Some(scanner), Some(rule)) = (text(&hit["scanner"]), text(&hit["rule"])) else {
            continue;
        };
        let message = text(&hit["message"]);
        for file in hit["files"].as_array().map_or(&[][..], Vec::as_slice) {
            let Some(path) = file["path"].as_str() else {
                continue;
            };
            for line in file["lines"].as_array().map_or(&[][..], Vec::as_slice) {
                let Some(line) = line.as_u64().and_then(|l| u32::try_from(l).ok()) else {
                    continue;
                };
                if line == 0 {
                    continue;
                }
                if out.len() >= MAX_SIGNALS {
                    return out;
                }
                out.push(ReviewSignal {
                    source: SignalSource::Server,
                    scanner: scanner.clone(),
                    rule: rule.clone(),
                    message: message.clone(),
                    path: path.to_owned(),
                    line,
                    column: None,
                });
            }
        }
    }
    out
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
        let mut signals = server_signals(store, &old.guid)?;
        signals.extend(validator_signals(store, new.id)?);
        signals.truncate(MAX_SIGNALS);
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
        let listed: HashSet<&str> = self
            .summary
            .files
            .iter()
            .filter(|f| f.change.new_sha256.is_some())
            .map(|f| f.change.path.as_str())
            .collect();
        let wanted: Vec<String> = self
            .summary
            .signals
            .iter()
            .map(|s| s.path.as_str())
            .filter(|p| !p.is_empty() && !listed.contains(p))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .take(MAX_FLAGGED_UNCHANGED)
            .map(str::to_owned)
            .collect();
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
    /// opened). Returns `false`, changing nothing, for counts of another session or of a file
    /// already counted.
    pub fn apply_counts(&mut self, counted: CountedFile) -> bool {
        if counted.session != self.id {
            return false;
        }
        let index = counted.counts.index as usize;
        if !self.uncounted.remove(&index) {
            return false;
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
        true
    }

    /// Replaces the findings of the reviewer's own rules ([`SignalSource::Local`]) with
    /// `signals`, keeping the server's, up to [`MAX_SIGNALS`] in all. A rescan with other rules
    /// thus never leaves stale matches behind; files already opened pick them up when reopened.
    pub fn set_local_signals(
        &mut self,
        store: &Store,
        signals: impl IntoIterator<Item = ReviewSignal>,
    ) -> Result<(), ReviewError> {
        self.summary
            .signals
            .retain(|s| s.source != SignalSource::Local);
        let room = MAX_SIGNALS.saturating_sub(self.summary.signals.len());
        self.summary.signals.extend(
            signals
                .into_iter()
                .filter(|s| s.source == SignalSource::Local)
                .take(room),
        );
        self.files.clear();
        self.list_flagged_files(store)
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
        if view.options != options || view.slots.is_empty() {
            view.options = options;
            view.relayout();
        }
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
        let hunks = lines.hunks(DEFAULT_CONTEXT);
        let signal_lines = if change.status == FileStatus::Deleted {
            Vec::new()
        } else {
            self.summary
                .signals
                .iter()
                .enumerate()
                .filter(|(_, s)| s.path == change.path)
                .filter_map(|(i, s)| {
                    let line = new.shown_line(s.line, s.column)?;
                    Some((line, u32::try_from(i).unwrap_or(u32::MAX)))
                })
                .collect()
        };
        let mut view = FileView {
            index,
            old,
            new,
            lines,
            hunks,
            options: ViewOptions::default(),
            slots: Vec::new(),
            changes: Vec::new(),
            intraline: HashMap::new(),
            pretty,
            signal_lines,
            signal_rows: Vec::new(),
        };
        view.reveal_signal_lines();
        Ok(view)
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
        if view.slots.is_empty() {
            view.relayout();
        }
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
        let g = gap as usize;
        if g < view.hunks.len() {
            view.lines.expand_hunk(&mut view.hunks, g, lines, 0);
        } else if let Some(last) = view.hunks.len().checked_sub(1) {
            view.lines.expand_hunk(&mut view.hunks, last, 0, lines);
        }
        view.relayout();
        Ok(view.layout_info())
    }

    /// Display rows of file `index` whose line contains `needle` (case-insensitive), at most
    /// [`MAX_FIND_HITS`]. Lines hidden in collapsed gaps are not searched.
    pub fn find(
        &mut self,
        store: &Store,
        index: usize,
        needle: &str,
    ) -> Result<Vec<u32>, ReviewError> {
        let view = self.file_view(store, index)?;
        if view.slots.is_empty() {
            view.relayout();
        }
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
}

/// The largest image [`ReviewSession::image_data_url`] inlines; add-on images are icons and
/// screenshots, and a bigger one is shown by size and hash like any other binary.
pub const MAX_IMAGE_BYTES: usize = 16 * 1024 * 1024;

impl ReviewSession {
    /// One side of an image file as a `data:` URL for an `<img>`, refused unless its magic bytes
    /// say it is a raster image (so SVG, which can carry script, is never rendered as an image
    /// here; it is text and shows as a text diff).
    pub fn image_data_url(
        &self,
        store: &Store,
        index: usize,
        side: Side,
    ) -> Result<String, ReviewError> {
        use base64::Engine as _;
        let (bytes, mime) = self.file_bytes(store, index, side)?;
        let path = self.change(index)?.path.clone();
        if mime == "application/octet-stream" {
            return Err(ReviewError::NotImage { path });
        }
        if bytes.len() > MAX_IMAGE_BYTES {
            return Err(ReviewError::ImageTooLarge {
                path,
                size: bytes.len() as u64,
                limit: MAX_IMAGE_BYTES as u64,
            });
        }
        let encoded = base64::engine::general_purpose::STANDARD.encode(&bytes);
        Ok(format!("data:{mime};base64,{encoded}"))
    }
}

/// The media type of a raster image by its magic bytes, else `application/octet-stream` (which
/// an `<img>` will not render, so nothing but a recognised image is ever shown as one).
pub fn image_type(bytes: &[u8]) -> &'static str {
    const TYPES: &[(&[u8], &str)] = &[
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"\xff\xd8\xff", "image/jpeg"),
        (b"GIF87a", "image/gif"),
        (b"GIF89a", "image/gif"),
        (b"BM", "image/bmp"),
        (b"\x00\x00\x01\x00", "image/x-icon"),
    ];
    if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return "image/webp";
    }
    TYPES
        .iter()
        .find(|(magic, _)| bytes.starts_with(magic))
        .map_or("application/octet-stream", |(_, t)| t)
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

impl ReviewSession {
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
        if view.options != options || view.slots.is_empty() {
            view.options = options;
            view.relayout();
        }
        let lines = view.new.text.len();
        // `line` is a line of the file as stored; pretty-printed, it is shown elsewhere.
        let target = view
            .new
            .shown_line(line, None)
            .ok_or_else(|| ReviewError::NoSuchLine {
                path: path.to_owned(),
                line,
                lines,
            })?;
        if view.row_of_new_line(target).is_none() {
            view.expand_to_new_line(target);
            view.relayout();
        }
        let row = view
            .row_of_new_line(target)
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
        let sha = vetter_store::sha256_hex(&bytes);
        let kind = vetter_text::classify(&bytes);
        let text = kind == FileKind::Text;
        let encoding = text.then(|| decode(&bytes).encoding);
        let size = bytes.len() as u64;
        let change = FileChange {
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
        };
        let marks = store.viewed_marks(&self.guid)?;
        let viewed = viewed_key(&change).is_some_and(|m| marks.contains(&m));
        // No line diff is kept for an appended file; opening it diffs the (equal) sides.
        self.summary.files.push(ReviewFile { change, viewed });
        Ok(self.summary.files.len() - 1)
    }
}

impl FileView {
    /// The display row (first wrapped piece) showing 0-based line `line` of the new side.
    fn row_of_new_line(&self, line: u32) -> Option<u32> {
        self.slots
            .iter()
            .position(
                |s| matches!(s, Slot::Line { new: Some(c), segment: 0, .. } if c.line == line),
            )
            .map(|r| u32::try_from(r).unwrap_or(u32::MAX))
    }

    /// Expands the collapsed context that holds 0-based new line `line`, keeping
    /// [`DEFAULT_CONTEXT`] lines around it where the gap has them.
    fn expand_to_new_line(&mut self, line: u32) {
        let mut prev_new_end = 0u32;
        for (h, hunk) in self.hunks.iter().enumerate() {
            if line >= prev_new_end && line < hunk.new_start {
                let above = hunk.new_start - line + DEFAULT_CONTEXT;
                self.lines.expand_hunk(&mut self.hunks, h, above, 0);
                return;
            }
            prev_new_end = hunk.new_start + hunk.new_len;
        }
        if let Some(last) = self.hunks.len().checked_sub(1)
            && line >= prev_new_end
        {
            let below = line - prev_new_end + 1 + DEFAULT_CONTEXT;
            self.lines.expand_hunk(&mut self.hunks, last, 0, below);
        }
    }
}

#[cfg(test)]
mod reveal_tests;
#[cfg(test)]
mod tests;
