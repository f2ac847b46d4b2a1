//! Choosing a grammar for a file.
//!
//! JavaScript, TypeScript, JSON and CSS go to the built-in lexers (see `native.rs` for why);
//! everything else goes to syntect's bundled grammars (Sublime Text's defaults): HTML, XML and
//! SVG, Markdown, and the rest by extension or first line. syntect bundles no TypeScript grammar;
//! the built-in lexer covers it (JavaScript plus TypeScript's keywords and primitive types).

use std::sync::OnceLock;

use serde::Serialize;
use syntect::parsing::SyntaxSet;
use ts_rs::TS;

use super::Grammar;
use super::native::Lang;

/// How the grammar for a file was chosen, so a reviewer can see why a file looks as it does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SyntaxChoice {
    /// The grammar's name ("JavaScript", "JSON", "Plain Text", ...).
    pub name: String,
    /// What decided it.
    pub by: ChosenBy,
    /// Which engine highlights it.
    pub engine: Engine,
}

/// The engine behind a grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Engine {
    /// Vetter's built-in lexer (JavaScript, TypeScript, JSON, CSS).
    BuiltIn,
    /// A syntect grammar.
    Syntect,
}

/// What decided the grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ChosenBy {
    /// The file name's extension.
    Extension,
    /// The first line (a shebang, `<?xml`, `<!DOCTYPE html>`).
    FirstLine,
    /// Nothing matched: plain text.
    Fallback,
}

/// The bundled grammars, loaded once per process.
pub(crate) fn syntax_set() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(SyntaxSet::load_defaults_newlines)
}

/// The built-in lexer for an extension, if any.
fn native_for(ext: &str) -> Option<(Lang, &'static str)> {
    Some(match ext {
        "js" | "mjs" | "cjs" | "jsm" | "jsx" | "es6" => (Lang::Js, "JavaScript"),
        "ts" | "mts" | "cts" | "tsx" => (Lang::Ts, "TypeScript"),
        "json" | "map" | "webmanifest" | "jsonc" => (Lang::Json, "JSON"),
        "css" => (Lang::Css, "CSS"),
        _ => return None,
    })
}

/// Extensions that the bundled grammars do not list but that add-ons use.
fn alias(ext: &str) -> Option<&'static str> {
    Some(match ext {
        "svg" | "xul" | "rdf" | "xhtml" | "xsl" | "ftl" => "xml",
        "htm" | "shtml" => "html",
        "markdown" | "mdown" => "md",
        _ => return None,
    })
}

/// Picks the grammar for `path` by extension, then by `first_line`, else plain text.
pub(crate) fn choose(path: &str, first_line: &str) -> (Grammar, SyntaxChoice) {
    let set = syntax_set();
    let name = path.rsplit('/').next().unwrap_or(path);
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let native = |lang: Lang, name: &str, by: ChosenBy| {
        (
            Grammar::Native(lang),
            SyntaxChoice {
                name: name.to_owned(),
                by,
                engine: Engine::BuiltIn,
            },
        )
    };
    if let Some((lang, name)) = native_for(&ext) {
        return native(lang, name, ChosenBy::Extension);
    }
    let by_ext = if ext.is_empty() {
        None
    } else {
        set.find_syntax_by_extension(alias(&ext).unwrap_or(&ext))
    };
    if let Some(s) = by_ext {
        return syntect_choice(s, ChosenBy::Extension);
    }
    if first_line.starts_with("#!") && first_line.contains("node") {
        return native(Lang::Js, "JavaScript", ChosenBy::FirstLine);
    }
    let trimmed = first_line.trim_start();
    if trimmed.starts_with('{') && trimmed.contains('"') {
        return native(Lang::Json, "JSON", ChosenBy::FirstLine);
    }
    match set.find_syntax_by_first_line(first_line) {
        Some(s) => syntect_choice(s, ChosenBy::FirstLine),
        None => syntect_choice(set.find_syntax_plain_text(), ChosenBy::Fallback),
    }
}

fn syntect_choice(
    s: &'static syntect::parsing::SyntaxReference,
    by: ChosenBy,
) -> (Grammar, SyntaxChoice) {
    (
        Grammar::Syntect(s),
        SyntaxChoice {
            name: s.name.clone(),
            by,
            engine: Engine::Syntect,
        },
    )
}

/// Which grammar a file would get, without building a highlighter.
pub fn choose_syntax(path: &str, first_line: &str) -> SyntaxChoice {
    choose(path, first_line).1
}
