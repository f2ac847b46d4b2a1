//! A loopback HTTP/1.1 proxy that sits between a Vetter client and the real reference server and
//! breaks the exchange on a seeded schedule: 5xx with and without `Retry-After`, resets before
//! and in the middle of a body, truncated bodies, a slow drip, stalls past the client's timeout,
//! download bodies with a wrong hash, and requests delivered twice with both answers written back.
//!
//! The fault for a request depends only on the schedule's seed, the request's method and path,
//! and how many times that method and path were seen before, so a failing schedule replays the
//! same way even though the client interleaves its concurrent requests differently each run.
//! Every connection carries one request (`Connection: close` both ways), which keeps the proxy
//! small and means a fault never leaks into the next request.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Longest request head the proxy reads from a client.
const MAX_HEAD: usize = 64 * 1024;
/// Longest request body the proxy forwards (decisions are a few KiB).
const MAX_REQUEST_BODY: usize = 1024 * 1024;
/// Longest upstream response it buffers (the sync engine's own cap on an archive).
const MAX_RESPONSE: usize = vetter_client::sync::MAX_XPI_BYTES as usize + MAX_HEAD;

/// Errors of the proxy itself (never of the exchange it breaks on purpose).
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// The listener or its runtime could not be set up.
    #[error("cannot start the fault proxy on 127.0.0.1: {0}")]
    Start(std::io::Error),
    /// The upstream URL is not `http://127.0.0.1:PORT` (the proxy only talks to loopback).
    #[error("upstream {0:?} is not an http://127.0.0.1:PORT address")]
    Upstream(String),
}

/// One way to break an exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// Answer 500/502/503/504 without asking the server, with `Retry-After` when set.
    ServerError {
        /// The status sent.
        status: u16,
        /// Seconds in `Retry-After`.
        retry_after: Option<u64>,
    },
    /// Forward the request (so the server acts on it), then reset the connection before
    /// a byte of the answer.
    ResetBeforeResponse,
    /// Send the head and half the body, then reset.
    ResetMidBody,
    /// Send the head (with the full `Content-Length`) and half the body, then close cleanly.
    TruncatedBody,
    /// Send the first bytes one at a time, one every 50 ms, then the rest.
    SlowDrip,
    /// Send the head, then nothing for longer than the client's read timeout, then close.
    Stall,
    /// Answer a download with other bytes than advertised: another download's body when one
    /// was seen (a valid archive, so only the hash can catch it), else the body with one byte
    /// flipped.
    WrongHash,
    /// Deliver the request to the server twice and write both answers back to back.
    Duplicate,
}

impl Fault {
    /// A short name for figures and messages.
    pub fn name(self) -> &'static str {
        match self {
            Fault::ServerError {
                retry_after: Some(_),
                ..
            } => "5xx_retry_after",
            Fault::ServerError { .. } => "5xx",
            Fault::ResetBeforeResponse => "reset_before_response",
            Fault::ResetMidBody => "reset_mid_body",
            Fault::TruncatedBody => "truncated_body",
            Fault::SlowDrip => "slow_drip",
            Fault::Stall => "stall",
            Fault::WrongHash => "wrong_hash",
            Fault::Duplicate => "duplicate",
        }
    }
}

/// How often and how much the proxy breaks.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// The seed every fault is drawn from.
    pub seed: u64,
    /// Chance, per mille, that a request is broken while the budget lasts.
    pub rate_per_mille: u64,
    /// Most faults injected per kind of request (metadata, downloads, decision pushes); after
    /// that those requests pass, so a client that retries must converge, and the early metadata
    /// requests cannot spend the faults meant for downloads and pushes.
    pub budget: u32,
    /// How long a stall lasts (longer than the client's read timeout).
    pub stall: Duration,
    /// How many bytes a slow drip sends one by one.
    pub drip_bytes: usize,
}

impl Schedule {
    /// A schedule with the CI defaults: 35% of requests broken, at most 4 faults per kind of
    /// request, 1.5 s stalls, 16 dripped bytes.
    pub fn new(seed: u64) -> Schedule {
        Schedule {
            seed,
            rate_per_mille: 350,
            budget: 4,
            stall: Duration::from_millis(1500),
            drip_bytes: 16,
        }
    }
}

