//! `vetter inspect VERSION`, `vetter diff OLD NEW --capabilities`, `vetter lint VERSION` and
//! `vetter libs`: what a version can do, what changed in that, Mozilla's linter on a cached
//! version, and the library index those analyses identify vendored files with.

use std::path::Path;

use anyhow::Context;
use vetter_capabilities::{
    Capabilities, CapabilityDelta, Endpoint, LibraryFile, LibraryIndex, LibraryState, Location,
    PermissionStatus, Risk, Sink,
};
use vetter_diff::VersionTree;
use vetter_review::capabilities::{
    analyze_files, library_dir, library_index, lint_version, version_capabilities, via_words,
};
use vetter_store::Store;

use crate::display::printable;
use crate::say;

/// Arguments of `vetter inspect`.
#[derive(clap::Args)]
pub struct InspectArgs {
    /// The cached version (its id from `vetter versions`).
    pub version: i64,
}

/// Runs `vetter inspect`.
pub fn run_inspect(data_dir: &Path, args: &InspectArgs, json: bool) -> anyhow::Result<()> {
    let store = Store::open(data_dir)?;
    let info = store.version(args.version)?;
    let libraries = library_index(&store)?;
    let caps = version_capabilities(&store, args.version, &libraries)?;
    if json {
        say!("{}", serde_json::to_string_pretty(&caps)?);
        return Ok(());
    }
    say!(
        "What {} {} (version {}) can do",
        printable(&info.name),
        printable(&info.version),
        args.version
    );
    print_capabilities(&caps, &libraries);
    Ok(())
}

/// Runs `vetter diff OLD NEW --capabilities`.
pub fn run_diff(data_dir: &Path, old: &str, new: &str, json: bool) -> anyhow::Result<()> {
    let libraries = LibraryIndex::load(&library_dir(data_dir))?;
    let (old_label, old_caps) = side(data_dir, old, &libraries)?;
    let (new_label, new_caps) = side(data_dir, new, &libraries)?;
    print_delta(&old_label, &new_label, &old_caps, &new_caps, json)
}

/// One side of `vetter diff --capabilities`: a cached version's stored analysis, or the
/// analysis of a package file or folder; with its label.
fn side(
    data_dir: &Path,
    spec: &str,
    libraries: &LibraryIndex,
) -> anyhow::Result<(String, Capabilities)> {
    if !Path::new(spec).exists()
        && let Ok(id) = spec.parse::<i64>()
    {
        let store = Store::open(data_dir)?;
        let info = store.version(id)?;
        let caps = version_capabilities(&store, id, libraries)?;
        return Ok((format!("{} {}", info.name, info.build.label), caps));
    }
    let mut store = None;
    let (tree, label) = crate::diff::open_tree(spec, data_dir, &mut store)?;
    let caps = tree_capabilities(&tree, libraries)?;
    Ok((label.unwrap_or_else(|| tree.label().to_owned()), caps))
}

/// The analysis of a package file's or folder's tree.
fn tree_capabilities(
    tree: &VersionTree<'_>,
    libraries: &LibraryIndex,
) -> anyhow::Result<Capabilities> {
    Ok(analyze_files(
        tree.entries().keys().map(String::as_str),
        |path| tree.read(path).map(|b| b.into_owned()),
        libraries,
    )?)
}

/// Prints `vetter diff --capabilities`: what changed in capability from `old` to `new`.
pub fn print_delta(
    old_label: &str,
    new_label: &str,
    old: &Capabilities,
    new: &Capabilities,
    json: bool,
) -> anyhow::Result<()> {
    let delta = CapabilityDelta::between(old, new);
    if json {
        say!("{}", serde_json::to_string_pretty(&delta)?);
        return Ok(());
    }
    say!(
        "What changed in capability: {} → {}",
        printable(old_label),
        printable(new_label)
    );
    print_risk_pair(&delta);
    if delta.is_empty() {
        say!("\nNothing the analyses look at changed.");
        return Ok(());
    }
    if !delta.endpoints.is_empty() {
        say!("\nEndpoints");
        for e in &delta.endpoints.added {
            say!("  + {}", endpoint_line(e));
        }
        for e in &delta.endpoints.removed {
            say!("  - {}", endpoint_line(e));
        }
    }
    if !delta.sinks.is_empty() {
        say!("\nDangerous sinks");
        for s in &delta.sinks.added {
            say!("  + {}", sink_line(s));
        }
        for s in &delta.sinks.removed {
            say!("  - {}", sink_line(s));
        }
    }
    if !delta.permissions.is_empty() {
        say!("\nPermissions against the code");
        for p in &delta.permissions {
            let status = |s: Option<PermissionStatus>| s.map_or("absent", status_words);
            let at = p
                .used_at
                .first()
                .map(|l| format!("  {}", location(l)))
                .unwrap_or_default();
            say!(
                "  {:<24} {} → {}{at}",
                printable(&p.permission),
                status(p.old),
                status(p.new)
            );
        }
    }
    if !delta.apis.is_empty() {
        say!("\nExtension APIs");
        for a in &delta.apis.added {
            say!("  + {:<36} {}", printable(&a.api), location(&a.first));
        }
        for a in &delta.apis.removed {
            say!("  - {:<36} {}", printable(&a.api), location(&a.first));
        }
    }
    if !delta.uncovered_hosts.is_empty() {
        say!("\nNewly contacted without a host permission");
        for h in &delta.uncovered_hosts {
            say!("  + {:<36} {}", printable(&h.host), location(&h.first));
        }
    }
    if !delta.obfuscation.is_empty() {
        say!("\nObfuscation");
        for m in &delta.obfuscation {
            say!(
                "  + {}: {}",
                printable(&m.path),
                printable(&m.indicators.join("; "))
            );
        }
    }
    if !delta.libraries.is_empty() {
        say!("\nLibraries");
        for l in &delta.libraries.added {
            print_library("+ ", l);
        }
        for l in &delta.libraries.removed {
            print_library("- ", l);
        }
    }
    Ok(())
}

