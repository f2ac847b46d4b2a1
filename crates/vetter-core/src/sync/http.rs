//! HTTP with AMO-style auth, retries and byte counting.
//!
//! Every attempt carries a fresh JWT (a retried token would be refused as a replayed `jti`).
//! Timeouts, connection resets and 5xx/429 are retried with exponential backoff and full jitter,
//! waiting at least what `Retry-After` asks; any other 4xx is final and its `{code, detail}` is
//! surfaced. Response bodies are read in chunks against a cap, so a hostile server cannot make
//! the client allocate more than the cap.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::{Response, StatusCode, header};

use super::SyncError;
use crate::auth::Credentials;

/// Largest JSON response read (a 1,000-entry queue page is about 1 MiB).
pub const MAX_JSON_BYTES: usize = 16 * 1024 * 1024;

/// How failed requests are retried.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// Backoff before the second attempt; doubled each time.
    pub base_delay: Duration,
    /// Longest wait between attempts (also caps `Retry-After`).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(30),
        }
    }
}

/// Counters shared by every request of one sync.
#[derive(Debug, Default)]
pub struct Counters {
    /// HTTP requests sent (retries included).
    pub requests: AtomicU64,
    /// Bytes received: response bodies plus status line and headers.
    pub bytes: AtomicU64,
    /// Attempts that were retried.
    pub retries: AtomicU64,
}

/// An authenticated client for one server.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: reqwest::Url,
    credentials: Credentials,
    retry: RetryPolicy,
    /// The counters.
    pub counters: Arc<Counters>,
}

/// What one attempt's failure means.
pub(crate) enum Failure {
    /// Worth retrying after at least this long (from `Retry-After`).
    Transient {
        reason: String,
        wait: Option<Duration>,
    },
    /// Final.
    Fatal(SyncError),
}

