//! The one HTTP client: every request to a review server or AMO goes through it.
//!
//! It builds URLs from the server's base, signs each attempt with a fresh JWT when it has
//! credentials (a retried token would be refused as a replayed `jti`), and follows redirects
//! itself: API answers only on the server's origin, downloads also to the hosts on its
//! download allow-list, and `Authorization` is never sent off the server's origin. Timeouts,
//! connection resets and 5xx/429 are retried with exponential backoff and full jitter, waiting
//! at least what `Retry-After` asks; any other 4xx is final and its `{detail, code}` is
//! surfaced. Bodies are read in chunks against a cap, so a hostile server cannot make the
//! client allocate more than the cap.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::{Response, StatusCode, Url, header};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::amo::ErrorBody;
use crate::auth::Credentials;
pub use crate::error::ProtocolError;

/// Largest JSON response read (a 1,000-entry queue page is about 1 MiB).
pub const MAX_JSON_BYTES: usize = 16 * 1024 * 1024;
/// Redirects followed for one request.
pub const MAX_REDIRECTS: usize = 5;

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

/// Counters shared by every request of one client.
#[derive(Debug, Default)]
pub struct Counters {
    /// HTTP requests sent (retries and redirects included).
    pub requests: AtomicU64,
    /// Bytes received: response bodies plus status line and headers.
    pub bytes: AtomicU64,
    /// Attempts that were retried.
    pub retries: AtomicU64,
}

/// A client for one server, signed or anonymous.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    credentials: Option<Credentials>,
    retry: RetryPolicy,
    /// Origins (`scheme://host[:port]`) downloads may be redirected to, besides the server's.
    download_origins: Vec<String>,
    /// The counters.
    pub counters: Arc<Counters>,
}

/// What one attempt's failure means.
enum Failure {
    /// Worth retrying after at least this long (from `Retry-After`).
    Transient {
        reason: String,
        wait: Option<Duration>,
    },
    /// Final.
    Fatal(ProtocolError),
}

/// The outcome of a verified download.
#[derive(Debug)]
pub enum Downloaded {
    /// Complete bytes whose SHA-256 matched, and the partial file holding them.
    Bytes(Vec<u8>, PathBuf),
    /// The bytes do not match the advertised hash or size.
    Mismatch {
        /// SHA-256 of what arrived, when it was complete.
        actual: Option<String>,
        /// What differed.
        reason: String,
    },
}

/// Which redirects a request may follow.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// The server's origin only (API calls).
    Server,
    /// The server's origin and the download allow-list.
    Downloads,
    /// No redirect at all: a login must talk to the server it names, not wherever it points.
    Nowhere,
}

impl Client {
    /// A client for `server` that signs every request with `credentials`.
    pub fn new(
        server: &str,
        credentials: Credentials,
        retry: RetryPolicy,
        timeout: Duration,
    ) -> Result<Client, ProtocolError> {
        Client::build(server, Some(credentials), retry, timeout)
    }

    /// A client for `server` that sends no credentials (AMO's public routes need none).
    pub fn anonymous(
        server: &str,
        retry: RetryPolicy,
        timeout: Duration,
    ) -> Result<Client, ProtocolError> {
        Client::build(server, None, retry, timeout)
    }

