//! What an operator sees: a request id and one structured log line per request, Prometheus
//! metrics at `/metrics`, and `/healthz` / `/readyz` for a load balancer or an orchestrator.
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
use prometheus::{
    Encoder, GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};
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

/// Latency buckets in seconds: a loopback read takes a millisecond, a large download seconds.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The server's Prometheus metrics.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    in_flight: IntGauge,
    decisions: IntCounterVec,
    sync_bytes: IntCounterVec,
    queue_entries: IntGaugeVec,
    queue_oldest_due: GaugeVec,
}

impl Metrics {
    /// A fresh set of metrics in a registry of their own.
    pub fn new() -> Metrics {
        let registry = Registry::new_custom(Some("vetter".to_owned()), None)
            .expect("a constant prefix is a valid registry");
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests answered, by route pattern, method and status",
            ),
            &["route", "method", "status"],
        )
        .expect("valid metric");
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "Time from a request's arrival to its response head, by route pattern and method",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
            &["route", "method"],
        )
        .expect("valid metric");
        let in_flight = IntGauge::new("http_requests_in_flight", "Requests being answered now")
            .expect("valid metric");
        let decisions = IntCounterVec::new(
            Opts::new(
                "decisions_total",
                "Signed decisions submitted, by action and outcome (recorded, repeated, or the refusal's code)",
            ),
            &["action", "outcome"],
        )
        .expect("valid metric");
        let sync_bytes = IntCounterVec::new(
            Opts::new("sync_bytes_total", "Bytes of sync answers sent (queues, versions, signals, files, the audit log), by route pattern"),
            &["route"],
        )
        .expect("valid metric");
        let queue_entries = IntGaugeVec::new(
            Opts::new("queue_entries", "Live entries in each review queue"),
            &["queue"],
        )
        .expect("valid metric");
        let queue_oldest_due = GaugeVec::new(
            Opts::new(
                "queue_oldest_due_timestamp_seconds",
                "Due date of each queue's oldest live entry (Unix seconds; absent when the queue is empty)",
            ),
            &["queue"],
        )
        .expect("valid metric");
        for c in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(latency.clone()),
            Box::new(in_flight.clone()),
            Box::new(decisions.clone()),
            Box::new(sync_bytes.clone()),
            Box::new(queue_entries.clone()),
            Box::new(queue_oldest_due.clone()),
        ] {
            registry
                .register(c)
                .expect("each metric is registered once");
        }
        Metrics {
            registry,
            requests,
            latency,
            in_flight,
            decisions,
            sync_bytes,
            queue_entries,
            queue_oldest_due,
        }
    }

    /// Counts a submitted decision: its action and what came of it.
    pub fn decision(&self, action: &str, outcome: &str) {
        self.decisions.with_label_values(&[action, outcome]).inc();
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
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
    // `{id}` becomes `:id`: braces inside label values trip simple text-format parsers.
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .replace('{', ":")
        .replace('}', "");
    let span = tracing::info_span!("request", id = %id, method = %method, route = %route);
    let metrics = &state.metrics;
    metrics.in_flight.inc();
    let mut response = next.run(request).instrument(span.clone()).await;
    metrics.in_flight.dec();
    let elapsed = started.elapsed();
    let status = response.status();
    metrics
        .requests
        .with_label_values(&[&route, &method, status.as_str()])
        .inc();
    metrics
        .latency
        .with_label_values(&[&route, &method])
        .observe(elapsed.as_secs_f64());
    if SYNC_ROUTES.contains(&route.as_str()) && status.is_success() {
        let bytes = response.body().size_hint().exact().or_else(|| {
            response
                .headers()
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok()?.parse().ok())
        });
        if let Some(bytes) = bytes {
            metrics
                .sync_bytes
                .with_label_values(&[&route])
                .inc_by(bytes);
        }
    }
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
                state
                    .metrics
                    .queue_entries
                    .with_label_values(&[&q.name])
                    .set(q.count);
                let due = q.oldest_due.as_deref().and_then(|text| {
                    time::OffsetDateTime::parse(
                        text,
                        &time::format_description::well_known::Rfc3339,
                    )
                    .ok()
                });
                match due {
                    Some(due) => state
                        .metrics
                        .queue_oldest_due
                        .with_label_values(&[&q.name])
                        .set(due.unix_timestamp_nanos() as f64 / 1e9),
                    None => {
                        let _ = state
                            .metrics
                            .queue_oldest_due
                            .remove_label_values(&[&q.name]);
                    }
                }
            }
        }
        Ok(Err(e)) => tracing::warn!(error = %e, "queue sizes for /metrics could not be read"),
        Err(e) => tracing::warn!(error = %e, "queue sizes for /metrics could not be read"),
    }
    let mut body = Vec::new();
    if let Err(e) = TextEncoder::new().encode(&state.metrics.registry.gather(), &mut body) {
        tracing::error!(error = %e, "metrics could not be encoded");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
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
