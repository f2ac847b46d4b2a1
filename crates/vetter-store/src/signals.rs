//! Findings on a version's lines, from the review server's scanners (synced into `signals`)
//! and from the reviewer's own rules (`rule_matches`): the one shape both are shown in.

use rusqlite::OptionalExtension as _;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{Store, StoreError};

/// Where a signal comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SignalSource {
    /// The review server's scanners, as synced into the cache.
    Server,
    /// Vetter's own checks and the reviewer's own rules, run locally.
    Local,
    /// Mozilla's addons-linter, run locally by `vetter lint`.
    #[serde(rename = "addons-linter")]
    Linter,
}

/// One finding at one line of one file of the newer version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ReviewSignal {
    /// Server scanner or local rule.
    pub source: SignalSource,
    /// The scanner that raised it (`yara`, `customs`, a local rule file's name, …). Untrusted
    /// text: render it as text.
    pub scanner: String,
    /// The rule's name. Untrusted text.
    pub rule: String,
    /// A linter-style message, when the finding has one. Untrusted text.
    pub message: Option<String>,
    /// The file, in the newer version.
    pub path: String,
    /// 1-based line in the file as stored (not pretty-printed).
    pub line: u32,
    /// 1-based byte column within the line, when known (local rules know it; server scanners
    /// report lines only).
    pub column: Option<u32>,
}

impl Store {
    /// The server's signals body for add-on `guid` as sync stored it (the server's JSON, to be
    /// read as hostile), from the newest remote add-on row with that guid.
    pub fn server_signals_body(&self, guid: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT s.body FROM signals s JOIN remote_addons r ON r.id = s.addon_id
                 WHERE r.guid = ?1 ORDER BY r.id DESC LIMIT 1",
                [guid],
                |r| r.get(0),
            )
            .optional()?)
    }
}
