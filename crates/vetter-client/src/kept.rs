//! Decisions on add-ons fetched from a plain AMO, which has no API for them.
//!
//! The reviewer still decides in Vetter: the decision is validated and signed exactly as one
//! for a Vetter server, and kept in the cache with its signature, so it is on record. What AMO
//! needs is a comment typed into its review page, so the decision becomes that comment, with
//! line comments as `* path#Lx-y` references AMO's reviewers read, and the page's URL to open.

use vetter_protocol::routes;
use vetter_protocol::vocabulary::Vocabulary;

use crate::outbox::{DecisionTarget, Outbox, OutboxError};
use vetter_decision::signing::ReviewerKey;
use vetter_decision::{
    Action, AddonRef, Decision, LineComment, VersionRef, rfc3339_millis, unix_millis_now,
};
pub use vetter_decision::{AmoTarget, KeptDecision};
use vetter_store::AmoOrigin;

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

/// A fetched version as a decision target on its AMO, with the review page to open.
fn amo_target(origin: AmoOrigin) -> AmoTarget {
    let review_url = format!(
        "{}{}",
        origin.amo_origin,
        routes::review_page(origin.amo_addon_id, origin.channel == "unlisted")
    );
    AmoTarget {
        addon: AddonRef {
            id: origin.amo_addon_id,
            guid: origin.guid,
        },
        addon_name: origin.name,
        version: VersionRef {
            id: origin.amo_version_id,
            version: origin.version,
            file_sha256: origin.sha256,
        },
        review_url,
        amo: origin.amo_origin,
        channel: origin.channel,
    }
}

impl Outbox {
    /// The fetched version cached as `cached_version_id`, as a decision target on AMO.
    pub fn amo_target_of_cached(
        &self,
        cached_version_id: i64,
    ) -> Result<Option<AmoTarget>, OutboxError> {
        Ok(self
            .store()
            .amo_origin_of(cached_version_id)?
            .map(amo_target))
    }

    /// Like [`Outbox::amo_target_of_cached`], for the review of AMO version `amo_version_id`
    /// when it is given: a fetched package that is another AMO version is refused.
    pub(crate) fn amo_target_as(
        &self,
        cached_version_id: i64,
        amo_version_id: Option<i64>,
    ) -> Result<Option<AmoTarget>, OutboxError> {
        let target = self.amo_target_of_cached(cached_version_id)?;
        match (target, amo_version_id) {
            (Some(t), Some(version_id)) if t.version.id != version_id => {
                Err(OutboxError::NotThePackage {
                    version_id,
                    cached_version_id,
                })
            }
            (target, _) => Ok(target),
        }
    }

    /// The fetched add-on named `addon` (AMO id, guid or slug) and its version with AMO id
    /// `version_id`, or its newest fetched version.
    pub fn amo_target(
        &self,
        addon: &str,
        version_id: Option<i64>,
    ) -> Result<Option<AmoTarget>, OutboxError> {
        Ok(self
            .store()
            .amo_origin_named(addon, version_id)?
            .map(amo_target))
    }

    /// The decision form's target for a fetched version: every action AMO's reviewers have
    /// outside a special queue, and the add-on's fetched versions as the choices.
    pub(crate) fn amo_decision_target(
        &self,
        cached_version_id: i64,
        target: AmoTarget,
    ) -> Result<DecisionTarget, OutboxError> {
        let store = self.store();
        let versions = store.amo_version_choices(&target.amo, target.addon.id)?;
        let manifest_guid = store.manifest_gecko_id(cached_version_id)?;
        drop(store);
        let warnings = vetter_decision::guid_mismatch(&target.addon.guid, manifest_guid.as_deref())
            .into_iter()
            .collect();
        Ok(DecisionTarget {
            manifest_guid,
            warnings,
            addon: target.addon.clone(),
            addon_name: target.addon_name.clone(),
            version: target.version.clone(),
            queue: format!("AMO ({})", target.channel),
            // A plain AMO serves no vocabulary: its own review page's actions are AMO's.
            actions: Vocabulary::amo_defaults()
                .queue_actions(&Vocabulary::default(), "extension")
                .unwrap_or_default()
                .iter()
                .filter_map(|name| Action::from_name(name))
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
        self.store()
            .record_kept(&target.amo, decision, &kept, &jws)?;
        tracing::info!(id = %decision.id, action = %decision.action, "decision kept locally");
        Ok(kept)
    }

    /// Every decision kept locally, newest first.
    pub fn kept(&self) -> Result<Vec<KeptDecision>, OutboxError> {
        Ok(self.store().kept_decisions()?)
    }

    /// The decision kept locally under `decision_id`.
    pub fn kept_decision(&self, decision_id: &str) -> Result<Option<KeptDecision>, OutboxError> {
        Ok(self.store().kept_decision(decision_id)?)
    }
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
