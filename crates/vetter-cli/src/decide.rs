//! `vetter decide ADDON ACTION …`: makes a decision on the version under review, signs it,
//! records it in the outbox, then tries to send it.
//!
//! The decision is on disk, signed, before the network is touched: with the server down it
//! waits in the outbox, and `vetter sync` or `vetter outbox push` sends it later.

use std::path::Path;

use anyhow::Context;
use clap::Args;
use vetter_client::credentials::{KeyringStore, load_signing_key};
use vetter_client::kept::AmoTarget;
use vetter_client::outbox::{Outbox, OutboxError, OutboxState};
use vetter_decision::{Action, Decision, DecisionInput, LineComment, guid_mismatch};

use crate::display::printable;
use crate::outbox::{api_credentials, describe_push, note, server};
use crate::say;

/// `vetter decide` arguments.
#[derive(Args)]
pub struct DecideArgs {
    /// The add-on: server id, slug or guid.
    addon: String,
    /// What to do, under AMO's name: public, reject, approve_content, confirm_auto_approved,
    /// reject_multiple_versions, reply, comment, request_admin_review, disable_addon, … (an
    /// unknown name lists all 26).
    #[arg(value_parser = parse_action)]
    action: Action,
    /// The version id, when the add-on has several versions under review (for a version
    /// fetched from AMO: AMO's version id; default the newest fetched).
    #[arg(long)]
    version_id: Option<i64>,
    /// A policy reason (repeatable; required to reject or disable).
    #[arg(long = "reason")]
    reasons: Vec<String>,
    /// The text for the developer (or the private comment).
    #[arg(long)]
    comments: Option<String>,
    /// Version ids for a *_multiple_versions or needs-human-review action, comma-separated.
    #[arg(long, value_delimiter = ',')]
    versions: Vec<i64>,
    /// Delay a multi-version rejection by this many days (at least 1).
    #[arg(long)]
    delay_days: Option<u32>,
    /// A line comment as PATH:LINE:SHA256:TEXT (repeatable).
    #[arg(long = "line-comment", value_parser = parse_line_comment)]
    line_comments: Vec<LineComment>,
    /// Only record the decision; send it with the next `vetter sync` or `vetter outbox push`.
    #[arg(long)]
    offline: bool,
}

fn parse_action(name: &str) -> Result<Action, String> {
    Action::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
        format!("unknown action {name:?}; one of: {}", names.join(", "))
    })
}

fn parse_line_comment(text: &str) -> Result<LineComment, String> {
    let mut parts = text.splitn(4, ':');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(path), Some(line), Some(sha), Some(comment)) => Ok(LineComment {
            path: path.to_owned(),
            line: line
                .parse()
                .map_err(|_| format!("line {line:?} is not a number"))?,
            file_sha256: sha.to_ascii_lowercase(),
            text: comment.to_owned(),
        }),
        _ => Err("expected PATH:LINE:SHA256:TEXT".to_owned()),
    }
}

fn input(args: &DecideArgs) -> DecisionInput {
    DecisionInput {
        versions: args.versions.clone(),
        reasons: args.reasons.clone(),
        comments: args.comments.clone().unwrap_or_default(),
        line_comments: args.line_comments.clone(),
        delayed_rejection_days: args.delay_days,
    }
}

/// Decides on a version fetched from a plain AMO, which takes no decisions over its API: the
/// signed decision is kept locally and its comment printed for AMO's review page.
fn keep_for_amo(
    outbox: &Outbox,
    target: &AmoTarget,
    args: &DecideArgs,
    json: bool,
) -> anyhow::Result<()> {
    let credentials = api_credentials(&target.amo).with_context(|| {
        format!(
            "a decision is signed as your AMO API key: log in with `vetter login --server {}`",
            target.amo
        )
    })?;
    let decision = Decision::new(
        credentials.key(),
        target.addon.clone(),
        target.version.clone(),
        args.action,
        input(args),
    )?;
    let key = load_signing_key(&KeyringStore, &target.amo)
        .context("the signing key is in the OS keyring, where `vetter login` put it")?;
    let kept = outbox.keep_local(target, &decision, &key)?;
    if json {
        say!("{}", serde_json::to_string_pretty(&kept)?);
        return Ok(());
    }
    say!(
        "kept {} {} on {} {} ({} channel) locally, signed by key {}: {} has no API for decisions",
        decision.action,
        decision.id,
        printable(&decision.addon.guid),
        printable(&decision.version.version),
        printable(&target.channel),
        kept.kid,
        target.amo
    );
    say!("paste this on {} :", kept.review_url);
    say!("-----");
    say!("{}", printable_block(&kept.comment));
    say!("-----");
    Ok(())
}

/// Multi-line text with control characters other than newlines shown escaped.
fn printable_block(text: &str) -> String {
    text.lines().map(printable).collect::<Vec<_>>().join("\n")
}

/// Runs `vetter decide`.
pub fn run(data_dir: &Path, args: &DecideArgs, json: bool) -> anyhow::Result<()> {
    let outbox = Outbox::open(data_dir)?;
    let (addon, version) = match outbox.review_target(&args.addon, args.version_id) {
        Ok(found) => found,
        // Not in a synced queue: a version fetched from AMO is decided on locally.
        Err(e @ (OutboxError::UnknownAddon { .. } | OutboxError::NotUnderReview { .. })) => {
            return match outbox.amo_target(&args.addon, args.version_id)? {
                Some(target) => keep_for_amo(&outbox, &target, args, json),
                None => Err(e.into()),
            };
        }
        Err(e) => return Err(e.into()),
    };
    // The manifest naming another add-on than the server's is said before anything is signed.
    let manifest_guid = outbox.manifest_guid_of_remote(version.id)?;
    if let Some(warning) = guid_mismatch(&addon.guid, manifest_guid.as_deref()) {
        eprintln!("warning: {}", printable(&warning));
    }
    let server = server(data_dir)?;
    let credentials = api_credentials(&server)?;
    let input = input(args);
    // Refused here, naming the field, before anything is signed or stored.
    let decision = Decision::new(credentials.key(), addon, version, args.action, input)?;
    let key = load_signing_key(&KeyringStore, &server)
        .context("the signing key is in the OS keyring, where `vetter login` put it")?;
    let recorded = outbox.record(&server, &decision, &key)?;
    if !json {
        say!(
            "recorded {} {} on {} {} (server version {}, file sha256 {}), signed by key {}",
            decision.action,
            decision.id,
            printable(&decision.addon.guid),
            printable(&decision.version.version),
            decision.version.id,
            decision.version.file_sha256,
            recorded.kid
        );
    }
    if !args.offline {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let summary = runtime.block_on(outbox.push(&server, &credentials))?;
        if !json {
            say!("{}", describe_push(&summary));
        }
    }
    let entry = outbox.entry(&decision.id)?;
    if json {
        say!("{}", serde_json::to_string_pretty(&entry)?);
    } else {
        match entry.state {
            OutboxState::Accepted => say!("{}: accepted by {server}", decision.id),
            OutboxState::Pending | OutboxState::Sending => say!(
                "{}: waiting in the outbox; `vetter sync` or `vetter outbox push` sends it",
                decision.id
            ),
            OutboxState::Conflict | OutboxState::Rejected => {}
        }
    }
    match entry.state {
        OutboxState::Conflict => {
            anyhow::bail!("{} ended in conflict: {}", decision.id, note(&entry))
        }
        OutboxState::Rejected => anyhow::bail!("{} was rejected: {}", decision.id, note(&entry)),
        _ => Ok(()),
    }
}
