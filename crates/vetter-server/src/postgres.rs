//! The PostgreSQL storage: one database shared by every server process of a review team.
//!
//! The same tables and rules as [`crate::sqlite`], in PostgreSQL's types. What SQLite gets from
//! its single writer, this backend gets from one transaction-scoped advisory lock taken by every
//! write that assigns a change number (`seq`) or records a decision: numbers are committed in
//! order, so a client reading `seq > cursor` never skips a row another process commits late, and
//! the checks of a decision and its insert happen as one step across all processes.

use std::str::FromStr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use postgres::config::Host;
use postgres::{GenericClient, NoTls, Row};
use r2d2_postgres::PostgresConnectionManager;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use vetter_decision::Settlement;
use vetter_decision::signing::{UnderReview, VerifyError, check_review_state};
use vetter_fixtures::demo::FaultSeed;
use vetter_protocol::auth::{JtiLedger, LEDGER_BUCKET_SECS};
use zeroize::Zeroizing;

use crate::storage::{
    AddonRow, ApiKey, DecisionOutcome, EntryChange, EntryRow, KeyPut, KeyRevoke, KeyRow,
    NewDecision, NewVersion, Profile, QUEUES, QueueSummary, SeedRows, Storage, StorageError,
    VersionRow, entry_state_json, inconsistency, json_text, known_queue, now_rfc3339, parse_list,
    parsed, recorded_result,
};

/// The advisory lock every `seq`-assigning write holds until it commits.
const WRITE_LOCK: i64 = 0x7665_7474_6572_0001;
/// Connections each server process keeps by default.
pub const POOL_SIZE: u32 = 8;

type Pool = r2d2::Pool<PostgresConnectionManager<NoTls>>;

/// PostgreSQL-backed [`Storage`].
pub struct PgStorage {
    /// Always `Some` until dropped (see the `Drop` impl).
    pool: Option<Pool>,
    /// When this process last removed expired request tokens (Unix seconds).
    last_purge: AtomicI64,
}

/// Why a `--database` URL was refused before connecting.
#[derive(Debug, thiserror::Error)]
pub enum UrlError {
    /// Not a URL or key/value string PostgreSQL's client reads.
    #[error("--database {0}")]
    Unreadable(String),
    /// The URL carries a password, which would show in the process list.
    #[error(
        "--database must not carry a password (any user could read it in the process list): give it in a file with --database-password-file"
    )]
    PasswordInUrl,
    /// A host that is neither loopback nor a Unix socket: the connection would not be encrypted.
    #[error(
        "--database host {0:?} is not on this machine: this server speaks to PostgreSQL without TLS, so only a loopback address or a Unix socket folder is accepted (reach a remote database through a local socket or tunnel)"
    )]
    RemoteHost(String),
}

/// Reads a `--database` value and checks it is safe to use: no password in it, and only hosts
/// on this machine. `password` (read from a file) is added to what is returned.
pub fn database_config(
    url: &str,
    password: Option<&Zeroizing<String>>,
) -> Result<postgres::Config, UrlError> {
    let mut config = postgres::Config::from_str(url).map_err(|e| {
        // The client's message never repeats the URL, so nothing secret is echoed.
        UrlError::Unreadable(format!("is not a PostgreSQL connection URL: {e}"))
    })?;
    if config.get_password().is_some() {
        return Err(UrlError::PasswordInUrl);
    }
    if config.get_hosts().is_empty() {
        return Err(UrlError::Unreadable(
            "names no host (postgres://USER@127.0.0.1:PORT/DATABASE, or host=/socket/folder)"
                .to_owned(),
        ));
    }
    for host in config.get_hosts() {
        if let Host::Tcp(name) = host {
            let local = name == "localhost"
                || name
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if !local {
                return Err(UrlError::RemoteHost(name.clone()));
            }
        }
    }
    if let Some(password) = password {
        config.password(password.as_bytes());
    }
    config.application_name("vetter-server");
    config.connect_timeout(Duration::from_secs(10));
    Ok(config)
}

