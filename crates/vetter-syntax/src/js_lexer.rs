//! The one JavaScript lexer, shared by the highlighter, the pretty-printer and the link finder.
//!
//! Whether a `/` starts a regular expression or divides cannot be known without parsing, so a
//! lexer guesses from the tokens before it. When the highlighter and the pretty-printer each
//! guessed by their own rule, one file could be coloured as a regex and laid out as a division,
//! and a fix to one rule left the other wrong. Here there is one lexer and one rule
//! ([`State::regex_allowed`]), and every consumer sees the same token boundaries.
//!
//! The lexer is resumable: a [`State`] is everything it knows at a point of the text (a mode, the
//! kind of the last significant token and a bounded stack of open brackets), and [`State::next`]
//! lexes one lexeme at any position of any slice. The pretty-printer and the link finder feed it
//! the whole text through [`Tokens`]; the highlighter feeds it one line at a time and snapshots
//! the state at line starts, so it can start anywhere without lexing the file from the top.
//! Constructs that span lines (block comments, template literals, strings continued by a
//! backslash) then come back in pieces ending at the slice end, and the state remembers what to
//! continue. Every scan moves forward only, so lexing is linear in the input whatever it holds.

/// What a token is, as far as layout and the near-duplicate finder need to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An identifier or keyword (also `#private` names and names with `\u` escapes).
    Word,
    /// A numeric literal.
    Number,
    /// A quoted string literal.
    Str,
    /// A whole template literal, its `${…}` substitutions included.
    Template,
    /// A regular-expression literal with its flags.
    Regex,
    /// A `//` comment, without its line end.
    LineComment,
    /// A `/* */` comment.
    BlockComment,
    /// A punctuator or operator, or any other character.
    Punct,
}

/// One lexeme as [`State::next`] finds it: finer than [`Kind`], since the highlighter colours the
/// parts of a template literal and the code inside it differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lexeme {
    /// Whitespace, line ends included.
    Space,
    /// A `//` comment, without its line end.
    LineComment,
    /// A block comment, or the piece of one up to the end of the slice.
    BlockComment,
    /// A string, or the piece of one up to a backslash-continued line end.
    Str,
    /// Template text with its backticks, up to a `${` or the end of the slice.
    TemplateText,
    /// The `${` opening a template substitution.
    SubstOpen,
    /// The `}` closing a template substitution.
    SubstClose,
    /// A regular-expression literal (to the line end if unterminated).
    Regex,
    /// A numeric literal.
    Number,
    /// An identifier or keyword.
    Word,
    /// A punctuator, operator or any other character.
    Punct,
}

/// What the lexer is inside of at a slice boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Code,
    BlockComment,
    Template,
    /// A string continued onto the next line by a trailing backslash.
    Str(u8),
}

/// The last significant token (comments and whitespace do not count), reduced to what decides
/// whether a `/` starts a regex and whether a `{` opens a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prev {
    /// Start of text, `;`, `=>`, a block's `{` or `}`, or the `)` after `if (…)`: a statement
    /// may start, so `/` starts a regex and `{` opens a block.
    Statement,
    /// An operator, `(`, `[`, `,`, `${`, or a keyword such as `return` or `typeof`: an expression
    /// starts, so `/` starts a regex and `{` opens an object literal.
    Operator,
    /// `else`, `do`, `try`, `finally`: a statement follows.
    BlockKeyword,
    /// `if`, `while`, `for`, `with`: the next `(` holds a condition, after whose `)` a statement
    /// starts.
    Condition,
    /// Any other `)`: a value (`f(x) / 2`), but `{` opens a body (`function f(x) {`).
    CloseParen,
    /// `.` or `?.`: the next word is a property name, never a keyword.
    Dot,
    /// A name, literal, `]`, or an object literal's `}`: `/` divides.
    Value,
}

/// An open bracket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    Block,
    Object,
    /// A template substitution `${`, whose `}` resumes the template text.
    Subst,
    Paren,
    /// The parenthesised condition of `if`, `while`, `for` or `with`.
    CondParen,
    Bracket,
}

/// Open brackets kept; deeper nesting forgets the outermost half, so hostile input (100,000 `[`)
/// keeps the state small. Only the innermost brackets decide anything.
const MAX_OPEN: usize = 256;

