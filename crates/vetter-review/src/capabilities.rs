//! The capability analysis of cached versions: computed once per version (and analysis
//! version and library index), kept in the cache, compared between the two sides of a review,
//! and listed as signals; and Mozilla's addons-linter run on a cached version.

use std::path::{Path, PathBuf};

use vetter_capabilities::linter::{LinterReport, find_linter, run_linter, stored_line};
use vetter_capabilities::{
    ANALYSIS_VERSION, Capabilities, CapabilityDelta, EndpointVia, InputFile, LibraryIndex,
    LibraryState, PermissionStatus, analyze_version, is_analyzed,
};
use vetter_store::Store;

use crate::signals::signal;
use crate::{ReviewError, ReviewSignal, SignalSource};

/// The scanner name of the linter's signals.
pub const LINTER_SCANNER: &str = "addons-linter";

/// The folder of the library index in data folder `data_dir`.
pub fn library_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("libraries")
}

/// The library index of the cache's data folder (empty until `vetter libs update` ran).
pub fn library_index(store: &Store) -> Result<LibraryIndex, ReviewError> {
    Ok(LibraryIndex::load(&library_dir(store.data_dir()))?)
}

/// The capabilities of cached version `version_id`: the stored analysis when one was made by
/// this analysis version with this library index, else computed now and stored.
pub fn version_capabilities(
    store: &Store,
    version_id: i64,
    libraries: &LibraryIndex,
) -> Result<Capabilities, ReviewError> {
    let key = format!("{ANALYSIS_VERSION}:{}", libraries.digest());
    if let Some(body) = store.stored_analysis(version_id, &key)? {
        // A row that does not read back (an older shape, a damaged cache) is made again.
        if let Ok(caps) = serde_json::from_str::<Capabilities>(&body)
            && caps.analysis_version == ANALYSIS_VERSION
        {
            return Ok(caps);
        }
    }
    let files = store.version_files(version_id)?;
    let caps = analyze_files(
        files.iter().map(|f| f.path.as_str()),
        |path| store.read_file(version_id, path),
        libraries,
    )?;
    if let Ok(body) = serde_json::to_string(&caps) {
        store.store_analysis(version_id, &key, &body)?;
    }
    Ok(caps)
}

/// Analyses the files `paths` of one version (a cached version, a package, a folder), each
/// read by `read`, and its `manifest.json` (when `read` finds one that parses).
pub fn analyze_files<'p, E>(
    paths: impl IntoIterator<Item = &'p str>,
    mut read: impl FnMut(&str) -> Result<Vec<u8>, E>,
    libraries: &LibraryIndex,
) -> Result<Capabilities, E> {
    let mut contents = Vec::new();
    for path in paths.into_iter().filter(|p| is_analyzed(p)) {
        contents.push((path, read(path)?));
    }
    let manifest = read("manifest.json")
        .ok()
        .and_then(|b| vetter_manifest::parse_manifest(&b).ok());
    let inputs = contents
        .iter()
        .map(|(path, bytes)| InputFile { path, bytes });
    Ok(analyze_version(manifest.as_ref(), inputs, libraries))
}

/// What changed in capability from cached version `old_id` to `new_id`, with the cache's
/// library index.
pub fn capability_delta(
    store: &Store,
    old_id: i64,
    new_id: i64,
) -> Result<CapabilityDelta, ReviewError> {
    let libraries = library_index(store)?;
    let old = version_capabilities(store, old_id, &libraries)?;
    let new = version_capabilities(store, new_id, &libraries)?;
    Ok(CapabilityDelta::between(&old, &new))
}

