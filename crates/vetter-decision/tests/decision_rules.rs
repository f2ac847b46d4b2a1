//! The decision model's rules: every action's required and forbidden inputs, refused before
//! signing with a message that names the field.

use vetter_decision::{
    Action, AddonRef, Decision, DecisionError, DecisionInput, FieldNeed, LineComment, VersionRef,
};

const SHA: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn addon() -> AddonRef {
    AddonRef {
        id: 7,
        guid: "tabs@example.org".to_owned(),
    }
}

fn version() -> VersionRef {
    VersionRef {
        id: 70,
        version: "1.2.0".to_owned(),
        file_sha256: SHA.to_owned(),
    }
}

fn decide(action: Action, input: DecisionInput) -> Result<Decision, DecisionError> {
    Decision::new("user:1:abc", addon(), version(), action, input)
}

fn with_reasons() -> DecisionInput {
    DecisionInput {
        reasons: vec!["policy-remote-code".to_owned()],
        ..Default::default()
    }
}

fn with_comments() -> DecisionInput {
    DecisionInput {
        comments: "Please remove the eval() in background.js".to_owned(),
        ..Default::default()
    }
}

#[test]
fn every_action_accepts_its_minimal_valid_input() {
    for action in Action::ALL {
        let input = match action {
            Action::Reject
            | Action::DisableAddon
            | Action::ResolveReportsJob
            | Action::ResolveAppealJob => with_reasons(),
            Action::RejectMultipleVersions => DecisionInput {
                versions: vec![68, 69],
                ..with_reasons()
            },
            Action::ApproveMultipleVersions
            | Action::UnrejectMultipleVersions
            | Action::BlockMultipleVersions
            | Action::ConfirmMultipleVersions
            | Action::ChangeOrClearPendingRejectionMultipleVersions
            | Action::ClearNeedsHumanReviewMultipleVersions
            | Action::SetNeedsHumanReviewMultipleVersions => DecisionInput {
                versions: vec![68],
                ..DecisionInput::default()
            },
            Action::Reply
            | Action::Comment
            | Action::RequestAdminReview
            | Action::RequestLegalReview => with_comments(),
            _ => DecisionInput::default(),
        };
        let decision = decide(action, input).unwrap_or_else(|e| panic!("{action}: {e}"));
        assert_eq!(decision.action, action);
    }
}

