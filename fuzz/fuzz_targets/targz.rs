//! The tar.gz reader over arbitrary bytes: it must refuse or read, never panic, and whatever it
//! reads must respect the limits it was given, however the tar headers and records lie.
#![no_main]

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use libfuzzer_sys::fuzz_target;
use vetter_fuzz::read_and_check;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the input's shape and is not part of it. Odd: the rest is gzipped
    // here, so the fuzzer works on tar headers rather than on gzip's checksums. Even: the rest
    // as it is, so gzip framing itself (members, headers, trailers) is fuzzed too. The raw bytes
    // cannot be used alone, as gzip's magic starts with an odd byte.
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let bytes = if mode & 1 == 1 {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
        encoder.write_all(rest).expect("a Vec takes any write");
        encoder.finish().expect("a Vec takes any write")
    } else {
        rest.to_vec()
    };
    read_and_check(&bytes);
});
