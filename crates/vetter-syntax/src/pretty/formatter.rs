//! JavaScript laid out the way oxc's code generator lays it out, in the original's own bytes.
//!
//! oxc parses the file and prints it again (statements on their lines, bodies indented, spaces
//! around operators). That printed text is not shown: it requotes strings, rewrites numbers,
//! adds and drops parentheses and semicolons, and drops comments it cannot place, so its bytes
//! are not the add-on's. It is used as a layout only. Both texts are lexed with the crate's one
//! lexer, the tokens are aligned, and the gap before each original token (a line break with the
//! printed indentation, a space, or nothing) is taken from the printed text. The caller then
//! copies every original token verbatim, so nothing the file holds is lost or changed, and the
//! position map stays exact at every byte, as with the token reformatter.
//!
//! A gap only ever gains a line break where the printer put one between the same two tokens
//! (a statement or list boundary, which automatic semicolon insertion reads the same way) or
//! where the original already had one; so the laid-out code means what the original means.

use std::ops::Range;

use oxc_allocator::Allocator;
use oxc_codegen::{Codegen, CodegenOptions, IndentChar};
use oxc_parser::Parser;
use oxc_span::SourceType;

use super::Tok;
use crate::js_lexer::{self, Kind};

/// Larger files are laid out by the token reformatter: the printer's syntax tree takes several
/// times the input in memory.
pub(super) const MAX_FORMATTER_INPUT: usize = 8 * 1024 * 1024;

/// The deepest nesting (as [`nesting`] over-estimates it) handed to the printer. oxc parses
/// and prints by recursion, at most about 3 KB of stack per level in a debug build
/// (parentheses, the worst measured), so [`STACK`] holds this many levels five times over.
const MAX_NESTING: u32 = 4000;

/// The stack of the thread that runs the parser and printer. Only the pages used are touched.
const STACK: usize = 64 * 1024 * 1024;

/// How far ahead the aligner looks, in each text, for the tokens to agree again.
const RESYNC_WINDOW: usize = 48;

/// The gap before a token in the laid-out text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Gap {
    /// Nothing: the token follows the previous one directly.
    None,
    /// One space.
    Space,
    /// A line break and this many columns of indentation.
    Break(usize),
}

/// The gap before each token of `toks` (the tokens of `src`) as oxc's printer lays the code
/// out; `None` when oxc does not parse the file, it is too large or too deeply nested to hand
/// to the printer, or the printed tokens cannot be aligned with the original's.
pub(super) fn layout(src: &str, toks: &[Tok]) -> Option<Vec<Gap>> {
    if src.len() > MAX_FORMATTER_INPUT || toks.is_empty() {
        return None;
    }
    let estimate = nesting(src, toks);
    // The printed text is at most the input plus each line's indentation: bound both.
    if estimate.depth > MAX_NESTING || estimate.indentation > 4 * src.len() + (1 << 20) {
        return None;
    }
    let printed = print(src)?;
    let printed_toks: Vec<Tok> = js_lexer::Tokens::new(&printed).collect();
    let pairs = align(src, toks, &printed, &printed_toks)?;
    let mut gaps = gaps(src, toks, &printed, &printed_toks, &pairs);
    fold(src, toks, &mut gaps);
    Some(gaps)
}

/// A bracketed expression this wide or narrower is put on one line.
const FOLD_WIDTH: usize = 60;

/// Lines of an array of numbers are filled up to this many columns.
const FILL_WIDTH: usize = 100;