#[test]
fn reject_without_reasons_names_the_missing_field() {
    let err = decide(Action::Reject, DecisionInput::default()).unwrap_err();
    assert!(
        matches!(
            err,
            DecisionError::MissingField {
                field: "reasons",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("`reasons`"), "{err}");
}

#[test]
fn reply_comment_and_escalation_need_text() {
    for action in [Action::Reply, Action::Comment, Action::RequestAdminReview] {
        let err = decide(
            action,
            DecisionInput {
                comments: "   ".to_owned(),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(
            matches!(
                err,
                DecisionError::MissingField {
                    field: "comments",
                    ..
                }
            ),
            "{action}: {err:?}"
        );
    }
}

#[test]
fn reject_multiple_versions_needs_versions() {
    let err = decide(Action::RejectMultipleVersions, with_reasons()).unwrap_err();
    assert!(
        matches!(
            err,
            DecisionError::MissingField {
                field: "versions",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn delayed_rejection_takes_at_least_one_day() {
    let input = |days| DecisionInput {
        versions: vec![68],
        delayed_rejection_days: Some(days),
        ..with_reasons()
    };
    let err = decide(Action::RejectMultipleVersions, input(0)).unwrap_err();
    assert!(err.to_string().contains("delayed_rejection_days"), "{err}");
    assert_eq!(
        decide(Action::RejectMultipleVersions, input(1))
            .unwrap()
            .delayed_rejection_days,
        Some(1)
    );
}

#[test]
fn delayed_rejection_is_refused_on_other_actions() {
    let err = decide(
        Action::Reject,
        DecisionInput {
            delayed_rejection_days: Some(3),
            ..with_reasons()
        },
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            DecisionError::FieldNotAllowed {
                field: "delayed_rejection_days",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn approval_refuses_versions_and_reasons_on_actions_that_take_none() {
    let err = decide(
        Action::Public,
        DecisionInput {
            versions: vec![1],
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            DecisionError::FieldNotAllowed {
                field: "versions",
                ..
            }
        ),
        "{err:?}"
    );
    let err = decide(Action::EnableAddon, with_reasons()).unwrap_err();
    assert!(
        matches!(
            err,
            DecisionError::FieldNotAllowed {
                field: "reasons",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn refuses_line_comment_on_line_zero() {
    let err = decide(
        Action::Public,
        DecisionInput {
            line_comments: vec![LineComment {
                path: "background.js".to_owned(),
                line: 0,
                file_sha256: SHA.to_owned(),
                text: "eval".to_owned(),
            }],
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("line_comments[0].line"), "{err}");
}

#[test]
fn refuses_a_file_hash_that_is_not_sha256_hex() {
    let mut v = version();
    v.file_sha256 = "sha256:abc".to_owned();
    let err =
        Decision::new("user:1:abc", addon(), v, Action::Public, Default::default()).unwrap_err();
    assert!(err.to_string().contains("version.file_sha256"), "{err}");
}

#[test]
fn refuses_duplicate_versions() {
    let err = decide(
        Action::RejectMultipleVersions,
        DecisionInput {
            versions: vec![5, 5],
            ..with_reasons()
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("versions[1]"), "{err}");
}

#[test]
fn ids_are_distinct_uuid_v7_and_json_round_trips() {
    let a = decide(Action::Public, Default::default()).unwrap();
    let b = decide(Action::Public, Default::default()).unwrap();
    assert_ne!(a.id, b.id);
    assert_eq!(uuid::Uuid::parse_str(&a.id).unwrap().get_version_num(), 7);
    assert_eq!(Decision::from_json(&a.to_json()).unwrap(), a);
}

#[test]
fn json_with_an_unknown_field_is_refused() {
    let a = decide(Action::Public, Default::default()).unwrap();
    let mut value: serde_json::Value = serde_json::from_slice(&a.to_json()).unwrap();
    value["approve_everything"] = serde_json::json!(true);
    let err = Decision::from_json(value.to_string().as_bytes()).unwrap_err();
    assert!(matches!(err, DecisionError::Json(_)), "{err:?}");
}

#[test]
fn refuses_oversized_comments() {
    let err = decide(
        Action::Comment,
        DecisionInput {
            comments: "x".repeat(vetter_decision::MAX_COMMENTS_LEN + 1),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("`comments`"), "{err}");
}

#[test]
fn every_multiple_versions_action_names_its_versions() {
    let multi: Vec<Action> = Action::ALL
        .into_iter()
        .filter(|a| a.name().ends_with("_multiple_versions"))
        .collect();
    assert_eq!(multi.len(), 8, "AMO's multi-version actions: {multi:?}");
    for action in multi {
        let input = match action.form().reasons {
            FieldNeed::Required => with_reasons(),
            _ => DecisionInput::default(),
        };
        let err = decide(action, input).unwrap_err();
        assert!(
            matches!(
                err,
                DecisionError::MissingField {
                    field: "versions",
                    ..
                }
            ),
            "{action}: {err:?}"
        );
    }
}

#[test]
fn a_pending_rejection_moves_with_a_delay_and_clears_without_one() {
    let versions = DecisionInput {
        versions: vec![68],
        ..DecisionInput::default()
    };
    let action = Action::ChangeOrClearPendingRejectionMultipleVersions;
    let clear = decide(action, versions.clone()).unwrap();
    assert_eq!(clear.delayed_rejection_days, None);
    let moved = decide(
        action,
        DecisionInput {
            delayed_rejection_days: Some(14),
            ..versions.clone()
        },
    )
    .unwrap();
    assert_eq!(moved.delayed_rejection_days, Some(14));
    // It changes a date; it does not cite policies.
    let err = decide(
        action,
        DecisionInput {
            reasons: vec!["policy".into()],
            ..versions
        },
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            DecisionError::FieldNotAllowed {
                field: "reasons",
                ..
            }
        ),
        "{err:?}"
    );
}