fn status_words(s: PermissionStatus) -> &'static str {
    match s {
        PermissionStatus::Used => "used",
        PermissionStatus::Unused => "declared, unused",
        PermissionStatus::Undeclared => "used, not declared",
        PermissionStatus::OnlyOptional => "used, only optional",
        PermissionStatus::NotCheckable => "declared (no API to check)",
    }
}

fn location(l: &Location) -> String {
    format!("{}:{}:{}", printable(&l.path), l.line, l.column)
}

fn endpoint_line(e: &Endpoint) -> String {
    let host = e
        .host
        .as_deref()
        .map(printable)
        .unwrap_or_else(|| "(address computed at run time)".into());
    let url = e
        .url
        .as_deref()
        .map(|u| format!("  {}", printable(u)))
        .unwrap_or_default();
    format!(
        "{host:<36} {:<16} {}{url}",
        via_words(e.via),
        location(&e.at)
    )
}

fn sink_line(s: &Sink) -> String {
    format!(
        "{:<28} {}  {}",
        s.kind.rule().trim_start_matches("sink-"),
        location(&s.at),
        printable(&s.code)
    )
}

fn print_library(prefix: &str, l: &LibraryFile) {
    match l.state {
        LibraryState::Modified => {
            say!(
                "  {prefix}{} {}, MODIFIED (+{} −{} lines against {})  {}",
                printable(&l.package),
                printable(&l.version),
                l.added,
                l.removed,
                printable(&l.upstream_path),
                printable(&l.path)
            );
            for line in &l.upstream_diff {
                say!("      {}", printable(line));
            }
        }
        LibraryState::Unmodified | LibraryState::SameCode => say!(
            "  {prefix}{} {}, unmodified{}  {}",
            printable(&l.package),
            printable(&l.version),
            if l.state == LibraryState::SameCode {
                " (apart from whitespace and comments)"
            } else {
                ""
            },
            printable(&l.path)
        ),
    }
}

fn print_risk(risk: &Risk) {
    say!(
        "\nLocal risk weight {} (AMO's auto-approval factors computable offline)",
        risk.weight
    );
    for f in &risk.factors {
        say!("  {:<30} {:>5}  {}", f.name, f.weight, f.reason);
    }
}

fn print_risk_pair(delta: &CapabilityDelta) {
    say!(
        "\nLocal risk weight {} → {} (AMO's auto-approval factors computable offline)",
        delta.old_risk.weight,
        delta.new_risk.weight
    );
    for f in &delta.risk_factors {
        say!("  {:<30} {:>5} → {:<5}  {}", f.name, f.old, f.new, f.reason);
    }
}

fn print_capabilities(caps: &Capabilities, libraries: &LibraryIndex) {
    print_risk(&caps.risk);
    let hosts: std::collections::BTreeSet<&str> = caps
        .endpoints
        .iter()
        .filter_map(|e| e.host.as_deref())
        .collect();
    say!(
        "\nEndpoints ({} hosts, {} places)",
        hosts.len(),
        caps.endpoints.len()
    );
    for e in &caps.endpoints {
        say!("  {}", endpoint_line(e));
    }
    say!("\nDangerous sinks ({})", caps.sinks.len());
    for s in &caps.sinks {
        say!("  {}", sink_line(s));
    }
    say!("\nPermissions against the code");
    for p in &caps.permissions {
        let at = p
            .used_at
            .first()
            .map(|l| {
                let more = p.uses.saturating_sub(1);
                let more = if more > 0 {
                    format!(" (+{more} more)")
                } else {
                    String::new()
                };
                format!("  {}{more}", location(l))
            })
            .unwrap_or_default();
        say!(
            "  {:<24} {}{at}",
            printable(&p.permission),
            status_words(p.status)
        );
    }
    let uncovered: Vec<_> = caps
        .hosts
        .iter()
        .filter(|h| h.covered_by.is_none())
        .collect();
    if !uncovered.is_empty() {
        say!("\nHosts contacted without a host permission");
        for h in uncovered {
            say!("  {:<36} {}", printable(&h.host), location(&h.first));
        }
    }
    if !caps.obfuscation.is_empty() {
        say!("\nObfuscation indicators");
        for m in &caps.obfuscation {
            say!(
                "  {}: {}",
                printable(&m.path),
                printable(&m.indicators.join("; "))
            );
        }
    }
    say!(
        "\nLibraries ({} identified; index of {} package versions{})",
        caps.libraries.len(),
        libraries.packages().len(),
        if libraries.is_empty() {
            ", run `vetter libs update NAME@VERSION…` to build it"
        } else {
            ""
        }
    );
    for l in &caps.libraries {
        print_library("", l);
    }
    if caps.facts_in_libraries > 0 {
        say!(
            "  ({} endpoints and sinks inside unmodified libraries are not listed)",
            caps.facts_in_libraries
        );
    }
    for s in &caps.token_read {
        say!(
            "\nread token by token (the parser refused it: {}): {}",
            s.reason,
            printable(&s.path)
        );
    }
    for s in &caps.skipped {
        say!("\nnot analysed: {} ({})", printable(&s.path), s.reason);
    }
    if caps.truncated {
        say!(
            "\n(lists cut at {} entries)",
            vetter_capabilities::MAX_FACTS
        );
    }
}

