//! The server's Prometheus metrics: what is counted, and the text format `/metrics` serves.
//! Label values are route patterns, methods, statuses, actions and queue names: never a value a
//! client chose or anything secret.

use std::time::Duration;

use prometheus::{
    Encoder, GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

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

impl Metrics {
    /// Counts a request that has begun.
    pub fn request_started(&self) {
        self.in_flight.inc();
    }

    /// Counts a request answered with `status` after `elapsed`; `sync_bytes` when its answer
    /// is sync traffic of a known size.
    pub fn request_finished(
        &self,
        route: &str,
        method: &str,
        status: &str,
        elapsed: Duration,
        sync_bytes: Option<u64>,
    ) {
        self.in_flight.dec();
        self.requests
            .with_label_values(&[route, method, status])
            .inc();
        self.latency
            .with_label_values(&[route, method])
            .observe(elapsed.as_secs_f64());
        if let Some(bytes) = sync_bytes {
            self.sync_bytes.with_label_values(&[route]).inc_by(bytes);
        }
    }

    /// Sets a queue's size and the due date of its oldest entry (Unix seconds; `None` for an
    /// empty queue, which removes the series).
    pub fn set_queue(&self, queue: &str, count: i64, oldest_due: Option<f64>) {
        self.queue_entries.with_label_values(&[queue]).set(count);
        match oldest_due {
            Some(secs) => self.queue_oldest_due.with_label_values(&[queue]).set(secs),
            None => {
                let _ = self.queue_oldest_due.remove_label_values(&[queue]);
            }
        }
    }

    /// Every metric in Prometheus' text format.
    pub fn encode(&self) -> Result<Vec<u8>, prometheus::Error> {
        let mut body = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut body)?;
        Ok(body)
    }
}
