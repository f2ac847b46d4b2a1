//! Retention: which cached versions a reviewer still needs, and [`Store::prune`], which removes
//! the others with the blobs only they used, then gives the space back to the file system.
//!
//! A version stays when an open queue entry is for it or diffs against it, when it is among the
//! last N imported of its add-on, when it is pinned, when a decision waiting in the outbox or a
//! note is about it, or when it holds a file marked viewed in an add-on still under review.
//!
//! Every step commits on its own and leaves a consistent cache, so a prune killed at any moment
//! loses nothing a kept version needs and the next prune finishes the job:
//! 1. one transaction removes the versions' rows (files, scans, links from the sync state);
//! 2. batches of blobs no file uses any more are deleted, newest first (a delta is always newer
//!    than its bases), after any blob still used that was stored as a delta against one of
//!    them is rewritten as a whole frame;
//! 3. the delta depth and frame count of the blobs whose bases changed are recomputed (until
//!    then they are only too high, which makes imports choose fewer bases, never a wrong read);
//! 4. `VACUUM` and a WAL checkpoint return the free pages to the file system.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::queues::REVIEW_BASE_ID;
use crate::search_index::indexed_text;
use crate::{BlobCache, DB_FILE, Store, StoreError, base_closure, codec, read_blob_id};

/// Dead blobs deleted per transaction by [`Store::prune`].
pub const PRUNE_BATCH: usize = 256;

/// What a prune keeps besides what the cache's own state needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RetentionRules {
    /// How many of each add-on's versions, newest imported first, stay whatever else holds.
    pub keep_last: u32,
}

impl Default for RetentionRules {
    fn default() -> Self {
        RetentionRules { keep_last: 3 }
    }
}

/// Why a version stays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum KeepReason {
    /// An open queue entry is for this version.
    OpenQueue,
    /// An open queue entry diffs against this version (its add-on's last approved one).
    ReviewBase,
    /// Among the last N versions of its add-on.
    Recent,
    /// The reviewer pinned it.
    Pinned,
    /// A decision on it is still waiting in the outbox (or met a conflict to look at).
    PendingDecision,
    /// A private note is attached to it.
    Note,
    /// It holds a file marked viewed in an add-on still under review.
    Viewed,
    /// The reviewer has it open (the app passes its open review's versions).
    Open,
}

impl KeepReason {
    /// The reason in words, for a list or a table.
    pub fn words(self) -> &'static str {
        match self {
            KeepReason::OpenQueue => "in an open queue",
            KeepReason::ReviewBase => "diffed against by an open queue entry",
            KeepReason::Recent => "among the add-on's last versions",
            KeepReason::Pinned => "pinned",
            KeepReason::PendingDecision => "a decision on it is waiting",
            KeepReason::Note => "has notes",
            KeepReason::Viewed => "holds files marked viewed in an open review",
            KeepReason::Open => "open in the app",
        }
    }
}

/// One version in a prune plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct PlannedVersion {
    /// The cache's version id.
    #[ts(type = "number")]
    pub id: i64,
    /// The add-on's guid (or package identity).
    pub guid: String,
    /// The version string.
    pub version: String,
    /// Why it stays; empty when it goes.
    pub reasons: Vec<KeepReason>,
}

/// What a prune would do, computed without writing anything (`vetter prune --dry-run`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct PrunePlan {
    /// The rules the plan follows.
    pub rules: RetentionRules,
    /// Versions that stay, with their reasons, by id.
    pub kept: Vec<PlannedVersion>,
    /// Versions that go, by id.
    pub removed: Vec<PlannedVersion>,
    /// Blobs no kept version uses (their files' bytes), which go.
    #[ts(type = "number")]
    pub blobs_removed: u64,
    /// Their stored (compressed) bytes.
    #[ts(type = "number")]
    pub blob_bytes_removed: u64,
    /// Blobs no kept version uses that stay as delta bases, because storing the files that
    /// refer to them whole would take more space than they do.
    #[ts(type = "number")]
    pub blobs_kept_as_bases: u64,
    /// Kept blobs stored as deltas against a blob that goes, which are stored whole instead.
    #[ts(type = "number")]
    pub blobs_rewritten: u64,
    /// The space they take now.
    #[ts(type = "number")]
    pub rewritten_bytes_now: u64,
    /// The space they are expected to take whole (their size at the cache's own ratio for
    /// whole frames).
    #[ts(type = "number")]
    pub rewritten_bytes_estimate: u64,
    /// Free pages the database file already holds, which `VACUUM` returns too.
    #[ts(type = "number")]
    pub free_page_bytes: u64,
    /// The cache's files (database and write-ahead log) now.
    #[ts(type = "number")]
    pub file_bytes: u64,
    /// About how much the cache's files shrink by.
    #[ts(type = "number")]
    pub estimated_bytes_returned: u64,
}

