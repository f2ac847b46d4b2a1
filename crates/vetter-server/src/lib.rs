//! Vetter's reference review server: the sync protocol of docs/api/openapi.yaml over SQLite.
//!
//! A library with a thin binary, so the demo, the integration tests (which start the real
//! process) and anyone embedding it share one implementation.

pub mod api;
pub mod limits;
pub mod sqlite;
pub mod storage;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use vetter_fixtures::demo::Seed;
use vetter_protocol::auth::MemoryJtiLedger;

use crate::api::AppState;
use crate::limits::{Limits, RateLimits};
use crate::sqlite::SqliteStorage;
use crate::storage::StorageError;

/// How to run the server.
#[derive(Debug, Clone)]
pub struct Config {
    /// The data folder holding `server.sqlite3`.
    pub data_dir: PathBuf,
    /// Address to listen on (port 0 picks a free one).
    pub listen: SocketAddr,
    /// A seed folder to load into an empty database.
    pub seed: Option<PathBuf>,
    /// The URL clients reach the server at, when a TLS front end serves it (`https://…`);
    /// `None` uses `http://` and the bound address. Links and file URLs are built on it.
    pub public_url: Option<String>,
    /// Request limits.
    pub limits: Limits,
}

impl Config {
    /// A server on `listen` with its data in `data_dir`, no seed, default limits.
    pub fn new(data_dir: PathBuf, listen: SocketAddr) -> Config {
        Config {
            data_dir,
            listen,
            seed: None,
            public_url: None,
            limits: Limits::default(),
        }
    }
}

/// Checks and spells a `--public-url`: `https://` (or `http://` to a loopback host), no path
/// beyond `/`, no query; returned without a trailing slash.
pub fn public_url(text: &str) -> anyhow::Result<String> {
    let normal = vetter_protocol::routes::normalize_server(text)?;
    let url = normal.trim_end_matches('/');
    let rest = url.split_once("://").map_or("", |(_, rest)| rest);
    if rest.contains('/') || rest.contains('?') || rest.contains('#') {
        anyhow::bail!(
            "--public-url {text:?} must be an origin (scheme, host and port) without a path: the API paths are fixed"
        );
    }
    Ok(url.to_owned())
}

/// Opens the storage, loading `seed` when the database has none yet.
pub fn open_storage(data_dir: &Path, seed: Option<&Path>) -> Result<SqliteStorage, StorageError> {
    let storage = SqliteStorage::open(data_dir)?;
    if let Some(dir) = seed
        && !storage.is_seeded()?
    {
        let seed = Seed::load(dir)?;
        storage.load_seed(&seed, dir)?;
    }
    Ok(storage)
}

/// Binds, prints `listening on http://ADDR` (one line, flushed, so a parent process can read the
/// chosen port) and serves until the process ends.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let storage = open_for(&config).await?;
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    serve_with(storage, listener, &config).await
}

/// Like [`serve`] on a listener the caller bound already (`config.listen` is ignored). Tests in
/// one process use it so a port is held from the start: binding port 0, releasing it and binding
/// again lets a parallel test take the same port in between.
pub async fn serve_on(config: Config, listener: std::net::TcpListener) -> anyhow::Result<()> {
    listener.set_nonblocking(true)?;
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let storage = open_for(&config).await?;
    serve_with(storage, listener, &config).await
}

async fn open_for(config: &Config) -> anyhow::Result<SqliteStorage> {
    let (dir, seed) = (config.data_dir.clone(), config.seed.clone());
    Ok(tokio::task::spawn_blocking(move || open_storage(&dir, seed.as_deref())).await??)
}

async fn serve_with(
    storage: SqliteStorage,
    listener: tokio::net::TcpListener,
    config: &Config,
) -> anyhow::Result<()> {
    let faults = storage.faults()?;
    let addr = listener.local_addr()?;
    let public_url = match &config.public_url {
        Some(url) => public_url(url)?,
        None => format!("http://{addr}"),
    };
    let state = Arc::new(AppState {
        storage: Arc::new(storage),
        ledger: MemoryJtiLedger::default(),
        public_url,
        faults: Mutex::new(faults),
        limits: RateLimits::new(config.limits),
    });
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on http://{addr}")?;
        out.flush()?;
    }
    // The peer address keys the limit on refused credentials.
    axum::serve(
        listener,
        api::router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await?;
    Ok(())
}
