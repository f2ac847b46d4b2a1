//! The manifest parser (JSON with comments, locales, permissions) and what the UI derives from
//! a parsed manifest: risk notes and a permission diff against itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vetter_manifest::{parse_manifest, permission_changes, risk_notes};

fuzz_target!(|data: &[u8]| {
    if let Ok(manifest) = parse_manifest(data) {
        let _ = risk_notes(&manifest);
        let same = permission_changes(&manifest, &manifest);
        assert!(
            same.permissions.added.is_empty() && same.host_permissions.added.is_empty(),
            "a manifest gained permissions against itself"
        );
    }
});