    /// A client for `server`, signed when `credentials` are given.
    pub fn build(
        server: &str,
        credentials: Option<Credentials>,
        retry: RetryPolicy,
        timeout: Duration,
    ) -> Result<Client, ProtocolError> {
        let base = parse_base(server)?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .read_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ProtocolError::Http {
                url: server.to_owned(),
                error: e.to_string(),
            })?;
        Ok(Client {
            http,
            base,
            credentials,
            retry,
            download_origins: Vec::new(),
            counters: Arc::new(Counters::default()),
        })
    }

    /// Allows downloads to be redirected to these origins (a CDN), without credentials.
    pub fn with_download_origins(mut self, origins: &[String]) -> Result<Client, ProtocolError> {
        self.download_origins = origins
            .iter()
            .map(|o| parse_base(o).map(|u| u.origin().ascii_serialization()))
            .collect::<Result<_, _>>()?;
        Ok(self)
    }

    /// Whether requests are signed.
    pub fn is_signed(&self) -> bool {
        self.credentials.is_some()
    }

    /// The server's origin, `scheme://host[:port]`.
    pub fn origin(&self) -> String {
        self.base.origin().ascii_serialization()
    }

    /// The URL of `path` on the server.
    pub fn url(&self, path: &str) -> Result<Url, ProtocolError> {
        self.base
            .join(path)
            .map_err(|_| ProtocolError::BadServerUrl {
                url: format!("{}{path}", self.base),
            })
    }

    /// Checks that `url` (from a server response) is on the server's origin: credentials are
    /// sent with every request, so a hostile response must not steer them elsewhere.
    pub fn same_origin(&self, url: &str) -> Result<Url, ProtocolError> {
        let parsed = Url::parse(url).map_err(|_| ProtocolError::InvalidResponse {
            url: url.chars().take(200).collect(),
            reason: "not a URL".to_owned(),
        })?;
        if parsed.origin() != self.base.origin() {
            return Err(ProtocolError::InvalidResponse {
                url: url.chars().take(200).collect(),
                reason: format!(
                    "the URL is not on the server's origin {}",
                    self.base.origin().ascii_serialization()
                ),
            });
        }
        Ok(parsed)
    }

    /// Checks that a download URL is on the server's origin or the allow-list.
    pub fn download_url(&self, url: &str) -> Result<Url, ProtocolError> {
        let parsed = Url::parse(url).map_err(|_| ProtocolError::InvalidResponse {
            url: url.chars().take(200).collect(),
            reason: "not a URL".to_owned(),
        })?;
        self.allowed(&parsed, Reach::Downloads)?;
        Ok(parsed)
    }

    fn allowed(&self, url: &Url, reach: Reach) -> Result<(), ProtocolError> {
        let origin = url.origin().ascii_serialization();
        if url.origin() == self.base.origin()
            || (reach == Reach::Downloads && self.download_origins.contains(&origin))
        {
            return Ok(());
        }
        let hosts = if reach == Reach::Downloads {
            let mut all = vec![self.origin()];
            all.extend(self.download_origins.iter().cloned());
            all.join(", ")
        } else {
            self.origin()
        };
        Err(ProtocolError::InvalidResponse {
            url: url.as_str().chars().take(200).collect(),
            reason: format!("{origin} is not an allowed host (allowed: {hosts})"),
        })
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

    /// Sends `request_for(url)` and follows redirects within `reach`; `Authorization` goes only
    /// to the server's origin. Classifies the final status.
    async fn attempt(
        &self,
        url: &Url,
        range_from: Option<u64>,
        reach: Reach,
    ) -> Result<Response, Failure> {
        let mut url = url.clone();
        for _ in 0..=MAX_REDIRECTS {
            self.counters.requests.fetch_add(1, Ordering::Relaxed);
            let mut request = self.http.get(url.clone());
            if let Some(credentials) = &self.credentials
                && url.origin() == self.base.origin()
            {
                request = request.header(header::AUTHORIZATION, credentials.authorization());
            }
            if let Some(from) = range_from {
                request = request.header(header::RANGE, format!("bytes={from}-"));
            }
            let response = match request.send().await {
                Ok(r) => r,
                Err(e) => {
                    return Err(Failure::Transient {
                        reason: crate::describe(e),
                        wait: None,
                    });
                }
            };
            self.count_head(&response);
            let status = response.status();
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                if reach == Reach::Nowhere {
                    return Err(Failure::Fatal(ProtocolError::InvalidResponse {
                        url: url.to_string(),
                        reason: redirect_refused(status.as_u16(), location_of(&response)),
                    }));
                }
                let location = response
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|l| url.join(l).ok())
                    .ok_or_else(|| {
                        Failure::Fatal(ProtocolError::InvalidResponse {
                            url: url.to_string(),
                            reason: format!("HTTP {status} without a usable Location"),
                        })
                    })?;
                self.allowed(&location, reach).map_err(|e| {
                    Failure::Fatal(ProtocolError::InvalidResponse {
                        url: url.to_string(),
                        reason: format!("redirected to {location}: {e}"),
                    })
                })?;
                url = location;
                continue;
            }
            return self.classify(url, response).await;
        }
        Err(Failure::Fatal(ProtocolError::InvalidResponse {
            url: url.to_string(),
            reason: format!("more than {MAX_REDIRECTS} redirects"),
        }))
    }

    async fn classify(&self, url: Url, response: Response) -> Result<Response, Failure> {
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
        if transient {
            return Err(Failure::Transient {
                reason: format!("HTTP {status}"),
                wait,
            });
        }
        let parsed: ErrorBody = serde_json::from_slice(&body).unwrap_or_default();
        let cut = |s: Option<String>| s.map(|s| s.chars().take(500).collect::<String>());
        Err(Failure::Fatal(ProtocolError::Status {
            url: url.to_string(),
            status: status.as_u16(),
            code: cut(parsed.code).unwrap_or_default(),
            detail: cut(parsed.detail).unwrap_or_else(|| {
                status
                    .canonical_reason()
                    .unwrap_or("request refused")
                    .to_owned()
            }),
        }))
    }

    /// Waits before attempt `attempt + 1`: full jitter over the exponential step, but never less
    /// than the server's `Retry-After`.
    async fn backoff(&self, attempt: u32, wait: Option<Duration>) {
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

    /// GETs `url` (on the server's origin) and parses its JSON body as `T`.
    pub async fn get<T: DeserializeOwned>(&self, url: &Url) -> Result<T, ProtocolError> {
        let value = self.get_json(url).await?;
        serde_json::from_value(value).map_err(|e| ProtocolError::InvalidResponse {
            url: url.to_string(),
            reason: format!("unexpected shape: {e}"),
        })
    }

    /// GETs `url` (on the server's origin) and parses its JSON body, retrying transient
    /// failures.
    pub async fn get_json(&self, url: &Url) -> Result<serde_json::Value, ProtocolError> {
        self.get_json_within(url, Reach::Server).await
    }

    /// Like [`Client::get_json`], but a redirect is an error: for the login check, where
    /// following one would send fresh credentials wherever the answer points.
    pub async fn get_json_here(&self, url: &Url) -> Result<serde_json::Value, ProtocolError> {
        self.get_json_within(url, Reach::Nowhere).await
    }

    async fn get_json_within(
        &self,
        url: &Url,
        reach: Reach,
    ) -> Result<serde_json::Value, ProtocolError> {
        self.allowed(url, reach).map_err(|e| match e {
            ProtocolError::InvalidResponse { url, reason } => ProtocolError::InvalidResponse {
                url,
                reason: format!("refusing to send a request there: {reason}"),
            },
            other => other,
        })?;
        let mut last = String::new();
        for attempt in 0..self.retry.max_attempts {
            match self.attempt(url, None, reach).await {
                Ok(response) => match read_capped(self, response, MAX_JSON_BYTES).await {
                    Ok(bytes) => {
                        return serde_json::from_slice(&bytes).map_err(|e| {
                            ProtocolError::InvalidResponse {
                                url: url.to_string(),
                                reason: format!("body is not JSON: {e}"),
                            }
                        });
                    }
                    Err(ReadError::TooLarge) => {
                        return Err(ProtocolError::InvalidResponse {
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
        Err(ProtocolError::GaveUp {
            url: url.to_string(),
            attempts: self.retry.max_attempts,
            last,
        })
    }

    /// Downloads `url` into `part`, resuming from the bytes already there with `Range`, and
    /// checks the result against `size` and `sha256` (lowercase hex). Redirects may lead to the
    /// download allow-list; credentials stay on the server's origin.
    pub async fn download(
        &self,
        url: &Url,
        part: &Path,
        size: u64,
        sha256: &str,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<Downloaded, ProtocolError> {
        self.allowed(url, Reach::Downloads)?;
        let io = |error| ProtocolError::Io {
            path: part.to_owned(),
            error,
        };
        let mut last = String::new();
        let mut restarted = false;
        for attempt in 0..self.retry.max_attempts {
            let have = tokio::fs::metadata(part)
                .await
                .map(|m| m.len())
                .unwrap_or(0);
            if have > size {
                tokio::fs::remove_file(part).await.map_err(io)?;
                continue;
            }
            if have < size || size == 0 {
                let from = (have > 0).then_some(have);
                let response = match self.attempt(url, from, Reach::Downloads).await {
                    Ok(r) => r,
                    Err(Failure::Fatal(e)) => return Err(e),
                    Err(Failure::Transient { reason, wait }) => {
                        last = reason;
                        self.backoff(attempt, wait).await;
                        continue;
                    }
                };
                let status = response.status();
                if status == StatusCode::RANGE_NOT_SATISFIABLE {
                    tokio::fs::remove_file(part).await.map_err(io)?;
                    continue;
                }
                let append = status == StatusCode::PARTIAL_CONTENT && from.is_some();
                let mut file = tokio::fs::OpenOptions::new()
                    .create(true)
                    .write(true)
                    .append(append)
                    .truncate(!append)
                    .open(part)
                    .await
                    .map_err(io)?;
                let mut written = if append { have } else { 0 };
                let mut stream = response.bytes_stream();
                let mut cut = None;
                while let Some(chunk) = stream.next().await {
                    match chunk {
                        Ok(chunk) => {
                            self.counters
                                .bytes
                                .fetch_add(chunk.len() as u64, Ordering::Relaxed);
                            written += chunk.len() as u64;
                            if written > size {
                                drop(file);
                                let _ = tokio::fs::remove_file(part).await;
                                return Ok(Downloaded::Mismatch {
                                    actual: None,
                                    reason: format!(
                                        "the server sent more than the advertised {size} bytes"
                                    ),
                                });
                            }
                            file.write_all(&chunk).await.map_err(io)?;
                            progress(written);
                        }
                        Err(e) => {
                            cut = Some(crate::describe(e));
                            break;
                        }
                    }
                }
                file.flush().await.map_err(io)?;
                drop(file);
                if let Some(reason) = cut {
                    // Keep the bytes: the next attempt asks for the rest with Range.
                    last = reason;
                    self.backoff(attempt, None).await;
                    continue;
                }
            }
            let data = tokio::fs::read(part).await.map_err(io)?;
            let actual = hex::encode(Sha256::digest(&data));
            if actual == sha256 {
                return Ok(Downloaded::Bytes(data, part.to_owned()));
            }
            let _ = tokio::fs::remove_file(part).await;
            if !restarted && data.len() as u64 == size && have > 0 {
                // Resumed bytes may have come from an older partial file; try once from scratch.
                restarted = true;
                continue;
            }
            return Ok(Downloaded::Mismatch {
                reason: format!(
                    "downloaded bytes hash to sha256:{actual}, but the server advertised sha256:{sha256}"
                ),
                actual: Some(actual),
            });
        }
        Err(ProtocolError::GaveUp {
            url: url.to_string(),
            attempts: self.retry.max_attempts,
            last,
        })
    }

    /// Sends one `method` request (POST, PUT) of `body` as `content_type`, signed, without
    /// retrying (the caller decides what an answer means), and returns the status and at most
    /// `cap` bytes of the body.
    pub async fn send_once(
        &self,
        method: reqwest::Method,
        url: &Url,
        content_type: &str,
        body: Vec<u8>,
        cap: usize,
    ) -> Result<(u16, Vec<u8>), PostError> {
        self.allowed(url, Reach::Server)
            .map_err(|e| PostError::Unreachable(e.to_string()))?;
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        let mut request = self
            .http
            .request(method, url.clone())
            .header(header::CONTENT_TYPE, content_type)
            .body(body);
        if let Some(credentials) = &self.credentials {
            request = request.header(header::AUTHORIZATION, credentials.authorization());
        }
        let response = request
            .send()
            .await
            .map_err(|e| PostError::Unreachable(crate::describe(e)))?;
        self.count_head(&response);
        let status = response.status().as_u16();
        // The client never follows redirects (its policy is none); a write is not re-sent
        // anywhere else, and the caller learns why it did not arrive.
        if response.status().is_redirection() {
            return Err(PostError::Redirected {
                status,
                location: location_of(&response),
            });
        }
        match read_capped(self, response, cap).await {
            Ok(bytes) => Ok((status, bytes)),
            Err(ReadError::TooLarge) => Err(PostError::TooLarge),
            Err(ReadError::Transport(reason)) => Err(PostError::Cut(reason)),
        }
    }
}

/// Why a single POST or PUT got no complete answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostError {
    /// The request could not be sent (connection refused, timed out, a host not allowed).
    Unreachable(String),
    /// The answer was over the cap.
    TooLarge,
    /// The answer was cut off.
    Cut(String),
    /// The server answered with a redirect, which a write never follows.
    Redirected {
        /// The 3xx status.
        status: u16,
        /// Where it pointed (at most 200 characters), if it said.
        location: Option<String>,
    },
}

impl PostError {
    /// What went wrong, for a person.
    pub fn describe(&self, max_response: usize) -> String {
        match self {
            PostError::Unreachable(reason) => reason.clone(),
            PostError::TooLarge => format!("the answer is longer than {max_response} bytes"),
            PostError::Cut(reason) => format!("the answer was cut off: {reason}"),
            PostError::Redirected { status, location } => {
                redirect_refused(*status, location.clone())
            }
        }
    }
}

/// The `Location` of a redirect, cut to 200 characters.
fn location_of(response: &Response) -> Option<String> {
    response.headers().get(header::LOCATION).map(|v| {
        String::from_utf8_lossy(v.as_bytes())
            .chars()
            .take(200)
            .collect()
    })
}

/// Why a redirect on a write or a login was not followed.
fn redirect_refused(status: u16, location: Option<String>) -> String {
    format!(
        "the server answered HTTP {status} redirecting to {}; Vetter never follows a redirect \
         when logging in or sending a key or decision: use the server's final address",
        location.as_deref().unwrap_or("nowhere")
    )
}

fn parse_base(server: &str) -> Result<Url, ProtocolError> {
    let normal = crate::routes::normalize_server(server)?;
    Url::parse(&normal).map_err(|_| ProtocolError::BadServerUrl {
        url: server.to_owned(),
    })
}

/// Why reading a body stopped.
enum ReadError {
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
        let chunk = chunk.map_err(|e| ReadError::Transport(crate::describe(e)))?;
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
