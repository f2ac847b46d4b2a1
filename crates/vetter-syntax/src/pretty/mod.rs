//! Pretty-printing of minified JavaScript, JSON and CSS, with a map back to the original.
//!
//! Reviewers read minified bundles, and search hits, signals and notes are positions in the
//! original bytes; so the pretty text must map every position back. Whatever lays the text out,
//! every token is copied verbatim from the original (lexed with the crate's one JavaScript
//! lexer, the highlighter's too) and only the whitespace between tokens changes, so the map is a
//! sorted list of (pretty offset, original offset) segments, exact at every token byte.
//!
//! JavaScript that oxc parses is laid out as oxc's code generator prints it ([`formatter`]):
//! statements on their lines, bodies indented, spaces around operators. Everything else (JSON,
//! CSS, JavaScript oxc does not parse or that is too large or deeply nested to give it) goes
//! through the token reformatter: a line break after `{`, `;` and `}` and before `}`,
//! indentation by brace depth, and every original line break kept. Neither ever breaks a line
//! where automatic semicolon insertion would read the code differently (see [`breaks_after`]),
//! so the pretty code means what the original means. See docs/design.md.

use serde::Serialize;
use ts_rs::TS;

use crate::js_lexer;

mod formatter;

/// The largest input pretty-printed; larger files are shown as they are.
pub const MAX_PRETTY_INPUT: usize = 64 * 1024 * 1024;

/// Indentation stops growing at this depth, so hostile nesting cannot blow up the output.
const MAX_INDENT_DEPTH: usize = 32;

/// Why a file was not pretty-printed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PrettyError {
    /// The input is over [`MAX_PRETTY_INPUT`].
    #[error("{size} bytes is over the {limit}-byte limit for pretty-printing")]
    TooLarge {
        /// The input's size.
        size: usize,
        /// [`MAX_PRETTY_INPUT`].
        limit: usize,
    },
}

/// Which reformatting rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum PrettyLang {
    /// JavaScript (also `.mjs`, `.cjs`, `.jsx`, and TypeScript, lexically close enough).
    Js,
    /// JSON: a break after every `,` and opening bracket.
    Json,
    /// CSS: a break after `{`, `;` and `}`.
    Css,
}

impl PrettyLang {
    /// The rules for a file by its extension, if it is one of the three languages.
    pub fn for_path(path: &str) -> Option<PrettyLang> {
        let ext = path.rsplit_once('.')?.1.to_ascii_lowercase();
        match ext.as_str() {
            "js" | "mjs" | "cjs" | "jsx" | "ts" | "tsx" | "mts" | "cts" => Some(PrettyLang::Js),
            "json" | "map" | "webmanifest" => Some(PrettyLang::Json),
            "css" => Some(PrettyLang::Css),
            _ => None,
        }
    }
}

/// A position in a text: 1-based line, 0-based byte column within the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, TS)]
#[ts(export)]
pub struct Position {
    /// 1-based line.
    pub line: u32,
    /// 0-based byte offset within the line.
    pub column: u32,
}

/// A run of bytes copied verbatim from the original.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Segment {
    pretty: usize,
    original: usize,
    len: usize,
}

/// A pretty-printed text and its map back to the original.
#[derive(Debug, Clone)]
pub struct Pretty {
    /// The reformatted text.
    pub text: String,
    segments: Vec<Segment>,
    pretty_lines: Vec<usize>,
    original_lines: Vec<usize>,
    original_len: usize,
    /// Whose line breaks these are.
    pub laid_out_by: LaidOutBy,
}

/// Who chose where the pretty text breaks lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaidOutBy {
    /// oxc's code generator (JavaScript it parses).
    Formatter,
    /// The token reformatter: JSON, CSS, and JavaScript oxc does not parse or is not given.
    Tokens,
}

fn line_starts(text: &str) -> Vec<usize> {
    let mut v = vec![0];
    v.extend(
        text.bytes()
            .enumerate()
            .filter(|(_, b)| *b == b'\n')
            .map(|(i, _)| i + 1),
    );
    v
}

fn offset_of(starts: &[usize], len: usize, pos: Position) -> Option<usize> {
    let start = *starts.get((pos.line as usize).checked_sub(1)?)?;
    let end = starts.get(pos.line as usize).map_or(len, |n| n - 1);
    let off = start + pos.column as usize;
    (off <= end).then_some(off)
}