/// Arguments of `vetter lint`.
#[derive(clap::Args)]
pub struct LintArgs {
    /// The cached version (its id from `vetter versions`).
    pub version: i64,
}

/// Runs `vetter lint`: Mozilla's addons-linter on a cached version; its messages are kept and
/// become the version's signals (source `addons-linter`).
pub fn run_lint(data_dir: &Path, args: &LintArgs, json: bool) -> anyhow::Result<()> {
    let store = Store::open(data_dir)?;
    store.version(args.version)?;
    let report = lint_version(&store, args.version)?;
    if json {
        say!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    say!(
        "addons-linter {} on version {}: {} messages (kept as signals)",
        printable(&report.linter_version),
        args.version,
        report.messages.len()
    );
    for m in &report.messages {
        let at = match (&m.file, m.line) {
            (Some(f), Some(l)) => format!("{}:{l}", printable(f)),
            (Some(f), None) => printable(f).to_string(),
            _ => "-".into(),
        };
        say!(
            "  {:<8} {:<34} {at}  {}",
            printable(&m.kind),
            printable(&m.code),
            printable(&m.message)
        );
    }
    Ok(())
}

/// `vetter libs` subcommands.
#[derive(clap::Subcommand)]
pub enum LibsCommand {
    /// Fetches npm packages and adds their JavaScript files to the library index.
    Update {
        /// Packages as `name@version` (or `name` for the latest).
        #[arg(required = true)]
        packages: Vec<String>,
        /// The npm registry (http:// only on this machine).
        #[arg(long, env = "VETTER_NPM_REGISTRY", default_value = vetter_client::npm::DEFAULT_REGISTRY)]
        registry: String,
    },
    /// Lists the indexed package versions.
    List,
}

/// Arguments of `vetter libs`.
#[derive(clap::Args)]
pub struct LibsArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: LibsCommand,
}

/// Runs `vetter libs`.
pub fn run_libs(data_dir: &Path, args: &LibsArgs, json: bool) -> anyhow::Result<()> {
    let dir = library_dir(data_dir);
    let mut index = LibraryIndex::load(&dir)?;
    match &args.command {
        LibsCommand::List => {
            if json {
                let list: Vec<_> = index
                    .packages()
                    .iter()
                    .map(|p| {
                        serde_json::json!({
                            "name": p.name, "version": p.version, "files": p.files.len(),
                            "tarball_sha256": p.tarball_sha256,
                        })
                    })
                    .collect();
                say!("{}", serde_json::to_string_pretty(&list)?);
                return Ok(());
            }
            if index.is_empty() {
                say!("The library index is empty: `vetter libs update NAME@VERSION…` builds it.");
            }
            for p in index.packages() {
                say!("{}@{}  {} files", p.name, p.version, p.files.len());
            }
        }
        LibsCommand::Update { packages, registry } => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let mut added = Vec::new();
            for spec in packages {
                let package = runtime
                    .block_on(vetter_client::npm::fetch_package(registry, spec))
                    .with_context(|| format!("cannot fetch {spec}"))?;
                let files = index
                    .add_package(&package.name, &package.version, &package.tarball)
                    .with_context(|| format!("cannot index {spec}"))?;
                if !json {
                    say!(
                        "{}@{}: {files} JavaScript files indexed",
                        package.name,
                        package.version
                    );
                }
                added.push(serde_json::json!({
                    "name": package.name, "version": package.version, "files": files,
                }));
            }
            index.save()?;
            if json {
                say!("{}", serde_json::to_string_pretty(&added)?);
            } else {
                say!(
                    "The index holds {} package versions ({}).",
                    index.packages().len(),
                    dir.display()
                );
            }
        }
    }
    Ok(())
}
