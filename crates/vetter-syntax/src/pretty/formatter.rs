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

use oxc_codegen::{Codegen, CodegenOptions, IndentChar};

use super::Tok;
use crate::js_lexer::{self, Kind};
use crate::parse;

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
    if src.len() > parse::MAX_PARSE_INPUT || toks.is_empty() {
        return None;
    }
    // The printed text is at most the input plus each line's indentation: bound it (the
    // parser's own guard bounds the depth).
    if parse::nesting(src, toks).indentation > 4 * src.len() + (1 << 20) {
        return None;
    }
    let printed = print(src, toks)?;
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

/// The file as oxc prints it; `None` when [`parse::with_program`] refuses it or no dialect
/// parses it without errors.
fn print(src: &str, toks: &[Tok]) -> Option<String> {
    let options = CodegenOptions {
        indent_char: IndentChar::Space,
        indent_width: 2,
        ..CodegenOptions::default()
    };
    parse::with_lexed_program(src, toks, |program| {
        Codegen::new().with_options(options).build(program).code
    })
    .ok()
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
    fn deep_nesting_gets_no_layout() {
        let src = format!("x={}1{};", "(".repeat(5000), ")".repeat(5000));
        assert_eq!(layout(&src, &toks(&src)), None);
    }

    #[test]
    fn a_long_chain_of_binary_operators_is_laid_out() {
        let src = format!("x=a{};", "+a".repeat(20_000));
        assert!(layout(&src, &toks(&src)).is_some());
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