/// The lexer's state between two lexemes: small enough to snapshot at every few lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct State {
    mode: Mode,
    prev: Prev,
    open: Vec<Open>,
}

impl Default for State {
    fn default() -> Self {
        State::new()
    }
}

impl State {
    /// The state at the top of a text.
    pub(crate) fn new() -> State {
        State {
            mode: Mode::Code,
            prev: Prev::Statement,
            open: Vec::new(),
        }
    }

    /// The one rule for a `/` in code: it starts a regex literal where an expression or a
    /// statement may start (after an operator, an opening bracket, `,`, `;`, `=>`, a block's
    /// `}`, the `)` of `if (…)`/`while (…)`/`for (…)`, a prefix `++`/`--`, and keywords such as
    /// `return`, `typeof`, `case`, `else`), and divides after a value (a name, `this`, a
    /// number, a string, a template, a regex, `)`, `]`, an object literal's `}`, a postfix
    /// `++`/`--`). Whether a `}` closed a block or an object literal is read from the token
    /// before its `{`, which is as far as a lexer can tell.
    pub(crate) fn regex_allowed(&self) -> bool {
        matches!(
            self.prev,
            Prev::Statement | Prev::Operator | Prev::BlockKeyword
        )
    }

    /// Whether the last significant token was `.` or `?.`, so a word here is a property name.
    pub(crate) fn after_dot(&self) -> bool {
        self.prev == Prev::Dot
    }

    /// Whether the innermost open bracket is a `{` that opened a block (not an object literal).
    pub(crate) fn in_block(&self) -> bool {
        self.open.last() == Some(&Open::Block)
    }

    /// Lexes the lexeme starting at `i` of `s` (`i < s.len()`) and returns where it ends (after
    /// `i`, at a UTF-8 boundary if `s` is UTF-8 and `i` is a boundary) and what it is.
    pub(crate) fn next(&mut self, s: &[u8], i: usize) -> (usize, Lexeme) {
        let (end, lexeme) = match self.mode {
            Mode::BlockComment => (self.block_comment(s, i), Lexeme::BlockComment),
            Mode::Str(q) => {
                self.mode = Mode::Code;
                (self.string(s, i, q), Lexeme::Str)
            }
            Mode::Template if s[i..].starts_with(b"${") => {
                self.open_bracket(Open::Subst);
                self.mode = Mode::Code;
                self.prev = Prev::Operator;
                (i + 2, Lexeme::SubstOpen)
            }
            Mode::Template => (self.template_text(s, i), Lexeme::TemplateText),
            Mode::Code => self.code(s, i),
        };
        (char_end(s, end.max(i + 1)), lexeme)
    }

    /// A block comment's text from `i` to its `*/`, or to the end of the slice.
    fn block_comment(&mut self, s: &[u8], i: usize) -> usize {
        match block_comment_end(s, i) {
            Some(end) => {
                self.mode = Mode::Code;
                end
            }
            None => {
                self.mode = Mode::BlockComment;
                s.len()
            }
        }
    }

    /// A string's text from `i` (after its opening quote) to its closing quote.
    fn string(&mut self, s: &[u8], i: usize, quote: u8) -> usize {
        let (end, continued) = string_end(s, i, quote);
        if continued {
            self.mode = Mode::Str(quote);
        } else {
            self.prev = Prev::Value;
        }
        end
    }

    /// Template text from `i` to the closing backtick (included), a `${` (excluded) or the end of
    /// the slice.
    fn template_text(&mut self, s: &[u8], mut i: usize) -> usize {
        self.mode = Mode::Template;
        while i < s.len() {
            match s[i] {
                b'\\' => i += 2,
                b'`' => {
                    self.mode = Mode::Code;
                    self.prev = Prev::Value;
                    return i + 1;
                }
                b'$' if s.get(i + 1) == Some(&b'{') => return i,
                _ => i += 1,
            }
        }
        s.len()
    }

