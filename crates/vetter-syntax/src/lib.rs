//! Reading code: syntax highlighting and pretty-printing.
//!
//! Both serve the same screen (a diff of minified JavaScript must be readable and coloured), so
//! they live together: the highlighter chooses a grammar per file and colours it line by line,
//! lazily; the pretty-printer re-flows minified JavaScript, CSS and JSON and keeps a map from
//! printed lines back to stored ones.

pub mod highlight;
mod js_lexer;
pub mod parse;
pub mod pretty;
