//! Tauri commands: short adapters from IPC calls to the Vetter crates.
//!
//! Anything that reads files or diffs runs on the blocking pool, so the window's event loop
//! never waits on the cache.

pub mod audit;
pub mod fetch;
pub mod flow;
pub mod retention;

use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, State};
use vetter_archive::Limits;
use vetter_diff::Whitespace;
use vetter_review::deeplink::{self, DeepLink, LinkTarget, LinkText};
use vetter_review::{
    AddonVersions, FileCounts, FileLayout, LineCounter, ReviewSession, ReviewSummary, Side,
    ViewOptions, ViewRow, cached_addons as list_addons,
};
use vetter_rules::ScanLimits;
use vetter_store::info::AppInfo;
use vetter_store::{ImportProgress, ImportSummary, Store};

use crate::AppState;
use crate::error::UiError;

/// Runs `f` with the app state on the blocking pool.
async fn blocking<T: Send + 'static>(
    app: AppHandle,
    f: impl FnOnce(&AppState) -> Result<T, UiError> + Send + 'static,
) -> Result<T, UiError> {
    tauri::async_runtime::spawn_blocking(move || f(&app.state::<AppState>()))
        .await
        .map_err(|e| UiError::app(format!("background task failed: {e}")))?
}

/// A small runtime for one command's network work, run on the blocking pool so the window's
/// event loop never waits on the network.
fn network_runtime() -> Result<tokio::runtime::Runtime, UiError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| UiError::app(format!("cannot start the network runtime: {e}")))
}

/// Reports the app version, the data folder and the cache's schema version.
#[tauri::command]
pub async fn app_info(state: State<'_, AppState>) -> Result<AppInfo, UiError> {
    Ok(AppInfo::gather(&state.data_dir)?)
}

/// Every cached add-on with its versions.
#[tauri::command]
pub async fn cached_addons(app: AppHandle) -> Result<Vec<AddonVersions>, UiError> {
    blocking(app, |s| s.with_store(|store| Ok(list_addons(store)?))).await
}

/// The package types the import dialog offers.
const PACKAGE_FILES: (&str, &[&str]) = ("Add-on packages", &["xpi", "zip", "crx", "tgz", "gz"]);

/// Imports a package the reviewer picks in the native file dialog into the cache, reporting
/// progress on `on_progress`; `None` when the dialog is cancelled. The page names no path.
#[tauri::command]
pub async fn import_xpi(
    app: AppHandle,
    on_progress: Channel<ImportProgress>,
) -> Result<Option<ImportSummary>, UiError> {
    let asking = app.clone();
    blocking(app, move |s| {
        let Some(path) = s
            .dialogs
            .pick_file(&asking, "Import an add-on package", PACKAGE_FILES)
        else {
            return Ok(None);
        };
        // Its own connection: the import holds the write lock for a while, and reads of the
        // open review go on meanwhile through WAL.
        let mut store = Store::open(&s.data_dir)?;
        let mut report = |p: ImportProgress| {
            // A closed window cannot take the progress; the import goes on regardless.
            let _ = on_progress.send(p);
        };
        let summary = store.import_file(&path, &Limits::default(), &mut report)?;
        // The first search after the import then finds the index ready.
        s.indexer.kick(s.data_dir.clone());
        Ok(Some(summary))
    })
    .await
}

/// How often the background counter sends what it has counted: often enough that the file
/// tree fills in visibly, rarely enough that the window does not re-render per file.
const COUNT_BATCH: std::time::Duration = std::time::Duration::from_millis(150);

/// Opens the review of versions `old` → `new`, replacing the open one. The reply carries the
/// file list from the two listings; line counts follow on `on_counts`, in batches, from a
/// thread with its own cache connection, so the first diff never waits for the whole update.
#[tauri::command]
pub async fn open_review(
    app: AppHandle,
    old: i64,
    new: i64,
    whitespace: Whitespace,
    on_counts: Channel<Vec<FileCounts>>,
    on_signals: Channel<ReviewSummary>,
) -> Result<ReviewSummary, UiError> {
    let bg = app.clone();
    let (summary, counter, session_id) = blocking(app, move |s| {
        let session = match s.take_prepared(old, new, whitespace) {
            Some(prepared) => prepared,
            None => s.with_store(|store| Ok(ReviewSession::open(store, old, new, whitespace)?))?,
        };
        let summary = session.summary().clone();
        let counter = session.line_counter();
        let id = session.id();
        s.set_review(session);
        Ok((summary, counter, id))
    })
    .await?;
    let rules_bg = bg.clone();
    std::thread::spawn(move || {
        local_signals_in_background(&rules_bg, session_id, new, &on_signals)
    });
    if !counter.is_empty() {
        std::thread::spawn(move || count_in_background(&bg, counter, &on_counts));
    }
    Ok(summary)
}

