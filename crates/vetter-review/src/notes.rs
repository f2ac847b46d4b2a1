//! The reviewer's private line notes, kept offline in the cache and carried to later versions.
//!
//! A note is written on one line of one file of one version. Line numbers shift between
//! versions, so a note is anchored by content: hashes of the line (trailing whitespace ignored)
//! and of its neighbours. In a later version of the same add-on the note lands on the line with
//! the same content at the same path; when several lines qualify, the one whose neighbours also
//! match wins, then the one nearest the old line number. When no line has that content the note
//! is shown as outdated rather than silently dropped or misplaced. Hashes rather than text keep
//! a note on a megabyte-long minified line small while still matching the whole line.

use serde::Serialize;
use ts_rs::TS;

use vetter_store::notes::NoteRow;
use vetter_store::{Store, StoreError};

/// Longest excerpt of the noted line kept for display.
const EXCERPT_CHARS: usize = 200;

/// Longest note body accepted.
pub const MAX_NOTE_BYTES: usize = 64 * 1024;

/// Why a note could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum NoteError {
    /// The file has fewer lines than the note's line number.
    #[error("{path} in version {version_id} has {lines} lines; there is no line {line}")]
    NoSuchLine {
        /// The version.
        version_id: i64,
        /// The file.
        path: String,
        /// The line asked for.
        line: u32,
        /// How many lines the file has.
        lines: usize,
    },
    /// The note is empty or over [`MAX_NOTE_BYTES`].
    #[error("a note must have 1 to {MAX_NOTE_BYTES} bytes of text; this one has {len}")]
    BadBody {
        /// Its length.
        len: usize,
    },
    /// No note has this id.
    #[error("no note with id {id}")]
    NotFound {
        /// The id asked for.
        id: i64,
    },
    /// The cache could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where a note stands in the version being viewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum NotePlacement {
    /// Written on this version.
    Current,
    /// Written on an earlier version; its line's content is here.
    Carried {
        /// The version it was written on.
        #[ts(type = "number")]
        from_version: i64,
    },
    /// Written on an earlier version; its line's content is gone (or the file is).
    Outdated {
        /// The version it was written on.
        #[ts(type = "number")]
        from_version: i64,
    },
}

/// A note as seen from one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct PlacedNote {
    /// The note's id.
    #[ts(type = "number")]
    pub id: i64,
    /// The file.
    pub path: String,
    /// The line in the viewed version (`None` when outdated).
    pub line: Option<u32>,
    /// The line it was written on, in its own version.
    pub original_line: u32,
    /// The start of the noted line as it was written on.
    pub excerpt: String,
    /// The note.
    pub body: String,
    /// When it was written, RFC 3339 UTC.
    pub created_at: String,
    /// Current, carried or outdated.
    pub placement: NotePlacement,
}

fn hash_line(line: &str) -> String {
    vetter_store::sha256_hex(line.trim_end().as_bytes())
}

/// The file's lines, split on `\n` (a trailing `\r` is trimmed with other trailing space).
fn file_lines(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    let mut lines: Vec<String> = text.split('\n').map(str::to_owned).collect();
    if lines.len() > 1 && lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines
}

/// Adds a note on `line` (1-based) of `path` in `version_id`; returns its id.
pub fn add_note(
    store: &mut Store,
    version_id: i64,
    path: &str,
    line: u32,
    body: &str,
) -> Result<i64, NoteError> {
    if body.trim().is_empty() || body.len() > MAX_NOTE_BYTES {
        return Err(NoteError::BadBody { len: body.len() });
    }
    let bytes = store.read_file(version_id, path)?;
    let lines = file_lines(&bytes);
    let idx = (line as usize).wrapping_sub(1);
    let Some(text) = lines.get(idx) else {
        return Err(NoteError::NoSuchLine {
            version_id,
            path: path.to_owned(),
            line,
            lines: lines.len(),
        });
    };
    let before = idx.checked_sub(1).and_then(|i| lines.get(i));
    let after = lines.get(idx + 1);
    let excerpt: String = text.trim().chars().take(EXCERPT_CHARS).collect();
    Ok(store.insert_note(&NoteRow {
        id: 0,
        version_id,
        path: path.to_owned(),
        line,
        line_hash: hash_line(text),
        before_hash: before.map_or_else(String::new, |l| hash_line(l)),
        after_hash: after.map_or_else(String::new, |l| hash_line(l)),
        excerpt,
        body: body.to_owned(),
        created_at: String::new(),
    })?)
}

/// Deletes a note.
pub fn delete_note(store: &mut Store, id: i64) -> Result<(), NoteError> {
    if !store.delete_note(id)? {
        return Err(NoteError::NotFound { id });
    }
    Ok(())
}

