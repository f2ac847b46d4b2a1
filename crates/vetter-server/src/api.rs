//! The HTTP API (docs/api/openapi.yaml): AMO v5 read paths and Vetter's review paths.
//!
//! Every request passes the JWT check first; every 4xx/5xx body is JSON `{code, detail}` (a
//! last layer rewrites axum's plain-text rejections); path and query values are parsed by hand
//! so a malformed one is a JSON 400, never a panic.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Query, Request, State};
use axum::http::Method;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, post, put};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use vetter_decision::signing::{PublicKey, RegisteredKey, SignedDecision, Submitter, VerifyError};
use vetter_fixtures::demo::FaultSeed;
use vetter_protocol::amo::{self, Page, Translated};
use vetter_protocol::auth::{AuthError, Claims, JtiLedger, verify_authorization};
use vetter_protocol::routes;
use vetter_protocol::vetter::{
    Capabilities, EntryAddon, QueueEntry, QueueList, QueuePage, QueueSummary,
};
use vetter_protocol::vetter::{Presence, PresenceList, Viewer};
use vetter_protocol::vocabulary::Vocabulary;

use crate::limits::RateLimits;
use crate::storage::{
    DecisionOutcome, EntryRow, KeyPut, KeyRevoke, KeyRow, NewDecision, Profile, Storage,
    StorageError, VersionRow,
};

/// Largest request body accepted (decisions and keys are a few hundred bytes).
pub const MAX_BODY: usize = 64 * 1024;
/// Default and largest page of queue entries.
pub const QUEUE_PAGE: (i64, i64) = (500, 1000);
/// Default and largest page of versions (AMO's default is 25).
pub const VERSION_PAGE: (i64, i64) = (25, 50);
/// How far a decision's `decided_at` may lie ahead of the server's clock. Earlier times are
/// accepted (a decision can wait in an offline outbox for days); both times are recorded.
pub const MAX_DECISION_SKEW_SECS: i64 = 300;
/// Bytes read from storage per step of a download.
const DOWNLOAD_CHUNK: usize = 256 * 1024;

/// Shared state of the handlers.
pub struct AppState {
    /// Storage.
    pub storage: Arc<dyn Storage>,
    /// Used `jti`s: in memory for SQLite (one process), in the database for PostgreSQL, so a
    /// token cannot be replayed against another process.
    pub ledger: Arc<dyn JtiLedger + Send + Sync>,
    /// Base URL for `file.url` and page links (`http://127.0.0.1:PORT`, or `--public-url`).
    pub public_url: String,
    /// Test-only faults left to inject.
    pub faults: Mutex<Vec<FaultSeed>>,
    /// Request limits per API key and per peer (each process keeps its own).
    pub limits: RateLimits,
    /// The operator's metrics.
    pub metrics: crate::metrics::Metrics,
    /// Set once shutdown has begun: `/readyz` answers 503 while requests in flight finish.
    pub draining: std::sync::atomic::AtomicBool,
}

/// A JSON error response.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    detail: String,
    extra: Option<Value>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            detail: detail.into(),
            extra: None,
        }
    }
    fn bad_request(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", detail)
    }
    fn not_found(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", detail)
    }
}

/// A refused signed decision as a JSON error with the refusal's own status and code.
fn refused(error: &VerifyError) -> ApiError {
    ApiError::new(
        StatusCode::from_u16(error.status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY),
        error.code(),
        error.to_string(),
    )
}

