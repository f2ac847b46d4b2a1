//! `vetter outbox`: the signed decisions waiting for the server and what became of them, and
//! `vetter outbox push` to send the waiting ones now.

use std::path::Path;

use anyhow::Context;
use clap::{Args, Subcommand};
use vetter_client::credentials::{KeyringStore, load_credentials};
use vetter_client::outbox::{Outbox, OutboxEntry, OutboxState, PushSummary};
use vetter_protocol::auth::{API_KEY_ENV, API_SECRET_ENV, Credentials};

use crate::display::printable;
use crate::say;

/// `vetter outbox` arguments.
#[derive(Args)]
pub struct OutboxArgs {
    #[command(subcommand)]
    command: Option<OutboxCommand>,
    /// Only decisions still waiting (pending or sending).
    #[arg(long)]
    waiting: bool,
}

#[derive(Subcommand)]
enum OutboxCommand {
    /// Sends the waiting decisions to the server now.
    Push,
}

/// The server `vetter login` remembered.
pub fn server(data_dir: &Path) -> anyhow::Result<String> {
    vetter_client::sync::remembered_server(data_dir)?
        .context("no server yet: run `vetter login --server URL` first")
}

/// The API credentials for `server`: from `VETTER_API_KEY`/`VETTER_API_SECRET` when both are
/// set (scripts and CI), else from the OS keyring where `vetter login` put them.
pub fn api_credentials(server: &str) -> anyhow::Result<Credentials> {
    let set = |v: &str| std::env::var(v).is_ok_and(|s| !s.trim().is_empty());
    if set(API_KEY_ENV) && set(API_SECRET_ENV) {
        return Ok(Credentials::from_env()?);
    }
    load_credentials(&KeyringStore, server).with_context(|| {
        format!("{API_KEY_ENV} and {API_SECRET_ENV} are not set, so the credentials come from the OS keyring")
    })
}

/// Pushes the waiting decisions of the remembered server.
pub fn push(data_dir: &Path) -> anyhow::Result<PushSummary> {
    let server = server(data_dir)?;
    let credentials = api_credentials(&server)?;
    push_to(data_dir, &server, &credentials)
}

/// Pushes the waiting decisions of `server`.
pub fn push_to(
    data_dir: &Path,
    server: &str,
    credentials: &Credentials,
) -> anyhow::Result<PushSummary> {
    let outbox = Outbox::open(data_dir)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    Ok(runtime.block_on(outbox.push(server, credentials))?)
}

/// One line about a push, for humans.
pub fn describe_push(summary: &PushSummary) -> String {
    let mut text = format!(
        "outbox: {} accepted, {} conflict, {} rejected, {} waiting",
        summary.accepted, summary.conflicts, summary.rejected, summary.waiting
    );
    if let Some(reason) = &summary.stopped {
        text.push_str(&format!(" (stopped: {})", printable(reason)));
    }
    text
}

/// What the reviewer should know about an entry beyond its state.
pub fn note(entry: &OutboxEntry) -> String {
    match entry.state {
        OutboxState::Conflict => {
            let now = match &entry.current_version {
                Some(v) => format!(
                    "now under review: {} (id {}, {})",
                    printable(&v.version),
                    v.id,
                    printable(&v.hash)
                ),
                None => "the add-on has no version under review now".to_owned(),
            };
            format!(
                "{}; {now}",
                printable(entry.last_error.as_deref().unwrap_or("conflict"))
            )
        }
        OutboxState::Rejected => format!(
            "{}: {}",
            printable(entry.error_code.as_deref().unwrap_or("rejected")),
            printable(entry.last_error.as_deref().unwrap_or(""))
        ),
        _ => entry
            .last_error
            .as_deref()
            .map(|e| format!("last attempt: {}", printable(e)))
            .unwrap_or_default(),
    }
}

/// Runs `vetter outbox`.
pub fn run(data_dir: &Path, args: &OutboxArgs, json: bool) -> anyhow::Result<()> {
    if let Some(OutboxCommand::Push) = args.command {
        let summary = push(data_dir)?;
        if json {
            say!("{}", serde_json::to_string_pretty(&summary)?);
        } else {
            say!("{}", describe_push(&summary));
        }
        return Ok(());
    }
    let outbox = Outbox::open(data_dir)?;
    let mut entries = outbox.entries(None)?;
    if args.waiting {
        entries.retain(|e| e.state.is_waiting());
    }
    if json {
        say!("{}", serde_json::to_string_pretty(&entries)?);
        return Ok(());
    }
    if entries.is_empty() {
        say!("the outbox is empty");
        return Ok(());
    }
    for e in &entries {
        say!(
            "{}  {:<8}  {:<24}  {} {} (version {})  attempts {}  {}",
            e.decision.id,
            e.state.name(),
            e.decision.action.name(),
            printable(&e.decision.addon.guid),
            printable(&e.decision.version.version),
            e.decision.version.id,
            e.attempts,
            note(e)
        );
    }
    Ok(())
}
