//! `search_text` and `search_indexed`: the trigram index over every cached text blob.
//!
//! `search_text` is a contentless FTS5 trigram index (rowid = `blobs.id`) that keeps which blobs
//! hold each trigram but not where (`detail=none`, a seventh of the size with positions);
//! `search_indexed` records every blob looked at, text or not, so catching up only reads blobs
//! never seen.

use std::borrow::Cow;
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, TransactionBehavior, params};

use crate::{BlobCache, Store, StoreError};

/// Characters of a literal asked of the index; a longer one only slows the query (a prefix of a
/// required substring is still required).
pub const MAX_QUERY_CHARS: usize = 48;

/// The index query for blobs holding every trigram of every literal (case ignored, order and
/// place not known to the index), or `None` when no literal has three characters. Each trigram
/// is its own quoted term: the index keeps no positions, so it cannot match phrases.
pub fn index_query<S: AsRef<str>>(literals: &[S]) -> Option<String> {
    let mut terms: Vec<String> = Vec::new();
    for literal in literals {
        let chars: Vec<char> = literal.as_ref().chars().take(MAX_QUERY_CHARS).collect();
        for window in chars.windows(3) {
            let term = format!("\"{}\"", String::from_iter(window).replace('"', "\"\""));
            if !terms.contains(&term) {
                terms.push(term);
            }
        }
    }
    (!terms.is_empty()).then(|| terms.join(" AND "))
}

/// Blobs indexed per transaction by [`Store::index_pending_blobs`].
pub const INDEX_BATCH: usize = 256;

/// A file whose blob may hold a match: (version, path, blob).
pub type Candidate = (i64, String, i64);

/// The text the index holds for a blob's bytes, or `None` for a binary blob (one holding a NUL
/// byte). Removing a row from the contentless index needs exactly this text again.
pub(crate) fn indexed_text(data: &[u8]) -> Option<Cow<'_, str>> {
    (!data.contains(&0)).then(|| String::from_utf8_lossy(data))
}

/// Adds one blob's text to the index under its `blobs.id`; returns whether it was text (a blob
/// holding a NUL byte is binary and stays out).
fn index_text(conn: &Connection, blob_id: i64, data: &[u8]) -> rusqlite::Result<bool> {
    let Some(text) = indexed_text(data) else {
        return Ok(false);
    };
    conn.execute(
        "INSERT INTO search_text (rowid, body) VALUES (?1, ?2)",
        params![blob_id, text.as_ref()],
    )?;
    Ok(true)
}