/// Puts short bracketed expressions the printer spread over lines back on one line
/// (`[1, 2, 3]`, `{ m, s }`), and fills the lines of long arrays of numbers (tables in minified
/// code) instead of one number per line, as formatters do. A group holding a block, a comment
/// or one of the original's line breaks is left as printed.
fn fold(src: &str, toks: &[Tok], gaps: &mut [Gap]) {
    let text = |k: usize| &src[toks[k].start..toks[k].end];
    // Prefix sums over the tokens: one-line width, and what forbids folding.
    let mut width = vec![0usize; toks.len() + 1];
    let mut blockers = vec![0usize; toks.len() + 1];
    for (k, tok) in toks.iter().enumerate() {
        let gap = usize::from(gaps[k] != Gap::None);
        width[k + 1] = width[k] + (tok.end - tok.start) + gap;
        // A block: what the lexer takes for one, a body after `)` or `=>` (methods, whose
        // class body the lexer reads as an object), or a statement keyword.
        let after = |p: &str| k > 0 && toks[k - 1].kind == Kind::Punct && text(k - 1) == p;
        let block = (tok.kind == Kind::Punct
            && text(k) == "{"
            && (tok.opens_block || after(")") || after("=>")))
            || (tok.kind == Kind::Word && STATEMENT_WORDS.contains(&text(k)));
        let comment = matches!(tok.kind, Kind::LineComment | Kind::BlockComment);
        let kept_break = k > 0 && has_line_break(&src[toks[k - 1].end..tok.start]);
        blockers[k + 1] = blockers[k] + usize::from(block || comment || kept_break);
    }
    let mut open: Vec<usize> = Vec::new();
    for k in 0..toks.len() {
        if toks[k].kind != Kind::Punct {
            continue;
        }
        let closer = match text(k) {
            "(" | "[" | "{" => {
                open.push(k);
                continue;
            }
            ")" => "(",
            "]" => "[",
            "}" => "{",
            _ => continue,
        };
        let Some(o) = open.pop() else { continue };
        if text(o) != closer || blockers[k + 1] != blockers[o] {
            continue;
        }
        let inside = o + 1..=k;
        if !gaps[inside.clone()]
            .iter()
            .any(|g| matches!(g, Gap::Break(_)))
        {
            continue;
        }
        if width[k + 1] - width[o] <= FOLD_WIDTH {
            // `{ m, s }` keeps a space inside its braces; `[1, 2]` and `(a, b)` do not.
            let padded = closer == "{";
            for at in inside {
                if matches!(gaps[at], Gap::Break(_)) {
                    let edge = at == o + 1 || at == k;
                    gaps[at] = if edge && !padded {
                        Gap::None
                    } else {
                        Gap::Space
                    };
                }
            }
        } else if closer == "[" && (o + 1..k).all(|at| is_number_part(toks[at].kind, text(at))) {
            fill(toks, gaps, o, k, text);
        }
    }
}

/// Keywords that start a statement: a group holding one is code, not a value.
const STATEMENT_WORDS: &[&str] = &[
    "return", "if", "for", "while", "do", "switch", "try", "throw", "break", "continue", "var",
    "let", "const", "function", "class", "debugger", "with",
];

/// Whether a token can be part of an array of numbers: a number, a sign, a comma.
fn is_number_part(kind: Kind, text: &str) -> bool {
    kind == Kind::Number || (kind == Kind::Punct && matches!(text, "," | "-" | "+"))
}

/// Fills the lines of the array of numbers from `o` (its `[`) to `k` (its `]`).
fn fill<'a>(toks: &[Tok], gaps: &mut [Gap], o: usize, k: usize, text: impl Fn(usize) -> &'a str) {
    let Some(Gap::Break(indent)) = gaps.get(o + 1).copied() else {
        return;
    };
    let mut column = indent;
    let mut at = o + 1;
    while at < k {
        // One element: the tokens up to and including its comma.
        let end = (at..k).find(|&e| text(e) == ",").map_or(k, |e| e + 1);
        let len: usize = (at..end).map(|e| toks[e].end - toks[e].start).sum();
        if at > o + 1 {
            if column + 1 + len > FILL_WIDTH {
                gaps[at] = Gap::Break(indent);
                column = indent;
            } else {
                gaps[at] = Gap::Space;
                column += 1;
            }
        }
        column += len;
        at = end;
    }
}

/// The file as oxc prints it, on a thread with a stack deep enough for [`MAX_NESTING`]; `None`
/// when no JavaScript or TypeScript dialect parses it without errors.
fn print(src: &str) -> Option<String> {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("pretty-print".into())
            .stack_size(STACK)
            .spawn_scoped(scope, || {
                // Modules first (most add-on code today), then classic scripts (which allow
                // `with` and legacy octals), CommonJS (top-level `return`), JSX and TypeScript.
                let dialects = [
                    SourceType::mjs(),
                    SourceType::script(),
                    SourceType::cjs(),
                    SourceType::jsx(),
                    SourceType::ts(),
                    SourceType::tsx(),
                ];
                dialects.into_iter().find_map(|dialect| {
                    let allocator = Allocator::default();
                    let parsed = Parser::new(&allocator, src, dialect).parse();
                    if parsed.panicked || parsed.diagnostics.has_errors() {
                        return None;
                    }
                    let options = CodegenOptions {
                        indent_char: IndentChar::Space,
                        indent_width: 2,
                        ..CodegenOptions::default()
                    };
                    Some(
                        Codegen::new()
                            .with_options(options)
                            .build(&parsed.program)
                            .code,
                    )
                })
            })
            .ok()?
            .join()
            .ok()
            .flatten()
    })
}

