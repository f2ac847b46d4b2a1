//! Decisions on add-ons fetched from a plain AMO, which has no API for them.
//!
//! The reviewer still decides in Vetter: the decision is validated and signed exactly as one
//! for a Vetter server, and kept in the cache with its signature, so it is on record. What AMO
//! needs is a comment typed into its review page, so the decision becomes that comment, with
//! line comments as `* path#Lx-y` references AMO's reviewers read, and the page's URL to open.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use ts_rs::TS;
use vetter_protocol::routes;

use crate::outbox::{DecisionTarget, Outbox, OutboxError, VersionChoice};
pub use vetter_decision::AmoTarget;
use vetter_decision::signing::ReviewerKey;
use vetter_decision::{
    Action, AddonRef, Decision, LineComment, VersionRef, rfc3339_millis, unix_millis_now,
};

/// A decision kept locally.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct KeptDecision {
    /// The decision's id.
    pub decision_id: String,
    /// The signing key's id.
    pub kid: String,
    /// The comment to paste on AMO's review page.
    pub comment: String,
    /// AMO's review page.
    pub review_url: String,
    /// When it was kept.
    pub created_at: String,
}

/// The comment AMO's review page takes for `decision`: the reviewer's text, then each line
/// comment as `* path#Lline: text`, sorted by path and line.
pub fn amo_comment(decision: &Decision) -> String {
    let mut out = decision.comments.trim().to_owned();
    let mut lines: Vec<&LineComment> = decision.line_comments.iter().collect();
    lines.sort_by(|a, b| (a.path.as_str(), a.line).cmp(&(b.path.as_str(), b.line)));
    if !lines.is_empty() {
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        let refs: Vec<String> = lines
            .iter()
            .map(|c| format!("* {}#L{}: {}", c.path, c.line, c.text.trim()))
            .collect();
        out.push_str(&refs.join("\n"));
    }
    out
}

const TARGET_SELECT: &str = "
SELECT o.amo_addon_id, a.guid, v.name, o.amo_version_id, v.version, v.xpi_sha256, o.amo_origin,
       o.channel
FROM version_origins o JOIN versions v ON v.id = o.version_id JOIN addons a ON a.id = v.addon_id";

fn target_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AmoTarget> {
    let amo: String = r.get(6)?;
    let channel: String = r.get(7)?;
    let addon_id: i64 = r.get(0)?;
    Ok(AmoTarget {
        addon: AddonRef {
            id: addon_id,
            guid: r.get(1)?,
        },
        addon_name: r.get(2)?,
        version: VersionRef {
            id: r.get(3)?,
            version: r.get(4)?,
            file_sha256: r.get(5)?,
        },
        review_url: format!(
            "{amo}{}",
            routes::review_page(addon_id, channel == "unlisted")
        ),
        amo,
        channel,
    })
}

impl Outbox {
    /// The fetched version cached as `cached_version_id`, as a decision target on AMO.
    pub fn amo_target_of_cached(
        &self,
        cached_version_id: i64,
    ) -> Result<Option<AmoTarget>, OutboxError> {
        Ok(self
            .conn()
            .query_row(
                &format!("{TARGET_SELECT} WHERE o.version_id = ?1"),
                [cached_version_id],
                target_row,
            )
            .optional()?)
    }

    /// The fetched add-on named `addon` (AMO id, guid or slug) and its version with AMO id
    /// `version_id`, or its newest fetched version.
    pub fn amo_target(
        &self,
        addon: &str,
        version_id: Option<i64>,
    ) -> Result<Option<AmoTarget>, OutboxError> {
        let slug_pattern = format!("%/addon/{addon}/%");
        Ok(self
            .conn()
            .query_row(
                &format!(
                    "{TARGET_SELECT}
                     WHERE (CAST(o.amo_addon_id AS TEXT) = ?1 OR a.guid = ?1 OR o.page_url LIKE ?2)
                       AND (?3 IS NULL OR o.amo_version_id = ?3)
                     ORDER BY o.amo_version_id DESC LIMIT 1"
                ),
                params![addon, slug_pattern, version_id],
                target_row,
            )
            .optional()?)
    }

