//! `notes`: the reviewer's line notes, each anchored by hashes of its line and neighbours.

use rusqlite::params;

use crate::{Store, StoreError};

/// A note as stored: where it was written, the anchor hashes, and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteRow {
    /// The note's id.
    pub id: i64,
    /// The version it was written on.
    pub version_id: i64,
    /// The file.
    pub path: String,
    /// The 1-based line it was written on.
    pub line: u32,
    /// Hash of that line (trailing whitespace ignored).
    pub line_hash: String,
    /// Hash of the line before (empty at the first line).
    pub before_hash: String,
    /// Hash of the line after (empty at the last line).
    pub after_hash: String,
    /// The start of the line, for display.
    pub excerpt: String,
    /// The note's text.
    pub body: String,
    /// When it was written (UTC, RFC 3339); set by [`Store::insert_note`].
    pub created_at: String,
}

impl Store {
    /// Writes a note (`id` and `created_at` are ignored and set here) and returns its id.
    pub fn insert_note(&self, note: &NoteRow) -> Result<i64, StoreError> {
        self.conn().execute(
            "INSERT INTO notes (version_id, path, line, line_hash, before_hash, after_hash,
                                excerpt, body, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
            params![
                note.version_id,
                note.path,
                note.line,
                note.line_hash,
                note.before_hash,
                note.after_hash,
                note.excerpt,
                note.body,
            ],
        )?;
        Ok(self.conn().last_insert_rowid())
    }

    /// Deletes note `id`; whether there was one.
    pub fn delete_note(&self, id: i64) -> Result<bool, StoreError> {
        Ok(self
            .conn()
            .execute("DELETE FROM notes WHERE id = ?1", [id])?
            > 0)
    }

    /// The notes of add-on `guid` written on version `up_to` or an earlier one (by id), of one
    /// file or all, ordered by path then id.
    pub fn notes_up_to(
        &self,
        guid: &str,
        up_to: i64,
        path: Option<&str>,
    ) -> Result<Vec<NoteRow>, StoreError> {
        let mut stmt = self.conn().prepare(
            "SELECT n.id, n.version_id, n.path, n.line, n.line_hash, n.before_hash, n.after_hash,
                    n.excerpt, n.body, n.created_at
             FROM notes n JOIN versions v ON v.id = n.version_id JOIN addons a ON a.id = v.addon_id
             WHERE a.guid = ?1 AND n.version_id <= ?2 AND (?3 IS NULL OR n.path = ?3)
             ORDER BY n.path, n.id",
        )?;
        let rows = stmt.query_map(params![guid, up_to, path], |r| {
            Ok(NoteRow {
                id: r.get(0)?,
                version_id: r.get(1)?,
                path: r.get(2)?,
                line: r.get(3)?,
                line_hash: r.get(4)?,
                before_hash: r.get(5)?,
                after_hash: r.get(6)?,
                excerpt: r.get(7)?,
                body: r.get(8)?,
                created_at: r.get(9)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