/// Where `link` (a `vetter://` link) lands: the pair to review and the file and line.
#[tauri::command]
pub async fn resolve_link(app: AppHandle, link: String) -> Result<LinkTarget, UiError> {
    blocking(app, move |s| {
        let parsed = DeepLink::parse(&link).map_err(|e| UiError::app(e.to_string()))?;
        s.with_store(|store| {
            parsed
                .resolve(store)
                .map_err(|e| UiError::app(e.to_string()))
        })
    })
    .await
}

/// The `vetter://` link and AMO's line reference for `path` (lines `first`-`last`) of cached
/// version `version`, for "Copy link" and "Copy line reference".
#[tauri::command]
pub async fn link_text(
    app: AppHandle,
    version: i64,
    path: Option<String>,
    first: Option<u32>,
    last: Option<u32>,
) -> Result<LinkText, UiError> {
    blocking(app, move |s| {
        let lines = first.map(|a| (a, last.unwrap_or(a)));
        s.with_store(|store| {
            deeplink::link_text(store, version, path.as_deref(), lines)
                .map_err(|e| UiError::app(e.to_string()))
        })
    })
    .await
}

/// The `vetter://` link the app was started with, once (later calls get none).
#[tauri::command]
pub async fn launch_link(app: AppHandle) -> Result<Option<String>, UiError> {
    blocking(app, |s| Ok(s.take_launch_link())).await
}

/// Prepares the review of `old` → `new` in the background (the next queue entry while the
/// reviewer reads this one): opened, every file counted and both sides' capabilities analysed
/// on a connection of its own, so that opening it later shows complete counts and the
/// capability panel at once. Answers when it is ready; a failure is only
/// logged, since opening the entry reports it where the reviewer sees it.
#[tauri::command]
pub async fn prepare_review(
    app: AppHandle,
    old: i64,
    new: i64,
    whitespace: Whitespace,
) -> Result<(), UiError> {
    blocking(app, move |s| {
        let prepared = Store::open(&s.data_dir)
            .map_err(|e| e.to_string())
            .and_then(|store| {
                ReviewSession::prepare(&store, old, new, whitespace).map_err(|e| e.to_string())
            });
        match prepared {
            Ok(session) => s.set_prepared(session),
            Err(error) => tracing::warn!(old, new, %error, "the next review could not be prepared"),
        }
        // The capability analysis of both sides is kept in the cache, so the next entry's
        // panel answers at once too.
        let analysed = Store::open(&s.data_dir)
            .map_err(vetter_review::ReviewError::from)
            .and_then(|store| vetter_review::capabilities::capability_delta(&store, old, new));
        if let Err(error) = analysed {
            tracing::warn!(old, new, %error, "the next review's capabilities could not be analysed");
        }
        Ok(())
    })
    .await
}

/// Computes the newer version's local signals (hidden characters, nested archives, and the
/// enabled rule files' matches, a stored scan when these rules already scanned it) and, if the
/// review is still the one opened, puts them among its signals and sends the summary (signals,
/// and files listed because they are flagged) to the window. The first diff never waits.
fn local_signals_in_background(
    app: &AppHandle,
    session: u64,
    version: i64,
    out: &Channel<ReviewSummary>,
) {
    let state = app.state::<AppState>();
    let found = Store::open(&state.data_dir)
        .map_err(|e| e.to_string())
        .and_then(|store| {
            vetter_review::local_signals(&store, version, &ScanLimits::default())
                .map_err(|e| e.to_string())
        });
    let found = match found {
        Ok(found) if found.scan.rule_files > 0 || !found.signals.is_empty() => found,
        Ok(_) => return,
        Err(e) => {
            tracing::warn!(error = %e, "local signals of the version under review failed");
            return;
        }
    };
    let summary = state.with_review(|r, store| {
        if r.id() != session {
            return Ok(None);
        }
        r.set_local_signals(store, found.signals)?;
        Ok(Some(r.summary().clone()))
    });
    match summary {
        // A closed window cannot take it; the session has the signals regardless.
        Ok(Some(summary)) => drop(out.send(summary)),
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e.message, "local rule matches could not be listed"),
    }
}

