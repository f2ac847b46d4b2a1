//! The tar.gz reader over arbitrary bytes: it must refuse or read, never panic, and whatever it
//! reads must respect the limits it was given, however the tar headers and records lie.
#![no_main]

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use libfuzzer_sys::fuzz_target;
use vetter_core::archive::{Limits, PackageFormat, read_package};

fuzz_target!(|data: &[u8]| {
    // An odd first byte gzips the rest, so the fuzzer works on tar headers rather than on
    // gzip's checksums; an even one hands the bytes over as they are (gzip framing itself).
    let bytes = match data.first() {
        Some(b) if b & 1 == 1 => {
            let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
            encoder
                .write_all(&data[1..])
                .expect("a Vec takes any write");
            encoder.finish().expect("a Vec takes any write")
        }
        _ => data.to_vec(),
    };
    let limits = Limits {
        max_archive_size: 4 << 20,
        max_total_uncompressed: 8 << 20,
        max_file_size: 4 << 20,
        max_entries: 512,
        ratio_min_size: 64 << 10,
        ..Limits::default()
    };
    if let Ok(package) = read_package(&bytes, &limits) {
        assert!(package.archive.entries.len() <= limits.max_entries);
        assert!(package.archive.total_size() <= limits.max_total_uncompressed);
        if package.format == PackageFormat::TarGz {
            for entry in &package.archive.entries {
                assert!(!entry.path.starts_with('/') && !entry.path.contains(".."));
            }
        }
    }
});
