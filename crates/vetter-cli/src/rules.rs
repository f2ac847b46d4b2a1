//! `vetter rules`: the reviewer's local YARA rule files and scans of cached versions with them.

use std::path::{Path, PathBuf};

use anyhow::Context;
use vetter_rules::{
    RuleScan, RuleSkipReason, ScanLimits, add_rule_file, read_rule_file, remove_rule_file,
    rule_files, scan_version, set_rule_file_enabled,
};
use vetter_store::Store;

use crate::display::printable;
use crate::say;

/// Arguments of `vetter rules`.
#[derive(clap::Args)]
pub struct RulesArgs {
    #[command(subcommand)]
    pub command: RulesCommand,
}

/// What to do with rule files.
#[derive(clap::Subcommand)]
pub enum RulesCommand {
    /// Compiles a YARA rule file and stores it in the cache (enabled).
    Add {
        /// The rule file.
        file: PathBuf,
        /// Name to store it under (letters, digits, '.', '_', '-'); defaults to the file name.
        #[arg(long)]
        name: Option<String>,
    },
    /// Lists the stored rule files.
    List,
    /// Deletes a stored rule file.
    Remove {
        /// Its name.
        name: String,
    },
    /// Lets scans use a stored rule file again.
    Enable {
        /// Its name.
        name: String,
    },
    /// Keeps a stored rule file out of scans without deleting it.
    Disable {
        /// Its name.
        name: String,
    },
    /// Scans cached versions with the enabled rule files and prints `path:line:col rule`.
    ///
    /// With an add-on (its gecko id), its latest cached version; with `--version`, that version;
    /// with neither, every cached version, each line prefixed with the version id. Results are
    /// kept in the cache, so scanning again with the same rules reads them back.
    Scan {
        /// The add-on's gecko id (or `noid:` + name, as `vetter versions` shows it).
        #[arg(conflicts_with = "version")]
        addon: Option<String>,
        /// A cached version id.
        #[arg(long)]
        version: Option<i64>,
    },
}

/// Runs `vetter rules`.
pub fn run(data_dir: &Path, args: &RulesArgs, json: bool) -> anyhow::Result<()> {
    let store = Store::open(data_dir)?;
    match &args.command {
        RulesCommand::Add { file, name } => {
            let source = read_rule_file(file)?;
            let name = match name {
                Some(n) => n.clone(),
                None => file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .with_context(|| format!("{} has no file name; pass --name", file.display()))?,
            };
            let info = add_rule_file(&store, &name, &source)?;
            if json {
                say!("{}", serde_json::to_string_pretty(&info)?);
            } else {
                say!(
                    "rule file {} added: {} rule{}",
                    info.name,
                    info.rules,
                    if info.rules == 1 { "" } else { "s" }
                );
            }
        }
        RulesCommand::List => {
            let files = rule_files(&store)?;
            if json {
                say!("{}", serde_json::to_string_pretty(&files)?);
            } else {
                for f in &files {
                    say!(
                        "{}\t{}\t{} rules\t{} B\t{}\t{}",
                        f.name,
                        if f.enabled { "enabled" } else { "disabled" },
                        f.rules,
                        f.size,
                        &f.sha256[..f.sha256.len().min(12)],
                        f.added_at
                    );
                }
            }
        }
        RulesCommand::Remove { name } => {
            remove_rule_file(&store, name)?;
            if !json {
                say!("rule file {name} removed");
            }
        }
        RulesCommand::Enable { name } | RulesCommand::Disable { name } => {
            let enabled = matches!(args.command, RulesCommand::Enable { .. });
            set_rule_file_enabled(&store, name, enabled)?;
            if !json {
                say!(
                    "rule file {name} {}",
                    if enabled { "enabled" } else { "disabled" }
                );
            }
        }
        RulesCommand::Scan { addon, version } => {
            let versions = target_versions(&store, addon.as_deref(), *version)?;
            let limits = ScanLimits::default();
            let mut scans = Vec::new();
            for id in &versions {
                scans.push(scan_version(&store, *id, &limits)?);
            }
            if json {
                say!("{}", serde_json::to_string_pretty(&scans)?);
            } else {
                let prefix = versions.len() > 1;
                for scan in &scans {
                    print_scan(scan, prefix);
                }
            }
        }
    }
    Ok(())
}

/// The versions a scan covers: one by id, the latest of one add-on, or all.
fn target_versions(
    store: &Store,
    addon: Option<&str>,
    version: Option<i64>,
) -> anyhow::Result<Vec<i64>> {
    if let Some(id) = version {
        store.version(id)?;
        return Ok(vec![id]);
    }
    let all = store.versions()?;
    match addon {
        Some(guid) => {
            let latest = all
                .iter()
                .filter(|v| v.guid == guid)
                .map(|v| v.id)
                .max()
                .with_context(|| format!("no cached add-on {guid:?} (see `vetter versions`)"))?;
            Ok(vec![latest])
        }
        None => {
            let mut ids: Vec<i64> = all.iter().map(|v| v.id).collect();
            ids.sort_unstable();
            Ok(ids)
        }
    }
}

fn print_scan(scan: &RuleScan, prefix: bool) {
    for s in &scan.signals {
        let lead = if prefix {
            format!("{}:", scan.version_id)
        } else {
            String::new()
        };
        let description = s
            .description
            .as_deref()
            .map(|d| format!(" {}", printable(d)))
            .unwrap_or_default();
        say!(
            "{lead}{}:{}:{} {} [{}]{description}",
            printable(&s.path),
            s.line,
            s.column,
            printable(&s.rule),
            printable(&s.namespace),
        );
    }
    for skip in &scan.skipped {
        let why = match &skip.reason {
            RuleSkipReason::TooLarge { size, limit } => {
                format!("{size} bytes, over the {limit}-byte scan limit")
            }
            RuleSkipReason::Timeout { millis } => format!("the scan hit the {millis} ms timeout"),
        };
        eprintln!(
            "vetter: version {}: {} not scanned: {why}",
            scan.version_id,
            printable(&skip.path)
        );
    }
    if scan.truncated {
        eprintln!(
            "vetter: version {}: too many matches; the list is cut short",
            scan.version_id
        );
    }
}
