//! Built-in highlighting for JavaScript, TypeScript, JSON and CSS.
//!
//! These are the bulk of every add-on and of every large diff, and syntect's regex grammars
//! (with the pure-Rust fancy-regex engine) parse JavaScript at about 0.2 MB/s: 4.5 s for
//! pdf.js's `pdf.mjs`. A hand-written lexer classifies the same tokens a reviewer needs
//! (comments, strings, templates, regexes, numbers, keywords, calls, properties) at well over
//! 50 MB/s, and its state between lines is a few bytes, so checkpoints are nearly free and a
//! whole file can be lexed exactly instead of guessed. Everything else still goes to syntect.
//!
//! JavaScript, TypeScript and JSON are lexed by the crate's one JavaScript lexer
//! ([`crate::js_lexer`], shared with the pretty-printer so both split a file the same way);
//! this module only gives its tokens classes. CSS has a small lexer of its own here.

use super::Class;
use crate::js_lexer::{self, Lexeme};

/// Which built-in lexer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    /// JavaScript (also JSX, `.mjs`, `.cjs`).
    Js,
    /// TypeScript: JavaScript plus type keywords.
    Ts,
    /// JSON (object keys are properties).
    Json,
    /// CSS.
    Css,
}

/// What the CSS lexer is inside of at a line boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum CssMode {
    #[default]
    Code,
    BlockComment,
    /// A string continued onto the next line by a trailing backslash.
    Str(u8),
}

/// The lexer's state at a line boundary.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct LexState {
    /// JavaScript, TypeScript and JSON: the shared lexer's state.
    js: js_lexer::State,
    /// The previous keyword asks for a type name next (`class`, `extends`, `new`).
    type_next: bool,
    /// CSS: inside a comment or a continued string.
    css_mode: CssMode,
    /// CSS: brace depth.
    css_depth: u32,
    /// CSS: inside a declaration's value (after `prop:`).
    css_value: bool,
}

impl LexState {
    /// The state at the top of a file.
    pub(crate) fn new() -> LexState {
        LexState::default()
    }
}

const JS_KEYWORDS: &[&str] = &[
    "async",
    "await",
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "debugger",
    "default",
    "delete",
    "do",
    "else",
    "export",
    "extends",
    "finally",
    "for",
    "from",
    "function",
    "get",
    "if",
    "import",
    "in",
    "instanceof",
    "let",
    "new",
    "of",
    "return",
    "set",
    "static",
    "switch",
    "throw",
    "try",
    "typeof",
    "var",
    "void",
    "while",
    "with",
    "yield",
];
const TS_KEYWORDS: &[&str] = &[
    "abstract",
    "as",
    "asserts",
    "declare",
    "enum",
    "implements",
    "infer",
    "interface",
    "is",
    "keyof",
    "module",
    "namespace",
    "private",
    "protected",
    "public",
    "readonly",
    "satisfies",
    "type",
    "unique",
];
const TS_TYPES: &[&str] = &[
    "any", "bigint", "boolean", "never", "number", "object", "string", "symbol", "unknown",
];
const JS_CONSTANTS: &[&str] = &["true", "false", "null", "undefined", "NaN", "Infinity"];
const JS_VARIABLES: &[&str] = &["this", "super", "arguments"];
fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b'$' || b >= 0x80
}

fn is_ident(b: u8) -> bool {
    is_ident_start(b) || b.is_ascii_digit()
}

/// Receives tokens as (start, end, class) byte ranges of the line.
pub(crate) trait Sink {
    fn token(&mut self, start: usize, end: usize, class: Class);
}

/// The next byte after `i` that is not a space or tab.
fn next_non_space(s: &[u8], mut i: usize) -> Option<u8> {
    while i < s.len() && (s[i] == b' ' || s[i] == b'\t') {
        i += 1;
    }
    s.get(i).copied()
}

/// Lexes one line (with its terminator), advancing `st`.
pub(crate) fn lex_line(lang: Lang, st: &mut LexState, line: &str, out: &mut dyn Sink) {
    if lang == Lang::Css {
        css_line(st, line.as_bytes(), out);
    } else {
        js_line(lang, st, line.as_bytes(), out);
    }
}

