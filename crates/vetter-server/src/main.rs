//! `vetter-server`: the reference review server that the demo and the tests run on 127.0.0.1.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use vetter_server::limits::{Limit, Limits};
use vetter_server::storage::{EntryChange, NewVersion, Storage};
use vetter_server::{Config, open_storage, serve};

/// Reference review server for Vetter.
#[derive(Parser)]
#[command(name = "vetter-server", version, about)]
struct Args {
    /// Folder holding the server's database.
    #[arg(long, global = true)]
    data: Option<PathBuf>,
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

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
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
    let data = args.data.context("--data DIR is required")?;
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
                ..Config::new(data, args.listen)
            }))
        }
        Some(Command::Admin(admin)) => {
            let storage = open_storage(&data, args.seed.as_deref())?;
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
