//! A reviewer's decision: what was decided, about exactly which bytes, by whom and when.
//!
//! The shape follows DESIGN §5 and AMO's reviewer actions. A decision is validated here, before
//! it is signed, so an invalid combination (a rejection without reasons, a delayed rejection of
//! zero days) never becomes a signed statement; the server runs the same validation on what it
//! receives, so both sides apply one rule set.

pub mod signing;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Longest free-text comment accepted, in bytes (AMO's review comments are far shorter).
pub const MAX_COMMENTS_LEN: usize = 20_000;
/// Longest decision JSON, in bytes: its JWS must fit the server's 64 KiB request limit.
pub const MAX_DECISION_JSON: usize = 44 * 1024;
/// Most reasons one decision may cite.
pub const MAX_REASONS: usize = 50;
/// Longest reason identifier, in bytes.
pub const MAX_REASON_LEN: usize = 200;
/// Most versions one multi-version action may name.
pub const MAX_VERSIONS: usize = 1000;
/// Most line comments one decision may carry.
pub const MAX_LINE_COMMENTS: usize = 200;
/// Longest delayed rejection, in days (a year; AMO's tools offer far less).
pub const MAX_DELAYED_REJECTION_DAYS: u32 = 365;
/// Longest identifier-like string (guid, version string, reviewer, path), in bytes.
pub const MAX_IDENT_LEN: usize = 1024;

/// The actions of AMO's reviewer tools, under AMO's names (addons-server's
/// `ReviewHelper.get_actions`), in the order its review page lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Action {
    /// Approve the version and make it public.
    Public,
    /// Reject the version under review (reasons required).
    Reject,
    /// Approve the add-on's content (content review).
    ApproveContent,
    /// Confirm an auto-approval.
    ConfirmAutoApproved,
    /// Approve several versions at once.
    ApproveMultipleVersions,
    /// Reject several versions at once, optionally after a delay.
    RejectMultipleVersions,
    /// Put the latest rejected version back into review.
    UnrejectLatestVersion,
    /// Put several rejected versions back into review.
    UnrejectMultipleVersions,
    /// Disable several approved versions and add them to the blocklist.
    BlockMultipleVersions,
    /// Confirm the approval of several versions.
    ConfirmMultipleVersions,
    /// Move the rejection deadline of several versions (with a delay) or clear it (without one).
    ChangeOrClearPendingRejectionMultipleVersions,
    /// Take several versions out of human review.
    ClearNeedsHumanReviewMultipleVersions,
    /// Put several versions into human review.
    SetNeedsHumanReviewMultipleVersions,
    /// Clear the needs-human-review flag of the version under review (or of the versions named).
    ClearNeedsHumanReview,
    /// Set the needs-human-review flag of the version under review (or of the versions named).
    SetNeedsHumanReview,
    /// Let the add-on's versions be approved automatically again.
    EnableAutoApproval,
    /// Make every further version of the add-on wait for a human review.
    DisableAutoApproval,
    /// Reply to the developer.
    Reply,
    /// Escalate to an admin.
    RequestAdminReview,
    /// Clear the needs-admin-review flag.
    ClearAdminReview,
    /// Re-enable a disabled add-on.
    EnableAddon,
    /// Disable the whole add-on.
    DisableAddon,
    /// Close the add-on's abuse reports under a policy without acting on the add-on.
    ResolveReportsJob,
    /// Decide the add-on's open appeals (deny them, keeping the appealed decision).
    ResolveAppealJob,
    /// Forward legal concerns to the store's legal team.
    RequestLegalReview,
    /// Leave a private comment for other reviewers.
    Comment,
}

