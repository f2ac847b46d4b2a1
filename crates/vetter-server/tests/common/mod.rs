//! Starts the real `vetter-server` binary for the integration tests.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The demo seed the tests start from.
pub fn demo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/demo")
}

/// A started server process, killed when dropped (also when a test panics).
#[allow(dead_code)] // Each test binary uses a different part of this module.
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
pub fn spawn_server_with(data: &Path, seed: &Path, args: &[&str]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vetter-server"))
        .args(["--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .arg("--seed")
        .arg(seed)
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("vetter-server starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped stdout"))
        .read_line(&mut line)
        .expect("vetter-server prints its address");
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    (child, url)
}
