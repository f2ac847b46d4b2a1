//! `local_decisions`, `outbox` and `kept_decisions`: every decision made in Vetter, where it
//! went next (a server's outbox, or kept for AMO's review page), and what became of it.
//!
//! A decision and its next step are written in one `IMMEDIATE` transaction, so a decision on
//! record always has one, and one that has none was never recorded.

use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};
use vetter_decision::{Decision, KeptDecision};

use crate::{Store, StoreError};

/// An outbox row with its decision, as stored (the JSON columns unparsed: the reader checks them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    /// The decision's id.
    pub id: String,
    /// The server it goes to.
    pub server: String,
    /// The decision's JSON, exactly as signed.
    pub decision: String,
    /// The signing key's id.
    pub kid: String,
    /// `pending`, `sending`, `accepted`, `conflict` or `rejected`.
    pub state: String,
    /// Requests made so far.
    pub attempts: i64,
    /// When it was recorded.
    pub created_at: String,
    /// When its state last changed.
    pub updated_at: String,
    /// The server's error code, or Vetter's for a network failure.
    pub error_code: Option<String>,
    /// The error's text.
    pub last_error: Option<String>,
    /// The server's answer (JSON).
    pub response: Option<String>,
}

const OUTBOX_SELECT: &str = "SELECT d.id, d.server, d.decision, o.kid, o.state, o.attempts,
    o.created_at, o.updated_at, o.error_code, o.last_error, o.response
    FROM outbox o JOIN local_decisions d ON d.id = o.decision_id";

fn outbox_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxRow> {
    Ok(OutboxRow {
        id: r.get(0)?,
        server: r.get(1)?,
        decision: r.get(2)?,
        kid: r.get(3)?,
        state: r.get(4)?,
        attempts: r.get(5)?,
        created_at: r.get(6)?,
        updated_at: r.get(7)?,
        error_code: r.get(8)?,
        last_error: r.get(9)?,
        response: r.get(10)?,
    })
}

const KEPT_SELECT: &str =
    "SELECT decision_id, kid, comment, review_url, created_at FROM kept_decisions";

fn kept_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<KeptDecision> {
    Ok(KeptDecision {
        decision_id: r.get(0)?,
        kid: r.get(1)?,
        comment: r.get(2)?,
        review_url: r.get(3)?,
        created_at: r.get(4)?,
    })
}

/// Records `decision` for `server` in the local decision log, inside `tx`, which also records
/// where it goes next.
fn insert_local_decision(
    tx: &Transaction<'_>,
    server: &str,
    decision: &Decision,
) -> rusqlite::Result<()> {
    let json = String::from_utf8(decision.to_json()).unwrap_or_default();
    tx.execute(
        "INSERT INTO local_decisions (id, server, reviewer, addon_id, addon_guid,
             version_id, version, file_sha256, action, decided_at, decision)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            decision.id,
            server,
            decision.reviewer,
            decision.addon.id,
            decision.addon.guid,
            decision.version.id,
            decision.version.version,
            decision.version.file_sha256,
            decision.action.name(),
            decision.decided_at,
            json,
        ],
    )?;
    Ok(())
}

