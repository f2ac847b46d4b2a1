//! One side's text as the viewer shows it: decoded, pretty-printed when asked, highlighted, with
//! per-line character counts and a sparse index into long lines, so a window of a giant line
//! costs the window, not the line.

use std::collections::HashMap;

use vetter_syntax::highlight::{HighlightOptions, Highlighter};
use vetter_syntax::pretty::{Position, Pretty, PrettyLang, pretty_print};
use vetter_text::{Decoded, TextLines, decode};

/// Lines longer than this (in characters) get a sparse char → byte index so that a window in the
/// middle of a giant line does not rescan it from the start.
const CHAR_INDEX_STEP: usize = 1_024;

/// One side's text and what the viewer caches about it.
pub(crate) struct SideText {
    pub(crate) text: TextLines<'static>,
    pub(crate) hl: Highlighter,
    /// Characters per line.
    pub(crate) chars: Vec<u32>,
    /// Sparse char → byte offsets of long lines, every [`CHAR_INDEX_STEP`] characters.
    char_index: HashMap<u32, Vec<u32>>,
    /// When the text shown is pretty-printed: the map back to the stored text.
    pub(crate) pretty: Option<Pretty>,
}

impl SideText {
    /// One side's text, pretty-printed when `pretty` is asked and the path is JavaScript, CSS or
    /// JSON that the pretty-printer reads (otherwise as stored).
    pub(crate) fn new(path: &str, bytes: Option<&[u8]>, pretty: bool) -> SideText {
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
    pub(crate) fn shown_line(&self, line: u32, column: Option<u32>) -> Option<u32> {
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

    pub(crate) fn chars(&self, line: u32) -> u32 {
        self.chars.get(line as usize).copied().unwrap_or(0)
    }

    /// The byte offset of character `c` of `line` (clamped to the line's end).
    pub(crate) fn byte_at(&mut self, line: u32, c: usize) -> usize {
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
