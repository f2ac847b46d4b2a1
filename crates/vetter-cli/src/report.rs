//! `vetter report`: the audit report of a version pair, as HTML and Markdown files, with the
//! matches of the reviewer's local rules (the same report the app exports).

use std::path::{Path, PathBuf};

use vetter_review::report::{audit_report, write_report};
use vetter_store::Store;

use crate::say;

/// Arguments of `vetter report`.
#[derive(clap::Args)]
pub struct ReportArgs {
    /// The older version's id.
    pub old: i64,
    /// The newer version's id.
    pub new: i64,
    /// Folder to write report.html and report.md into.
    #[arg(long)]
    pub out: PathBuf,
}

/// Runs `vetter report`.
pub fn run(data_dir: &Path, args: &ReportArgs, json: bool) -> anyhow::Result<()> {
    let store = Store::open(data_dir)?;
    let report = audit_report(&store, args.old, args.new)?;
    let (html, md) = write_report(&report, &args.out)?;
    if json {
        say!(
            "{}",
            serde_json::json!({ "html": html, "markdown": md, "report": report })
        );
    } else {
        say!("wrote {}", html.display());
        say!("wrote {}", md.display());
    }
    Ok(())
}