impl Action {
    /// Every action, in the order the UI lists them.
    pub const ALL: [Action; 26] = [
        Action::Public,
        Action::Reject,
        Action::ApproveContent,
        Action::ConfirmAutoApproved,
        Action::ApproveMultipleVersions,
        Action::RejectMultipleVersions,
        Action::UnrejectLatestVersion,
        Action::UnrejectMultipleVersions,
        Action::BlockMultipleVersions,
        Action::ConfirmMultipleVersions,
        Action::ChangeOrClearPendingRejectionMultipleVersions,
        Action::ClearNeedsHumanReviewMultipleVersions,
        Action::SetNeedsHumanReviewMultipleVersions,
        Action::ClearNeedsHumanReview,
        Action::SetNeedsHumanReview,
        Action::EnableAutoApproval,
        Action::DisableAutoApproval,
        Action::Reply,
        Action::RequestAdminReview,
        Action::ClearAdminReview,
        Action::EnableAddon,
        Action::DisableAddon,
        Action::ResolveReportsJob,
        Action::ResolveAppealJob,
        Action::RequestLegalReview,
        Action::Comment,
    ];

    /// AMO's name for the action (`reject_multiple_versions`, …).
    pub fn name(self) -> &'static str {
        match self {
            Action::Public => "public",
            Action::Reject => "reject",
            Action::ApproveContent => "approve_content",
            Action::ConfirmAutoApproved => "confirm_auto_approved",
            Action::ApproveMultipleVersions => "approve_multiple_versions",
            Action::RejectMultipleVersions => "reject_multiple_versions",
            Action::UnrejectLatestVersion => "unreject_latest_version",
            Action::UnrejectMultipleVersions => "unreject_multiple_versions",
            Action::BlockMultipleVersions => "block_multiple_versions",
            Action::ConfirmMultipleVersions => "confirm_multiple_versions",
            Action::ChangeOrClearPendingRejectionMultipleVersions => {
                "change_or_clear_pending_rejection_multiple_versions"
            }
            Action::ClearNeedsHumanReviewMultipleVersions => {
                "clear_needs_human_review_multiple_versions"
            }
            Action::SetNeedsHumanReviewMultipleVersions => {
                "set_needs_human_review_multiple_versions"
            }
            Action::ClearNeedsHumanReview => "clear_needs_human_review",
            Action::SetNeedsHumanReview => "set_needs_human_review",
            Action::EnableAutoApproval => "enable_auto_approval",
            Action::DisableAutoApproval => "disable_auto_approval",
            Action::Reply => "reply",
            Action::RequestAdminReview => "request_admin_review",
            Action::ClearAdminReview => "clear_admin_review",
            Action::EnableAddon => "enable_addon",
            Action::DisableAddon => "disable_addon",
            Action::ResolveReportsJob => "resolve_reports_job",
            Action::ResolveAppealJob => "resolve_appeal_job",
            Action::RequestLegalReview => "request_legal_review",
            Action::Comment => "comment",
        }
    }

    /// The action named `name` (AMO's name), if any.
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }

    /// Which inputs the action needs, for a form that shows only the fields that apply.
    pub fn form(self) -> ActionForm {
        let rules = self.rules();
        ActionForm {
            action: self,
            reasons: rules.reasons.into(),
            comments: rules.comments.into(),
            versions: rules.versions.into(),
            delayed_rejection_days: rules.delay.into(),
        }
    }

    /// Which inputs the action needs and allows, as AMO's review form asks for them: what goes
    /// to the developer under a policy takes reasons, what is only a message is its text, and
    /// the multi-version actions name their versions.
    fn rules(self) -> Rules {
        use Action as A;
        use Need::{Forbidden, Optional, Required};
        let (reasons, comments, versions, delay) = match self {
            A::Public | A::ApproveContent | A::ConfirmAutoApproved => {
                (Optional, Optional, Forbidden, Forbidden)
            }
            A::Reject | A::DisableAddon => (Required, Optional, Forbidden, Forbidden),
            A::RejectMultipleVersions => (Required, Optional, Required, Optional),
            A::ApproveMultipleVersions => (Optional, Optional, Required, Forbidden),
            A::BlockMultipleVersions => (Optional, Optional, Required, Forbidden),
            A::UnrejectMultipleVersions
            | A::ConfirmMultipleVersions
            | A::ClearNeedsHumanReviewMultipleVersions
            | A::SetNeedsHumanReviewMultipleVersions => (Forbidden, Optional, Required, Forbidden),
            // Without a delay the pending rejection is cleared; with one it moves.
            A::ChangeOrClearPendingRejectionMultipleVersions => {
                (Forbidden, Optional, Required, Optional)
            }
            // A reply, a comment, an escalation and a legal referral are nothing but their
            // text; resolving reports or appeals says why under a policy.
            A::Reply | A::Comment | A::RequestAdminReview | A::RequestLegalReview => {
                (Forbidden, Required, Forbidden, Forbidden)
            }
            A::ResolveReportsJob | A::ResolveAppealJob => {
                (Required, Optional, Forbidden, Forbidden)
            }
            A::EnableAddon
            | A::UnrejectLatestVersion
            | A::EnableAutoApproval
            | A::DisableAutoApproval
            | A::ClearAdminReview => (Forbidden, Optional, Forbidden, Forbidden),
            A::ClearNeedsHumanReview | A::SetNeedsHumanReview => {
                (Forbidden, Optional, Optional, Forbidden)
            }
        };
        Rules {
            reasons,
            comments,
            versions,
            delay,
        }
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Need {
    Required,
    Optional,
    Forbidden,
}

struct Rules {
    reasons: Need,
    comments: Need,
    versions: Need,
    delay: Need,
}

/// Whether an action needs, allows or refuses one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum FieldNeed {
    /// The decision is invalid without it.
    Required,
    /// It may be given.
    Optional,
    /// The decision is invalid with it.
    Forbidden,
}

