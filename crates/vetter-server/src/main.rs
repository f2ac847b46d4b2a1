//! `vetter-server`: the reference review server that the demo and the tests run on 127.0.0.1.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use vetter_server::limits::{Limit, Limits};
use vetter_server::storage::{EntryChange, NewVersion};
use vetter_server::{Config, Database, open_database, serve};
use zeroize::Zeroizing;

/// Reference review server for Vetter.
#[derive(Parser)]
#[command(name = "vetter-server", version, about)]
struct Args {
    /// Folder holding the server's database (SQLite), or its working files with --database.
    #[arg(long, global = true)]
    data: Option<PathBuf>,
    /// A PostgreSQL database to keep everything in instead of SQLite, shared by every server
    /// process given the same one: postgres://USER@127.0.0.1:PORT/NAME, or
    /// "host=/socket/folder user=USER dbname=NAME". No password here: see
    /// --database-password-file.
    #[arg(long, global = true)]
    database: Option<String>,
    /// A file holding the PostgreSQL password (its first line), so it never shows in the process
    /// list.
    #[arg(long, global = true)]
    database_password_file: Option<PathBuf>,
    /// PostgreSQL connections this process keeps.
    #[arg(long, global = true, default_value_t = vetter_server::postgres::POOL_SIZE)]
    pool_size: u32,
    /// Seconds requests in flight may take to finish after SIGTERM or Ctrl-C.
    #[arg(long, default_value_t = 30)]
    shutdown_grace: u64,
    /// Log lines as JSON objects (one per line) instead of text; the level is set by VETTER_LOG
    /// (default: info).
    #[arg(long)]
    log_json: bool,
    /// Address to listen on; port 0 picks a free port and prints it.
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: SocketAddr,
    /// Allow listening on a non-loopback address (the API is meant for one machine or a LAN
    /// behind TLS termination; never expose it by accident).
    #[arg(long)]
    allow_remote: bool,
    /// Seed folder (with seed.json) loaded into an empty database.
    #[arg(long)]
    seed: Option<PathBuf>,
    /// The URL clients reach this server at when a TLS front end (a reverse proxy) serves it,
    /// e.g. https://review.example.org; links and file URLs in answers are built on it.
    #[arg(long)]
    public_url: Option<String>,
    /// Requests per second each API key may make (sustained); over it, 429 with Retry-After.
    #[arg(long, default_value_t = 200)]
    rate_limit: u32,
    /// Requests each API key may make at once after a quiet spell.
    #[arg(long, default_value_t = 1000)]
    burst: u32,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Operates on the database directly; reviewer credentials cannot reach these.
    #[command(subcommand)]
    Admin(Admin),
    /// Writes the sync benchmark's generated seed (seed.json) into a folder.
    BenchSeed {
        /// The folder to write seed.json into.
        #[arg(long)]
        out: PathBuf,
        /// Add-ons, one queue entry each.
        #[arg(long, default_value_t = 1000)]
        addons: usize,
        /// Versions per add-on.
        #[arg(long, default_value_t = 2)]
        versions: usize,
    },
}

#[derive(Subcommand)]
enum Admin {
    /// Adds a version (from an XPI file) to an add-on and puts it under review.
    AddVersion {
        /// The add-on's id.
        #[arg(long)]
        addon: i64,
        /// The XPI file.
        #[arg(long)]
        xpi: PathBuf,
        /// The queue for add-ons that are not in one yet.
        #[arg(long, default_value = "extension")]
        queue: String,
    },
    /// Changes a queue entry.
    SetEntry {
        /// The entry's id.
        #[arg(long)]
        entry: i64,
        /// Move it to this queue.
        #[arg(long)]
        queue: Option<String>,
        /// New due date (RFC 3339).
        #[arg(long)]
        due_date: Option<String>,
        /// New weight.
        #[arg(long)]
        weight: Option<i64>,
        /// Take it out of its queue.
        #[arg(long)]
        remove: bool,
    },
}

