//! The desktop shell: wires `vetter-core` to the window through a few short commands.

pub mod commands;
pub mod error;

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use vetter_core::review::ReviewSession;
use vetter_core::store::Store;

use crate::error::UiError;

/// State shared by every command.
pub struct AppState {
    /// Folder that holds the SQLite cache.
    pub data_dir: PathBuf,
    /// The cache, opened on first use so that a broken data folder is reported by the command
    /// that needed it instead of stopping the app.
    store: Mutex<Option<Store>>,
    /// The review the reviewer has open, if any.
    review: Mutex<Option<ReviewSession>>,
}

impl AppState {
    /// State over the cache in `data_dir`.
    pub fn new(data_dir: PathBuf) -> AppState {
        AppState {
            data_dir,
            store: Mutex::new(None),
            review: Mutex::new(None),
        }
    }

    /// Runs `f` with the open cache (opening it if needed).
    pub fn with_store<T>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, UiError>,
    ) -> Result<T, UiError> {
        let mut guard = lock(&self.store);
        if guard.is_none() {
            *guard = Some(Store::open(&self.data_dir)?);
        }
        match guard.as_mut() {
            Some(store) => f(store),
            None => Err(UiError::app("the cache could not be opened")),
        }
    }

    /// Runs `f` with the open review and the cache; an error when no review is open.
    pub fn with_review<T>(
        &self,
        f: impl FnOnce(&mut ReviewSession, &Store) -> Result<T, UiError>,
    ) -> Result<T, UiError> {
        let mut review = lock(&self.review);
        let session = review
            .as_mut()
            .ok_or_else(|| UiError::app("no review is open; pick an add-on and two versions"))?;
        self.with_store(|store| f(session, store))
    }

    /// Replaces the open review.
    pub fn set_review(&self, session: ReviewSession) {
        *lock(&self.review) = Some(session);
    }
}

/// Locks a mutex, recovering the data if a previous holder panicked: every value kept here is
/// valid between calls, so a panic in one command must not wedge the others.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Picks the data folder: `--data-dir DIR` on the command line, else `$VETTER_DATA_DIR`, else the
/// OS's per-user data folder.
fn data_dir_from_args() -> PathBuf {
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--data-dir" {
            if let Some(dir) = args.next() {
                return PathBuf::from(dir);
            }
        } else if let Some(dir) = arg.to_str().and_then(|a| a.strip_prefix("--data-dir=")) {
            return PathBuf::from(dir);
        }
    }
    vetter_core::info::default_data_dir()
}

/// Starts the app and blocks until its window closes.
pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("VETTER_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let state = AppState::new(data_dir_from_args());
    tracing::info!(data_dir = %state.data_dir.display(), "starting Vetter");
    tauri::Builder::default()
        .manage(state)
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::cached_addons,
            commands::import_xpi,
            commands::open_review,
            commands::view_file,
            commands::file_rows,
            commands::expand_gap,
            commands::find_in_file,
            commands::set_viewed,
            commands::image_data_url,
            commands::flow::server_status,
            commands::flow::login,
            commands::flow::logout,
            commands::flow::local_queues,
            commands::flow::queue_entries,
            commands::flow::sync_now,
            commands::flow::decision_target,
            commands::flow::decide,
            commands::flow::outbox_entries,
            commands::flow::push_outbox,
            commands::audit::search_cache,
            commands::audit::addon_links,
            commands::audit::version_notes,
            commands::audit::add_line_note,
            commands::audit::delete_line_note,
            commands::audit::default_report_dir,
            commands::audit::export_report,
            commands::audit::reveal_line,
            commands::audit::rule_files,
            commands::audit::add_rule_text,
            commands::audit::add_rule_path,
            commands::audit::remove_rule,
            commands::audit::set_rule_enabled,
            commands::audit::scan_open_review,
            commands::review_summary,
            commands::audit::notes_summary,
        ])
        .run(tauri::generate_context!())
        .expect("the Tauri runtime failed to start");
}
