//! The header of a Chrome CRX package, read just far enough to find the zip behind it.
//!
//! A CRX is `Cr24`, a little-endian version, then either (version 2) a public key and a
//! signature with their lengths, or (version 3) a length and a protobuf `CrxFileHeader` holding
//! key proofs and the declared extension id. Everything after the header is an ordinary zip,
//! whose offsets count from its own start, so the zip reader takes it as it is.
//!
//! Signatures are not verified: Vetter reviews what the package contains, and a valid Chrome Web
//! Store signature would say nothing about that. What the header holds (how many proofs of which
//! kind, the declared id) is recorded so that a reviewer sees it, marked as unverified. Every
//! length in the header is hostile until checked against what is left of the input, and the
//! protobuf is walked with bounded varints, without a protobuf library: only three fields matter.

use serde::Serialize;
use sha2::{Digest, Sha256};
use ts_rs::TS;

use super::ArchiveError;

/// The magic number every CRX starts with.
pub const CRX_MAGIC: &[u8; 4] = b"Cr24";

/// Chrome's own cap on a CRX2 public key and signature (`kMaxPublicKeySize`,
/// `kMaxSignatureSize` in its old verifier).
const CRX2_MAX_FIELD: u32 = 1 << 16;

/// A CRX3 header holds a few keys and signatures (a few KiB); anything near this is not a
/// header a browser would accept.
const CRX3_MAX_HEADER: u32 = 1 << 20;

/// What a CRX header says about the package. Nothing in it is verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct CrxHeader {
    /// The CRX format version: 2 or 3.
    pub version: u32,
    /// Bytes before the zip: magic, version, lengths and the header itself.
    #[ts(type = "number")]
    pub header_len: u64,
    /// RSA key proofs (a CRX2 has exactly one key and signature).
    pub rsa_proofs: u32,
    /// ECDSA key proofs (CRX3 only).
    pub ecdsa_proofs: u32,
    /// The extension id the header declares (CRX3's signed header data) or implies (CRX2's
    /// public key), in Chrome's `a`–`p` alphabet.
    pub declared_id: Option<String>,
}

impl CrxHeader {
    /// One line for lists and the review: what the header holds, and that it is unverified.
    pub fn note(&self) -> String {
        let id = self
            .declared_id
            .as_deref()
            .map(|id| format!(", id {id}"))
            .unwrap_or_default();
        format!(
            "CRX{} header with {} RSA and {} ECDSA key proof{}{id}; signature not verified",
            self.version,
            self.rsa_proofs,
            self.ecdsa_proofs,
            if self.rsa_proofs + self.ecdsa_proofs == 1 {
                ""
            } else {
                "s"
            }
        )
    }
}

/// Whether `bytes` start like a CRX.
pub fn is_crx(bytes: &[u8]) -> bool {
    bytes.starts_with(CRX_MAGIC)
}

fn bad(what: impl Into<String>) -> ArchiveError {
    ArchiveError::MalformedCrx { what: what.into() }
}

fn u32_at(bytes: &[u8], at: usize, what: &str) -> Result<u32, ArchiveError> {
    bytes
        .get(at..at + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| ArchiveError::Truncated {
            what: format!("the CRX {what} runs past the end of the input"),
        })
}