    /// The decision form's target for a fetched version: every action AMO's reviewers have
    /// outside a special queue, and the add-on's fetched versions as the choices.
    pub(crate) fn amo_decision_target(
        &self,
        target: AmoTarget,
    ) -> Result<DecisionTarget, OutboxError> {
        let versions = {
            let conn = self.conn();
            let mut stmt = conn.prepare(
                "SELECT o.amo_version_id, v.version, o.channel FROM version_origins o
                 JOIN versions v ON v.id = o.version_id
                 WHERE o.amo_origin = ?1 AND o.amo_addon_id = ?2
                 ORDER BY o.amo_version_id DESC LIMIT 1000",
            )?;
            stmt.query_map(params![target.amo, target.addon.id], |r| {
                Ok(VersionChoice {
                    id: r.get(0)?,
                    version: r.get(1)?,
                    status: r.get(2)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?
        };
        Ok(DecisionTarget {
            addon: target.addon.clone(),
            addon_name: target.addon_name.clone(),
            version: target.version.clone(),
            queue: format!("AMO ({})", target.channel),
            actions: Action::offered_in(None)
                .into_iter()
                .map(Action::form)
                .collect(),
            versions,
            amo: Some(target),
        })
    }

    /// Signs `decision` with `key` and keeps it for `target`'s AMO, with the comment to paste
    /// there. Nothing is sent.
    pub fn keep_local(
        &self,
        target: &AmoTarget,
        decision: &Decision,
        key: &ReviewerKey,
    ) -> Result<KeptDecision, OutboxError> {
        let jws = key.sign(decision)?;
        let kept = KeptDecision {
            decision_id: decision.id.clone(),
            kid: key.public_key().kid(),
            comment: amo_comment(decision),
            review_url: target.review_url.clone(),
            created_at: rfc3339_millis(unix_millis_now()),
        };
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        crate::outbox::insert_local_decision(&tx, &target.amo, decision)?;
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
        tracing::info!(id = %decision.id, action = %decision.action, "decision kept locally");
        Ok(kept)
    }

    /// Every decision kept locally, newest first.
    pub fn kept(&self) -> Result<Vec<KeptDecision>, OutboxError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "{KEPT_SELECT} ORDER BY created_at DESC, decision_id DESC"
        ))?;
        let rows = stmt.query_map([], kept_row)?.collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// The decision kept locally under `decision_id`.
    pub fn kept_decision(&self, decision_id: &str) -> Result<Option<KeptDecision>, OutboxError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use vetter_decision::{Action, DecisionInput};

    fn decision(comments: &str, lines: Vec<LineComment>) -> Decision {
        Decision::new(
            "user:11:1",
            AddonRef {
                id: 101,
                guid: "tab-notes@vetter.test".into(),
            },
            VersionRef {
                id: 1003,
                version: "1.0.2".into(),
                file_sha256: "a".repeat(64),
            },
            Action::Comment,
            DecisionInput {
                comments: comments.into(),
                line_comments: lines,
                ..Default::default()
            },
        )
        .unwrap()
    }

    fn line(path: &str, line: u32, text: &str) -> LineComment {
        LineComment {
            path: path.into(),
            line,
            file_sha256: "b".repeat(64),
            text: text.into(),
        }
    }

    #[test]
    fn the_comment_lists_line_references_in_amos_form_sorted() {
        let d = decision(
            "  Please remove the remote code.  ",
            vec![
                line("content/content.js", 18, "innerHTML from a note"),
                line("background.js", 7, " eval of fetched text "),
            ],
        );
        assert_eq!(
            amo_comment(&d),
            "Please remove the remote code.\n\n\
             * background.js#L7: eval of fetched text\n\
             * content/content.js#L18: innerHTML from a note"
        );
        assert_eq!(
            amo_comment(&decision("Fine.", vec![])),
            "Fine.",
            "no references, no list"
        );
    }
}