impl Client {
    /// A client for `server` (its origin is the only one file URLs may point at).
    pub fn new(
        server: &str,
        credentials: Credentials,
        retry: RetryPolicy,
        timeout: Duration,
    ) -> Result<Client, SyncError> {
        let base = reqwest::Url::parse(server.trim_end_matches('/'))
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or_else(|| SyncError::BadServerUrl {
                url: server.to_owned(),
            })?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .read_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| SyncError::Http {
                url: server.to_owned(),
                error: e.to_string(),
            })?;
        Ok(Client {
            http,
            base,
            credentials,
            retry,
            counters: Arc::new(Counters::default()),
        })
    }

    /// The URL of `path` on the server.
    pub fn url(&self, path: &str) -> Result<reqwest::Url, SyncError> {
        self.base.join(path).map_err(|_| SyncError::BadServerUrl {
            url: format!("{}{path}", self.base),
        })
    }

    /// Checks that `url` (from a server response) is on the server's origin: credentials are
    /// sent with every request, so a hostile response must not steer them elsewhere.
    pub fn same_origin(&self, url: &str) -> Result<reqwest::Url, SyncError> {
        let parsed = reqwest::Url::parse(url).map_err(|_| SyncError::InvalidResponse {
            url: url.chars().take(200).collect(),
            reason: "not a URL".to_owned(),
        })?;
        if parsed.origin() != self.base.origin() {
            return Err(SyncError::InvalidResponse {
                url: url.chars().take(200).collect(),
                reason: format!(
                    "file URL is not on the server's origin {}",
                    self.base.origin().ascii_serialization()
                ),
            });
        }
        Ok(parsed)
    }

    fn count_head(&self, response: &Response) {
        let head: usize = response
            .headers()
            .iter()
            .map(|(k, v)| k.as_str().len() + v.len() + 4)
            .sum::<usize>()
            + 17;
        self.counters
            .bytes
            .fetch_add(head as u64, Ordering::Relaxed);
    }

    /// Sends one GET (with `range_from` as `Range: bytes=N-`) and classifies the status.
    pub(crate) async fn attempt(
        &self,
        url: &reqwest::Url,
        range_from: Option<u64>,
    ) -> Result<Response, Failure> {
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        let mut request = self
            .http
            .get(url.clone())
            .header(header::AUTHORIZATION, self.credentials.authorization());
        if let Some(from) = range_from {
            request = request.header(header::RANGE, format!("bytes={from}-"));
        }
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => {
                return Err(Failure::Transient {
                    reason: crate::net::describe(e),
                    wait: None,
                });
            }
        };
        self.count_head(&response);
        let status = response.status();
        if status.is_success() || status == StatusCode::RANGE_NOT_SATISFIABLE {
            return Ok(response);
        }
        let wait = response
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let transient = status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS;
        let body = read_capped(self, response, 64 * 1024)
            .await
            .unwrap_or_default();
        let parsed: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let field = |name: &str| {
            parsed[name]
                .as_str()
                .map(|s| s.chars().take(500).collect::<String>())
                .unwrap_or_default()
        };
        if transient {
            return Err(Failure::Transient {
                reason: format!("HTTP {status}"),
                wait,
            });
        }
        Err(Failure::Fatal(SyncError::Status {
            url: url.to_string(),
            status: status.as_u16(),
            code: field("code"),
            detail: field("detail"),
        }))
    }

    /// Waits before attempt `attempt + 1`: full jitter over the exponential step, but never less
    /// than the server's `Retry-After`.
    pub(crate) async fn backoff(&self, attempt: u32, wait: Option<Duration>) {
        self.counters.retries.fetch_add(1, Ordering::Relaxed);
        let step = self
            .retry
            .base_delay
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.retry.max_delay);
        let jitter = step.mul_f64(random_unit());
        let delay = wait.map_or(jitter, |w| w.min(self.retry.max_delay).max(jitter));
        tokio::time::sleep(delay).await;
    }

    /// The retry policy.
    pub fn retry(&self) -> &RetryPolicy {
        &self.retry
    }

    /// GETs `url` and parses its JSON body, retrying transient failures.
    pub async fn get_json(&self, url: &reqwest::Url) -> Result<serde_json::Value, SyncError> {
        let mut last = String::new();
        for attempt in 0..self.retry.max_attempts {
            match self.attempt(url, None).await {
                Ok(response) => match read_capped(self, response, MAX_JSON_BYTES).await {
                    Ok(bytes) => {
                        return serde_json::from_slice(&bytes).map_err(|e| {
                            SyncError::InvalidResponse {
                                url: url.to_string(),
                                reason: format!("body is not JSON: {e}"),
                            }
                        });
                    }
                    Err(ReadError::TooLarge) => {
                        return Err(SyncError::InvalidResponse {
                            url: url.to_string(),
                            reason: format!("response is over {MAX_JSON_BYTES} bytes"),
                        });
                    }
                    Err(ReadError::Transport(reason)) => {
                        last = reason;
                        if attempt + 1 < self.retry.max_attempts {
                            self.backoff(attempt, None).await;
                        }
                    }
                },
                Err(Failure::Fatal(e)) => return Err(e),
                Err(Failure::Transient { reason, wait }) => {
                    last = reason;
                    if attempt + 1 < self.retry.max_attempts {
                        self.backoff(attempt, wait).await;
                    }
                }
            }
        }
        Err(SyncError::GaveUp {
            url: url.to_string(),
            attempts: self.retry.max_attempts,
            last,
        })
    }
}

/// Why reading a body stopped.
pub(crate) enum ReadError {
    /// Over the cap.
    TooLarge,
    /// The connection failed mid-body.
    Transport(String),
}

async fn read_capped(
    client: &Client,
    response: Response,
    cap: usize,
) -> Result<Vec<u8>, ReadError> {
    if response.content_length().is_some_and(|n| n > cap as u64) {
        return Err(ReadError::TooLarge);
    }
    let mut out = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ReadError::Transport(crate::net::describe(e)))?;
        client
            .counters
            .bytes
            .fetch_add(chunk.len() as u64, Ordering::Relaxed);
        if out.len() + chunk.len() > cap {
            return Err(ReadError::TooLarge);
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// `Retry-After` as seconds or an HTTP date.
fn parse_retry_after(value: &str) -> Option<Duration> {
    if let Ok(secs) = value.trim().parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// A uniform number in [0, 1) from the OS RNG (0.5 if it fails: jitter is not security).
fn random_unit() -> f64 {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        return 0.5;
    }
    (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_retry_after_as_seconds_or_date() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn jitter_stays_in_unit_interval() {
        for _ in 0..100 {
            let x = random_unit();
            assert!((0.0..1.0).contains(&x));
        }
    }
}
