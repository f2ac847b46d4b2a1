//! The signed-decision JWS parser and public-key decoder on arbitrary text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vetter_decision::signing::{PublicKey, SignedDecision};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = SignedDecision::parse(text);
    let _ = PublicKey::from_base64url(text);
});