/// One fault the proxy injected.
#[derive(Debug, Clone, Serialize)]
pub struct Injected {
    /// The request's method.
    pub method: String,
    /// The request's path and query.
    pub path: String,
    /// What was done to it.
    pub fault: Fault,
}

/// Requests are budgeted by kind, so each kind gets its share of faults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum RequestKind {
    Metadata,
    Download,
    Decision,
}

impl RequestKind {
    const ALL: [RequestKind; 3] = [
        RequestKind::Metadata,
        RequestKind::Download,
        RequestKind::Decision,
    ];

    fn of(path: &str) -> RequestKind {
        if path.starts_with("/firefox/downloads/") {
            RequestKind::Download
        } else if path.starts_with("/api/v5/reviewers/decisions/") {
            RequestKind::Decision
        } else {
            RequestKind::Metadata
        }
    }
}

#[derive(Default)]
struct Book {
    seen: HashMap<(String, String), u64>,
    spent: HashMap<RequestKind, u32>,
    /// The last complete download body and its path, for wrong-hash answers.
    last_download: Option<(String, Vec<u8>)>,
    /// Paths to answer with a wrong hash whatever the schedule, and how many more times.
    tampered: HashMap<String, u32>,
    injected: Vec<Injected>,
    requests: u64,
}

struct Shared {
    upstream: SocketAddr,
    schedule: Schedule,
    book: Mutex<Book>,
    /// `http://127.0.0.1:UPSTREAM` and `http://127.0.0.1:PROXY`: the server writes absolute
    /// URLs with its own origin, which the client only follows when they are same-origin.
    rewrite: (Vec<u8>, Vec<u8>),
}

/// A running fault proxy on its own runtime; dropping it stops it.
pub struct FaultProxy {
    runtime: Option<tokio::runtime::Runtime>,
    shared: Arc<Shared>,
    url: String,
}

