//! What every real-data test needs: the fetched data set (see docs/bench-data.md) and the
//! pdfjs-dist releases wrapped as add-ons.
//!
//! The policy is the same for all of them: `bench/fetch-data` runs first (idempotent: seconds
//! when the data is present), once per test process, and a failure to fetch fails the test,
//! never skips it, because a missing data set must not look like a pass.
//!
//! Each test file includes this module and uses only part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The five real Firefox extensions (Debian packages), by zip name.
pub const EXTENSIONS: [&str; 5] = [
    "ublock-origin",
    "privacy-badger",
    "keepassxc-browser",
    "tree-style-tab",
    "foxyproxy",
];

/// The three pdfjs-dist releases, oldest first.
pub const PDFJS: [&str; 3] = ["5.7.284", "6.4.299", "6.5.438"];

/// The gecko id of the generated manifest that turns a pdfjs-dist release into an add-on, so
/// that all releases are versions of one add-on.
pub const PDFJS_GUID: &str = "pdfjs-bundle@vetter.invalid";

/// The repository root (the tests live in crates/vetter-cli).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root exists")
}

/// Runs bench/fetch-data once per test process and returns target/bench-data; panics with the
/// script's output when it fails.
pub fn bench_data() -> &'static Path {
    static DATA: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let result = DATA.get_or_init(|| {
        let root = repo_root();
        let out = Command::new(root.join("bench/fetch-data"))
            .current_dir(&root)
            .output()
            .map_err(|e| format!("cannot run bench/fetch-data: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "bench/fetch-data failed ({}):\n{}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(root.join("target/bench-data"))
    });
    match result {
        Ok(path) => path,
        Err(msg) => panic!("{msg}"),
    }
}

/// The source the fetch script recorded for one item, e.g.
/// `debian:webext-foxyproxy=7.5.1+dfsg-3`: tests whose expectations were read from one package
/// version check it first.
pub fn fetched_source(name: &str) -> String {
    let stamp = std::fs::read_to_string(bench_data().join("stamps").join(format!("{name}.done")))
        .expect("fetch-data writes a stamp per item");
    stamp
        .lines()
        .find_map(|l| l.strip_prefix("source="))
        .expect("stamp names its source")
        .to_owned()
}

/// The fetched zip of one item (`ublock-origin`, `pdfjs-dist-6.5.438`, …).
pub fn zip_path(name: &str) -> PathBuf {
    bench_data().join("zips").join(format!("{name}.zip"))
}

/// The extracted tree of one item.
pub fn tree_path(name: &str) -> PathBuf {
    bench_data().join("trees").join(name)
}

/// A pdfjs-dist release as an add-on XPI (see `vetter_testkit::pdfjs_xpi`).
pub fn pdfjs_xpi(version: &str) -> Vec<u8> {
    let name = format!("pdfjs-dist-{version}");
    vetter_testkit::pdfjs_xpi(&zip_path(&name), version, PDFJS_GUID)
        .unwrap_or_else(|e| panic!("{name}.zip: {e}"))
}

/// [`pdfjs_xpi`] written to `out_dir/pdfjs-dist-VERSION.xpi`, for tests that drive the CLI.
pub fn pdfjs_xpi_file(version: &str, out_dir: &Path) -> PathBuf {
    let path = out_dir.join(format!("pdfjs-dist-{version}.xpi"));
    std::fs::write(&path, pdfjs_xpi(version)).expect("temporary XPI written");
    path
}
