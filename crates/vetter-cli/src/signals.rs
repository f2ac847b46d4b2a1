//! `vetter signals VERSION`: every signal of a cached version, as the app lists them when that
//! version is the newer side of a review: the server's scanners, AMO's validator, and the local
//! ones (hidden characters, nested archives, the enabled rule files' matches).

use std::path::Path;

use vetter_review::version_signals;
use vetter_store::Store;

use crate::display::printable;
use crate::say;

/// Arguments of `vetter signals`.
#[derive(clap::Args)]
pub struct SignalsArgs {
    /// The cached version (its id from `vetter versions`).
    pub version: i64,
}

/// Runs `vetter signals`; prints `path:line[:column] source/scanner rule: message` per signal.
pub fn run(data_dir: &Path, args: &SignalsArgs, json: bool) -> anyhow::Result<()> {
    let store = Store::open(data_dir)?;
    let signals = version_signals(&store, args.version)?;
    if json {
        say!("{}", serde_json::to_string_pretty(&signals)?);
        return Ok(());
    }
    for s in &signals {
        let column = s.column.map(|c| format!(":{c}")).unwrap_or_default();
        let source = match s.source {
            vetter_review::SignalSource::Server => "server",
            vetter_review::SignalSource::Local => "local",
            vetter_review::SignalSource::Linter => "addons-linter",
        };
        let message = s
            .message
            .as_deref()
            .map(|m| format!(": {}", printable(m)))
            .unwrap_or_default();
        say!(
            "{}:{}{column} {source}/{} {}{message}",
            printable(&s.path),
            s.line,
            printable(&s.scanner),
            printable(&s.rule),
        );
    }
    Ok(())
}
