//! `vetter links`: other cached add-ons that share files or near-identical code with one.

use std::path::Path;

use vetter_review::links::links_for;
use vetter_store::Store;

use crate::display::printable;
use crate::say;

/// Arguments of `vetter links`.
#[derive(clap::Args)]
pub struct LinksArgs {
    /// The add-on: its gecko id (or `noid:` identity), or the id of one of its versions.
    pub addon: String,
}

/// Runs `vetter links`.
pub fn run(data_dir: &Path, args: &LinksArgs, json: bool) -> anyhow::Result<()> {
    let mut store = Store::open(data_dir)?;
    let report = links_for(&mut store, &args.addon)?;
    if json {
        say!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    if report.links.is_empty() {
        say!(
            "{}: no other cached add-on shares files or code with it",
            printable(&report.guid)
        );
        return Ok(());
    }
    for l in &report.links {
        let kind = if l.linked { "LINKED" } else { "libraries only" };
        say!(
            "{} ({}) — {kind}, score {:.2}",
            printable(&l.guid),
            printable(&l.name),
            l.score
        );
        for s in &l.shared_files {
            let lib = if s.library {
                format!(" [library: in {} add-ons]", s.addons_with_it)
            } else {
                String::new()
            };
            say!(
                "  same bytes: {} = {} ({} bytes){lib}",
                printable(&s.path),
                printable(&s.other_path),
                s.size
            );
        }
        for d in &l.near_duplicates {
            say!(
                "  near-identical code ({:.0}%): {} ~ {}",
                d.similarity * 100.0,
                printable(&d.path),
                printable(&d.other_path)
            );
        }
    }
    Ok(())
}