impl From<StorageError> for ApiError {
    fn from(error: StorageError) -> ApiError {
        tracing::error!(error = %error, "storage error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "the server's storage failed; try again later",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({"code": self.code, "detail": self.detail});
        if let Some(extra) = self.extra {
            body["current"] = extra;
        }
        (self.status, axum::Json(body)).into_response()
    }
}

type ApiResult = Result<Response, ApiError>;

/// Every route: method, path (axum syntax, as in the spec) and handler. The spec test compares
/// this table with docs/api/openapi.yaml, so an undocumented route cannot be added silently.
fn route_table() -> Vec<(Method, &'static str, MethodRouter<Arc<AppState>>)> {
    vec![
        (Method::GET, "/api/v5/accounts/profile/", get(profile)),
        (Method::GET, routes::CAPABILITIES, get(capabilities)),
        (
            Method::GET,
            "/api/v5/addons/addon/{ident}/",
            get(addon_detail),
        ),
        (
            Method::GET,
            "/api/v5/addons/addon/{ident}/versions/",
            get(addon_versions),
        ),
        (
            Method::GET,
            "/firefox/downloads/file/{file_id}/{filename}",
            get(download),
        ),
        (Method::GET, "/api/v5/reviewers/queues/", get(queues)),
        (Method::GET, routes::VOCABULARY, get(vocabulary)),
        (
            Method::GET,
            "/api/v5/reviewers/queues/{name}/",
            get(queue_entries),
        ),
        (
            Method::GET,
            "/api/v5/reviewers/addon/{id}/signals/",
            get(signals),
        ),
        (
            Method::POST,
            "/api/v5/reviewers/addon/{id}/presence/",
            post(touch_presence),
        ),
        (
            Method::DELETE,
            "/api/v5/reviewers/addon/{id}/presence/",
            delete(leave_presence),
        ),
        (Method::GET, routes::PRESENCE, get(presence)),
        (Method::GET, "/api/v5/reviewers/keys/", get(list_keys)),
        (Method::GET, "/api/v5/reviewers/keys/{kid}/", get(get_key)),
        (Method::PUT, "/api/v5/reviewers/keys/{kid}/", put(put_key)),
        (
            Method::DELETE,
            "/api/v5/reviewers/keys/{kid}/",
            delete(revoke_key),
        ),
        (
            Method::POST,
            "/api/v5/reviewers/decisions/",
            post(post_decision),
        ),
        (
            Method::GET,
            "/api/v5/reviewers/decisions/",
            get(list_decisions),
        ),
    ]
}

/// The (method, path) of every route the router serves.
pub fn routes() -> Vec<(Method, &'static str)> {
    route_table().into_iter().map(|(m, p, _)| (m, p)).collect()
}

/// The router with every route of the spec, auth, body limit, faults and JSON errors.
pub fn router(state: Arc<AppState>) -> Router {
    let mut router = Router::new();
    for (_, path, handler) in route_table() {
        // Routes on one path merge their methods.
        router = router.route(path, handler);
    }
    router
        .fallback(|| async { ApiError::not_found("no such endpoint") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this endpoint does not take that method",
            )
        })
        .layer(middleware::from_fn_with_state(state.clone(), authenticate))
        .layer(middleware::from_fn_with_state(state.clone(), inject_faults))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(MAX_BODY))
        .layer(middleware::from_fn(json_errors))
        .with_state(state)
}

/// Rewrites non-JSON error bodies (axum's extractor rejections, the body limit) as JSON.
async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if (status.is_client_error() || status.is_server_error()) && !is_json {
        let code = match status {
            StatusCode::PAYLOAD_TOO_LARGE => "body_too_large",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
            s if s.is_server_error() => "server_error",
            _ => "bad_request",
        };
        let detail = status.canonical_reason().unwrap_or("request refused");
        let mut replaced = ApiError::new(status, code, detail).into_response();
        if let Some(retry) = response.headers().get(header::RETRY_AFTER) {
            replaced
                .headers_mut()
                .insert(header::RETRY_AFTER, retry.clone());
        }
        return replaced;
    }
    response
}

async fn authenticate(
    State(state): State<Arc<AppState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let header = request
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or("\u{fffd}").to_owned());
    let peer = request
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    // The key lookup is a SQLite read: it runs off the async workers like every other one.
    let checked = state.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        let mut profile: Option<Profile> = None;
        let mut lookup_error: Option<StorageError> = None;
        let result = verify_authorization(
            header.as_deref(),
            vetter_protocol::auth::unix_now(),
            |iss| match checked.storage.api_key(iss) {
                Ok(Some(key)) => {
                    profile = Some(key.profile);
                    Some(key.secret)
                }
                Ok(None) => None,
                Err(e) => {
                    lookup_error = Some(e);
                    None
                }
            },
            checked.ledger.as_ref(),
        );
        (result, profile, lookup_error)
    })
    .await;
    let (result, profile, lookup_error) = match outcome {
        Ok(outcome) => outcome,
        Err(_) => {
            return ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "the credential check failed",
            )
            .into_response();
        }
    };
    if let Some(e) = lookup_error {
        return ApiError::from(e).into_response();
    }
    match (result, profile) {
        (Ok(claims), Some(profile)) => {
            if let Err(wait) = state.limits.check_key(&claims.iss) {
                return too_many(wait, "requests with this API key");
            }
            request.extensions_mut().insert(profile);
            // The API key (`iss`) is who submits a signed decision.
            request.extensions_mut().insert(claims);
            next.run(request).await
        }
        (Err(e), _) => {
            // Guessing a secret is slowed per peer (a malformed token guesses nothing); a
            // reviewer's own budget is not spent by others.
            if matches!(e, AuthError::BadCredentials { .. })
                && let Some(ip) = peer
                && let Err(wait) = state.limits.check_failure(ip)
            {
                return too_many(wait, "refused credentials from this address");
            }
            let mut response =
                ApiError::new(StatusCode::UNAUTHORIZED, e.code(), e.to_string()).into_response();
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("JWT"));
            response
        }
        (Ok(_), None) => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "a verified API key has no profile",
        )
        .into_response(),
    }
}

/// A 429 answer with `Retry-After` in whole seconds (at least 1).
fn too_many(wait: std::time::Duration, what: &str) -> Response {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let secs = secs.max(1);
    let mut response = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!("too many {what}; retry in {secs} s"),
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    response
}