/// The database the arguments name; the password is read from its file here.
fn database(args: &Args) -> anyhow::Result<Database> {
    let Some(url) = &args.database else {
        if args.database_password_file.is_some() {
            bail!("--database-password-file is only for --database");
        }
        return Ok(Database::Sqlite);
    };
    let password = match &args.database_password_file {
        None => None,
        Some(path) => {
            let text = Zeroizing::new(std::fs::read_to_string(path).with_context(|| {
                format!("cannot read the database password file {}", path.display())
            })?);
            Some(Zeroizing::new(
                text.lines().next().unwrap_or_default().to_owned(),
            ))
        }
    };
    // Checked before anything starts, so a bad URL is one clear line.
    vetter_server::postgres::database_config(url, password.as_ref())?;
    Ok(Database::Postgres {
        url: url.clone(),
        password,
        pool_size: args.pool_size,
    })
}

/// Structured logs on stderr: text, or JSON lines with `--log-json`.
fn init_logs(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("VETTER_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("info,rusqlite_migration=warn,postgres=warn")
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .init();
    } else {
        builder.init();
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    init_logs(args.log_json);
    if let Some(Command::BenchSeed {
        out,
        addons,
        versions,
    }) = &args.command
    {
        let seed = vetter_fixtures::demo::bench_seed(*addons, *versions);
        std::fs::create_dir_all(out)?;
        std::fs::write(out.join("seed.json"), serde_json::to_vec(&seed)?)?;
        println!(
            "wrote {} add-ons, {} versions to {}",
            addons,
            addons * versions,
            out.display()
        );
        return Ok(());
    }
    let database = database(&args)?;
    let data = args.data.clone().context("--data DIR is required")?;
    match args.command {
        Some(Command::BenchSeed { .. }) => Ok(()),
        None => {
            if !args.listen.ip().is_loopback() && !args.allow_remote {
                bail!(
                    "refusing to listen on {} (not loopback) without --allow-remote",
                    args.listen
                );
            }
            let runtime = tokio::runtime::Runtime::new()?;
            let public_url = args
                .public_url
                .as_deref()
                .map(vetter_server::public_url)
                .transpose()?;
            runtime.block_on(serve(Config {
                seed: args.seed,
                public_url,
                limits: Limits {
                    per_key: Limit::new(args.rate_limit, args.burst),
                    ..Limits::default()
                },
                database,
                shutdown_grace: std::time::Duration::from_secs(args.shutdown_grace),
                handle_signals: true,
                ..Config::new(data, args.listen)
            }))
        }
        Some(Command::Admin(admin)) => {
            let storage = open_database(&database, &data, args.seed.as_deref())?.storage;
            match admin {
                Admin::AddVersion { addon, xpi, queue } => {
                    let bytes = std::fs::read(&xpi)
                        .with_context(|| format!("cannot read {}", xpi.display()))?;
                    let archive = vetter_archive::read_archive(&bytes, &Default::default())
                        .with_context(|| format!("{} is not a valid XPI", xpi.display()))?;
                    let manifest = archive
                        .entries
                        .iter()
                        .find(|e| e.path == "manifest.json")
                        .context("the XPI has no manifest.json")?;
                    let manifest = vetter_manifest::parse_manifest(&manifest.data)?;
                    let strings = |v: &serde_json::Value| -> Vec<String> {
                        v.as_array()
                            .map(|a| {
                                a.iter()
                                    .filter_map(|s| s.as_str().map(str::to_owned))
                                    .collect()
                            })
                            .unwrap_or_default()
                    };
                    let raw: serde_json::Value = serde_json::from_slice(
                        &archive
                            .entries
                            .iter()
                            .find(|e| e.path == "manifest.json")
                            .map(|e| e.data.clone())
                            .unwrap_or_default(),
                    )
                    .unwrap_or_default();
                    let row = storage.add_version(&NewVersion {
                        addon_id: addon,
                        version: manifest.version.clone(),
                        xpi: bytes,
                        permissions: strings(&raw["permissions"]),
                        host_permissions: strings(&raw["host_permissions"]),
                        queue,
                    })?;
                    println!(
                        "added version {} (id {}) to add-on {addon}",
                        row.version, row.id
                    );
                }
                Admin::SetEntry {
                    entry,
                    queue,
                    due_date,
                    weight,
                    remove,
                } => {
                    storage.change_entry(
                        entry,
                        &EntryChange {
                            queue,
                            due_date,
                            weight,
                            flags: None,
                            reasons: None,
                            remove,
                        },
                    )?;
                    println!("changed queue entry {entry}");
                }
            }
            Ok(())
        }
    }
}
