//! Review sessions: one add-on's version pair, ready for a viewer that draws a screen at a time.
//!
//! A reviewer opens a pair once and then scrolls, jumps between changes and expands context many
//! times a second, so the session diffs the pair once, keeps the opened files' texts, line diffs,
//! highlighters and row layouts, and serves any window of display rows (clipped to the columns
//! on screen) in time proportional to the window, never to the file. A 50,000-line file or a
//! 1,000,000-character line costs the same per screen as a small one.
//!
//! "Viewed" marks live in the cache keyed by add-on, path and the file's sha256, so a file marked
//! in an earlier review stays marked in later ones for as long as its bytes do not change.
//!
//! The crate root names the modules, re-exports the session's public items at the paths callers
//! use (`vetter_review::ReviewSession`, `vetter_review::ViewOptions`, ...), among them the error
//! the session's operations share (`error.rs`).

pub mod capabilities;
pub mod deeplink;
pub mod links;
pub mod notes;
pub mod report;
pub mod search;
pub mod tree;

mod addons;
mod changes;
mod error;
mod images;
mod layout;
mod line_count;
mod local_signals;
mod session;
mod side_text;
mod signals;
mod viewed;

pub use addons::{AddonVersions, cached_addons};
pub use changes::RENAME_SCAN_BYTES;
pub use error::ReviewError;
pub use images::{MAX_IMAGE_BYTES, image_type};
pub use layout::{
    DEFAULT_CONTEXT, DiffLayout, FileLayout, MAX_FIND_HITS, MAX_WINDOW_COLS, MAX_WINDOW_ROWS, Side,
    ViewCell, ViewOptions, ViewRow, ViewSpan,
};
pub use line_count::{CountedFile, FileCounts, LineCounter};
pub use local_signals::{
    LocalSignals, RULE_HIDDEN_NAME, RULE_HIDDEN_TEXT, RULE_NESTED_ARCHIVE, content_signals,
    local_signals, version_signals,
};
pub use session::{LineTarget, ReviewFile, ReviewSession, ReviewSummary};
pub use signals::{
    MAX_SIGNALS, SignalRow, VETTER_SCANNER, parse_server_signals, parse_validator_signals,
};
pub use vetter_store::signals::{ReviewSignal, SignalSource};

#[cfg(test)]
mod reveal_tests;
#[cfg(test)]
mod tests;
