//! What an operator sees: a request id and one structured log line per request, Prometheus
//! metrics at `/metrics` (kept by [`crate::metrics`]), and `/healthz` / `/readyz` for a load
//! balancer or an orchestrator.
//!
//! None of these routes needs credentials, so nothing they show may be secret: routes are
//! labelled by their pattern (`/api/v5/reviewers/keys/:kid/`), never by the path a client sent,
//! and no header, query or body is logged.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::Router;
use axum::body::HttpBody;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tracing::Instrument;

use crate::api::AppState;

/// The header that carries a request's id back to the client.
pub const REQUEST_ID: &str = "x-request-id";

/// Routes whose answers are what a client syncs; their bytes are counted as sync traffic.
const SYNC_ROUTES: &[&str] = &[
    "/api/v5/reviewers/queues/",
    "/api/v5/reviewers/queues/:name/",
    "/api/v5/addons/addon/:ident/versions/",
    "/api/v5/reviewers/addon/:id/signals/",
    "/firefox/downloads/file/:file_id/:filename",
    "/api/v5/reviewers/decisions/",
];

/// A route pattern as a metric label: `{id}` becomes `:id`, since braces inside label values
/// trip simple text-format parsers.
fn route_label(pattern: &str) -> String {
    pattern.replace('{', ":").replace('}', "")
}

/// The routes of this module, without credentials.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(state)
}

/// Gives each request an id (sent back in `x-request-id`), runs it inside a span carrying that
/// id, counts it in the metrics and logs one line when its response head is ready.
pub async fn observe(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    // Our own id, never the client's: a client-chosen id could forge or flood log lines.
    let id = uuid::Uuid::now_v7().to_string();
    let method = request.method().as_str().to_owned();
    let route = route_label(
        request
            .extensions()
            .get::<MatchedPath>()
            .map_or("unmatched", |p| p.as_str()),
    );
    let span = tracing::info_span!("request", id = %id, method = %method, route = %route);
    let metrics = &state.metrics;
    metrics.request_started();
    let mut response = next.run(request).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = response.status();
    let sync_bytes = if SYNC_ROUTES.contains(&route.as_str()) && status.is_success() {
        response.body().size_hint().exact().or_else(|| {
            response
                .headers()
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok()?.parse().ok())
        })
    } else {
        None
    };
    metrics.request_finished(&route, &method, status.as_str(), elapsed, sync_bytes);
    span.in_scope(|| {
        tracing::info!(
            status = status.as_u16(),
            micros = elapsed.as_micros() as u64,
            "answered"
        );
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    // Queue sizes are read at scrape time, so every process reports the shared database's state.
    let storage = state.storage.clone();
    match tokio::task::spawn_blocking(move || storage.queues()).await {
        Ok(Ok(queues)) => {
            for q in queues {
                let due = q.oldest_due.as_deref().and_then(|text| {
                    time::OffsetDateTime::parse(
                        text,
                        &time::format_description::well_known::Rfc3339,
                    )
                    .ok()
                });
                state.metrics.set_queue(
                    &q.name,
                    q.count,
                    due.map(|d| d.unix_timestamp_nanos() as f64 / 1e9),
                );
            }
        }
        Ok(Err(e)) => tracing::warn!(error = %e, "queue sizes for /metrics could not be read"),
        Err(e) => tracing::warn!(error = %e, "queue sizes for /metrics could not be read"),
    }
    let body = match state.metrics.encode() {
        Ok(body) => body,
        Err(e) => {
            tracing::error!(error = %e, "metrics could not be encoded");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}

async fn healthz() -> Response {
    axum::Json(serde_json::json!({"status": "ok"})).into_response()
}

async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    let not_ready = |detail: String| {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({"code": "not_ready", "detail": detail})),
        )
            .into_response()
    };
    if state.draining.load(Ordering::Relaxed) {
        return not_ready("the server is shutting down".to_owned());
    }
    let storage = state.storage.clone();
    match tokio::task::spawn_blocking(move || storage.ping()).await {
        Ok(Ok(())) => axum::Json(serde_json::json!({"status": "ready"})).into_response(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: the database does not answer");
            not_ready("the database does not answer".to_owned())
        }
        Err(_) => not_ready("the readiness check failed".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sync_route_is_a_route_of_the_api() {
        let routes: Vec<String> = crate::api::routes()
            .into_iter()
            .map(|(_, path)| route_label(path))
            .collect();
        for sync in SYNC_ROUTES {
            assert!(
                routes.iter().any(|r| r == sync),
                "{sync} is not an API route"
            );
        }
    }
}