/// Colours one line of JavaScript, TypeScript or JSON, lexed by the shared lexer.
fn js_line(lang: Lang, st: &mut LexState, s: &[u8], out: &mut dyn Sink) {
    let mut i = 0;
    while i < s.len() {
        let after_dot = st.js.after_dot();
        let (end, lexeme) = st.js.next(s, i);
        match lexeme {
            Lexeme::Space => out.token(i, end, Class::Plain),
            Lexeme::LineComment | Lexeme::BlockComment => out.token(i, end, Class::Comment),
            Lexeme::Str if lang == Lang::Json => {
                let key = next_non_space(s, end) == Some(b':');
                let class = if key { Class::Property } else { Class::String };
                out.token(i, end, class);
            }
            Lexeme::Str | Lexeme::TemplateText => string_parts(s, i, end, out),
            Lexeme::SubstOpen | Lexeme::SubstClose => out.token(i, end, Class::Punctuation),
            Lexeme::Regex => out.token(i, end, Class::Regex),
            Lexeme::Number => {
                st.type_next = false;
                out.token(i, end, Class::Number);
            }
            Lexeme::Word => {
                let word = std::str::from_utf8(&s[i..end]).unwrap_or("");
                let class = word_class(lang, word, after_dot, st.type_next, next_non_space(s, end));
                st.type_next = class == Class::Keyword
                    && matches!(
                        word,
                        "class" | "extends" | "new" | "instanceof" | "implements" | "interface"
                    );
                out.token(i, end, class);
            }
            Lexeme::Punct => {
                st.type_next = false;
                let class = match &s[i..end] {
                    b"{" | b"}" | b"(" | b")" | b"[" | b"]" | b";" | b"," | b"." | b"?."
                    | b"..." => Class::Punctuation,
                    _ if s[i] >= 0x80 => Class::Plain,
                    _ => Class::Operator,
                };
                out.token(i, end, class);
            }
        }
        i = end;
    }
}

/// The class of a word: `after_dot` it is a property or method, else a constant, variable,
/// keyword, type or call by what it says and whether `(` follows.
fn word_class(lang: Lang, word: &str, after_dot: bool, type_next: bool, next: Option<u8>) -> Class {
    if lang == Lang::Json {
        if JS_CONSTANTS.contains(&word) {
            Class::Constant
        } else {
            Class::Plain
        }
    } else if after_dot {
        if next == Some(b'(') {
            Class::Function
        } else {
            Class::Property
        }
    } else if JS_CONSTANTS.contains(&word) {
        Class::Constant
    } else if JS_VARIABLES.contains(&word) {
        Class::Variable
    } else if JS_KEYWORDS.contains(&word) || (lang == Lang::Ts && TS_KEYWORDS.contains(&word)) {
        Class::Keyword
    } else if (lang == Lang::Ts && TS_TYPES.contains(&word)) || type_next {
        Class::Type
    } else if next == Some(b'(') {
        Class::Function
    } else {
        Class::Plain
    }
}

/// Colours string or template text from `start` to `end`, escapes apart.
fn string_parts(s: &[u8], start: usize, end: usize, out: &mut dyn Sink) {
    let mut run = start;
    let mut i = start;
    while i < end {
        if s[i] != b'\\' {
            i += 1;
            continue;
        }
        out.token(run, i, Class::String);
        if matches!(s.get(i + 1), Some(b'\n' | b'\r')) {
            // A backslash before the line end continues the literal; it is not an escape.
            run = i;
            break;
        }
        let e = js_lexer::char_end(s, (i + 2).min(end));
        out.token(i, e, Class::Escape);
        i = e;
        run = e;
    }
    out.token(run, end, Class::String);
}

/// Colours one line of CSS: comments and strings here, everything else by [`css_token`].
fn css_line(st: &mut LexState, s: &[u8], out: &mut dyn Sink) {
    let mut i = 0;
    while i < s.len() {
        let end = match st.css_mode {
            CssMode::BlockComment => {
                st.css_mode = CssMode::Code;
                css_comment(st, s, i, i, out)
            }
            CssMode::Str(q) => {
                st.css_mode = CssMode::Code;
                css_string(st, s, i, q, out)
            }
            CssMode::Code => match s[i] {
                b' ' | b'\t' | b'\n' | b'\r' => {
                    let len = s[i..]
                        .iter()
                        .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
                        .unwrap_or(s.len() - i);
                    out.token(i, i + len, Class::Plain);
                    i + len
                }
                b'/' if s.get(i + 1) == Some(&b'*') => css_comment(st, s, i, i + 2, out),
                q @ (b'"' | b'\'') => {
                    out.token(i, i + 1, Class::String);
                    css_string(st, s, i + 1, q, out)
                }
                _ => css_token(s, i, st, out),
            },
        };
        // A string or comment carried over from the line before can end where it starts (at a
        // lone CR): that character is still drawn, as plain text, so the line stays whole.
        i = if end > i {
            end
        } else {
            let next = js_lexer::char_end(s, i + 1);
            out.token(i, next, Class::Plain);
            next
        };
    }
}

