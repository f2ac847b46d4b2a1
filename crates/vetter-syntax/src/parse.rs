//! JavaScript parsed into oxc's syntax tree, for the pretty-printer's layout and the
//! capability analysis, behind one guard.
//!
//! oxc parses by recursion without a depth limit: 10,000 nested parentheses abort the process
//! on an 8 MB stack. Every parse therefore runs on a thread with a large stack, and only after
//! an over-estimate of the nesting from this crate's lexer stays under [`MAX_NESTING`].

use oxc_allocator::Allocator;
use oxc_ast::ast::Program;
use oxc_parser::Parser;
use oxc_span::SourceType;

use crate::js_lexer::{Kind, Token, Tokens};

/// Larger texts are not parsed: the syntax tree takes several times the input in memory.
pub const MAX_PARSE_INPUT: usize = 8 * 1024 * 1024;

/// The deepest nesting (as [`nesting`] over-estimates it) handed to the parser. oxc parses and
/// prints by recursion, at most about 3 KB of stack per level in a debug build (parentheses,
/// the worst measured), so [`STACK`] holds this many levels five times over.
pub const MAX_NESTING: u32 = 4000;

/// The stack of the thread that runs the parser and the caller's walk. Only the pages used are
/// touched.
const STACK: usize = 64 * 1024 * 1024;

/// Why [`with_program`] handed over no syntax tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ParseRefusal {
    /// The text is larger than [`MAX_PARSE_INPUT`].
    #[error("larger than {MAX_PARSE_INPUT} bytes, not parsed")]
    TooLarge,
    /// The text nests more deeply than [`MAX_NESTING`] levels (an over-estimate).
    #[error("nested more than {MAX_NESTING} levels deep, not parsed")]
    TooDeep,
    /// No JavaScript or TypeScript dialect parses the text without errors.
    #[error("not JavaScript that parses without errors")]
    Unparsed,
}

/// Parses `src` as a module, a classic script, CommonJS, JSX or TypeScript (the first dialect
/// that parses without errors) and hands the syntax tree to `walk`, on a thread with a stack
/// deep enough for [`MAX_NESTING`] levels of recursion in `walk` too.
pub fn with_program<R: Send>(
    src: &str,
    walk: impl for<'a> FnOnce(&Program<'a>) -> R + Send,
) -> Result<R, ParseRefusal> {
    if src.len() > MAX_PARSE_INPUT {
        return Err(ParseRefusal::TooLarge);
    }
    let toks: Vec<Token> = Tokens::new(src).collect();
    with_lexed_program(src, &toks, walk)
}

/// [`with_program`] for a text already lexed into `toks`.
pub(crate) fn with_lexed_program<R: Send>(
    src: &str,
    toks: &[Token],
    walk: impl for<'a> FnOnce(&Program<'a>) -> R + Send,
) -> Result<R, ParseRefusal> {
    if src.len() > MAX_PARSE_INPUT {
        return Err(ParseRefusal::TooLarge);
    }
    if nesting(src, toks).depth > MAX_NESTING {
        return Err(ParseRefusal::TooDeep);
    }
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("js-parse".into())
            .stack_size(STACK)
            .spawn_scoped(scope, move || {
                // Modules first (most add-on code today), then classic scripts (which allow
                // `with` and legacy octals), CommonJS (top-level `return`), JSX, TypeScript, and
                // TypeScript declarations (bodiless functions).
                let dialects = [
                    SourceType::mjs(),
                    SourceType::script(),
                    SourceType::cjs(),
                    SourceType::jsx(),
                    SourceType::ts(),
                    SourceType::tsx(),
                    SourceType::d_ts(),
                ];
                for dialect in dialects {
                    let allocator = Allocator::default();
                    let parsed = Parser::new(&allocator, src, dialect).parse();
                    if !parsed.panicked && !parsed.diagnostics.has_errors() {
                        return Ok(walk(&parsed.program));
                    }
                }
                Err(ParseRefusal::Unparsed)
            })
            .map_err(|_| ParseRefusal::Unparsed)?
            .join()
            .unwrap_or(Err(ParseRefusal::Unparsed))
    })
}

/// An over-estimate of how deeply the syntax tree nests, and of the printed indentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Nesting {
    /// The deepest level.
    pub(crate) depth: u32,
    /// The printed indentation of the whole text, in columns.
    pub(crate) indentation: usize,
}

/// Over-estimates the syntax tree's depth from the tokens: each open bracket is a level, and so
/// is every token that can nest what follows it (a prefix operator, `?`, `:`, `.`, an assignment,
/// `=>`, a statement keyword) until a `,` or `;` at its bracket level ends the expression. Binary
/// operators are not counted: oxc reads and prints their chains without recursion. An `else`
/// counts until its block closes, since `else if` chains nest across `;`.
pub(crate) fn nesting(src: &str, toks: &[Token]) -> Nesting {
    // Per open bracket: the nesting tokens of the running expression, and the `else`s.
    let mut frames: Vec<(u32, u32)> = vec![(0, 0)];
    let mut depth: u32 = 0;
    let mut out = Nesting {
        depth: 0,
        indentation: 0,
    };
    let mut prev: Option<&Token> = None;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<Token> {
        Tokens::new(src).collect()
    }

    #[test]
    fn deep_nesting_is_not_handed_to_the_parser() {
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
            assert_eq!(
                with_program(&src, |_| ()),
                Err(ParseRefusal::TooDeep),
                "{}",
                &src[..40]
            );
        }
    }

    #[test]
    fn a_long_chain_of_binary_operators_is_shallow() {
        // Minified bundles join long strings with `+`; oxc needs no recursion for them.
        let src = format!("x=a{};", "+a".repeat(20_000));
        let t = toks(&src);
        assert!(nesting(&src, &t).depth < 10);
        assert_eq!(with_program(&src, |_| ()), Ok(()));
    }

    #[test]
    fn a_script_with_errors_in_every_dialect_is_refused() {
        assert_eq!(
            with_program("function f( { return 1 }", |_| ()),
            Err(ParseRefusal::Unparsed)
        );
    }

    #[test]
    fn a_classic_script_parses_where_a_module_does_not() {
        // `with` is a syntax error in a module (strict mode) only.
        let statements = with_program("with (a) { b = 1 }", |p| p.body.len());
        assert_eq!(statements, Ok(1));
    }

    #[test]
    fn typescript_declarations_parse() {
        let src = "export function f(a: any): boolean;\ndeclare const x: any;\n";
        assert_eq!(with_program(src, |p| p.body.len()), Ok(2));
    }
}