/// What [`Store::prune`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct PruneReport {
    /// The plan it carried out.
    pub plan: PrunePlan,
    /// Versions removed.
    #[ts(type = "number")]
    pub versions_removed: u64,
    /// Blobs removed (including any an interrupted prune had left).
    #[ts(type = "number")]
    pub blobs_removed: u64,
    /// Kept blobs rewritten whole because their delta base went.
    #[ts(type = "number")]
    pub blobs_rewritten: u64,
    /// The cache's files before.
    #[ts(type = "number")]
    pub file_bytes_before: u64,
    /// The cache's files after.
    #[ts(type = "number")]
    pub file_bytes_after: u64,
}

/// Where a prune is, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "step", rename_all = "snake_case")]
#[ts(export)]
pub enum PruneProgress {
    /// The versions' rows are being removed.
    Versions {
        /// How many go.
        #[ts(type = "number")]
        total: u64,
    },
    /// Unused blobs are being deleted.
    Blobs {
        /// Deleted so far.
        #[ts(type = "number")]
        done: u64,
        /// To delete.
        #[ts(type = "number")]
        total: u64,
    },
    /// The file is being compacted.
    Vacuum,
}

/// The version ids each keep rule holds, read in one snapshot of `conn`.
fn keep_reasons(
    conn: &Connection,
    rules: RetentionRules,
    open: &[i64],
) -> Result<BTreeMap<i64, BTreeSet<KeepReason>>, StoreError> {
    let rule_sql: [(KeepReason, String); 7] = [
        (
            KeepReason::OpenQueue,
            "SELECT v.cached_version_id FROM queue_entries q
             JOIN remote_versions v ON v.id = q.version_id
             WHERE v.cached_version_id IS NOT NULL"
                .to_owned(),
        ),
        (
            KeepReason::ReviewBase,
            format!(
                "SELECT b.cached_version_id FROM queue_entries q
                 JOIN remote_versions b ON b.id = {REVIEW_BASE_ID}
                 WHERE b.cached_version_id IS NOT NULL"
            ),
        ),
        (
            KeepReason::Recent,
            format!(
                "SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY addon_id ORDER BY id DESC)
                                 AS n FROM versions)
                 WHERE n <= {}",
                rules.keep_last
            ),
        ),
        (
            KeepReason::Pinned,
            "SELECT version_id FROM pinned_versions".to_owned(),
        ),
        (
            KeepReason::PendingDecision,
            "SELECT v.id FROM versions v JOIN local_decisions d ON d.file_sha256 = v.xpi_sha256
             JOIN outbox o ON o.decision_id = d.id
             WHERE o.state IN ('pending', 'sending', 'conflict')"
                .to_owned(),
        ),
        (
            KeepReason::Note,
            "SELECT DISTINCT version_id FROM notes".to_owned(),
        ),
        (
            KeepReason::Viewed,
            "SELECT DISTINCT e.version_id FROM viewed_files f
             JOIN addons a ON a.guid = f.guid
             JOIN versions v ON v.addon_id = a.id
             JOIN paths p ON p.path = f.path
             JOIN entries e ON e.version_id = v.id AND e.path_id = p.id
             JOIN blobs b ON b.id = e.blob_id AND b.sha256 = f.sha256
             WHERE EXISTS (SELECT 1 FROM queue_entries q
                           JOIN remote_addons r ON r.id = q.addon_id WHERE r.guid = f.guid)"
                .to_owned(),
        ),
    ];
    let mut reasons: BTreeMap<i64, BTreeSet<KeepReason>> = BTreeMap::new();
    for (reason, sql) in &rule_sql {
        let mut stmt = conn.prepare(sql)?;
        let ids: Vec<i64> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for id in ids {
            reasons.entry(id).or_default().insert(*reason);
        }
    }
    for &id in open {
        reasons.entry(id).or_default().insert(KeepReason::Open);
    }
    Ok(reasons)
}

