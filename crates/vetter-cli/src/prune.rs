//! `vetter prune`, `vetter pin` and `vetter unpin`: shrinking the cache to what a reviewer
//! still needs (the rules are `vetter_store::retention`'s).

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::Path;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use vetter_store::Store;
use vetter_store::retention::{KeepReason, PrunePlan, PruneProgress, RetentionRules};

use crate::display::{count_of, human_bytes, printable};
use crate::say;

/// Arguments of `vetter prune`.
#[derive(clap::Args)]
pub struct PruneArgs {
    /// How many versions of each add-on to keep whatever else holds, newest imported first
    /// (0 keeps only what a queue, a pin, a waiting decision, a note or a viewed mark needs).
    #[arg(long, default_value_t = RetentionRules::default().keep_last)]
    pub keep_last: u32,
    /// Say what would go and how much space would return, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Arguments of `vetter pin` and `vetter unpin`.
#[derive(clap::Args)]
pub struct PinArgs {
    /// The cached version's id (`vetter versions` lists them).
    pub version: i64,
}

/// Runs `vetter prune`.
pub fn run(data_dir: &Path, args: &PruneArgs, json: bool) -> anyhow::Result<()> {
    let mut store = Store::open(data_dir)?;
    let rules = RetentionRules {
        keep_last: args.keep_last,
    };
    if args.dry_run {
        let plan = store.prune_plan(rules, &[])?;
        if json {
            say!("{}", serde_json::to_string_pretty(&plan)?);
        } else {
            say!("{}", describe_plan(&plan, true).trim_end());
        }
        return Ok(());
    }
    let target = if std::io::stderr().is_terminal() && !json {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(None, target);
    if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len}") {
        bar.set_style(style.progress_chars("=> "));
    }
    let report = store.prune(rules, &[], &mut |step| match step {
        PruneProgress::Versions { total } => {
            bar.set_message("removing versions");
            bar.set_length(total);
        }
        PruneProgress::Blobs { done, total } => {
            bar.set_message("removing unused files");
            bar.set_length(total);
            bar.set_position(done);
        }
        PruneProgress::Vacuum => bar.set_message("compacting the cache"),
    })?;
    bar.finish_and_clear();
    if json {
        say!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    say!("{}", describe_plan(&report.plan, false).trim_end());
    say!(
        "removed {} and {} ({} rewritten whole); the cache went from {} to {}",
        count_of(report.versions_removed, "version"),
        count_of(report.blobs_removed, "stored file"),
        report.blobs_rewritten,
        human_bytes(report.file_bytes_before),
        human_bytes(report.file_bytes_after)
    );
    Ok(())
}

/// Runs `vetter pin` (`pin` true) or `vetter unpin`.
pub fn run_pin(data_dir: &Path, args: &PinArgs, pin: bool, json: bool) -> anyhow::Result<()> {
    let store = Store::open(data_dir)?;
    let version = store.version(args.version)?;
    let changed = if pin {
        store.pin_version(version.id)?
    } else {
        store.unpin_version(version.id)?
    };
    let state = if pin { "pinned" } else { "not pinned" };
    if json {
        say!(
            "{}",
            serde_json::json!({ "version": version.id, "pinned": pin, "changed": changed })
        );
    } else {
        let already = if changed { "" } else { "already " };
        say!(
            "version {} ({} {}) is {already}{state}",
            version.id,
            printable(&version.guid),
            printable(&version.version)
        );
    }
    Ok(())
}

/// The plan in words: what goes, why the rest stays, and the space it returns.
fn describe_plan(plan: &PrunePlan, dry_run: bool) -> String {
    let mut out = String::new();
    let verb = if dry_run { "would remove" } else { "removes" };
    let total = plan.kept.len() + plan.removed.len();
    out.push_str(&format!(
        "keeping the last {} of each add-on, prune {verb} {} of {}\n",
        count_of(plan.rules.keep_last.into(), "version"),
        plan.removed.len(),
        count_of(total as u64, "version"),
    ));
    for v in &plan.removed {
        out.push_str(&format!(
            "  - {:>6}  {} {}\n",
            v.id,
            printable(&v.guid),
            printable(&v.version)
        ));
    }
    let mut by_reason: BTreeMap<KeepReason, usize> = BTreeMap::new();
    for v in &plan.kept {
        for reason in &v.reasons {
            *by_reason.entry(*reason).or_default() += 1;
        }
    }
    if !plan.kept.is_empty() {
        out.push_str(&format!(
            "kept: {}\n",
            count_of(plan.kept.len() as u64, "version")
        ));
        for (reason, n) in &by_reason {
            out.push_str(&format!("  {n:>6}  {}\n", reason.words()));
        }
    }
    out.push_str(&format!(
        "files no kept version uses, which go: {} stored files, {}\n",
        plan.blobs_removed,
        human_bytes(plan.blob_bytes_removed)
    ));
    if plan.blobs_kept_as_bases > 0 {
        out.push_str(&format!(
            "files no kept version uses that stay, as bases of kept files' changes (smaller than storing those whole): {}\n",
            plan.blobs_kept_as_bases
        ));
    }
    if plan.blobs_rewritten > 0 {
        out.push_str(&format!(
            "kept files stored as changes against them, to store whole: {} ({} now, about {} whole)\n",
            plan.blobs_rewritten,
            human_bytes(plan.rewritten_bytes_now),
            human_bytes(plan.rewritten_bytes_estimate)
        ));
    }
    if dry_run {
        out.push_str(&format!(
            "space returned: about {} of the cache's {}\n",
            human_bytes(plan.estimated_bytes_returned),
            human_bytes(plan.file_bytes)
        ));
    }
    out
}