async fn inject_faults(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let fault = {
        let mut faults = state.faults.lock().unwrap_or_else(|p| p.into_inner());
        faults.iter_mut().find_map(|f| match f {
            FaultSeed::Status {
                path_prefix,
                status,
                retry_after,
                times,
            } if *times > 0 && path.starts_with(path_prefix.as_str()) => {
                *times -= 1;
                Some((*status, *retry_after))
            }
            _ => None,
        })
    };
    if let Some((status, retry_after)) = fault {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response =
            ApiError::new(status, "injected_fault", "test fault injected by the seed")
                .into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        return response;
    }
    next.run(request).await
}

fn json_response(status: StatusCode, value: Value) -> Response {
    (status, axum::Json(value)).into_response()
}

fn parse_id(text: &str, what: &str) -> Result<i64, ApiError> {
    text.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
        ApiError::bad_request(format!("{what} must be a positive integer, not {text:?}"))
    })
}

fn query_int(
    q: &HashMap<String, String>,
    name: &str,
    default: i64,
    min: i64,
    max: i64,
) -> Result<i64, ApiError> {
    match q.get(name) {
        None => Ok(default),
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "{name} must be an integer from {min} to {max}, not {text:?}"
                ))
            }),
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StorageError> + Send + 'static,
) -> Result<T, ApiError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result.map_err(ApiError::from),
        Err(_) => Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "a storage task failed",
        )),
    }
}

fn profile_json(p: &Profile) -> amo::Profile {
    amo::Profile {
        id: p.id,
        name: Some(p.name.clone()),
        username: Some(p.username.clone()),
        permissions: vec!["Addons:Review".to_owned()],
    }
}

fn typed(status: StatusCode, value: &impl serde::Serialize) -> Response {
    (status, axum::Json(value)).into_response()
}

async fn profile(request: Request) -> ApiResult {
    let p = request
        .extensions()
        .get::<Profile>()
        .cloned()
        .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "unknown_api_key", "no profile"))?;
    Ok(typed(StatusCode::OK, &profile_json(&p)))
}

/// The review routes this server offers, so a client can tell it from a plain AMO.
async fn capabilities() -> ApiResult {
    Ok(typed(StatusCode::OK, &Capabilities::full()))
}

fn file_status(status: &str) -> &'static str {
    match status {
        "approved" => "public",
        "unreviewed" => "unreviewed",
        _ => "disabled",
    }
}

fn version_json(state: &AppState, v: &VersionRow) -> amo::Version {
    let filename = format!("{}.xpi", v.id);
    amo::Version {
        id: v.id,
        version: v.version.clone(),
        channel: Some("listed".to_owned()),
        created: Some(v.created.clone()),
        is_deleted: Some(v.status == "deleted"),
        release_notes: Translated::Null,
        file: Some(amo::File {
            id: v.id,
            created: Some(v.created.clone()),
            hash: Some(format!("sha256:{}", v.sha256)),
            size: Some(u64::try_from(v.size).unwrap_or(0)),
            status: Some(file_status(&v.status).to_owned()),
            url: Some(format!(
                "{}{}",
                state.public_url,
                routes::download(v.id, &filename)
            )),
            permissions: v.permissions.clone(),
            optional_permissions: Vec::new(),
            host_permissions: v.host_permissions.clone(),
            is_mozilla_signed_extension: false,
        }),
    }
}

async fn addon_detail(State(state): State<Arc<AppState>>, Path(ident): Path<String>) -> ApiResult {
    let storage = state.storage.clone();
    let found = blocking(move || {
        let Some(addon) = storage.addon(&ident)? else {
            return Ok(None);
        };
        let current = storage.current_version(addon.id)?;
        Ok(Some((addon, current)))
    })
    .await?;
    let (addon, current) = found.ok_or_else(|| ApiError::not_found("no such add-on"))?;
    let detail = amo::Addon {
        id: addon.id,
        guid: Some(addon.guid.clone()),
        slug: Some(addon.slug.clone()),
        name: Translated::of("en-US", &addon.name),
        summary: Translated::of("en-US", &addon.summary),
        default_locale: Some("en-US".to_owned()),
        kind: Some("extension".to_owned()),
        status: Some(
            if current.is_some() {
                "public"
            } else {
                "nominated"
            }
            .to_owned(),
        ),
        url: Some(format!("{}/addon/{}/", state.public_url, addon.slug)),
        current_version: current.as_ref().map(|v| version_json(&state, v)),
        latest_unlisted_version: None,
    };
    Ok(typed(StatusCode::OK, &detail))
}