/// A CSS comment from `start` to its `*/` (its text starts at `text`), or to the line end.
fn css_comment(
    st: &mut LexState,
    s: &[u8],
    start: usize,
    text: usize,
    out: &mut dyn Sink,
) -> usize {
    let end = js_lexer::block_comment_end(s, text).unwrap_or_else(|| {
        st.css_mode = CssMode::BlockComment;
        s.len()
    });
    out.token(start, end, Class::Comment);
    end
}

/// A CSS string's text from `i` (after its quote) to its closing quote.
fn css_string(st: &mut LexState, s: &[u8], i: usize, quote: u8, out: &mut dyn Sink) -> usize {
    let (end, continued) = js_lexer::string_end(s, i, quote);
    if continued {
        st.css_mode = CssMode::Str(quote);
    }
    out.token(i, end, Class::String);
    end
}

/// Lexes one CSS token (strings and comments are handled by the caller).
fn css_token(s: &[u8], i: usize, st: &mut LexState, out: &mut dyn Sink) -> usize {
    let n = s.len();
    let c = s[i];
    let ident_end = |mut j: usize| {
        while j < n && (is_ident(s[j]) || s[j] == b'-') {
            j += 1;
        }
        js_lexer::char_end(s, j)
    };
    match c {
        b'{' => {
            st.css_depth = st.css_depth.saturating_add(1);
            st.css_value = false;
            out.token(i, i + 1, Class::Punctuation);
            i + 1
        }
        b'}' => {
            st.css_depth = st.css_depth.saturating_sub(1);
            st.css_value = false;
            out.token(i, i + 1, Class::Punctuation);
            i + 1
        }
        b';' => {
            st.css_value = false;
            out.token(i, i + 1, Class::Punctuation);
            i + 1
        }
        b'@' => {
            let j = ident_end(i + 1);
            out.token(i, j, Class::Keyword);
            j
        }
        b'!' => {
            let j = ident_end(i + 1);
            out.token(i, j, Class::Keyword);
            j
        }
        b'#' if st.css_value => {
            let j = ident_end(i + 1);
            out.token(i, j, Class::Number);
            j
        }
        b'#' | b'.'
            if !st.css_value
                && s.get(i + 1)
                    .is_some_and(|&b| is_ident_start(b) || b == b'-') =>
        {
            let j = ident_end(i + 1);
            out.token(
                i,
                j,
                if c == b'#' {
                    Class::Constant
                } else {
                    Class::Type
                },
            );
            j
        }
        b':' if !st.css_value && st.css_depth == 0
            || (b':' == c && s.get(i + 1) == Some(&b':')) =>
        {
            // A pseudo-class or pseudo-element in a selector.
            let mut j = i + 1;
            while j < n && s[j] == b':' {
                j += 1;
            }
            let j = ident_end(j);
            out.token(i, j, Class::Function);
            j
        }
        b'0'..=b'9' => {
            let mut j = i + 1;
            while j < n && (s[j].is_ascii_alphanumeric() || s[j] == b'.' || s[j] == b'%') {
                j += 1;
            }
            out.token(i, j, Class::Number);
            j
        }
        b'.' | b'-' | b'+' if s.get(i + 1).is_some_and(u8::is_ascii_digit) && st.css_value => {
            let mut j = i + 1;
            while j < n && (s[j].is_ascii_alphanumeric() || s[j] == b'.' || s[j] == b'%') {
                j += 1;
            }
            out.token(i, j, Class::Number);
            j
        }
        _ if is_ident_start(c)
            || (c == b'-'
                && s.get(i + 1)
                    .is_some_and(|&b| is_ident_start(b) || b == b'-')) =>
        {
            let j = ident_end(i + 1);
            let next = next_non_space(s, j);
            let class = if next == Some(b'(') {
                Class::Function
            } else if st.css_value {
                Class::Constant
            } else if st.css_depth > 0 && next == Some(b':') {
                Class::Property
            } else {
                Class::Tag
            };
            out.token(i, j, class);
            j
        }
        b':' => {
            if st.css_depth > 0 {
                st.css_value = true;
            }
            out.token(i, i + 1, Class::Punctuation);
            i + 1
        }
        b'(' | b')' | b'[' | b']' | b',' => {
            out.token(i, i + 1, Class::Punctuation);
            i + 1
        }
        _ if c >= 0x80 => {
            let end = js_lexer::char_end(s, i + 1);
            out.token(i, end, Class::Plain);
            end
        }
        _ => {
            out.token(i, i + 1, Class::Operator);
            i + 1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Collect<'a>(&'a str, Vec<(String, Class)>);
    impl Sink for Collect<'_> {
        fn token(&mut self, a: usize, b: usize, c: Class) {
            if a < b && c != Class::Plain {
                self.1.push((self.0[a..b].to_owned(), c));
            }
        }
    }

    fn lex(lang: Lang, lines: &[&str]) -> Vec<(String, Class)> {
        let mut st = LexState::new();
        let mut all = Vec::new();
        for l in lines {
            let mut c = Collect(l, Vec::new());
            lex_line(lang, &mut st, l, &mut c);
            all.extend(c.1);
        }
        all
    }

    fn class_of(toks: &[(String, Class)], text: &str) -> Option<Class> {
        toks.iter().find(|(t, _)| t == text).map(|(_, c)| *c)
    }

    /// Every byte range the lexer gives, in order, plain ones too.
    struct Ranges(Vec<(usize, usize)>);
    impl Sink for Ranges {
        fn token(&mut self, a: usize, b: usize, _: Class) {
            self.0.push((a, b));
        }
    }

    #[test]
    fn a_css_line_that_starts_with_a_lone_cr_inside_a_string_is_drawn_whole() {
        // Found by the diff_highlight fuzz target: a string continued by a backslash at the end
        // of one line, and a CR at the start of the next, lost the CR from the drawn line.
        let lines = ["a { b: 'x\\\n", "\r!m{ c,", "\r.d\n"];
        let mut st = LexState::new();
        for l in &lines {
            let mut r = Ranges(Vec::new());
            lex_line(Lang::Css, &mut st, l, &mut r);
            let mut at = 0;
            for (a, b) in r.0 {
                assert_eq!(a, at, "{l:?}: a gap before byte {a}");
                at = b;
            }
            assert_eq!(at, l.len(), "{l:?} not covered to its end");
        }
    }

    #[test]
    fn js_keywords_strings_calls_and_properties() {
        let t = lex(Lang::Js, &["const x = fetch(\"a\\n\").then;\n"]);
        assert_eq!(class_of(&t, "const"), Some(Class::Keyword));
        assert_eq!(class_of(&t, "fetch"), Some(Class::Function));
        assert_eq!(class_of(&t, "\\n"), Some(Class::Escape));
        assert_eq!(class_of(&t, "then"), Some(Class::Property));
    }

    #[test]
    fn block_comment_and_template_span_lines() {
        let t = lex(
            Lang::Js,
            &["/* a\n", "still */ x = `t ${y + `in`} \n", "more` / 2;\n"],
        );
        assert_eq!(class_of(&t, "still */"), Some(Class::Comment));
        assert_eq!(class_of(&t, "y"), None, "identifiers inside ${{}} are code");
        assert_eq!(class_of(&t, "more`"), Some(Class::String));
        assert_eq!(class_of(&t, "/"), Some(Class::Operator));
    }

    #[test]
    fn slash_is_regex_after_operator_and_division_after_value() {
        let t = lex(Lang::Js, &["a = b / c; r = /[/]x/g.test(s);\n"]);
        assert_eq!(class_of(&t, "/"), Some(Class::Operator));
        assert_eq!(class_of(&t, "/[/]x/g"), Some(Class::Regex));
    }

    #[test]
    fn json_keys_are_properties_and_values_strings() {
        let t = lex(
            Lang::Json,
            &["{\"name\": \"pdf\", \"n\": 1.5e3, \"ok\": true}\n"],
        );
        assert_eq!(class_of(&t, "\"name\""), Some(Class::Property));
        assert_eq!(class_of(&t, "\"pdf\""), Some(Class::String));
        assert_eq!(class_of(&t, "1.5e3"), Some(Class::Number));
        assert_eq!(class_of(&t, "true"), Some(Class::Constant));
    }

    #[test]
    fn css_selectors_properties_and_values() {
        let t = lex(
            Lang::Css,
            &[
                ".page:hover > a {\n",
                "  color: #fff !important; width: calc(1px);\n",
                "}\n",
            ],
        );
        assert_eq!(class_of(&t, ".page"), Some(Class::Type));
        assert_eq!(class_of(&t, ":hover"), Some(Class::Function));
        assert_eq!(class_of(&t, "a"), Some(Class::Tag));
        assert_eq!(class_of(&t, "color"), Some(Class::Property));
        assert_eq!(class_of(&t, "#fff"), Some(Class::Number));
        assert_eq!(class_of(&t, "!important"), Some(Class::Keyword));
        assert_eq!(class_of(&t, "calc"), Some(Class::Function));
    }
}
