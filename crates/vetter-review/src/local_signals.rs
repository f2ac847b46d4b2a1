//! Signals Vetter raises on its own, without a server: hidden characters in a file's text or
//! name (bidi controls, zero-width and other format characters, "Trojan Source"), archives
//! nested inside the package, the stored report of Mozilla's linter, and the matches of the
//! reviewer's enabled rule files; and, for `vetter signals`, the capability analysis's facts.
//!
//! The app, after opening a review, and `vetter signals` both compute them here, so the command
//! line lists exactly what the window shows (the window shows capability facts in their own
//! panel rather than inline).

use std::collections::{BTreeMap, HashMap};

use vetter_rules::{RuleScan, ScanLimits, scan_version};
use vetter_store::Store;
use vetter_text::{FileKind, TextLines, classify, describe_hidden, hidden_chars};

use crate::capabilities::{
    capability_signals, library_index, linter_signals, version_capabilities,
};
use crate::signals::{MAX_SIGNALS, signal, stored_signals};
use crate::{ReviewError, ReviewSignal};

/// Rule of the signal on a file whose text holds hidden characters.
pub const RULE_HIDDEN_TEXT: &str = "hidden-characters";

/// Rule of the signal on a file whose name holds hidden characters.
pub const RULE_HIDDEN_NAME: &str = "hidden-characters-in-name";

/// Rule of the signal on an archive inside the package, whose files are listed under it.
pub const RULE_NESTED_ARCHIVE: &str = "nested-archive";

/// Files larger than this are not read for hidden characters (the rules' scan cap).
const MAX_CHECKED_SIZE: u64 = 32 * 1024 * 1024;

/// Longest signal message kept; a file full of hidden characters is summed up, not listed.
const MAX_MESSAGE: usize = 300;

/// The local signals of a version and the rule scan they include.
#[derive(Debug, Clone)]
pub struct LocalSignals {
    /// Content signals first (in path order), then the rule files' matches.
    pub signals: Vec<ReviewSignal>,
    /// The rule scan, for its counts, skipped files and truncation.
    pub scan: RuleScan,
}

/// Every local finding on version `version_id`: its content signals ([`content_signals`]), the
/// stored report of Mozilla's linter if `vetter lint` ran on it, and the matches of the enabled
/// rule files (a stored scan when these rules already ran). These are the signals the review
/// marks inline and `a`/`z` step through; the capability analysis's facts have their own panel.
pub fn local_signals(
    store: &Store,
    version_id: i64,
    limits: &ScanLimits,
) -> Result<LocalSignals, ReviewError> {
    let mut signals = content_signals(store, version_id)?;
    signals.extend(linter_signals(store, version_id)?);
    let scan = scan_version(store, version_id, limits)?;
    signals.extend(scan.signals.iter().map(|s| s.to_review_signal()));
    signals.truncate(MAX_SIGNALS);
    Ok(LocalSignals { signals, scan })
}

/// Every signal of version `version_id`: what the app shows when it is the newer side of a
/// review (the server's and AMO's stored ones, then the local findings, marked inline), then
/// every fact of its capability analysis (which the app lists in its capability panel), at
/// most [`MAX_SIGNALS`].
pub fn version_signals(store: &Store, version_id: i64) -> Result<Vec<ReviewSignal>, ReviewError> {
    let version = store.version(version_id)?;
    let mut signals = stored_signals(store, &version.guid, version_id)?;
    signals.extend(local_signals(store, version_id, &ScanLimits::default())?.signals);
    let libraries = library_index(store)?;
    signals.extend(capability_signals(&version_capabilities(
        store, version_id, &libraries,
    )?));
    signals.truncate(MAX_SIGNALS);
    Ok(signals)
}

/// Signals from Vetter's own checks of version `version_id`, in path order: one per file whose
/// name holds hidden characters, one per text file whose content does (at the first one), and
/// one per nested archive.
pub fn content_signals(store: &Store, version_id: i64) -> Result<Vec<ReviewSignal>, ReviewError> {
    let files = store.version_files(version_id)?;
    let mut out = Vec::new();
    let mut nested: BTreeMap<&str, usize> = BTreeMap::new();
    // Each distinct blob is decoded once, however many paths hold it.
    let mut by_blob: HashMap<&str, Option<(u32, u32, String)>> = HashMap::new();
    for file in &files {
        if let Some(inner) = vetter_archive::nested_archive_of(&file.path) {
            *nested.entry(inner).or_default() += 1;
        }
        if let Some(found) = describe_hidden(&file.path) {
            out.push(signal(
                RULE_HIDDEN_NAME,
                format!("the file name holds hidden characters: {found}"),
                &file.path,
                1,
                None,
            ));
        }
        if file.size > MAX_CHECKED_SIZE {
            continue;
        }
        if !by_blob.contains_key(file.sha256.as_str()) {
            let data = store.read_blob(&file.sha256)?;
            by_blob.insert(&file.sha256, hidden_in(&data));
        }
        if let Some(Some((line, column, found))) = by_blob.get(file.sha256.as_str()) {
            out.push(signal(
                RULE_HIDDEN_TEXT,
                format!("hidden characters, shown as <U+…> markers: {found}"),
                &file.path,
                *line,
                Some(*column),
            ));
        }
    }
    for (archive, files) in nested {
        out.push(signal(
            RULE_NESTED_ARCHIVE,
            format!("an archive inside the package; its {files} files are listed as {archive}!/…"),
            archive,
            1,
            None,
        ));
    }
    out.sort_by(|a, b| (&a.path, a.line, &a.rule).cmp(&(&b.path, b.line, &b.rule)));
    Ok(out)
}

/// Where the first hidden character of a text file is (1-based line, 1-based byte column) and
/// what hidden characters it holds; `None` for binary files and text without any.
fn hidden_in(data: &[u8]) -> Option<(u32, u32, String)> {
    if classify(data) != FileKind::Text {
        return None;
    }
    let text = TextLines::decode(data);
    let (at, _) = hidden_chars(text.text()).next()?;
    let before = &text.text()[..at];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let column = at - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    let mut found = describe_hidden(text.text())?;
    if found.len() > MAX_MESSAGE {
        let mut end = MAX_MESSAGE;
        while !found.is_char_boundary(end) {
            end -= 1;
        }
        found.truncate(end);
        found.push('…');
    }
    Some((
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(column).unwrap_or(u32::MAX),
        found,
    ))
}