/// Parses the header of a CRX; the zip starts at `header_len`.
pub fn parse_crx(bytes: &[u8]) -> Result<CrxHeader, ArchiveError> {
    if !is_crx(bytes) {
        return Err(bad("it does not start with `Cr24`"));
    }
    let version = u32_at(bytes, 4, "version")?;
    let rest = |at: u64| (bytes.len() as u64).saturating_sub(at);
    match version {
        2 => {
            let key_len = u32_at(bytes, 8, "public key length")?;
            let sig_len = u32_at(bytes, 12, "signature length")?;
            for (what, len) in [("public key", key_len), ("signature", sig_len)] {
                if len == 0 || len > CRX2_MAX_FIELD {
                    return Err(bad(format!(
                        "its {what} is {len} bytes; CRX2 allows 1 to {CRX2_MAX_FIELD}"
                    )));
                }
            }
            let header_len = 16 + u64::from(key_len) + u64::from(sig_len);
            if rest(0) < header_len {
                return Err(ArchiveError::Truncated {
                    what: "the CRX2 public key and signature run past the end of the input"
                        .to_owned(),
                });
            }
            let key = &bytes[16..16 + key_len as usize];
            let digest = Sha256::digest(key);
            Ok(CrxHeader {
                version,
                header_len,
                rsa_proofs: 1,
                ecdsa_proofs: 0,
                declared_id: Some(chrome_id(&digest[..16])),
            })
        }
        3 => {
            let size = u32_at(bytes, 8, "header length")?;
            if size > CRX3_MAX_HEADER {
                return Err(bad(format!(
                    "its header is {size} bytes, over the {CRX3_MAX_HEADER}-byte limit"
                )));
            }
            let header_len = 12 + u64::from(size);
            if rest(0) < header_len {
                return Err(ArchiveError::Truncated {
                    what: format!("the CRX3 header of {size} bytes runs past the end of the input"),
                });
            }
            let mut out = CrxHeader {
                version,
                header_len,
                rsa_proofs: 0,
                ecdsa_proofs: 0,
                declared_id: None,
            };
            read_file_header(&bytes[12..12 + size as usize], &mut out)?;
            Ok(out)
        }
        other => Err(ArchiveError::UnsupportedCrxVersion { version: other }),
    }
}

/// Chrome's id alphabet: each nibble of the first 16 bytes of a sha256 as `a` + nibble.
fn chrome_id(bytes: &[u8]) -> String {
    bytes
        .iter()
        .flat_map(|b| [b >> 4, b & 0x0f])
        .map(|n| char::from(b'a' + n))
        .collect()
}

/// One protobuf field: its number and, for length-delimited fields, its bytes.
struct Field<'a> {
    number: u64,
    bytes: Option<&'a [u8]>,
}

/// Walks the fields of one protobuf message, refusing anything that does not fit.
fn fields(message: &[u8]) -> impl Iterator<Item = Result<Field<'_>, ArchiveError>> {
    let mut pos = 0usize;
    std::iter::from_fn(move || {
        if pos >= message.len() {
            return None;
        }
        Some(next_field(message, &mut pos))
    })
}

fn next_field<'a>(message: &'a [u8], pos: &mut usize) -> Result<Field<'a>, ArchiveError> {
    let tag = varint(message, pos)?;
    let number = tag >> 3;
    if number == 0 {
        return Err(bad("its protobuf header has a field numbered 0"));
    }
    let skip = |pos: &mut usize, n: u64| -> Result<&'a [u8], ArchiveError> {
        let end = (*pos as u64)
            .checked_add(n)
            .filter(|&end| end <= message.len() as u64)
            .ok_or_else(|| bad(format!("its protobuf field {number} runs past its message")))?;
        let out = &message[*pos..end as usize];
        *pos = end as usize;
        Ok(out)
    };
    match tag & 7 {
        0 => {
            varint(message, pos)?;
            Ok(Field {
                number,
                bytes: None,
            })
        }
        1 => skip(pos, 8).map(|_| Field {
            number,
            bytes: None,
        }),
        2 => {
            let len = varint(message, pos)?;
            skip(pos, len).map(|b| Field {
                number,
                bytes: Some(b),
            })
        }
        5 => skip(pos, 4).map(|_| Field {
            number,
            bytes: None,
        }),
        wire => Err(bad(format!(
            "its protobuf field {number} has wire type {wire}, which a CRX header never uses"
        ))),
    }
}