impl PgStorage {
    /// Connects a pool of `pool_size` connections and brings the schema up to date.
    pub fn open(config: postgres::Config, pool_size: u32) -> Result<PgStorage, StorageError> {
        let manager = PostgresConnectionManager::new(config, NoTls);
        let pool = r2d2::Pool::builder()
            .max_size(pool_size.max(1))
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(10))
            .build(manager)?;
        let storage = PgStorage {
            pool: Some(pool),
            last_purge: AtomicI64::new(0),
        };
        vetter_store::server_pg::migrate(&mut *storage.conn()?)?;
        Ok(storage)
    }

    fn conn(
        &self,
    ) -> Result<r2d2::PooledConnection<PostgresConnectionManager<NoTls>>, StorageError> {
        let pool = self
            .pool
            .as_ref()
            .ok_or_else(|| StorageError::Invalid("the connection pool is closed".to_owned()))?;
        Ok(pool.get()?)
    }
}

impl Drop for PgStorage {
    fn drop(&mut self) {
        // Closing a connection blocks on the client's own runtime, which panics on a thread
        // that drives async tasks (the server drops its state there): close them on a plain one.
        if let Some(pool) = self.pool.take() {
            let _ = std::thread::spawn(move || drop(pool)).join();
        }
    }
}

const VERSION_COLS: &str = "v.id, v.addon_id, v.version, v.status, v.created, v.sha256, v.size, v.permissions, v.host_permissions";

fn version_row(r: &Row, at: usize) -> Result<VersionRow, StorageError> {
    Ok(VersionRow {
        id: r.get(at),
        addon_id: r.get(at + 1),
        version: r.get(at + 2),
        status: r.get(at + 3),
        created: r.get(at + 4),
        sha256: r.get(at + 5),
        size: r.get(at + 6),
        permissions: parse_list(r.get(at + 7), "versions.permissions")?,
        host_permissions: parse_list(r.get(at + 8), "versions.host_permissions")?,
    })
}

fn addon_row(r: &Row, at: usize) -> AddonRow {
    AddonRow {
        id: r.get(at),
        guid: r.get(at + 1),
        slug: r.get(at + 2),
        name: r.get(at + 3),
        summary: r.get(at + 4),
    }
}

const KEY_COLS: &str = "kid, alg, public_key, user_id, created_at, revoked_at";

fn read_key(r: &Row) -> KeyRow {
    KeyRow {
        kid: r.get(0),
        alg: r.get(1),
        public_key: r.get(2),
        user_id: r.get(3),
        created_at: r.get(4),
        revoked_at: r.get(5),
    }
}

fn key_row(conn: &mut impl GenericClient, kid: &str) -> Result<Option<KeyRow>, StorageError> {
    Ok(conn
        .query_opt(
            &format!("SELECT {KEY_COLS} FROM reviewer_keys WHERE kid = $1"),
            &[&kid],
        )?
        .as_ref()
        .map(read_key))
}

fn write_lock(conn: &mut impl GenericClient) -> Result<(), StorageError> {
    conn.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])?;
    Ok(())
}

fn next_seq(conn: &mut impl GenericClient) -> Result<i64, StorageError> {
    Ok(conn
        .query_one("SELECT COALESCE(MAX(seq), 0) + 1 FROM queue_entries", &[])?
        .get(0))
}

fn entry_state(conn: &mut impl GenericClient, version_id: i64) -> Result<Value, StorageError> {
    let entry: Option<(i64, String, i64, bool)> = conn
        .query_opt(
            "SELECT q.id, q.queue, q.version_id, q.removed FROM queue_entries q
             WHERE q.addon_id = (SELECT addon_id FROM versions WHERE id = $1)
             ORDER BY q.removed, q.seq DESC LIMIT 1",
            &[&version_id],
        )?
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)));
    let current = match &entry {
        Some((_, _, v, false)) => conn
            .query_opt(
                "SELECT id, version, sha256 FROM versions WHERE id = $1",
                &[v],
            )?
            .map(|r| (r.get(0), r.get(1), r.get(2))),
        _ => None,
    };
    Ok(entry_state_json(
        entry.map(|(id, queue, _, removed)| (id, queue, removed)),
        current,
    ))
}

impl Storage for PgStorage {
    fn ping(&self) -> Result<(), StorageError> {
        vetter_store::server_pg::ping(&mut *self.conn()?)?;
        Ok(())
    }

    fn is_seeded(&self) -> Result<bool, StorageError> {
        Ok(self
            .conn()?
            .query_opt("SELECT 1 FROM meta WHERE key = 'seeded'", &[])?
            .is_some())
    }

