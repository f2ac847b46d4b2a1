//! `minhash_sketch` and `minhash_band`: the near-duplicate index over cached JavaScript, and
//! the questions the link finder asks of the cache (who else holds this blob).
//!
//! The sketches themselves are computed above the store (they need the JavaScript lexer); the
//! store keeps them and answers with them.

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use crate::{BlobCache, Store, StoreError};

/// A file of another add-on holding a blob: (add-on id, guid, name, path).
pub type Holder = (i64, String, String, String);

/// One blob of an add-on: (blob id, path, sha256, size).
pub type AddonBlob = (i64, String, String, u64);

/// A blob's encoded sketch and its band keys, or `None` when it is too small to sketch.
pub type Sketch = Option<(Vec<u8>, Vec<i64>)>;

/// Paths the near-duplicate index reads as JavaScript.
const JS_PATH: &str = "(path LIKE '%.js' OR path LIKE '%.mjs' OR path LIKE '%.cjs')";

impl Store {
    /// Sketches every JavaScript blob not sketched yet, in one transaction: `sketcher` turns a
    /// blob's bytes into its encoded sketch and band keys, or `None` when it is too small to
    /// sketch (it is then recorded as seen). Returns how many blobs were looked at.
    pub fn sketch_pending_js(
        &mut self,
        sketcher: &mut dyn FnMut(&[u8]) -> Sketch,
    ) -> Result<u64, StoreError> {
        let conn = self.conn_mut();
        let pending: Vec<i64> = {
            let mut stmt = conn.prepare(&format!(
                "SELECT DISTINCT blob_id FROM files WHERE {JS_PATH}
                 AND blob_id NOT IN (SELECT blob_id FROM minhash_sketch)"
            ))?;
            stmt.query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?
        };
        if pending.is_empty() {
            return Ok(0);
        }
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut done = 0;
        // Pending blobs come oldest first, so a release's files are decoded once as the bases
        // of the next release's deltas.
        let mut blobs = BlobCache::default();
        for id in pending {
            let inserted = tx.execute(
                "INSERT OR IGNORE INTO minhash_sketch (blob_id, sketch) VALUES (?1, NULL)",
                [id],
            )?;
            if inserted == 0 {
                continue;
            }
            let data = blobs.read(&tx, id)?;
            if let Some((sketch, bands)) = sketcher(&data) {
                tx.execute(
                    "UPDATE minhash_sketch SET sketch = ?2 WHERE blob_id = ?1",
                    params![id, sketch],
                )?;
                for key in bands {
                    tx.execute(
                        "INSERT OR IGNORE INTO minhash_band (band_key, blob_id) VALUES (?1, ?2)",
                        params![key, id],
                    )?;
                }
            }
            done += 1;
        }
        tx.commit()?;
        Ok(done)
    }

    /// Every file of every cached version of add-on `addon_id`, newest version first.
    pub fn addon_blobs(&self, addon_id: i64) -> Result<Vec<AddonBlob>, StoreError> {
        let mut stmt = self.conn().prepare(
            "SELECT f.blob_id, f.path, f.sha256, f.size FROM files f
             JOIN versions v ON v.id = f.version_id WHERE v.addon_id = ?1
             ORDER BY f.version_id DESC",
        )?;
        let rows = stmt.query_map([addon_id], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// How many distinct add-ons hold blob `blob`.
    pub fn blob_popularity(&self, blob: i64) -> Result<u32, StoreError> {
        Ok(self.conn().prepare_cached(
            "SELECT count(DISTINCT v.addon_id) FROM entries e JOIN versions v ON v.id = e.version_id
             WHERE e.blob_id = ?1",
        )?
        .query_row([blob], |r| r.get(0))?)
    }

    /// The files of add-ons other than `except_addon` holding blob `blob`, by path.
    pub fn blob_holders(&self, blob: i64, except_addon: i64) -> Result<Vec<Holder>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT DISTINCT v.addon_id, a.guid, a.name, f.path FROM files f
             JOIN versions v ON v.id = f.version_id JOIN addons a ON a.id = v.addon_id
             WHERE f.blob_id = ?1 AND v.addon_id != ?2 ORDER BY f.path",
        )?;
        let rows = stmt.query_map(params![blob, except_addon], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Blob `blob`'s encoded sketch, when it was sketched and large enough to have one.
    pub fn blob_sketch(&self, blob: i64) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .conn()
            .prepare_cached("SELECT sketch FROM minhash_sketch WHERE blob_id = ?1")?
            .query_row([blob], |r| r.get::<_, Option<Vec<u8>>>(0))
            .optional()?
            .flatten())
    }

    /// The blobs whose sketch has band key `key`.
    pub fn band_members(&self, key: i64) -> Result<Vec<i64>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT blob_id FROM minhash_band WHERE band_key = ?1")?;
        let rows = stmt.query_map([key], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
