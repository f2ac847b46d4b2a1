//! Built-in lexers for JavaScript, TypeScript, JSON and CSS.
//!
//! These are the bulk of every add-on and of every large diff, and syntect's regex grammars
//! (with the pure-Rust fancy-regex engine) parse JavaScript at about 0.2 MB/s: 4.5 s for
//! pdf.js's `pdf.mjs`. A hand-written lexer classifies the same tokens a reviewer needs
//! (comments, strings, templates, regexes, numbers, keywords, calls, properties) at well over
//! 50 MB/s, and its state between lines is a few bytes, so checkpoints are nearly free and a
//! whole file can be lexed exactly instead of guessed. Everything else still goes to syntect.

use super::Class;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Mode {
    #[default]
    Code,
    BlockComment,
    Template,
    /// A string continued onto the next line by a trailing backslash.
    Str(u8),
}

/// Deepest `${` nesting tracked; deeper input resets to plain code (no reviewer loses anything).
const MAX_TEMPLATE_DEPTH: usize = 64;

/// The lexer's state at a line boundary.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct LexState {
    mode: Mode,
    /// Whether a `/` here starts a regular expression rather than a division.
    regex_ok: bool,
    /// For each open `${` of a template literal, the `{` depth inside it.
    templates: Vec<u32>,
    /// CSS: brace depth.
    css_depth: u32,
    /// CSS: inside a declaration's value (after `prop:`).
    css_value: bool,
    /// The previous keyword asks for a type name next (`class`, `extends`, `new`).
    type_next: bool,
}

