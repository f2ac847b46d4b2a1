//! The archive reader over arbitrary bytes: it must refuse or read, never panic, and whatever
//! it reads must respect the limits it was given.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vetter_core::archive::{Limits, read_archive};

fuzz_target!(|data: &[u8]| {
    // Small limits keep each execution fast and make the limit checks themselves reachable.
    let limits = Limits {
        max_archive_size: 4 << 20,
        max_total_uncompressed: 8 << 20,
        max_file_size: 4 << 20,
        max_entries: 512,
        ..Limits::default()
    };
    if let Ok(archive) = read_archive(data, &limits) {
        assert!(archive.entries.len() <= limits.max_entries);
        assert!(archive.total_size() <= limits.max_total_uncompressed);
    }
});