async fn addon_versions(
    State(state): State<Arc<AppState>>,
    Path(ident): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    let with_deleted = match q.get("filter").map(String::as_str) {
        None | Some("all_without_unlisted") | Some("all_with_unlisted") => false,
        Some("all_with_deleted") => true,
        Some(other) => return Err(ApiError::bad_request(format!("unknown filter {other:?}"))),
    };
    let page = query_int(&q, "page", 1, 1, 1_000_000)?;
    let size = query_int(&q, "page_size", VERSION_PAGE.0, 1, VERSION_PAGE.1)?;
    let storage = state.storage.clone();
    let found = blocking(move || {
        let Some(addon) = storage.addon(&ident)? else {
            return Ok(None);
        };
        Ok(Some((
            addon.id,
            storage.versions(addon.id, with_deleted, (page - 1) * size, size)?,
        )))
    })
    .await?;
    let (addon_id, (count, rows)) = found.ok_or_else(|| ApiError::not_found("no such add-on"))?;
    let link = |p: i64| {
        let filter = if with_deleted {
            "&filter=all_with_deleted"
        } else {
            ""
        };
        format!(
            "{}/api/v5/addons/addon/{addon_id}/versions/?page={p}&page_size={size}{filter}",
            state.public_url
        )
    };
    let count = u64::try_from(count).unwrap_or(0);
    let page_count = count.div_ceil(size as u64);
    let list = Page {
        count,
        next: ((page * size) < count as i64).then(|| link(page + 1)),
        previous: (page > 1).then(|| link(page - 1)),
        page_size: Some(size as u64),
        page_count: Some(page_count),
        results: rows.iter().map(|v| version_json(&state, v)).collect(),
    };
    Ok(typed(StatusCode::OK, &list))
}

/// Parses a single `bytes=START-[END]` range against `size`; `Err` means unsatisfiable.
fn parse_range(value: &str, size: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(spec) = value.strip_prefix("bytes=") else {
        return Ok(None);
    };
    let (start, end) = spec.split_once('-').ok_or(())?;
    if spec.contains(',') {
        return Err(());
    }
    let (start, end) = if start.is_empty() {
        let suffix: u64 = end.parse().map_err(|_| ())?;
        (size.saturating_sub(suffix), size.saturating_sub(1))
    } else {
        let start: u64 = start.parse().map_err(|_| ())?;
        let end = if end.is_empty() {
            size.saturating_sub(1)
        } else {
            end.parse::<u64>()
                .map_err(|_| ())?
                .min(size.saturating_sub(1))
        };
        (start, end)
    };
    if size == 0 || start > end || start >= size {
        return Err(());
    }
    Ok(Some((start, end)))
}

async fn download(
    State(state): State<Arc<AppState>>,
    Path((file_id, _filename)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult {
    let file_id = parse_id(&file_id, "file id")?;
    let storage = state.storage.clone();
    let row = blocking(move || storage.file_row(file_id))
        .await?
        .ok_or_else(|| ApiError::not_found("no such file"))?;
    let mut flip_last = false;
    let mut cut_after = None;
    {
        let mut faults = state.faults.lock().unwrap_or_else(|p| p.into_inner());
        for f in faults.iter_mut() {
            match f {
                FaultSeed::WrongBytes { file_id: id } if *id == file_id => flip_last = true,
                FaultSeed::CutDownload {
                    file_id: id,
                    after_bytes,
                    times,
                } if *id == file_id && *times > 0 && cut_after.is_none() => {
                    *times -= 1;
                    cut_after = Some(*after_bytes);
                }
                _ => {}
            }
        }
    }
    let size = u64::try_from(row.size).unwrap_or(0);
    let range = match headers.get(header::RANGE).map(|v| v.to_str().unwrap_or("")) {
        None => None,
        Some(value) => match parse_range(value, size) {
            Ok(r) => r,
            Err(()) => {
                let mut response = ApiError::new(
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    "range_not_satisfiable",
                    format!("the file has {size} bytes; the range {value:?} is outside it"),
                )
                .into_response();
                if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                    response.headers_mut().insert(header::CONTENT_RANGE, v);
                }
                return Ok(response);
            }
        },
    };
    let (status, start, end) = match range {
        Some((s, e)) => (StatusCode::PARTIAL_CONTENT, s, e),
        None => (StatusCode::OK, 0, size.saturating_sub(1)),
    };
    let length = if size == 0 { 0 } else { end - start + 1 };
    let body = Body::from_stream(file_stream(
        state.storage.clone(),
        FileStream {
            file_id,
            size,
            next: start,
            end: start + length,
            flip_last,
            cut_at: cut_after.map(|n| start + n),
        },
    ));
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-xpinstall"),
    );
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    if status == StatusCode::PARTIAL_CONTENT
        && let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{size}"))
    {
        h.insert(header::CONTENT_RANGE, v);
    }
    Ok(response)
}

/// Where a streamed download stands: the next byte to send and the end (exclusive).
struct FileStream {
    file_id: i64,
    size: u64,
    next: u64,
    end: u64,
    /// Test fault: the file's last byte is sent flipped.
    flip_last: bool,
    /// Test fault: the connection fails once this offset is reached.
    cut_at: Option<u64>,
}