fn position_of(starts: &[usize], offset: usize) -> Position {
    let idx = starts.partition_point(|&s| s <= offset) - 1;
    Position {
        line: idx as u32 + 1,
        column: (offset - starts[idx]) as u32,
    }
}

impl Pretty {
    /// The pretty text `text` of `src`, its map `segments`, laid out by `laid_out_by`.
    fn new(src: &str, text: String, segments: Vec<Segment>, laid_out_by: LaidOutBy) -> Pretty {
        Pretty {
            pretty_lines: line_starts(&text),
            text,
            segments,
            original_lines: line_starts(src),
            original_len: src.len(),
            laid_out_by,
        }
    }

    /// Where a position of the pretty text comes from in the original. A position inside
    /// inserted whitespace maps to the start of the next original token (or the end of the
    /// original); `None` when the position is outside the pretty text.
    pub fn to_original(&self, pos: Position) -> Option<Position> {
        let off = offset_of(&self.pretty_lines, self.text.len(), pos)?;
        let idx = self.segments.partition_point(|s| s.pretty + s.len <= off);
        let original = match self.segments.get(idx) {
            Some(s) if s.pretty <= off => s.original + (off - s.pretty),
            Some(s) => s.original,
            None => self.original_len,
        };
        Some(position_of(&self.original_lines, original))
    }

    /// Where an original position appears in the pretty text (whitespace between tokens maps
    /// to the start of the next token); `None` when it is outside the original.
    pub fn to_pretty(&self, pos: Position) -> Option<Position> {
        let off = offset_of(&self.original_lines, self.original_len, pos)?;
        let idx = self.segments.partition_point(|s| s.original + s.len <= off);
        let pretty = match self.segments.get(idx) {
            Some(s) if s.original <= off => s.pretty + (off - s.original),
            Some(s) => s.pretty,
            None => self.text.len(),
        };
        Some(position_of(&self.pretty_lines, pretty))
    }

    /// How many lines the pretty text has.
    pub fn line_count(&self) -> usize {
        self.pretty_lines.len()
    }
}

pub use crate::js_lexer::{Kind, js_tokens};

/// A token as the layout sees it: its bytes, kind, the whitespace before it, and for `{` whether
/// it opens a block.
type Tok = js_lexer::Token;

/// Splits JavaScript (or JSON) into tokens with the shared lexer. Never fails: anything
/// unexpected becomes a one-character punctuator, so the text is always covered exactly.
fn lex_js(src: &str) -> Vec<Tok> {
    js_lexer::Tokens::new(src).collect()
}

/// Whether the byte at `e` ends a run of CSS "anything else".
fn ends_css_word(bytes: &[u8], e: usize) -> bool {
    bytes[e].is_ascii_whitespace()
        || matches!(bytes[e], b'{' | b'}' | b';' | b'"' | b'\'')
        || (bytes[e] == b'/' && bytes.get(e + 1) == Some(&b'*'))
}

/// Splits CSS into comments, strings, braces, semicolons and runs of anything else.
fn lex_css(src: &str) -> Vec<Tok> {
    let bytes = src.as_bytes();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let ws_start = i;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= bytes.len() {
            break;
        }
        let newline_before = bytes[ws_start..i].contains(&b'\n');
        let space_before = i > ws_start;
        let b = bytes[i];
        let (end, kind) = if b == b'/' && bytes.get(i + 1) == Some(&b'*') {
            let end = js_lexer::block_comment_end(bytes, i + 2).unwrap_or(bytes.len());
            (end, Kind::BlockComment)
        } else if b == b'"' || b == b'\'' {
            (js_lexer::string_end(bytes, i + 1, b).0, Kind::Str)
        } else if matches!(b, b'{' | b'}' | b';') {
            (i + 1, Kind::Punct)
        } else {
            let mut e = i;
            while e < bytes.len() && !ends_css_word(bytes, e) {
                e += 1;
            }
            (e, Kind::Word)
        };
        let end = (end.max(i + 1)..=bytes.len())
            .find(|&e| src.is_char_boundary(e))
            .unwrap_or(bytes.len());
        toks.push(Tok {
            start: i,
            end,
            kind,
            newline_before,
            space_before,
            opens_block: false,
        });
        i = end;
    }
    toks
}