impl Store {
    /// Records `decision` for `server` with its signature `jws` (by key `kid`) as `pending` in
    /// the outbox, at `now`: both rows in one transaction, before anything is sent.
    pub fn record_for_outbox(
        &mut self,
        server: &str,
        decision: &Decision,
        kid: &str,
        jws: &str,
        now: &str,
    ) -> Result<(), StoreError> {
        let tx = self
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        insert_local_decision(&tx, server, decision)?;
        tx.execute(
            "INSERT INTO outbox (decision_id, kid, jws, state, created_at, updated_at)
             VALUES (?1, ?2, ?3, 'pending', ?4, ?4)",
            params![decision.id, kid, jws, now],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Records `decision` for the AMO at `amo` as kept locally (`kept`, signed as `jws`): both
    /// rows in one transaction.
    pub fn record_kept(
        &mut self,
        amo: &str,
        decision: &Decision,
        kept: &KeptDecision,
        jws: &str,
    ) -> Result<(), StoreError> {
        let tx = self
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        insert_local_decision(&tx, amo, decision)?;
        tx.execute(
            "INSERT INTO kept_decisions (decision_id, kid, jws, review_url, comment, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                kept.decision_id,
                kept.kid,
                jws,
                kept.review_url,
                kept.comment,
                kept.created_at
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The outbox row of decision `id`.
    pub fn outbox_row(&self, id: &str) -> Result<Option<OutboxRow>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                &format!("{OUTBOX_SELECT} WHERE o.decision_id = ?1"),
                [id],
                outbox_row,
            )
            .optional()?)
    }

    /// Every outbox row, newest first; only `server`'s when given.
    pub fn outbox_rows(&self, server: Option<&str>) -> Result<Vec<OutboxRow>, StoreError> {
        let mut stmt = self.conn().prepare(&format!(
            "{OUTBOX_SELECT} WHERE ?1 IS NULL OR d.server = ?1
             ORDER BY o.created_at DESC, o.decision_id DESC"
        ))?;
        let rows = stmt.query_map([server], outbox_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// How many decisions for `server` are still waiting (`pending` or `sending`).
    pub fn outbox_waiting_count(&self, server: &str) -> Result<u32, StoreError> {
        Ok(self.conn().query_row(
            "SELECT count(*) FROM outbox o JOIN local_decisions d ON d.id = o.decision_id
             WHERE d.server = ?1 AND o.state IN ('pending', 'sending')",
            [server],
            |r| r.get(0),
        )?)
    }

    /// The waiting decisions for `server` as (id, JWS), oldest first.
    pub fn outbox_waiting(&self, server: &str) -> Result<Vec<(String, String)>, StoreError> {
        let mut stmt = self.conn().prepare(
            "SELECT o.decision_id, o.jws FROM outbox o
             JOIN local_decisions d ON d.id = o.decision_id
             WHERE d.server = ?1 AND o.state IN ('pending', 'sending')
             ORDER BY o.created_at, o.decision_id",
        )?;
        let rows = stmt.query_map([server], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Marks decision `id` as `sending` (one more attempt) at `now`, committed before the
    /// request goes out, if it is still waiting.
    pub fn outbox_set_sending(&self, id: &str, now: &str) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE outbox SET state = 'sending', attempts = attempts + 1, updated_at = ?2
             WHERE decision_id = ?1 AND state IN ('pending', 'sending')",
            params![id, now],
        )?;
        Ok(())
    }

    /// Gives decision `id` its final `state` with the server's `code`, `detail` and `response`.
    pub fn outbox_finish(
        &self,
        id: &str,
        state: &str,
        code: Option<&str>,
        detail: Option<&str>,
        response: &str,
        now: &str,
    ) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE outbox SET state = ?2, error_code = ?3, last_error = ?4, response = ?5,
                 updated_at = ?6
             WHERE decision_id = ?1",
            params![id, state, code, detail, response, now],
        )?;
        Ok(())
    }

    /// Puts decision `id` back to `pending` after an answer that said nothing about it.
    pub fn outbox_retry_later(
        &self,
        id: &str,
        code: &str,
        detail: &str,
        now: &str,
    ) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE outbox SET state = 'pending', error_code = ?2, last_error = ?3, updated_at = ?4
             WHERE decision_id = ?1 AND state = 'sending'",
            params![id, code, detail, now],
        )?;
        Ok(())
    }

    /// Every decision kept locally, newest first.
    pub fn kept_decisions(&self) -> Result<Vec<KeptDecision>, StoreError> {
        let mut stmt = self.conn().prepare(&format!(
            "{KEPT_SELECT} ORDER BY created_at DESC, decision_id DESC"
        ))?;
        let rows = stmt.query_map([], kept_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The decision kept locally under `decision_id`.
    pub fn kept_decision(&self, decision_id: &str) -> Result<Option<KeptDecision>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                &format!("{KEPT_SELECT} WHERE decision_id = ?1"),
                [decision_id],
                kept_row,
            )
            .optional()?)
    }
}
