//! Why a request failed: one error type for the client and for the route builders, so a bad
//! server URL reads the same wherever it is found.

use std::path::PathBuf;

/// Why a request failed. Every variant names the URL.
#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    /// The server URL is not an http(s) URL.
    #[error("{url:?} is not a server URL (expected http://HOST:PORT or https://HOST)")]
    BadServerUrl {
        /// The URL.
        url: String,
    },
    /// A server URL would send signed requests in clear text over a network.
    #[error(
        "{url} is plain http to another machine, which would send your credentials and \
         decisions in clear text: use https:// (http:// is accepted only for 127.0.0.1, ::1 and \
         localhost)"
    )]
    PlainHttp {
        /// The URL.
        url: String,
    },
    /// The HTTP client could not be built.
    #[error("cannot talk to {url}: {error}")]
    Http {
        /// The URL.
        url: String,
        /// The error.
        error: String,
    },
    /// The server refused a request (4xx other than 429).
    #[error("{url}: HTTP {status} {code}: {detail}")]
    Status {
        /// The URL.
        url: String,
        /// HTTP status.
        status: u16,
        /// The server's error code (AMO sends none; then empty).
        code: String,
        /// The server's explanation.
        detail: String,
    },
    /// Transient failures persisted through every attempt.
    #[error("{url}: gave up after {attempts} attempts; last error: {last}")]
    GaveUp {
        /// The URL.
        url: String,
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        last: String,
    },
    /// The server answered something that breaks the protocol (a body that does not parse, a
    /// URL off the allowed hosts, a redirect loop).
    #[error("{url}: invalid response: {reason}")]
    InvalidResponse {
        /// The URL.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// A partial-download file could not be written.
    #[error("cannot write {path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        error: std::io::Error,
    },
}

impl ProtocolError {
    /// The HTTP status of a refusal.
    pub fn status(&self) -> Option<u16> {
        match self {
            ProtocolError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}