/// Whether a line break may follow `tok` (given the next token) without changing what the code
/// means. Breaks go only after `{`, `;` outside parentheses and `}`, never before a token that
/// continues the expression, and never before `++`/`--` (which a break would turn from postfix
/// into prefix).
fn breaks_after(
    lang: PrettyLang,
    src: &str,
    tok: &Tok,
    next: Option<&Tok>,
    parens: usize,
    in_block: bool,
) -> bool {
    let text = &src[tok.start..tok.end];
    let next_text = next.map(|n| &src[n.start..n.end]);
    if tok.kind == Kind::LineComment {
        return true;
    }
    if tok.kind != Kind::Punct {
        return false;
    }
    match lang {
        PrettyLang::Json => match text {
            "{" | "[" => !matches!(next_text, Some("}" | "]")),
            "," => true,
            _ => false,
        },
        PrettyLang::Css => match text {
            "{" => next_text != Some("}"),
            ";" | "}" => true,
            _ => false,
        },
        PrettyLang::Js => match text {
            "{" => next_text != Some("}"),
            ";" => parens == 0,
            // Minifiers chain statements with commas (`a=1,b(),c=2`); a break after a comma
            // directly inside a block (not a call, array or object literal) splits them.
            "," => in_block,
            "}" => {
                !matches!(
                    next_text,
                    Some(
                        ")" | "]"
                            | ","
                            | ";"
                            | "."
                            | "?."
                            | "("
                            | "["
                            | "`"
                            | "++"
                            | "--"
                            | "else"
                            | "catch"
                            | "finally"
                            | "while"
                    ) | None
                ) && !next.is_some_and(|n| n.kind == Kind::Template)
            }
            _ => false,
        },
    }
}

/// Pretty-prints `src` by the rules of `lang`: JavaScript as oxc's printer lays it out where
/// oxc parses it, everything else by the token reformatter.
pub fn pretty_print(src: &str, lang: PrettyLang) -> Result<Pretty, PrettyError> {
    let toks = tokens(src, lang)?;
    if lang == PrettyLang::Js
        && let Some(gaps) = formatter::layout(src, &toks)
    {
        return Ok(lay_out(src, &toks, &gaps));
    }
    Ok(reformat(src, lang, &toks))
}

/// Pretty-prints `src` with the token reformatter only, as for code oxc does not parse (for
/// comparisons and benchmarks).
pub fn pretty_print_tokens(src: &str, lang: PrettyLang) -> Result<Pretty, PrettyError> {
    Ok(reformat(src, lang, &tokens(src, lang)?))
}

/// The tokens of `src`, if it is not too large to pretty-print.
fn tokens(src: &str, lang: PrettyLang) -> Result<Vec<Tok>, PrettyError> {
    if src.len() > MAX_PRETTY_INPUT {
        return Err(PrettyError::TooLarge {
            size: src.len(),
            limit: MAX_PRETTY_INPUT,
        });
    }
    Ok(match lang {
        PrettyLang::Js | PrettyLang::Json => lex_js(src),
        PrettyLang::Css => lex_css(src),
    })
}

/// The token reformatter: breaks after `{`, `;` and `}`, indentation by brace depth.
fn reformat(src: &str, lang: PrettyLang, toks: &[Tok]) -> Pretty {
    let mut out = String::with_capacity(src.len() + src.len() / 4);
    let mut segments: Vec<Segment> = Vec::with_capacity(toks.len());
    let mut depth = 0usize;
    let mut parens = 0usize;
    // Open brackets, innermost last: `b` a block, `o` an object literal, `(` or `[`.
    let mut openers: Vec<u8> = Vec::new();
    let mut pending_break = false;
    for (idx, tok) in toks.iter().enumerate() {
        let text = &src[tok.start..tok.end];
        let closes =
            tok.kind == Kind::Punct && (text == "}" || (lang == PrettyLang::Json && text == "]"));
        if closes {
            depth = depth.saturating_sub(1);
        }
        let prev_opens = idx > 0 && {
            let p = &toks[idx - 1];
            p.kind == Kind::Punct && matches!(&src[p.start..p.end], "{" | "[")
        };
        let break_here =
            !out.is_empty() && (pending_break || tok.newline_before || (closes && !prev_opens));
        if break_here {
            out.push('\n');
            for _ in 0..depth.min(MAX_INDENT_DEPTH) {
                out.push_str("  ");
            }
        } else if !out.is_empty() && (tok.space_before || needs_space(lang, src, &toks[idx - 1])) {
            out.push(' ');
        }
        segments.push(Segment {
            pretty: out.len(),
            original: tok.start,
            len: tok.end - tok.start,
        });
        out.push_str(text);
        if tok.kind == Kind::Punct {
            match text {
                "{" => {
                    depth += 1;
                    openers.push(if tok.opens_block { b'b' } else { b'o' });
                }
                "[" => {
                    if lang == PrettyLang::Json {
                        depth += 1;
                    }
                    openers.push(b'[');
                }
                "(" => {
                    parens += 1;
                    openers.push(b'(');
                }
                ")" => {
                    parens = parens.saturating_sub(1);
                    openers.pop();
                }
                "}" | "]" => {
                    openers.pop();
                }
                _ => {}
            }
        }
        if openers.len() > 4096 {
            // Hostile nesting: forget the oldest, the layout only looks at the innermost.
            openers.drain(..2048);
        }
        let in_block = openers.last().is_none_or(|&o| o == b'b');
        pending_break = breaks_after(lang, src, tok, toks.get(idx + 1), parens, in_block);
    }
    Pretty::new(src, out, segments, LaidOutBy::Tokens)
}

