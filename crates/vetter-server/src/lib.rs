//! Vetter's reference review server: the sync protocol of docs/api/openapi.yaml over SQLite
//! (one reviewer, the demo) or PostgreSQL (a team, several server processes).
//!
//! A library with a thin binary, so the demo, the integration tests (which start the real
//! process) and anyone embedding it share one implementation.

pub mod api;
pub mod limits;
pub mod metrics;
pub mod ops;
pub mod postgres;
pub mod sqlite;
pub mod storage;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use vetter_fixtures::demo::Seed;
use vetter_protocol::auth::{JtiLedger, MemoryJtiLedger};
use zeroize::Zeroizing;

use crate::api::AppState;
use crate::limits::{Limits, RateLimits};
use crate::postgres::PgStorage;
use crate::sqlite::SqliteStorage;
use crate::storage::{Storage, StorageError};

/// Where the server keeps its data.
#[derive(Clone)]
pub enum Database {
    /// `server.sqlite3` in the data folder: one process.
    Sqlite,
    /// A PostgreSQL database (`postgres://USER@HOST:PORT/NAME`, loopback or a Unix socket),
    /// which several server processes may share.
    Postgres {
        /// The connection URL, without a password.
        url: String,
        /// The password, read from a file, never from the command line.
        password: Option<Zeroizing<String>>,
        /// Connections this process keeps.
        pool_size: u32,
    },
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::Sqlite => f.write_str("Sqlite"),
            // The password never reaches a log line.
            Database::Postgres { url, pool_size, .. } => f
                .debug_struct("Postgres")
                .field("url", url)
                .field("pool_size", pool_size)
                .finish_non_exhaustive(),
        }
    }
}

/// Opened storage and the token ledger that goes with it.
pub struct Opened {
    /// The storage.
    pub storage: Arc<dyn Storage>,
    /// Where used request tokens are remembered.
    pub ledger: Arc<dyn JtiLedger + Send + Sync>,
    /// The test-only faults the seed asked for.
    pub faults: Vec<vetter_fixtures::demo::FaultSeed>,
}

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
    /// The database.
    pub database: Database,
    /// How long requests in flight may take to finish after a shutdown signal.
    pub shutdown_grace: Duration,
    /// Whether SIGTERM and Ctrl-C shut the server down gracefully. Only the binary sets it: a
    /// server embedded in a test process must not take that process's Ctrl-C.
    pub handle_signals: bool,
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
            database: Database::Sqlite,
            shutdown_grace: Duration::from_secs(30),
            handle_signals: false,
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

/// Opens the SQLite storage in `data_dir`, loading `seed` when the database has none yet.
pub fn open_storage(data_dir: &Path, seed: Option<&Path>) -> Result<SqliteStorage, StorageError> {
    let storage = SqliteStorage::open(data_dir)?;
    seed_if_empty(&storage, seed)?;
    Ok(storage)
}

/// Opens the configured database (SQLite in `data_dir`, or PostgreSQL), loading `seed` when it
/// holds none yet.
pub fn open_database(
    database: &Database,
    data_dir: &Path,
    seed: Option<&Path>,
) -> Result<Opened, StorageError> {
    match database {
        Database::Sqlite => {
            let storage = open_storage(data_dir, seed)?;
            Ok(Opened {
                faults: storage.faults()?,
                storage: Arc::new(storage),
                ledger: Arc::new(MemoryJtiLedger::default()),
            })
        }
        Database::Postgres {
            url,
            password,
            pool_size,
        } => {
            let config = postgres::database_config(url, password.as_ref())
                .map_err(|e| StorageError::Invalid(e.to_string()))?;
            let storage = Arc::new(PgStorage::open(config, *pool_size)?);
            seed_if_empty(storage.as_ref(), seed)?;
            Ok(Opened {
                faults: storage.faults()?,
                storage: storage.clone(),
                ledger: storage,
            })
        }
    }
}

fn seed_if_empty(storage: &dyn Storage, seed: Option<&Path>) -> Result<(), StorageError> {
    if let Some(dir) = seed
        && !storage.is_seeded()?
    {
        let seed = Seed::load(dir)?;
        storage.load_seed(&storage::seed_rows(&seed, dir)?)?;
    }
    Ok(())
}

/// Binds, prints `listening on http://ADDR` (one line, flushed, so a parent process can read the
/// chosen port) and serves until the process ends.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let opened = open_for(&config).await?;
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    serve_with(opened, listener, &config).await
}

/// Like [`serve`] on a listener the caller bound already (`config.listen` is ignored). Tests in
/// one process use it so a port is held from the start: binding port 0, releasing it and binding
/// again lets a parallel test take the same port in between.
pub async fn serve_on(config: Config, listener: std::net::TcpListener) -> anyhow::Result<()> {
    listener.set_nonblocking(true)?;
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let opened = open_for(&config).await?;
    serve_with(opened, listener, &config).await
}

async fn open_for(config: &Config) -> anyhow::Result<Opened> {
    let (database, dir, seed) = (
        config.database.clone(),
        config.data_dir.clone(),
        config.seed.clone(),
    );
    Ok(
        tokio::task::spawn_blocking(move || open_database(&database, &dir, seed.as_deref()))
            .await??,
    )
}

async fn serve_with(
    opened: Opened,
    listener: tokio::net::TcpListener,
    config: &Config,
) -> anyhow::Result<()> {
    let faults = opened.faults;
    let addr = listener.local_addr()?;
    let public_url = match &config.public_url {
        Some(url) => public_url(url)?,
        None => format!("http://{addr}"),
    };
    let state = Arc::new(AppState {
        storage: opened.storage,
        ledger: opened.ledger,
        public_url,
        faults: Mutex::new(faults),
        limits: RateLimits::new(config.limits),
        metrics: metrics::Metrics::new(),
        draining: AtomicBool::new(false),
    });
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on http://{addr}")?;
        out.flush()?;
    }
    tracing::info!(%addr, database = ?config.database, "serving");
    let app = ops::router(state.clone())
        .merge(api::router(state.clone()))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ops::observe,
        ));
    // On SIGTERM or Ctrl-C: stop accepting, answer 503 on /readyz, let requests in flight finish
    // for up to the grace period, then stop.
    let (stopping_tx, stopping_rx) = tokio::sync::watch::channel(false);
    let handle_signals = config.handle_signals;
    let signalled = {
        let state = state.clone();
        async move {
            if !handle_signals {
                std::future::pending::<()>().await;
            }
            shutdown_signal().await;
            state
                .draining
                .store(true, std::sync::atomic::Ordering::Relaxed);
            tracing::info!("shutdown signal: finishing requests in flight");
            let _ = stopping_tx.send(true);
        }
    };
    // The peer address keys the limit on refused credentials.
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(signalled);
    let grace = config.shutdown_grace;
    let deadline = async move {
        let mut rx = stopping_rx;
        if rx.wait_for(|stopping| *stopping).await.is_err() {
            // No signal will come: only the server ending stops the select.
            std::future::pending::<()>().await;
        }
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        served = server => served?,
        () = deadline => tracing::warn!(?grace, "requests still in flight after the grace period; stopping"),
    }
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGTERM or Ctrl-C (SIGINT).
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