/// The plan for `rules` as `conn` sees the cache now.
fn plan(
    conn: &Connection,
    rules: RetentionRules,
    open: &[i64],
    file_bytes: u64,
) -> Result<PrunePlan, StoreError> {
    let reasons = keep_reasons(conn, rules, open)?;
    let mut kept = Vec::new();
    let mut removed = Vec::new();
    {
        let mut stmt = conn.prepare(
            "SELECT v.id, a.guid, v.version FROM versions v JOIN addons a ON a.id = v.addon_id
             ORDER BY v.id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get(2)?))
        })?;
        for row in rows {
            let (id, guid, version) = row?;
            let why: Vec<KeepReason> = reasons
                .get(&id)
                .map(|set| set.iter().copied().collect())
                .unwrap_or_default();
            let planned = PlannedVersion {
                id,
                guid,
                version,
                reasons: why,
            };
            if planned.reasons.is_empty() {
                removed.push(planned);
            } else {
                kept.push(planned);
            }
        }
    }
    let kept_ids: HashSet<i64> = kept.iter().map(|v| v.id).collect();
    // Blobs a kept version's file uses: one pass over the files, not a lookup per blob.
    let mut live: HashSet<i64> = HashSet::new();
    {
        let mut stmt = conn.prepare("SELECT version_id, blob_id FROM entries")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (version, blob) = row?;
            if kept_ids.contains(&version) {
                live.insert(blob);
            }
        }
    }
    let rows = blob_rows(conn)?;
    let whole = WholeRatio::of(&rows);
    let bases_kept = bases_worth_keeping(&rows, &live, whole);
    let mut blobs_removed = 0;
    let mut blob_bytes_removed = 0;
    let mut dead: HashSet<i64> = HashSet::new();
    for row in &rows {
        if !live.contains(&row.id) && !bases_kept.contains(&row.id) {
            dead.insert(row.id);
            blobs_removed += 1;
            blob_bytes_removed += row.stored;
        }
    }
    let mut blobs_rewritten = 0;
    let mut rewritten_bytes_now = 0;
    let mut rewritten_raw = 0u64;
    for row in &rows {
        if !dead.contains(&row.id) && row.bases.iter().flatten().any(|b| dead.contains(b)) {
            blobs_rewritten += 1;
            rewritten_bytes_now += row.stored;
            rewritten_raw += row.raw;
        }
    }
    let rewritten_bytes_estimate = whole.estimate(rewritten_raw);
    let page_size: i64 = conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
    let free_pages: i64 = conn.query_row("PRAGMA freelist_count", [], |r| r.get(0))?;
    let free_page_bytes = (page_size.max(0) as u64) * (free_pages.max(0) as u64);
    let estimated_bytes_returned = (blob_bytes_removed + rewritten_bytes_now + free_page_bytes)
        .saturating_sub(rewritten_bytes_estimate)
        .min(file_bytes);
    Ok(PrunePlan {
        rules,
        kept,
        removed,
        blobs_removed,
        blob_bytes_removed,
        blobs_kept_as_bases: bases_kept.len() as u64,
        blobs_rewritten,
        rewritten_bytes_now,
        rewritten_bytes_estimate,
        free_page_bytes,
        file_bytes,
        estimated_bytes_returned,
    })
}

/// One blob's row as retention sees it.
struct BlobRow {
    id: i64,
    bases: [Option<i64>; 2],
    raw: u64,
    stored: u64,
}

