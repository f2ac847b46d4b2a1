//! `vetter versions`: what the cache holds, as a table or JSON.

use std::path::Path;

use vetter_core::store::Store;

use crate::display::{human_bytes, printable};

/// Runs `vetter versions`.
pub fn run(data_dir: &Path, json_output: bool) -> anyhow::Result<()> {
    let store = Store::open(data_dir)?;
    let versions = store.versions()?;
    if json_output {
        println!("{}", serde_json::to_string_pretty(&versions)?);
        return Ok(());
    }
    if versions.is_empty() {
        println!("no versions cached in {}", data_dir.display());
        return Ok(());
    }
    let rows: Vec<[String; 8]> = versions
        .iter()
        .map(|v| {
            [
                v.id.to_string(),
                printable(&v.guid),
                printable(&v.version),
                format!("MV{}", v.manifest_version),
                v.files.to_string(),
                human_bytes(v.total_size),
                printable(&v.imported_at),
                printable(&v.source_name),
            ]
        })
        .collect();
    let header = [
        "ID", "ADD-ON", "VERSION", "MV", "FILES", "SIZE", "IMPORTED", "SOURCE",
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
                0 | 4 | 5 => out.push_str(&format!("{cell:>w$}  ")),
                7 => out.push_str(cell),
                _ => out.push_str(&format!("{cell:<w$}  ")),
            }
        }
        out
    };
    println!("{}", line(&header.map(String::from)));
    for row in &rows {
        println!("{}", line(row));
    }
    Ok(())
}
