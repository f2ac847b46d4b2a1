//! Running the real `vetter` binary on a data folder, for the CLI's end-to-end tests.
#![allow(dead_code)] // each test binary that includes this module uses a part of it

use std::path::Path;
use std::process::{Command, Output};

/// Runs `vetter --data-dir DATA ARGS…` (with no `VETTER_DATA_DIR` from the environment) and
/// returns what it did.
pub fn vetter(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vetter"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("VETTER_DATA_DIR")
        .output()
        .expect("vetter runs")
}

/// The standard output of a run that must have succeeded (its stderr in the failure message).
pub fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "vetter failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("vetter prints UTF-8")
}
