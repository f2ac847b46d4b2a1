//! Signals: the server's scanner hits and AMO's validator findings parsed leniently from the
//! cache (their bodies are treated as hostile), and placed on the lines of an opened file, so
//! that every finding can be reached from the review.

use std::collections::{BTreeSet, HashSet};

use serde::Serialize;
use ts_rs::TS;
use vetter_diff::{FileChange, FileStatus};
use vetter_store::Store;

use crate::side_text::SideText;
use crate::{ReviewError, ReviewFile, ReviewSignal, SignalSource};

/// The most files a review lists only because signals point into them (each is read and hashed
/// when the review opens).
const MAX_FLAGGED_UNCHANGED: usize = 200;

/// The scanner name of the signals raised by Vetter's own content checks.
pub const VETTER_SCANNER: &str = "vetter";

/// The most signals a review keeps; a hostile or runaway signals body is cut here.
pub const MAX_SIGNALS: usize = 10_000;

/// A signal shown at a display row of an opened file (a target of "next signal").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SignalRow {
    /// The display row.
    pub row: u32,
    /// The signal's index in [`ReviewSummary::signals`](crate::ReviewSummary::signals).
    pub signal: u32,
}

/// The signals a review opens with: the server's for add-on `guid`, then AMO's validator
/// findings on the newer version `new_id`, at most [`MAX_SIGNALS`] in all.
pub(crate) fn stored_signals(
    store: &Store,
    guid: &str,
    new_id: i64,
) -> Result<Vec<ReviewSignal>, ReviewError> {
    let mut signals = server_signals(store, guid)?;
    signals.extend(validator_signals(store, new_id)?);
    signals.truncate(MAX_SIGNALS);
    Ok(signals)
}

/// The paths `signals` point into that `files` does not list with a newer side, in path order,
/// at most [`MAX_FLAGGED_UNCHANGED`] of them.
pub(crate) fn unlisted_paths(files: &[ReviewFile], signals: &[ReviewSignal]) -> Vec<String> {
    let listed: HashSet<&str> = files
        .iter()
        .filter(|f| f.change.new_sha256.is_some())
        .map(|f| f.change.path.as_str())
        .collect();
    signals
        .iter()
        .map(|s| s.path.as_str())
        .filter(|p| !p.is_empty() && !listed.contains(p))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .take(MAX_FLAGGED_UNCHANGED)
        .map(str::to_owned)
        .collect()
}

/// Where `signals` on `change` show on its newer side `new`: the 0-based shown line and the
/// signal's index. A deleted file has none, and a signal on a line the side lacks is left out.
pub(crate) fn signal_lines(
    signals: &[ReviewSignal],
    change: &FileChange,
    new: &SideText,
) -> Vec<(u32, u32)> {
    if change.status == FileStatus::Deleted {
        return Vec::new();
    }
    signals
        .iter()
        .enumerate()
        .filter(|(_, s)| s.path == change.path)
        .filter_map(|(i, s)| {
            let line = new.shown_line(s.line, s.column)?;
            Some((line, u32::try_from(i).unwrap_or(u32::MAX)))
        })
        .collect()
}

/// The server's signals for add-on `guid`, as sync stored them, read leniently: the body is
/// the server's JSON and is treated as hostile, so entries of the wrong shape are skipped, text
/// fields are kept only as text, and at most [`MAX_SIGNALS`] are kept.
fn server_signals(store: &Store, guid: &str) -> Result<Vec<ReviewSignal>, ReviewError> {
    let body = store.server_signals_body(guid)?;
    Ok(body.map(|b| parse_server_signals(&b)).unwrap_or_default())
}

/// AMO's validation results kept with version `version_id` when it was fetched, one signal
/// per message that points at a line; read leniently, as the body is the store's JSON.
fn validator_signals(store: &Store, version_id: i64) -> Result<Vec<ReviewSignal>, ReviewError> {
    let Some(body) = store.findings(version_id, vetter_store::VALIDATOR_SOURCE)? else {
        return Ok(Vec::new());
    };
    Ok(parse_validator_signals(&body))
}

/// Parses AMO's stored linter results (`{"validation": {"messages": [...]}}`).
pub fn parse_validator_signals(body: &str) -> Vec<ReviewSignal> {
    let Ok(found) = serde_json::from_str::<vetter_protocol::amo::FileValidation>(body) else {
        return Vec::new();
    };
    let cut = |s: String| s.chars().take(1_000).collect::<String>();
    found
        .validation
        .all()
        .cloned()
        .filter_map(|m| {
            let path = m.file.clone().filter(|p| !p.is_empty())?;
            let line = m
                .line
                .and_then(|l| u32::try_from(l).ok())
                .filter(|l| *l > 0)?;
            Some(ReviewSignal {
                source: SignalSource::Server,
                scanner: "AMO validator".to_owned(),
                rule: cut(m
                    .rule()
                    .unwrap_or_else(|| m.kind.clone().unwrap_or_default())),
                message: m.message.map(cut),
                path,
                line,
                column: m
                    .column
                    .and_then(|c| u32::try_from(c).ok())
                    .filter(|c| *c > 0),
            })
        })
        .take(MAX_SIGNALS)
        .collect()
}

/// Parses a synced signals body (`{"scanners": [{"scanner", "rule", "message"?, "files":
/// [{"path", "lines": [..]}]}]}`) into one signal per file line.
pub fn parse_server_signals(body: &str) -> Vec<ReviewSignal> {
    /// Longest scanner, rule or message text kept; longer text is cut at a character boundary.
    const MAX_TEXT: usize = 1_000;
    fn text(v: &serde_json::Value) -> Option<String> {
        let s = v.as_str()?;
        let mut end = s.len().min(MAX_TEXT);
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        Some(s[..end].to_owned())
    }
    let Ok(json) = serde_json::from_str::<serde_json::Value>(body) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let scanners = json["scanners"].as_array().map_or(&[][..], Vec::as_slice);
    for hit in scanners {
        let (Some(scanner), Some(rule)) = (text(&hit["scanner"]), text(&hit["rule"])) else {
            continue;
        };
        let message = text(&hit["message"]);
        for file in hit["files"].as_array().map_or(&[][..], Vec::as_slice) {
            let Some(path) = file["path"].as_str() else {
                continue;
            };
            for line in file["lines"].as_array().map_or(&[][..], Vec::as_slice) {
                let Some(line) = line.as_u64().and_then(|l| u32::try_from(l).ok()) else {
                    continue;
                };
                if line == 0 {
                    continue;
                }
                if out.len() >= MAX_SIGNALS {
                    return out;
                }
                out.push(ReviewSignal {
                    source: SignalSource::Server,
                    scanner: scanner.clone(),
                    rule: rule.clone(),
                    message: message.clone(),
                    path: path.to_owned(),
                    line,
                    column: None,
                });
            }
        }
    }
    out
}

/// A signal of Vetter's own checks.
pub(crate) fn signal(
    rule: &str,
    message: String,
    path: &str,
    line: u32,
    column: Option<u32>,
) -> ReviewSignal {
    ReviewSignal {
        source: SignalSource::Local,
        scanner: VETTER_SCANNER.to_owned(),
        rule: rule.to_owned(),
        message: Some(message),
        path: path.to_owned(),
        line,
        column,
    }
}