impl From<Need> for FieldNeed {
    fn from(need: Need) -> FieldNeed {
        match need {
            Need::Required => FieldNeed::Required,
            Need::Optional => FieldNeed::Optional,
            Need::Forbidden => FieldNeed::Forbidden,
        }
    }
}

/// The inputs one action takes: what a decision form shows for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ActionForm {
    /// The action.
    pub action: Action,
    /// Policy reasons.
    pub reasons: FieldNeed,
    /// The comment text.
    pub comments: FieldNeed,
    /// Version ids of a multi-version action.
    pub versions: FieldNeed,
    /// Days before a delayed rejection.
    pub delayed_rejection_days: FieldNeed,
}

/// A broken rule tied to the input it is about, so a form can show it next to that field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct FieldProblem {
    /// The input: `reasons`, `comments`, `versions`, `delayed_rejection_days`,
    /// `line_comments`, or `decision` for rules about the decision as a whole.
    pub field: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// The add-on a decision is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct AddonRef {
    /// The server's add-on id.
    #[ts(type = "number")]
    pub id: i64,
    /// The add-on's gecko id.
    pub guid: String,
}

/// The version a decision was made on, bound to the bytes the reviewer read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct VersionRef {
    /// The server's version id.
    #[ts(type = "number")]
    pub id: i64,
    /// The version string.
    pub version: String,
    /// sha256 of the version's XPI, 64 lowercase hex digits.
    pub file_sha256: String,
}

/// A comment on one line of one file of the reviewed version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct LineComment {
    /// Path inside the XPI.
    pub path: String,
    /// 1-based line number.
    pub line: u32,
    /// sha256 of that file's bytes, so the comment stays bound to the text it is about.
    pub file_sha256: String,
    /// The comment.
    pub text: String,
}

/// One version of an add-on, for choosing the versions of a multi-version action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct VersionChoice {
    /// The server's version id.
    #[ts(type = "number")]
    pub id: i64,
    /// The version string.
    pub version: String,
    /// The server's file status (`public`, `nominated`, `disabled`, …).
    pub status: String,
}