/// Every blob's id, bases and sizes, in id order.
fn blob_rows(conn: &Connection) -> Result<Vec<BlobRow>, StoreError> {
    let mut stmt = conn
        .prepare("SELECT id, base_id, base2_id, raw_size, length(data) FROM blobs ORDER BY id")?;
    let rows = stmt.query_map([], |r| {
        Ok(BlobRow {
            id: r.get(0)?,
            bases: [r.get(1)?, r.get(2)?],
            raw: r.get::<_, i64>(3)?.max(0) as u64,
            stored: r.get::<_, i64>(4)?.max(0) as u64,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Raw and stored bytes of the whole (non-delta) blobs: the cache's own compression ratio,
/// which estimates what a delta takes once stored whole.
#[derive(Clone, Copy)]
struct WholeRatio {
    raw: u64,
    stored: u64,
}

impl WholeRatio {
    /// The ratio of the whole blobs among `rows`.
    fn of(rows: &[BlobRow]) -> WholeRatio {
        let (raw, stored) = rows
            .iter()
            .filter(|r| r.bases[0].is_none())
            .fold((0, 0), |(raw, stored), r| (raw + r.raw, stored + r.stored));
        WholeRatio { raw, stored }
    }

    /// About what `raw` bytes take stored whole (`raw` itself in a cache with no whole blob).
    fn estimate(self, raw: u64) -> u64 {
        if self.raw == 0 {
            raw
        } else {
            (raw as u128 * self.stored as u128 / self.raw as u128) as u64
        }
    }
}

/// The unused blobs (not in `live`) that stay as delta bases: those costing less space than
/// storing whole the blobs that would still refer to them. Newest first, so a blob's
/// dependents are settled before it (bases are always older); the plan and the prune itself
/// both decide with this, on the same rows.
fn bases_worth_keeping(rows: &[BlobRow], live: &HashSet<i64>, whole: WholeRatio) -> HashSet<i64> {
    // What storing each blob whole would add, summed per base over the blobs that stay.
    let mut kept: HashSet<i64> = HashSet::new();
    let mut rewrite_cost: HashMap<i64, u64> = HashMap::new();
    for row in rows.iter().rev() {
        let stays = live.contains(&row.id) || {
            let keep = rewrite_cost
                .get(&row.id)
                .is_some_and(|&cost| row.stored < cost);
            if keep {
                kept.insert(row.id);
            }
            keep
        };
        if stays {
            let extra = whole.estimate(row.raw).saturating_sub(row.stored);
            for base in row.bases.iter().flatten() {
                *rewrite_cost.entry(*base).or_default() += extra;
            }
        }
    }
    kept
}

/// Removes version `id`'s rows; the blobs its files used are left for the blob pass.
fn remove_version(conn: &Connection, id: i64) -> Result<(), StoreError> {
    conn.execute("DELETE FROM rule_scans WHERE version_id = ?1", [id])?;
    conn.execute(
        "UPDATE remote_versions SET cached_version_id = NULL WHERE cached_version_id = ?1",
        [id],
    )?;
    conn.execute("DELETE FROM entries WHERE version_id = ?1", [id])?;
    // Origins, findings, analyses, linter runs and a pin go with it (ON DELETE CASCADE).
    conn.execute("DELETE FROM versions WHERE id = ?1", [id])?;
    Ok(())
}

/// Whether any file of any version still uses blob `id`.
fn blob_in_use(conn: &Connection, id: i64) -> Result<bool, StoreError> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM entries WHERE blob_id = ?1 LIMIT 1",
            [id],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// Stores blob `id` as a whole frame, so that it no longer needs its bases.
fn rewrite_whole(conn: &Connection, id: i64) -> Result<(), StoreError> {
    let raw = read_blob_id(conn, id)?;
    let frame = codec::compress_whole(&raw).map_err(|e| StoreError::CorruptRow {
        table: "blobs",
        key: id.to_string(),
        reason: format!("cannot recompress it whole: {}", e.0),
    })?;
    conn.execute(
        "UPDATE blobs SET base_id = NULL, base2_id = NULL, depth = 0, frames = 1, data = ?2
         WHERE id = ?1",
        params![id, frame],
    )?;
    Ok(())
}

/// Deletes unused blob `id`: first rewrites whole every blob stored as a delta against it, then
/// takes it out of the search and near-duplicate indexes. Returns how many were rewritten.
fn delete_blob(conn: &Connection, id: i64, blobs: &mut BlobCache) -> Result<u64, StoreError> {
    let dependents: Vec<i64> = {
        let mut stmt =
            conn.prepare("SELECT id FROM blobs WHERE base_id = ?1 UNION SELECT id FROM blobs WHERE base2_id = ?1")?;
        stmt.query_map([id], |r| r.get(0))?
            .collect::<Result<_, _>>()?
    };
    for &dependent in &dependents {
        rewrite_whole(conn, dependent)?;
    }
    let is_text: Option<bool> = conn
        .query_row(
            "SELECT is_text FROM search_indexed WHERE blob_id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()?;
    if is_text == Some(true) {
        // A contentless FTS5 index forgets a row only when given the text it indexed.
        let data = blobs.read(conn, id)?;
        if let Some(text) = indexed_text(&data) {
            conn.execute(
                "INSERT INTO search_text (search_text, rowid, body) VALUES ('delete', ?1, ?2)",
                params![id, text.as_ref()],
            )?;
        }
    }
    conn.execute("DELETE FROM search_indexed WHERE blob_id = ?1", [id])?;
    conn.execute("DELETE FROM minhash_band WHERE blob_id = ?1", [id])?;
    conn.execute("DELETE FROM minhash_sketch WHERE blob_id = ?1", [id])?;
    conn.execute("DELETE FROM blobs WHERE id = ?1", [id])?;
    Ok(dependents.len() as u64)
}

/// Sets every delta blob's `depth` and `frames` from its bases as they are now.
fn recompute_depths(conn: &Connection) -> Result<(), StoreError> {
    let deltas: Vec<(i64, Vec<i64>, i64, i64)> = {
        let mut stmt = conn.prepare(
            "SELECT id, base_id, base2_id, depth, frames FROM blobs WHERE base_id IS NOT NULL
             ORDER BY id",
        )?;
        stmt.query_map([], |r| {
            let bases = std::iter::once(r.get::<_, i64>(1)?)
                .chain(r.get::<_, Option<i64>>(2)?)
                .collect();
            Ok((r.get(0)?, bases, r.get(3)?, r.get(4)?))
        })?
        .collect::<Result<_, _>>()?
    };
    // The same definitions an import uses: depth is one more than the deepest base's, frames
    // count the blob and its base closure. Bases are older, so in id order each base's depth
    // is already the new one (a whole blob is not listed: depth 0).
    let mut depths: HashMap<i64, i64> = HashMap::new();
    let mut update = conn.prepare("UPDATE blobs SET depth = ?2, frames = ?3 WHERE id = ?1")?;
    for (id, bases, depth, frames) in deltas {
        let new_depth = 1 + bases
            .iter()
            .map(|b| depths.get(b).copied().unwrap_or(0))
            .max()
            .unwrap_or(0);
        let new_frames = 1 + base_closure(conn, &bases)?.len() as i64;
        depths.insert(id, new_depth);
        if (new_depth, new_frames) != (depth, frames) {
            update.execute(params![id, new_depth, new_frames])?;
        }
    }
    Ok(())
}

impl Store {
    /// The cache's files (database and write-ahead log), in bytes.
    pub fn file_bytes(&self) -> u64 {
        let db = self.data_dir().join(DB_FILE);
        let wal = self.data_dir().join(format!("{DB_FILE}-wal"));
        [db, wal]
            .iter()
            .filter_map(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .sum()
    }

    /// What [`Store::prune`] would do under `rules`, keeping versions `open` too, without
    /// changing anything.
    pub fn prune_plan(&self, rules: RetentionRules, open: &[i64]) -> Result<PrunePlan, StoreError> {
        plan(self.conn(), rules, open, self.file_bytes())
    }

    /// Removes every version no rule keeps (nor `open` names), then every blob no kept file
    /// uses, then compacts the file. Safe to kill at any moment (see the module's notes);
    /// `progress` hears each step.
    pub fn prune(
        &mut self,
        rules: RetentionRules,
        open: &[i64],
        progress: &mut dyn FnMut(PruneProgress),
    ) -> Result<PruneReport, StoreError> {
        let file_bytes_before = self.file_bytes();
        let conn = self.conn_mut();
        // The plan is made under the write lock, so a sync or a decision cannot slip in between
        // deciding what goes and removing it.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let plan = plan(&tx, rules, open, file_bytes_before)?;
        progress(PruneProgress::Versions {
            total: plan.removed.len() as u64,
        });
        for version in &plan.removed {
            remove_version(&tx, version.id)?;
        }
        tx.execute(
            "DELETE FROM paths WHERE NOT EXISTS (SELECT 1 FROM entries e WHERE e.path_id = paths.id)",
            [],
        )?;
        tx.execute(
            "DELETE FROM addons WHERE NOT EXISTS (SELECT 1 FROM versions v WHERE v.addon_id = addons.id)",
            [],
        )?;
        tx.commit()?;

        // Every unused blob, including any an interrupted prune left behind, but those worth
        // keeping as bases (decided afresh on the rows as they are now).
        let unused: Vec<i64> = {
            let live: HashSet<i64> = {
                let mut stmt = conn.prepare("SELECT DISTINCT blob_id FROM entries")?;
                stmt.query_map([], |r| r.get(0))?
                    .collect::<Result<_, _>>()?
            };
            let rows = blob_rows(conn)?;
            let bases_kept = bases_worth_keeping(&rows, &live, WholeRatio::of(&rows));
            rows.iter()
                .rev()
                .map(|r| r.id)
                .filter(|id| !live.contains(id) && !bases_kept.contains(id))
                .collect()
        };
        let total = unused.len() as u64;
        let mut done = 0;
        let mut blobs_removed = 0;
        let mut blobs_rewritten = 0;
        progress(PruneProgress::Blobs { done, total });
        for batch in unused.chunks(PRUNE_BATCH) {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut blobs = BlobCache::default();
            for &id in batch {
                // An import since the scan may have given the blob a file again.
                let exists: bool = tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM blobs WHERE id = ?1)",
                    [id],
                    |r| r.get(0),
                )?;
                if exists && !blob_in_use(&tx, id)? {
                    blobs_rewritten += delete_blob(&tx, id, &mut blobs)?;
                    blobs_removed += 1;
                }
                done += 1;
            }
            tx.commit()?;
            progress(PruneProgress::Blobs { done, total });
        }
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        recompute_depths(&tx)?;
        tx.commit()?;

        progress(PruneProgress::Vacuum);
        conn.execute_batch("VACUUM")?;
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        let file_bytes_after = self.file_bytes();
        Ok(PruneReport {
            versions_removed: plan.removed.len() as u64,
            plan,
            blobs_removed,
            blobs_rewritten,
            file_bytes_before,
            file_bytes_after,
        })
    }

    /// Pins version `id`, so that no prune removes it; returns whether it was not pinned yet.
    pub fn pin_version(&self, id: i64) -> Result<bool, StoreError> {
        crate::version_by_id(self.conn(), id)?;
        Ok(self.conn().execute(
            "INSERT OR IGNORE INTO pinned_versions (version_id, pinned_at)
             VALUES (?1, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
            [id],
        )? > 0)
    }

    /// Unpins version `id`; returns whether it was pinned.
    pub fn unpin_version(&self, id: i64) -> Result<bool, StoreError> {
        Ok(self
            .conn()
            .execute("DELETE FROM pinned_versions WHERE version_id = ?1", [id])?
            > 0)
    }

    /// The pinned versions' ids, in order.
    pub fn pinned_versions(&self) -> Result<Vec<i64>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare("SELECT version_id FROM pinned_versions ORDER BY version_id")?;
        Ok(stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, bases: [Option<i64>; 2], raw: u64, stored: u64) -> BlobRow {
        BlobRow {
            id,
            bases,
            raw,
            stored,
        }
    }

    #[test]
    fn an_unused_base_stays_only_while_it_is_smaller_than_its_dependents_stored_whole() {
        // Whole blobs compress 4:1 here, so a delta of 4,000 raw bytes would take 1,000 whole.
        let rows = vec![
            row(1, [None, None], 4_000, 1_000),   // unused, base of 3 and 4
            row(2, [None, None], 40_000, 10_000), // unused, base of 5 only
            row(3, [Some(1), None], 4_000, 100),  // live: 900 more whole
            row(4, [Some(1), None], 4_000, 100),  // live: 900 more whole
            row(5, [Some(2), None], 4_000, 100),  // live: 900 more whole
            row(6, [None, None], 4_000, 1_000),   // unused, base of 7
            row(7, [Some(6), None], 4_000, 100),  // unused, base of 8: stays as a base
            row(8, [Some(7), None], 4_000, 100),  // live
            row(9, [None, None], 4_000, 1_000),   // unused, nothing refers to it
        ];
        let live: HashSet<i64> = [3, 4, 5, 8].into();
        let kept = bases_worth_keeping(&rows, &live, WholeRatio::of(&rows));
        // 1 (1,000 bytes) saves 1,800; 2 (10,000) saves only 900; 7 (100) saves 900, and then 6
        // (1,000) saves only 7's 900.
        assert_eq!(kept, [1, 7].into());
        let none: HashSet<i64> = HashSet::new();
        assert!(bases_worth_keeping(&rows, &none, WholeRatio::of(&rows)).is_empty());
    }
}
