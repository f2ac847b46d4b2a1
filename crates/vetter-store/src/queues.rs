//! The synced review queues: `remote_addons`, `remote_versions`, `queue_entries`, `signals`,
//! `quarantined_versions`, `sync_cursors` and `sync_settings` (step 0003 describes them).

use std::collections::HashSet;

use rusqlite::{OptionalExtension, TransactionBehavior, params};
use serde::Serialize;
use ts_rs::TS;
use vetter_decision::{AddonRef, VersionChoice, VersionRef};

use crate::{Store, StoreError};

/// A synced version waiting in a queue, as a decision on it names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedVersion {
    /// The server's add-on.
    pub addon: AddonRef,
    /// The add-on's name.
    pub addon_name: String,
    /// The version, bound to the hash the sync verified.
    pub version: VersionRef,
    /// The queue it waits in.
    pub queue: String,
}

/// SQL for the remote version a queue entry `q` is diffed against: its add-on's last approved
/// version before the one under review (the sync downloads it with the entry).
pub(crate) const REVIEW_BASE_ID: &str = "(SELECT r.id FROM remote_versions r
    WHERE r.addon_id = q.addon_id AND r.status = 'public' AND r.id < q.version_id
    ORDER BY r.id DESC LIMIT 1)";

impl Store {
    /// The synced add-on named `key` (server id, slug or guid; an id match wins) as (id, guid).
    pub fn remote_addon_named(&self, key: &str) -> Result<Option<(i64, String)>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT id, guid FROM remote_addons
                 WHERE CAST(id AS TEXT) = ?1 OR slug = ?1 OR guid = ?1
                 ORDER BY CAST(id AS TEXT) = ?1 DESC LIMIT 1",
                [key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// The versions of synced add-on `addon_id` waiting in any queue (only `version_id` when
    /// given), by id.
    pub fn queued_versions(
        &self,
        addon_id: i64,
        version_id: Option<i64>,
    ) -> Result<Vec<VersionRef>, StoreError> {
        let mut stmt = self.conn().prepare(
            "SELECT DISTINCT v.id, v.version, v.sha256 FROM queue_entries q
             JOIN remote_versions v ON v.id = q.version_id
             WHERE q.addon_id = ?1 AND (?2 IS NULL OR v.id = ?2) ORDER BY v.id",
        )?;
        let rows = stmt.query_map(params![addon_id, version_id], |r| {
            Ok(VersionRef {
                id: r.get(0)?,
                version: r.get(1)?,
                file_sha256: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every queued server version whose bytes are the cached version `cached_version_id`, by
    /// version id (one row each, its first queue by name). Identical files may be uploaded as
    /// several server versions, so the bytes alone do not say which one a reviewer opened.
    pub fn queued_versions_of_cached(
        &self,
        cached_version_id: i64,
    ) -> Result<Vec<QueuedVersion>, StoreError> {
        let mut stmt = self.conn().prepare(
            "SELECT a.id, a.guid, a.name, v.id, v.version, v.sha256, MIN(q.queue)
             FROM remote_versions v JOIN remote_addons a ON a.id = v.addon_id
             JOIN queue_entries q ON q.version_id = v.id
             WHERE v.cached_version_id = ?1 GROUP BY v.id ORDER BY v.id",
        )?;
        let rows = stmt.query_map([cached_version_id], |r| {
            Ok(QueuedVersion {
                addon: AddonRef {
                    id: r.get(0)?,
                    guid: r.get(1)?,
                },
                addon_name: r.get(2)?,
                version: VersionRef {
                    id: r.get(3)?,
                    version: r.get(4)?,
                    file_sha256: r.get(5)?,
                },
                queue: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The gecko id the manifest of cached version `cached_version_id` declares
    /// (`browser_specific_settings.gecko.id` or `applications.gecko.id`), `None` when it
    /// declares none or the version is not cached.
    pub fn manifest_gecko_id(&self, cached_version_id: i64) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT a.guid FROM versions v JOIN addons a ON a.id = v.addon_id
                 WHERE v.id = ?1 AND a.has_gecko_id = 1",
                [cached_version_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The cached version holding the bytes of server version `remote_version_id`, once its
    /// file is downloaded and verified.
    pub fn cached_version_of_remote(
        &self,
        remote_version_id: i64,
    ) -> Result<Option<i64>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT cached_version_id FROM remote_versions WHERE id = ?1",
                [remote_version_id],
                |r| r.get::<_, Option<i64>>(0),
            )
            .optional()?
            .flatten())
    }

    /// The synced versions of add-on `addon_id`, newest first (at most 1000).
    pub fn remote_version_choices(&self, addon_id: i64) -> Result<Vec<VersionChoice>, StoreError> {
        let mut stmt = self.conn().prepare(
            "SELECT id, version, status FROM remote_versions WHERE addon_id = ?1 ORDER BY id DESC
             LIMIT 1000",
        )?;
        let rows = stmt.query_map([addon_id], |r| {
            Ok(VersionChoice {
                id: r.get(0)?,
                version: r.get(1)?,
                status: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// One queue in the local cache.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct LocalQueue {
    /// Queue name.
    pub name: String,
    /// Entries cached.
    #[ts(type = "number")]
    pub count: u64,
}

/// Where a queue entry's XPI is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case", tag = "state")]
#[ts(export)]
pub enum LocalFileState {
    /// Imported into the cache under this version id.
    Cached {
        /// The cache's version id.
        #[ts(type = "number")]
        version_id: i64,
    },
    /// Refused: hash mismatch or archive rules.
    Quarantined {
        /// Why.
        reason: String,
    },
    /// Not downloaded yet.
    Pending,
}

/// One queue entry from the local cache.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct LocalEntry {
    /// Entry id.
    #[ts(type = "number")]
    pub id: i64,
    /// Queue.
    pub queue: String,
    /// Add-on id on the server.
    #[ts(type = "number")]
    pub addon_id: i64,
    /// Add-on name.
    pub addon_name: String,
    /// Add-on slug.
    pub slug: String,
    /// Version id on the server.
    #[ts(type = "number")]
    pub version_id: i64,
    /// Version string.
    pub version: String,
    /// Due date.
    pub due_date: String,
    /// Needs-human-review reasons.
    pub reasons: Vec<String>,
    /// Flags.
    pub flags: Vec<String>,
    /// Weight.
    #[ts(type = "number")]
    pub weight: i64,
    /// The weight's factors, as the server's signals break it down (largest first; empty when
    /// the server gave none or they are not synced yet).
    pub weight_breakdown: Vec<WeightPart>,
    /// The version under review's file.
    pub file: LocalFileState,
    /// The last approved version's id on the server, if any.
    #[ts(type = "number | null")]
    pub last_approved_version_id: Option<i64>,
    /// The cache's version id of the last approved version, once its XPI is imported: with
    /// [`LocalFileState::Cached`] it makes the default review pair (last approved → under review).
    #[ts(type = "number | null")]
    pub base_cached_version_id: Option<i64>,
    /// Whether everything a review of this entry reads is in the cache (the version under
    /// review and, if there is one, the last approved version), so it can be reviewed offline.
    pub offline_ready: bool,
}

/// One factor of a weight and the points it adds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct WeightPart {
    /// The factor's code (`abuse_reports`, `uses_remote_scripts`, …).
    pub factor: String,
    /// Its points (negative ones lower the weight).
    #[ts(type = "number")]
    pub points: i64,
}

/// The non-zero factors of a signals body's `weight.breakdown`, largest first, at most 64 (a
/// hostile body gets no more rows than a reviewer can read, and no error).
fn weight_parts(signals: Option<&str>) -> Vec<WeightPart> {
    let Some(body) = signals.and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok()) else {
        return Vec::new();
    };
    let Some(breakdown) = body
        .pointer("/weight/breakdown")
        .and_then(|b| b.as_object())
    else {
        return Vec::new();
    };
    let mut parts: Vec<WeightPart> = breakdown
        .iter()
        .filter_map(|(factor, points)| {
            let points = points.as_i64().filter(|p| *p != 0)?;
            (factor.len() <= 128).then(|| WeightPart {
                factor: factor.clone(),
                points,
            })
        })
        .collect();
    parts.sort_by(|a, b| {
        b.points
            .abs()
            .cmp(&a.points.abs())
            .then(a.factor.cmp(&b.factor))
    });
    parts.truncate(64);
    parts
}

/// A server version as sync stores it (every text already capped by sync).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteVersion {
    /// The server's version id.
    pub id: i64,
    /// The version string.
    pub version: String,
    /// The server's file id.
    pub file_id: i64,
    /// The file's status (`public`, `nominated`, …).
    pub status: String,
    /// The file's sha256 (lowercase hex).
    pub sha256: String,
    /// The file's size in bytes.
    pub size: i64,
    /// Where the file is downloaded from.
    pub url: String,
    /// The permissions as a JSON list.
    pub permissions: String,
    /// The host permissions as a JSON list.
    pub host_permissions: String,
}

/// A server add-on as sync stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteAddon {
    /// The server's add-on id.
    pub id: i64,
    /// Its guid.
    pub guid: String,
    /// Its slug.
    pub slug: String,
    /// Its name.
    pub name: String,
}

/// One change of a queue page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueChange {
    /// Entry `id` left the queue.
    Removed {
        /// The entry's id.
        id: i64,
    },
    /// An entry was added or changed, with its add-on and version.
    Upsert(Box<QueuedEntry>),
}

/// A queue entry as a page brings it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedEntry {
    /// The entry's id.
    pub id: i64,
    /// The queue it is in (the page's queue unless the entry names another).
    pub queue: String,
    /// Its add-on (marked stale: its metadata is fetched next).
    pub addon: RemoteAddon,
    /// The version under review.
    pub version: RemoteVersion,
    /// When it is due (text as the server sent it).
    pub due_date: String,
    /// The reasons, as a JSON list.
    pub reasons: String,
    /// The flags, as a JSON list.
    pub flags: String,
    /// Its weight.
    pub weight: i64,
}

/// A version whose XPI a queue entry needs and the cache lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeededDownload {
    /// The server's version id.
    pub id: i64,
    /// The server's file id.
    pub file_id: i64,
    /// The add-on's slug (names the download).
    pub slug: String,
    /// The version string.
    pub version: String,
    /// The advertised sha256.
    pub sha256: String,
    /// The advertised size.
    pub size: u64,
    /// Where to download it.
    pub url: String,
}

/// A refused download, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quarantine<'a> {
    /// The server's version id.
    pub remote_version_id: i64,
    /// The hash the server advertised.
    pub expected_sha256: &'a str,
    /// The hash of the bytes received, when they were received whole.
    pub actual_sha256: Option<&'a str>,
    /// Why it was refused.
    pub reason: &'a str,
    /// When (unix seconds).
    pub at: i64,
    /// Refused downloads of this version with this expected hash, this one included.
    pub attempts: u32,
    /// When to download again (unix seconds), or never.
    pub retry_at: Option<i64>,
}

fn upsert_version(
    tx: &rusqlite::Connection,
    addon_id: i64,
    v: &RemoteVersion,
) -> rusqlite::Result<()> {
    // A changed hash means other bytes: forget the cached link so they are fetched again.
    tx.execute(
        "INSERT INTO remote_versions (id, addon_id, version, file_id, status, sha256, size, url,
            permissions, host_permissions)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (id) DO UPDATE SET version = excluded.version, file_id = excluded.file_id,
            status = excluded.status, size = excluded.size, url = excluded.url,
            permissions = excluded.permissions, host_permissions = excluded.host_permissions,
            cached_version_id = CASE WHEN sha256 = excluded.sha256 THEN cached_version_id END,
            sha256 = excluded.sha256",
        params![
            v.id,
            addon_id,
            v.version,
            v.file_id,
            v.status,
            v.sha256,
            v.size,
            v.url,
            v.permissions,
            v.host_permissions
        ],
    )?;
    Ok(())
}

impl Store {
    /// The cache setting `key` (`server`: the remembered server URL; never a secret).
    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT value FROM sync_settings WHERE key = ?1",
                [key],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Sets the cache setting `key` to `value`.
    pub fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO sync_settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )?;
        Ok(())
    }

    /// The server's cursor after the last page of `queue` applied, if any.
    pub fn queue_cursor(&self, queue: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT cursor FROM sync_cursors WHERE queue = ?1",
                [queue],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Applies one queue page's `changes` and its `cursor` in one transaction, so a stopped
    /// sync resumes exactly after the last page applied; returns (changed, removed).
    pub fn apply_queue_page(
        &mut self,
        queue: &str,
        changes: &[QueueChange],
        cursor: &str,
    ) -> Result<(u64, u64), StoreError> {
        let (mut changed, mut removed) = (0, 0);
        let tx = self
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        for change in changes {
            match change {
                QueueChange::Removed { id } => {
                    removed += tx.execute("DELETE FROM queue_entries WHERE id = ?1", [id])? as u64;
                }
                QueueChange::Upsert(entry) => {
                    let QueuedEntry {
                        id,
                        queue,
                        addon,
                        version,
                        due_date,
                        reasons,
                        flags,
                        weight,
                    } = entry.as_ref();
                    tx.execute(
                        "INSERT INTO remote_addons (id, guid, slug, name, stale)
                         VALUES (?1, ?2, ?3, ?4, 1)
                         ON CONFLICT (id) DO UPDATE SET guid = excluded.guid, slug = excluded.slug,
                            name = excluded.name, stale = 1",
                        params![addon.id, addon.guid, addon.slug, addon.name],
                    )?;
                    upsert_version(&tx, addon.id, version)?;
                    tx.execute(
                        "INSERT INTO queue_entries (id, queue, addon_id, version_id, due_date, reasons,
                                                    flags, weight)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                         ON CONFLICT (id) DO UPDATE SET queue = excluded.queue,
                            addon_id = excluded.addon_id, version_id = excluded.version_id,
                            due_date = excluded.due_date, reasons = excluded.reasons,
                            flags = excluded.flags, weight = excluded.weight",
                        params![id, queue, addon.id, version.id, due_date, reasons, flags, weight],
                    )?;
                    changed += 1;
                }
            }
        }
        tx.execute(
            "INSERT INTO sync_cursors (queue, cursor) VALUES (?1, ?2)
             ON CONFLICT (queue) DO UPDATE SET cursor = excluded.cursor",
            params![queue, cursor],
        )?;
        tx.commit()?;
        Ok((changed, removed))
    }

    /// The synced add-ons whose metadata a queue change made stale, by id.
    pub fn stale_remote_addons(&self) -> Result<Vec<i64>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare("SELECT id FROM remote_addons WHERE stale = 1 ORDER BY id")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Stores add-on `addon_id`'s refreshed versions and signals body and clears its stale
    /// mark, in one transaction, so an interrupted metadata phase resumes with it.
    pub fn apply_addon_metadata(
        &mut self,
        addon_id: i64,
        versions: &[RemoteVersion],
        signals: &str,
    ) -> Result<(), StoreError> {
        let tx = self
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        for v in versions {
            upsert_version(&tx, addon_id, v)?;
        }
        tx.execute(
            "INSERT INTO signals (addon_id, body) VALUES (?1, ?2)
             ON CONFLICT (addon_id) DO UPDATE SET body = excluded.body",
            params![addon_id, signals],
        )?;
        tx.execute(
            "UPDATE remote_addons SET stale = 0 WHERE id = ?1",
            [addon_id],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The versions to download: those the queue needs that are neither cached nor quarantined,
    /// and quarantined ones whose retry is due at `now` (unix seconds).
    pub fn needed_downloads(&self, now: i64) -> Result<Vec<NeededDownload>, StoreError> {
        let mut stmt = self.conn().prepare(
            "WITH wanted (id) AS (
             SELECT version_id FROM queue_entries
             UNION
             SELECT (SELECT r.id FROM remote_versions r
                     WHERE r.addon_id = q.addon_id AND r.status = 'public' AND r.id < q.version_id
                     ORDER BY r.id DESC LIMIT 1)
             FROM queue_entries q)
         SELECT v.id, v.file_id, a.slug, v.version, v.sha256, v.size, v.url
         FROM wanted w JOIN remote_versions v ON v.id = w.id
         JOIN remote_addons a ON a.id = v.addon_id
         LEFT JOIN quarantined_versions qv
             ON qv.remote_version_id = v.id AND qv.expected_sha256 = v.sha256
         WHERE v.cached_version_id IS NULL
             AND (qv.remote_version_id IS NULL OR qv.retry_at <= ?1)
         ORDER BY v.id",
        )?;
        let rows = stmt
            .query_map([now], |r| {
                Ok(NeededDownload {
                    id: r.get(0)?,
                    file_id: r.get(1)?,
                    slug: r.get(2)?,
                    version: r.get(3)?,
                    sha256: r.get(4)?,
                    size: r.get::<_, i64>(5)?.max(0) as u64,
                    url: r.get(6)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let mut seen = HashSet::new();
        Ok(rows.into_iter().filter(|n| seen.insert(n.id)).collect())
    }

    /// Refused downloads of remote version `id` so far, counted only while the server
    /// advertises the same hash `expected_sha256`.
    pub fn quarantine_attempts(&self, id: i64, expected_sha256: &str) -> Result<u32, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT attempts FROM quarantined_versions
                 WHERE remote_version_id = ?1 AND expected_sha256 = ?2",
                params![id, expected_sha256],
                |r| r.get::<_, i64>(0),
            )
            .optional()?
            .map_or(0, |a| u32::try_from(a.max(0)).unwrap_or(u32::MAX)))
    }

    /// Records a refused download (replacing an earlier record of the same version).
    pub fn quarantine(&self, q: &Quarantine<'_>) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO quarantined_versions
                 (remote_version_id, expected_sha256, actual_sha256, reason, quarantined_at,
                  attempts, retry_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (remote_version_id) DO UPDATE SET
                expected_sha256 = excluded.expected_sha256, actual_sha256 = excluded.actual_sha256,
                reason = excluded.reason, quarantined_at = excluded.quarantined_at,
                attempts = excluded.attempts, retry_at = excluded.retry_at",
            params![
                q.remote_version_id,
                q.expected_sha256,
                q.actual_sha256,
                q.reason,
                q.at,
                q.attempts,
                q.retry_at
            ],
        )?;
        Ok(())
    }

    /// Links remote version `id` to its imported bytes, cached as `cached_version_id`; a
    /// quarantine of it stays for audit but is no longer retried.
    pub fn link_cached(&self, id: i64, cached_version_id: i64) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE remote_versions SET cached_version_id = ?2 WHERE id = ?1",
            params![id, cached_version_id],
        )?;
        self.conn().execute(
            "UPDATE quarantined_versions SET retry_at = NULL WHERE remote_version_id = ?1",
            [id],
        )?;
        Ok(())
    }

    /// Queues with cached entries.
    pub fn local_queues(&self) -> Result<Vec<LocalQueue>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare("SELECT queue, COUNT(*) FROM queue_entries GROUP BY queue ORDER BY queue")?;
        let rows = stmt.query_map([], |r| {
            Ok(LocalQueue {
                name: r.get(0)?,
                count: r.get::<_, i64>(1)?.max(0) as u64,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Cached entries of `queue` (all queues when `None`), soonest due first.
    pub fn local_entries(&self, queue: Option<&str>) -> Result<Vec<LocalEntry>, StoreError> {
        let mut stmt = self.conn().prepare(&format!(
            "SELECT q.id, q.queue, q.addon_id, a.name, a.slug, q.version_id, v.version, q.due_date,
                q.reasons, q.flags, q.weight, v.cached_version_id, qv.reason,
                b.id, b.cached_version_id, s.body
         FROM queue_entries q JOIN remote_addons a ON a.id = q.addon_id
         LEFT JOIN signals s ON s.addon_id = q.addon_id
         JOIN remote_versions v ON v.id = q.version_id
         LEFT JOIN quarantined_versions qv ON qv.remote_version_id = v.id AND qv.expected_sha256 = v.sha256
         LEFT JOIN remote_versions b ON b.id = {REVIEW_BASE_ID}
         WHERE ?1 IS NULL OR q.queue = ?1
         ORDER BY q.due_date, q.id"
        ))?;
        let rows = stmt
            .query_map([queue], |r| {
                let list = |s: String| serde_json::from_str::<Vec<String>>(&s).unwrap_or_default();
                let cached: Option<i64> = r.get(11)?;
                let quarantined: Option<String> = r.get(12)?;
                let base: Option<i64> = r.get(13)?;
                let base_cached: Option<i64> = r.get(14)?;
                Ok(LocalEntry {
                    id: r.get(0)?,
                    queue: r.get(1)?,
                    addon_id: r.get(2)?,
                    addon_name: r.get(3)?,
                    slug: r.get(4)?,
                    version_id: r.get(5)?,
                    version: r.get(6)?,
                    due_date: r.get(7)?,
                    reasons: list(r.get(8)?),
                    flags: list(r.get(9)?),
                    weight: r.get(10)?,
                    weight_breakdown: weight_parts(r.get::<_, Option<String>>(15)?.as_deref()),
                    file: match (cached, quarantined) {
                        (Some(version_id), _) => LocalFileState::Cached { version_id },
                        (None, Some(reason)) => LocalFileState::Quarantined { reason },
                        (None, None) => LocalFileState::Pending,
                    },
                    last_approved_version_id: base,
                    base_cached_version_id: base_cached,
                    offline_ready: cached.is_some() && (base.is_none() || base_cached.is_some()),
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_weight_breaks_down_into_its_non_zero_factors_largest_first() {
        let body = r#"{"weight": {"total": 75, "breakdown":
            {"abuse_reports": 35, "uses_remote_scripts": 100, "reputation": -100, "past": 0}}}"#;
        let parts: Vec<(String, i64)> = weight_parts(Some(body))
            .into_iter()
            .map(|p| (p.factor, p.points))
            .collect();
        assert_eq!(
            parts,
            [
                ("reputation".to_owned(), -100),
                ("uses_remote_scripts".to_owned(), 100),
                ("abuse_reports".to_owned(), 35),
            ]
        );
    }

    #[test]
    fn a_hostile_signals_body_gives_no_breakdown_or_a_bounded_one() {
        for body in [
            None,
            Some("not json"),
            Some("[]"),
            Some(r#"{"weight": {"breakdown": 7}}"#),
        ] {
            assert!(weight_parts(body).is_empty(), "{body:?}");
        }
        let many: serde_json::Map<String, serde_json::Value> = (0..1000)
            .map(|i| (format!("f{i}"), serde_json::json!(i + 1)))
            .collect();
        let body = serde_json::json!({"weight": {"breakdown": many}}).to_string();
        let parts = weight_parts(Some(&body));
        assert_eq!(parts.len(), 64);
        assert_eq!(parts[0].points, 1000);
        let long = serde_json::json!({"weight": {"breakdown": {"x".repeat(200): 5, "text": "5"}}});
        assert!(weight_parts(Some(&long.to_string())).is_empty());
    }
}