/// The file from `next` to `end` in chunks of [`DOWNLOAD_CHUNK`], each read in its own blocking
/// task, so a slow client holds neither the whole file in memory nor a database connection.
fn file_stream(
    storage: Arc<dyn Storage>,
    at: FileStream,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    futures_util::stream::unfold(Some(at), move |at| {
        let storage = storage.clone();
        async move {
            let mut at = at?;
            if at.next >= at.end {
                return None;
            }
            if at.cut_at.is_some_and(|cut| cut <= at.next) {
                // hyper drops the connection: the client sees a body shorter than
                // Content-Length, as after a network reset.
                let error =
                    std::io::Error::new(std::io::ErrorKind::ConnectionReset, "injected cut");
                return Some((Err(error), None));
            }
            let stop = at.cut_at.map_or(at.end, |cut| cut.min(at.end));
            let want = usize::try_from(stop - at.next)
                .unwrap_or(DOWNLOAD_CHUNK)
                .min(DOWNLOAD_CHUNK);
            let (id, offset) = (at.file_id, at.next);
            let read =
                tokio::task::spawn_blocking(move || storage.file_chunk(id, offset, want)).await;
            let mut chunk = match read {
                Ok(Ok(chunk)) if chunk.len() == want => chunk,
                Ok(Ok(chunk)) => {
                    let reason = format!(
                        "file {id} has {} bytes at offset {offset}, not {want}",
                        chunk.len()
                    );
                    tracing::error!(file = id, %reason, "download failed");
                    return Some((Err(std::io::Error::other(reason)), None));
                }
                Ok(Err(e)) => {
                    tracing::error!(file = id, error = %e, "download failed");
                    return Some((Err(std::io::Error::other("storage failed")), None));
                }
                Err(_) => return Some((Err(std::io::Error::other("read task failed")), None)),
            };
            if at.flip_last
                && at.size > 0
                && (at.next..at.next + want as u64).contains(&(at.size - 1))
                && let Some(last) = chunk.get_mut((at.size - 1 - at.next) as usize)
            {
                *last ^= 0xff;
            }
            at.next += want as u64;
            Some((Ok(Bytes::from(chunk)), Some(at)))
        }
    })
}

async fn queues(State(state): State<Arc<AppState>>) -> ApiResult {
    let storage = state.storage.clone();
    let list = blocking(move || storage.queues()).await?;
    let body = QueueList {
        count: list.len() as u64,
        results: list
            .iter()
            .map(|q| QueueSummary {
                name: q.name.clone(),
                count: u64::try_from(q.count).unwrap_or(0),
                cursor: q.cursor.clone(),
                url: Some(format!("{}{}", state.public_url, routes::queue(&q.name))),
            })
            .collect(),
        vocabulary: Some(vocabulary_tag(&served_vocabulary(&state).await?)),
    };
    Ok(typed(StatusCode::OK, &body))
}

/// The seed's vocabulary over AMO's names: every code the server sends has words.
async fn served_vocabulary(state: &AppState) -> Result<Vocabulary, ApiError> {
    let storage = state.storage.clone();
    let stored = blocking(move || storage.vocabulary()).await?;
    let own: Vocabulary = match stored {
        Some(value) => serde_json::from_value(value).map_err(|error| StorageError::Json {
            what: "vocabulary.body",
            error,
        })?,
        None => Vocabulary::default(),
    };
    Ok(own.over(&Vocabulary::amo_defaults()))
}

/// A tag that changes with the served vocabulary: the start of its JSON's sha256.
fn vocabulary_tag(words: &Vocabulary) -> String {
    let json = serde_json::to_vec(words).unwrap_or_default();
    hex::encode(&Sha256::digest(&json)[..12])
}

async fn vocabulary(State(state): State<Arc<AppState>>) -> ApiResult {
    Ok(typed(StatusCode::OK, &served_vocabulary(&state).await?))
}

fn entry_json(state: &AppState, e: &EntryRow) -> QueueEntry {
    QueueEntry {
        id: e.id,
        removed: e.removed,
        queue: Some(e.queue.clone()),
        cursor: Some(e.seq.to_string()),
        addon: Some(EntryAddon {
            id: e.addon.id,
            guid: e.addon.guid.clone(),
            slug: e.addon.slug.clone(),
            name: Translated::Text(e.addon.name.clone()),
        }),
        version: Some(version_json(state, &e.version)),
        due_date: Some(e.due_date.clone()),
        reasons: e.reasons.clone(),
        flags: e.flags.clone(),
        weight: e.weight,
    }
}