/// What a decision made in a review would be about, and the choices the decision form offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct DecisionTarget {
    /// The add-on.
    pub addon: AddonRef,
    /// Its name.
    pub addon_name: String,
    /// The version under review, bound to the hash the sync verified.
    pub version: VersionRef,
    /// The queue the version waits in.
    pub queue: String,
    /// The actions offered in that queue, with the inputs each takes.
    pub actions: Vec<ActionForm>,
    /// The add-on's versions on the server, newest first.
    pub versions: Vec<VersionChoice>,
    /// Set for a version fetched from a plain AMO: the decision is signed and kept locally,
    /// and becomes a comment for this review page.
    pub amo: Option<AmoTarget>,
    /// The gecko id the opened package's manifest declares (`None`: it declares none).
    pub manifest_guid: Option<String>,
    /// What the reviewer must read before deciding, such as a manifest gecko id that is not
    /// the server's guid (see [`guid_mismatch`]).
    pub warnings: Vec<String>,
}

/// The warning for a package whose manifest declares another gecko id than the add-on the
/// server says it belongs to: the reviewer may be reading a different add-on's code.
pub fn guid_mismatch(server_guid: &str, manifest_guid: Option<&str>) -> Option<String> {
    match manifest_guid {
        Some(id) if id != server_guid => Some(format!(
            "the package's manifest declares gecko id {id:?}, but the server files it under \
             add-on {server_guid:?}: check that this is the add-on you mean to decide on"
        )),
        _ => None,
    }
}

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

/// A fetched version a decision can be about, with where AMO reviews it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct AmoTarget {
    /// The add-on, by AMO's id.
    pub addon: AddonRef,
    /// Its name in the cache.
    pub addon_name: String,
    /// The version, by AMO's id, bound to the bytes in the cache.
    pub version: VersionRef,
    /// The AMO instance, `scheme://host[:port]`.
    pub amo: String,
    /// `listed` or `unlisted`.
    pub channel: String,
    /// AMO's review page of the add-on for that channel.
    pub review_url: String,
}

/// A decision as signed: DESIGN §5's JSON object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct Decision {
    /// A UUIDv7, chosen by the client; the server's idempotency key.
    pub id: String,
    /// The reviewer's API key (the JWT issuer of the requests that carry it).
    pub reviewer: String,
    /// The add-on.
    pub addon: AddonRef,
    /// The version under review and its file's hash.
    pub version: VersionRef,
    /// What was decided.
    pub action: Action,
    /// Version ids a multi-version action applies to.
    #[serde(default)]
    #[ts(type = "Array<number>")]
    pub versions: Vec<i64>,
    /// Policy reasons cited (required for rejections).
    #[serde(default)]
    pub reasons: Vec<String>,
    /// The text sent to the developer (or kept private for `comment`).
    #[serde(default)]
    pub comments: String,
    /// Comments on individual lines.
    #[serde(default)]
    pub line_comments: Vec<LineComment>,
    /// Days before a delayed rejection takes effect (at least 1).
    #[serde(default)]
    pub delayed_rejection_days: Option<u32>,
    /// When the reviewer decided, `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC).
    pub decided_at: String,
}

/// What a reviewer decides, before an id, a reviewer and a time are attached.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DecisionInput {
    /// Version ids for multi-version actions.
    pub versions: Vec<i64>,
    /// Policy reasons.
    pub reasons: Vec<String>,
    /// The comment text.
    pub comments: String,
    /// Line comments.
    pub line_comments: Vec<LineComment>,
    /// Delay of a delayed rejection, in days.
    pub delayed_rejection_days: Option<u32>,
}

/// Why a decision is not valid. Each variant names the field a reviewer has to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecisionError {
    /// The action needs a field that is empty.
    #[error("{action} needs `{field}`: {hint}")]
    MissingField {
        /// The action.
        action: Action,
        /// The missing field.
        field: &'static str,
        /// What to provide.
        hint: &'static str,
    },
    /// The action does not take a field that was given.
    #[error("{action} does not take `{field}`; remove it")]
    FieldNotAllowed {
        /// The action.
        action: Action,
        /// The field.
        field: &'static str,
    },
    /// A field's value breaks a rule.
    #[error("`{field}` is invalid: {reason}")]
    InvalidField {
        /// The field (with an index for list items, e.g. `line_comments[2].line`).
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// The decision JSON could not be read.
    #[error("the decision is not valid JSON for a decision: {0}")]
    Json(String),
}

