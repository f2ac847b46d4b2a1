//! Starts the real `vetter-server` binary for the integration tests.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The demo seed the tests start from.
pub fn demo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/demo")
}

/// Starts the server on a free loopback port with its database in `data` and the seed in
/// `seed`, and returns the process with the base URL it announced on its first line.
pub fn spawn_server(data: &Path, seed: &Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vetter-server"))
        .args(["--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .arg("--seed")
        .arg(seed)
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