    /// One lexeme of code.
    fn code(&mut self, s: &[u8], i: usize) -> (usize, Lexeme) {
        let c = s[i];
        let next = s.get(i + 1).copied();
        match c {
            b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => {
                let len = s[i..]
                    .iter()
                    .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c))
                    .unwrap_or(s.len() - i);
                (i + len, Lexeme::Space)
            }
            b'/' if next == Some(b'/') => (line_end(s, i), Lexeme::LineComment),
            b'/' if next == Some(b'*') => (self.block_comment(s, i + 2), Lexeme::BlockComment),
            b'"' | b'\'' => (self.string(s, i + 1, c), Lexeme::Str),
            b'`' => (self.template_text(s, i + 1), Lexeme::TemplateText),
            b'0'..=b'9' => (self.number(s, i), Lexeme::Number),
            b'.' if next.is_some_and(|n| n.is_ascii_digit()) => (self.number(s, i), Lexeme::Number),
            // `#` starts a private name (`this.#x`) but never continues one (`static#x`).
            _ if is_word_byte(c) || (c == b'#' && next.is_some_and(is_word_byte)) => {
                let mut end = i + 1;
                if c == b'\\' {
                    end += 1;
                }
                while end < s.len() && is_word_byte(s[end]) {
                    end += if s[end] == b'\\' { 2 } else { 1 };
                }
                let end = end.min(s.len());
                self.prev = word_prev(&s[i..end], self.prev == Prev::Dot);
                (end, Lexeme::Word)
            }
            b'/' if self.regex_allowed() => {
                self.prev = Prev::Value;
                (regex_end(s, i), Lexeme::Regex)
            }
            _ => self.punct(s, i),
        }
    }

    /// A numeric literal (decimal, `0x`/`0o`/`0b`, with `_` separators, exponent and `n`).
    fn number(&mut self, s: &[u8], i: usize) -> usize {
        self.prev = Prev::Value;
        let radix =
            s[i] == b'0' && matches!(s.get(i + 1), Some(b'x' | b'X' | b'b' | b'B' | b'o' | b'O'));
        let mut j = i;
        while j < s.len() {
            let b = s[j];
            let exponent_sign =
                (b == b'+' || b == b'-') && !radix && matches!(s[j - 1], b'e' | b'E');
            if b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || exponent_sign {
                j += 1;
            } else {
                break;
            }
        }
        j
    }

    /// A punctuator (longest match), tracking brackets and what the next `/` and `{` mean.
    fn punct(&mut self, s: &[u8], i: usize) -> (usize, Lexeme) {
        let end = i + punct_len(s, i);
        let mut lexeme = Lexeme::Punct;
        self.prev = match &s[i..end] {
            b"(" => {
                let open = if self.prev == Prev::Condition {
                    Open::CondParen
                } else {
                    Open::Paren
                };
                self.open_bracket(open);
                Prev::Operator
            }
            b"[" => {
                self.open_bracket(Open::Bracket);
                Prev::Operator
            }
            b"{" => {
                let block = matches!(
                    self.prev,
                    Prev::Statement | Prev::BlockKeyword | Prev::CloseParen
                );
                if block {
                    self.open_bracket(Open::Block);
                    Prev::Statement
                } else {
                    self.open_bracket(Open::Object);
                    Prev::Operator
                }
            }
            b")" => {
                // A `)` also closes any `[` left open inside it, so one stray bracket does not
                // skew the rest of the file; it never closes a brace.
                while self.open.last() == Some(&Open::Bracket) {
                    self.open.pop();
                }
                match self.open.last() {
                    Some(Open::CondParen) => {
                        self.open.pop();
                        Prev::Statement
                    }
                    Some(Open::Paren) => {
                        self.open.pop();
                        Prev::CloseParen
                    }
                    _ => Prev::CloseParen,
                }
            }
            b"]" => {
                if self.open.last() == Some(&Open::Bracket) {
                    self.open.pop();
                }
                Prev::Value
            }
            b"}" => {
                // A `}` closes any `(` or `[` left open inside it, so a template substitution
                // resumes even after unbalanced code.
                while matches!(
                    self.open.last(),
                    Some(Open::Paren | Open::CondParen | Open::Bracket)
                ) {
                    self.open.pop();
                }
                match self.open.pop() {
                    Some(Open::Subst) => {
                        self.mode = Mode::Template;
                        lexeme = Lexeme::SubstClose;
                        Prev::Operator
                    }
                    Some(Open::Object) => Prev::Value,
                    _ => Prev::Statement,
                }
            }
            b";" | b"=>" => Prev::Statement,
            b"." | b"?." => Prev::Dot,
            // Postfix after a value (`i++ / 2`), prefix otherwise (`++/re/.lastIndex`).
            b"++" | b"--" if matches!(self.prev, Prev::Value | Prev::CloseParen) => Prev::Value,
            _ => Prev::Operator,
        };
        (end, lexeme)
    }

    /// Pushes an open bracket, forgetting the outermost half when the stack is full.
    fn open_bracket(&mut self, open: Open) {
        if self.open.len() >= MAX_OPEN {
            self.open.drain(..MAX_OPEN / 2);
        }
        self.open.push(open);
    }
}

