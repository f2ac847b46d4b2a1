//! `viewed_files`: which files a reviewer has seen, by add-on, path and the bytes seen.

use std::collections::HashSet;

use rusqlite::params;

use crate::{Store, StoreError};

/// One viewed mark: a path of an add-on, with the sha256 of the bytes seen.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ViewedMark {
    /// The path in the add-on.
    pub path: String,
    /// The sha256 of the bytes seen (for a deletion, the old bytes).
    pub sha256: String,
    /// The mark is for having seen the file go, a different fact from having read it.
    pub deleted: bool,
}

impl Store {
    /// Every viewed mark of add-on `guid`.
    pub fn viewed_marks(&self, guid: &str) -> Result<HashSet<ViewedMark>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare("SELECT path, sha256, deleted FROM viewed_files WHERE guid = ?1")?;
        let rows = stmt.query_map([guid], |r| {
            Ok(ViewedMark {
                path: r.get(0)?,
                sha256: r.get(1)?,
                deleted: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Sets (with the time, UTC) or clears one viewed mark of add-on `guid`.
    pub fn set_viewed_mark(
        &self,
        guid: &str,
        mark: &ViewedMark,
        viewed: bool,
    ) -> Result<(), StoreError> {
        let ViewedMark {
            path,
            sha256,
            deleted,
        } = mark;
        if viewed {
            self.conn().execute(
                "INSERT OR REPLACE INTO viewed_files (guid, path, sha256, deleted, viewed_at)
                 VALUES (?1, ?2, ?3, ?4, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
                params![guid, path, sha256, deleted],
            )?;
        } else {
            self.conn().execute(
                "DELETE FROM viewed_files
                 WHERE guid = ?1 AND path = ?2 AND sha256 = ?3 AND deleted = ?4",
                params![guid, path, sha256, deleted],
            )?;
        }
        Ok(())
    }
}