impl LexState {
    /// The state at the top of a file.
    pub(crate) fn new() -> LexState {
        LexState {
            regex_ok: true,
            ..LexState::default()
        }
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
/// Keywords after which an expression (so possibly a regex literal) starts.
const REGEX_AFTER: &[&str] = &[
    "return",
    "typeof",
    "case",
    "do",
    "else",
    "in",
    "of",
    "new",
    "delete",
    "void",
    "throw",
    "instanceof",
    "yield",
    "await",
];

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

/// Discards tokens: used to advance the state over lines nobody asked for.
pub(crate) struct Skip;

impl Sink for Skip {
    fn token(&mut self, _: usize, _: usize, _: Class) {}
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
    let s = line.as_bytes();
    let n = s.len();
    let mut i = 0;
    while i < n {
        match st.mode {
            Mode::BlockComment => {
                let end = match find(s, i, b"*/") {
                    Some(p) => {
                        st.mode = Mode::Code;
                        p + 2
                    }
                    None => n,
                };
                out.token(i, end, Class::Comment);
                i = end;
            }
            Mode::Str(q) => {
                st.mode = Mode::Code;
                i = string_body(s, i, q, st, out);
            }
            Mode::Template => {
                i = template_body(s, i, st, out);
            }
            Mode::Code => {
                i = code_token(lang, s, i, st, out);
            }
        }
    }
}

/// Position of `pat` in `s` at or after `from`.
fn find(s: &[u8], from: usize, pat: &[u8]) -> Option<usize> {
    s.get(from..)?
        .windows(pat.len())
        .position(|w| w == pat)
        .map(|p| p + from)
}

/// Lexes a string body from `i` (after the opening quote) to the closing quote.
fn string_body(s: &[u8], mut i: usize, q: u8, st: &mut LexState, out: &mut dyn Sink) -> usize {
    let mut run = i;
    while i < s.len() {
        match s[i] {
            b'\\' => {
                out.token(run, i, Class::String);
                if i + 1 < s.len() && (s[i + 1] == b'\n' || (s[i + 1] == b'\r' && i + 2 < s.len()))
                {
                    // A backslash before the line end continues the string on the next line.
                    out.token(i, s.len(), Class::String);
                    st.mode = Mode::Str(q);
                    return s.len();
                }
                let end = (i + 2).min(s.len());
                let end = char_end(s, end);
                out.token(i, end, Class::Escape);
                i = end;
                run = i;
            }
            b'\n' | b'\r' => {
                // Unterminated: JavaScript strings end at the line end.
                out.token(run, i, Class::String);
                st.regex_ok = false;
                return s.len();
            }
            c if c == q => {
                out.token(run, i + 1, Class::String);
                st.regex_ok = false;
                return i + 1;
            }
            _ => i += 1,
        }
    }
    out.token(run, i, Class::String);
    st.regex_ok = false;
    i
}

/// Moves `i` forward to a UTF-8 boundary.
fn char_end(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && (s[i] & 0xC0) == 0x80 {
        i += 1;
    }
    i.min(s.len())
}

/// Lexes template literal text from `i` until the closing backtick or a `${`.
fn template_body(s: &[u8], mut i: usize, st: &mut LexState, out: &mut dyn Sink) -> usize {
    let mut run = i;
    while i < s.len() {
        match s[i] {
            b'\\' => {
                out.token(run, i, Class::String);
                let end = char_end(s, (i + 2).min(s.len()));
                out.token(i, end, Class::Escape);
                i = end;
                run = i;
            }
            b'`' => {
                out.token(run, i + 1, Class::String);
                st.mode = Mode::Code;
                st.regex_ok = false;
                return i + 1;
            }
            b'$' if s.get(i + 1) == Some(&b'{') => {
                out.token(run, i, Class::String);
                out.token(i, i + 2, Class::Punctuation);
                if st.templates.len() >= MAX_TEMPLATE_DEPTH {
                    st.templates.clear();
                }
                st.templates.push(0);
                st.mode = Mode::Code;
                st.regex_ok = true;
                return i + 2;
            }
            _ => i += 1,
        }
    }
    out.token(run, i, Class::String);
    i
}

/// Lexes one token of code starting at `i`; returns where the next token starts.
fn code_token(lang: Lang, s: &[u8], i: usize, st: &mut LexState, out: &mut dyn Sink) -> usize {
    let c = s[i];
    let n = s.len();
    if c == b' ' || c == b'\t' || c == b'\n' || c == b'\r' {
        let mut j = i + 1;
        while j < n && matches!(s[j], b' ' | b'\t' | b'\n' | b'\r') {
            j += 1;
        }
        out.token(i, j, Class::Plain);
        return j;
    }
    if c == b'/' && s.get(i + 1) == Some(&b'*') {
        st.mode = Mode::BlockComment;
        out.token(i, i + 2, Class::Comment);
        return i + 2;
    }
    if c == b'/' && s.get(i + 1) == Some(&b'/') && lang != Lang::Css {
        let end = s[i..]
            .iter()
            .position(|&b| b == b'\n' || b == b'\r')
            .map_or(n, |p| i + p);
        out.token(i, end, Class::Comment);
        return end;
    }
    if c == b'"' || c == b'\'' {
        if lang == Lang::Json || lang == Lang::Css {
            let end = string_body(s, i + 1, c, st, &mut Skip);
            let key = lang == Lang::Json && next_non_space(s, end) == Some(b':');
            let class = if key { Class::Property } else { Class::String };
            out.token(i, end, class);
            return end;
        }
        out.token(i, i + 1, Class::String);
        return string_body(s, i + 1, c, st, out);
    }
    if c == b'`' && matches!(lang, Lang::Js | Lang::Ts) {
        out.token(i, i + 1, Class::String);
        st.mode = Mode::Template;
        return i + 1;
    }
    if lang == Lang::Css {
        return css_token(s, i, st, out);
    }
    if c.is_ascii_digit() || (c == b'.' && s.get(i + 1).is_some_and(u8::is_ascii_digit)) {
        let mut j = i + 1;
        while j < n {
            let b = s[j];
            let exponent_sign = (b == b'+' || b == b'-')
                && matches!(s[j - 1], b'e' | b'E')
                && !s[i..j].starts_with(b"0x");
            if b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || exponent_sign {
                j += 1;
            } else {
                break;
            }
        }
        out.token(i, j, Class::Number);
        st.regex_ok = false;
        st.type_next = false;
        return j;
    }
    if is_ident_start(c) {
        let mut j = i + 1;
        while j < n && is_ident(s[j]) {
            j += 1;
        }
        let j = char_end(s, j);
        let word = std::str::from_utf8(&s[i..j]).unwrap_or("");
        let after_dot =
            i > 0 && s[..i].iter().rev().find(|b| !b.is_ascii_whitespace()) == Some(&b'.');
        let next = next_non_space(s, j);
        let mut regex_ok = false;
        let class = if lang == Lang::Json {
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
            regex_ok = REGEX_AFTER.contains(&word);
            let t = matches!(
                word,
                "class" | "extends" | "new" | "instanceof" | "implements" | "interface"
            );
            out.token(i, j, Class::Keyword);
            st.regex_ok = regex_ok;
            st.type_next = t;
            return j;
        } else if (lang == Lang::Ts && TS_TYPES.contains(&word)) || st.type_next {
            Class::Type
        } else if next == Some(b'(') {
            Class::Function
        } else {
            Class::Plain
        };
        out.token(i, j, class);
        st.regex_ok = regex_ok;
        st.type_next = false;
        return j;
    }
    if c == b'/' && st.regex_ok && lang != Lang::Json {
        let mut j = i + 1;
        let mut in_class = false;
        while j < n {
            match s[j] {
                b'\\' => j += 2,
                b'[' => {
                    in_class = true;
                    j += 1;
                }
                b']' => {
                    in_class = false;
                    j += 1;
                }
                b'/' if !in_class => break,
                b'\n' | b'\r' => break,
                _ => j += 1,
            }
        }
        let mut j = j.min(n);
        if j < n && s[j] == b'/' {
            j += 1;
            while j < n && s[j].is_ascii_alphabetic() {
                j += 1;
            }
        }
        out.token(i, j, Class::Regex);
        st.regex_ok = false;
        return j;
    }
    // Punctuation and operators, one byte at a time (multi-byte operators merge as one class).
    st.type_next = false;
    match c {
        b'{' => {
            if let Some(d) = st.templates.last_mut() {
                *d += 1;
            }
            st.regex_ok = true;
            out.token(i, i + 1, Class::Punctuation);
        }
        b'}' => {
            match st.templates.last_mut() {
                Some(0) => {
                    st.templates.pop();
                    st.mode = Mode::Template;
                }
                Some(d) => *d -= 1,
                None => {}
            }
            st.regex_ok = true;
            out.token(i, i + 1, Class::Punctuation);
        }
        b')' | b']' => {
            st.regex_ok = false;
            out.token(i, i + 1, Class::Punctuation);
        }
        b'(' | b'[' | b';' | b',' | b'.' => {
            st.regex_ok = c != b'.';
            out.token(i, i + 1, Class::Punctuation);
        }
        _ if c >= 0x80 => {
            let end = char_end(s, i + 1);
            out.token(i, end, Class::Plain);
            return end;
        }
        _ => {
            st.regex_ok = true;
            out.token(i, i + 1, Class::Operator);
        }
    }
    i + 1
}

/// Lexes one CSS token (strings and comments are handled by the caller).
fn css_token(s: &[u8], i: usize, st: &mut LexState, out: &mut dyn Sink) -> usize {
    let n = s.len();
    let c = s[i];
    let ident_end = |mut j: usize| {
        while j < n && (is_ident(s[j]) || s[j] == b'-') {
            j += 1;
        }
        char_end(s, j)
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
            let end = char_end(s, i + 1);
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

    #[test]
    fn deep_template_nesting_is_bounded() {
        let line = "`${".repeat(10_000) + "\n";
        let mut st = LexState::new();
        lex_line(Lang::Js, &mut st, &line, &mut Skip);
        assert!(st.templates.len() <= MAX_TEMPLATE_DEPTH);
    }
}
