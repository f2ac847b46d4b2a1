//! The house rules of docs/architecture.md, checked on the tree as it is: the reference server
//! builds none of the heavy dependencies, and only `vetter-store` opens a database or holds
//! schema SQL.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The server's normal (non-test) dependency tree, one package name per line.
fn server_dependencies() -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .current_dir(root())
        .args([
            "tree",
            "--offline",
            "-p",
            "vetter-server",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

#[test]
fn the_server_builds_no_heavy_dependency() {
    let deps = server_dependencies();
    assert!(
        deps.iter().any(|d| d == "axum"),
        "the tree was read: {deps:?}"
    );
    for heavy in [
        "yara-x",
        "wasmtime",
        "syntect",
        "keyring",
        "tauri",
        "vetter-rules",
    ] {
        assert!(
            !deps.iter().any(|d| d == heavy),
            "vetter-server depends on {heavy}: see docs/architecture.md"
        );
    }
}

/// Every `.rs` file under `dir`, tests and benches left out (they may set up or inspect a
/// database by hand, as an outside check).
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if !matches!(
                name.as_str(),
                "tests" | "benches" | "target" | "node_modules"
            ) {
                sources(&path, out);
            }
        } else if name.ends_with(".rs") && !name.ends_with("tests.rs") {
            out.push(path);
        }
    }
}

/// What only the store may write: opening a SQLite file, and schema statements.
const STORE_ONLY: &[&str] = &[
    "Connection::open",
    "CREATE TABLE",
    "CREATE INDEX",
    "CREATE VIRTUAL TABLE",
    "ALTER TABLE",
    "DROP TABLE",
];

#[test]
fn only_the_store_opens_a_database_or_holds_schema_sql() {
    let mut files = Vec::new();
    sources(&root().join("crates"), &mut files);
    sources(&root().join("src-tauri"), &mut files);
    assert!(files.len() > 50, "the tree was read: {} files", files.len());
    let store = root().join("crates/vetter-store");
    let mut found = Vec::new();
    for file in files.iter().filter(|f| !f.starts_with(&store)) {
        let text = std::fs::read_to_string(file).unwrap();
        for needle in STORE_ONLY {
            if text.contains(needle) {
                found.push(format!("{}: {needle}", file.display()));
            }
        }
    }
    assert!(found.is_empty(), "outside vetter-store: {found:#?}");
}