impl DecisionError {
    /// The error as a problem with one form input: list items (`versions[2]`) and nested
    /// fields (`line_comments[0].line`) point at their list, and identity fields the reviewer
    /// does not type (id, reviewer, add-on, version) at the decision as a whole.
    pub fn problem(&self) -> FieldProblem {
        let field = match self {
            DecisionError::MissingField { field, .. }
            | DecisionError::FieldNotAllowed { field, .. } => (*field).to_owned(),
            DecisionError::InvalidField { field, .. } => field
                .split(['[', '.'])
                .next()
                .unwrap_or_default()
                .to_owned(),
            DecisionError::Json(_) => String::new(),
        };
        let form_fields = [
            "reasons",
            "comments",
            "versions",
            "delayed_rejection_days",
            "line_comments",
        ];
        FieldProblem {
            field: if form_fields.contains(&field.as_str()) {
                field
            } else {
                "decision".to_owned()
            },
            message: self.to_string(),
        }
    }
}

/// What a recorded decision does to the version under review, as the store applies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settlement {
    /// The review goes on: the entry stays in its queue (a reply, a comment, a flag, an
    /// escalation, a delayed rejection).
    Stays,
    /// The entry leaves its queue; the version takes `status` when one is given
    /// (`approved` or `disabled`), or keeps its own.
    Leaves {
        /// The version's new status, if the action sets one.
        status: Option<&'static str>,
    },
}

impl Decision {
    /// What this decision does to the version under review once recorded. As on AMO, an
    /// approval, a rejection without delay, a block or disabling the add-on settles the review,
    /// so a second reviewer deciding the same entry finds it settled; multi-version actions
    /// settle it only when they name the version under review.
    pub fn settlement(&self) -> Settlement {
        use Action as A;
        let names_it = self.versions.contains(&self.version.id);
        let leaves = |status| Settlement::Leaves { status };
        match self.action {
            A::Public => leaves(Some("approved")),
            A::ApproveContent | A::ConfirmAutoApproved => leaves(None),
            A::ApproveMultipleVersions if names_it => leaves(Some("approved")),
            A::Reject | A::DisableAddon => leaves(Some("disabled")),
            A::RejectMultipleVersions if names_it && self.delayed_rejection_days.is_none() => {
                leaves(Some("disabled"))
            }
            A::BlockMultipleVersions if names_it => leaves(Some("disabled")),
            _ => Settlement::Stays,
        }
    }

    /// A new decision by `reviewer` on `version` of `addon`, decided now, with a fresh UUIDv7.
    /// Validated before it is returned.
    pub fn new(
        reviewer: &str,
        addon: AddonRef,
        version: VersionRef,
        action: Action,
        input: DecisionInput,
    ) -> Result<Decision, DecisionError> {
        let decision = Decision {
            id: uuid::Uuid::now_v7().to_string(),
            reviewer: reviewer.to_owned(),
            addon,
            version: VersionRef {
                file_sha256: version.file_sha256.to_ascii_lowercase(),
                ..version
            },
            action,
            versions: input.versions,
            reasons: input.reasons,
            comments: input.comments,
            line_comments: input.line_comments,
            delayed_rejection_days: input.delayed_rejection_days,
            decided_at: rfc3339_millis(unix_millis_now()),
        };
        decision.validate()?;
        Ok(decision)
    }