impl FaultProxy {
    /// Starts a proxy on a free loopback port in front of `upstream` (`http://127.0.0.1:PORT`).
    pub fn start(upstream: &str, schedule: Schedule) -> Result<FaultProxy, ProxyError> {
        let upstream_addr: SocketAddr = upstream
            .strip_prefix("http://")
            .map(|s| s.trim_end_matches('/'))
            .and_then(|s| s.parse().ok())
            .filter(|a: &SocketAddr| a.ip().is_loopback())
            .ok_or_else(|| ProxyError::Upstream(upstream.to_owned()))?;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(ProxyError::Start)?;
        listener.set_nonblocking(true).map_err(ProxyError::Start)?;
        let addr = listener.local_addr().map_err(ProxyError::Start)?;
        let url = format!("http://{addr}");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(ProxyError::Start)?;
        let shared = Arc::new(Shared {
            upstream: upstream_addr,
            schedule,
            book: Mutex::new(Book::default()),
            rewrite: (
                format!("http://{upstream_addr}").into_bytes(),
                url.clone().into_bytes(),
            ),
        });
        let listener = {
            let _guard = runtime.enter();
            TcpListener::from_std(listener).map_err(ProxyError::Start)?
        };
        let accept_shared = shared.clone();
        runtime.spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let shared = accept_shared.clone();
                tokio::spawn(async move {
                    // A broken exchange is the point; its I/O errors are not the proxy's.
                    let _ = serve(stream, &shared).await;
                });
            }
        });
        Ok(FaultProxy {
            runtime: Some(runtime),
            shared,
            url,
        })
    }

    /// `http://127.0.0.1:PORT` of the proxy.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Every fault injected so far, in the order they were decided.
    pub fn injected(&self) -> Vec<Injected> {
        self.book().injected.clone()
    }

    /// Requests seen so far.
    pub fn requests(&self) -> u64 {
        self.book().requests
    }

    /// Answers the next `times` requests for `path` (a download path such as
    /// `/firefox/downloads/file/7/a.xpi`) with a wrong-hash body, on top of the schedule and outside its
    /// budget: `1` is a passing tampering, `u32::MAX` a persistent one.
    pub fn tamper(&self, path: &str, times: u32) {
        self.book().tampered.insert(path.to_owned(), times);
    }

    /// Most faults this schedule can inject in all (its budget for each kind of request).
    pub fn max_faults(&self) -> u32 {
        self.shared.schedule.budget * RequestKind::ALL.len() as u32
    }

    fn book(&self) -> std::sync::MutexGuard<'_, Book> {
        // A panic while holding the lock only ever happens in a test that already failed.
        self.shared
            .book
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// splitmix64 over the seed and the request's identity: one draw per request.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl Shared {
    /// Decides the fault for the `nth` time `method path` is seen.
    fn decide(&self, method: &str, path: &str) -> Option<Fault> {
        let mut book = self.book.lock().unwrap_or_else(|p| p.into_inner());
        book.requests += 1;
        let key = (method.to_owned(), path.to_owned());
        let nth = {
            let n = book.seen.entry(key).or_default();
            *n += 1;
            *n
        };
        if let Some(left) = book.tampered.get_mut(path).filter(|left| **left > 0) {
            *left -= 1;
            book.injected.push(Injected {
                method: method.to_owned(),
                path: path.to_owned(),
                fault: Fault::WrongHash,
            });
            return Some(Fault::WrongHash);
        }
        let kind = RequestKind::of(path);
        if book.spent.get(&kind).copied().unwrap_or(0) >= self.schedule.budget {
            return None;
        }
        let r = mix(self.schedule.seed
            ^ fnv(method.as_bytes())
            ^ fnv(path.as_bytes()).rotate_left(17)
            ^ nth.wrapping_mul(0x2545_F491_4F6C_DD1D));
        if r % 1000 >= self.schedule.rate_per_mille {
            return None;
        }
        // Downloads may also get a wrong-hash body; elsewhere the draw stays among the rest.
        let kinds = if kind == RequestKind::Download { 11 } else { 9 };
        let pick = (r >> 20) % kinds;
        let retry_after = if (r >> 40).is_multiple_of(2) {
            Some(1)
        } else {
            None
        };
        let status = [500, 502, 503, 504][((r >> 44) % 4) as usize];
        let fault = match pick {
            0 | 1 => Fault::ServerError {
                status,
                retry_after,
            },
            2 => Fault::ResetBeforeResponse,
            3 => Fault::ResetMidBody,
            4 => Fault::TruncatedBody,
            5 => Fault::SlowDrip,
            6 => Fault::Stall,
            7 | 8 => Fault::Duplicate,
            _ => Fault::WrongHash,
        };
        *book.spent.entry(kind).or_default() += 1;
        book.injected.push(Injected {
            method: method.to_owned(),
            path: path.to_owned(),
            fault,
        });
        Some(fault)
    }
}

/// A request as read from the client.
struct Request {
    method: String,
    path: String,
    /// The head with `Connection: close`, ready to forward.
    head: Vec<u8>,
    body: Vec<u8>,
}

/// An upstream answer, de-chunked.
struct Response {
    status_line: Vec<u8>,
    /// Header lines except the framing ones, each ending in CRLF.
    headers: Vec<u8>,
    body: Vec<u8>,
}

impl Response {
    fn head(&self) -> Vec<u8> {
        let mut out = self.status_line.clone();
        out.extend_from_slice(&self.headers);
        out.extend_from_slice(
            format!(
                "content-length: {}\r\nconnection: close\r\n\r\n",
                self.body.len()
            )
            .as_bytes(),
        );
        out
    }

    fn bytes(&self) -> Vec<u8> {
        let mut out = self.head();
        out.extend_from_slice(&self.body);
        out
    }
}

