//! Viewport-lazy syntax highlighting into (text, class) spans.
//!
//! A reviewer looks at one screen of a file at a time, and add-on files are often megabytes of
//! minified code, so nothing here highlights a whole file up front. A [`Highlighter`] parses only
//! as far as the lines asked for and keeps the parser's state every [`HighlightOptions::checkpoint_every`]
//! lines, so a later request for any region restarts from the nearest checkpoint instead of the
//! top. Long lines are parsed in bounded chunks and the rest of a giant line is left plain, so no
//! input can freeze the viewer. Output is classes, never HTML or colours: the UI maps a [`Class`]
//! to CSS and the CLI maps it to terminal colours.

mod classes;
mod guard;
mod native;
mod syntax;

use std::ops::Range;

use serde::Serialize;
use syntect::parsing::{ParseState, ScopeStack, SyntaxReference};
use ts_rs::TS;

pub use classes::Class;
pub use syntax::{ChosenBy, Engine, SyntaxChoice, choose_syntax};

use vetter_text::TextLines;

/// Why a highlight request could not be served.
#[derive(Debug, thiserror::Error)]
pub enum HighlightError {
    /// The requested lines lie past the end of the text.
    #[error("lines {start}..{end} requested but the text has {len} lines")]
    OutOfRange {
        /// First requested line (0-based).
        start: usize,
        /// One past the last requested line.
        end: usize,
        /// Lines in the text.
        len: usize,
    },
}

/// Bounds that keep highlighting fast on any input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HighlightOptions {
    /// Parser state is snapshotted at every line that is a multiple of this.
    pub checkpoint_every: usize,
    /// Lines longer than this (bytes) are fed to the parser in chunks.
    pub long_line: usize,
    /// Size (bytes) of one chunk of a long line.
    pub chunk: usize,
    /// At most this many bytes of one line are parsed; the rest is [`Class::Plain`] and the parser
    /// restarts from a fresh state on the next line.
    pub max_line_bytes: usize,
    /// Deeper scope stacks than this (e.g. 100,000 nested `[`) reset the parser, since such
    /// nesting makes every later step slower and carries no information a reviewer can see.
    pub max_depth: usize,
}

impl Default for HighlightOptions {
    fn default() -> Self {
        HighlightOptions {
            checkpoint_every: 128,
            long_line: 2_048,
            chunk: 1_024,
            max_line_bytes: 16 * 1024,
            max_depth: 256,
        }
    }
}

/// One highlighted run of a line: byte offsets into the line and its class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// Start byte offset within the line.
    pub start: u32,
    /// End byte offset within the line (exclusive).
    pub end: u32,
    /// The run's class.
    pub class: Class,
}

/// A run of text with its class, the unit the UI renders as one text node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Span {
    /// The text of the run (add-on content: render it as text, never as markup).
    pub text: String,
    /// What the text is.
    pub class: Class,
}

/// One highlighted line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct HighlightedLine {
    /// The line number (0-based).
    pub line: u32,
    /// The spans, covering the whole line without its line terminator.
    pub spans: Vec<Span>,
    /// Whether only a prefix of the line was parsed and the rest is plain.
    pub truncated: bool,
}

/// A snapshot of the parser at the start of a line.
#[derive(Clone)]
enum Checkpoint {
    /// The built-in lexer's few bytes of state.
    Native(native::LexState),
    /// syntect's parser and the scope stack it has built.
    Syntect {
        parse: Box<ParseState>,
        scopes: ScopeStack,
    },
}

/// Which engine highlights a file.
#[derive(Clone, Copy)]
enum Grammar {
    Native(native::Lang),
    Syntect(&'static SyntaxReference),
}

/// The tokens of one line, as byte ranges into the line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LineTokens {
    /// Runs covering the line content (without terminator), in order, adjacent runs merged.
    pub tokens: Vec<Token>,
    /// Whether the tail of the line was left plain because the line is too long.
    pub truncated: bool,
}

/// Highlights one text lazily, a range of lines at a time.
///
/// Holds parser snapshots but not the text, so one highlighter serves any number of requests
/// against the same [`TextLines`]; giving it a different text yields garbage classes, not a panic.
pub struct Highlighter {
    grammar: Grammar,
    choice: SyntaxChoice,
    options: HighlightOptions,
    /// `checkpoints[k]` is the state at the start of line `k * checkpoint_every`.
    checkpoints: Vec<Checkpoint>,
    classifier: classes::Classifier,
    /// syntect's parser thread, with its time limit per line.
    guard: guard::Guard,
    /// syntect looped on a line (or may no longer be used): lines are shown plain from there.
    stalled: bool,
}

