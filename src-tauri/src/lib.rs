//! The desktop shell: wires the Vetter crates (review, client, store, rules…) to the window through
//! short commands.

pub mod commands;
pub mod dialogs;
pub mod error;
pub mod handoff;
pub mod ipc;
pub mod launch;

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard};

use tauri::webview::{NewWindowResponse, WebviewWindowBuilder};
use tauri::{Emitter, Manager};
use vetter_client::credentials::{CredentialStore, KeyringStore, MemoryStore};
use vetter_review::ReviewSession;
use vetter_store::Store;

use crate::dialogs::Dialogs;
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
    /// Brings the search index up to date after each import and sync, off the window's way.
    pub(crate) indexer: vetter_review::search::BackgroundIndexer,
    /// The native dialogs paths and confirmations come from (or the tests' answers file).
    pub dialogs: Dialogs,
    /// The cache, opened on first use so that a broken data folder is reported by the command
    /// that needed it instead of stopping the app.
    store: Mutex<Option<Store>>,
    /// The review the reviewer has open, if any.
    review: Mutex<Option<ReviewSession>>,
    /// The next queue entry's review, opened and counted ahead (see `prepare_review`), with
    /// when it was prepared.
    prepared: Mutex<Option<(std::time::Instant, ReviewSession)>>,
    /// Where the account's secrets are read: the OS keyring, unless a launch login found none
    /// usable and switched to `session`.
    credentials: Mutex<Arc<dyn CredentialStore>>,
    /// Secrets kept for this run only, in memory (see `launch_login`).
    session: Arc<MemoryStore>,
    /// Credentials handed over at launch, until the window asks for the login.
    handed: Mutex<Option<HandedLogin>>,
    /// A `vetter://` link handed over at launch, until the window asks for it.
    link: Mutex<Option<String>>,
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
            indexer: Default::default(),
            dialogs: Dialogs::default(),
            store: Mutex::new(None),
            review: Mutex::new(None),
            prepared: Mutex::new(None),
            credentials: Mutex::new(Arc::new(KeyringStore)),
            session: Arc::new(MemoryStore::default()),
            handed: Mutex::new(None),
            link: Mutex::new(None),
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

    /// The link handed over at launch, once: a second call gets `None`.
    pub fn take_launch_link(&self) -> Option<String> {
        lock(&self.link).take()
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

    /// The cache versions the open review and the one prepared ahead show, which a prune keeps.
    pub fn open_versions(&self) -> Vec<i64> {
        let mut ids = Vec::new();
        if let Some(r) = lock(&self.review).as_ref() {
            ids.extend([r.summary().old.id, r.summary().new.id]);
        }
        if let Some((_, r)) = lock(&self.prepared).as_ref() {
            ids.extend([r.summary().old.id, r.summary().new.id]);
        }
        ids
    }

    /// Keeps `session` as the review prepared ahead, replacing an earlier one.
    pub fn set_prepared(&self, session: ReviewSession) {
        *lock(&self.prepared) = Some((std::time::Instant::now(), session));
    }

    /// The review prepared ahead for `old` → `new` under `whitespace`, taken out of its slot,
    /// if one was prepared in the last [`PREPARED_FOR`] (older ones may miss viewed marks or
    /// signals added since).
    pub fn take_prepared(
        &self,
        old: i64,
        new: i64,
        whitespace: vetter_diff::Whitespace,
    ) -> Option<ReviewSession> {
        let mut slot = lock(&self.prepared);
        match slot.take() {
            Some((at, s)) if at.elapsed() < PREPARED_FOR && s.is_pair(old, new, whitespace) => {
                Some(s)
            }
            other => {
                *slot = other;
                None
            }
        }
    }
}