async fn serve(mut client: TcpStream, shared: &Shared) -> std::io::Result<()> {
    let Some(request) = read_request(&mut client).await? else {
        return Ok(());
    };
    let fault = shared.decide(&request.method, &request.path);
    if let Some(Fault::ServerError {
        status,
        retry_after,
    }) = fault
    {
        let body = format!(r#"{{"detail":"fault proxy: {status}","code":"fault_proxy"}}"#);
        let retry = retry_after
            .map(|s| format!("retry-after: {s}\r\n"))
            .unwrap_or_default();
        let answer = format!(
            "HTTP/1.1 {status} Fault\r\ncontent-type: application/json\r\n{retry}content-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        client.write_all(answer.as_bytes()).await?;
        return client.shutdown().await;
    }
    let mut response = forward(shared, &request).await?;
    // Taken before this body is recorded, so it is always another download's.
    let other = (fault == Some(Fault::WrongHash))
        .then(|| {
            let book = shared.book.lock().unwrap_or_else(|p| p.into_inner());
            book.last_download
                .as_ref()
                .filter(|(path, _)| *path != request.path)
                .map(|(_, body)| body.clone())
        })
        .flatten();
    if RequestKind::of(&request.path) == RequestKind::Download
        && response.status_line.starts_with(b"HTTP/1.1 200")
    {
        let mut book = shared.book.lock().unwrap_or_else(|p| p.into_inner());
        book.last_download = Some((request.path.clone(), response.body.clone()));
    }
    let half = response.body.len() / 2;
    match fault {
        None | Some(Fault::ServerError { .. }) => client.write_all(&response.bytes()).await?,
        Some(Fault::ResetBeforeResponse) => return reset(client),
        Some(Fault::ResetMidBody) => {
            client.write_all(&response.head()).await?;
            client.write_all(&response.body[..half]).await?;
            client.flush().await?;
            tokio::time::sleep(Duration::from_millis(20)).await;
            return reset(client);
        }
        Some(Fault::TruncatedBody) => {
            client.write_all(&response.head()).await?;
            client.write_all(&response.body[..half]).await?;
        }
        Some(Fault::SlowDrip) => {
            let bytes = response.bytes();
            let drip = shared.schedule.drip_bytes.min(bytes.len());
            for byte in &bytes[..drip] {
                client.write_all(std::slice::from_ref(byte)).await?;
                client.flush().await?;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            client.write_all(&bytes[drip..]).await?;
        }
        Some(Fault::Stall) => {
            client.write_all(&response.head()).await?;
            client.flush().await?;
            tokio::time::sleep(shared.schedule.stall).await;
        }
        Some(Fault::WrongHash) => {
            match other {
                // A Range request gets the other archive from the same offset.
                Some(body) if response.status_line.starts_with(b"HTTP/1.1 200") => {
                    response.body = body
                }
                _ => {
                    if let Some(byte) = response.body.get_mut(half) {
                        *byte ^= 0x5A;
                    }
                }
            }
            client.write_all(&response.bytes()).await?;
        }
        Some(Fault::Duplicate) => {
            let second = forward(shared, &request).await?;
            client.write_all(&response.bytes()).await?;
            client.write_all(&second.bytes()).await?;
        }
    }
    client.flush().await?;
    client.shutdown().await
}

/// Closes with RST instead of FIN: linger 0 makes the kernel discard the send queue and reset.
fn reset(stream: TcpStream) -> std::io::Result<()> {
    #[allow(deprecated)]
    stream.set_linger(Some(Duration::ZERO))?;
    drop(stream);
    Ok(())
}

async fn read_request(client: &mut TcpStream) -> std::io::Result<Option<Request>> {
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > MAX_HEAD {
            return Ok(None);
        }
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut parsed = httparse::Request::new(&mut headers);
    if !matches!(
        parsed.parse(&buf[..head_end]),
        Ok(httparse::Status::Complete(_))
    ) {
        return Ok(None);
    }
    let method = parsed.method.unwrap_or("GET").to_owned();
    let path = parsed.path.unwrap_or("/").to_owned();
    let mut length = 0usize;
    let mut head = format!("{method} {path} HTTP/1.1\r\n").into_bytes();
    for h in parsed.headers.iter() {
        if h.name.eq_ignore_ascii_case("content-length") {
            length = std::str::from_utf8(h.value)
                .ok()
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
        }
        if h.name.eq_ignore_ascii_case("connection") {
            continue;
        }
        head.extend_from_slice(h.name.as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(h.value);
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"connection: close\r\n\r\n");
    if length > MAX_REQUEST_BODY {
        return Ok(None);
    }
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    Ok(Some(Request {
        method,
        path,
        head,
        body,
    }))
}

async fn forward(shared: &Shared, request: &Request) -> std::io::Result<Response> {
    let mut upstream = TcpStream::connect(shared.upstream).await?;
    upstream.write_all(&request.head).await?;
    upstream.write_all(&request.body).await?;
    let mut raw = Vec::new();
    (&mut upstream)
        .take(MAX_RESPONSE as u64)
        .read_to_end(&mut raw)
        .await?;
    let invalid =
        |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
    let head_end = find(&raw, b"\r\n\r\n").ok_or_else(|| invalid("no response head"))? + 4;
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut parsed = httparse::Response::new(&mut headers);
    parsed
        .parse(&raw[..head_end])
        .map_err(|_| invalid("bad response head"))?;
    let status_end = find(&raw, b"\r\n").ok_or_else(|| invalid("no status line"))? + 2;
    let mut chunked = false;
    let mut json = false;
    let mut kept = Vec::new();
    for h in parsed.headers.iter() {
        let name = h.name.to_ascii_lowercase();
        if name == "transfer-encoding" {
            chunked = h.value.eq_ignore_ascii_case(b"chunked");
            continue;
        }
        if name == "content-length" || name == "connection" {
            continue;
        }
        if name == "content-type" {
            json = h.value.windows(4).any(|w| w == b"json");
        }
        kept.extend_from_slice(h.name.as_bytes());
        kept.extend_from_slice(b": ");
        kept.extend_from_slice(h.value);
        kept.extend_from_slice(b"\r\n");
    }
    let rest = &raw[head_end..];
    let mut body = if chunked {
        dechunk(rest).ok_or_else(|| invalid("bad chunked body"))?
    } else {
        rest.to_vec()
    };
    if json {
        body = replace_all(&body, &shared.rewrite.0, &shared.rewrite.1);
    }
    Ok(Response {
        status_line: raw[..status_end].to_vec(),
        headers: kept,
        body,
    })
}

fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = find(rest, b"\r\n")?;
        let size_text = std::str::from_utf8(&rest[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn replace_all(body: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        if body[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(body[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dechunk_reassembles_chunks_and_refuses_a_cut_one() {
        assert_eq!(
            dechunk(b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n").unwrap(),
            b"abcde"
        );
        assert!(dechunk(b"5\r\nab").is_none());
    }

    #[test]
    fn the_schedule_stops_injecting_once_the_budget_is_spent() {
        let shared = Shared {
            upstream: "127.0.0.1:1".parse().unwrap(),
            schedule: Schedule {
                rate_per_mille: 1000,
                budget: 3,
                ..Schedule::new(7)
            },
            book: Mutex::new(Book::default()),
            rewrite: (vec![], vec![]),
        };
        let faults: Vec<_> = (0..10).map(|_| shared.decide("GET", "/x")).collect();
        assert_eq!(faults.iter().filter(|f| f.is_some()).count(), 3);
        assert!(faults[3..].iter().all(Option::is_none));
        // Downloads have a budget of their own.
        assert!(
            shared
                .decide("GET", "/firefox/downloads/file/1/1.xpi")
                .is_some()
        );
    }

    #[test]
    fn the_same_seed_breaks_the_same_requests() {
        let run = |seed| {
            let shared = Shared {
                upstream: "127.0.0.1:1".parse().unwrap(),
                schedule: Schedule {
                    budget: 1000,
                    ..Schedule::new(seed)
                },
                book: Mutex::new(Book::default()),
                rewrite: (vec![], vec![]),
            };
            (0..50)
                .map(|i| shared.decide("GET", &format!("/p/{}", i % 7)))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(11), run(11));
        assert_ne!(run(11), run(12));
    }
}
