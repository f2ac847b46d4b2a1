//! `vetter sync`: pulls queues, metadata and XPIs from the review server, with a progress bar.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use vetter_client::sync::{self, SyncError, SyncOptions, SyncPhase, SyncProgress};

use crate::say;

/// Arguments of `vetter sync`.
#[derive(Args)]
pub struct SyncArgs {
    /// The review server (default: the one `vetter login` remembered).
    #[arg(long, env = "VETTER_SERVER")]
    server: Option<String>,
    /// Concurrent metadata fetches and downloads.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=32))]
    concurrency: u16,
    /// Fetch queues and metadata only, no XPIs.
    #[arg(long)]
    metadata_only: bool,
    /// Attempts per request before giving up.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=20))]
    attempts: u32,
}

fn phase_name(phase: SyncPhase) -> &'static str {
    match phase {
        SyncPhase::Queues => "queues",
        SyncPhase::Metadata => "metadata",
        SyncPhase::Downloads => "downloads",
        SyncPhase::Done => "done",
    }
}

/// Runs `vetter sync`.
pub fn run(data_dir: &Path, args: &SyncArgs, json: bool) -> anyhow::Result<()> {
    let server = match &args.server {
        Some(s) => s.clone(),
        None => sync::remembered_server(data_dir)?.ok_or(SyncError::NoServer)?,
    };
    let credentials = crate::outbox::api_credentials(&server)?;
    // Decisions made offline go out first, so the pull that follows sees the queues after them.
    let pushed = crate::outbox::push_to(data_dir, &server, &credentials)?;
    if !json {
        say!("{}", crate::outbox::describe_push(&pushed));
    }
    let mut options = SyncOptions::new(&server, credentials, data_dir);
    options.concurrency = usize::from(args.concurrency);
    options.metadata_only = args.metadata_only;
    options.retry.max_attempts = args.attempts;
    let bar = if json {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(0)
    };
    bar.set_style(
        ProgressStyle::with_template("{prefix:>9} [{bar:30}] {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    let on_progress = |p: SyncProgress| {
        bar.set_prefix(phase_name(p.phase));
        bar.set_length(p.total);
        bar.set_position(p.done);
        bar.set_message(format!("{} KiB", p.bytes / 1024));
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let result = runtime.block_on(sync::sync(&options, &on_progress));
    bar.finish_and_clear();
    let summary = result.with_context(|| format!("sync from {server} stopped"))?;
    // What was downloaded is indexed now, so the first search after a sync answers like any
    // other.
    vetter_review::search::catch_up(&mut vetter_store::Store::open(data_dir)?)?;
    if json {
        say!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        say!(
            "synced {} queues from {server}: {} entries changed, {} removed, {} add-ons refreshed, {} XPIs downloaded, {} quarantined",
            summary.queues,
            summary.entries_changed,
            summary.entries_removed,
            summary.addons_refreshed,
            summary.downloaded,
            summary.quarantined
        );
        say!(
            "{} requests, {} bytes received, {} retries; metadata {} ms, downloads {} ms",
            summary.requests,
            summary.bytes_received,
            summary.retries,
            summary.metadata_ms,
            summary.downloads_ms
        );
    }
    Ok(())
}