/// The text of `toks` with the gaps a formatter chose, every token copied verbatim.
fn lay_out(src: &str, toks: &[Tok], gaps: &[formatter::Gap]) -> Pretty {
    let mut out = String::with_capacity(src.len() + src.len() / 2);
    let mut segments: Vec<Segment> = Vec::with_capacity(toks.len());
    for (tok, gap) in toks.iter().zip(gaps) {
        match *gap {
            formatter::Gap::None => {}
            formatter::Gap::Space => out.push(' '),
            formatter::Gap::Break(columns) => {
                out.push('\n');
                out.extend(std::iter::repeat_n(' ', columns.min(2 * MAX_INDENT_DEPTH)));
            }
        }
        segments.push(Segment {
            pretty: out.len(),
            original: tok.start,
            len: tok.end - tok.start,
        });
        out.push_str(&src[tok.start..tok.end]);
    }
    Pretty::new(src, out, segments, LaidOutBy::Formatter)
}

/// A readability space after `,` (JavaScript) and `:` (JSON); never needed for meaning.
fn needs_space(lang: PrettyLang, src: &str, prev: &Tok) -> bool {
    prev.kind == Kind::Punct
        && match lang {
            PrettyLang::Js => &src[prev.start..prev.end] == ",",
            PrettyLang::Json => &src[prev.start..prev.end] == ":",
            PrettyLang::Css => false,
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn squash(s: &str) -> String {
        s.chars().filter(|c| !c.is_whitespace()).collect()
    }

    #[test]
    fn breaks_blocks_and_statements() {
        let p = pretty_print(
            "function f(a){if(a){return 1}for(;;){x()}return 2}",
            PrettyLang::Js,
        )
        .unwrap();
        assert_eq!(
            p.text,
            "function f(a) {\n  if (a) {\n    return 1\n  }\n  for (;;) {\n    x()\n  }\n  return 2\n}"
        );
    }

    /// oxc's printout of `src` parsed as a module: equal for two texts when they are the same
    /// program, whatever their layout.
    fn program(src: &str) -> String {
        let allocator = oxc_allocator::Allocator::default();
        let parsed = oxc_parser::Parser::new(&allocator, src, oxc_span::SourceType::mjs()).parse();
        assert!(!parsed.diagnostics.has_errors(), "{src:?} parses");
        oxc_codegen::Codegen::new().build(&parsed.program).code
    }

    /// `src` pretty-printed as JavaScript, checked to be laid out by `by`.
    fn laid_out(src: &str, by: LaidOutBy) -> Pretty {
        let p = pretty_print(src, PrettyLang::Js).unwrap();
        assert_eq!(p.laid_out_by, by, "{src:?}");
        p
    }

    #[test]
    fn javascript_oxc_parses_reads_like_a_formatters_and_keeps_its_own_bytes() {
        let src = "async function g(){const{minutes:m,seconds:s}=await load('t',1e3);if(m)return{m,s};x=[1,2,3]}";
        let p = laid_out(src, LaidOutBy::Formatter);
        // Destructuring stays on its line; quotes and numbers are the file's, not the printer's.
        assert_eq!(
            p.text,
            "async function g() {\n  const { minutes: m, seconds: s } = await load('t', 1e3);\n  if (m) return { m, s };\n  x = [1, 2, 3]\n}"
        );
        assert_eq!(program(&p.text), program(src));
    }

    #[test]
    fn line_breaks_the_code_relies_on_are_kept() {
        // Automatic semicolon insertion: `return` then a line break returns nothing, and the
        // `++` on the next line increments `b`, not `a`.
        let src = "function f(){let a=1,b=2\na\n++b\nreturn\na}";
        let p = laid_out(src, LaidOutBy::Formatter);
        assert!(p.text.contains("return\n"), "{}", p.text);
        assert!(p.text.contains("a\n  ++b"), "{}", p.text);
        assert_eq!(program(&p.text), program(src));
    }

    #[test]
    fn comments_the_printer_leaves_out_are_still_shown() {
        let src = "f(/*inside*/a,b/*after*/);// end\nlet x=1";
        let p = laid_out(src, LaidOutBy::Formatter);
        assert_eq!(squash(&p.text), squash(src));
        assert!(p.text.contains("// end\nlet x = 1"), "{}", p.text);
    }

    #[test]
    fn javascript_oxc_cannot_parse_is_laid_out_by_tokens() {
        let src = "function f(a){if(a){return 1}else{{{";
        let p = laid_out(src, LaidOutBy::Tokens);
        assert_eq!(squash(&p.text), squash(src));
    }

    #[test]
    fn strings_templates_and_regexes_are_not_reformatted() {
        let src = "a=\"{;}\";b=`x${c({d:1})};`;e=/[;{]/g;f=x/2;g={}";
        let p = pretty_print(src, PrettyLang::Js).unwrap();
        assert!(p.text.contains("\"{;}\""));
        assert!(p.text.contains("`x${c({d:1})};`"));
        assert!(p.text.contains("/[;{]/g"));
        assert_eq!(squash(&p.text), squash(src));
    }

    #[test]
    fn no_break_before_postfix_or_member_access() {
        let p = pretty_print("a={}.b;c=function(){}();d={}\n++e", PrettyLang::Js).unwrap();
        assert!(p.text.contains("}.b"), "{}", p.text);
        assert!(p.text.contains("}()"), "{}", p.text);
    }

    #[test]
    fn maps_positions_both_ways() {
        let src = "var a={b:1};\nfunction c(){return a.b}";
        let p = pretty_print(src, PrettyLang::Js).unwrap();
        // `return` is at line 2, column 13 of the original.
        let pretty_pos = p
            .to_pretty(Position {
                line: 2,
                column: 13,
            })
            .unwrap();
        let line = p.text.lines().nth(pretty_pos.line as usize - 1).unwrap();
        assert!(line[pretty_pos.column as usize..].starts_with("return"));
        assert_eq!(
            p.to_original(pretty_pos),
            Some(Position {
                line: 2,
                column: 13
            })
        );
        assert_eq!(
            p.to_original(Position {
                line: 999,
                column: 0
            }),
            None
        );
    }

    #[test]
    fn json_one_member_per_line() {
        let p = pretty_print(r#"{"a":[1,2],"b":{}}"#, PrettyLang::Json).unwrap();
        assert_eq!(p.text, "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {}\n}");
    }

    #[test]
    fn css_one_declaration_per_line() {
        let p = pretty_print("a{color:red;b:url(\"x;y\")}c{}", PrettyLang::Css).unwrap();
        assert_eq!(p.text, "a{\n  color:red;\n  b:url(\"x;y\")\n}\nc{}");
    }

    #[test]
    fn hostile_input_never_panics_and_keeps_every_byte() {
        for src in [
            "`${`${",
            "/*",
            "\"\\",
            "'\n",
            "a/[/",
            "{{{{}}}}}}}}",
            "é\\",
            "`\\",
            "0x1e+1",
        ] {
            let p = pretty_print(src, PrettyLang::Js).unwrap();
            assert_eq!(squash(&p.text), squash(src), "{src:?}");
            let p = pretty_print(src, PrettyLang::Css).unwrap();
            assert_eq!(squash(&p.text), squash(src), "{src:?}");
        }
    }

    #[test]
    fn language_by_extension() {
        assert_eq!(
            PrettyLang::for_path("build/pdf.min.mjs"),
            Some(PrettyLang::Js)
        );
        assert_eq!(PrettyLang::for_path("a.JSON"), Some(PrettyLang::Json));
        assert_eq!(PrettyLang::for_path("x.css"), Some(PrettyLang::Css));
        assert_eq!(PrettyLang::for_path("README"), None);
    }
}