async fn queue_entries(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    let since = match q.get("since").map(String::as_str) {
        None | Some("") => 0,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "since must be a cursor from this server, not {text:?}"
                ))
            })?,
    };
    let size = query_int(&q, "page_size", QUEUE_PAGE.0, 1, QUEUE_PAGE.1)?;
    let storage = state.storage.clone();
    let queue = name.clone();
    let mut rows = blocking(move || storage.queue_entries(&queue, since, size + 1))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no queue named {name:?}")))?;
    let more = rows.len() as i64 > size;
    rows.truncate(size as usize);
    let cursor = rows.last().map_or(since, |e| e.seq);
    let page = QueuePage {
        name: name.clone(),
        count: rows.len() as u64,
        cursor: cursor.to_string(),
        next: more.then(|| {
            format!(
                "{}{}?since={cursor}&page_size={size}",
                state.public_url,
                routes::queue(&name)
            )
        }),
        results: rows.iter().map(|e| entry_json(&state, e)).collect(),
    };
    Ok(typed(StatusCode::OK, &page))
}

async fn signals(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> ApiResult {
    let id = parse_id(&id, "add-on id")?;
    let storage = state.storage.clone();
    let body = blocking(move || storage.signals(id))
        .await?
        .ok_or_else(|| ApiError::not_found("no such add-on"))?;
    Ok(json_response(StatusCode::OK, body))
}

/// How often a reviewer's app renews its presence on an open review, in seconds.
const PRESENCE_INTERVAL_SECS: u32 = 30;
/// How long a presence lasts without renewal: three missed heartbeats, so a closed laptop
/// stops showing within two minutes.
const PRESENCE_TTL_SECS: i64 = 3 * PRESENCE_INTERVAL_SECS as i64;

fn viewers(rows: impl IntoIterator<Item = (i64, String)>) -> Vec<Viewer> {
    rows.into_iter()
        .map(|(user_id, name)| Viewer { user_id, name })
        .collect()
}

/// The caller has the add-on's review open (for the next [`PRESENCE_TTL_SECS`]); answers who
/// else has.
async fn touch_presence(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    request: Request,
) -> ApiResult {
    let user = profile_of(&request)?;
    let addon_id = parse_id(&id, "add-on id")?;
    let storage = state.storage.clone();
    let now = vetter_protocol::auth::unix_now();
    let others = blocking(move || {
        if storage.addon(&addon_id.to_string())?.is_none() {
            return Ok(None);
        }
        storage
            .touch_presence(&user, addon_id, now, now + PRESENCE_TTL_SECS)
            .map(Some)
    })
    .await?
    .ok_or_else(|| ApiError::not_found("no such add-on"))?;
    Ok(typed(
        StatusCode::OK,
        &Presence {
            addon_id,
            others: viewers(others),
            interval_seconds: PRESENCE_INTERVAL_SECS,
        },
    ))
}

/// The caller closed the add-on's review.
async fn leave_presence(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    request: Request,
) -> ApiResult {
    let user = profile_of(&request)?;
    let addon_id = parse_id(&id, "add-on id")?;
    let storage = state.storage.clone();
    blocking(move || storage.leave_presence(user.id, addon_id)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Every add-on whose review someone other than the caller has open.
async fn presence(State(state): State<Arc<AppState>>, request: Request) -> ApiResult {
    let user = profile_of(&request)?;
    let storage = state.storage.clone();
    let now = vetter_protocol::auth::unix_now();
    let rows = blocking(move || storage.presence(user.id, now)).await?;
    let mut results: Vec<Presence> = Vec::new();
    for (addon_id, user_id, name) in rows {
        match results.last_mut() {
            Some(p) if p.addon_id == addon_id => p.others.push(Viewer { user_id, name }),
            _ => results.push(Presence {
                addon_id,
                others: vec![Viewer { user_id, name }],
                interval_seconds: PRESENCE_INTERVAL_SECS,
            }),
        }
    }
    Ok(typed(StatusCode::OK, &PresenceList { results }))
}

fn profile_of(request: &Request) -> Result<Profile, ApiError> {
    request
        .extensions()
        .get::<Profile>()
        .cloned()
        .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "unknown_api_key", "no profile"))
}

async fn read_json(request: Request) -> Result<Value, ApiError> {
    let bytes = axum::body::to_bytes(request.into_body(), MAX_BODY)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("bodies are limited to {MAX_BODY} bytes"),
            )
        })?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad_request(format!("body is not JSON: {e}")))
}

/// A key as the key routes show it: AMO-style fields plus the JWK members (`kty`, `crv`, `x`,
/// `use`), so the list is a JWKS any JOSE library can load.
fn key_json(k: &KeyRow) -> Value {
    json!({
        "kid": k.kid, "alg": k.alg, "public_key": k.public_key, "user_id": k.user_id,
        "created_at": k.created_at, "revoked_at": k.revoked_at,
        "kty": "OKP", "crv": "Ed25519", "x": k.public_key, "use": "sig",
    })
}

