//! The reviewer's flow with the server: account, queues, sync, decisions and the outbox.
//!
//! Each command is an adapter over `vetter_client::{flow, sync, outbox, credentials}`, the same
//! engines the `vetter` CLI runs, with the OS keyring as the only place secrets live. Network
//! work runs on the blocking pool with its own small runtime, so the window never waits on it
//! and no cache connection is held across the event loop.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use vetter_protocol::vetter::{Presence, Viewer};

use tauri::ipc::Channel;
use tauri::{AppHandle, Manager};
use vetter_client::credentials::{self, CredentialStore, KeyringStore, LoginOutcome};
use vetter_client::flow::{
    self, CredentialHome, DecideReport, FlowError, LaunchLogin, ServerStatus, SyncReport,
};
use vetter_client::kept::KeptDecision;
use vetter_client::outbox::{DecisionTarget, Outbox, OutboxEntry, OutboxError, PushSummary};
use vetter_client::sync::{self, LocalEntry, LocalQueue, SyncError, SyncProgress};
use vetter_decision::signing::SecretText;
use vetter_decision::{Action, DecisionInput};
use vetter_protocol::vocabulary::Vocabulary;

use super::{blocking, network_runtime};
use crate::error::{ErrorCode, Field, UiError};

fn ui(code: ErrorCode, err: impl std::fmt::Display) -> UiError {
    UiError::new(code, err)
}

fn flow_error(err: FlowError) -> UiError {
    let code = match &err {
        // The field goes in the code, so the form can show the message next to that input.
        FlowError::Invalid(problem) => ErrorCode::Invalid(Field(problem.field.clone())),
        FlowError::NoServer => ErrorCode::NoServer,
        FlowError::Credentials(_) => ErrorCode::Credentials,
        _ => ErrorCode::Flow,
    };
    ui(code, err)
}

/// Runs an async core call to completion on the blocking pool, with the data folder and the
/// store the account's secrets are read from.
async fn run<T: Send + 'static, F: Future<Output = Result<T, UiError>>>(
    app: AppHandle,
    f: impl FnOnce(PathBuf, Arc<dyn CredentialStore>) -> F + Send + 'static,
) -> Result<T, UiError> {
    blocking(app, move |s| {
        network_runtime()?.block_on(f(s.data_dir.clone(), s.credentials()))
    })
    .await
}

/// The remembered server, the account stored for it and the last sync time.
#[tauri::command]
pub async fn server_status(app: AppHandle) -> Result<ServerStatus, UiError> {
    blocking(app, |s| {
        flow::server_status(&*s.credentials(), &s.data_dir).map_err(flow_error)
    })
    .await
}

/// Logs in with the credentials the app was started with (`--login-from-env`, as the demo
/// does), once: `None` when there were none or the login already ran. When no OS keyring can be
/// used, the secrets are kept in memory for this run only, and the reply says so and why.
#[tauri::command]
pub async fn launch_login(app: AppHandle) -> Result<Option<LaunchLogin>, UiError> {
    let state = app.state::<crate::AppState>();
    let Some(handed) = state.take_handed_login() else {
        return Ok(None);
    };
    let session = state.session_store();
    let login = run(app.clone(), move |data_dir, _| async move {
        flow::login_keyring_or_session(
            &KeyringStore,
            &*session,
            &data_dir,
            &handed.server,
            &handed.api_key,
            handed.api_secret.as_str(),
        )
        .await
        .map_err(flow_error)
    })
    .await?;
    if matches!(login.kept_in, CredentialHome::Session { .. }) {
        app.state::<crate::AppState>().use_session_store();
    }
    Ok(Some(login))
}

