//! Mozilla's addons-linter, the validator AMO runs on every upload: run on a folder or package
//! with Node.js, its JSON read leniently (its output is treated as untrusted like any tool's).
//!
//! The linter writes its log to standard output too, so it runs with `LOG_LEVEL=fatal`; a
//! crash prints nothing there and exits non-zero, and a broken package exits 0 with one
//! error message, so the JSON, not the exit status, says what happened.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The linter codes that mark a JavaScript construct, and the sinks that answer each.
pub const CODE_FINDINGS: &[(&str, &[crate::SinkKind])] = &[
    (
        "UNSAFE_VAR_ASSIGNMENT",
        &[
            crate::SinkKind::HtmlAssignment,
            crate::SinkKind::HtmlInsertion,
            crate::SinkKind::DocumentWrite,
            crate::SinkKind::DynamicScript,
        ],
    ),
    (
        "DANGEROUS_EVAL",
        &[crate::SinkKind::Eval, crate::SinkKind::FunctionConstructor],
    ),
    ("NO_IMPLIED_EVAL", &[crate::SinkKind::StringTimer]),
    ("NO_DOCUMENT_WRITE", &[crate::SinkKind::DocumentWrite]),
];

/// The most a linter run may take.
pub const LINT_TIMEOUT: Duration = Duration::from_secs(600);

/// Largest JSON output read.
const MAX_OUTPUT: usize = 64 * 1024 * 1024;

/// Why the linter could not be run or read.
#[derive(Debug, thiserror::Error)]
pub enum LinterError {
    /// No linter was found.
    #[error(
        "addons-linter not found (looked in {looked}); run scripts/setup, or set VETTER_ADDONS_LINTER to its bin/addons-linter"
    )]
    NotFound {
        /// Where it was looked for.
        looked: String,
    },
    /// Node.js or the linter could not be started.
    #[error("could not start addons-linter ({program}): {source}")]
    Start {
        /// The program.
        program: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The linter ran longer than [`LINT_TIMEOUT`].
    #[error("addons-linter ran longer than {} s and was stopped", LINT_TIMEOUT.as_secs())]
    Timeout,
    /// The linter printed no JSON (it crashed).
    #[error("addons-linter printed no report (exit {status}): {stderr}")]
    Crashed {
        /// Its exit status.
        status: String,
        /// The end of its standard error.
        stderr: String,
    },
    /// Its output is not the JSON report.
    #[error("addons-linter's report is not readable JSON: {0}")]
    BadReport(String),
}

/// One message of the linter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct LinterMessage {
    /// `error`, `warning` or `notice`.
    #[serde(rename = "_type", default)]
    pub kind: String,
    /// Its code (`UNSAFE_VAR_ASSIGNMENT`).
    #[serde(default)]
    pub code: String,
    /// Its message.
    #[serde(default)]
    pub message: String,
    /// The file, when it names one.
    #[serde(default)]
    pub file: Option<String>,
    /// 1-based line, when known (lines as the linter counts them: U+2028 and U+2029 end
    /// lines too).
    #[serde(default)]
    pub line: Option<u32>,
    /// 1-based column in UTF-16 code units, when known.
    #[serde(default)]
    pub column: Option<u32>,
}

/// The linter's report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct LinterReport {
    /// The linter's version.
    pub linter_version: String,
    /// Every message: errors, then warnings, then notices.
    pub messages: Vec<LinterMessage>,
    /// The `.js` files it calls minified and does not know as a library (AMO's "unknown
    /// minified code" weight counts them).
    #[serde(default)]
    pub unknown_minified_files: Vec<String>,
    /// The files it identified as known libraries (and did not lint).
    #[serde(default)]
    pub known_libraries: Vec<String>,
}

