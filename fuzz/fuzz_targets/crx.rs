//! The CRX reader over arbitrary bytes: the header parser and the zip behind it must refuse or
//! read, never panic, and whatever they read must respect the limits they were given.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vetter_archive::PackageFormat;
use vetter_archive::crx::parse_crx;
use vetter_fuzz::read_and_check;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the input's shape and is not part of it. Odd: a CRX2 or CRX3 magic
    // and version go in front of the rest, so the header parser is reached without the fuzzer
    // having to guess them. Even: the rest as it is (other versions, damaged magic). The raw
    // bytes cannot be used alone, as `Cr24` itself starts with an odd byte.
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut bytes = Vec::with_capacity(rest.len() + 8);
    if mode & 1 == 1 {
        bytes.extend_from_slice(b"Cr24");
        bytes.extend_from_slice(&(2 + u32::from((mode >> 1) & 1)).to_le_bytes());
    }
    bytes.extend_from_slice(rest);
    let header = parse_crx(&bytes);
    if let Ok(header) = &header {
        assert!(header.header_len <= bytes.len() as u64);
        assert!(header.rsa_proofs + header.ecdsa_proofs > 0);
    }
    if let Some(package) = read_and_check(&bytes)
        && matches!(package.format, PackageFormat::Crx2 | PackageFormat::Crx3)
    {
        // The package was read from behind the header the parser found on its own.
        assert_eq!(package.crx.as_ref(), header.as_ref().ok());
    }
});