/// Logs in to `server` with an API key and secret: the server checks them, the keyring keeps
/// them, and the signing key is made (first time) and registered. The secret is dropped (and
/// zeroed) when the call ends. Replacing a remembered server needs the reviewer's yes in a
/// native dialog first: decisions and keys go wherever the server is, so a page alone must not
/// be able to move them.
#[tauri::command]
pub async fn login(
    app: AppHandle,
    server: String,
    api_key: String,
    api_secret: String,
) -> Result<LoginOutcome, UiError> {
    let secret = SecretText::new(api_secret);
    let asking = app.clone();
    let asked = server.clone();
    blocking(app.clone(), move |s| {
        let Some(current) =
            sync::remembered_server(&s.data_dir).map_err(|e| ui(ErrorCode::Sync, e))?
        else {
            return Ok(());
        };
        let wanted = vetter_protocol::routes::normalize_server(&asked)
            .map_err(|e| ui(ErrorCode::Credentials, e))?;
        if wanted == current {
            return Ok(());
        }
        let message = format!(
            "Change the review server from {current} to {wanted}? Decisions will be signed for \
             and sent to {wanted}."
        );
        if s.dialogs.confirm(
            &asking,
            "Change the review server",
            &message,
            "Change server",
        ) {
            Ok(())
        } else {
            Err(ui(
                ErrorCode::Credentials,
                format!(
                    "the review server stays {current}: changing it to {wanted} was not confirmed"
                ),
            ))
        }
    })
    .await?;
    run(app, move |data_dir, store| async move {
        let outcome = credentials::login(&*store, &server, api_key.trim(), secret.as_str())
            .await
            .map_err(|e| ui(ErrorCode::Credentials, e))?;
        // The server as the login spelt it, so the keyring account and the remembered server
        // agree.
        sync::remember_server(&data_dir, &outcome.server).map_err(|e| ui(ErrorCode::Sync, e))?;
        Ok(outcome)
    })
    .await
}

/// Removes every secret of the remembered server from the keyring; returns how many.
#[tauri::command]
pub async fn logout(app: AppHandle) -> Result<usize, UiError> {
    blocking(app, |s| {
        let server = flow::server(&s.data_dir).map_err(flow_error)?;
        credentials::logout(&*s.credentials(), &server).map_err(|e| ui(ErrorCode::Credentials, e))
    })
    .await
}

/// The cached queues with their entry counts (works offline).
#[tauri::command]
pub async fn local_queues(app: AppHandle) -> Result<Vec<LocalQueue>, UiError> {
    blocking(app, |s| {
        sync::local_queues(&s.data_dir).map_err(|e: SyncError| ui(ErrorCode::Sync, e))
    })
    .await
}

/// The words for the server's codes (queues, reasons, flags, weight factors, actions): what it
/// served at the last sync over AMO's names (works offline).
#[tauri::command]
pub async fn vocabulary(app: AppHandle) -> Result<Vocabulary, UiError> {
    blocking(app, |s| flow::vocabulary(&s.data_dir).map_err(flow_error)).await
}

/// The cached entries of `queue` (every queue when absent), soonest due first.
#[tauri::command]
pub async fn queue_entries(
    app: AppHandle,
    queue: Option<String>,
) -> Result<Vec<LocalEntry>, UiError> {
    blocking(app, move |s| {
        sync::local_entries(&s.data_dir, queue.as_deref()).map_err(|e| ui(ErrorCode::Sync, e))
    })
    .await
}

/// Pushes the outbox, then pulls from the server, reporting the pull on `on_progress`.
#[tauri::command]
pub async fn sync_now(
    app: AppHandle,
    on_progress: Channel<SyncProgress>,
) -> Result<SyncReport, UiError> {
    let indexing = app.clone();
    let report = run(app, move |data_dir, store| async move {
        let report = |p: SyncProgress| {
            // A closed window cannot take the progress; the sync goes on regardless.
            let _ = on_progress.send(p);
        };
        flow::sync_round(&*store, &data_dir, &report)
            .await
            .map_err(flow_error)
    })
    .await?;
    // What the sync downloaded is indexed for search in the background.
    let state = indexing.state::<crate::AppState>();
    state.indexer.kick(state.data_dir.clone());
    Ok(report)
}

/// What a decision on the review's new version (`cached_version_id`, opened as server version
/// `remote_version_id` when it came from a queue entry) would be about, and the actions
/// offered for it. The same file under several server versions is refused as ambiguous.
#[tauri::command]
pub async fn decision_target(
    app: AppHandle,
    cached_version_id: i64,
    remote_version_id: Option<i64>,
) -> Result<DecisionTarget, UiError> {
    blocking(app, move |s| {
        Outbox::open(&s.data_dir)
            .and_then(|o| o.target_of_cached(cached_version_id, remote_version_id))
            .map_err(|e: OutboxError| ui(ErrorCode::Outbox, e))
    })
    .await
}

/// The decision form's fields as the core's input (the form takes no line comments).
fn form_input(
    reasons: Vec<String>,
    comments: String,
    versions: Vec<i64>,
    delayed_rejection_days: Option<u32>,
) -> DecisionInput {
    DecisionInput {
        versions,
        reasons,
        comments,
        line_comments: Vec::new(),
        delayed_rejection_days,
    }
}