/// A kid is a SHA-256 thumbprint in unpadded base64url: 43 characters.
fn check_kid(kid: &str) -> Result<(), ApiError> {
    if kid.len() != 43
        || !kid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(ApiError::bad_request(
            "kid must be a key's RFC 7638 thumbprint: 43 characters of A-Z, a-z, 0-9, - and _",
        ));
    }
    Ok(())
}

/// Every key ever registered, revoked ones included: what an auditor needs to verify the
/// whole decision log.
async fn list_keys(State(state): State<Arc<AppState>>) -> ApiResult {
    let storage = state.storage.clone();
    let keys = blocking(move || storage.keys()).await?;
    Ok(json_response(
        StatusCode::OK,
        json!({"count": keys.len(), "keys": keys.iter().map(key_json).collect::<Vec<_>>()}),
    ))
}

async fn get_key(State(state): State<Arc<AppState>>, Path(kid): Path<String>) -> ApiResult {
    check_kid(&kid)?;
    let storage = state.storage.clone();
    let key = blocking(move || storage.key(&kid))
        .await?
        .ok_or_else(|| ApiError::not_found("no key with this kid"))?;
    Ok(json_response(StatusCode::OK, key_json(&key)))
}

async fn put_key(
    State(state): State<Arc<AppState>>,
    Path(kid): Path<String>,
    request: Request,
) -> ApiResult {
    let user = profile_of(&request)?;
    check_kid(&kid)?;
    let body = read_json(request).await?;
    let key = body
        .get("public_key")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            ApiError::bad_request("body must be {\"alg\": \"EdDSA\", \"public_key\": base64url}")
        })?
        .to_owned();
    if body.get("alg").and_then(Value::as_str) != Some("EdDSA") {
        return Err(ApiError::bad_request("alg must be \"EdDSA\" (Ed25519)"));
    }
    // A key that is not a valid, strong Ed25519 point, or a kid that is not its thumbprint, is
    // well-formed JSON with a meaning the server refuses: 422, not 400.
    let public = PublicKey::from_base64url(&key).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_public_key",
            e.to_string(),
        )
    })?;
    if public.kid() != kid {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "kid_not_thumbprint",
            format!(
                "kid {kid:?} is not the key's RFC 7638 thumbprint; this key's kid is {:?}",
                public.kid()
            ),
        ));
    }
    let storage = state.storage.clone();
    let (kid2, key2) = (kid.clone(), key.clone());
    let outcome = blocking(move || storage.put_key(user.id, &kid2, &key2)).await?;
    match outcome {
        KeyPut::Created(row) => Ok(json_response(StatusCode::CREATED, key_json(&row))),
        KeyPut::Existing(row) if row.public_key == key => {
            Ok(json_response(StatusCode::OK, key_json(&row)))
        }
        // Only a row from before kids were checked can hold another key under this kid.
        KeyPut::Existing(_) | KeyPut::OtherOwner => Err(ApiError::new(
            StatusCode::CONFLICT,
            "kid_taken",
            format!("key id {kid:?} is registered with another key or by another reviewer"),
        )),
        KeyPut::Revoked(row) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "key_revoked",
            format!(
                "key {kid:?} was revoked at {}; a revoked key is never registered again: make a new one",
                row.revoked_at.unwrap_or_default()
            ),
        )),
    }
}

/// Revokes one of the caller's keys: decisions it signed before stay verifiable, new ones are
/// refused.
async fn revoke_key(
    State(state): State<Arc<AppState>>,
    Path(kid): Path<String>,
    request: Request,
) -> ApiResult {
    let user = profile_of(&request)?;
    check_kid(&kid)?;
    let storage = state.storage.clone();
    let outcome = blocking(move || storage.revoke_key(user.id, &kid)).await?;
    match outcome {
        KeyRevoke::Revoked(row) => Ok(json_response(StatusCode::OK, key_json(&row))),
        KeyRevoke::NotYours => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "key_not_yours",
            "this key belongs to another reviewer",
        )),
        KeyRevoke::Missing => Err(ApiError::not_found("no key with this kid")),
    }
}