    fn load_seed(&self, rows: &SeedRows) -> Result<(), StorageError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        write_lock(&mut tx)?;
        // Two processes started on an empty database with a seed: the second finds it seeded.
        if tx
            .query_opt("SELECT 1 FROM meta WHERE key = 'seeded'", &[])?
            .is_some()
        {
            return Ok(());
        }
        for (key, secret, user_id, name, username) in &rows.api_keys {
            tx.execute(
                "INSERT INTO api_keys (key, secret, user_id, name, username) VALUES ($1, $2, $3, $4, $5)",
                &[key, secret, user_id, name, username],
            )?;
        }
        if let Some(vocabulary) = &rows.vocabulary {
            tx.execute(
                "INSERT INTO vocabulary (id, body) VALUES (1, $1)",
                &[vocabulary],
            )?;
        }
        for a in &rows.addons {
            tx.execute(
                "INSERT INTO addons (id, guid, slug, name, summary) VALUES ($1, $2, $3, $4, $5)",
                &[&a.id, &a.guid, &a.slug, &a.name, &a.summary],
            )?;
        }
        for (v, xpi) in &rows.versions {
            tx.execute(
                "INSERT INTO versions (id, addon_id, version, status, created, sha256, size,
                    permissions, host_permissions, data)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                &[
                    &v.id,
                    &v.addon_id,
                    &v.version,
                    &v.status,
                    &v.created,
                    &v.sha256,
                    &v.size,
                    &json_text(&v.permissions),
                    &json_text(&v.host_permissions),
                    xpi,
                ],
            )?;
        }
        for (addon_id, body) in &rows.signals {
            tx.execute(
                "INSERT INTO signals (addon_id, body) VALUES ($1, $2)",
                &[addon_id, body],
            )?;
        }
        for (id, queue, addon_id, version_id, due, reasons, flags, weight, seq) in &rows.entries {
            tx.execute(
                "INSERT INTO queue_entries (id, queue, addon_id, version_id, due_date, reasons,
                    flags, weight, seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                &[
                    id, queue, addon_id, version_id, due, reasons, flags, weight, seq,
                ],
            )?;
        }
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('faults', $1)
             ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            &[&rows.faults],
        )?;
        tx.execute("INSERT INTO meta (key, value) VALUES ('seeded', '1')", &[])?;
        tx.commit()?;
        Ok(())
    }

    fn faults(&self) -> Result<Vec<FaultSeed>, StorageError> {
        let text: Option<String> = self
            .conn()?
            .query_opt("SELECT value FROM meta WHERE key = 'faults'", &[])?
            .map(|r| r.get(0));
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
            .conn()?
            .query_opt(
                "SELECT secret, user_id, name, username FROM api_keys WHERE key = $1",
                &[&key],
            )?
            .map(|r| ApiKey {
                secret: Zeroizing::new(r.get::<_, String>(0).into_bytes()),
                profile: Profile {
                    id: r.get(1),
                    name: r.get(2),
                    username: r.get(3),
                },
            }))
    }

    fn addon(&self, ident: &str) -> Result<Option<AddonRow>, StorageError> {
        let id: i64 = ident.parse().unwrap_or(-1);
        Ok(self
            .conn()?
            .query_opt(
                "SELECT id, guid, slug, name, summary FROM addons
                 WHERE id = $1 OR slug = $2 OR guid = $2 ORDER BY id LIMIT 1",
                &[&id, &ident],
            )?
            .map(|r| addon_row(&r, 0)))
    }

    fn current_version(&self, addon_id: i64) -> Result<Option<VersionRow>, StorageError> {
        self.conn()?
            .query_opt(
                &format!(
                    "SELECT {VERSION_COLS} FROM versions v
                     WHERE v.addon_id = $1 AND v.status = 'approved' ORDER BY v.id DESC LIMIT 1"
                ),
                &[&addon_id],
            )?
            .map(|r| version_row(&r, 0))
            .transpose()
    }

    fn versions(
        &self,
        addon_id: i64,
        with_deleted: bool,
        offset: i64,
        limit: i64,
    ) -> Result<(i64, Vec<VersionRow>), StorageError> {
        let mut conn = self.conn()?;
        let filter = if with_deleted {
            ""
        } else {
            "AND v.status <> 'deleted'"
        };
        let count: i64 = conn
            .query_one(
                &format!("SELECT COUNT(*) FROM versions v WHERE v.addon_id = $1 {filter}"),
                &[&addon_id],
            )?
            .get(0);
        let rows = conn
            .query(
                &format!(
                    "SELECT {VERSION_COLS} FROM versions v WHERE v.addon_id = $1 {filter}
                     ORDER BY v.id DESC LIMIT $2 OFFSET $3"
                ),
                &[&addon_id, &limit, &offset],
            )?
            .iter()
            .map(|r| version_row(r, 0))
            .collect::<Result<_, _>>()?;
        Ok((count, rows))
    }

    fn file_row(&self, file_id: i64) -> Result<Option<VersionRow>, StorageError> {
        self.conn()?
            .query_opt(
                &format!("SELECT {VERSION_COLS} FROM versions v WHERE v.id = $1"),
                &[&file_id],
            )?
            .map(|r| version_row(&r, 0))
            .transpose()
    }

    fn file_chunk(&self, file_id: i64, offset: u64, len: usize) -> Result<Vec<u8>, StorageError> {
        // substring() on bytea reads only what it returns of a TOASTed value (1-based offsets).
        let (from, count) = (offset as i64 + 1, len as i64);
        self.conn()?
            .query_opt(
                "SELECT substring(data FROM ($2::bigint)::int FOR ($3::bigint)::int)
                 FROM versions WHERE id = $1",
                &[&file_id, &from, &count],
            )?
            .map(|r| r.get(0))
            .ok_or_else(|| StorageError::Invalid(format!("file {file_id} vanished mid-download")))
    }

    fn queues(&self) -> Result<Vec<QueueSummary>, StorageError> {
        let rows = self.conn()?.query(
            "SELECT queue, COUNT(*) FILTER (WHERE NOT removed), COALESCE(MAX(seq), 0),
                MIN(due_date) FILTER (WHERE NOT removed)
             FROM queue_entries GROUP BY queue",
            &[],
        )?;
        let mut found: std::collections::HashMap<String, (i64, i64, Option<String>)> = rows
            .iter()
            .map(|r| (r.get(0), (r.get(1), r.get(2), r.get(3))))
            .collect();
        Ok(QUEUES
            .iter()
            .map(|name| {
                let (count, cursor, oldest_due) = found.remove(*name).unwrap_or((0, 0, None));
                QueueSummary {
                    name: (*name).to_owned(),
                    count,
                    cursor: cursor.to_string(),
                    oldest_due,
                }
            })
            .collect())
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
        let rows = self.conn()?.query(
            &format!(
                "SELECT q.id, q.queue, q.due_date, q.reasons, q.flags, q.weight, q.seq, q.removed,
                        a.id, a.guid, a.slug, a.name, a.summary, {VERSION_COLS}
                 FROM queue_entries q JOIN addons a ON a.id = q.addon_id
                 JOIN versions v ON v.id = q.version_id
                 WHERE q.queue = $1 AND q.seq > $2 ORDER BY q.seq LIMIT $3"
            ),
            &[&queue, &since, &limit],
        )?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(EntryRow {
                id: r.get(0),
                queue: r.get(1),
                due_date: r.get(2),
                reasons: parse_list(r.get(3), "queue_entries.reasons")?,
                flags: parse_list(r.get(4), "queue_entries.flags")?,
                weight: r.get(5),
                seq: r.get(6),
                removed: r.get(7),
                addon: addon_row(r, 8),
                version: version_row(r, 13)?,
            });
        }
        Ok(Some(out))
    }

    fn signals(&self, addon_id: i64) -> Result<Option<Value>, StorageError> {
        let text = self
            .conn()?
            .query_opt("SELECT body FROM signals WHERE addon_id = $1", &[&addon_id])?
            .map(|r| r.get(0));
        parsed(text, "signals.body")
    }

    fn vocabulary(&self) -> Result<Option<Value>, StorageError> {
        let text = self
            .conn()?
            .query_opt("SELECT body FROM vocabulary WHERE id = 1", &[])?
            .map(|r| r.get(0));
        parsed(text, "vocabulary.body")
    }

    fn touch_presence(
        &self,
        viewer: &Profile,
        addon_id: i64,
        now: i64,
        expires_at: i64,
    ) -> Result<Vec<(i64, String)>, StorageError> {
        let mut conn = self.conn()?;
        conn.execute(
            "INSERT INTO presence (user_id, addon_id, name, expires_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (user_id, addon_id)
             DO UPDATE SET name = EXCLUDED.name, expires_at = EXCLUDED.expires_at",
            &[&viewer.id, &addon_id, &viewer.name, &expires_at],
        )?;
        Ok(conn
            .query(
                "SELECT user_id, name FROM presence
                 WHERE addon_id = $1 AND user_id <> $2 AND expires_at > $3 ORDER BY name, user_id",
                &[&addon_id, &viewer.id, &now],
            )?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect())
    }

    fn leave_presence(&self, user_id: i64, addon_id: i64) -> Result<(), StorageError> {
        self.conn()?.execute(
            "DELETE FROM presence WHERE user_id = $1 AND addon_id = $2",
            &[&user_id, &addon_id],
        )?;
        Ok(())
    }

    fn presence(&self, user_id: i64, now: i64) -> Result<Vec<(i64, i64, String)>, StorageError> {
        let mut conn = self.conn()?;
        conn.execute("DELETE FROM presence WHERE expires_at <= $1", &[&now])?;
        Ok(conn
            .query(
                "SELECT addon_id, user_id, name FROM presence WHERE user_id <> $1
                 ORDER BY addon_id, name, user_id",
                &[&user_id],
            )?
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect())
    }

    fn put_key(&self, user_id: i64, kid: &str, public_key: &str) -> Result<KeyPut, StorageError> {
        let mut conn = self.conn()?;
        // The primary key settles a race between two registrations of one kid: one row wins,
        // and both callers then read that row.
        let inserted = conn.execute(
            "INSERT INTO reviewer_keys (kid, user_id, public_key, alg, created_at)
             VALUES ($1, $2, $3, 'EdDSA', $4) ON CONFLICT (kid) DO NOTHING",
            &[&kid, &user_id, &public_key, &now_rfc3339()],
        )?;
        let row = key_row(&mut *conn, kid)?
            .ok_or_else(|| StorageError::Invalid(format!("key {kid} vanished after insert")))?;
        Ok(if inserted == 1 {
            KeyPut::Created(row)
        } else if row.user_id != user_id {
            KeyPut::OtherOwner
        } else if row.revoked_at.is_some() {
            KeyPut::Revoked(row)
        } else {
            KeyPut::Existing(row)
        })
    }

    fn key(&self, kid: &str) -> Result<Option<KeyRow>, StorageError> {
        key_row(&mut *self.conn()?, kid)
    }

    fn keys(&self) -> Result<Vec<KeyRow>, StorageError> {
        Ok(self
            .conn()?
            .query(
                &format!("SELECT {KEY_COLS} FROM reviewer_keys ORDER BY created_at, registered"),
                &[],
            )?
            .iter()
            .map(read_key)
            .collect())
    }

    fn revoke_key(&self, user_id: i64, kid: &str) -> Result<KeyRevoke, StorageError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let outcome = match key_row(&mut tx, kid)? {
            None => KeyRevoke::Missing,
            Some(row) if row.user_id != user_id => KeyRevoke::NotYours,
            Some(row) if row.revoked_at.is_some() => KeyRevoke::Revoked(row),
            Some(_) => {
                // Only a row not yet revoked changes: of two revocations at once, the first
                // time stays.
                tx.execute(
                    "UPDATE reviewer_keys SET revoked_at = $2 WHERE kid = $1 AND revoked_at IS NULL",
                    &[&kid, &now_rfc3339()],
                )?;
                let row = key_row(&mut tx, kid)?
                    .ok_or_else(|| StorageError::Invalid(format!("key {kid} vanished")))?;
                KeyRevoke::Revoked(row)
            }
        };
        tx.commit()?;
        Ok(outcome)
    }

    fn record_decision(&self, d: &NewDecision) -> Result<DecisionOutcome, StorageError> {
        let id = &d.decision.id;
        let version_id = d.decision.version.id;
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        // Every check below and the insert are one step across all server processes.
        write_lock(&mut tx)?;
        let existing: Option<(Vec<u8>, String)> = tx
            .query_opt("SELECT body, result FROM decisions WHERE id = $1", &[id])?
            .map(|r| (r.get(0), r.get(1)));
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
        let guid = tx
            .query_opt(
                "SELECT guid FROM addons WHERE id = $1",
                &[&d.decision.addon.id],
            )?
            .map(|r| r.get(0));
        let mut owners = Vec::new();
        for v in &d.decision.versions {
            owners.push(
                tx.query_opt("SELECT addon_id FROM versions WHERE id = $1", &[v])?
                    .map(|r| r.get::<_, i64>(0)),
            );
        }
        let mut owners = owners.into_iter();
        if let Some((code, detail)) =
            inconsistency(&d.decision, |_| Ok(guid), |_| Ok(owners.next().flatten()))?
        {
            return Ok(DecisionOutcome::Inconsistent { code, detail });
        }
        let under_review: Option<UnderReview> = tx
            .query_opt(
                "SELECT v.id, v.version, v.sha256 FROM queue_entries q
                 JOIN versions v ON v.id = q.version_id
                 WHERE NOT q.removed AND q.addon_id = $2
                 ORDER BY (q.version_id = $1) DESC, q.seq DESC LIMIT 1",
                &[&version_id, &d.decision.addon.id],
            )?
            .map(|r| UnderReview {
                version_id: r.get(0),
                version: r.get(1),
                file_sha256: r.get(2),
            });
        match check_review_state(&d.decision, under_review.as_ref()) {
            Ok(()) => {}
            Err(VerifyError::HashMismatch { .. }) => {
                return Ok(DecisionOutcome::HashMismatch(entry_state(
                    &mut tx, version_id,
                )?));
            }
            Err(_) => {
                return Ok(DecisionOutcome::NotUnderReview(entry_state(
                    &mut tx, version_id,
                )?));
            }
        }
        let seq: i64 = tx
            .query_one("SELECT COALESCE(MAX(seq), 0) + 1 FROM decisions", &[])?
            .get(0);
        let recorded_at = now_rfc3339();
        let result = recorded_result(id, seq, &recorded_at);
        tx.execute(
            "INSERT INTO decisions (seq, id, user_id, body, result, recorded_at, kid, decided_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &seq,
                id,
                &d.user_id,
                &d.body,
                &result.to_string(),
                &recorded_at,
                &d.kid,
                &d.decision.decided_at,
            ],
        )?;
        if let Settlement::Leaves { status } = d.decision.settlement() {
            let seq = next_seq(&mut tx)?;
            tx.execute(
                "UPDATE queue_entries SET removed = true, seq = $3
                 WHERE id = (SELECT id FROM queue_entries
                             WHERE addon_id = $1 AND version_id = $2 AND NOT removed
                             ORDER BY seq DESC LIMIT 1)",
                &[&d.decision.addon.id, &version_id, &seq],
            )?;
            if let Some(status) = status {
                tx.execute(
                    "UPDATE versions SET status = $2 WHERE id = $1",
                    &[&version_id, &status],
                )?;
            }
        }
        tx.commit()?;
        Ok(DecisionOutcome::Created(result))
    }

    fn decisions(&self, since: i64, limit: i64) -> Result<Vec<Value>, StorageError> {
        Ok(self
            .conn()?
            .query(
                "SELECT seq, id, user_id, body, recorded_at, kid, decided_at FROM decisions
                 WHERE seq > $1 ORDER BY seq LIMIT $2",
                &[&since, &limit],
            )?
            .iter()
            .map(|r| {
                json!({
                    "seq": r.get::<_, i64>(0),
                    "id": r.get::<_, String>(1),
                    "user_id": r.get::<_, i64>(2),
                    "decision": String::from_utf8_lossy(&r.get::<_, Vec<u8>>(3)),
                    "recorded_at": r.get::<_, String>(4),
                    "kid": r.get::<_, String>(5),
                    "decided_at": r.get::<_, String>(6),
                })
            })
            .collect())
    }

    fn add_version(&self, nv: &NewVersion) -> Result<VersionRow, StorageError> {
        known_queue(&nv.queue)?;
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        write_lock(&mut tx)?;
        if tx
            .query_opt("SELECT id FROM addons WHERE id = $1", &[&nv.addon_id])?
            .is_none()
        {
            return Err(StorageError::Invalid(format!(
                "no add-on with id {}",
                nv.addon_id
            )));
        }
        if tx
            .query_opt(
                "SELECT id FROM versions WHERE addon_id = $1 AND version = $2 LIMIT 1",
                &[&nv.addon_id, &nv.version],
            )?
            .is_some()
        {
            return Err(StorageError::Invalid(format!(
                "add-on {} already has a version {:?}",
                nv.addon_id, nv.version
            )));
        }
        let id: i64 = tx
            .query_one("SELECT COALESCE(MAX(id), 0) + 1 FROM versions", &[])?
            .get(0);
        let sha = hex::encode(Sha256::digest(&nv.xpi));
        let created = now_rfc3339();
        tx.execute(
            "INSERT INTO versions (id, addon_id, version, status, created, sha256, size,
                permissions, host_permissions, data)
             VALUES ($1, $2, $3, 'unreviewed', $4, $5, $6, $7, $8, $9)",
            &[
                &id,
                &nv.addon_id,
                &nv.version,
                &created,
                &sha,
                &(nv.xpi.len() as i64),
                &json_text(&nv.permissions),
                &json_text(&nv.host_permissions),
                &nv.xpi,
            ],
        )?;
        let seq = next_seq(&mut tx)?;
        let moved = tx.execute(
            "UPDATE queue_entries SET version_id = $1, seq = $2
             WHERE id = (SELECT id FROM queue_entries WHERE addon_id = $3 AND NOT removed
                         ORDER BY seq DESC LIMIT 1)",
            &[&id, &seq, &nv.addon_id],
        )?;
        if moved == 0 {
            let entry_id: i64 = tx
                .query_one("SELECT COALESCE(MAX(id), 0) + 1 FROM queue_entries", &[])?
                .get(0);
            tx.execute(
                "INSERT INTO queue_entries (id, queue, addon_id, version_id, due_date, reasons,
                    flags, weight, seq) VALUES ($1, $2, $3, $4, $5, '[\"unknown\"]', '[]', 0, $6)",
                &[&entry_id, &nv.queue, &nv.addon_id, &id, &created, &seq],
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
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        write_lock(&mut tx)?;
        let seq = next_seq(&mut tx)?;
        let flags = c.flags.as_deref().map(json_text);
        let reasons = c.reasons.as_deref().map(json_text);
        let n = tx.execute(
            "UPDATE queue_entries SET queue = COALESCE($2, queue),
                due_date = COALESCE($3, due_date), weight = COALESCE($4, weight),
                flags = COALESCE($5, flags), reasons = COALESCE($6, reasons),
                removed = removed OR $7, seq = $8 WHERE id = $1",
            &[
                &entry_id,
                &c.queue,
                &c.due_date,
                &c.weight,
                &flags,
                &reasons,
                &c.remove,
                &seq,
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

impl JtiLedger for PgStorage {
    fn record(&self, iss: &str, jti: &str, expires_at: i64, now: i64) -> bool {
        let recorded = (|| -> Result<bool, StorageError> {
            let mut conn = self.conn()?;
            // Expired tokens go once per bucket length and process, not on every request.
            let last = self.last_purge.load(Ordering::Relaxed);
            if now - last >= LEDGER_BUCKET_SECS
                && self
                    .last_purge
                    .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                    .is_ok()
            {
                conn.execute("DELETE FROM used_tokens WHERE expires_at <= $1", &[&now])?;
            }
            // A live row blocks the token; an expired one is taken over. The row is written
            // without waiting for the disk: after a database crash, a token used in its last
            // moments could pass once more within its few minutes of life, which costs less
            // than a flush on every request.
            // One statement, its own transaction: `set_config(…, true)` holds until its commit.
            let n = conn.execute(
                "INSERT INTO used_tokens (iss, jti, expires_at)
                 SELECT $1::text, $2::text, $3::bigint
                 FROM (SELECT set_config('synchronous_commit', 'off', true)) AS unflushed
                 ON CONFLICT (iss, jti) DO UPDATE SET expires_at = EXCLUDED.expires_at
                 WHERE used_tokens.expires_at <= $4::bigint",
                &[&iss, &jti, &expires_at, &now],
            )?;
            Ok(n == 1)
        })();
        // A ledger that cannot answer refuses the token: a replay must never pass.
        recorded.unwrap_or_else(|e| {
            tracing::error!(error = %e, "the shared token ledger failed; refusing the token");
            false
        })
    }
}