impl Highlighter {
    /// A highlighter for the file at `path` whose first line is `first_line`.
    pub fn new(path: &str, first_line: &str, options: HighlightOptions) -> Highlighter {
        let (grammar, choice) = syntax::choose(path, first_line);
        let options = HighlightOptions {
            checkpoint_every: options.checkpoint_every.max(1),
            chunk: options.chunk.max(64),
            ..options
        };
        let mut h = Highlighter {
            grammar,
            choice,
            options,
            checkpoints: Vec::new(),
            classifier: classes::Classifier::default(),
            guard: guard::Guard::default(),
            stalled: matches!(grammar, Grammar::Syntect(_)) && !guard::syntect_usable(),
        };
        h.checkpoints.push(h.fresh());
        h
    }

    /// A highlighter for a text, picking the syntax from `path` and the text's first line.
    pub fn for_text(path: &str, text: &TextLines<'_>, options: HighlightOptions) -> Highlighter {
        let first = if !text.is_empty() {
            text.content(0)
        } else {
            ""
        };
        let first = &first[..first.floor_char_boundary(256)];
        Highlighter::new(path, first, options)
    }

    /// Which syntax was chosen and why.
    pub fn syntax(&self) -> &SyntaxChoice {
        &self.choice
    }

    /// Whether the grammar's parser looped on a line and was given up (see `guard.rs`): lines
    /// parsed from then on are plain text, shown in full.
    pub fn stalled(&self) -> bool {
        self.stalled
    }

    /// How many lines from the top have been parsed at least once (the checkpoint frontier).
    pub fn parsed_lines(&self) -> usize {
        (self.checkpoints.len() - 1) * self.options.checkpoint_every
    }

    /// Tokens for lines `range` of `text`, parsing from the nearest checkpoint at or before the
    /// range and recording new checkpoints on the way.
    pub fn tokens(
        &mut self,
        text: &TextLines<'_>,
        range: Range<usize>,
    ) -> Result<Vec<LineTokens>, HighlightError> {
        if range.start > range.end || range.end > text.len() {
            return Err(HighlightError::OutOfRange {
                start: range.start,
                end: range.end,
                len: text.len(),
            });
        }
        let every = self.options.checkpoint_every;
        let slot = (range.start / every).min(self.checkpoints.len() - 1);
        let mut state = self.checkpoints[slot].clone();
        let mut out = Vec::with_capacity(range.len());
        for line in slot * every..range.end {
            if line % every == 0 && line / every == self.checkpoints.len() {
                self.checkpoints.push(state.clone());
            }
            let want = line >= range.start;
            // The state after the last requested line is never kept, so its unseen tail need
            // not be scanned.
            let need_state = line + 1 < range.end;
            let toks = self.parse_line(
                &mut state,
                text.content_with_newline(line),
                want,
                need_state,
            );
            if want {
                out.push(toks);
            }
        }
        Ok(out)
    }

    /// Highlighted spans for lines `range` of `text`.
    pub fn highlight(
        &mut self,
        text: &TextLines<'_>,
        range: Range<usize>,
    ) -> Result<Vec<HighlightedLine>, HighlightError> {
        let start = range.start;
        let tokens = self.tokens(text, range)?;
        Ok(tokens
            .into_iter()
            .enumerate()
            .map(|(i, lt)| {
                let content = text.content(start + i);
                HighlightedLine {
                    line: u32::try_from(start + i).unwrap_or(u32::MAX),
                    spans: lt
                        .tokens
                        .iter()
                        .map(|t| Span {
                            text: content[t.start as usize..t.end as usize].to_owned(),
                            class: t.class,
                        })
                        .collect(),
                    truncated: lt.truncated,
                }
            })
            .collect())
    }

