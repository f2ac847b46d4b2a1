//! The words a reviewer reads for the codes a review server sends: queue, reason, flag, weight
//! factor and action names, and the store's review reasons with their policy text.
//!
//! A Vetter server serves its own ([`crate::routes::VOCABULARY`]); AMO's names are the defaults
//! ([`Vocabulary::amo_defaults`], from `data/amo-vocabulary.json`, written from addons-server's
//! reviewer code), used for a plain AMO and for any code a server leaves out. Everything here is
//! shown to the reviewer, so a server's vocabulary is bounded and checked like any other answer.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A code and the words for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Term {
    /// The code as the server sends it (`needs_admin_code_review`).
    pub name: String,
    /// A short display name ("Needs admin code review").
    pub title: String,
    /// What it means, in a sentence or two (may be empty).
    #[serde(default)]
    pub description: String,
}

/// A queue and the words for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct QueueTerm {
    /// The queue's name as the server sends it.
    pub name: String,
    /// Its display name.
    pub title: String,
    /// What waits in it.
    #[serde(default)]
    pub description: String,
    /// The action a reviewer of this queue usually takes, preselected in the decision panel.
    #[serde(default)]
    pub usual_action: Option<String>,
    /// The actions offered on an entry of this queue, in the order they are listed (empty:
    /// AMO's for a queue of this name, or every action).
    #[serde(default)]
    pub actions: Vec<String>,
}

/// One of the store's reasons for a decision, with the policy it applies and the text the
/// developer receives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ReviewReason {
    /// The store's id of the reason.
    #[ts(type = "number")]
    pub id: i64,
    /// Its name.
    pub name: String,
    /// The canned response sent to the developer when it is chosen.
    #[serde(default)]
    pub canned_response: String,
    /// The policy it applies (name and text), if any.
    #[serde(default)]
    pub policy: Option<Policy>,
    /// The actions it can be given with (empty: any action that takes reasons).
    #[serde(default)]
    pub actions: Vec<String>,
}

/// A content policy of the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Policy {
    /// Its name.
    pub name: String,
    /// Its text.
    #[serde(default)]
    pub text: String,
}

/// The words and choices of a review server (`GET /api/v5/reviewers/vocabulary/`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Vocabulary {
    /// The queues.
    #[serde(default)]
    pub queues: Vec<QueueTerm>,
    /// Why a version needs a human review (a queue entry's `reasons`).
    #[serde(default)]
    pub reasons: Vec<Term>,
    /// A queue entry's `flags`.
    #[serde(default)]
    pub flags: Vec<Term>,
    /// The factors of a weight breakdown.
    #[serde(default)]
    pub weight_factors: Vec<Term>,
    /// The decision actions.
    #[serde(default)]
    pub actions: Vec<Term>,
    /// The reasons a decision can give.
    #[serde(default)]
    pub review_reasons: Vec<ReviewReason>,
}

/// Most entries in one list of a vocabulary.
pub const MAX_TERMS: usize = 2_000;
/// Longest code.
pub const MAX_NAME: usize = 128;
/// Longest display name.
pub const MAX_TITLE: usize = 200;
/// Longest description, canned response or policy text.
pub const MAX_TEXT: usize = 8_000;

/// Why a server's vocabulary was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("vocabulary {list}[{index}]: {rule}")]
pub struct VocabularyError {
    /// Which list (`queues`, `reasons`, …).
    pub list: &'static str,
    /// The entry's position in it.
    pub index: usize,
    /// The rule it breaks.
    pub rule: String,
}

impl Vocabulary {
    /// AMO's names, the defaults of every server.
    pub fn amo_defaults() -> Vocabulary {
        serde_json::from_str(include_str!("../data/amo-vocabulary.json"))
            .expect("data/amo-vocabulary.json is a vocabulary (checked by a test)")
    }

