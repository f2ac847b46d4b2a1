//! `vetter versions`: what the cache holds, as a table or JSON.
//!
//! Every row carries the first 8 hex digits of its package's sha256 (BUILD), because two
//! different builds may claim one version string; notes under the table say which rows those
//! are, which CRX signatures were not verified, and which paths had a top folder set aside.

use std::collections::BTreeMap;
use std::path::Path;

use vetter_store::{PackageKind, Store, VersionInfo};

use crate::display::{human_bytes, printable};
use crate::say;

/// Runs `vetter versions`.
pub fn run(data_dir: &Path, json_output: bool) -> anyhow::Result<()> {
    let store = Store::open(data_dir)?;
    let versions = store.versions()?;
    if json_output {
        say!("{}", serde_json::to_string_pretty(&versions)?);
        return Ok(());
    }
    if versions.is_empty() {
        say!("no versions cached in {}", data_dir.display());
        return Ok(());
    }
    let rows: Vec<[String; 10]> = versions
        .iter()
        .map(|v| {
            [
                v.id.to_string(),
                printable(&v.guid),
                printable(if v.version.is_empty() {
                    "(none)"
                } else {
                    &v.version
                }),
                v.build.short_hash.clone(),
                kind_label(v),
                v.build.format.to_string(),
                v.files.to_string(),
                human_bytes(v.total_size),
                printable(&v.imported_at),
                match &v.origin {
                    Some(page) => format!("{} from {}", printable(&v.source_name), printable(page)),
                    None => printable(&v.source_name),
                },
            ]
        })
        .collect();
    let header = [
        "ID", "ADD-ON", "VERSION", "BUILD", "KIND", "FORMAT", "FILES", "SIZE", "IMPORTED", "SOURCE",
    ];
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut out = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            // Numbers right-aligned, text left-aligned; the last column is not padded.
            match i {
                0 | 6 | 7 => out.push_str(&format!("{cell:>w$}  ")),
                9 => out.push_str(cell),
                _ => out.push_str(&format!("{cell:<w$}  ")),
            }
        }
        out
    };
    say!("{}", line(&header.map(String::from)));
    for row in &rows {
        say!("{}", line(row));
    }
    let mut notes = notes(&versions);
    let pinned = store.pinned_versions()?;
    if !pinned.is_empty() {
        let ids: Vec<String> = pinned.iter().map(i64::to_string).collect();
        notes.push(format!(
            "pinned, kept by `vetter prune` whatever its rules: {} (`vetter unpin ID` releases one)",
            ids.join(", ")
        ));
    }
    if !notes.is_empty() {
        say!();
        for note in notes {
            say!("{note}");
        }
    }
    Ok(())
}

/// `MV2`, `MV3`, or `package` for a package without a manifest.
fn kind_label(v: &VersionInfo) -> String {
    match v.build.kind {
        PackageKind::Extension => format!("MV{}", v.manifest_version),
        PackageKind::Package => "package".to_owned(),
    }
}

/// One line per fact a reviewer must not miss: builds that share a version string, unverified
/// CRX signatures, paths stored without their top folder.
pub fn notes(versions: &[VersionInfo]) -> Vec<String> {
    let mut out = Vec::new();
    let mut builds: BTreeMap<(&str, &str), Vec<&VersionInfo>> = BTreeMap::new();
    for v in versions.iter().filter(|v| v.build.same_version_builds > 0) {
        builds.entry((&v.guid, &v.version)).or_default().push(v);
    }
    for ((guid, version), group) in builds {
        let ids: Vec<String> = group
            .iter()
            .map(|v| format!("{} (build {})", v.id, v.build.short_hash))
            .collect();
        out.push(format!(
            "note: {} {} has {} different builds, their bytes differ: versions {}",
            printable(guid),
            printable(version),
            group.len(),
            ids.join(", ")
        ));
    }
    for v in versions {
        if let Some(note) = &v.build.signature_note {
            out.push(format!("note: version {}: {}", v.id, printable(note)));
        }
        if let Some(prefix) = &v.build.root_prefix {
            out.push(format!(
                "note: version {}: every path was under {}, which is left out",
                v.id,
                printable(prefix)
            ));
        }
    }
    out
}
