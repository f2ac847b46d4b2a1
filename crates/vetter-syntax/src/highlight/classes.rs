//! Mapping from TextMate scopes to a small, stable set of classes.
//!
//! Grammars name thousands of scopes; the UI and the terminal need a dozen. Keeping the set small
//! and closed lets the TypeScript side switch over it exhaustively and lets themes stay tiny.

use std::collections::HashMap;

use serde::Serialize;
use syntect::parsing::Scope;
use ts_rs::TS;

/// What a run of text is, for styling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Class {
    /// Nothing in particular (identifiers, whitespace, unparsed tails of giant lines).
    Plain,
    /// Comments and doc comments.
    Comment,
    /// String literals and their quotes.
    String,
    /// Escapes inside strings.
    Escape,
    /// Regular expression literals.
    Regex,
    /// Numeric literals.
    Number,
    /// Language constants: `true`, `null`, `undefined`.
    Constant,
    /// Keywords and storage modifiers (`function`, `const`, `return`).
    Keyword,
    /// Operators.
    Operator,
    /// Names of functions being defined or called.
    Function,
    /// Type and class names.
    Type,
    /// Variables and parameters that a grammar singles out (`this`, parameters).
    Variable,
    /// Object keys and CSS properties.
    Property,
    /// Markup tag names (HTML, XML, SVG).
    Tag,
    /// Markup attribute names.
    Attribute,
    /// Punctuation: brackets, separators.
    Punctuation,
    /// Markdown headings.
    Heading,
    /// Links and URLs.
    Link,
    /// Text the grammar marks invalid.
    Invalid,
}

/// Scope prefixes and their classes; the longest matching prefix wins.
const TABLE: &[(&str, Class)] = &[
    ("comment", Class::Comment),
    ("punctuation.definition.comment", Class::Comment),
    ("string", Class::String),
    ("punctuation.definition.string", Class::String),
    ("string.regexp", Class::Regex),
    ("constant.character.escape", Class::Escape),
    ("constant.numeric", Class::Number),
    ("constant.language", Class::Constant),
    ("constant.other", Class::Constant),
    ("constant.character.entity", Class::Escape),
    ("keyword", Class::Keyword),
    ("storage", Class::Keyword),
    ("keyword.operator", Class::Operator),
    ("entity.name.function", Class::Function),
    ("support.function", Class::Function),
    ("variable.function", Class::Function),
    ("meta.function-call.identifier", Class::Function),
    ("entity.name.type", Class::Type),
    ("entity.name.class", Class::Type),
    ("entity.other.inherited-class", Class::Type),
    ("support.class", Class::Type),
    ("support.type", Class::Type),
    ("support.type.property-name", Class::Property),
    ("meta.mapping.key", Class::Property),
    ("variable.other.property", Class::Property),
    ("variable.other.object.property", Class::Property),
    ("meta.property-name", Class::Property),
    ("variable.language", Class::Variable),
    ("variable.parameter", Class::Variable),
    ("entity.name.tag", Class::Tag),
    ("entity.other.attribute-name", Class::Attribute),
    ("punctuation", Class::Punctuation),
    ("markup.heading", Class::Heading),
    ("markup.underline.link", Class::Link),
    ("markup.link", Class::Link),
    ("invalid", Class::Invalid),
];

/// Finds the class of a scope stack, memoising per scope.
#[derive(Default)]
pub(crate) struct Classifier {
    table: Vec<(Scope, Class)>,
    memo: HashMap<Scope, Option<Class>>,
}

impl Classifier {
    /// The class of the innermost scope on the stack that has one.
    pub(crate) fn class_of(&mut self, stack: &[Scope]) -> Class {
        stack
            .iter()
            .rev()
            .find_map(|&s| self.class_of_scope(s))
            .unwrap_or(Class::Plain)
    }

    fn class_of_scope(&mut self, scope: Scope) -> Option<Class> {
        if let Some(&c) = self.memo.get(&scope) {
            return c;
        }
        if self.table.is_empty() {
            // Scope::new only fails on more than 8 atoms or 65,534 distinct atoms; the table has
            // neither, and a missing entry only loses a colour.
            self.table = TABLE
                .iter()
                .filter_map(|&(s, c)| Scope::new(s).ok().map(|s| (s, c)))
                .collect();
        }
        let found = self
            .table
            .iter()
            .filter(|(prefix, _)| prefix.is_prefix_of(scope))
            .max_by_key(|(prefix, _)| prefix.len())
            .map(|&(_, c)| c);
        self.memo.insert(scope, found);
        found
    }
}