/// What a word means for the next token: keywords after which an expression or statement starts,
/// and everything else (names, `this`, property names after a dot) a value.
fn word_prev(word: &[u8], after_dot: bool) -> Prev {
    if after_dot {
        return Prev::Value;
    }
    match word {
        b"return" | b"typeof" | b"instanceof" | b"in" | b"of" | b"new" | b"delete" | b"void"
        | b"throw" | b"case" | b"yield" | b"await" => Prev::Operator,
        b"else" | b"do" | b"try" | b"finally" => Prev::BlockKeyword,
        b"if" | b"while" | b"for" | b"with" => Prev::Condition,
        _ => Prev::Value,
    }
}

/// Whether `b` can be part of a word: ASCII letters, digits, `_`, `$`, `\` (escapes in names)
/// and every byte of a non-ASCII character. (`#` can only start one.)
fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b == b'\\' || b >= 0x80
}

/// Where a line comment starting at `i` ends: before the next line terminator.
fn line_end(s: &[u8], i: usize) -> usize {
    s[i..]
        .iter()
        .position(|&b| b == b'\n' || b == b'\r')
        .map_or(s.len(), |p| i + p)
}

/// The end of a block comment whose text starts at `i` (after `/*`, or at a continued line's
/// start), just after its `*/`; `None` when the slice ends first.
pub(crate) fn block_comment_end(s: &[u8], i: usize) -> Option<usize> {
    s.get(i..)?
        .windows(2)
        .position(|w| w == b"*/")
        .map(|p| i + p + 2)
}

/// The end of a string whose text starts at `i` (after the opening `quote`): just after the
/// closing quote, or before an unescaped line terminator (JavaScript and CSS strings end there).
/// The flag is true when a backslash escapes the line end that ends the slice, so the string
/// continues on the next line.
pub(crate) fn string_end(s: &[u8], mut i: usize, quote: u8) -> (usize, bool) {
    while i < s.len() {
        match s[i] {
            b'\\' => {
                let len = if s[i + 1..].starts_with(b"\r\n") {
                    3
                } else {
                    2
                };
                if i + len >= s.len() && matches!(s.get(i + 1), Some(b'\n' | b'\r')) {
                    return (s.len(), true);
                }
                i += len;
            }
            b'\n' | b'\r' => return (i, false),
            b if b == quote => return (i + 1, false),
            _ => i += 1,
        }
    }
    (s.len(), false)
}

/// The end of a regex literal starting at `i`: after its closing `/` and flags, or, unterminated,
/// at the line end. Taking the rest of the line (rather than falling back to a division) keeps
/// the scan linear on hostile lines such as `(/[(/[(/[…`.
fn regex_end(s: &[u8], i: usize) -> usize {
    let mut j = i + 1;
    let mut class = false;
    while j < s.len() {
        match s[j] {
            b'\n' | b'\r' => return j,
            b'\\' if matches!(s.get(j + 1), Some(b'\n' | b'\r')) => return j + 1,
            b'\\' => j += 1,
            b'[' => class = true,
            b']' => class = false,
            b'/' if !class => {
                j += 1;
                while j < s.len() && s[j].is_ascii_alphabetic() {
                    j += 1;
                }
                return j;
            }
            _ => {}
        }
        j += 1;
    }
    s.len()
}

