//! Importing real add-ons (five Firefox extensions from Debian) and real releases of Mozilla's
//! PDF.js (npm `pdfjs-dist`), fetched by `bench/fetch-data` (see docs/bench-data.md).
//!
//! The fetch runs first (idempotent) and a failure to fetch fails the test rather than skipping
//! it: a missing data set must not look like a pass. The pdfjs packages are npm trees, not
//! add-ons, so each is given a generated manifest.json (as an extension that bundles pdf.js
//! would have) before import; the delta target is measured against the fetched zip's size.

use std::path::Path;
use std::time::Instant;

use vetter_archive::{Limits, read_archive};
use vetter_store::{DB_FILE, Store};

use crate::real_data_support;
use real_data_support::{EXTENSIONS, pdfjs_xpi, zip_path};

/// The pdfjs-dist release as an add-on, with the size of the fetched zip it came from.
fn pdfjs_with_zip_size(version: &str) -> (Vec<u8>, u64) {
    let zip_size = std::fs::metadata(zip_path(&format!("pdfjs-dist-{version}")))
        .unwrap()
        .len();
    (pdfjs_xpi(version), zip_size)
}

/// The cache file's size with everything checkpointed into it.
fn db_size(dir: &Path) -> u64 {
    let conn = rusqlite::Connection::open(dir.join(DB_FILE)).unwrap();
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    drop(conn);
    std::fs::metadata(dir.join(DB_FILE)).unwrap().len()
}

#[test]
fn real_extensions_import_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    for name in EXTENSIONS {
        let path = zip_path(name);
        let bytes = std::fs::read(&path).unwrap();
        let started = Instant::now();
        let summary = store
            .import_file(&path, &Limits::default(), &mut |_| {})
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        eprintln!(
            "{name}: {} files, {} raw bytes, zip {} bytes, {} bytes added ({} deltas) in {:?}",
            summary.files,
            summary.raw_bytes,
            bytes.len(),
            summary.bytes_added,
            summary.delta_blobs,
            started.elapsed()
        );
        let archive = read_archive(&bytes, &Limits::default()).unwrap();
        assert_eq!(summary.files as usize, archive.entries.len(), "{name}");
        for entry in &archive.entries {
            assert_eq!(
                store.read_file(summary.version_id, &entry.path).unwrap(),
                entry.data,
                "{name}: {}",
                entry.path
            );
        }
    }
    assert_eq!(store.versions().unwrap().len(), 5);
}

#[test]
fn pdfjs_update_adds_under_five_percent_of_its_zip() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let (old_xpi, _) = pdfjs_with_zip_size("6.4.299");
    let (new_xpi, new_zip_size) = pdfjs_with_zip_size("6.5.438");

    let started = Instant::now();
    let first = store
        .import_archive(
            "pdfjs-6.4.299.xpi",
            &old_xpi,
            &Limits::default(),
            &mut |_| {},
        )
        .unwrap();
    let first_time = started.elapsed();
    let before = db_size(dir.path());
    let started = Instant::now();
    let update = store
        .import_archive(
            "pdfjs-6.5.438.xpi",
            &new_xpi,
            &Limits::default(),
            &mut |_| {},
        )
        .unwrap();
    let update_time = started.elapsed();
    let after = db_size(dir.path());
    eprintln!(
        "pdfjs 6.4.299: {} files, {} raw, {} added in {first_time:?}; db {before} bytes\n\
         pdfjs 6.5.438: {} new blobs ({} deltas), {} added = {:.2}% of the {new_zip_size}-byte \
         zip, db grew {} bytes = {:.2}%, in {update_time:?}",
        first.files,
        first.raw_bytes,
        first.bytes_added,
        update.new_blobs,
        update.delta_blobs,
        update.bytes_added,
        update.bytes_added as f64 * 100.0 / new_zip_size as f64,
        after - before,
        (after - before) as f64 * 100.0 / new_zip_size as f64,
    );
    assert!(
        update.bytes_added * 20 < new_zip_size,
        "update added {} bytes, over 5% of {new_zip_size}",
        update.bytes_added
    );
    assert!(
        (after - before) * 20 < new_zip_size,
        "the database file grew {} bytes, over 5% of {new_zip_size}",
        after - before
    );
    let archive = read_archive(&new_xpi, &Limits::default()).unwrap();
    for entry in &archive.entries {
        assert_eq!(
            store.read_file(update.version_id, &entry.path).unwrap(),
            entry.data,
            "{}",
            entry.path
        );
    }
}

#[test]
fn pdfjs_large_update_imports_and_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let (old_xpi, _) = pdfjs_with_zip_size("5.7.284");
    let (new_xpi, new_zip_size) = pdfjs_with_zip_size("6.5.438");
    store
        .import_archive(
            "pdfjs-5.7.284.xpi",
            &old_xpi,
            &Limits::default(),
            &mut |_| {},
        )
        .unwrap();
    let update = store
        .import_archive(
            "pdfjs-6.5.438.xpi",
            &new_xpi,
            &Limits::default(),
            &mut |_| {},
        )
        .unwrap();
    eprintln!(
        "pdfjs 5.7.284 -> 6.5.438: {} new blobs ({} deltas), {} added = {:.2}% of the zip",
        update.new_blobs,
        update.delta_blobs,
        update.bytes_added,
        update.bytes_added as f64 * 100.0 / new_zip_size as f64
    );
    let archive = read_archive(&new_xpi, &Limits::default()).unwrap();
    for entry in &archive.entries {
        assert_eq!(
            store.read_file(update.version_id, &entry.path).unwrap(),
            entry.data,
            "{}",
            entry.path
        );
    }
}