    /// Checks the limits and rules a shown vocabulary must keep: codes of 1-128 characters
    /// without controls, titles of 1-200, texts up to 8,000, at most 2,000 entries per list,
    /// no code twice in one list.
    pub fn check(&self) -> Result<(), VocabularyError> {
        let terms = |list: &'static str, items: Vec<(&str, &str, &str)>| {
            let fail = |index, rule: &str| VocabularyError {
                list,
                index,
                rule: rule.to_owned(),
            };
            if items.len() > MAX_TERMS {
                return Err(fail(MAX_TERMS, "more than 2000 entries"));
            }
            let mut seen = std::collections::HashSet::new();
            for (i, (name, title, text)) in items.into_iter().enumerate() {
                if name.is_empty() || name.chars().count() > MAX_NAME {
                    return Err(fail(i, "a code is 1-128 characters"));
                }
                if title.trim().is_empty() || title.chars().count() > MAX_TITLE {
                    return Err(fail(i, "a title is 1-200 characters"));
                }
                if text.chars().count() > MAX_TEXT {
                    return Err(fail(i, "a text is at most 8000 characters"));
                }
                if name.chars().chain(title.chars()).any(char::is_control) {
                    return Err(fail(i, "codes and titles hold no control characters"));
                }
                if !seen.insert(name) {
                    return Err(fail(i, &format!("{name:?} is listed twice")));
                }
            }
            Ok(())
        };
        fn plain(v: &[Term]) -> Vec<(&str, &str, &str)> {
            v.iter()
                .map(|t| (t.name.as_str(), t.title.as_str(), t.description.as_str()))
                .collect()
        }
        terms(
            "queues",
            self.queues
                .iter()
                .map(|q| (q.name.as_str(), q.title.as_str(), q.description.as_str()))
                .collect(),
        )?;
        for (index, q) in self.queues.iter().enumerate() {
            let fail = |rule: String| VocabularyError {
                list: "queues",
                index,
                rule,
            };
            if q.actions.len() > MAX_TERMS {
                return Err(fail("more than 2000 actions".into()));
            }
            if let Some(bad) = q.actions.iter().find(|a| {
                a.is_empty() || a.chars().count() > MAX_NAME || a.chars().any(char::is_control)
            }) {
                return Err(fail(format!(
                    "action {:?} is not a code of 1-128 characters",
                    bad
                )));
            }
            if let Some(usual) = &q.usual_action
                && !q.actions.is_empty()
                && !q.actions.contains(usual)
            {
                return Err(fail(format!(
                    "the usual action {usual:?} is not one of the queue's actions"
                )));
            }
        }
        terms("reasons", plain(&self.reasons))?;
        terms("flags", plain(&self.flags))?;
        terms("weight_factors", plain(&self.weight_factors))?;
        terms("actions", plain(&self.actions))?;
        let ids: Vec<String> = self
            .review_reasons
            .iter()
            .map(|r| r.id.to_string())
            .collect();
        terms(
            "review_reasons",
            self.review_reasons
                .iter()
                .zip(&ids)
                .map(|(r, id)| (id.as_str(), r.name.as_str(), r.canned_response.as_str()))
                .collect(),
        )?;
        for (i, r) in self.review_reasons.iter().enumerate() {
            if let Some(p) = &r.policy
                && (p.name.chars().count() > MAX_TITLE || p.text.chars().count() > MAX_TEXT)
            {
                return Err(VocabularyError {
                    list: "review_reasons",
                    index: i,
                    rule: "a policy's name is at most 200 characters and its text 8000".into(),
                });
            }
        }
        Ok(())
    }

    /// The actions the vocabulary offers in `queue`: its own list for that queue, else the
    /// list of `defaults` for a queue of that name; `None` when neither lists any.
    pub fn queue_actions<'a>(
        &'a self,
        defaults: &'a Vocabulary,
        queue: &str,
    ) -> Option<&'a [String]> {
        [self, defaults]
            .into_iter()
            .filter_map(|v| v.queues.iter().find(|q| q.name == queue))
            .map(|q| q.actions.as_slice())
            .find(|a| !a.is_empty())
    }

    /// This vocabulary with every code it lacks taken from `defaults` (a server may name only
    /// what it changes); its own entries come first, in its order.
    pub fn over(mut self, defaults: &Vocabulary) -> Vocabulary {
        fn fill<T: Clone>(own: &mut Vec<T>, defaults: &[T], key: impl Fn(&T) -> String) {
            let have: std::collections::HashSet<String> = own.iter().map(&key).collect();
            own.extend(defaults.iter().filter(|d| !have.contains(&key(d))).cloned());
        }
        fill(&mut self.queues, &defaults.queues, |q| q.name.clone());
        fill(&mut self.reasons, &defaults.reasons, |t| t.name.clone());
        fill(&mut self.flags, &defaults.flags, |t| t.name.clone());
        fill(&mut self.weight_factors, &defaults.weight_factors, |t| {
            t.name.clone()
        });
        fill(&mut self.actions, &defaults.actions, |t| t.name.clone());
        if self.review_reasons.is_empty() {
            self.review_reasons = defaults.review_reasons.clone();
        }
        self
    }
}