/// The open review's summary as it is now: a scan started from Settings may have added local
/// rule matches (and files listed because they are flagged) since the review was opened.
#[tauri::command]
pub async fn review_summary(app: AppHandle) -> Result<ReviewSummary, UiError> {
    blocking(app, |s| s.with_review(|r, _| Ok(r.summary().clone()))).await
}

/// Runs a review's line counter, applying each file's counts to the open session and sending
/// them to the window in batches. Stops when the session is replaced.
fn count_in_background(app: &AppHandle, counter: LineCounter, out: &Channel<Vec<FileCounts>>) {
    let state = app.state::<AppState>();
    let store = match Store::open(&state.data_dir) {
        Ok(store) => store,
        Err(e) => {
            tracing::warn!(error = %e, "line counting could not open the cache");
            return;
        }
    };
    let mut batch = Vec::new();
    let mut last = std::time::Instant::now();
    let result = counter.run(&store, |counted| {
        // Every file of the open review goes to the window, also one a view counted first.
        if let Ok(Some(counts)) = state.with_review(|r, _| Ok(r.apply_counts(counted))) {
            batch.push(counts);
        }
        if !batch.is_empty() && last.elapsed() >= COUNT_BATCH {
            // A closed window cannot take the counts; the session has them regardless.
            let _ = out.send(std::mem::take(&mut batch));
            last = std::time::Instant::now();
        }
    });
    if !batch.is_empty() {
        let _ = out.send(batch);
    }
    if let Err(e) = result {
        tracing::warn!(error = %e, "line counting stopped");
    }
}

/// Opens file `index` of the review with the given layout and returns its shape.
#[tauri::command]
pub async fn view_file(
    app: AppHandle,
    index: u32,
    options: ViewOptions,
) -> Result<FileLayout, UiError> {
    blocking(app, move |s| {
        s.with_review(|r, store| Ok(r.view_file(store, index as usize, options)?))
    })
    .await
}

/// A window of display rows of file `index`, clipped to the visible columns.
#[tauri::command]
pub async fn file_rows(
    app: AppHandle,
    index: u32,
    start: u32,
    count: u32,
    col_start: u32,
    col_count: u32,
) -> Result<Vec<ViewRow>, UiError> {
    blocking(app, move |s| {
        s.with_review(|r, store| {
            Ok(r.rows(store, index as usize, start, count, col_start, col_count)?)
        })
    })
    .await
}

/// Shows up to `lines` hidden lines of gap `gap` of file `index`.
#[tauri::command]
pub async fn expand_gap(
    app: AppHandle,
    index: u32,
    gap: u32,
    lines: u32,
) -> Result<FileLayout, UiError> {
    blocking(app, move |s| {
        s.with_review(|r, store| Ok(r.expand(store, index as usize, gap, lines)?))
    })
    .await
}

/// Display rows of file `index` whose line contains `needle`.
#[tauri::command]
pub async fn find_in_file(app: AppHandle, index: u32, needle: String) -> Result<Vec<u32>, UiError> {
    blocking(app, move |s| {
        s.with_review(|r, store| Ok(r.find(store, index as usize, &needle)?))
    })
    .await
}

/// Marks file `index` viewed or not; returns how many files are viewed.
#[tauri::command]
pub async fn set_viewed(app: AppHandle, index: u32, viewed: bool) -> Result<u32, UiError> {
    blocking(app, move |s| {
        s.with_review(|r, store| Ok(r.set_viewed(store, index as usize, viewed)?))
    })
    .await
}

/// One side of an image file as a `data:` URL.
#[tauri::command]
pub async fn image_data_url(app: AppHandle, index: u32, side: Side) -> Result<String, UiError> {
    blocking(app, move |s| {
        s.with_review(|r, store| Ok(r.image_data_url(store, index as usize, side)?))
    })
    .await
}