/// An over-estimate of how deeply the syntax tree nests, and of the printed indentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Nesting {
    depth: u32,
    indentation: usize,
}

/// Over-estimates the syntax tree's depth from the tokens: each open bracket is a level, and so
/// is every token that can nest what follows it (a prefix operator, `?`, `:`, `.`, an assignment,
/// `=>`, a statement keyword) until a `,` or `;` at its bracket level ends the expression. Binary
/// operators are not counted: oxc reads and prints their chains without recursion. An `else`
/// counts until its block closes, since `else if` chains nest across `;`.
fn nesting(src: &str, toks: &[Tok]) -> Nesting {
    // Per open bracket: the nesting tokens of the running expression, and the `else`s.
    let mut frames: Vec<(u32, u32)> = vec![(0, 0)];
    let mut depth: u32 = 0;
    let mut out = Nesting {
        depth: 0,
        indentation: 0,
    };
    let mut prev: Option<&Tok> = None;
    for tok in toks {
        let text = &src[tok.start..tok.end];
        let top = frames.len() - 1;
        match (tok.kind, text) {
            (Kind::Punct, "(" | "[" | "{") => {
                frames.push((0, 0));
                depth += 1;
            }
            (Kind::Punct, ")" | "]" | "}") if frames.len() > 1 => {
                let (expr, elses) = frames.pop().unwrap_or_default();
                depth = depth.saturating_sub(1 + expr + elses);
            }
            (Kind::Punct, ";" | ",") => {
                depth = depth.saturating_sub(frames[top].0);
                frames[top].0 = 0;
            }
            (Kind::Punct, "+" | "-")
                if prev.is_none_or(|p| {
                    p.kind == Kind::Punct && !matches!(&src[p.start..p.end], ")" | "]" | "}")
                }) =>
            {
                frames[top].0 += 1;
                depth += 1;
            }
            (Kind::Punct, p) if nests(p) => {
                frames[top].0 += 1;
                depth += 1;
            }
            (
                Kind::Word,
                "typeof" | "void" | "delete" | "await" | "new" | "yield" | "if" | "for" | "while"
                | "with" | "do" | "return" | "throw" | "case" | "class" | "function",
            ) => {
                frames[top].0 += 1;
                depth += 1;
            }
            (Kind::Word, "else") => {
                frames[top].1 += 1;
                depth += 1;
            }
            _ => {}
        }
        // Template substitutions nest inside one token of ours.
        let inner = if tok.kind == Kind::Template {
            u32::try_from(text.matches("${").count()).unwrap_or(u32::MAX)
        } else {
            0
        };
        let here = depth.saturating_add(inner);
        out.depth = out.depth.max(here);
        if tok.kind == Kind::Punct && matches!(text, ";" | "{" | "}" | ",") {
            out.indentation = out.indentation.saturating_add(2 * here as usize);
        }
        prev = Some(tok);
    }
    out
}

/// Punctuators after which the parser (or the printer) recurses into what follows.
fn nests(p: &str) -> bool {
    matches!(
        p,
        "!" | "~"
            | "?"
            | ":"
            | "."
            | "?."
            | "..."
            | "=>"
            | "**"
            | "="
            | "+="
            | "-="
            | "*="
            | "/="
            | "%="
            | "**="
            | "<<="
            | ">>="
            | ">>>="
            | "&="
            | "|="
            | "^="
            | "&&="
            | "||="
            | "??="
    )
}

/// Whether two tokens are the same token of the program: the same kind, and for names and
/// punctuators the same text. Literals and comments are compared by kind only, since the
/// printer requotes strings, rewrites numbers, templates and regular expressions, and
/// re-indents the lines of block comments.
fn same(a_src: &str, a: &Tok, b_src: &str, b: &Tok) -> bool {
    a.kind == b.kind
        && match a.kind {
            Kind::Str
            | Kind::Number
            | Kind::Template
            | Kind::Regex
            | Kind::LineComment
            | Kind::BlockComment => true,
            _ => a_src[a.start..a.end] == b_src[b.start..b.end],
        }
}

