//! Row layout of an opened text file: which display rows a file has under the reviewer's
//! layout, wrapping and expanded context, and rendering any window of them (clipped to the
//! columns on screen) in time proportional to the window; also expanding gaps and finding text
//! in the file.

use std::collections::HashMap;
use std::ops::Range;

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use vetter_diff::{Hunk, Intraline, IntralineOptions, LineDiff, Row, RowKind, intraline};
use vetter_syntax::highlight::{Class, LineTokens};
use vetter_text::TextLines;

use crate::side_text::SideText;
use crate::signals::SignalRow;

/// Unchanged lines shown around each change when a file is first opened.
pub const DEFAULT_CONTEXT: u32 = 3;

/// The most display rows one window request returns.
pub const MAX_WINDOW_ROWS: u32 = 2_000;

/// The most columns (characters) of one line one window request returns.
pub const MAX_WINDOW_COLS: u32 = 20_000;

/// The most matches [`ReviewSession::find`](crate::ReviewSession::find) reports.
pub const MAX_FIND_HITS: usize = 10_000;

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
    /// Whether this run is one hidden character (a bidi control, a zero-width or other format
    /// character, see [`vetter_text::hidden`]) drawn as its marker: `text` is `<U+202E>`, never
    /// the character itself.
    pub hidden: bool,
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
        /// The gap's number, for [`ReviewSession::expand`](crate::ReviewSession::expand).
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

/// An opened text file: both sides, the line diff, the hunks as expanded so far, the layout.
pub(crate) struct FileView {
    pub(crate) index: usize,
    old: SideText,
    new: SideText,
    lines: LineDiff,
    hunks: Vec<Hunk>,
    options: ViewOptions,
    slots: Vec<Slot>,
    changes: Vec<u32>,
    intraline: HashMap<(u32, u32), Intraline>,
    /// Whether the sides were built pretty-printed (asked for; see `SideText::pretty`).
    pub(crate) pretty: bool,
    /// The file's signals: 0-based shown line of the new side and the signal's index.
    signal_lines: Vec<(u32, u32)>,
    /// The rows of `signal_lines` under the current layout.
    signal_rows: Vec<SignalRow>,
}

impl FileView {
    /// A view of file `index` with `lines` diffed between its sides, collapsed to
    /// [`DEFAULT_CONTEXT`] around each change except where `signal_lines` (0-based shown lines
    /// of the new side, with the signal's index) must be shown. Not laid out yet.
    pub(crate) fn new(
        index: usize,
        old: SideText,
        new: SideText,
        lines: LineDiff,
        pretty: bool,
        signal_lines: Vec<(u32, u32)>,
    ) -> FileView {
        let hunks = lines.hunks(DEFAULT_CONTEXT);
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
        view
    }

    /// Lays the rows out with `options`, unless they already are.
    pub(crate) fn lay_out(&mut self, options: ViewOptions) {
        if self.options != options || self.slots.is_empty() {
            self.options = options;
            self.relayout();
        }
    }

    /// Lays the rows out with the options they have, if they have not been laid out yet.
    pub(crate) fn ensure_laid_out(&mut self) {
        if self.slots.is_empty() {
            self.relayout();
        }
    }

    /// Shows up to `lines` more hidden lines of gap `gap` (the gap above hunk `gap`, or below
    /// the last hunk) and lays the rows out again.
    pub(crate) fn expand_gap(&mut self, gap: u32, lines: u32) {
        let g = gap as usize;
        if g < self.hunks.len() {
            self.lines.expand_hunk(&mut self.hunks, g, lines, 0);
        } else if let Some(last) = self.hunks.len().checked_sub(1) {
            self.lines.expand_hunk(&mut self.hunks, last, 0, lines);
        }
        self.relayout();
    }

    /// Lines of the new side as shown.
    pub(crate) fn new_lines(&self) -> usize {
        self.new.text.len()
    }

    /// Makes 1-based line `line` of the new side as stored visible (pretty-printed, it is shown
    /// elsewhere), expanding the collapsed context that hides it; returns its display row, or
    /// `None` when the side has no such line.
    pub(crate) fn reveal_stored_line(&mut self, line: u32) -> Option<u32> {
        let target = self.new.shown_line(line, None)?;
        if self.row_of_new_line(target).is_none() {
            self.expand_to_new_line(target);
            self.relayout();
        }
        self.row_of_new_line(target)
    }

    pub(crate) fn layout_info(&self) -> FileLayout {
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
    pub(crate) fn window(&mut self, rows: Range<usize>, cols: Range<usize>) -> Vec<ViewRow> {
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
    pub(crate) fn find(&self, needle: &str) -> Vec<u32> {
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
pub(crate) fn build_spans(
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
        // Hidden characters become their own marker spans here, after the token and intraline
        // cuts were made on the stored text, so no offset has to know about the markers.
        let mut at = s;
        for (i, c) in vetter_text::hidden_chars(&content[s..e]) {
            push_text(&mut spans, &content[at..s + i], class, changed);
            spans.push(ViewSpan {
                text: vetter_text::marker(c),
                class,
                changed,
                hidden: true,
            });
            at = s + i + c.len_utf8();
        }
        push_text(&mut spans, &content[at..e], class, changed);
    }
    spans
}

/// Appends plain text to the spans, joining the last span when it has the same look.
fn push_text(spans: &mut Vec<ViewSpan>, text: &str, class: Class, changed: bool) {
    if text.is_empty() {
        return;
    }
    match spans.last_mut() {
        Some(last) if last.class == class && last.changed == changed && !last.hidden => {
            last.text.push_str(text);
        }
        _ => spans.push(ViewSpan {
            text: text.to_owned(),
            class,
            changed,
            hidden: false,
        }),
    }
}