/// Validates, signs and records a decision in the outbox, then, if `send`, pushes it when the
/// server answers.
#[tauri::command]
// One IPC argument per input of the decision form, named as the form names them.
#[allow(clippy::too_many_arguments)]
pub async fn decide(
    app: AppHandle,
    cached_version_id: i64,
    remote_version_id: Option<i64>,
    action: Action,
    reasons: Vec<String>,
    comments: String,
    versions: Vec<i64>,
    delayed_rejection_days: Option<u32>,
    send: bool,
) -> Result<DecideReport, UiError> {
    let input = form_input(reasons, comments, versions, delayed_rejection_days);
    run(app, move |data_dir, store| async move {
        flow::decide(
            &*store,
            &data_dir,
            cached_version_id,
            remote_version_id,
            action,
            input,
            send,
        )
        .await
        .map_err(flow_error)
    })
    .await
}

/// Signs and keeps a decision on a version fetched from a plain AMO (which has no decision
/// API), returning the comment for AMO's review page.
#[tauri::command]
// One IPC argument per input of the decision form, named as the form names them.
#[allow(clippy::too_many_arguments)]
pub async fn decide_locally(
    app: AppHandle,
    cached_version_id: i64,
    remote_version_id: Option<i64>,
    action: Action,
    reasons: Vec<String>,
    comments: String,
    versions: Vec<i64>,
    delayed_rejection_days: Option<u32>,
) -> Result<KeptDecision, UiError> {
    let input = form_input(reasons, comments, versions, delayed_rejection_days);
    blocking(app, move |s| {
        flow::decide_locally(
            &*s.credentials(),
            &s.data_dir,
            cached_version_id,
            remote_version_id,
            action,
            input,
        )
        .map_err(flow_error)
    })
    .await
}

/// Opens AMO's review page of a decision kept locally in the default browser. The URL is the
/// one stored with the decision (the AMO instance and AMO's route), never text from a page.
#[tauri::command]
pub async fn open_review_page(app: AppHandle, decision_id: String) -> Result<String, UiError> {
    let opener = app.clone();
    let url = blocking(app, move |s| {
        Outbox::open(&s.data_dir)
            .and_then(|o| o.kept_decision(&decision_id))
            .map_err(|e| ui(ErrorCode::Outbox, e))?
            .map(|k| k.review_url)
            .ok_or_else(|| {
                ui(
                    ErrorCode::Outbox,
                    format!("no decision {decision_id} is kept locally"),
                )
            })
    })
    .await?;
    use tauri_plugin_opener::OpenerExt;
    opener
        .opener()
        .open_url(&url, None::<&str>)
        .map_err(|e| ui(ErrorCode::Open, format!("cannot open {url}: {e}")))?;
    Ok(url)
}

/// Every decision in the outbox, newest first.
#[tauri::command]
pub async fn outbox_entries(app: AppHandle) -> Result<Vec<OutboxEntry>, UiError> {
    blocking(app, |s| {
        Outbox::open(&s.data_dir)
            .and_then(|o| o.entries(None))
            .map_err(|e| ui(ErrorCode::Outbox, e))
    })
    .await
}

/// Says the reviewer has add-on `addon_id`'s review open; answers who else has.
#[tauri::command]
pub async fn touch_presence(app: AppHandle, addon_id: i64) -> Result<Vec<Viewer>, UiError> {
    run(app, move |data_dir, store| async move {
        flow::touch_presence(&*store, &data_dir, addon_id)
            .await
            .map_err(flow_error)
    })
    .await
}

/// Says the reviewer closed add-on `addon_id`'s review.
#[tauri::command]
pub async fn leave_presence(app: AppHandle, addon_id: i64) -> Result<(), UiError> {
    run(app, move |data_dir, store| async move {
        flow::leave_presence(&*store, &data_dir, addon_id)
            .await
            .map_err(flow_error)
    })
    .await
}

/// Every add-on whose review other reviewers have open, for the queue.
#[tauri::command]
pub async fn presence(app: AppHandle) -> Result<Vec<Presence>, UiError> {
    run(app, move |data_dir, store| async move {
        flow::presence(&*store, &data_dir).await.map_err(flow_error)
    })
    .await
}

/// Sends the waiting decisions now.
#[tauri::command]
pub async fn push_outbox(app: AppHandle) -> Result<PushSummary, UiError> {
    run(app, move |data_dir, store| async move {
        flow::push_outbox(&*store, &data_dir)
            .await
            .map_err(flow_error)
    })
    .await
}
