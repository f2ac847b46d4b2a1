//! `vetter import FILE...`: brings packages (XPI/zip, CRX2/CRX3, `.tgz`, archives without a
//! manifest) into the cache, one transaction per file.
//!
//! A refused file does not stop the batch: each file is its own all-or-nothing import, so the
//! good ones are worth keeping and a reviewer importing a folder learns about every bad archive
//! in one run. The exit status is 1 if any file was refused, and each refusal is one line on
//! stderr naming the file and the rule.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::bail;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;
use vetter_archive::Limits;
use vetter_store::{ImportProgress, ImportSummary, PackageKind, Store};

use crate::display::{human_bytes, printable};
use crate::say;

/// Imports below this many uncompressed bytes finish too fast for a bar to help.
const BAR_THRESHOLD: u64 = 8 * 1024 * 1024;

/// Arguments of `vetter import`.
#[derive(clap::Args)]
pub struct ImportArgs {
    /// Packages to import: XPI/zip, CRX2/CRX3 or .tar.gz/.tgz, told apart by their content.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// Runs `vetter import`.
pub fn run(data_dir: &Path, args: &ImportArgs, json_output: bool) -> anyhow::Result<()> {
    let mut store = Store::open(data_dir)?;
    let limits = Limits::default();
    let mut report = Vec::new();
    let mut refused = Vec::new();
    for path in &args.files {
        let mut bar: Option<ProgressBar> = None;
        let result = store.import_file(path, &limits, &mut |p| progress(&mut bar, path, p));
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        match result {
            Ok(summary) => {
                if !json_output {
                    say!("{}", describe(&summary));
                }
                report.push(json!({ "file": path, "imported": summary }));
            }
            Err(err) => {
                // One file alone reports through the normal error path (a single line); in a
                // batch each refusal is printed as it happens and the total ends the run.
                if args.files.len() > 1 {
                    eprintln!("vetter: {err}");
                }
                report.push(json!({ "file": path, "error": err.to_string() }));
                refused.push(err);
            }
        }
    }
    if refused.len() < args.files.len() {
        // Indexed now, so the first search after an import answers like any other.
        vetter_review::search::catch_up(&mut store)?;
    }
    if json_output {
        say!("{}", serde_json::to_string_pretty(&report)?);
    }
    match refused.len() {
        0 => Ok(()),
        1 if args.files.len() == 1 => Err(refused.remove(0).into()),
        n => bail!("{n} of {} files were not imported", args.files.len()),
    }
}

/// Shows a byte-based bar on a terminal's stderr for imports big enough to wait on.
fn progress(bar: &mut Option<ProgressBar>, path: &Path, event: ImportProgress) {
    match event {
        ImportProgress::Started { bytes, .. } if bytes >= BAR_THRESHOLD => {
            let target = if std::io::stderr().is_terminal() {
                ProgressDrawTarget::stderr()
            } else {
                ProgressDrawTarget::hidden()
            };
            let b = ProgressBar::with_draw_target(Some(bytes), target);
            if let Ok(style) =
                ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} ({eta})")
            {
                b.set_style(style.progress_chars("=> "));
            }
            b.set_message(
                path.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            );
            *bar = Some(b);
        }
        ImportProgress::Stored { bytes_done, .. } => {
            if let Some(b) = bar {
                b.set_position(bytes_done);
            }
        }
        ImportProgress::Committing => {
            if let Some(b) = bar {
                b.set_message("committing");
            }
        }
        ImportProgress::Started { .. } => {}
    }
}

/// One human line per imported file, then its notes (another build of the same version, an
/// unverified CRX signature, a top folder left out of the paths).
fn describe(s: &ImportSummary) -> String {
    let what = match s.build.kind {
        PackageKind::Extension => "",
        PackageKind::Package => "package ",
    };
    let mut out = if s.already_present {
        format!(
            "{}: already cached as version {} ({what}{} {}, build {}), nothing added",
            printable(&s.source_name),
            s.version_id,
            printable(&s.guid),
            printable(&s.version),
            s.build.short_hash,
        )
    } else {
        format!(
            "{}: imported {what}{} {} (build {}, {}) as version {}: {} files ({}), {} new blobs \
             ({} deltas), {} added",
            printable(&s.source_name),
            printable(&s.guid),
            printable(&s.version),
            s.build.short_hash,
            s.build.format,
            s.version_id,
            s.files,
            human_bytes(s.raw_bytes),
            s.new_blobs,
            s.delta_blobs,
            human_bytes(s.bytes_added),
        )
    };
    if s.build.same_version_builds > 0 {
        out.push_str(&format!(
            "\n  note: {} other build{} of {} {} {} cached with different bytes; `vetter versions` \
             tells them apart by build",
            s.build.same_version_builds,
            if s.build.same_version_builds == 1 {
                ""
            } else {
                "s"
            },
            printable(&s.guid),
            printable(&s.version),
            if s.build.same_version_builds == 1 {
                "is"
            } else {
                "are"
            },
        ));
    }
    if let Some(note) = &s.build.signature_note {
        out.push_str(&format!("\n  note: {}", printable(note)));
    }
    if let Some(prefix) = &s.build.root_prefix {
        out.push_str(&format!(
            "\n  note: every path was under {}, which is left out",
            printable(prefix)
        ));
    }
    out
}
