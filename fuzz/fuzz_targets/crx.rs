//! The CRX reader over arbitrary bytes: the header parser and the zip behind it must refuse or
//! read, never panic, and whatever they read must respect the limits they were given.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vetter_core::archive::crx::parse_crx;
use vetter_core::archive::{Limits, read_package};

fuzz_target!(|data: &[u8]| {
    // An odd first byte puts a CRX2 or CRX3 magic and version in front of the rest, so the
    // header parser is reached without the fuzzer having to guess them.
    let mut bytes = Vec::with_capacity(data.len() + 8);
    match data.first() {
        Some(b) if b & 1 == 1 => {
            bytes.extend_from_slice(b"Cr24");
            bytes.extend_from_slice(&(2 + u32::from(b >> 1 & 1)).to_le_bytes());
            bytes.extend_from_slice(&data[1..]);
        }
        _ => bytes.extend_from_slice(data),
    }
    if let Ok(header) = parse_crx(&bytes) {
        assert!(header.header_len <= bytes.len() as u64);
        assert!(header.rsa_proofs + header.ecdsa_proofs > 0);
    }
    let limits = Limits {
        max_archive_size: 4 << 20,
        max_total_uncompressed: 8 << 20,
        max_file_size: 4 << 20,
        max_entries: 512,
        ..Limits::default()
    };
    if let Ok(package) = read_package(&bytes, &limits) {
        assert!(package.archive.entries.len() <= limits.max_entries);
        assert!(package.archive.total_size() <= limits.max_total_uncompressed);
    }
});