async fn post_decision(State(state): State<Arc<AppState>>, request: Request) -> ApiResult {
    let user = profile_of(&request)?;
    let claims = request
        .extensions()
        .get::<Claims>()
        .cloned()
        .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "unknown_api_key", "no claims"))?;
    let bytes = axum::body::to_bytes(request.into_body(), MAX_BODY)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("bodies are limited to {MAX_BODY} bytes"),
            )
        })?;
    // The body is the compact JWS itself (application/jose), stored byte for byte so the
    // audit log can be verified later by anyone holding the public key.
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        refused(&VerifyError::Malformed {
            reason: "the body is not UTF-8 text".to_owned(),
        })
    })?;
    let signed = SignedDecision::parse(text).map_err(|e| refused(&e))?;
    let storage = state.storage.clone();
    let kid = signed.kid().to_owned();
    let key = blocking(move || storage.key(&kid))
        .await?
        .map(|row| RegisteredKey {
            owner: row.user_id.to_string(),
            public_key: row.public_key,
            revoked_at: row.revoked_at,
        });
    let user_id = user.id.to_string();
    let submitter = Submitter {
        api_key: &claims.iss,
        user: &user_id,
    };
    let verified = signed
        .verify(submitter, key.as_ref())
        .map_err(|e| refused(&e))?;
    check_decided_at(&verified.decided_at, vetter_protocol::auth::unix_now())?;
    let decision = NewDecision {
        body: bytes.to_vec(),
        user_id: user.id,
        decision: verified,
        kid: signed.kid().to_owned(),
    };
    let storage = state.storage.clone();
    let action = decision.decision.action.name();
    let outcome = blocking(move || storage.record_decision(&decision)).await?;
    state.metrics.decision(
        action,
        match &outcome {
            DecisionOutcome::Created(_) => "recorded",
            DecisionOutcome::Repeated(_) => "repeated",
            DecisionOutcome::IdConflict => "decision_id_reused",
            DecisionOutcome::NotUnderReview(_) => "version_not_under_review",
            DecisionOutcome::HashMismatch(_) => "hash_mismatch",
            DecisionOutcome::Inconsistent { code, .. } => code,
        },
    );
    let conflict = |code, detail: &str, current| {
        let mut e = ApiError::new(StatusCode::CONFLICT, code, detail);
        e.extra = Some(current);
        e
    };
    match outcome {
        DecisionOutcome::Created(result) => Ok(json_response(StatusCode::CREATED, result)),
        DecisionOutcome::Repeated(result) => Ok(json_response(StatusCode::OK, result)),
        DecisionOutcome::IdConflict => Err(ApiError::new(
            StatusCode::CONFLICT,
            "decision_id_reused",
            "a different decision was already recorded under this id",
        )),
        DecisionOutcome::NotUnderReview(current) => Err(conflict(
            "version_not_under_review",
            "this version is no longer the one under review",
            current,
        )),
        DecisionOutcome::HashMismatch(current) => Err(conflict(
            "hash_mismatch",
            "sha256 does not match the file under review",
            current,
        )),
        DecisionOutcome::Inconsistent { code, detail } => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
            detail,
        )),
    }
}

/// Refuses a `decided_at` more than [`MAX_DECISION_SKEW_SECS`] ahead of the server's clock `now`.
fn check_decided_at(decided_at: &str, now: i64) -> Result<(), ApiError> {
    // `Decision::validate` already checked the format; an unreadable time is refused anyway.
    let millis = vetter_decision::parse_rfc3339_millis(decided_at).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_decision",
            format!("decided_at {decided_at:?} is not a time"),
        )
    })?;
    let ahead = millis.div_euclid(1000) - now;
    if ahead > MAX_DECISION_SKEW_SECS {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "decided_in_future",
            format!(
                "decided_at {decided_at} is {ahead} s ahead of the server's clock; at most {MAX_DECISION_SKEW_SECS} s is allowed: check the reviewer's clock"
            ),
        ));
    }
    Ok(())
}

async fn list_decisions(
    State(state): State<Arc<AppState>>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    let since = query_int(&q, "since", 0, 0, i64::MAX)?;
    let size = query_int(&q, "page_size", 500, 1, 1000)?;
    let storage = state.storage.clone();
    let rows = blocking(move || storage.decisions(since, size)).await?;
    let cursor = rows.last().and_then(|r| r["seq"].as_i64()).unwrap_or(since);
    Ok(json_response(
        StatusCode::OK,
        json!({"count": rows.len(), "cursor": cursor.to_string(), "results": rows}),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ranges_and_refuses_unsatisfiable_ones() {
        assert_eq!(parse_range("bytes=10-", 100), Ok(Some((10, 99))));
        assert_eq!(parse_range("bytes=10-19", 100), Ok(Some((10, 19))));
        assert_eq!(parse_range("bytes=-5", 100), Ok(Some((95, 99))));
        assert_eq!(parse_range("bytes=100-", 100), Err(()));
        assert_eq!(parse_range("bytes=5-1", 100), Err(()));
        assert_eq!(parse_range("bytes=0-1,3-4", 100), Err(()));
        assert_eq!(parse_range("items=0-1", 100), Ok(None));
    }

    #[test]
    fn a_decision_from_the_future_is_refused_and_one_from_the_past_kept() {
        let now = 1_780_000_000;
        let at = |secs: i64| vetter_decision::rfc3339_millis(secs * 1000);
        assert!(check_decided_at(&at(now + MAX_DECISION_SKEW_SECS), now).is_ok());
        let err = check_decided_at(&at(now + MAX_DECISION_SKEW_SECS + 1), now).unwrap_err();
        assert_eq!(err.code, "decided_in_future");
        // A week in an offline outbox is normal.
        assert!(check_decided_at(&at(now - 7 * 86_400), now).is_ok());
    }
}
