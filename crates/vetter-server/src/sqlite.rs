//! The SQLite storage: one file in the server's data folder.
//!
//! Queue entries carry a `seq` from one counter that only grows: every change to an entry (new
//! version, moved, removed, signals changed) takes the next number, and removed entries stay as
//! tombstones. A client's cursor is the last `seq` it saw, so `seq > cursor` is exactly what
//! changed since — including what left the queue.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use vetter_decision::Settlement;
use vetter_decision::signing::{UnderReview, VerifyError, check_review_state};
use vetter_fixtures::demo::FaultSeed;
use vetter_store::server_db::{Pool, Pooled};

use crate::storage::{
    AddonRow, ApiKey, DecisionOutcome, EntryChange, EntryRow, KeyPut, KeyRevoke, KeyRow,
    NewDecision, NewVersion, Profile, QUEUES, QueueSummary, SeedRows, Storage, StorageError,
    VersionRow, entry_state_json, inconsistency, json_text, known_queue, now_rfc3339, parse_list,
    parsed, recorded_result,
};

/// The database file inside `--data`.
pub const DB_FILE: &str = "server.sqlite3";

/// Connections the server keeps: enough for downloads and syncs to read side by side on two
/// to eight cores, few enough that SQLite's single writer is not starved.
pub const POOL_SIZE: usize = 4;

/// SQLite-backed [`Storage`].
pub struct SqliteStorage {
    pool: Pool,
}

impl SqliteStorage {
    /// Opens (creating) the database in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<SqliteStorage, StorageError> {
        Ok(SqliteStorage {
            pool: Pool::open(&data_dir.join(DB_FILE), POOL_SIZE)?,
        })
    }

    /// A connection of the pool; blocks while all are in use, so only off the async workers.
    fn conn(&self) -> Pooled<'_> {
        self.pool.get()
    }
}

const VERSION_COLS: &str = "v.id, v.addon_id, v.version, v.status, v.created, v.sha256, v.size, v.permissions, v.host_permissions";

fn version_row(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<(VersionRow, String, String)> {
    Ok((
        VersionRow {
            id: r.get(at)?,
            addon_id: r.get(at + 1)?,
            version: r.get(at + 2)?,
            status: r.get(at + 3)?,
            created: r.get(at + 4)?,
            sha256: r.get(at + 5)?,
            size: r.get(at + 6)?,
            permissions: Vec::new(),
            host_permissions: Vec::new(),
        },
        r.get(at + 7)?,
        r.get(at + 8)?,
    ))
}

fn finish_version(
    (mut row, perms, hosts): (VersionRow, String, String),
) -> Result<VersionRow, StorageError> {
    row.permissions = parse_list(&perms, "versions.permissions")?;
    row.host_permissions = parse_list(&hosts, "versions.host_permissions")?;
    Ok(row)
}

const KEY_COLS: &str = "kid, alg, public_key, user_id, created_at, revoked_at";

fn read_key(r: &rusqlite::Row<'_>) -> rusqlite::Result<KeyRow> {
    Ok(KeyRow {
        kid: r.get(0)?,
        alg: r.get(1)?,
        public_key: r.get(2)?,
        user_id: r.get(3)?,
        created_at: r.get(4)?,
        revoked_at: r.get(5)?,
    })
}

fn key_row(conn: &Connection, kid: &str) -> Result<Option<KeyRow>, StorageError> {
    Ok(conn
        .query_row(
            &format!("SELECT {KEY_COLS} FROM reviewer_keys WHERE kid = ?1"),
            [kid],
            read_key,
        )
        .optional()?)
}

/// The checks of [`inconsistency`] on this connection.
fn inconsistent(
    conn: &Connection,
    d: &vetter_decision::Decision,
) -> Result<Option<(&'static str, String)>, StorageError> {
    inconsistency(
        d,
        |id| {
            Ok(conn
                .query_row("SELECT guid FROM addons WHERE id = ?1", [id], |r| r.get(0))
                .optional()?)
        },
        |id| {
            Ok(conn
                .query_row("SELECT addon_id FROM versions WHERE id = ?1", [id], |r| {
                    r.get(0)
                })
                .optional()?)
        },
    )
}

fn next_seq(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT COALESCE(MAX(seq), 0) + 1 FROM queue_entries",
        [],
        |r| r.get(0),
    )
}