impl Store {
    /// Indexes every blob the search index has not seen yet, reporting (done, total) after
    /// each; returns how many were indexed. Work is committed every [`INDEX_BATCH`] blobs, so
    /// an interrupted run keeps what it did (the next one resumes) and the write lock is never
    /// held for long while a reviewer works beside it.
    pub fn index_pending_blobs(
        &mut self,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<u64, StoreError> {
        let conn = self.conn_mut();
        // Every recorded blob exists (a foreign key), so equal counts mean nothing is pending:
        // two index counts instead of a probe per blob, for the search that finds nothing to do.
        let complete: bool = conn.query_row(
            "SELECT (SELECT COUNT(*) FROM blobs) = (SELECT COUNT(*) FROM search_indexed)",
            [],
            |r| r.get(0),
        )?;
        if complete {
            return Ok(0);
        }
        let pending: Vec<i64> = {
            let mut stmt = conn.prepare(
                "SELECT b.id FROM blobs b
                 WHERE NOT EXISTS (SELECT 1 FROM search_indexed s WHERE s.blob_id = b.id)
                 ORDER BY b.id",
            )?;
            stmt.query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?
        };
        if pending.is_empty() {
            return Ok(0);
        }
        let total = pending.len() as u64;
        let mut done = 0;
        // Pending blobs come oldest first, so a release's files are decoded once as the bases
        // of the next release's deltas (the cache outlives each batch's transaction).
        let mut blobs = BlobCache::default();
        for batch in pending.chunks(INDEX_BATCH) {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut seen_now = Vec::with_capacity(batch.len());
            for &id in batch {
                // Another process may have indexed it between the scan and the write lock.
                let seen: bool = tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM search_indexed WHERE blob_id = ?1)",
                    [id],
                    |r| r.get(0),
                )?;
                if seen {
                    continue;
                }
                let data = blobs.read(&tx, id)?;
                seen_now.push((id, index_text(&tx, id, &data)?));
                done += 1;
                progress(done, total);
            }
            // Recorded after the batch's text: a write to another table between two index
            // inserts opens a statement savepoint, at which FTS5 writes out everything it holds
            // in memory, so recording each blob as it went cost one index segment per blob.
            for (id, is_text) in seen_now {
                tx.execute(
                    "INSERT OR REPLACE INTO search_indexed (blob_id, is_text) VALUES (?1, ?2)",
                    params![id, is_text],
                )?;
            }
            tx.commit()?;
        }
        Ok(done)
    }

    /// How many stored blobs the search index has not seen yet.
    pub fn unindexed_blobs(&self) -> Result<u64, StoreError> {
        let n: i64 = self.conn().query_row(
            "SELECT COUNT(*) FROM blobs b
             WHERE NOT EXISTS (SELECT 1 FROM search_indexed s WHERE s.blob_id = b.id)",
            [],
            |r| r.get(0),
        )?;
        Ok(n.max(0) as u64)
    }

    /// The text files (of version `version_id`, or of every version) whose blob holds every
    /// trigram of every literal (all text files when no literal reaches the index; see
    /// [`index_query`]), by version then path.
    pub fn search_candidates<S: AsRef<str>>(
        &self,
        version_id: Option<i64>,
        literals: &[S],
    ) -> Result<Vec<Candidate>, StoreError> {
        let fts = index_query(literals);
        let mut sql = String::from(
            "SELECT f.version_id, f.path, f.blob_id FROM files f
             JOIN search_indexed s ON s.blob_id = f.blob_id AND s.is_text = 1
             WHERE (?1 IS NULL OR f.version_id = ?1)",
        );
        if fts.is_some() {
            sql.push_str(
                " AND f.blob_id IN (SELECT rowid FROM search_text WHERE search_text MATCH ?2)",
            );
        } else {
            sql.push_str(" AND ?2 IS NULL");
        }
        sql.push_str(" ORDER BY f.version_id, f.path");
        let mut stmt = self.conn().prepare(&sql)?;
        let rows = stmt.query_map(params![version_id, fts.as_deref()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Readers of blobs for a pass over many files on every core (see [`BlobReaderPool`]).
    pub fn blob_reader_pool(&self) -> BlobReaderPool {
        BlobReaderPool {
            path: self.data_dir().join(crate::DB_FILE),
            idle: Mutex::new(Vec::new()),
        }
    }
}

/// Reads blobs by id from any thread: each thread that asks borrows an idle reader (its own
/// read-only connection to the cache and its own [`BlobCache`], opened on first need), so
/// decoding, most of a search's time, runs on every core. Blobs never change once written, so
/// readers on different snapshots still agree on every blob they both hold.
pub struct BlobReaderPool {
    path: std::path::PathBuf,
    idle: Mutex<Vec<PooledReader>>,
}

/// What each pooled reader keeps decoded at most.
const POOLED_CACHE_BYTES: usize = 48 * 1024 * 1024;

/// One pooled reader: a connection and what it has decoded.
struct PooledReader {
    conn: Connection,
    cache: BlobCache,
}

impl BlobReaderPool {
    /// Blob `id`, decoded and checked against its sha256.
    pub fn read(&self, id: i64) -> Result<Arc<Vec<u8>>, StoreError> {
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut reader = match idle {
            Some(reader) => reader,
            None => PooledReader {
                conn: crate::open_read_only(&self.path)?,
                // Each worker's share of one cache's budget, so memory stays where one
                // thread's search had it.
                cache: BlobCache::with_budget(POOLED_CACHE_BYTES),
            },
        };
        let read = reader.cache.read(&reader.conn, id);
        self.idle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(reader);
        read
    }
}

#[cfg(test)]
mod query_tests {
    use super::index_query;

    #[test]
    fn each_distinct_trigram_is_one_quoted_term() {
        assert_eq!(
            index_query(&["a\"bcb", "eval("]).unwrap(),
            r#""a""b" AND """bc" AND "bcb" AND "eva" AND "val" AND "al(""#
        );
        assert_eq!(index_query(&["abab"]).unwrap(), r#""aba" AND "bab""#);
    }

    #[test]
    fn literals_shorter_than_a_trigram_ask_nothing_and_long_ones_are_cut() {
        assert_eq!(index_query(&["ab", ""]), None);
        assert_eq!(index_query::<&str>(&[]), None);
        let long = "x".repeat(500) + "tail";
        assert_eq!(index_query(&[long.as_str()]).unwrap(), r#""xxx""#);
    }
}