    /// Parses one line (content plus its newline), updating `state`; builds tokens when `want`.
    fn parse_line(
        &mut self,
        state: &mut Checkpoint,
        line: &str,
        want: bool,
        need_state: bool,
    ) -> LineTokens {
        let content_len = line.strip_suffix('\n').map_or(line.len(), str::len);
        let content_len = line[..content_len]
            .strip_suffix('\r')
            .map_or(content_len, str::len);
        let mut builder = TokenBuilder::new(want, content_len);
        if let (Grammar::Native(lang), Checkpoint::Native(st)) = (self.grammar, &mut *state) {
            let limit = line.floor_char_boundary(self.options.max_line_bytes);
            if limit == line.len() {
                native::lex_line(lang, st, line, &mut builder);
            } else {
                // Tokens stop at the limit, but the rest is still scanned (cheaply, without
                // output) when later lines need the exact state.
                builder.limit = limit;
                if need_state {
                    native::lex_line(lang, st, line, &mut builder);
                } else {
                    native::lex_line(lang, st, &line[..limit], &mut builder);
                }
                builder.truncate_at(limit);
            }
            return builder.finish();
        }
        if self.stalled {
            builder.push(0, line.len(), Class::Plain);
        } else if line.len() <= self.options.long_line {
            self.feed(state, line, 0, &mut builder);
        } else {
            // Chunks end at a char boundary, preferably just after a separator, so that tokens
            // are rarely cut; the newline is fed with the last chunk so line-end rules still fire.
            let limit = line.floor_char_boundary(self.options.max_line_bytes);
            let mut at = 0;
            while at < limit {
                let mut end = line.floor_char_boundary((at + self.options.chunk).min(limit));
                if end < limit {
                    if let Some(cut) = line.as_bytes()[at..end]
                        .iter()
                        .rposition(|b| matches!(b, b';' | b',' | b'}' | b' ' | b'\n'))
                        .filter(|&p| p > 0)
                    {
                        end = at + cut + 1;
                    }
                } else if limit == line.len() {
                    end = line.len();
                }
                if end <= at {
                    break;
                }
                self.feed(state, &line[at..end], at, &mut builder);
                at = end;
            }
            if limit < line.len() {
                builder.truncate_at(limit);
                *state = self.fresh();
            }
        }
        builder.finish()
    }

    /// A parser state at the top of a file.
    fn fresh(&self) -> Checkpoint {
        match self.grammar {
            Grammar::Native(_) => Checkpoint::Native(native::LexState::new()),
            Grammar::Syntect(syntax) => Checkpoint::Syntect {
                parse: Box::new(ParseState::new(syntax)),
                scopes: ScopeStack::new(),
            },
        }
    }

    /// Feeds one piece of a line to syntect, emitting tokens offset by `base`.
    fn feed(&mut self, state: &mut Checkpoint, piece: &str, base: usize, out: &mut TokenBuilder) {
        let fresh = self.fresh();
        let Checkpoint::Syntect { parse, scopes } = state else {
            *state = fresh;
            return;
        };
        let ops = match self.guard.parse(parse, piece, guard::LINE_BUDGET) {
            guard::Parsed::Done(next, ops) => {
                *parse = next;
                ops
            }
            guard::Parsed::Failed => {
                // A grammar that cannot continue leaves this piece plain and starts afresh.
                out.push(base, base + piece.len(), Class::Plain);
                *state = fresh;
                return;
            }
            guard::Parsed::TimedOut => {
                out.push(base, base + piece.len(), Class::Plain);
                self.stalled = true;
                *state = fresh;
                return;
            }
        };
        let mut class = self.classifier.class_of(scopes.as_slice());
        let mut pos = 0;
        for (at, op) in ops {
            let at = at.min(piece.len());
            if at > pos {
                out.push(base + pos, base + at, class);
                pos = at;
            }
            if scopes.apply(&op).is_err() {
                *scopes = ScopeStack::new();
            }
            class = self.classifier.class_of(scopes.as_slice());
        }
        if pos < piece.len() {
            out.push(base + pos, base + piece.len(), class);
        }
        if scopes.len() > self.options.max_depth {
            *state = fresh;
        }
    }
}

/// Collects runs for one line, merging neighbours of one class and clipping at the content end.
struct TokenBuilder {
    want: bool,
    content_len: usize,
    /// Tokens are clipped here (a long line's highlighted prefix).
    limit: usize,
    tokens: Vec<Token>,
    truncated: bool,
}

impl TokenBuilder {
    fn new(want: bool, content_len: usize) -> Self {
        TokenBuilder {
            want,
            content_len,
            limit: usize::MAX,
            tokens: Vec::new(),
            truncated: false,
        }
    }

    fn push(&mut self, start: usize, end: usize, class: Class) {
        if !self.want {
            return;
        }
        let end = end.min(self.content_len).min(self.limit);
        if start >= end {
            return;
        }
        if let Some(last) = self.tokens.last_mut()
            && last.class == class
            && last.end as usize == start
        {
            last.end = end as u32;
            return;
        }
        self.tokens.push(Token {
            start: start as u32,
            end: end as u32,
            class,
        });
    }

    fn truncate_at(&mut self, at: usize) {
        self.truncated = true;
        self.limit = usize::MAX;
        self.push(at, self.content_len, Class::Plain);
    }

    fn finish(self) -> LineTokens {
        LineTokens {
            tokens: self.tokens,
            truncated: self.truncated,
        }
    }
}

impl native::Sink for TokenBuilder {
    fn token(&mut self, start: usize, end: usize, class: Class) {
        self.push(start, end, class);
    }
}