/// Every fact of `caps` as a signal at its file and line: sinks, endpoints, permissions that
/// are unused, undeclared or only optional, obfuscation indicators and modified library copies.
pub fn capability_signals(caps: &Capabilities) -> Vec<ReviewSignal> {
    let mut out = Vec::new();
    for s in &caps.sinks {
        out.push(signal(
            s.kind.rule(),
            format!("{}: {}", s.kind.describe(), s.code),
            &s.at.path,
            s.at.line,
            Some(s.at.column),
        ));
    }
    for e in &caps.endpoints {
        let how = via_words(e.via);
        let message = match (&e.host, &e.url) {
            (Some(host), Some(url)) => format!("contacts {host} ({how}): {url}"),
            (Some(host), None) => format!("contacts {host} ({how})"),
            (None, _) => format!("contacts an address computed at run time ({how})"),
        };
        let rule = if e.ip { "endpoint-ip" } else { "endpoint" };
        out.push(signal(
            rule,
            message,
            &e.at.path,
            e.at.line,
            Some(e.at.column),
        ));
    }
    for p in &caps.permissions {
        let (rule, words) = match p.status {
            PermissionStatus::Unused => (
                "permission-unused",
                "declared, but none of its APIs is called",
            ),
            PermissionStatus::Undeclared => (
                "permission-undeclared",
                "its APIs are called, but it is not declared",
            ),
            PermissionStatus::OnlyOptional => (
                "permission-only-optional",
                "its APIs are called, and it is only an optional permission",
            ),
            PermissionStatus::Used | PermissionStatus::NotCheckable => continue,
        };
        let (path, line, column) = p
            .used_at
            .first()
            .map(|l| (l.path.as_str(), l.line, Some(l.column)))
            .unwrap_or(("manifest.json", 1, None));
        out.push(signal(
            rule,
            format!("{}: {words}", p.permission),
            path,
            line,
            column,
        ));
    }
    for h in caps.hosts.iter().filter(|h| h.covered_by.is_none()) {
        out.push(signal(
            "host-without-permission",
            format!("{} is contacted, and no host permission covers it", h.host),
            &h.first.path,
            h.first.line,
            Some(h.first.column),
        ));
    }
    for m in caps.obfuscation.iter().filter(|m| !m.indicators.is_empty()) {
        out.push(signal(
            "obfuscation",
            m.indicators.join("; "),
            &m.path,
            1,
            None,
        ));
    }
    for l in &caps.libraries {
        let (rule, message) = match l.state {
            LibraryState::Modified => (
                "library-modified",
                format!(
                    "a modified copy of {} {} ({}): +{} −{} lines against upstream",
                    l.package, l.version, l.upstream_path, l.added, l.removed
                ),
            ),
            LibraryState::Unmodified | LibraryState::SameCode => (
                "library",
                format!(
                    "{} {}, unmodified ({})",
                    l.package, l.version, l.upstream_path
                ),
            ),
        };
        out.push(signal(rule, message, &l.path, 1, None));
    }
    out
}

/// How an endpoint is reached, in words.
pub fn via_words(via: EndpointVia) -> &'static str {
    match via {
        EndpointVia::Literal => "named in code",
        EndpointVia::Fetch => "fetch",
        EndpointVia::Xhr => "XMLHttpRequest",
        EndpointVia::WebSocket => "WebSocket",
        EndpointVia::EventSource => "EventSource",
        EndpointVia::Beacon => "sendBeacon",
        EndpointVia::ScriptImport => "script import",
        EndpointVia::Page => "page",
        EndpointVia::Style => "stylesheet",
        EndpointVia::Data => "data file",
        EndpointVia::Csp => "content security policy",
        EndpointVia::Manifest => "manifest",
    }
}

/// Runs Mozilla's addons-linter on cached version `version_id` (its files written to a
/// private temporary folder, which is removed afterwards) and keeps its report in the cache.
pub fn lint_version(store: &Store, version_id: i64) -> Result<LinterReport, ReviewError> {
    let linter = find_linter()?;
    let dir = tempfile::Builder::new()
        .prefix("vetter-lint-")
        .tempdir()
        .map_err(|e| ReviewError::Io(format!("a folder for the linter: {e}")))?;
    for f in store.version_files(version_id)? {
        let bytes = store.read_file(version_id, &f.path)?;
        // Paths were validated at import (relative, no `..`), so they stay inside the folder.
        let target = dir.path().join(&f.path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| ReviewError::Io(format!("{}: {e}", parent.display())))?;
        }
        std::fs::write(&target, bytes)
            .map_err(|e| ReviewError::Io(format!("{}: {e}", target.display())))?;
    }
    let mut report = run_linter(&linter, dir.path())?;
    // The linter also ends lines at U+2028, U+2029 and a lone CR; the review shows lines split
    // at line feeds only.
    for m in &mut report.messages {
        if let (Some(file), Some(line)) = (&m.file, m.line)
            && let Ok(bytes) = store.read_file(version_id, file)
        {
            m.line = Some(stored_line(&String::from_utf8_lossy(&bytes), line));
        }
    }
    let body = serde_json::to_string(&report)
        .map_err(|e| ReviewError::Io(format!("the linter's report: {e}")))?;
    store.store_linter_run(version_id, &report.linter_version, &body)?;
    Ok(report)
}

/// The stored linter report of `version_id` as signals (none when the linter never ran on it).
pub fn linter_signals(store: &Store, version_id: i64) -> Result<Vec<ReviewSignal>, ReviewError> {
    let Some((_, body, _)) = store.linter_run(version_id)? else {
        return Ok(Vec::new());
    };
    // A report that does not read back is ignored: `vetter lint` makes it again.
    let Ok(report) = serde_json::from_str::<LinterReport>(&body) else {
        return Ok(Vec::new());
    };
    Ok(report
        .messages
        .into_iter()
        .map(|m| ReviewSignal {
            source: SignalSource::Linter,
            scanner: LINTER_SCANNER.to_owned(),
            rule: m.code,
            message: Some(m.message),
            path: m.file.unwrap_or_default(),
            line: m.line.unwrap_or(1).max(1),
            column: m.column,
        })
        .collect())
}
