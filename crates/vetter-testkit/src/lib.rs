//! What Vetter's test suites share, so each does not keep its own copy: the real reference
//! server run in-process on 127.0.0.1 (a test can stop and restart it), the demo seed and its
//! reviewers, and the builder that turns a fetched pdf.js release into an add-on.
//!
//! Test binaries of one crate cannot import another crate's `tests/` modules; a crate can.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use vetter_archive::{ArchiveError, Limits, read_archive_file};
use vetter_protocol::auth::Credentials;

/// The demo seed's first reviewer (public demo credentials from fixtures/demo/seed.json).
pub const REVIEWER_KEY: &str = "user:4242:1";
/// Its secret (a public demo value, not a real credential).
pub const REVIEWER_SECRET: &str = "demo-secret-4242-not-for-production";
/// The demo seed's second reviewer.
pub const OTHER_KEY: &str = "user:4343:1";
/// Its secret.
pub const OTHER_SECRET: &str = "demo-secret-4343-not-for-production";

/// The demo seed folder (fixtures/demo).
pub fn demo_seed() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/demo")
}

/// The first reviewer's credentials.
pub fn reviewer() -> Credentials {
    Credentials::new(REVIEWER_KEY, REVIEWER_SECRET)
}

/// The second reviewer's credentials.
pub fn other_reviewer() -> Credentials {
    Credentials::new(OTHER_KEY, OTHER_SECRET)
}

/// Why the in-process server did not come up.
#[derive(Debug, thiserror::Error)]
#[error("the reference server did not start on 127.0.0.1:{port}: {detail}")]
pub struct ServerStartError {
    /// The port it was given.
    pub port: u16,
    /// What went wrong.
    pub detail: String,
}

/// The reference server on its own tokio runtime in this process; dropping it stops it.
pub struct Server {
    runtime: Option<tokio::runtime::Runtime>,
    /// Its data folder.
    pub data_dir: PathBuf,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    port: u16,
}

impl Server {
    /// Starts a server on `data_dir` (seeded with the demo seed when empty) on `port` (0 = a
    /// free one) and waits, at most 60 s, until it accepts connections.
    pub fn start(data_dir: &Path, port: u16) -> Result<Server, ServerStartError> {
        let fail = |port: u16, detail: String| ServerStartError { port, detail };
        // Bound here and handed over, so no parallel test can take the port in between.
        let listener =
            TcpListener::bind(("127.0.0.1", port)).map_err(|e| fail(port, e.to_string()))?;
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(port);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| fail(port, e.to_string()))?;
        let config = vetter_server::Config {
            data_dir: data_dir.to_owned(),
            listen: SocketAddr::from(([127, 0, 0, 1], port)),
            seed: Some(demo_seed()),
        };
        let task = runtime.spawn(vetter_server::serve_on(config, listener));
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if task.is_finished() {
                return Err(fail(port, "the server exited while starting".into()));
            }
            if Instant::now() > deadline {
                return Err(fail(port, "not listening after 60 s".into()));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Server {
            runtime: Some(runtime),
            data_dir: data_dir.to_owned(),
            url: format!("http://127.0.0.1:{port}"),
            port,
        })
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops it and waits (at most 10 s) until connections are refused, so a test can then
    /// play "the server is away" or restart it on the same port.
    pub fn stop(mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(5));
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
            assert!(Instant::now() < deadline, "the server did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// A pdfjs-dist release (the fetched zip at `zip`) as an add-on XPI: its files plus a
/// generated manifest.json naming the release, with gecko id `guid`.
///
/// pdfjs-dist is an npm package, not an extension, and the cache groups versions by the
/// manifest's identity; an extension bundling pdf.js would ship exactly such a manifest.
pub fn pdfjs_xpi(zip: &Path, version: &str, guid: &str) -> Result<Vec<u8>, ArchiveError> {
    let archive = read_archive_file(zip, &Limits::default())?;
    let manifest = format!(
        r#"{{"manifest_version": 3, "name": "pdf.js bundle", "version": "{version}",
            "browser_specific_settings": {{"gecko": {{"id": "{guid}"}}}}}}"#
    );
    let mut files: Vec<(&str, &[u8])> = vec![("manifest.json", manifest.as_bytes())];
    files.extend(
        archive
            .entries
            .iter()
            .map(|e| (e.path.as_str(), e.data.as_slice())),
    );
    Ok(vetter_fixtures::zip_files(&files))
}