fn entry_state(conn: &Connection, version_id: i64) -> Result<Value, StorageError> {
    let entry: Option<(i64, String, i64, bool)> = conn
        .query_row(
            "SELECT q.id, q.queue, q.version_id, q.removed FROM queue_entries q
             WHERE q.addon_id = (SELECT addon_id FROM versions WHERE id = ?1)
             ORDER BY q.removed, q.seq DESC LIMIT 1",
            [version_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, i64>(3)? != 0)),
        )
        .optional()?;
    let current: Option<(i64, String, String)> = match &entry {
        Some((_, _, v, false)) => conn
            .query_row(
                "SELECT id, version, sha256 FROM versions WHERE id = ?1",
                [v],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?,
        _ => None,
    };
    Ok(entry_state_json(
        entry.map(|(id, queue, _, removed)| (id, queue, removed)),
        current,
    ))
}

impl Storage for SqliteStorage {
    fn ping(&self) -> Result<(), StorageError> {
        self.conn().query_row("SELECT 1", [], |_| Ok(()))?;
        Ok(())
    }

    fn is_seeded(&self) -> Result<bool, StorageError> {
        Ok(self
            .conn()
            .query_row("SELECT 1 FROM meta WHERE key = 'seeded'", [], |_| Ok(()))
            .optional()?
            .is_some())
    }