/// Pairs each original token with the printed token it became, where there is one; `None` when
/// the two drift apart (the printer reordered or rewrote more than [`RESYNC_WINDOW`] tokens).
/// Greedy and windowed rather than a full diff, so its time is linear in the tokens and its
/// result does not depend on a deadline.
fn align(
    src: &str,
    toks: &[Tok],
    printed: &str,
    printed_toks: &[Tok],
) -> Option<Vec<Option<usize>>> {
    let agree = |i: usize, j: usize, run: usize| {
        (0..run).all(|k| match (toks.get(i + k), printed_toks.get(j + k)) {
            (Some(a), Some(b)) => same(src, a, printed, b),
            // Both texts end here: as good as agreeing.
            (None, None) => true,
            _ => false,
        })
    };
    let mut pairs = vec![None; toks.len()];
    let (mut i, mut j) = (0, 0);
    // Tokens skipped to get back in step: a file the printer rewrote wholesale is not aligned.
    let mut skipped = 0usize;
    while i < toks.len() && j < printed_toks.len() {
        if same(src, &toks[i], printed, &printed_toks[j]) {
            pairs[i] = Some(j);
            i += 1;
            j += 1;
            continue;
        }
        // The printer's own semicolons (after a statement that relied on a line break or a
        // `}`), and semicolons of ours it dropped (empty statements), are skipped at no cost.
        if is_semicolon(printed, &printed_toks[j]) {
            j += 1;
            continue;
        }
        if is_semicolon(src, &toks[i]) {
            i += 1;
            continue;
        }
        // The nearest point, by tokens skipped in both texts, where three tokens agree again.
        let (di, dj) = (1..=2 * RESYNC_WINDOW).find_map(|total| {
            (0..=total.min(RESYNC_WINDOW))
                .map(|di| (di, total - di))
                .filter(|&(_, dj)| dj <= RESYNC_WINDOW)
                .find(|&(di, dj)| agree(i + di, j + dj, 3))
        })?;
        // Within the skipped stretch, the tokens both still share (`e` of `e=>` printed as
        // `(e) =>`) are paired too, so their spacing is the printer's.
        for (a, b) in common(di, dj, |a, b| {
            same(src, &toks[i + a], printed, &printed_toks[j + b])
        }) {
            pairs[i + a] = Some(j + b);
        }
        skipped += di + dj;
        i += di;
        j += dj;
    }
    (skipped <= toks.len() / 4 + 16).then_some(pairs)
}

/// The pairs of a longest common subsequence of two short runs of `n` and `m` tokens, in order.
fn common(n: usize, m: usize, eq: impl Fn(usize, usize) -> bool) -> Vec<(usize, usize)> {
    // lcs[a][b]: the longest common subsequence of the runs from a and from b on.
    let mut lcs = vec![vec![0u16; m + 1]; n + 1];
    for a in (0..n).rev() {
        for b in (0..m).rev() {
            lcs[a][b] = if eq(a, b) {
                lcs[a + 1][b + 1] + 1
            } else {
                lcs[a + 1][b].max(lcs[a][b + 1])
            };
        }
    }
    let (mut a, mut b, mut out) = (0, 0, Vec::new());
    while a < n && b < m {
        if eq(a, b) && lcs[a][b] == lcs[a + 1][b + 1] + 1 {
            out.push((a, b));
            a += 1;
            b += 1;
        } else if lcs[a + 1][b] >= lcs[a][b + 1] {
            a += 1;
        } else {
            b += 1;
        }
    }
    out
}

/// Whether `tok` is a `;`.
fn is_semicolon(src: &str, tok: &Tok) -> bool {
    tok.kind == Kind::Punct && &src[tok.start..tok.end] == ";"
}

/// Whether `text` holds a JavaScript line terminator.
fn has_line_break(text: &str) -> bool {
    text.contains(['\n', '\r', '\u{2028}', '\u{2029}'])
}

/// Whether byte `at` of the printed text is the first of its line after the indentation (or
/// of the text).
fn starts_line(printed: &str, at: usize) -> bool {
    let before = printed[..at].trim_end_matches(' ');
    before.is_empty() || before.ends_with('\n')
}

/// Columns of indentation of the printed line holding byte `at`.
fn indent_at(printed: &str, at: usize) -> usize {
    let line_start = printed[..at].rfind('\n').map_or(0, |n| n + 1);
    printed[line_start..at]
        .bytes()
        .take_while(|&b| b == b' ')
        .count()
}