/// The length of the punctuator at `i`: the longest of JavaScript's multi-byte operators, else
/// one character.
fn punct_len(s: &[u8], i: usize) -> usize {
    let at = |k: usize| s.get(i + k).copied().unwrap_or(0);
    let (a, b, c, d) = (at(0), at(1), at(2), at(3));
    match a {
        b'>' if b == b'>' && c == b'>' => 3 + usize::from(d == b'='),
        b'>' | b'<' if b == a => 2 + usize::from(c == b'='),
        b'=' | b'!' if b == b'=' => 2 + usize::from(c == b'='),
        b'*' | b'&' | b'|' | b'?' if b == a => 2 + usize::from(c == b'='),
        b'=' if b == b'>' => 2,
        // `?.5` is a conditional before a number, not optional chaining.
        b'?' if b == b'.' && !c.is_ascii_digit() => 2,
        b'.' if b == b'.' && c == b'.' => 3,
        b'+' | b'-' if b == a => 2,
        b'<' | b'>' | b'+' | b'-' | b'*' | b'/' | b'%' | b'&' | b'|' | b'^' if b == b'=' => 2,
        _ => utf8_len(a),
    }
}

/// The length of the UTF-8 character whose first byte is `b`.
fn utf8_len(b: u8) -> usize {
    match b {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// Moves `i` forward to a UTF-8 character boundary (or the end of `s`).
pub(crate) fn char_end(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && (s[i] & 0xC0) == 0x80 {
        i += 1;
    }
    i.min(s.len())
}

/// A whole token of a text, as the pretty-printer lays it out.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Token {
    /// Start byte offset.
    pub(crate) start: usize,
    /// End byte offset (exclusive).
    pub(crate) end: usize,
    /// What it is.
    pub(crate) kind: Kind,
    /// The whitespace before it held a line break.
    pub(crate) newline_before: bool,
    /// There was whitespace before it.
    pub(crate) space_before: bool,
    /// It is a `{` that opens a block rather than an object literal.
    pub(crate) opens_block: bool,
}

/// The whole tokens of a text: lexemes without whitespace, a template literal with its
/// substitutions as one token.
pub(crate) struct Tokens<'a> {
    src: &'a [u8],
    at: usize,
    state: State,
}

