//! The OpenAPI spec says exactly what the server accepts: schemathesis (from PyPI, not written
//! here) generates requests from docs/api/openapi.yaml, valid and invalid ones, sends them to the
//! real server with every check it has, and must find nothing. Bounded: 40 examples per
//! operation and phase with a fixed seed, about a minute.

use crate::common;

use std::path::Path;
use std::process::Command;

/// The schemathesis release the run is pinned to.
const SCHEMATHESIS: &str = "schemathesis==4.32.5";

#[test]
fn schemathesis_finds_nothing() {
    let python = vetter_fixtures::standin::python_venv(
        Path::new(env!("CARGO_TARGET_TMPDIR")),
        "schemathesis-venv",
        &[SCHEMATHESIS, "PyJWT==2.10.1"],
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let hooks = root.join("tests/schemathesis");
    let tmp = tempfile::tempdir().unwrap();
    let (child, base) = common::spawn_server(&tmp.path().join("server"), &common::demo_dir());
    let _server = common::Running(child);
    // The venv was built elsewhere and moved into place, so its `st` script's first line names
    // a python that is gone; its entry point is called through the venv's python instead.
    let out = Command::new(&python)
        .args([
            "-c",
            "import sys; from schemathesis.cli import schemathesis; sys.exit(schemathesis())",
        ])
        // Its run folder (.schemathesis) goes to a temporary place, not the checkout.
        .current_dir(tmp.path())
        .arg("--config-file")
        .arg(hooks.join("schemathesis.toml"))
        .arg("run")
        .arg(root.join("docs/api/openapi.yaml"))
        .args(["--url", &base, "--checks", "all", "--max-examples", "40"])
        .args([
            "--seed",
            "15",
            "--generation-database",
            "none",
            "--no-color",
        ])
        .env("SCHEMATHESIS_HOOKS", "hooks")
        .env("PYTHONPATH", &hooks)
        .env("VETTER_API_KEY", "user:4242:1")
        .env("VETTER_API_SECRET", "demo-secret-4242-not-for-production")
        .output()
        .expect("schemathesis runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Failures can quote megabytes of generated body; the summary and the first lines suffice.
    let cut = |s: &str| s.chars().take(20_000).collect::<String>();
    assert!(
        out.status.success(),
        "schemathesis found problems:\n{}\n{}",
        cut(&stdout),
        cut(&stderr)
    );
    // The run reached every operation of the spec, not just the server's front door.
    let operations = vetter_server::api::routes().len();
    assert!(
        stdout.contains(&format!("Tested: {operations}")),
        "{}",
        cut(&stdout)
    );
    assert!(!stdout.contains("Failures:"), "{}", cut(&stdout));
}
