//! Tauri commands of the audit tools: search across the cache, linked add-ons, line notes, the
//! audit report, landing the review on one line, and the reviewer's local YARA rules.
//!
//! Search and links keep their indexes in step with the cache on every call (a write), and a
//! search may run for seconds, so both use their own connection: the shared one stays free for
//! the review the reviewer is scrolling meanwhile.

use std::fmt::Display;
use std::path::{Path, PathBuf};

use serde::Serialize;
use tauri::AppHandle;
use tauri::ipc::Channel;
use ts_rs::TS;
use vetter_capabilities::CapabilityDelta;
use vetter_review::links::{LinkReport, links_for};
use vetter_review::notes::{PlacedNote, add_note, delete_note, notes_for};
use vetter_review::report::{ReportError, audit_report, write_report};
use vetter_review::search::{
    IndexProgress, SearchLimits, SearchQuery, SearchResults, catch_up_with, search,
};
use vetter_review::{LineTarget, ViewOptions};
use vetter_rules::{RuleFileInfo, RuleScan, ScanLimits};
use vetter_store::Store;

use super::blocking;
use crate::error::{ErrorCode, UiError};

/// How often indexing progress goes to the window: visible movement without a message per file.
const INDEX_PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

/// An error of one of the audit tools, keeping the core's message (which names the item).
fn failed(code: ErrorCode, err: impl Display) -> UiError {
    UiError::new(code, err)
}

/// Where an exported report was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct WrittenReport {
    /// The self-contained HTML file.
    pub html: String,
    /// The Markdown file.
    pub markdown: String,
}

/// Searches one cached version (`version_id`) or all of them for a regex or literal.
#[tauri::command]
#[allow(clippy::too_many_arguments)]
pub async fn search_cache(
    app: AppHandle,
    pattern: String,
    fixed_strings: bool,
    ignore_case: bool,
    version_id: Option<i64>,
    globs: Vec<String>,
    context: u32,
    on_index: Channel<IndexProgress>,
) -> Result<SearchResults, UiError> {
    blocking(app, move |s| {
        let mut store = Store::open(&s.data_dir)?;
        // Files imported since the last search are indexed first; say how far that has got.
        let mut last = std::time::Instant::now();
        catch_up_with(&mut store, &mut |p| {
            if p.done == p.total || last.elapsed() >= INDEX_PROGRESS_EVERY {
                last = std::time::Instant::now();
                let _ = on_index.send(p);
            }
        })
        .map_err(|e| failed(ErrorCode::Search, e))?;
        let query = SearchQuery {
            pattern,
            fixed_strings,
            ignore_case,
            version_id,
            globs: globs.into_iter().filter(|g| !g.trim().is_empty()).collect(),
            context: context.min(10),
        };
        search(&mut store, &query, &SearchLimits::default())
            .map_err(|e| failed(ErrorCode::Search, e))
    })
    .await
}

/// What changed in capability from cached version `old` to `new`: endpoints, sinks, permission
/// use, obfuscation, libraries and both risk weights. Each version is analysed once and kept.
#[tauri::command]
pub async fn capability_delta(
    app: AppHandle,
    old: i64,
    new: i64,
) -> Result<CapabilityDelta, UiError> {
    blocking(app, move |s| {
        let store = Store::open(&s.data_dir)?;
        Ok(vetter_review::capabilities::capability_delta(
            &store, old, new,
        )?)
    })
    .await
}

/// Other cached add-ons sharing files or near-identical code with `addon` (a gecko id or the
/// id of one of its versions), strongest links first.
#[tauri::command]
pub async fn addon_links(app: AppHandle, addon: String) -> Result<LinkReport, UiError> {
    blocking(app, move |s| {
        let mut store = Store::open(&s.data_dir)?;
        links_for(&mut store, &addon).map_err(|e| failed(ErrorCode::Links, e))
    })
    .await
}

/// The notes visible from `version_id` (its own and carried-forward ones), optionally of one file.
#[tauri::command]
pub async fn version_notes(
    app: AppHandle,
    version_id: i64,
    path: Option<String>,
) -> Result<Vec<PlacedNote>, UiError> {
    blocking(app, move |s| {
        s.with_store(|store| {
            notes_for(store, version_id, path.as_deref()).map_err(|e| failed(ErrorCode::Notes, e))
        })
    })
    .await
}

/// The reviewer's notes visible from `version_id` as plain text for a decision's comments (empty
/// when there are none).
#[tauri::command]
pub async fn notes_summary(app: AppHandle, version_id: i64) -> Result<String, UiError> {
    blocking(app, move |s| {
        s.with_store(|store| {
            let notes =
                notes_for(store, version_id, None).map_err(|e| failed(ErrorCode::Notes, e))?;
            Ok(vetter_review::notes::notes_summary(&notes))
        })
    })
    .await
}

/// Adds a note on 1-based `line` of `path` in `version_id`; returns its id.
#[tauri::command]
pub async fn add_line_note(
    app: AppHandle,
    version_id: i64,
    path: String,
    line: u32,
    body: String,
) -> Result<i64, UiError> {
    blocking(app, move |s| {
        s.with_store(|store| {
            add_note(store, version_id, &path, line, &body).map_err(|e| failed(ErrorCode::Notes, e))
        })
    })
    .await
}

/// Deletes a note.
#[tauri::command]
pub async fn delete_line_note(app: AppHandle, id: i64) -> Result<(), UiError> {
    blocking(app, move |s| {
        s.with_store(|store| delete_note(store, id).map_err(|e| failed(ErrorCode::Notes, e)))
    })
    .await
}