/// How long a review prepared ahead is used: about the time a reviewer spends on one entry.
pub const PREPARED_FOR: std::time::Duration = std::time::Duration::from_secs(600);

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
/// `--download-host URL` (repeatable), an origin its downloads may be redirected to; a
/// `vetter://` link, opened once the window is up.
pub fn run() {
    let launch = Launch::parse(std::env::args_os().skip(1));
    // First, while this is the only thread: the secret leaves the environment.
    let handed = launch.take_handed_login();
    let dialogs = Dialogs::from_launch_environment();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("VETTER_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    if launch.register_link_handler {
        std::process::exit(register_link_handler());
    }
    let data_dir = launch.data_dir();
    // A link opened on the desktop goes to the window already open on this data folder.
    if let Some(link) = &launch.link {
        match handoff::hand_over(&data_dir, link) {
            Ok(true) => {
                tracing::info!("link handed to the Vetter already running on this data folder");
                return;
            }
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "the running Vetter did not take the link"),
        }
    }
    let mut state = AppState::new(data_dir);
    state.amo = launch.amo();
    state.download_hosts = launch.download_hosts.clone();
    state.dialogs = dialogs;
    *lock(&state.link) = launch.link.clone();
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
        .plugin(tauri_plugin_dialog::init())
        .manage(state)
        .setup(|app| {
            // The window is made here (tauri.conf.json says `create: false`) so that its
            // navigation and new-window hooks exist before the page loads.
            let Some(config) = app.config().app.windows.iter().find(|w| w.label == "main") else {
                return Err("tauri.conf.json has no window labelled main".into());
            };
            // The dev server counts only in a dev build; a release never loads it.
            let dev = app
                .config()
                .build
                .dev_url
                .clone()
                .filter(|_| tauri::is_dev());
            let window = WebviewWindowBuilder::from_config(app, config)?
                .on_navigation(move |url| {
                    let allowed = is_app_url(url, dev.as_ref());
                    if !allowed {
                        tracing::warn!(%url, "navigation away from the app refused");
                    }
                    allowed
                })
                .on_new_window(|url, _| {
                    tracing::warn!(%url, "new window refused");
                    NewWindowResponse::Deny
                })
                .build()?;
            if let Err(e) = launch::fit_to_screen(&window, config.width, config.height) {
                tracing::warn!(error = %e, "cannot fit the window to the screen");
            }
            listen_for_links(app.handle());
            Ok(())
        })
        // Every #[tauri::command] function, listed by build.rs: a command is declared once.
        .invoke_handler(include!(concat!(env!("OUT_DIR"), "/invoke_handler.rs")))
        .run(tauri::generate_context!())
        .expect("the Tauri runtime failed to start");
}

/// Takes links handed over by later starts (see `handoff.rs`): each is kept for the window
/// (which takes it with `launch_link` when told `link-arrived`), and the window comes forward.
fn listen_for_links(app: &tauri::AppHandle) {
    let data_dir = app.state::<AppState>().data_dir.clone();
    let handle = app.clone();
    let listening = std::fs::create_dir_all(&data_dir).and_then(|()| {
        handoff::listen(&data_dir, move |link| {
            *lock(&handle.state::<AppState>().link) = Some(link);
            if let Some(window) = handle.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.set_focus();
            }
            if let Err(e) = handle.emit("link-arrived", ()) {
                tracing::warn!(error = %e, "cannot tell the window a link arrived");
            }
        })
    });
    if let Err(e) = listening {
        tracing::warn!(error = %e, "links opened on the desktop will start another window");
    }
}

/// `--register-link-handler`: registers this program as the opener of `vetter://` links for
/// this user; the exit status.
fn register_link_handler() -> i32 {
    let registered = std::env::current_exe().and_then(|program| {
        let (data, config) = handoff::xdg_homes()
            .ok_or_else(|| std::io::Error::other("neither $HOME nor the XDG folders are set"))?;
        handoff::register(&program, &data, &config)
    });
    match registered {
        Ok((entry, list)) => {
            println!(
                "vetter:// links now open with this program ({}; default in {})",
                entry.display(),
                list.display()
            );
            0
        }
        Err(e) => {
            eprintln!("cannot register the vetter:// link handler: {e}");
            1
        }
    }
}

/// Whether `url` is one of the app's own pages: its files as each platform serves them
/// (`tauri://localhost`, `http(s)://tauri.localhost`), or the dev server `dev` in a dev build.
/// Navigation anywhere else, by a link or by script, is refused. Scheme and host are compared
/// one by one, since `tauri:` and `data:` URLs both have an opaque ("null") origin.
fn is_app_url(url: &tauri::Url, dev: Option<&tauri::Url>) -> bool {
    let host = url.host_str();
    match url.scheme() {
        "tauri" => host == Some("localhost"),
        "http" | "https" if host == Some("tauri.localhost") => true,
        _ => dev.is_some_and(|dev| {
            url.scheme() == dev.scheme()
                && host == dev.host_str()
                && url.port_or_known_default() == dev.port_or_known_default()
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_apps_own_pages_may_be_shown() {
        let url = |u: &str| tauri::Url::parse(u).unwrap();
        let dev = url("http://localhost:5173");
        let allowed = |u: &str| is_app_url(&url(u), None);
        assert!(allowed("tauri://localhost/index.html#/review"));
        assert!(allowed("http://tauri.localhost/"));
        assert!(!allowed("tauri://evil.example/"));
        assert!(!allowed("http://127.0.0.1:8787/"));
        assert!(!allowed("https://addons.mozilla.org/"));
        assert!(!allowed("file:///etc/passwd"));
        assert!(!allowed("data:text/html,<p>hi</p>"));
        assert!(
            !allowed("http://localhost:5173/"),
            "not without a dev server"
        );
        assert!(is_app_url(
            &url("http://localhost:5173/#/queues"),
            Some(&dev)
        ));
        assert!(!is_app_url(&url("http://localhost:5174/"), Some(&dev)));
    }
}
