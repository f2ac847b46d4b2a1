//! `vetter fetch ADDON`: downloads an add-on's versions from AMO into the cache, by page URL,
//! API URL, slug, guid or id, with progress, then lists what it did.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use vetter_client::credentials::{KeyringStore, load_credentials};
use vetter_client::fetch::{
    self, DEFAULT_AMO, FetchOptions, FetchPhase, FetchProgress, VersionCount, VersionOutcome,
};
use vetter_protocol::auth::{API_KEY_ENV, API_SECRET_ENV, Credentials};

use crate::display::printable;
use crate::say;

/// Arguments of `vetter fetch`.
#[derive(Args)]
pub struct FetchArgs {
    /// The add-on: an AMO page or API URL, a slug, a guid or a numeric id.
    addon: String,
    /// The AMO instance (http:// only for loopback).
    #[arg(long, env = "VETTER_AMO", default_value = DEFAULT_AMO)]
    amo: String,
    /// How many versions, newest first: all, latest or a number (at most 50).
    #[arg(long, default_value = "all")]
    versions: VersionCount,
    /// Another origin downloads may be redirected to (AMO's CDN is allowed for AMO itself).
    #[arg(long = "download-host", value_name = "URL")]
    download_hosts: Vec<String>,
    /// Send no credentials, even when a key is set or stored.
    #[arg(long)]
    anonymous: bool,
}

/// Where the credentials of a fetch come from, for the first line of output.
fn credentials_for(amo: &str, anonymous: bool) -> (Option<Credentials>, String) {
    if anonymous {
        return (None, "anonymous (--anonymous): public versions only".into());
    }
    let set = |v: &str| std::env::var(v).is_ok_and(|s| !s.trim().is_empty());
    if set(API_KEY_ENV)
        && set(API_SECRET_ENV)
        && let Ok(c) = Credentials::from_env()
    {
        let who = format!("with API key {} from {API_KEY_ENV}", c.key());
        return (Some(c), who);
    }
    match load_credentials(&KeyringStore, amo) {
        Ok(c) => {
            let who = format!("with API key {} from the keyring", c.key());
            (Some(c), who)
        }
        Err(_) => (
            None,
            "anonymous (no key set or stored for this AMO): public versions only".into(),
        ),
    }
}

/// Runs `vetter fetch`.
pub fn run(data_dir: &Path, args: &FetchArgs, json: bool) -> anyhow::Result<()> {
    let amo = vetter_protocol::routes::normalize_server(&args.amo)?;
    let (credentials, who) = credentials_for(&amo, args.anonymous);
    let mut options = FetchOptions::new(&amo, data_dir);
    options.credentials = credentials;
    options.versions = args.versions;
    options
        .download_origins
        .extend(args.download_hosts.iter().cloned());
    if !json {
        eprintln!(
            "fetching {} from {amo}, {who}",
            printable(args.addon.trim())
        );
    }
    let bar = if json {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(0)
    };
    bar.set_style(
        ProgressStyle::with_template("{prefix:>11} [{bar:30}] {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    let on_progress = |p: FetchProgress| {
        bar.set_prefix(match p.phase {
            FetchPhase::Resolving => "looking up",
            FetchPhase::Listing => "listing",
            FetchPhase::Downloading => "downloading",
            FetchPhase::Done => "done",
        });
        bar.set_length(p.total);
        bar.set_position(p.done);
        bar.set_message(format!(
            "{} ({} KiB)",
            printable(&p.message),
            p.bytes / 1024
        ));
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let result = runtime.block_on(fetch::fetch(&args.addon, &options, &on_progress));
    bar.finish_and_clear();
    let report =
        result.with_context(|| format!("fetching {} stopped", printable(args.addon.trim())))?;
    let nothing = |report: &fetch::FetchReport| {
        anyhow::anyhow!(
            "no version of {} is in the cache: all {} were skipped{}",
            printable(&report.addon.name),
            report.versions.len(),
            match report.versions.first().map(|v| &v.outcome) {
                Some(VersionOutcome::Skipped { reason }) =>
                    format!(" (first: {})", printable(reason)),
                _ => String::new(),
            }
        )
    };
    if json {
        say!("{}", serde_json::to_string_pretty(&report)?);
        if report.imported_ids().is_empty() {
            return Err(nothing(&report));
        }
        return Ok(());
    }
    let a = &report.addon;
    say!(
        "{} ({}), AMO id {}: {}",
        printable(&a.name),
        printable(a.guid.as_deref().unwrap_or("no guid")),
        a.amo_id,
        printable(&a.page_url)
    );
    say!(
        "{} versions listed (filter: {}){}",
        report.listed,
        report.filter,
        if report.validation_read {
            "; AMO validation results kept as signals"
        } else {
            ""
        }
    );
    if let Some(capped) = &report.capped {
        say!("{capped}");
    }
    let mut skipped = 0;
    for v in &report.versions {
        let tag = format!("{}{}", v.channel, if v.deleted { ", deleted" } else { "" });
        match &v.outcome {
            VersionOutcome::Imported {
                version_id,
                label,
                already_cached,
                findings,
            } => say!(
                "  {:<16} {:<18} {} as version {version_id}{}",
                printable(label),
                tag,
                if *already_cached {
                    "already cached"
                } else {
                    "imported"
                },
                if *findings > 0 {
                    let s = if *findings == 1 { "" } else { "s" };
                    format!(" ({findings} validator finding{s})")
                } else {
                    String::new()
                }
            ),
            VersionOutcome::Skipped { reason } => {
                skipped += 1;
                say!(
                    "  {:<16} {:<18} skipped: {}",
                    printable(&v.version),
                    tag,
                    printable(reason)
                );
            }
        }
    }
    let ids = report.imported_ids();
    say!(
        "{} of {} versions in the cache, {skipped} skipped; {} requests, {} KiB",
        ids.len(),
        report.versions.len(),
        report.requests,
        report.bytes / 1024
    );
    if let [newest, older, ..] = ids.as_slice() {
        say!("compare the newest two: vetter diff {older} {newest}");
    }
    if ids.is_empty() {
        return Err(nothing(&report));
    }
    Ok(())
}
