//! `vetter`: Vetter's logic on the command line, for scripts, pagers and benchmarks.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use vetter_store::info::AppInfo;

mod capabilities;
mod decide;
mod diff;
mod diff_views;
mod display;
mod fetch;
mod import;
mod links;
mod login;
mod logout;
mod notes;
mod outbox;
mod prune;
mod queue;
mod render;
mod report;
mod rules;
mod search;
mod signals;
mod sync;
mod versions;

/// Offline-first workstation for browser add-on reviewers.
#[derive(Parser)]
#[command(name = "vetter", version, about)]
struct Cli {
    /// Folder that holds the SQLite cache.
    #[arg(long, env = "VETTER_DATA_DIR", global = true)]
    data_dir: Option<PathBuf>,
    /// Print machine-readable JSON instead of human output.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Shows the version, the data folder and the cache's schema version.
    Info,
    /// Imports XPI files into the cache (each file is one all-or-nothing transaction).
    Import(import::ImportArgs),
    /// Lists the cached add-on versions.
    Versions,
    /// Shows what changed between two versions (XPI files, cached version ids or directories).
    Diff(diff::DiffArgs),
    /// Downloads an add-on's versions from AMO by page URL, API URL, slug, guid or id.
    Fetch(fetch::FetchArgs),
    /// Checks VETTER_API_KEY/VETTER_API_SECRET against a review server and remembers its URL.
    Login(login::LoginArgs),
    /// Pulls queues, add-on metadata, signals and XPIs from the review server.
    Sync(sync::SyncArgs),
    /// Lists the synced queues, or the entries of one queue (offline, from the cache).
    Queue(queue::QueueArgs),
    /// Decides on an add-on's version under review: signs it, records it, sends it.
    Decide(decide::DecideArgs),
    /// Lists signed decisions and their state on the server (`push` sends the waiting ones).
    Outbox(outbox::OutboxArgs),
    /// Removes every secret stored for the server from the OS keyring.
    Logout(logout::LogoutArgs),
    /// Searches cached files (one version or all) for a regex or a literal string.
    Search(search::SearchArgs),
    /// Lists other cached add-ons sharing files or near-identical code with an add-on.
    Links(links::LinksArgs),
    /// Adds, lists or deletes private line notes.
    Notes(notes::NotesArgs),
    /// Writes the audit report (HTML and Markdown) of a version pair.
    Report(report::ReportArgs),
    /// Manages local YARA rule files and scans cached versions with them.
    Rules(rules::RulesArgs),
    /// Lists every signal of a cached version as the app shows them: the server's, AMO's, and
    /// the local ones (hidden characters, nested archives, capability facts, addons-linter's
    /// stored messages, rule matches).
    Signals(signals::SignalsArgs),
    /// Shows what a cached version can do: endpoints, dangerous sinks, permissions against
    /// the code, obfuscation, libraries and the local risk weight.
    Inspect(capabilities::InspectArgs),
    /// Runs Mozilla's addons-linter on a cached version and keeps its messages as signals.
    Lint(capabilities::LintArgs),
    /// Builds and lists the index of npm packages that vendored files are identified with.
    Libs(capabilities::LibsArgs),
    /// Removes cached versions no open queue, pin, waiting decision, note or viewed mark needs
    /// (beyond the last N of each add-on) with the files only they used, and compacts the cache.
    Prune(prune::PruneArgs),
    /// Pins a cached version so that `vetter prune` never removes it.
    Pin(prune::PinArgs),
    /// Unpins a cached version.
    Unpin(prune::PinArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Diagnostics go to stderr, filtered by VETTER_LOG (e.g. `VETTER_LOG=vetter_client=debug`);
    // off unless asked for, so scripted output stays clean.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("VETTER_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("off")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("vetter: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let data_dir = cli
        .data_dir
        .unwrap_or_else(vetter_store::info::default_data_dir);
    match cli.command {
        Command::Info => {
            let info = AppInfo::gather(&data_dir)?;
            if cli.json {
                say!("{}", serde_json::to_string_pretty(&info)?);
            } else {
                say!("vetter {}", info.version);
                say!("data folder: {}", info.data_dir);
                say!("cache schema: {}", info.schema_version);
            }
        }
        Command::Import(args) => import::run(&data_dir, &args, cli.json)?,
        Command::Versions => versions::run(&data_dir, cli.json)?,
        Command::Diff(args) if args.capabilities => {
            capabilities::run_diff(&data_dir, &args.old, &args.new, cli.json)?
        }
        Command::Diff(args) => diff::run(&data_dir, &args, cli.json)?,
        Command::Login(args) => login::run(&data_dir, &args, cli.json)?,
        Command::Fetch(args) => fetch::run(&data_dir, &args, cli.json)?,
        Command::Sync(args) => sync::run(&data_dir, &args, cli.json)?,
        Command::Queue(args) => queue::run(&data_dir, &args, cli.json)?,
        Command::Decide(args) => decide::run(&data_dir, &args, cli.json)?,
        Command::Outbox(args) => outbox::run(&data_dir, &args, cli.json)?,
        Command::Logout(args) => logout::run(&data_dir, &args, cli.json)?,
        Command::Search(args) => search::run(&data_dir, &args, cli.json)?,
        Command::Links(args) => links::run(&data_dir, &args, cli.json)?,
        Command::Notes(args) => notes::run(&data_dir, &args, cli.json)?,
        Command::Report(args) => report::run(&data_dir, &args, cli.json)?,
        Command::Rules(args) => rules::run(&data_dir, &args, cli.json)?,
        Command::Signals(args) => signals::run(&data_dir, &args, cli.json)?,
        Command::Inspect(args) => capabilities::run_inspect(&data_dir, &args, cli.json)?,
        Command::Lint(args) => capabilities::run_lint(&data_dir, &args, cli.json)?,
        Command::Libs(args) => capabilities::run_libs(&data_dir, &args, cli.json)?,
        Command::Prune(args) => prune::run(&data_dir, &args, cli.json)?,
        Command::Pin(args) => prune::run_pin(&data_dir, &args, true, cli.json)?,
        Command::Unpin(args) => prune::run_pin(&data_dir, &args, false, cli.json)?,
    }
    Ok(())
}
