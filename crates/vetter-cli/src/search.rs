//! `vetter search`: regex or literal search over one cached version or all of them.

use std::path::Path;

use vetter_review::search::{SearchLimits, SearchQuery, SearchStop, search};
use vetter_store::Store;

use crate::display::printable;
use crate::say;

/// Arguments of `vetter search`.
#[derive(clap::Args)]
pub struct SearchArgs {
    /// The pattern: a regex (Rust syntax, like `grep -E`) unless --fixed-strings.
    pub pattern: String,
    /// Only this cached version (its id from `vetter versions`).
    #[arg(long)]
    pub version: Option<i64>,
    /// Only paths matching this glob (repeatable; `*` also crosses `/`).
    #[arg(long = "glob", value_name = "GLOB")]
    pub globs: Vec<String>,
    /// Treat the pattern as a literal string.
    #[arg(long, short = 'F')]
    pub fixed_strings: bool,
    /// Ignore case.
    #[arg(long, short = 'i')]
    pub ignore_case: bool,
    /// Lines of context around each hit.
    #[arg(long, short = 'C', default_value_t = 0)]
    pub context: u32,
}

/// Runs `vetter search`; prints `version:path:line:text` per hit, like `grep -n`.
pub fn run(data_dir: &Path, args: &SearchArgs, json: bool) -> anyhow::Result<()> {
    let mut store = Store::open(data_dir)?;
    let query = SearchQuery {
        pattern: args.pattern.clone(),
        fixed_strings: args.fixed_strings,
        ignore_case: args.ignore_case,
        version_id: args.version,
        globs: args.globs.clone(),
        context: args.context,
    };
    let results = search(&mut store, &query, &SearchLimits::default())?;
    if json {
        say!("{}", serde_json::to_string_pretty(&results)?);
        return Ok(());
    }
    for hit in &results.hits {
        for c in &hit.before {
            say!(
                "{}:{}-{}-{}",
                hit.version_id,
                printable(&hit.path),
                c.line,
                printable(&c.text)
            );
        }
        let cut = if hit.excerpt.start > 0 { "…" } else { "" };
        let tail = if hit.excerpt.cut { "…" } else { "" };
        say!(
            "{}:{}:{}:{cut}{}{tail}",
            hit.version_id,
            printable(&hit.path),
            hit.line,
            printable(&hit.excerpt.text)
        );
        for c in &hit.after {
            say!(
                "{}:{}-{}-{}",
                hit.version_id,
                printable(&hit.path),
                c.line,
                printable(&c.text)
            );
        }
        if args.context > 0 {
            say!("--");
        }
    }
    if let Some(stop) = results.stopped {
        let why = match stop {
            SearchStop::HitLimit => "the hit limit",
            SearchStop::ByteBudget => "the byte budget",
            SearchStop::TimeBudget => "the time budget",
        };
        eprintln!("vetter: search stopped early at {why}; results are incomplete");
    }
    Ok(())
}