/// Whether two tokens written with nothing between would read as other tokens.
fn would_merge(prev: &str, next: &str) -> bool {
    let (Some(a), Some(b)) = (prev.chars().last(), next.chars().next()) else {
        return false;
    };
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '$' || c == '\\' || !c.is_ascii();
    (word(a) && word(b))
        || (a == b && matches!(a, '+' | '-'))
        || (a == '/' && matches!(b, '/' | '*'))
        || (a.is_ascii_digit() && b == '.')
        || (a == '<' && b == '!')
        || (a == '-' && b == '>')
}

/// The gap before each original token, from the printed text where the token and the one
/// before it were both aligned, else from the original's own whitespace.
fn gaps(
    src: &str,
    toks: &[Tok],
    printed: &str,
    printed_toks: &[Tok],
    pairs: &[Option<usize>],
) -> Vec<Gap> {
    let mut out = Vec::with_capacity(toks.len());
    let mut indent = 0usize;
    // The last aligned original token and its printed partner.
    let mut last: Option<(usize, usize)> = None;
    for (i, tok) in toks.iter().enumerate() {
        if i == 0 {
            out.push(Gap::None);
            if let Some(j) = pairs[0] {
                last = Some((0, j));
            }
            continue;
        }
        let prev = &toks[i - 1];
        let original_gap: Range<usize> = prev.end..tok.start;
        let original_break = has_line_break(&src[original_gap.clone()]);
        let gap = match (pairs[i], last) {
            (Some(j), Some((p, q))) if q < j => {
                let between = &printed[printed_toks[q].end..printed_toks[j].start];
                let printed_ws = between.chars().any(char::is_whitespace);
                if has_line_break(between) || original_break {
                    indent = indent_at(printed, printed_toks[j].start);
                    Gap::Break(indent)
                } else if p + 1 == i && !printed_ws && (between.is_empty() || !tok.space_before) {
                    Gap::None
                } else if p + 1 == i || tok.space_before {
                    Gap::Space
                } else {
                    Gap::None
                }
            }
            // After a comment the printer dropped, a token it starts a line with starts one.
            (Some(j), _) if original_break || starts_line(printed, printed_toks[j].start) => {
                indent = indent_at(printed, printed_toks[j].start);
                Gap::Break(indent)
            }
            _ if original_break => Gap::Break(indent),
            _ if tok.space_before => Gap::Space,
            _ => Gap::None,
        };
        // Text compared by kind only (a requoted string, a rewritten number) may start or end
        // differently from the printed token that decided the gap: never let two tokens merge.
        let gap = if gap == Gap::None
            && would_merge(&src[prev.start..prev.end], &src[tok.start..tok.end])
        {
            Gap::Space
        } else {
            gap
        };
        out.push(gap);
        if let Some(j) = pairs[i] {
            last = Some((i, j));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<Tok> {
        js_lexer::Tokens::new(src).collect()
    }

    #[test]
    fn deep_nesting_is_not_handed_to_the_printer() {
        for src in [
            format!("x={}1{};", "(".repeat(5000), ")".repeat(5000)),
            format!("x={}a;", "!".repeat(5000)),
            format!("x={}c;", "a?b:".repeat(5000)),
            format!("{}x;", "if(a)".repeat(5000)),
            format!("x=a{};", ".b".repeat(5000)),
            format!("{}x;", "if(a)x;else ".repeat(5000)),
            format!("x={}1;", "- ".repeat(5000)),
        ] {
            let t = toks(&src);
            assert!(nesting(&src, &t).depth > MAX_NESTING, "{}", &src[..40]);
            assert_eq!(layout(&src, &t), None, "{}", &src[..40]);
        }
    }

    #[test]
    fn a_long_chain_of_binary_operators_is_shallow() {
        // Minified bundles join long strings with `+`; oxc needs no recursion for them.
        let src = format!("x=a{};", "+a".repeat(20_000));
        let t = toks(&src);
        assert!(nesting(&src, &t).depth < 10);
        assert!(layout(&src, &t).is_some());
    }

    #[test]
    fn code_oxc_does_not_parse_gets_no_layout() {
        let src = "function f( { return 1 }";
        assert_eq!(layout(src, &toks(src)), None);
    }

    #[test]
    fn tokens_that_would_merge_keep_a_space() {
        assert!(would_merge("a", "in"));
        assert!(would_merge("+", "+x"));
        assert!(would_merge("1", ".toString"));
        assert!(!would_merge(")", "x"));
    }
}