/// Every note visible from `version_id`: its own, and those written on earlier versions of the
/// same add-on, placed by content. Optionally only one file's. Sorted by path, then line
/// (outdated notes last).
pub fn notes_for(
    store: &Store,
    version_id: i64,
    path: Option<&str>,
) -> Result<Vec<PlacedNote>, NoteError> {
    let info = store.version(version_id)?;
    let rows = store.notes_up_to(&info.guid, version_id, path)?;
    let mut out = Vec::with_capacity(rows.len());
    // Hashes of the viewed version's lines, per path, computed once.
    let mut hashed: std::collections::HashMap<String, Option<Vec<String>>> = Default::default();
    for row in rows {
        let (line, placement) = if row.version_id == version_id {
            (Some(row.line), NotePlacement::Current)
        } else {
            if !hashed.contains_key(&row.path) {
                let lines = match store.read_file(version_id, &row.path) {
                    Ok(bytes) => Some(file_lines(&bytes).iter().map(|l| hash_line(l)).collect()),
                    Err(StoreError::FileNotFound { .. }) => None,
                    Err(e) => return Err(e.into()),
                };
                hashed.insert(row.path.clone(), lines);
            }
            let found = hashed
                .get(&row.path)
                .and_then(Option::as_ref)
                .and_then(|hashes| place(hashes, &row));
            match found {
                Some(l) => (
                    Some(l),
                    NotePlacement::Carried {
                        from_version: row.version_id,
                    },
                ),
                None => (
                    None,
                    NotePlacement::Outdated {
                        from_version: row.version_id,
                    },
                ),
            }
        };
        out.push(PlacedNote {
            id: row.id,
            path: row.path,
            line,
            original_line: row.line,
            excerpt: row.excerpt,
            body: row.body,
            created_at: row.created_at,
            placement,
        });
    }
    out.sort_by(|a, b| {
        (&a.path, a.line.is_none(), a.line, a.id).cmp(&(&b.path, b.line.is_none(), b.line, b.id))
    });
    Ok(out)
}

/// The best line (1-based) for a note among a file's line hashes.
fn place(hashes: &[String], row: &NoteRow) -> Option<u32> {
    hashes
        .iter()
        .enumerate()
        .filter(|(_, h)| **h == row.line_hash)
        .map(|(i, _)| {
            let before = i
                .checked_sub(1)
                .and_then(|j| hashes.get(j))
                .map_or(String::new(), Clone::clone);
            let after = hashes.get(i + 1).map_or(String::new(), Clone::clone);
            let context = u8::from(before == row.before_hash) + u8::from(after == row.after_hash);
            let line = i as u32 + 1;
            (std::cmp::Reverse(context), line.abs_diff(row.line), line)
        })
        .min()
        .map(|(_, _, line)| line)
}

/// A plain-text summary of notes for a decision's comments: one line per note, outdated ones
/// marked as such.
pub fn notes_summary(notes: &[PlacedNote]) -> String {
    if notes.is_empty() {
        return String::new();
    }
    let mut out = String::from("Reviewer notes:\n");
    for n in notes {
        let at = match (n.line, n.placement) {
            (Some(l), _) => format!("{}:{l}", n.path),
            (None, _) => format!(
                "{}:{} (outdated: that line is gone)",
                n.path, n.original_line
            ),
        };
        let body = n.body.trim().replace('\n', "\n  ");
        out.push_str(&format!("- {at}: {body}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(line: u32, line_hash: &str, before: &str, after: &str) -> NoteRow {
        NoteRow {
            id: 1,
            version_id: 1,
            path: "a.js".into(),
            line,
            line_hash: line_hash.into(),
            before_hash: before.into(),
            after_hash: after.into(),
            excerpt: String::new(),
            body: String::new(),
            created_at: String::new(),
        }
    }

    #[test]
    fn context_beats_distance_when_a_line_repeats() {
        let h: Vec<String> = ["x", "}", "y", "z", "}", "w"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        // Written on line 2 ("}" between x and y); the copy at line 5 is between z and w.
        assert_eq!(place(&h, &row(5, "}", "x", "y")), Some(2));
        assert_eq!(place(&h, &row(5, "}", "z", "w")), Some(5));
        assert_eq!(place(&h, &row(1, "gone", "", "")), None);
    }

    #[test]
    fn summary_marks_outdated_notes() {
        let n = PlacedNote {
            id: 1,
            path: "bg.js".into(),
            line: None,
            original_line: 7,
            excerpt: String::new(),
            body: "fetches remote code".into(),
            created_at: String::new(),
            placement: NotePlacement::Outdated { from_version: 1 },
        };
        let s = notes_summary(&[n]);
        assert!(s.contains("bg.js:7 (outdated"), "{s}");
        assert!(s.contains("fetches remote code"));
        assert_eq!(notes_summary(&[]), "");
    }
}
