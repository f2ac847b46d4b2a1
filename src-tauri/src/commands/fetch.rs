//! "Open from AMO": fetches an add-on's versions from the AMO instance the app was started with
//! (`--amo`, else addons.mozilla.org) into the cache, an adapter over `vetter_client::fetch`, the
//! engine `vetter fetch` runs.
//!
//! Requests are signed with the API key stored for that AMO origin when the credential store
//! holds one, and anonymous otherwise (public versions only). One fetch runs at a time.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tauri::AppHandle;
use tauri::ipc::Channel;
use vetter_client::credentials::{CredentialError, CredentialStore, load_credentials};
use vetter_client::fetch::{self, FetchError, FetchOptions, FetchProgress, FetchReport};
use vetter_protocol::auth::Credentials;

use super::{blocking, network_runtime};
use crate::error::{ErrorCode, UiError};

/// The longest the window waits between two progress messages of one step: a download reports
/// every chunk, far more often than a status line can be read.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// Marks a fetch as running until dropped.
struct Running<'a>(&'a AtomicBool);

impl<'a> Running<'a> {
    /// Takes the one fetch slot, or says that a fetch is already running.
    fn start(flag: &'a AtomicBool) -> Result<Running<'a>, UiError> {
        if flag
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return Err(UiError::new(
                ErrorCode::Busy,
                "a fetch from AMO is already running; wait for it to finish, then fetch again",
            ));
        }
        Ok(Running(flag))
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// Passes on the progress messages a reader can follow: every change of phase or of the count
/// of finished versions, and in between at most one per [`PROGRESS_EVERY`].
struct Throttle {
    last: Mutex<Option<(Instant, FetchProgress)>>,
}

impl Throttle {
    fn new() -> Throttle {
        Throttle {
            last: Mutex::new(None),
        }
    }

    /// Whether `p` should be sent now.
    fn admit(&self, p: &FetchProgress, now: Instant) -> bool {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let send = match &*last {
            None => true,
            Some((at, before)) => {
                before.phase != p.phase
                    || before.done != p.done
                    || before.total != p.total
                    || now.duration_since(*at) >= PROGRESS_EVERY
            }
        };
        if send {
            *last = Some((now, p.clone()));
        }
        send
    }
}

/// The API key stored for `amo`, if any; `None` (anonymous) when there is none or the store
/// cannot be read, which is logged.
fn stored_credentials(store: &dyn CredentialStore, amo: &str) -> Option<Credentials> {
    match load_credentials(store, amo) {
        Ok(credentials) => Some(credentials),
        Err(CredentialError::NotLoggedIn { .. }) => None,
        Err(e) => {
            tracing::warn!(%amo, error = %e, "no stored AMO key could be read; fetching anonymously");
            None
        }
    }
}

/// A fetch error as the window shows it: the core's message, which names the problem.
fn fetch_error(err: FetchError) -> UiError {
    let code = match &err {
        FetchError::BadReference(_) => ErrorCode::FetchReference,
        FetchError::Insecure { .. } | FetchError::OtherOrigin { .. } => ErrorCode::FetchAmo,
        FetchError::NotFound { .. } | FetchError::NoVersions { .. } => ErrorCode::FetchNotFound,
        FetchError::Store(_) | FetchError::Io { .. } => ErrorCode::FetchCache,
        FetchError::Protocol(_) => ErrorCode::FetchNetwork,
    };
    UiError::new(code, err)
}

/// Fetches the add-on `reference` names (an AMO page or API URL, a slug, a guid or an id) from
/// the app's AMO instance into the cache, reporting progress on `on_progress`; the reply lists
/// what happened to each version, newest first. Refused while another fetch runs.
#[tauri::command]
pub async fn fetch_from_amo(
    app: AppHandle,
    reference: String,
    on_progress: Channel<FetchProgress>,
) -> Result<FetchReport, UiError> {
    blocking(app, move |s| {
        let _running = Running::start(&s.fetching)?;
        let mut options = FetchOptions::new(&s.amo, &s.data_dir);
        options.credentials = stored_credentials(&*s.credentials(), &options.amo);
        for host in &s.download_hosts {
            if !options.download_origins.contains(host) {
                options.download_origins.push(host.clone());
            }
        }
        let runtime = network_runtime()?;
        let throttle = Throttle::new();
        let report = |p: FetchProgress| {
            if throttle.admit(&p, Instant::now()) {
                // A closed window cannot take the progress; the fetch goes on regardless.
                let _ = on_progress.send(p);
            }
        };
        runtime
            .block_on(fetch::fetch(&reference, &options, &report))
            .map_err(fetch_error)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use vetter_client::credentials::{MemoryStore, Secret};
    use vetter_client::fetch::FetchPhase;

    #[test]
    fn a_second_fetch_is_refused_while_one_runs() {
        let flag = AtomicBool::new(false);
        let first = Running::start(&flag).unwrap();
        let refused = Running::start(&flag).err().unwrap();
        assert_eq!(refused.code, ErrorCode::Busy);
        assert!(refused.message.contains("already running"));
        drop(first);
        assert!(Running::start(&flag).is_ok());
    }

    #[test]
    fn progress_is_thinned_within_a_step_but_every_step_is_sent() {
        let t = Throttle::new();
        let start = Instant::now();
        let p = |phase, done, bytes| FetchProgress {
            phase,
            done,
            total: 3,
            bytes,
            message: String::new(),
        };
        assert!(t.admit(&p(FetchPhase::Downloading, 0, 0), start));
        assert!(!t.admit(&p(FetchPhase::Downloading, 0, 10), start));
        assert!(t.admit(&p(FetchPhase::Downloading, 1, 20), start));
        assert!(!t.admit(&p(FetchPhase::Downloading, 1, 30), start));
        assert!(t.admit(&p(FetchPhase::Downloading, 1, 40), start + PROGRESS_EVERY));
        assert!(t.admit(&p(FetchPhase::Done, 1, 40), start + PROGRESS_EVERY));
    }

    #[test]
    fn a_stored_key_signs_and_none_is_anonymous() {
        let store = MemoryStore::default();
        assert!(stored_credentials(&store, "https://amo.example.org").is_none());
        store
            .set("https://amo.example.org", Secret::ApiKey, "user:1:2")
            .unwrap();
        store
            .set("https://amo.example.org", Secret::ApiSecret, "s3cret")
            .unwrap();
        let c = stored_credentials(&store, "https://amo.example.org").unwrap();
        assert_eq!(c.key(), "user:1:2");
        assert!(stored_credentials(&store, "https://other.example.org").is_none());
    }
}