/// Words for a code no vocabulary names: `needs_admin_code_review` → "Needs admin code review",
/// so an unknown code still reads as words and stays recognisable.
pub fn humanize(code: &str) -> String {
    let spaced = code.replace(['_', '-'], " ");
    let mut chars = spaced.trim().chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => code.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(name: &str, title: &str) -> Term {
        Term {
            name: name.into(),
            title: title.into(),
            description: String::new(),
        }
    }

    #[test]
    fn amo_defaults_parse_and_keep_the_rules() {
        let amo = Vocabulary::amo_defaults();
        amo.check().unwrap();
        // AMO's action set, as its reviewer tools list it (addons-server reviewers/utils.py).
        for action in [
            "public",
            "reject",
            "approve_content",
            "confirm_auto_approved",
            "approve_multiple_versions",
            "reject_multiple_versions",
            "unreject_latest_version",
            "unreject_multiple_versions",
            "block_multiple_versions",
            "confirm_multiple_versions",
            "change_or_clear_pending_rejection_multiple_versions",
            "clear_needs_human_review_multiple_versions",
            "set_needs_human_review_multiple_versions",
            "enable_auto_approval",
            "disable_auto_approval",
            "reply",
            "request_admin_review",
            "clear_admin_review",
            "enable_addon",
            "disable_addon",
            "resolve_reports_job",
            "resolve_appeal_job",
            "request_legal_review",
            "comment",
        ] {
            assert!(
                amo.actions.iter().any(|a| a.name == action),
                "{action} has no words"
            );
        }
        let reason = amo.reasons.iter().find(|r| r.name == "scanner_action");
        assert_eq!(reason.unwrap().title, "Hit scanner rule");
        assert_eq!(amo.reasons.len(), 19, "AMO's NeedsHumanReview.REASONS");
    }

    #[test]
    fn check_names_the_list_the_entry_and_the_rule() {
        let twice = Vocabulary {
            flags: vec![term("promoted", "Promoted"), term("promoted", "Again")],
            ..Vocabulary::default()
        };
        let e = twice.check().unwrap_err();
        assert_eq!((e.list, e.index), ("flags", 1));
        assert!(
            e.to_string().contains("\"promoted\" is listed twice"),
            "{e}"
        );

        let untitled = Vocabulary {
            actions: vec![term("reject", "  ")],
            ..Vocabulary::default()
        };
        assert!(untitled.check().unwrap_err().rule.contains("title"));

        let control = Vocabulary {
            reasons: vec![term("a", "Looks fine\u{1b}[2J")],
            ..Vocabulary::default()
        };
        assert!(control.check().unwrap_err().rule.contains("control"));

        let long = Vocabulary {
            queues: vec![QueueTerm {
                name: "q".into(),
                title: "Q".into(),
                description: "x".repeat(MAX_TEXT + 1),
                usual_action: None,
                actions: Vec::new(),
            }],
            ..Vocabulary::default()
        };
        assert_eq!(long.check().unwrap_err().list, "queues");

        let many = Vocabulary {
            flags: (0..=MAX_TERMS)
                .map(|i| term(&format!("f{i}"), "F"))
                .collect(),
            ..Vocabulary::default()
        };
        assert!(many.check().unwrap_err().rule.contains("2000"));
    }

    #[test]
    fn a_servers_words_come_first_and_amo_fills_the_rest() {
        let own = Vocabulary {
            flags: vec![
                term("promoted", "In a promoted group"),
                term("local_flag", "Local"),
            ],
            ..Vocabulary::default()
        };
        let amo = Vocabulary::amo_defaults();
        let both = own.over(&amo);
        assert_eq!(both.flags[0].title, "In a promoted group");
        assert_eq!(both.flags[1].name, "local_flag");
        assert_eq!(
            both.flags.iter().filter(|f| f.name == "promoted").count(),
            1
        );
        assert!(both.flags.iter().any(|f| f.name == "sources_provided"));
        assert_eq!(both.actions, amo.actions);
        both.check().unwrap();
    }

    #[test]
    fn every_amo_queue_lists_its_actions_and_each_has_words() {
        let amo = Vocabulary::amo_defaults();
        for q in &amo.queues {
            assert!(!q.actions.is_empty(), "{} lists no actions", q.name);
            for a in &q.actions {
                assert!(
                    amo.actions.iter().any(|t| &t.name == a),
                    "{}: {a} has no words",
                    q.name
                );
            }
        }
        let content = amo.queue_actions(&amo, "content_review").unwrap();
        assert!(content.contains(&"approve_content".to_owned()));
        assert!(!content.contains(&"public".to_owned()));
    }

    #[test]
    fn a_queue_offers_its_servers_actions_else_amos() {
        let amo = Vocabulary::amo_defaults();
        let own = Vocabulary {
            queues: vec![
                QueueTerm {
                    name: "extension".into(),
                    title: "Listed".into(),
                    description: String::new(),
                    usual_action: Some("reject".into()),
                    actions: vec!["reject".into(), "comment".into()],
                },
                QueueTerm {
                    name: "mad".into(),
                    title: "MAD".into(),
                    description: String::new(),
                    usual_action: None,
                    actions: Vec::new(),
                },
            ],
            ..Vocabulary::default()
        };
        own.check().unwrap();
        assert_eq!(
            own.queue_actions(&amo, "extension").unwrap(),
            ["reject", "comment"]
        );
        assert_eq!(
            own.queue_actions(&amo, "mad").unwrap()[0],
            "confirm_auto_approved"
        );
        assert_eq!(own.queue_actions(&amo, "a_queue_nobody_names"), None);

        let unusual = Vocabulary {
            queues: vec![QueueTerm {
                usual_action: Some("public".into()),
                ..own.queues[0].clone()
            }],
            ..Vocabulary::default()
        };
        let e = unusual.check().unwrap_err();
        assert!(e.rule.contains("not one of the queue's actions"), "{e}");
    }

    #[test]
    fn unknown_codes_read_as_words() {
        assert_eq!(
            humanize("needs_admin_code_review"),
            "Needs admin code review"
        );
        assert_eq!(humanize("x-y"), "X y");
        assert_eq!(humanize(""), "");
    }
}