    /// Checks every rule: identifiers, hashes, lengths, and which inputs the action requires
    /// and allows. The first broken rule is reported.
    pub fn validate(&self) -> Result<(), DecisionError> {
        let invalid = |field: &str, reason: String| DecisionError::InvalidField {
            field: field.to_owned(),
            reason,
        };
        match uuid::Uuid::parse_str(&self.id) {
            Ok(id) if id.get_version_num() == 7 && id.hyphenated().to_string() == self.id => {}
            _ => {
                return Err(invalid(
                    "id",
                    format!("{:?} is not a lowercase hyphenated UUIDv7", clip(&self.id)),
                ));
            }
        }
        check_text("reviewer", &self.reviewer, MAX_IDENT_LEN)?;
        if self.addon.id <= 0 {
            return Err(invalid(
                "addon.id",
                format!("{} is not a positive id", self.addon.id),
            ));
        }
        check_text("addon.guid", &self.addon.guid, MAX_IDENT_LEN)?;
        if self.version.id <= 0 {
            return Err(invalid(
                "version.id",
                format!("{} is not a positive id", self.version.id),
            ));
        }
        check_text("version.version", &self.version.version, MAX_IDENT_LEN)?;
        check_sha256("version.file_sha256", &self.version.file_sha256)?;
        if parse_rfc3339_millis(&self.decided_at).is_none() {
            return Err(invalid(
                "decided_at",
                format!(
                    "{:?} is not a UTC time as YYYY-MM-DDTHH:MM:SS.mmmZ",
                    clip(&self.decided_at)
                ),
            ));
        }

        let rules = self.action.rules();
        let action = self.action;
        let present = |need: Need, given: bool, field: &'static str, hint: &'static str| match need
        {
            Need::Required if !given => Err(DecisionError::MissingField {
                action,
                field,
                hint,
            }),
            Need::Forbidden if given => Err(DecisionError::FieldNotAllowed { action, field }),
            _ => Ok(()),
        };
        present(
            rules.reasons,
            !self.reasons.is_empty(),
            "reasons",
            "cite at least one policy reason",
        )?;
        present(
            rules.comments,
            !self.comments.trim().is_empty(),
            "comments",
            "write the text to send",
        )?;
        present(
            rules.versions,
            !self.versions.is_empty(),
            "versions",
            "name at least one version id",
        )?;
        present(
            rules.delay,
            self.delayed_rejection_days.is_some(),
            "delayed_rejection_days",
            "give a number of days",
        )?;

        if self.reasons.len() > MAX_REASONS {
            return Err(invalid(
                "reasons",
                format!("{} reasons, at most {MAX_REASONS}", self.reasons.len()),
            ));
        }
        for (i, reason) in self.reasons.iter().enumerate() {
            check_text(&format!("reasons[{i}]"), reason, MAX_REASON_LEN)?;
        }
        if self.comments.len() > MAX_COMMENTS_LEN {
            return Err(invalid(
                "comments",
                format!("{} bytes, at most {MAX_COMMENTS_LEN}", self.comments.len()),
            ));
        }
        if self.versions.len() > MAX_VERSIONS {
            return Err(invalid(
                "versions",
                format!("{} versions, at most {MAX_VERSIONS}", self.versions.len()),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, id) in self.versions.iter().enumerate() {
            if *id <= 0 {
                return Err(invalid(
                    &format!("versions[{i}]"),
                    format!("{id} is not a positive id"),
                ));
            }
            if !seen.insert(*id) {
                return Err(invalid(
                    &format!("versions[{i}]"),
                    format!("version {id} is listed twice"),
                ));
            }
        }
        if let Some(days) = self.delayed_rejection_days
            && !(1..=MAX_DELAYED_REJECTION_DAYS).contains(&days)
        {
            return Err(invalid(
                "delayed_rejection_days",
                format!(
                    "{days} days; a delayed rejection takes 1 to {MAX_DELAYED_REJECTION_DAYS} days"
                ),
            ));
        }
        if self.line_comments.len() > MAX_LINE_COMMENTS {
            return Err(invalid(
                "line_comments",
                format!(
                    "{} line comments, at most {MAX_LINE_COMMENTS}",
                    self.line_comments.len()
                ),
            ));
        }
        for (i, c) in self.line_comments.iter().enumerate() {
            check_text(&format!("line_comments[{i}].path"), &c.path, MAX_IDENT_LEN)?;
            if c.line == 0 {
                return Err(invalid(
                    &format!("line_comments[{i}].line"),
                    "line numbers start at 1".to_owned(),
                ));
            }
            check_sha256(&format!("line_comments[{i}].file_sha256"), &c.file_sha256)?;
            check_text(
                &format!("line_comments[{i}].text"),
                &c.text,
                MAX_COMMENTS_LEN,
            )?;
        }
        let size = self.to_json().len();
        if size > MAX_DECISION_JSON {
            return Err(invalid(
                "comments",
                format!(
                    "the decision is {size} bytes of JSON, at most {MAX_DECISION_JSON}; shorten the comments"
                ),
            ));
        }
        Ok(())
    }

    /// The decision as the JSON that is signed (fields in declaration order).
    pub fn to_json(&self) -> Vec<u8> {
        // Serializing plain strings, integers and enums into a Vec cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Reads a decision from JSON, refusing unknown fields, then validates it.
    pub fn from_json(bytes: &[u8]) -> Result<Decision, DecisionError> {
        let decision: Decision =
            serde_json::from_slice(bytes).map_err(|e| DecisionError::Json(e.to_string()))?;
        decision.validate()?;
        Ok(decision)
    }
}

fn clip(text: &str) -> String {
    text.chars().take(80).collect()
}

fn check_text(field: &str, value: &str, max: usize) -> Result<(), DecisionError> {
    if value.trim().is_empty() {
        return Err(DecisionError::InvalidField {
            field: field.to_owned(),
            reason: "must not be empty".to_owned(),
        });
    }
    if value.len() > max {
        return Err(DecisionError::InvalidField {
            field: field.to_owned(),
            reason: format!("{} bytes, at most {max}", value.len()),
        });
    }
    Ok(())
}

fn check_sha256(field: &str, value: &str) -> Result<(), DecisionError> {
    if value.len() == 64
        && value
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        Ok(())
    } else {
        Err(DecisionError::InvalidField {
            field: field.to_owned(),
            reason: format!("{:?} is not 64 lowercase hex digits", clip(value)),
        })
    }
}

/// Milliseconds since the Unix epoch (0 if the clock is before it).
pub fn unix_millis_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Formats Unix milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn rfc3339_millis(millis: i64) -> String {
    let ms = millis.rem_euclid(1000);
    format!("{}.{ms:03}Z", utc_date_time(millis.div_euclid(1000)))
}

/// Formats Unix seconds as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn rfc3339_seconds(secs: i64) -> String {
    format!("{}Z", utc_date_time(secs))
}

/// `YYYY-MM-DDTHH:MM:SS` in UTC for Unix seconds.
fn utc_date_time(secs: i64) -> String {
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Parses exactly the form [`rfc3339_millis`] writes, back to Unix milliseconds.
pub fn parse_rfc3339_millis(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 24
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'.'
        || b[23] != b'Z'
    {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let s = text.get(range)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())
            .flatten()
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s, ms) = (num(11..13)?, num(14..16)?, num(17..19)?, num(20..23)?);
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 59 {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    Some(((days * 86_400 + h * 3600 + mi * 60 + s) * 1000) + ms)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's civil-calendar algorithms (proleptic Gregorian).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn approvals_and_rejections_settle_the_review_and_messages_do_not() {
        let decision = |action, versions: Vec<i64>, delay| {
            let mut d = Decision::new(
                "user:1:1",
                AddonRef {
                    id: 1,
                    guid: "a@example.org".to_owned(),
                },
                VersionRef {
                    id: 7,
                    version: "1.0".to_owned(),
                    file_sha256: "0".repeat(64),
                },
                Action::Comment,
                DecisionInput {
                    comments: "x".to_owned(),
                    ..DecisionInput::default()
                },
            )
            .unwrap();
            d.action = action;
            d.versions = versions;
            d.delayed_rejection_days = delay;
            d
        };
        let approved = Settlement::Leaves {
            status: Some("approved"),
        };
        let disabled = Settlement::Leaves {
            status: Some("disabled"),
        };
        assert_eq!(
            decision(Action::Public, vec![], None).settlement(),
            approved
        );
        assert_eq!(
            decision(Action::Reject, vec![], None).settlement(),
            disabled
        );
        assert_eq!(
            decision(Action::ConfirmAutoApproved, vec![], None).settlement(),
            Settlement::Leaves { status: None }
        );
        assert_eq!(
            decision(Action::RejectMultipleVersions, vec![5, 7], None).settlement(),
            disabled
        );
        // A delayed rejection leaves the version in review until its deadline.
        assert_eq!(
            decision(Action::RejectMultipleVersions, vec![7], Some(14)).settlement(),
            Settlement::Stays
        );
        // Older versions only: the version under review is still to be decided.
        assert_eq!(
            decision(Action::ApproveMultipleVersions, vec![5], None).settlement(),
            Settlement::Stays
        );
        for action in [Action::Reply, Action::Comment, Action::RequestAdminReview] {
            assert_eq!(
                decision(action, vec![], None).settlement(),
                Settlement::Stays
            );
        }
    }

    #[test]
    fn a_manifest_id_that_is_not_the_servers_guid_is_named_in_a_warning() {
        let warning = guid_mismatch("real@example.org", Some("decoy@example.org")).unwrap();
        assert!(
            warning.contains("\"decoy@example.org\"") && warning.contains("\"real@example.org\""),
            "{warning}"
        );
        assert_eq!(
            guid_mismatch("real@example.org", Some("real@example.org")),
            None
        );
        // No gecko id in the manifest: the server assigned the guid, nothing to compare.
        assert_eq!(guid_mismatch("real@example.org", None), None);
    }

    #[test]
    fn timestamps_format_known_days() {
        assert_eq!(rfc3339_seconds(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339_seconds(20_415 * 86_400 + 3_723),
            "2025-11-23T01:02:03Z"
        );
        assert_eq!(rfc3339_millis(-1), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn time_format_round_trips() {
        for ms in [0, 951_782_400_123, 1_700_000_000_999, 4_102_444_799_000] {
            assert_eq!(parse_rfc3339_millis(&rfc3339_millis(ms)), Some(ms));
        }
        assert_eq!(rfc3339_millis(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(parse_rfc3339_millis("2001-02-29T00:00:00.000Z"), None);
        assert_eq!(parse_rfc3339_millis("2001-02-28T00:00:00Z"), None);
    }

    #[test]
    fn action_names_round_trip_through_serde() {
        for action in Action::ALL {
            let json = serde_json::to_string(&action).unwrap();
            assert_eq!(json, format!("\"{}\"", action.name()));
            assert_eq!(Action::from_name(action.name()), Some(action));
        }
    }

    #[test]
    fn every_offered_action_form_matches_the_validation_rules() {
        let form = Action::Reject.form();
        assert_eq!(form.reasons, FieldNeed::Required);
        assert_eq!(form.versions, FieldNeed::Forbidden);
        let multi = Action::RejectMultipleVersions.form();
        assert_eq!(multi.versions, FieldNeed::Required);
        assert_eq!(multi.delayed_rejection_days, FieldNeed::Optional);
        assert_eq!(Action::Reply.form().comments, FieldNeed::Required);
    }

    #[test]
    fn problems_point_at_the_form_input_to_fix() {
        let missing = DecisionError::MissingField {
            action: Action::Reject,
            field: "reasons",
            hint: "cite at least one policy reason",
        };
        assert_eq!(missing.problem().field, "reasons");
        assert!(missing.problem().message.contains("reasons"));
        let item = DecisionError::InvalidField {
            field: "versions[3]".to_owned(),
            reason: "version 9 is listed twice".to_owned(),
        };
        assert_eq!(item.problem().field, "versions");
        let identity = DecisionError::InvalidField {
            field: "version.file_sha256".to_owned(),
            reason: "not hex".to_owned(),
        };
        assert_eq!(identity.problem().field, "decision");
    }
}
