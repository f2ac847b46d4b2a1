//! The desktop shell: wires the Vetter crates (review, client, store, rules…) to the window through
//! short commands.

pub mod commands;
pub mod error;
pub mod ipc;
pub mod launch;

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard};

use tauri::Manager;
use vetter_client::credentials::{CredentialStore, KeyringStore, MemoryStore};
use vetter_review::ReviewSession;
use vetter_store::Store;

use crate::error::UiError;
use crate::launch::{HandedLogin, Launch};

/// State shared by every command.
pub struct AppState {
    /// Folder that holds the SQLite cache.
    pub data_dir: PathBuf,
    /// The AMO instance "Open from AMO" fetches from (`--amo`, `$VETTER_AMO`, else AMO).
    pub amo: String,
    /// Origins besides the AMO instance its downloads may be redirected to (`--download-host`).
    pub download_hosts: Vec<String>,
    /// Set while a fetch from AMO runs: one at a time.
    pub(crate) fetching: AtomicBool,
    /// The cache, opened on first use so that a broken data folder is reported by the command
    /// that needed it instead of stopping the app.
    store: Mutex<Option<Store>>,
    /// The review the reviewer has open, if any.
    review: Mutex<Option<ReviewSession>>,
    /// Where the account's secrets are read: the OS keyring, unless a launch login found none
    /// usable and switched to `session`.
    credentials: Mutex<Arc<dyn CredentialStore>>,
    /// Secrets kept for this run only, in memory (see `launch_login`).
    session: Arc<MemoryStore>,
    /// Credentials handed over at launch, until the window asks for the login.
    handed: Mutex<Option<HandedLogin>>,
}

impl AppState {
    /// State over the cache in `data_dir`, with secrets in the OS keyring, fetching from
    /// addons.mozilla.org.
    pub fn new(data_dir: PathBuf) -> AppState {
        AppState {
            data_dir,
            amo: vetter_client::fetch::DEFAULT_AMO.to_owned(),
            download_hosts: Vec::new(),
            fetching: AtomicBool::new(false),
            store: Mutex::new(None),
            review: Mutex::new(None),
            credentials: Mutex::new(Arc::new(KeyringStore)),
            session: Arc::new(MemoryStore::default()),
            handed: Mutex::new(None),
        }
    }

    /// Where the account's secrets are read and written now.
    pub fn credentials(&self) -> Arc<dyn CredentialStore> {
        lock(&self.credentials).clone()
    }

    /// The in-memory store for this run's secrets.
    pub fn session_store(&self) -> Arc<MemoryStore> {
        self.session.clone()
    }

    /// From now on, reads secrets from the in-memory session store.
    pub fn use_session_store(&self) {
        *lock(&self.credentials) = self.session.clone();
    }

    /// The credentials handed over at launch, once: a second call gets `None`.
    pub fn take_handed_login(&self) -> Option<HandedLogin> {
        lock(&self.handed).take()
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

/// Starts the app and blocks until its window closes.
///
/// Options: `--data-dir DIR` (else `$VETTER_DATA_DIR`, else the OS's per-user data folder);
/// `--server URL`, remembered as the review server; `--login-from-env`, a login to that server
/// with `VETTER_API_KEY` and `VETTER_API_SECRET` once the window is up; `--amo URL` (else
/// `$VETTER_AMO`, else addons.mozilla.org), the AMO instance add-ons are fetched from, and
/// `--download-host URL` (repeatable), an origin its downloads may be redirected to.
pub fn run() {
    let launch = Launch::parse(std::env::args_os().skip(1));
    // First, while this is the only thread: the secret leaves the environment.
    let handed = launch.take_handed_login();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("VETTER_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let mut state = AppState::new(launch.data_dir());
    state.amo = launch.amo();
    state.download_hosts = launch.download_hosts.clone();
    tracing::info!(data_dir = %state.data_dir.display(), amo = %state.amo, "starting Vetter");
    if let Some(server) = &launch.server {
        match vetter_client::sync::remember_server(&state.data_dir, server) {
            Ok(()) => tracing::info!(%server, "review server set from the command line"),
            Err(e) => tracing::error!(%server, error = %e, "cannot remember the review server"),
        }
    }
    match handed {
        Ok(handed) => *lock(&state.handed) = handed,
        Err(problem) => tracing::error!("{problem}"),
    }
    tauri::Builder::default()
        .plugin(tauri_plugin_opener::init())
        .manage(state)
        .setup(|app| {
            let configured = app.config().app.windows.iter().find(|w| w.label == "main");
            if let (Some(window), Some(config)) = (app.get_webview_window("main"), configured)
                && let Err(e) = launch::fit_to_screen(&window, config.width, config.height)
            {
                tracing::warn!(error = %e, "cannot fit the window to the screen");
            }
            Ok(())
        })
        // Every #[tauri::command] function, listed by build.rs: a command is declared once.
        .invoke_handler(include!(concat!(env!("OUT_DIR"), "/invoke_handler.rs")))
        .run(tauri::generate_context!())
        .expect("the Tauri runtime failed to start");
}
