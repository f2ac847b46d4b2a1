//! The archive reader over arbitrary bytes: it must refuse or read, never panic, and whatever
//! it reads must respect the limits it was given.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vetter_archive::read_archive;
use vetter_fuzz::{check_archive, limits};

fuzz_target!(|data: &[u8]| {
    let limits = limits();
    if let Ok(archive) = read_archive(data, &limits) {
        check_archive(&archive, &limits);
    }
});
