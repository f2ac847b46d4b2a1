//! Starts the real `vetter-server` binary for the integration tests.

// Each test binary uses a different part of this module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

/// The demo seed the tests start from.
pub fn demo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/demo")
}

/// A started server process, killed when dropped (also when a test panics).
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the server on a free loopback port with its database in `data` and the seed in
/// `seed`, and returns the process with the base URL it announced on its first line.
pub fn spawn_server(data: &Path, seed: &Path) -> (Child, String) {
    spawn_server_with(data, seed, &[])
}

/// Like [`spawn_server`], with more command-line arguments.
///
/// With `VETTER_TEST_DATABASE=postgres` the server keeps its data in a private PostgreSQL
/// cluster (one database per data folder, so a restarted server finds its data), which is how
/// CI runs this whole suite a second time against that backend.
pub fn spawn_server_with(data: &Path, seed: &Path, args: &[&str]) -> (Child, String) {
    let mut all: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    all.extend(backend_args(data));
    spawn(data, seed, &all, Stdio::inherit())
}

/// The arguments that put a server on this run's backend for data folder `data`.
pub fn backend_args(data: &Path) -> Vec<String> {
    if vetter_testkit::postgres::requested() {
        vetter_testkit::postgres::shared()
            .and_then(|c| c.server_args(&data.display().to_string()))
            .unwrap_or_else(|e| panic!("{e}"))
    } else {
        Vec::new()
    }
}

/// The storage of this run's backend for data folder `data`, opened in this process.
pub fn storage(data: &Path) -> std::sync::Arc<dyn vetter_server::storage::Storage> {
    let database = if vetter_testkit::postgres::requested() {
        let cluster = vetter_testkit::postgres::shared().unwrap_or_else(|e| panic!("{e}"));
        let name = cluster
            .database_for(&data.display().to_string())
            .unwrap_or_else(|e| panic!("{e}"));
        let password = std::fs::read_to_string(cluster.password_file()).unwrap();
        vetter_server::Database::Postgres {
            url: cluster.url(&name),
            password: Some(zeroize::Zeroizing::new(password.trim().to_owned())),
            pool_size: 2,
        }
    } else {
        vetter_server::Database::Sqlite
    };
    vetter_server::open_database(&database, data, None)
        .unwrap_or_else(|e| panic!("{e}"))
        .storage
}

/// Starts `vetter-server` with `args` (its data in `data`, the seed in `seed`), stderr going to
/// `stderr`; returns the process and the URL it announced.
pub fn spawn(data: &Path, seed: &Path, args: &[String], stderr: Stdio) -> (Child, String) {
    // Request lines would flood the test output; the logs test asks for them itself.
    let level = std::env::var("VETTER_LOG").unwrap_or_else(|_| "warn".to_owned());
    spawn_logging(data, seed, args, &level, stderr)
}

/// Like [`spawn`], logging at `level`.
pub fn spawn_logging(
    data: &Path,
    seed: &Path,
    args: &[String],
    level: &str,
    stderr: Stdio,
) -> (Child, String) {
    vetter_testkit::spawn_server_process(
        Path::new(env!("CARGO_BIN_EXE_vetter-server")),
        data,
        seed,
        args,
        level,
        stderr,
    )
}

/// [`spawn`] as a guard that kills the server when dropped.
pub fn process(data: &Path, seed: &Path, args: &[String]) -> vetter_testkit::ServerProcess {
    let (child, base) = spawn(data, seed, args, Stdio::inherit());
    vetter_testkit::ServerProcess { child, base }
}
