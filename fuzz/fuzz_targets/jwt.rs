//! The server's check of a request JWT (the `Authorization` header) on arbitrary text: every
//! rule must refuse without panicking, and a forged token must never pass.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vetter_protocol::auth::{MemoryJtiLedger, verify_authorization};

fuzz_target!(|data: &[u8]| {
    let Ok(header) = std::str::from_utf8(data) else {
        return;
    };
    let ledger = MemoryJtiLedger::default();
    let outcome = verify_authorization(
        Some(header),
        1_800_000_000,
        |_| Some(zeroize::Zeroizing::new(b"fuzz-secret".to_vec())),
        &ledger,
    );
    // Passing would need an HMAC under a secret the fuzzer never sees.
    assert!(outcome.is_err(), "accepted a forged token: {header:?}");
});