impl<'a> Tokens<'a> {
    /// The tokens of `src`.
    pub(crate) fn new(src: &'a str) -> Tokens<'a> {
        Tokens {
            src: src.as_bytes(),
            at: 0,
            state: State::new(),
        }
    }

    /// Lexes on from the start of a template literal to its closing backtick (or the end of the
    /// text), following nested substitutions and templates.
    fn rest_of_template(&mut self) {
        let mut depth = 0usize;
        while self.state.mode != Mode::Code || depth > 0 {
            if self.at >= self.src.len() {
                return;
            }
            let (end, lexeme) = self.state.next(self.src, self.at);
            self.at = end;
            match lexeme {
                Lexeme::SubstOpen => depth += 1,
                Lexeme::SubstClose => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
    }
}

impl Iterator for Tokens<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        let mut newline_before = false;
        let mut space_before = false;
        loop {
            let start = self.at;
            if start >= self.src.len() {
                return None;
            }
            let (end, lexeme) = self.state.next(self.src, start);
            self.at = end;
            let kind = match lexeme {
                Lexeme::Space => {
                    space_before = true;
                    newline_before |= self.src[start..end].contains(&b'\n');
                    continue;
                }
                Lexeme::TemplateText => {
                    self.rest_of_template();
                    Kind::Template
                }
                // Only met inside a template, which `rest_of_template` consumes whole.
                Lexeme::SubstOpen | Lexeme::SubstClose => Kind::Template,
                Lexeme::Str => Kind::Str,
                Lexeme::LineComment => Kind::LineComment,
                Lexeme::BlockComment => Kind::BlockComment,
                Lexeme::Regex => Kind::Regex,
                Lexeme::Number => Kind::Number,
                Lexeme::Word => Kind::Word,
                Lexeme::Punct => Kind::Punct,
            };
            return Some(Token {
                start,
                end: self.at,
                kind,
                newline_before,
                space_before,
                opens_block: kind == Kind::Punct
                    && self.src[start] == b'{'
                    && self.state.in_block(),
            });
        }
    }
}

/// The tokens of a JavaScript text with their kinds, for the near-duplicate finder
/// (`vetter_review::links`); it shares this lexer so that it agrees with the pretty-printer and
/// the highlighter on what a token is.
pub fn js_tokens(src: &str) -> impl Iterator<Item = (Kind, &str)> {
    Tokens::new(src).map(move |t| (t.kind, &src[t.start..t.end]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::highlight::{Class, HighlightOptions, Highlighter};
    use vetter_text::TextLines;

    /// The non-space lexemes of `src`, lexed whole.
    fn lexemes(src: &str) -> Vec<(&str, Lexeme)> {
        let mut st = State::new();
        let mut out = Vec::new();
        let mut i = 0;
        while i < src.len() {
            let (end, lexeme) = st.next(src.as_bytes(), i);
            if lexeme != Lexeme::Space {
                out.push((&src[i..end], lexeme));
            }
            i = end;
        }
        out
    }

    /// Byte ranges of a text, each with what it is.
    type Ranges<T> = Vec<(usize, usize, T)>;

    /// What each consumer makes of `src`: the pretty-printer's (and link finder's) tokens, and
    /// the highlighter's coloured runs, as byte ranges.
    fn both(src: &str) -> (Ranges<Kind>, Ranges<Class>) {
        let pretty = js_tokens(src)
            .map(|(k, t)| {
                let start = t.as_ptr() as usize - src.as_ptr() as usize;
                (start, start + t.len(), k)
            })
            .collect();
        let text = TextLines::from_text(src);
        let mut h = Highlighter::for_text("a.js", &text, HighlightOptions::default());
        let mut colours = Vec::new();
        let mut base = 0;
        for (line, toks) in h.tokens(&text, 0..text.len()).unwrap().iter().enumerate() {
            for t in &toks.tokens {
                colours.push((base + t.start as usize, base + t.end as usize, t.class));
            }
            base += text.content_with_newline(line).len();
        }
        (pretty, colours)
    }

    /// Asserts that the `/` lexemes of `src` are regexes or divisions as `want` lists them in
    /// order (`true` for a regex), and that the pretty-printer and the highlighter agree.
    fn slashes(src: &str, want: &[bool]) {
        let got: Vec<bool> = lexemes(src)
            .iter()
            .filter(|(t, l)| t.starts_with('/') && matches!(l, Lexeme::Regex | Lexeme::Punct))
            .map(|(_, l)| *l == Lexeme::Regex)
            .collect();
        assert_eq!(got, want, "{src}");
        let (pretty, colours) = both(src);
        // Layout keeps a template whole, so code inside one is compared by its lexemes only.
        let in_template = |at: usize| {
            pretty
                .iter()
                .any(|t| t.2 == Kind::Template && t.0 < at && at < t.1)
        };
        let colours: Vec<_> = colours.into_iter().filter(|t| !in_template(t.0)).collect();
        let pretty_regexes: Vec<(usize, usize)> = pretty
            .iter()
            .filter(|t| t.2 == Kind::Regex)
            .map(|t| (t.0, t.1))
            .collect();
        let coloured_regexes: Vec<(usize, usize)> = colours
            .iter()
            .filter(|t| t.2 == Class::Regex)
            .map(|t| (t.0, t.1))
            .collect();
        assert_eq!(pretty_regexes, coloured_regexes, "{src}");
        let pretty_divisions: Vec<usize> = pretty
            .iter()
            .filter(|t| t.2 == Kind::Punct && src[t.0..t.1].starts_with('/'))
            .map(|t| t.0)
            .collect();
        let coloured_divisions: Vec<usize> = colours
            .iter()
            .filter(|t| t.2 == Class::Operator && src[t.0..t.1].starts_with('/'))
            .map(|t| t.0)
            .collect();
        assert_eq!(pretty_divisions, coloured_divisions, "{src}");
    }

    #[test]
    fn division_after_values() {
        slashes("a / b / c", &[false, false]);
        slashes("f(x)/ 2", &[false]);
        slashes("a[0]/2", &[false]);
        slashes("this / 2; 1.5e3 / x; 'a' / 2; `t` / 3", &[false; 4]);
        slashes("x.return / 2", &[false]);
        slashes("i++ / 2; j-- /3", &[false, false]);
        slashes("x = {a: 1} / 2", &[false]);
        slashes("/re/g / 2", &[true, false]);
        slashes("a /= 2", &[false]);
    }

    #[test]
    fn regex_where_an_expression_starts() {
        slashes("x = /re/g", &[true]);
        slashes("/re/.test(s)", &[true]);
        slashes("return /re/", &[true]);
        slashes("typeof /x/; void /x/; throw /x/", &[true; 3]);
        slashes("f(/a/, [/b/], {c: /c/}, !/d/)", &[true; 4]);
        slashes("x = ++/re/.lastIndex", &[true]);
        slashes("x => /re/.test(x)", &[true]);
        slashes("if (a) /re/.exec(b)", &[true]);
        slashes("while (f(a)) /re/.exec(b)", &[true]);
        slashes("a ? /b/ : /c/", &[true, true]);
        slashes("`${/re/.source}`", &[true]);
        slashes("r = /[/]x/g.test(s)", &[true]);
    }

    #[test]
    fn a_brace_ends_a_block_or_an_object_literal_by_what_opened_it() {
        // After a block a statement starts; after an object literal a value was made.
        slashes("if (a) { b() } /re/.test(c)", &[true]);
        slashes("function f() {} /re/.test(c)", &[true]);
        slashes("x = {} / 2", &[false]);
        slashes("f({a: 1} / 2)", &[false]);
    }

    #[test]
    fn an_unterminated_regex_runs_to_the_line_end() {
        let lx = lexemes("x = /abc\ny");
        assert_eq!(lx[2], ("/abc", Lexeme::Regex));
        assert_eq!(lx[3], ("y", Lexeme::Word));
    }

    #[test]
    fn line_by_line_lexing_matches_whole_text_lexing() {
        let src = "a = `t ${b + `in ${c}`} \nmore` / 2; /* x\ny */ s = 'p\\\nq' + /r/g;\n";
        let whole = lexemes(src);
        let mut st = State::new();
        let mut pieces: Vec<(usize, usize, Lexeme)> = Vec::new();
        let mut base = 0;
        for line in src.split_inclusive('\n') {
            let mut i = 0;
            while i < line.len() {
                let (end, lexeme) = st.next(line.as_bytes(), i);
                match pieces.last_mut() {
                    // A piece that ended with its line continues on the next one.
                    Some(last) if i == 0 && last.1 == base && last.2 == lexeme => {
                        last.1 = base + end;
                    }
                    _ => pieces.push((base + i, base + end, lexeme)),
                }
                i = end;
            }
            base += line.len();
        }
        let joined: Vec<(&str, Lexeme)> = pieces
            .iter()
            .filter(|p| p.2 != Lexeme::Space)
            .map(|p| (&src[p.0..p.1], p.2))
            .collect();
        assert_eq!(joined, whole);
    }

    #[test]
    fn templates_are_one_token_for_layout_and_parts_for_colour() {
        let src = "x = `a ${ {b: `c`}.b } d` / 2";
        let (pretty, colours) = both(src);
        let template = pretty.iter().find(|t| t.2 == Kind::Template).unwrap();
        assert_eq!(&src[template.0..template.1], "`a ${ {b: `c`}.b } d`");
        assert!(
            colours
                .iter()
                .any(|t| t.2 == Class::Property && &src[t.0..t.1] == "b")
        );
        slashes(src, &[false]);
    }

    #[test]
    fn a_hash_starts_a_private_name_but_never_continues_a_word() {
        let words: Vec<&str> = lexemes("class A{static#e(){return this.#x/2}}")
            .into_iter()
            .filter(|l| l.1 == Lexeme::Word)
            .map(|l| l.0)
            .collect();
        assert_eq!(
            words,
            ["class", "A", "static", "#e", "return", "this", "#x"]
        );
        slashes("this.#x/2", &[false]);
    }

    #[test]
    fn punctuators_take_the_longest_match() {
        let puncts: Vec<&str> = lexemes("a >>>= b ?? c?.d ?.5:1 ... => === !== **=")
            .into_iter()
            .filter(|l| l.1 == Lexeme::Punct)
            .map(|l| l.0)
            .collect();
        assert_eq!(
            puncts,
            [
                ">>>=", "??", "?.", "?", ":", "...", "=>", "===", "!==", "**="
            ]
        );
    }

    #[test]
    fn hostile_nesting_keeps_the_state_small() {
        let src = "`${".repeat(10_000) + &"[(".repeat(10_000);
        let mut st = State::new();
        let mut i = 0;
        while i < src.len() {
            i = st.next(src.as_bytes(), i).0;
        }
        assert!(st.open.len() <= MAX_OPEN);
    }
}