/// The data folder's `reports/` subfolder for the pair `old` → `new`.
fn report_dir(data_dir: &Path, old: i64, new: i64) -> PathBuf {
    data_dir
        .join("reports")
        .join(format!("versions-{old}-to-{new}"))
}

/// The folder a report of `old` → `new` is written to unless the reviewer picks another: the
/// data folder's `reports/`, one subfolder per pair.
#[tauri::command]
pub async fn default_report_dir(app: AppHandle, old: i64, new: i64) -> Result<String, UiError> {
    blocking(app, move |s| {
        Ok(report_dir(&s.data_dir, old, new).display().to_string())
    })
    .await
}

/// Writes `report.html` and `report.md` for `old` → `new` into the data folder's default
/// report folder, or, with `choose_folder`, into a folder the reviewer picks in the native
/// dialog (`None` when it is cancelled). The page names no path.
#[tauri::command]
pub async fn export_report(
    app: AppHandle,
    old: i64,
    new: i64,
    choose_folder: bool,
) -> Result<Option<WrittenReport>, UiError> {
    let asking = app.clone();
    blocking(app, move |s| {
        let default = report_dir(&s.data_dir, old, new);
        let dir = if choose_folder {
            let start = s.data_dir.join("reports");
            match s
                .dialogs
                .pick_folder(&asking, "Write the audit report into", &start)
            {
                Some(dir) => dir,
                None => return Ok(None),
            }
        } else {
            default
        };
        let report = s.with_store(|store| {
            audit_report(store, old, new).map_err(|e| match e {
                ReportError::Rules(e) => failed(ErrorCode::Rules, e),
                e => failed(ErrorCode::Report, e),
            })
        })?;
        let (html, markdown) =
            write_report(&report, &dir).map_err(|e| failed(ErrorCode::Report, e))?;
        Ok(Some(WrittenReport {
            html: html.display().to_string(),
            markdown: markdown.display().to_string(),
        }))
    })
    .await
}

/// Opens `path` of the open review's newer version at 1-based `line`, expanding hidden context
/// (and listing the file as unchanged when it did not change in the pair).
#[tauri::command]
pub async fn reveal_line(
    app: AppHandle,
    path: String,
    line: u32,
    options: ViewOptions,
) -> Result<LineTarget, UiError> {
    blocking(app, move |s| {
        s.with_review(|r, store| Ok(r.reveal_line(store, &path, line, options)?))
    })
    .await
}

/// Every local rule file, by name.
#[tauri::command]
pub async fn rule_files(app: AppHandle) -> Result<Vec<RuleFileInfo>, UiError> {
    blocking(app, |s| {
        s.with_store(|store| {
            vetter_rules::rule_files(store).map_err(|e| failed(ErrorCode::Rules, e))
        })
    })
    .await
}

/// Compiles pasted rule text and stores it as rule file `name`.
#[tauri::command]
pub async fn add_rule_text(
    app: AppHandle,
    name: String,
    source: String,
) -> Result<RuleFileInfo, UiError> {
    blocking(app, move |s| {
        s.with_store(|store| {
            vetter_rules::add_rule_file(store, &name, source.as_bytes())
                .map_err(|e| failed(ErrorCode::Rules, e))
        })
    })
    .await
}

/// Reads a rule file the reviewer picks in the native file dialog (up to the core's cap on rule
/// files), compiles it and stores it as rule file `name`; `None` when the dialog is cancelled.
/// The page names no path.
#[tauri::command]
pub async fn add_rule_path(app: AppHandle, name: String) -> Result<Option<RuleFileInfo>, UiError> {
    let asking = app.clone();
    blocking(app, move |s| {
        let Some(path) = s.dialogs.pick_file(
            &asking,
            "Add a YARA rule file",
            ("YARA rules", &["yar", "yara"]),
        ) else {
            return Ok(None);
        };
        let source =
            vetter_rules::read_rule_file(&path).map_err(|e| failed(ErrorCode::Rules, e))?;
        s.with_store(|store| {
            vetter_rules::add_rule_file(store, &name, &source)
                .map(Some)
                .map_err(|e| failed(ErrorCode::Rules, e))
        })
    })
    .await
}

/// Deletes rule file `name`.
#[tauri::command]
pub async fn remove_rule(app: AppHandle, name: String) -> Result<(), UiError> {
    blocking(app, move |s| {
        s.with_store(|store| {
            vetter_rules::remove_rule_file(store, &name).map_err(|e| failed(ErrorCode::Rules, e))
        })
    })
    .await
}

/// Turns rule file `name` on or off for scans.
#[tauri::command]
pub async fn set_rule_enabled(app: AppHandle, name: String, enabled: bool) -> Result<(), UiError> {
    blocking(app, move |s| {
        s.with_store(|store| {
            vetter_rules::set_rule_file_enabled(store, &name, enabled)
                .map_err(|e| failed(ErrorCode::Rules, e))
        })
    })
    .await
}

/// Runs the enabled rule files over the open review's newer version.
#[tauri::command]
pub async fn scan_open_review(app: AppHandle) -> Result<RuleScan, UiError> {
    blocking(app, |s| {
        s.with_review(|r, store| {
            let found =
                vetter_review::local_signals(store, r.summary().new.id, &ScanLimits::default())
                    .map_err(|e| failed(ErrorCode::Rules, e))?;
            // The review shows the matches next to the server's signals from now on, with the
            // hidden-character and nested-archive signals a rescan must not drop.
            r.set_local_signals(store, found.signals)?;
            Ok(found.scan)
        })
    })
    .await
}