    fn load_seed(&self, rows: &SeedRows) -> Result<(), StorageError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for (key, secret, user_id, name, username) in &rows.api_keys {
            tx.execute(
                "INSERT INTO api_keys (key, secret, user_id, name, username) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![key, secret, user_id, name, username],
            )?;
        }
        if let Some(vocabulary) = &rows.vocabulary {
            tx.execute(
                "INSERT INTO vocabulary (id, body) VALUES (1, ?1)",
                [vocabulary],
            )?;
        }
        for a in &rows.addons {
            tx.execute(
                "INSERT INTO addons (id, guid, slug, name, summary) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![a.id, a.guid, a.slug, a.name, a.summary],
            )?;
        }
        for (v, xpi) in &rows.versions {
            tx.execute(
                "INSERT INTO versions (id, addon_id, version, status, created, sha256, size,
                    permissions, host_permissions, data)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    v.id,
                    v.addon_id,
                    v.version,
                    v.status,
                    v.created,
                    v.sha256,
                    v.size,
                    json_text(&v.permissions),
                    json_text(&v.host_permissions),
                    xpi
                ],
            )?;
        }
        for (addon_id, body) in &rows.signals {
            tx.execute(
                "INSERT INTO signals (addon_id, body) VALUES (?1, ?2)",
                params![addon_id, body],
            )?;
        }
        for (id, queue, addon_id, version_id, due, reasons, flags, weight, seq) in &rows.entries {
            tx.execute(
                "INSERT INTO queue_entries (id, queue, addon_id, version_id, due_date, reasons,
                    flags, weight, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    id, queue, addon_id, version_id, due, reasons, flags, weight, seq
                ],
            )?;
        }
        tx.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('faults', ?1)",
            [&rows.faults],
        )?;
        tx.execute("INSERT INTO meta (key, value) VALUES ('seeded', '1')", [])?;
        tx.commit()?;
        Ok(())
    }

    fn faults(&self) -> Result<Vec<FaultSeed>, StorageError> {
        let text: Option<String> = self
            .conn()
            .query_row("SELECT value FROM meta WHERE key = 'faults'", [], |r| {
                r.get(0)
            })
            .optional()?;
        match text {
            None => Ok(Vec::new()),
            Some(text) => serde_json::from_str(&text).map_err(|error| StorageError::Json {
                what: "meta.faults",
                error,
            }),
        }
    }

    fn api_key(&self, key: &str) -> Result<Option<ApiKey>, StorageError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT secret, user_id, name, username FROM api_keys WHERE key = ?1",
                [key],
                |r| {
                    Ok(ApiKey {
                        secret: zeroize::Zeroizing::new(r.get::<_, String>(0)?.into_bytes()),
                        profile: Profile {
                            id: r.get(1)?,
                            name: r.get(2)?,
                            username: r.get(3)?,
                        },
                    })
                },
            )
            .optional()?)
    }

    fn addon(&self, ident: &str) -> Result<Option<AddonRow>, StorageError> {
        let id: i64 = ident.parse().unwrap_or(-1);
        Ok(self
            .conn()
            .query_row(
                "SELECT id, guid, slug, name, summary FROM addons
                 WHERE id = ?1 OR slug = ?2 OR guid = ?2",
                params![id, ident],
                |r| {
                    Ok(AddonRow {
                        id: r.get(0)?,
                        guid: r.get(1)?,
                        slug: r.get(2)?,
                        name: r.get(3)?,
                        summary: r.get(4)?,
                    })
                },
            )
            .optional()?)
    }

    fn current_version(&self, addon_id: i64) -> Result<Option<VersionRow>, StorageError> {
        let row = self
            .conn()
            .query_row(
                &format!(
                    "SELECT {VERSION_COLS} FROM versions v
                     WHERE v.addon_id = ?1 AND v.status = 'approved' ORDER BY v.id DESC LIMIT 1"
                ),
                [addon_id],
                |r| version_row(r, 0),
            )
            .optional()?;
        row.map(finish_version).transpose()
    }

    fn versions(
        &self,
        addon_id: i64,
        with_deleted: bool,
        offset: i64,
        limit: i64,
    ) -> Result<(i64, Vec<VersionRow>), StorageError> {
        let conn = self.conn();
        let filter = if with_deleted {
            ""
        } else {
            "AND v.status != 'deleted'"
        };
        let count: i64 = conn.query_row(
            &format!("SELECT COUNT(*) FROM versions v WHERE v.addon_id = ?1 {filter}"),
            [addon_id],
            |r| r.get(0),
        )?;
        let mut stmt = conn.prepare(&format!(
            "SELECT {VERSION_COLS} FROM versions v WHERE v.addon_id = ?1 {filter}
             ORDER BY v.id DESC LIMIT ?2 OFFSET ?3"
        ))?;
        let rows = stmt
            .query_map(params![addon_id, limit, offset], |r| version_row(r, 0))?
            .collect::<Result<Vec<_>, _>>()?;
        let rows = rows
            .into_iter()
            .map(finish_version)
            .collect::<Result<_, _>>()?;
        Ok((count, rows))
    }

    fn file_row(&self, file_id: i64) -> Result<Option<VersionRow>, StorageError> {
        let row = self
            .conn()
            .query_row(
                &format!("SELECT {VERSION_COLS} FROM versions v WHERE v.id = ?1"),
                [file_id],
                |r| version_row(r, 0),
            )
            .optional()?;
        row.map(finish_version).transpose()
    }

    fn file_chunk(&self, file_id: i64, offset: u64, len: usize) -> Result<Vec<u8>, StorageError> {
        // substr() on a BLOB reads only the pages it needs (1-based offsets).
        let bytes: Option<Vec<u8>> = self
            .conn()
            .query_row(
                "SELECT substr(data, ?2, ?3) FROM versions WHERE id = ?1",
                params![file_id, offset as i64 + 1, len as i64],
                |r| r.get(0),
            )
            .optional()?;
        bytes.ok_or_else(|| StorageError::Invalid(format!("file {file_id} vanished mid-download")))
    }

    fn queues(&self) -> Result<Vec<QueueSummary>, StorageError> {
        let conn = self.conn();
        let mut out = Vec::new();
        for name in QUEUES {
            let (count, cursor, oldest_due): (i64, i64, Option<String>) = conn.query_row(
                "SELECT COALESCE(SUM(removed = 0), 0), COALESCE(MAX(seq), 0),
                    MIN(CASE WHEN removed = 0 THEN due_date END)
                 FROM queue_entries WHERE queue = ?1",
                [name],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            out.push(QueueSummary {
                name: (*name).to_owned(),
                count,
                cursor: cursor.to_string(),
                oldest_due,
            });
        }
        Ok(out)
    }

    fn queue_entries(
        &self,
        queue: &str,
        since: i64,
        limit: i64,
    ) -> Result<Option<Vec<EntryRow>>, StorageError> {
        if !QUEUES.contains(&queue) {
            return Ok(None);
        }
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT q.id, q.queue, q.due_date, q.reasons, q.flags, q.weight, q.seq, q.removed,
                    a.id, a.guid, a.slug, a.name, a.summary, {VERSION_COLS}
             FROM queue_entries q JOIN addons a ON a.id = q.addon_id
             JOIN versions v ON v.id = q.version_id
             WHERE q.queue = ?1 AND q.seq > ?2 ORDER BY q.seq LIMIT ?3"
        ))?;
        let rows = stmt
            .query_map(params![queue, since, limit], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, i64>(7)?,
                    AddonRow {
                        id: r.get(8)?,
                        guid: r.get(9)?,
                        slug: r.get(10)?,
                        name: r.get(11)?,
                        summary: r.get(12)?,
                    },
                    version_row(r, 13)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let mut out = Vec::with_capacity(rows.len());
        for (id, queue, due_date, reasons, flags, weight, seq, removed, addon, version) in rows {
            out.push(EntryRow {
                id,
                queue,
                addon,
                version: finish_version(version)?,
                due_date,
                reasons: parse_list(&reasons, "queue_entries.reasons")?,
                flags: parse_list(&flags, "queue_entries.flags")?,
                weight,
                seq,
                removed: removed != 0,
            });
        }
        Ok(Some(out))
    }

    fn signals(&self, addon_id: i64) -> Result<Option<Value>, StorageError> {
        let text: Option<String> = self
            .conn()
            .query_row(
                "SELECT body FROM signals WHERE addon_id = ?1",
                [addon_id],
                |r| r.get(0),
            )
            .optional()?;
        parsed(text, "signals.body")
    }

    fn vocabulary(&self) -> Result<Option<Value>, StorageError> {
        let text: Option<String> = self
            .conn()
            .query_row("SELECT body FROM vocabulary WHERE id = 1", [], |r| r.get(0))
            .optional()?;
        parsed(text, "vocabulary.body")
    }

    fn touch_presence(
        &self,
        viewer: &Profile,
        addon_id: i64,
        now: i64,
        expires_at: i64,
    ) -> Result<Vec<(i64, String)>, StorageError> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO presence (user_id, addon_id, name, expires_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (user_id, addon_id)
             DO UPDATE SET name = excluded.name, expires_at = excluded.expires_at",
            params![viewer.id, addon_id, viewer.name, expires_at],
        )?;
        let mut stmt = conn.prepare(
            "SELECT user_id, name FROM presence
             WHERE addon_id = ?1 AND user_id != ?2 AND expires_at > ?3 ORDER BY name, user_id",
        )?;
        let others = stmt
            .query_map(params![addon_id, viewer.id, now], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<Result<_, _>>()?;
        Ok(others)
    }

    fn leave_presence(&self, user_id: i64, addon_id: i64) -> Result<(), StorageError> {
        self.conn().execute(
            "DELETE FROM presence WHERE user_id = ?1 AND addon_id = ?2",
            params![user_id, addon_id],
        )?;
        Ok(())
    }

    fn presence(&self, user_id: i64, now: i64) -> Result<Vec<(i64, i64, String)>, StorageError> {
        let conn = self.conn();
        // Expired rows go here, the one read that sees them all, so the table stays small.
        conn.execute("DELETE FROM presence WHERE expires_at <= ?1", [now])?;
        let mut stmt = conn.prepare(
            "SELECT addon_id, user_id, name FROM presence WHERE user_id != ?1
             ORDER BY addon_id, name, user_id",
        )?;
        let rows = stmt
            .query_map([user_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    fn put_key(&self, user_id: i64, kid: &str, public_key: &str) -> Result<KeyPut, StorageError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let outcome = match key_row(&tx, kid)? {
            Some(row) if row.user_id != user_id => KeyPut::OtherOwner,
            Some(row) if row.revoked_at.is_some() => KeyPut::Revoked(row),
            Some(row) => KeyPut::Existing(row),
            None => {
                tx.execute(
                    "INSERT INTO reviewer_keys (kid, user_id, public_key, alg, created_at)
                     VALUES (?1, ?2, ?3, 'EdDSA', ?4)",
                    params![kid, user_id, public_key, now_rfc3339()],
                )?;
                KeyPut::Created(key_row(&tx, kid)?.ok_or_else(|| {
                    StorageError::Invalid(format!("key {kid} vanished after insert"))
                })?)
            }
        };
        tx.commit()?;
        Ok(outcome)
    }

    fn key(&self, kid: &str) -> Result<Option<KeyRow>, StorageError> {
        key_row(&self.conn(), kid)
    }

    fn keys(&self) -> Result<Vec<KeyRow>, StorageError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {KEY_COLS} FROM reviewer_keys ORDER BY created_at, rowid"
        ))?;
        let rows = stmt.query_map([], read_key)?.collect::<Result<_, _>>()?;
        Ok(rows)
    }

    fn revoke_key(&self, user_id: i64, kid: &str) -> Result<KeyRevoke, StorageError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let outcome = match key_row(&tx, kid)? {
            None => KeyRevoke::Missing,
            Some(row) if row.user_id != user_id => KeyRevoke::NotYours,
            Some(row) if row.revoked_at.is_some() => KeyRevoke::Revoked(row),
            Some(mut row) => {
                let now = now_rfc3339();
                tx.execute(
                    "UPDATE reviewer_keys SET revoked_at = ?2 WHERE kid = ?1",
                    params![kid, now],
                )?;
                row.revoked_at = Some(now);
                KeyRevoke::Revoked(row)
            }
        };
        tx.commit()?;
        Ok(outcome)
    }

    fn record_decision(&self, d: &NewDecision) -> Result<DecisionOutcome, StorageError> {
        let id = &d.decision.id;
        let version_id = d.decision.version.id;
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let existing: Option<(Vec<u8>, String)> = tx
            .query_row(
                "SELECT body, result FROM decisions WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((body, result)) = existing {
            if body != d.body {
                return Ok(DecisionOutcome::IdConflict);
            }
            let result = serde_json::from_str(&result).map_err(|error| StorageError::Json {
                what: "decisions.result",
                error,
            })?;
            return Ok(DecisionOutcome::Repeated(result));
        }
        if let Some((code, detail)) = inconsistent(&tx, &d.decision)? {
            return Ok(DecisionOutcome::Inconsistent { code, detail });
        }
        // What the add-on has under review: the live entry for this version if there is one,
        // else the add-on's latest live entry. Checked in the same transaction as the insert.
        let under_review: Option<UnderReview> = tx
            .query_row(
                "SELECT v.id, v.version, v.sha256 FROM queue_entries q
                 JOIN versions v ON v.id = q.version_id
                 WHERE q.removed = 0 AND q.addon_id = ?2
                 ORDER BY q.version_id = ?1 DESC, q.seq DESC LIMIT 1",
                params![version_id, d.decision.addon.id],
                |r| {
                    Ok(UnderReview {
                        version_id: r.get(0)?,
                        version: r.get(1)?,
                        file_sha256: r.get(2)?,
                    })
                },
            )
            .optional()?;
        match check_review_state(&d.decision, under_review.as_ref()) {
            Ok(()) => {}
            Err(VerifyError::HashMismatch { .. }) => {
                return Ok(DecisionOutcome::HashMismatch(entry_state(&tx, version_id)?));
            }
            Err(_) => {
                return Ok(DecisionOutcome::NotUnderReview(entry_state(
                    &tx, version_id,
                )?));
            }
        }
        let seq: i64 =
            tx.query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM decisions", [], |r| {
                r.get(0)
            })?;
        let recorded_at = now_rfc3339();
        let result = recorded_result(id, seq, &recorded_at);
        tx.execute(
            "INSERT INTO decisions (seq, id, user_id, body, result, recorded_at, kid, decided_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                seq,
                id,
                d.user_id,
                d.body,
                result.to_string(),
                recorded_at,
                d.kid,
                d.decision.decided_at
            ],
        )?;
        if let Settlement::Leaves { status } = d.decision.settlement() {
            // The entry leaves as a tombstone with the next change number, so every client's
            // sync drops it; a second decision on it finds it settled.
            let seq = next_seq(&tx)?;
            tx.execute(
                "UPDATE queue_entries SET removed = 1, seq = ?3
                 WHERE id = (SELECT id FROM queue_entries
                             WHERE addon_id = ?1 AND version_id = ?2 AND removed = 0
                             ORDER BY seq DESC LIMIT 1)",
                params![d.decision.addon.id, version_id, seq],
            )?;
            if let Some(status) = status {
                tx.execute(
                    "UPDATE versions SET status = ?2 WHERE id = ?1",
                    params![version_id, status],
                )?;
            }
        }
        tx.commit()?;
        Ok(DecisionOutcome::Created(result))
    }

    fn decisions(&self, since: i64, limit: i64) -> Result<Vec<Value>, StorageError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT seq, id, user_id, body, recorded_at, kid, decided_at FROM decisions
             WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt
            .query_map(params![since, limit], |r| {
                // The body is returned exactly as signed, so a client can verify it later;
                // `decided_at` (the reviewer's clock) and `recorded_at` (the server's) both show.
                Ok(json!({
                    "seq": r.get::<_, i64>(0)?,
                    "id": r.get::<_, String>(1)?,
                    "user_id": r.get::<_, i64>(2)?,
                    "decision": String::from_utf8_lossy(&r.get::<_, Vec<u8>>(3)?),
                    "recorded_at": r.get::<_, String>(4)?,
                    "kid": r.get::<_, String>(5)?,
                    "decided_at": r.get::<_, String>(6)?,
                }))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    fn add_version(&self, nv: &NewVersion) -> Result<VersionRow, StorageError> {
        known_queue(&nv.queue)?;
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let exists: Option<i64> = tx
            .query_row("SELECT id FROM addons WHERE id = ?1", [nv.addon_id], |r| {
                r.get(0)
            })
            .optional()?;
        if exists.is_none() {
            return Err(StorageError::Invalid(format!(
                "no add-on with id {}",
                nv.addon_id
            )));
        }
        let taken: Option<i64> = tx
            .query_row(
                "SELECT id FROM versions WHERE addon_id = ?1 AND version = ?2",
                params![nv.addon_id, nv.version],
                |r| r.get(0),
            )
            .optional()?;
        if taken.is_some() {
            return Err(StorageError::Invalid(format!(
                "add-on {} already has a version {:?}",
                nv.addon_id, nv.version
            )));
        }
        let id: i64 = tx.query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM versions", [], |r| {
            r.get(0)
        })?;
        let sha = hex::encode(Sha256::digest(&nv.xpi));
        let created = now_rfc3339();
        tx.execute(
            "INSERT INTO versions (id, addon_id, version, status, created, sha256, size,
                permissions, host_permissions, data)
             VALUES (?1, ?2, ?3, 'unreviewed', ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                id,
                nv.addon_id,
                nv.version,
                created,
                sha,
                nv.xpi.len() as i64,
                json_text(&nv.permissions),
                json_text(&nv.host_permissions),
                nv.xpi
            ],
        )?;
        let seq = next_seq(&tx)?;
        let moved = tx.execute(
            "UPDATE queue_entries SET version_id = ?1, seq = ?2
             WHERE id = (SELECT id FROM queue_entries WHERE addon_id = ?3 AND removed = 0
                         ORDER BY seq DESC LIMIT 1)",
            params![id, seq, nv.addon_id],
        )?;
        if moved == 0 {
            let entry_id: i64 = tx.query_row(
                "SELECT COALESCE(MAX(id), 0) + 1 FROM queue_entries",
                [],
                |r| r.get(0),
            )?;
            tx.execute(
                "INSERT INTO queue_entries (id, queue, addon_id, version_id, due_date, reasons,
                    flags, weight, seq) VALUES (?1, ?2, ?3, ?4, ?5, '[\"unknown\"]', '[]', 0, ?6)",
                params![entry_id, nv.queue, nv.addon_id, id, created, seq],
            )?;
        }
        tx.commit()?;
        drop(conn);
        self.file_row(id)?
            .ok_or_else(|| StorageError::Invalid(format!("version {id} vanished")))
    }

    fn change_entry(&self, entry_id: i64, c: &EntryChange) -> Result<(), StorageError> {
        if let Some(q) = &c.queue {
            known_queue(q)?;
        }
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let seq = next_seq(&tx)?;
        let n = tx.execute(
            "UPDATE queue_entries SET queue = COALESCE(?2, queue),
                due_date = COALESCE(?3, due_date), weight = COALESCE(?4, weight),
                flags = COALESCE(?5, flags), reasons = COALESCE(?6, reasons),
                removed = MAX(removed, ?7), seq = ?8 WHERE id = ?1",
            params![
                entry_id,
                c.queue,
                c.due_date,
                c.weight,
                c.flags.as_deref().map(json_text),
                c.reasons.as_deref().map(json_text),
                i64::from(c.remove),
                seq
            ],
        )?;
        if n == 0 {
            return Err(StorageError::Invalid(format!(
                "no queue entry with id {entry_id}"
            )));
        }
        tx.commit()?;
        Ok(())
    }
}
