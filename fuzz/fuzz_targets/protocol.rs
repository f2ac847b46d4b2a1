//! The wire types Vetter reads from a server (AMO's API objects and the reference server's
//! queues) on arbitrary bytes, and the add-on reference a reviewer pastes. A body must parse or
//! be refused, never panic, and whatever parses must survive a round trip through JSON unchanged:
//! the same types write the reference server's answers, so a lossy one would change what a
//! client reads from it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde::Serialize;
use serde::de::DeserializeOwned;
use vetter_protocol::AddonRef;
use vetter_protocol::amo::{
    Addon, ErrorBody, File, FileValidation, LinterMessage, LinterReport, Page, Profile, Version,
};
use vetter_protocol::vetter::{Capabilities, QueueEntry, QueueList, QueuePage};

/// Parses `bytes` as `T`; what parses is written out, read again and must be equal.
fn round_trip<T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug>(
    bytes: &[u8],
) -> Option<T> {
    let value: T = serde_json::from_slice(bytes).ok()?;
    let written = serde_json::to_vec(&value).expect("a parsed value serializes");
    let again: T = serde_json::from_slice(&written).unwrap_or_else(|e| {
        panic!(
            "{value:?} wrote {:?}, which does not parse: {e}",
            String::from_utf8_lossy(&written)
        )
    });
    assert_eq!(
        again,
        value,
        "changed by a round trip through {:?}",
        String::from_utf8_lossy(&written)
    );
    Some(value)
}

fuzz_target!(|data: &[u8]| {
    // The first byte picks the type, as the route of a response does; the rest is the body.
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    match mode % 13 {
        0 => {
            if let Some(addon) = round_trip::<Addon>(body) {
                let _ = addon.name.best("de");
            }
        }
        1 => {
            round_trip::<Page<Version>>(body);
        }
        2 => {
            round_trip::<Version>(body);
        }
        3 => {
            if let Some(file) = round_trip::<File>(body)
                && let Ok(hex) = file.sha256()
            {
                assert!(
                    hex.len() == 64
                        && hex
                            .bytes()
                            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                );
            }
        }
        4 => {
            round_trip::<Profile>(body);
        }
        5 => {
            round_trip::<ErrorBody>(body);
        }
        6 => {
            if let Some(validation) = round_trip::<FileValidation>(body) {
                for message in validation.validation.all() {
                    let _ = message.rule();
                }
            }
        }
        7 => {
            if let Some(report) = round_trip::<LinterReport>(body) {
                assert_eq!(report.all().count(), report.all().count());
            }
        }
        8 => {
            if let Some(message) = round_trip::<LinterMessage>(body) {
                let _ = message.rule();
            }
        }
        9 => {
            round_trip::<Capabilities>(body);
        }
        10 => {
            round_trip::<QueueList>(body);
        }
        11 => {
            round_trip::<QueuePage>(body);
            round_trip::<QueueEntry>(body);
        }
        _ => {
            if let Ok(text) = std::str::from_utf8(body)
                && let Ok(reference) = AddonRef::parse(text)
            {
                // The client puts the name into an API path; typed alone, it names the same add-on.
                let alone = reference.ident.to_string();
                let again = AddonRef::parse(&alone).expect("a name read from a reference parses");
                assert_eq!(again.ident, reference.ident, "{text:?}");
                assert_eq!(again.origin, None);
            }
        }
    }
});
