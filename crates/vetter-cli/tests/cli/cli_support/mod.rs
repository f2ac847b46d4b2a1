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

/// Waits for `child` (a `vetter` run a kill test started) at most two minutes; past that, kills
/// it and fails the test, naming the run.
pub fn wait_bounded(child: &mut std::process::Child, run: u32) -> std::process::ExitStatus {
    let start = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > std::time::Duration::from_secs(120) {
            child.kill().unwrap();
            panic!("run {run}: vetter did not finish within 120 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// A new data folder `work/name` holding a copy of the cache in `template` (its database file
/// alone: closing the template's last connection checkpointed its WAL).
pub fn fresh_copy(template: &Path, work: &Path, name: &str) -> std::path::PathBuf {
    let dir = work.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        template.join(vetter_store::DB_FILE),
        dir.join(vetter_store::DB_FILE),
    )
    .unwrap();
    dir
}

/// Fails unless SQLite's own checks pass on the cache in `data_dir`: `integrity_check` says
/// `ok` and no foreign key points nowhere.
pub fn assert_sqlite_checks_pass(data_dir: &Path, run: u32) {
    let conn = rusqlite::Connection::open(data_dir.join(vetter_store::DB_FILE)).unwrap();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok", "run {run}: integrity_check");
    let fk: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(fk, 0, "run {run}: foreign key violations");
}