#[derive(Deserialize, Default)]
struct RawMetadata {
    #[serde(default, rename = "unknownMinifiedFiles")]
    unknown_minified_files: Vec<String>,
    #[serde(default, rename = "jsLibs")]
    js_libs: serde_json::Map<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct RawReport {
    #[serde(default)]
    metadata: Option<RawMetadata>,
    #[serde(default)]
    errors: Vec<LinterMessage>,
    #[serde(default)]
    warnings: Vec<LinterMessage>,
    #[serde(default)]
    notices: Vec<LinterMessage>,
}

/// Where the linter is: `VETTER_ADDONS_LINTER`, else `tools/addons-linter` beside the program
/// (a build tree) or above the working folder, else `addons-linter` on the `PATH`.
pub fn find_linter() -> Result<PathBuf, LinterError> {
    if let Some(p) = std::env::var_os("VETTER_ADDONS_LINTER") {
        return Ok(PathBuf::from(p));
    }
    let rel = Path::new("tools/addons-linter/node_modules/addons-linter/bin/addons-linter");
    let mut looked = Vec::new();
    let starts = [
        std::env::current_exe().ok(),
        std::env::current_dir().ok(),
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR"))),
    ];
    for start in starts.into_iter().flatten() {
        for dir in start.ancestors() {
            let candidate = dir.join(rel);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
        looked.push(start.display().to_string());
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join("addons-linter");
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    looked.push("PATH".into());
    Err(LinterError::NotFound {
        looked: looked.join(", "),
    })
}

/// Runs the linter at `linter` (its `bin/addons-linter` script) on `target`, a folder or a
/// package file.
pub fn run_linter(linter: &Path, target: &Path) -> Result<LinterReport, LinterError> {
    let node = std::env::var_os("VETTER_NODE").unwrap_or_else(|| "node".into());
    let start = |cmd: &mut Command| {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env("LOG_LEVEL", "fatal")
            .spawn()
            .map_err(|source| LinterError::Start {
                program: format!("{} {}", node.to_string_lossy(), linter.display()),
                source,
            })
    };
    let mut version_cmd = Command::new(&node);
    version_cmd.arg(linter).arg("--version");
    let version = start(&mut version_cmd)?
        .wait_with_output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let mut cmd = Command::new(&node);
    cmd.arg(linter)
        .args(["--output", "json", "--boring", "--self-hosted"])
        .arg(target);
    let child = start(&mut cmd)?;
    let output = wait_with_timeout(child)?;
    let stdout = &output.stdout[..output.stdout.len().min(MAX_OUTPUT)];
    let text = String::from_utf8_lossy(stdout);
    // The report is the last line that is a JSON object (log lines could come first).
    let Some(json) = text.lines().rev().find(|l| l.trim_start().starts_with('{')) else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: String = stderr
            .chars()
            .rev()
            .take(600)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        return Err(LinterError::Crashed {
            status: output.status.to_string(),
            stderr: tail,
        });
    };
    let raw: RawReport =
        serde_json::from_str(json).map_err(|e| LinterError::BadReport(e.to_string()))?;
    let mut messages = raw.errors;
    messages.extend(raw.warnings);
    messages.extend(raw.notices);
    let metadata = raw.metadata.unwrap_or_default();
    Ok(LinterReport {
        linter_version: version,
        messages,
        unknown_minified_files: metadata.unknown_minified_files,
        known_libraries: metadata.js_libs.keys().cloned().collect(),
    })
}

fn wait_with_timeout(mut child: std::process::Child) -> Result<std::process::Output, LinterError> {
    // Drain both pipes on threads so a chatty linter never blocks on a full pipe.
    let mut out = child.stdout.take();
    let mut err = child.stderr.take();
    let out_thread = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(o) = out.as_mut() {
            let _ = std::io::Read::read_to_end(o, &mut buf);
        }
        buf
    });
    let err_thread = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(e) = err.as_mut() {
            let _ = std::io::Read::read_to_end(e, &mut buf);
        }
        buf
    });
    let deadline = std::time::Instant::now() + LINT_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(50));
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(LinterError::Timeout);
            }
        }
    };
    Ok(std::process::Output {
        status,
        stdout: out_thread.join().unwrap_or_default(),
        stderr: err_thread.join().unwrap_or_default(),
    })
}

/// The line of `text` (lines split at `\n` only, as Vetter shows them) holding the linter's
/// `line`, which also counts `\r`, U+2028 and U+2029 as line ends.
pub fn stored_line(text: &str, line: u32) -> u32 {
    let mut linter_line = 1u32;
    let mut stored = 1u32;
    let mut chars = text.chars().peekable();
    while linter_line < line {
        let Some(c) = chars.next() else { break };
        match c {
            '\n' => {
                linter_line += 1;
                stored += 1;
            }
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                    stored += 1;
                }
                linter_line += 1;
            }
            '\u{2028}' | '\u{2029}' => linter_line += 1,
            _ => {}
        }
    }
    stored
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linter_lines_map_to_stored_lines() {
        let text = "a\nb\u{2028}c\r\nd\re\n";
        assert_eq!(stored_line(text, 1), 1);
        assert_eq!(stored_line(text, 2), 2);
        assert_eq!(
            stored_line(text, 3),
            2,
            "U+2028 ends a line for the linter only"
        );
        assert_eq!(stored_line(text, 4), 3);
        assert_eq!(stored_line(text, 5), 3, "a lone CR too");
    }
}