/// A base-128 varint of at most 10 bytes.
fn varint(message: &[u8], pos: &mut usize) -> Result<u64, ArchiveError> {
    let mut value = 0u64;
    for i in 0..10 {
        let Some(&byte) = message.get(*pos) else {
            return Err(bad("its protobuf header ends inside a varint"));
        };
        *pos += 1;
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(bad("its protobuf header has a varint longer than 10 bytes"))
}

/// `CrxFileHeader`: 2 = RSA proofs, 3 = ECDSA proofs, 10000 = signed header data (whose field 1
/// is the 16-byte crx id). Other fields are skipped after their bounds are checked.
fn read_file_header(message: &[u8], out: &mut CrxHeader) -> Result<(), ArchiveError> {
    for field in fields(message) {
        let field = field?;
        match (field.number, field.bytes) {
            (2 | 3, Some(proof)) => {
                // AsymmetricKeyProof: 1 = public key, 2 = signature; both must be there.
                let mut key = false;
                let mut signature = false;
                for inner in fields(proof) {
                    let inner = inner?;
                    match (inner.number, inner.bytes) {
                        (1, Some(b)) => key = !b.is_empty(),
                        (2, Some(b)) => signature = !b.is_empty(),
                        _ => {}
                    }
                }
                if !key || !signature {
                    return Err(bad(
                        "a key proof in its header lacks a public key or a signature",
                    ));
                }
                if field.number == 2 {
                    out.rsa_proofs += 1;
                } else {
                    out.ecdsa_proofs += 1;
                }
            }
            (2 | 3 | 10000, None) => {
                return Err(bad(format!(
                    "its header's field {} is not length-delimited",
                    field.number
                )));
            }
            (10000, Some(signed)) => {
                for inner in fields(signed) {
                    if let Field {
                        number: 1,
                        bytes: Some(id),
                    } = inner?
                        && id.len() == 16
                    {
                        out.declared_id = Some(chrome_id(id));
                    }
                }
            }
            _ => {}
        }
    }
    if out.rsa_proofs + out.ecdsa_proofs == 0 {
        return Err(bad("its header holds no key proof"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use vetter_fixtures::packages::{crx2, crx3, crx3_with_header, protobuf_bytes};

    fn zip() -> Vec<u8> {
        vetter_fixtures::zip_files(&[("a.txt", b"a")])
    }

    #[test]
    fn crx3_header_is_read_to_the_zip() {
        let bytes = crx3(&zip());
        let header = parse_crx(&bytes).unwrap();
        assert_eq!(header.version, 3);
        assert_eq!((header.rsa_proofs, header.ecdsa_proofs), (1, 1));
        assert_eq!(header.declared_id.as_deref().map(str::len), Some(32));
        assert_eq!(&bytes[header.header_len as usize..], zip().as_slice());
        assert!(header.note().contains("signature not verified"));
    }

    #[test]
    fn crx2_header_is_read_to_the_zip() {
        let bytes = crx2(&zip());
        let header = parse_crx(&bytes).unwrap();
        assert_eq!(header.version, 2);
        assert_eq!(header.rsa_proofs, 1);
        assert_eq!(&bytes[header.header_len as usize..], zip().as_slice());
    }

    #[test]
    fn unknown_crx_version_is_refused() {
        let mut bytes = crx3(&zip());
        bytes[4] = 4;
        assert!(matches!(
            parse_crx(&bytes),
            Err(ArchiveError::UnsupportedCrxVersion { version: 4 })
        ));
    }

    #[test]
    fn header_length_past_the_end_is_truncated() {
        let mut bytes = crx3(&zip());
        bytes[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            parse_crx(&bytes),
            Err(ArchiveError::MalformedCrx { .. })
        ));
        let len = bytes.len() as u32;
        bytes[8..12].copy_from_slice(&len.to_le_bytes());
        assert!(matches!(
            parse_crx(&bytes),
            Err(ArchiveError::Truncated { .. })
        ));
    }

    #[test]
    fn crx2_key_length_is_bounded() {
        let mut bytes = crx2(&zip());
        bytes[8..12].copy_from_slice(&(CRX2_MAX_FIELD + 1).to_le_bytes());
        assert!(matches!(
            parse_crx(&bytes),
            Err(ArchiveError::MalformedCrx { .. })
        ));
    }

    #[test]
    fn hostile_protobuf_is_refused() {
        // A length that runs past the header.
        let long = [0x12, 0xff, 0xff, 0xff, 0xff, 0x0f];
        // An eleven-byte varint.
        let varint = [
            0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
        ];
        // A group (wire type 3).
        let group = [0x13];
        // No proof at all.
        let empty = protobuf_bytes(4, b"contents");
        for header in [&long[..], &varint[..], &group[..], &empty[..]] {
            let bytes = crx3_with_header(header, &zip());
            assert!(
                matches!(parse_crx(&bytes), Err(ArchiveError::MalformedCrx { .. })),
                "{header:?}"
            );
        }
    }
}
