//! Safe reading of add-on packages, entirely in memory: XPI/zip archives, Chrome CRX2/CRX3
//! packages (a header in front of a zip) and gzip-compressed tars (`.tgz`).
//!
//! Add-ons under review may be built to attack the reviewer, so this reader trusts nothing in the
//! file: it parses the end-of-central-directory record, the central directory and every local
//! header itself (bounds-checked, no `unsafe`), cross-checks them, requires the entries to tile the
//! file exactly (which is what exposes overlapping "better zip bombs" and hidden entries), and only
//! then inflates each entry through a reader capped at the declared size plus one byte. A CRX's
//! header is parsed by hand ([`crx`]) and the zip behind it read by the same code; a tar goes
//! through the `tar` crate's header parser under the same path, size and entry rules
//! ([`targz`]). The format is told from the first bytes, never from the file name. Nothing is
//! ever written to the filesystem. The rules and the reasons for each limit are in
//! `docs/archive.md`.

pub mod crx;
mod targz;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use unicode_normalization::UnicodeNormalization;

const MIB: u64 = 1024 * 1024;

/// What joins a nested archive's path to the paths of the files inside it, as in Java's
/// `jar:` URLs: `lib/inner.jar!/a.js` is `a.js` inside the entry `lib/inner.jar`. No entry name
/// may contain it ([`ArchiveError::ReservedSeparator`]), so such a path always means nesting.
pub const NESTED_SEPARATOR: &str = "!/";

/// The nested archive that holds the file at `path` (the innermost one, when archives nest),
/// or `None` for a file of the package itself.
pub fn nested_archive_of(path: &str) -> Option<&str> {
    path.rfind(NESTED_SEPARATOR).map(|i| &path[..i])
}

/// Lowercase hex sha256 of `bytes`: the content address of packages, files and blobs throughout
/// Vetter.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

/// How much an archive may hold before it is refused. Defaults are near addons.mozilla.org's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Limits {
    /// Largest archive accepted at all, in bytes (default 256 MiB), checked before parsing.
    #[ts(type = "number")]
    pub max_archive_size: u64,
    /// Largest sum of uncompressed sizes, nested archives included (default 250 MiB).
    #[ts(type = "number")]
    pub max_total_uncompressed: u64,
    /// Largest uncompressed size of one entry (default 100 MiB).
    #[ts(type = "number")]
    pub max_file_size: u64,
    /// Most central-directory entries of one archive, directories included, and most files a
    /// package lists, the files of nested archives included (default 20,000).
    pub max_entries: usize,
    /// Highest uncompressed/compressed ratio of one entry (default 100).
    #[ts(type = "number")]
    pub max_ratio: u64,
    /// Entries whose uncompressed size is at most this many bytes are exempt from the ratio cap
    /// (default 1 MiB): small files of repeated bytes legitimately compress far beyond any cap.
    #[ts(type = "number")]
    pub ratio_min_size: u64,
    /// How many levels of archives inside the archive are allowed (default 1: an XPI may hold a
    /// `.jar`, but that `.jar` may not hold another archive).
    pub max_nesting: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_archive_size: 256 * MIB,
            max_total_uncompressed: 250 * MIB,
            max_file_size: 100 * MIB,
            max_entries: 20_000,
            max_ratio: 100,
            ratio_min_size: MIB,
            max_nesting: 1,
        }
    }
}

/// The regular files of a validated archive, in central-directory order (directories dropped).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Archive {
    /// Every regular file with its full uncompressed contents.
    pub entries: Vec<ArchiveEntry>,
}

impl Archive {
    /// The entry with exactly this path, if any.
    pub fn get(&self, path: &str) -> Option<&ArchiveEntry> {
        self.entries.iter().find(|entry| entry.path == path)
    }

    /// The sum of all entries' uncompressed sizes.
    pub fn total_size(&self) -> u64 {
        self.entries
            .iter()
            .map(|entry| entry.data.len() as u64)
            .sum()
    }
}

/// One regular file of an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveEntry {
    /// The validated relative path, `/`-separated, as stored in the archive.
    pub path: String,
    /// The uncompressed bytes, checked against the declared size and CRC-32.
    pub data: Vec<u8>,
}

/// The kind of a non-regular entry, from the unix file-type bits of its external attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecialKind {
    /// A symbolic link, whose data is the link target.
    Symlink,
    /// A tar hard link: a second name for another entry's data.
    HardLink,
    /// A named pipe.
    Fifo,
    /// A character device.
    CharDevice,
    /// A block device.
    BlockDevice,
    /// A unix socket.
    Socket,
    /// A directory-typed entry whose name lacks the trailing `/`.
    DirectoryWithoutSlash,
    /// File-type bits that match no known type.
    Unknown,
}

impl fmt::Display for SpecialKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SpecialKind::Symlink => "symbolic link",
            SpecialKind::HardLink => "hard link",
            SpecialKind::Fifo => "named pipe",
            SpecialKind::CharDevice => "character device",
            SpecialKind::BlockDevice => "block device",
            SpecialKind::Socket => "socket",
            SpecialKind::DirectoryWithoutSlash => "directory without a trailing slash",
            SpecialKind::Unknown => "special file of unknown type",
        })
    }
}

/// Which copy of an entry's facts disagrees with the central directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderPlace {
    /// The local file header in front of the data.
    LocalHeader,
    /// The data descriptor after the data.
    DataDescriptor,
    /// The Info-ZIP unicode path extra field, which some extractors prefer to the name.
    UnicodePathField,
}

impl fmt::Display for HeaderPlace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HeaderPlace::LocalHeader => "the local header",
            HeaderPlace::DataDescriptor => "the data descriptor",
            HeaderPlace::UnicodePathField => "the unicode path extra field",
        })
    }
}

/// Why an archive was refused. Every variant names the entry (or structure) and the rule.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The archive file could not be read.
    #[error("cannot read archive file {path}: {source}")]
    Io {
        /// The file that failed.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The archive itself is bigger than [`Limits::max_archive_size`].
    #[error("archive is {size} bytes, over the {limit}-byte archive size limit")]
    ArchiveTooLarge {
        /// Size of the input.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// No end-of-central-directory record and no zip signature: not a zip at all.
    #[error("input is not a zip archive: {reason}")]
    NotZip {
        /// What was looked for.
        reason: String,
    },
    /// A CRX header that does not hold together.
    #[error("CRX package header is malformed: {what}")]
    MalformedCrx {
        /// What is wrong with it.
        what: String,
    },
    /// A CRX version other than 2 and 3.
    #[error("CRX package has format version {version}; only CRX2 and CRX3 are read")]
    UnsupportedCrxVersion {
        /// The version in the header.
        version: u32,
    },
    /// A tar stream that does not hold together, or that readers could read differently.
    #[error("tar archive is malformed: {what}")]
    MalformedTar {
        /// What is wrong with it.
        what: String,
    },
    /// A gzip stream that decompresses to more than the total limit plus the tar overhead.
    #[error(
        "the gzip stream decompresses to more than {limit} bytes, over the total limit plus the \
         tar headers' overhead"
    )]
    StreamTooLarge {
        /// Bytes allowed out of the stream.
        limit: u64,
    },
    /// A gzip stream compressed beyond [`Limits::max_ratio`] as a whole.
    #[error(
        "the gzip stream expands to more than {produced} bytes from {compressed}, over the \
         {limit}x compression ratio cap"
    )]
    StreamRatioTooHigh {
        /// Bytes produced when the cap was crossed.
        produced: u64,
        /// Size of the compressed input.
        compressed: u64,
        /// The cap.
        limit: u64,
    },
    /// A structure runs past the end of the input, or the end record is missing.
    #[error("archive is truncated: {what}")]
    Truncated {
        /// Which structure is cut off.
        what: String,
    },
    /// Bytes before the first entry (prepended data, as in self-extractors or polyglots).
    #[error(
        "archive has {len} bytes of leading data before its first entry; prepended data is \
         refused because other zip readers may see a different archive"
    )]
    LeadingData {
        /// Number of leading bytes.
        len: u64,
    },
    /// Bytes after the end-of-central-directory record.
    #[error(
        "archive has {len} bytes of trailing data after its end-of-central-directory record; \
         appended data is refused because other zip readers may see a different archive"
    )]
    TrailingData {
        /// Number of trailing bytes.
        len: u64,
    },
    /// Bytes inside the archive that belong to no entry, where a hidden entry could live.
    #[error(
        "{len} bytes at offset {offset} belong to no entry; they could hide an entry that other \
         zip readers would see"
    )]
    UnreferencedData {
        /// Where the unreferenced bytes start.
        offset: u64,
        /// How many there are.
        len: u64,
    },
    /// A structural inconsistency without a more specific rule.
    #[error("malformed archive: {what}")]
    Malformed {
        /// What is inconsistent.
        what: String,
    },
    /// The classic and ZIP64 end-of-central-directory records disagree.
    #[error(
        "end-of-central-directory record says {field} is {classic} but the ZIP64 record says {zip64}"
    )]
    EndRecordMismatch {
        /// The disagreeing field.
        field: &'static str,
        /// The classic record's value.
        classic: u64,
        /// The ZIP64 record's value.
        zip64: u64,
    },
    /// More entries than [`Limits::max_entries`].
    #[error("archive declares {count} entries, over the {limit}-entry limit")]
    TooManyEntries {
        /// Declared entry count.
        count: u64,
        /// The limit.
        limit: usize,
    },
    /// An entry name that is not valid UTF-8.
    #[error("entry #{index} has a name that is not valid UTF-8 ({lossy:?})")]
    InvalidUtf8 {
        /// Position in the central directory.
        index: usize,
        /// The name with invalid bytes replaced, for display only.
        lossy: String,
    },
    /// An entry with an empty name.
    #[error("entry #{index} has an empty name")]
    EmptyName {
        /// Position in the central directory.
        index: usize,
    },
    /// An absolute path, including Windows drive paths like `C:`.
    #[error("entry {name:?} is an absolute path; entries must be relative to the archive root")]
    AbsolutePath {
        /// The entry.
        name: String,
    },
    /// A `..` component that escapes the archive root.
    #[error("entry {name:?} has a `..` component that escapes the archive root")]
    ParentComponent {
        /// The entry.
        name: String,
    },
    /// A backslash, which Windows tools treat as a path separator.
    #[error("entry {name:?} contains a backslash, which Windows readers treat as a path separator")]
    Backslash {
        /// The entry.
        name: String,
    },
    /// A NUL or other control character, which truncates or garbles names in other tools.
    #[error("entry {name:?} contains the control character {ch:?}")]
    ForbiddenCharacter {
        /// The entry.
        name: String,
        /// The offending character.
        ch: char,
    },
    /// An empty or `.` component, which makes two spellings of one path possible.
    #[error("entry {name:?} has an empty or `.` path component")]
    NonCanonicalPath {
        /// The entry.
        name: String,
    },
    /// A symlink, device, pipe or other non-regular entry.
    #[error(
        "entry {name:?} is a {kind} (unix mode {mode:o}); only regular files and directories are allowed"
    )]
    SpecialEntry {
        /// The entry.
        name: String,
        /// What kind of special entry.
        kind: SpecialKind,
        /// The unix mode from the external attributes.
        mode: u32,
    },
    /// Two entries with the same name after NFC normalisation and case folding.
    #[error(
        "entry {name:?} duplicates entry {first:?} (names are compared after Unicode NFC \
         normalisation and case folding)"
    )]
    DuplicateName {
        /// The later entry.
        name: String,
        /// The earlier entry it collides with.
        first: String,
    },
    /// A file whose path is also used as a directory by another entry.
    #[error("entry {name:?} is a file, but entry {other:?} uses it as a directory")]
    PathConflict {
        /// The file.
        name: String,
        /// The entry below it.
        other: String,
    },
    /// A directory entry that carries data.
    #[error("directory entry {name:?} declares {size} bytes of data")]
    DirectoryWithData {
        /// The entry.
        name: String,
        /// Declared uncompressed size.
        size: u64,
    },
    /// An encrypted entry (traditional, strong or AES encryption, or a masked directory).
    #[error("entry {name:?} is encrypted; encrypted add-ons cannot be reviewed")]
    Encrypted {
        /// The entry.
        name: String,
    },
    /// A compression method other than stored (0) and deflate (8).
    #[error(
        "entry {name:?} uses compression method {method}; only stored (0) and deflate (8) are allowed"
    )]
    UnsupportedMethod {
        /// The entry.
        name: String,
        /// The method number.
        method: u16,
    },
    /// One entry larger than [`Limits::max_file_size`].
    #[error("entry {name:?} would expand to {size} bytes, over the {limit}-byte per-file limit")]
    FileTooLarge {
        /// The entry.
        name: String,
        /// Declared uncompressed size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The entries together exceed [`Limits::max_total_uncompressed`].
    #[error("entries up to {name:?} expand to {total} bytes, over the {limit}-byte total limit")]
    TotalTooLarge {
        /// The entry at which the total crossed the limit.
        name: String,
        /// The running total at that entry.
        total: u64,
        /// The limit (for a nested archive, what was left of the outer budget).
        limit: u64,
    },
    /// An entry compressed beyond [`Limits::max_ratio`].
    #[error(
        "entry {name:?} expands {uncompressed} bytes from {compressed}, over the {limit}x \
         compression ratio cap"
    )]
    RatioTooHigh {
        /// The entry.
        name: String,
        /// Declared uncompressed size.
        uncompressed: u64,
        /// Declared compressed size.
        compressed: u64,
        /// The cap.
        limit: u64,
    },
    /// The local header (or data descriptor) disagrees with the central directory.
    #[error(
        "entry {name:?}: {place} says {field} is {local} but the central directory says {central}"
    )]
    HeaderMismatch {
        /// The entry.
        name: String,
        /// Which structure disagrees with the central directory.
        place: HeaderPlace,
        /// The disagreeing field.
        field: &'static str,
        /// The local value.
        local: Box<str>,
        /// The central value.
        central: Box<str>,
    },
    /// Two entries whose data regions overlap: the Fifield "better zip bomb" construction.
    #[error(
        "entry {name:?} overlaps {other} in the archive's data; overlapping entries are a zip \
         bomb construction"
    )]
    OverlappingEntries {
        /// The entry.
        name: String,
        /// The entry (quoted) or structure it overlaps.
        other: String,
    },
    /// The data does not decompress to the declared size.
    #[error(
        "entry {name:?} declares {declared} uncompressed bytes but its data {}",
        describe_actual(*.declared, *.actual)
    )]
    SizeMismatch {
        /// The entry.
        name: String,
        /// Declared uncompressed size.
        declared: u64,
        /// Bytes produced; reading stops at `declared + 1`, so that value means "more".
        actual: u64,
    },
    /// The compressed data is not a valid deflate stream.
    #[error("entry {name:?} has corrupt compressed data: {detail}")]
    CorruptData {
        /// The entry.
        name: String,
        /// What the decoder reported.
        detail: String,
    },
    /// The data's CRC-32 differs from the declared one.
    #[error("entry {name:?} fails its CRC-32 check: declared {declared:08x}, actual {actual:08x}")]
    CrcMismatch {
        /// The entry.
        name: String,
        /// Declared CRC-32.
        declared: u32,
        /// CRC-32 of the data.
        actual: u32,
    },
    /// An archive inside an archive deeper than [`Limits::max_nesting`].
    #[error("entry {name:?} is an archive nested {depth} levels deep, over the limit of {limit}")]
    NestingTooDeep {
        /// The nested archive entry.
        name: String,
        /// Its nesting depth (1 = directly inside the add-on).
        depth: u32,
        /// The limit.
        limit: u32,
    },
    /// An entry name holding [`NESTED_SEPARATOR`], which would pass a file of the package off
    /// as a file inside a nested archive.
    #[error(
        "entry {name:?} contains \"!/\", which names files inside nested archives \
         (`inner.jar!/a.js`), so a plain file may not use it"
    )]
    ReservedSeparator {
        /// The offending entry.
        name: String,
    },
    /// A nested archive that breaks one of these rules itself.
    #[error("nested archive {name:?} is refused: {source}")]
    Nested {
        /// The nested archive entry.
        name: String,
        /// Why it was refused.
        #[source]
        source: Box<ArchiveError>,
    },
}

fn describe_actual(declared: u64, actual: u64) -> String {
    if actual > declared {
        "decompresses to more than that".to_owned()
    } else {
        format!("decompresses to only {actual} bytes")
    }
}

impl ArchiveError {
    /// A short stable identifier of the broken rule, for command-line output and logs.
    pub fn rule(&self) -> &'static str {
        match self {
            ArchiveError::Io { .. } => "io",
            ArchiveError::ArchiveTooLarge { .. } => "archive-too-large",
            ArchiveError::NotZip { .. } => "not-zip",
            ArchiveError::MalformedCrx { .. } => "malformed-crx",
            ArchiveError::UnsupportedCrxVersion { .. } => "unsupported-crx-version",
            ArchiveError::MalformedTar { .. } => "malformed-tar",
            ArchiveError::StreamTooLarge { .. } => "stream-too-large",
            ArchiveError::StreamRatioTooHigh { .. } => "stream-ratio-too-high",
            ArchiveError::Truncated { .. } => "truncated",
            ArchiveError::LeadingData { .. } => "leading-data",
            ArchiveError::TrailingData { .. } => "trailing-data",
            ArchiveError::UnreferencedData { .. } => "unreferenced-data",
            ArchiveError::Malformed { .. } => "malformed",
            ArchiveError::EndRecordMismatch { .. } => "end-record-mismatch",
            ArchiveError::TooManyEntries { .. } => "too-many-entries",
            ArchiveError::InvalidUtf8 { .. } => "invalid-utf8-name",
            ArchiveError::EmptyName { .. } => "empty-name",
            ArchiveError::AbsolutePath { .. } => "absolute-path",
            ArchiveError::ParentComponent { .. } => "parent-component",
            ArchiveError::Backslash { .. } => "backslash",
            ArchiveError::ForbiddenCharacter { .. } => "forbidden-character",
            ArchiveError::NonCanonicalPath { .. } => "non-canonical-path",
            ArchiveError::SpecialEntry { .. } => "special-entry",
            ArchiveError::DuplicateName { .. } => "duplicate-name",
            ArchiveError::PathConflict { .. } => "path-conflict",
            ArchiveError::DirectoryWithData { .. } => "directory-with-data",
            ArchiveError::Encrypted { .. } => "encrypted",
            ArchiveError::UnsupportedMethod { .. } => "unsupported-method",
            ArchiveError::FileTooLarge { .. } => "file-too-large",
            ArchiveError::TotalTooLarge { .. } => "total-too-large",
            ArchiveError::RatioTooHigh { .. } => "ratio-too-high",
            ArchiveError::HeaderMismatch { .. } => "header-mismatch",
            ArchiveError::OverlappingEntries { .. } => "overlapping-entries",
            ArchiveError::SizeMismatch { .. } => "size-mismatch",
            ArchiveError::CorruptData { .. } => "corrupt-data",
            ArchiveError::CrcMismatch { .. } => "crc-mismatch",
            ArchiveError::NestingTooDeep { .. } => "nesting-too-deep",
            ArchiveError::ReservedSeparator { .. } => "reserved-separator",
            ArchiveError::Nested { .. } => "nested-archive",
        }
    }

    /// The error inside any [`ArchiveError::Nested`] wrappers: the rule actually broken.
    pub fn innermost(&self) -> &ArchiveError {
        match self {
            ArchiveError::Nested { source, .. } => source.innermost(),
            other => other,
        }
    }
}

/// Reads and validates an archive held in memory.
pub fn read_archive(bytes: &[u8], limits: &Limits) -> Result<Archive, ArchiveError> {
    let mut budget = limits.max_total_uncompressed;
    let entries = read_level(bytes, limits, 0, &mut budget, true)?;
    Ok(Archive { entries })
}

/// Reads and validates a zip archive file; the file is read into memory once, never extracted.
pub fn read_archive_file(path: &Path, limits: &Limits) -> Result<Archive, ArchiveError> {
    read_archive(&read_capped(path, limits)?, limits)
}

/// Reads a file into memory, refusing one over `limits.max_archive_size` before reading it.
fn read_capped(path: &Path, limits: &Limits) -> Result<Vec<u8>, ArchiveError> {
    let io_error = |source| ArchiveError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io_error)?;
    let size = file.metadata().map_err(io_error)?.len();
    if size > limits.max_archive_size {
        return Err(ArchiveError::ArchiveTooLarge {
            size,
            limit: limits.max_archive_size,
        });
    }
    // The file may grow between metadata and read, so the read itself is capped too.
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(limits.max_archive_size.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io_error)?;
    Ok(bytes)
}

/// The container a package came in, told from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum PackageFormat {
    /// A zip (an XPI, or any zip).
    Zip,
    /// A Chrome CRX2 package: public key and signature, then a zip.
    Crx2,
    /// A Chrome CRX3 package: a protobuf header of key proofs, then a zip.
    Crx3,
    /// A gzip-compressed tar (`.tgz`, `.tar.gz`).
    TarGz,
}

impl PackageFormat {
    /// Every format, for round-trip tests and listings.
    pub const ALL: [PackageFormat; 4] = [
        PackageFormat::Zip,
        PackageFormat::Crx2,
        PackageFormat::Crx3,
        PackageFormat::TarGz,
    ];

    /// The format of `bytes` by their magic number. Anything that is neither a CRX nor gzip is
    /// handed to the zip reader, whose refusals (not a zip, leading data) then say why.
    pub fn detect(bytes: &[u8]) -> PackageFormat {
        if crx::is_crx(bytes) {
            match bytes.get(4..8) {
                Some([2, 0, 0, 0]) => PackageFormat::Crx2,
                _ => PackageFormat::Crx3,
            }
        } else if targz::is_gzip(bytes) {
            PackageFormat::TarGz
        } else {
            PackageFormat::Zip
        }
    }

    /// The stable code stored in the cache and printed by the command line.
    pub fn code(self) -> &'static str {
        match self {
            PackageFormat::Zip => "zip",
            PackageFormat::Crx2 => "crx2",
            PackageFormat::Crx3 => "crx3",
            PackageFormat::TarGz => "tar_gz",
        }
    }

    /// The format with this [`PackageFormat::code`].
    pub fn from_code(code: &str) -> Option<PackageFormat> {
        PackageFormat::ALL.into_iter().find(|f| f.code() == code)
    }
}

impl fmt::Display for PackageFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PackageFormat::Zip => "zip",
            PackageFormat::Crx2 => "CRX2",
            PackageFormat::Crx3 => "CRX3",
            PackageFormat::TarGz => "tar.gz",
        })
    }
}

/// A validated package of any format: its files, and what its container said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// The container, from the first bytes.
    pub format: PackageFormat,
    /// The CRX header, for CRX packages. Its signatures are not verified.
    pub crx: Option<crx::CrxHeader>,
    /// The regular files, in the container's order.
    pub archive: Archive,
}

/// Reads and validates a package held in memory, whatever its format: the same limits and
/// refusals apply to all of them.
pub fn read_package(bytes: &[u8], limits: &Limits) -> Result<Package, ArchiveError> {
    if bytes.len() as u64 > limits.max_archive_size {
        return Err(ArchiveError::ArchiveTooLarge {
            size: bytes.len() as u64,
            limit: limits.max_archive_size,
        });
    }
    let format = PackageFormat::detect(bytes);
    let mut crx_header = None;
    let archive = match format {
        PackageFormat::Zip => read_archive(bytes, limits)?,
        PackageFormat::Crx2 | PackageFormat::Crx3 => {
            let header = crx::parse_crx(bytes)?;
            // header_len was checked against the input's length.
            let archive = read_archive(&bytes[header.header_len as usize..], limits)?;
            crx_header = Some(header);
            archive
        }
        PackageFormat::TarGz => {
            let mut budget = limits.max_total_uncompressed;
            Archive {
                entries: targz::read_tar_gz(bytes, limits, &mut budget)?,
            }
        }
    };
    Ok(Package {
        format,
        crx: crx_header,
        archive,
    })
}

/// Reads and validates a package file of any format, read into memory once, never extracted.
pub fn read_package_file(path: &Path, limits: &Limits) -> Result<Package, ArchiveError> {
    read_package(&read_capped(path, limits)?, limits)
}

const LOCAL_SIG: u32 = 0x0403_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const EOCD_SIG: u32 = 0x0605_4b50;
const ZIP64_EOCD_SIG: u32 = 0x0606_4b50;
const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
const DESCRIPTOR_SIG: u32 = 0x0807_4b50;
const EOCD_LEN: usize = 22;
const ZIP64_LOCATOR_LEN: usize = 20;
const ZIP64_EOCD_MIN_LEN: u64 = 56;
const CENTRAL_LEN: usize = 46;
const LOCAL_LEN: usize = 30;
const MAX_COMMENT: usize = 0xFFFF;

const FLAG_ENCRYPTED: u16 = 0x0001;
const FLAG_DESCRIPTOR: u16 = 0x0008;
const FLAG_STRONG_ENCRYPTION: u16 = 0x0040;
const FLAG_MASKED_DIRECTORY: u16 = 0x2000;

const METHOD_STORED: u16 = 0;
const METHOD_DEFLATE: u16 = 8;
const METHOD_AES: u16 = 99;

const EXTRA_ZIP64: u16 = 0x0001;
const EXTRA_UNICODE_PATH: u16 = 0x7075;

/// First allocation for an entry's data; more is reserved only once the stream proves to
/// produce that much, so a lying declared size cannot make us allocate up front.
const INITIAL_CAPACITY: u64 = MIB;

/// Little-endian reads from a bounds-checked slice.
struct Fields<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Fields<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Fields { bytes, pos: 0 }
    }

    /// Callers hand in slices already checked to hold every fixed field they read.
    fn take(&mut self, n: usize) -> &'a [u8] {
        let end = (self.pos + n).min(self.bytes.len());
        let out = &self.bytes[self.pos.min(end)..end];
        self.pos = end;
        out
    }

    fn u16(&mut self) -> u16 {
        let b = self.take(2);
        if b.len() == 2 {
            u16::from_le_bytes([b[0], b[1]])
        } else {
            0
        }
    }

    fn u32(&mut self) -> u32 {
        let b = self.take(4);
        if b.len() == 4 {
            u32::from_le_bytes([b[0], b[1], b[2], b[3]])
        } else {
            0
        }
    }

    fn u64(&mut self) -> u64 {
        let lo = u64::from(self.u32());
        let hi = u64::from(self.u32());
        lo | (hi << 32)
    }
}

fn le32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// `bytes[offset..offset + len]`, or `Truncated` naming `what`.
fn region(
    bytes: &[u8],
    offset: u64,
    len: u64,
    what: impl FnOnce() -> String,
) -> Result<&[u8], ArchiveError> {
    let end = offset.checked_add(len);
    match end {
        Some(end) if end <= bytes.len() as u64 => Ok(&bytes[offset as usize..end as usize]),
        _ => Err(ArchiveError::Truncated {
            what: format!("{} runs past the end of the input", what()),
        }),
    }
}

fn malformed(what: impl Into<String>) -> ArchiveError {
    ArchiveError::Malformed { what: what.into() }
}

/// Where the central directory is and how many entries it holds.
#[derive(Debug)]
struct EndRecord {
    entries: u64,
    cd_offset: u64,
    cd_size: u64,
    /// Where the central directory must end: the ZIP64 record or the classic record.
    cd_end: u64,
}

fn find_end_record(bytes: &[u8]) -> Result<EndRecord, ArchiveError> {
    let len = bytes.len();
    if len < EOCD_LEN {
        return Err(no_end_record(bytes));
    }
    let lowest = len.saturating_sub(EOCD_LEN + MAX_COMMENT);
    let candidates: Vec<usize> = (lowest..=len - EOCD_LEN)
        .rev()
        .filter(|&at| le32(bytes, at) == Some(EOCD_SIG))
        .collect();
    let comment_end = |at: usize| at + EOCD_LEN + usize::from(u16_at(bytes, at + 20));
    let exact: Vec<usize> = candidates
        .iter()
        .copied()
        .filter(|&at| comment_end(at) == len)
        .collect();
    let Some(&eocd) = exact.first() else {
        return Err(match candidates.first() {
            Some(&at) if comment_end(at) < len => ArchiveError::TrailingData {
                len: (len - comment_end(at)) as u64,
            },
            Some(_) => ArchiveError::Truncated {
                what: "the end-of-central-directory comment runs past the end of the input"
                    .to_owned(),
            },
            None => no_end_record(bytes),
        });
    };
    if exact.len() > 1 || candidates.first() != Some(&eocd) {
        // A signature inside the comment would make readers that scan differently disagree.
        return Err(malformed(
            "the end-of-central-directory comment contains another end-of-central-directory signature",
        ));
    }

    let mut f = Fields::new(&bytes[eocd + 4..eocd + EOCD_LEN]);
    let disk = f.u16();
    let cd_disk = f.u16();
    let entries_here = f.u16();
    let entries = f.u16();
    let cd_size = f.u32();
    let cd_offset = f.u32();

    let locator = eocd
        .checked_sub(ZIP64_LOCATOR_LEN)
        .filter(|&at| le32(bytes, at) == Some(ZIP64_LOCATOR_SIG));
    let Some(locator) = locator else {
        if disk != 0 || cd_disk != 0 || entries_here != entries {
            return Err(malformed("multi-disk (spanned) archives are not supported"));
        }
        return Ok(EndRecord {
            entries: u64::from(entries),
            cd_offset: u64::from(cd_offset),
            cd_size: u64::from(cd_size),
            cd_end: eocd as u64,
        });
    };

    let mut f = Fields::new(&bytes[locator + 4..locator + ZIP64_LOCATOR_LEN]);
    let z64_disk = f.u32();
    let z64_offset = f.u64();
    let disks = f.u32();
    if z64_disk != 0 || disks > 1 {
        return Err(malformed("multi-disk (spanned) archives are not supported"));
    }
    let z64_head = region(bytes, z64_offset, 12, || {
        "ZIP64 end-of-central-directory record".to_owned()
    })?;
    if le32(z64_head, 0) != Some(ZIP64_EOCD_SIG) {
        return Err(malformed(format!(
            "the ZIP64 locator points at offset {z64_offset}, where there is no ZIP64 end record"
        )));
    }
    let record_size = Fields::new(&z64_head[4..12]).u64();
    let record_end = record_size
        .checked_add(12)
        .and_then(|n| n.checked_add(z64_offset));
    if record_size < ZIP64_EOCD_MIN_LEN - 12 || record_end != Some(locator as u64) {
        return Err(malformed(
            "the ZIP64 end-of-central-directory record does not end where its locator starts",
        ));
    }
    let record = region(bytes, z64_offset, ZIP64_EOCD_MIN_LEN, || {
        "ZIP64 end-of-central-directory record".to_owned()
    })?;
    let mut f = Fields::new(&record[16..]);
    let z_disk = f.u32();
    let z_cd_disk = f.u32();
    let z_entries_here = f.u64();
    let z_entries = f.u64();
    let z_cd_size = f.u64();
    let z_cd_offset = f.u64();
    if z_disk != 0 || z_cd_disk != 0 || z_entries_here != z_entries {
        return Err(malformed("multi-disk (spanned) archives are not supported"));
    }
    // Fields not saturated in the classic record must agree with the ZIP64 record.
    let checks: [(&'static str, u64, u64, u64); 3] = [
        ("the entry count", u64::from(entries), 0xFFFF, z_entries),
        (
            "the central directory size",
            u64::from(cd_size),
            0xFFFF_FFFF,
            z_cd_size,
        ),
        (
            "the central directory offset",
            u64::from(cd_offset),
            0xFFFF_FFFF,
            z_cd_offset,
        ),
    ];
    for (field, classic, saturated, zip64) in checks {
        if classic != saturated && classic != zip64 {
            return Err(ArchiveError::EndRecordMismatch {
                field,
                classic,
                zip64,
            });
        }
    }
    Ok(EndRecord {
        entries: z_entries,
        cd_offset: z_cd_offset,
        cd_size: z_cd_size,
        cd_end: z64_offset,
    })
}

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    match bytes.get(at..at + 2) {
        Some(b) => u16::from_le_bytes([b[0], b[1]]),
        None => 0,
    }
}

fn no_end_record(bytes: &[u8]) -> ArchiveError {
    if le32(bytes, 0) == Some(LOCAL_SIG) {
        ArchiveError::Truncated {
            what: "it has local entries but no end-of-central-directory record".to_owned(),
        }
    } else {
        ArchiveError::NotZip {
            reason: "no end-of-central-directory record and no zip signature at the start"
                .to_owned(),
        }
    }
}

/// One central-directory entry after its own checks.
#[derive(Debug)]
struct CentralEntry {
    name: String,
    raw_name_len: usize,
    flags: u16,
    method: u16,
    crc: u32,
    compressed: u64,
    uncompressed: u64,
    local_offset: u64,
    /// Sizes came from a ZIP64 extra field, so a data descriptor uses 8-byte sizes.
    zip64_sizes: bool,
    is_dir: bool,
}

/// The extra fields Vetter interprets; the rest are skipped but must be well formed.
#[derive(Default)]
struct Extras<'a> {
    zip64: Option<&'a [u8]>,
    unicode_path: Option<&'a [u8]>,
}

fn parse_extras<'a>(extra: &'a [u8], name: &str) -> Result<Extras<'a>, ArchiveError> {
    let mut out = Extras::default();
    let mut pos = 0usize;
    while pos < extra.len() {
        let Some(head) = extra.get(pos..pos + 4) else {
            return Err(malformed(format!(
                "entry {name:?} has a truncated extra field header"
            )));
        };
        let id = u16::from_le_bytes([head[0], head[1]]);
        let size = usize::from(u16::from_le_bytes([head[2], head[3]]));
        let Some(data) = extra.get(pos + 4..pos + 4 + size) else {
            return Err(malformed(format!(
                "entry {name:?} has an extra field that runs past its extra area"
            )));
        };
        let slot = match id {
            EXTRA_ZIP64 => Some(&mut out.zip64),
            EXTRA_UNICODE_PATH => Some(&mut out.unicode_path),
            _ => None,
        };
        if let Some(slot) = slot {
            if slot.is_some() {
                return Err(malformed(format!(
                    "entry {name:?} repeats extra field {id:#06x}, so readers could pick different values"
                )));
            }
            *slot = Some(data);
        }
        pos += 4 + size;
    }
    Ok(out)
}

/// Reads the ZIP64 values for the fields that are saturated, in the order the format fixes.
fn zip64_values(
    name: &str,
    zip64: Option<&[u8]>,
    wanted: &[(&'static str, bool)],
) -> Result<Vec<Option<u64>>, ArchiveError> {
    let mut f = zip64.map(Fields::new);
    let mut out = Vec::with_capacity(wanted.len());
    for &(field, needed) in wanted {
        if !needed {
            out.push(None);
            continue;
        }
        match f.as_mut() {
            Some(f) if f.bytes.len() >= f.pos + 8 => out.push(Some(f.u64())),
            _ => {
                return Err(malformed(format!(
                    "entry {name:?} saturates {field} but has no ZIP64 value for it"
                )));
            }
        }
    }
    Ok(out)
}

fn check_path(name: &str, is_dir: bool) -> Result<(), ArchiveError> {
    let owned = || name.to_owned();
    if let Some(ch) = name.chars().find(|c| c.is_control()) {
        return Err(ArchiveError::ForbiddenCharacter { name: owned(), ch });
    }
    if name.contains('\\') {
        return Err(ArchiveError::Backslash { name: owned() });
    }
    if name.contains(NESTED_SEPARATOR) {
        return Err(ArchiveError::ReservedSeparator { name: owned() });
    }
    let b = name.as_bytes();
    if name.starts_with('/') || (b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':') {
        return Err(ArchiveError::AbsolutePath { name: owned() });
    }
    let body = if is_dir {
        name.strip_suffix('/').unwrap_or(name)
    } else {
        name
    };
    let components: Vec<&str> = body.split('/').collect();
    if components.contains(&"..") {
        return Err(ArchiveError::ParentComponent { name: owned() });
    }
    if components.iter().any(|c| c.is_empty() || *c == ".") {
        return Err(ArchiveError::NonCanonicalPath { name: owned() });
    }
    Ok(())
}

/// The unix file type from external attributes; `None` when the writer recorded none.
fn special_kind(external: u32, is_dir: bool) -> Option<(SpecialKind, u32)> {
    let mode = external >> 16;
    let kind = match mode & 0o170000 {
        0 | 0o100000 => return None,
        0o040000 if is_dir => return None,
        0o040000 => SpecialKind::DirectoryWithoutSlash,
        0o120000 => SpecialKind::Symlink,
        0o010000 => SpecialKind::Fifo,
        0o020000 => SpecialKind::CharDevice,
        0o060000 => SpecialKind::BlockDevice,
        0o140000 => SpecialKind::Socket,
        _ => SpecialKind::Unknown,
    };
    Some((kind, mode))
}

/// The key two names collide under: NFC, lower-cased, NFC again (lower-casing can decompose).
fn fold_key(name: &str) -> String {
    let nfc: String = name.nfc().collect();
    nfc.to_lowercase().nfc().collect()
}

fn parse_central(
    bytes: &[u8],
    end: &EndRecord,
    limits: &Limits,
    budget: u64,
) -> Result<Vec<CentralEntry>, ArchiveError> {
    let cd = region(bytes, end.cd_offset, end.cd_size, || {
        "the central directory".to_owned()
    })?;
    if end.entries.saturating_mul(CENTRAL_LEN as u64) > end.cd_size {
        return Err(malformed(format!(
            "the end record declares {} entries but the central directory is only {} bytes",
            end.entries, end.cd_size
        )));
    }
    // The count is below max_entries and fits the directory, so it bounds this allocation.
    let mut entries = Vec::with_capacity(end.entries as usize);
    let mut pos = 0usize;
    let mut total: u64 = 0;
    let mut seen: HashMap<String, usize> = HashMap::with_capacity(end.entries as usize);
    for index in 0..end.entries as usize {
        let head = cd.get(pos..pos + CENTRAL_LEN).ok_or_else(|| {
            malformed(format!(
                "central directory entry #{index} runs past the central directory's declared size"
            ))
        })?;
        let mut f = Fields::new(head);
        if f.u32() != CENTRAL_SIG {
            return Err(malformed(format!(
                "central directory entry #{index} has no central header signature"
            )));
        }
        let _made_by = f.u16();
        let _needed = f.u16();
        let flags = f.u16();
        let method = f.u16();
        let _time = f.u16();
        let _date = f.u16();
        let crc = f.u32();
        let compressed32 = f.u32();
        let uncompressed32 = f.u32();
        let name_len = usize::from(f.u16());
        let extra_len = usize::from(f.u16());
        let comment_len = usize::from(f.u16());
        let disk16 = f.u16();
        let _internal = f.u16();
        let external = f.u32();
        let offset32 = f.u32();
        let var_start = pos + CENTRAL_LEN;
        let var_end = var_start + name_len + extra_len + comment_len;
        let Some(var) = cd.get(var_start..var_end) else {
            return Err(malformed(format!(
                "central directory entry #{index}'s name, extra field or comment runs past the central directory"
            )));
        };
        let raw_name = &var[..name_len];
        let extra = &var[name_len..name_len + extra_len];
        pos = var_end;

        let name = match std::str::from_utf8(raw_name) {
            Ok(name) => name.to_owned(),
            Err(_) => {
                return Err(ArchiveError::InvalidUtf8 {
                    index,
                    lossy: String::from_utf8_lossy(raw_name).into_owned(),
                });
            }
        };
        if name.is_empty() {
            return Err(ArchiveError::EmptyName { index });
        }
        let extras = parse_extras(extra, &name)?;
        if let Some(unicode) = extras.unicode_path {
            // Some extractors prefer this field over the header name, so the two must agree.
            let alt = unicode.get(5..).unwrap_or_default();
            if alt != raw_name {
                return Err(ArchiveError::HeaderMismatch {
                    name,
                    place: HeaderPlace::UnicodePathField,
                    field: "the name",
                    local: format!("{:?}", String::from_utf8_lossy(alt)).into(),
                    central: format!("{:?}", String::from_utf8_lossy(raw_name)).into(),
                });
            }
        }
        let z = zip64_values(
            &name,
            extras.zip64,
            &[
                ("the uncompressed size", uncompressed32 == u32::MAX),
                ("the compressed size", compressed32 == u32::MAX),
                ("the local header offset", offset32 == u32::MAX),
                ("the starting disk", disk16 == u16::MAX),
            ],
        )?;
        let uncompressed = z[0].unwrap_or(u64::from(uncompressed32));
        let compressed = z[1].unwrap_or(u64::from(compressed32));
        let local_offset = z[2].unwrap_or(u64::from(offset32));
        let disk = z[3].unwrap_or(u64::from(disk16));
        if disk != 0 {
            return Err(malformed(format!(
                "entry {name:?} starts on disk {disk}; spanned archives are not supported"
            )));
        }

        let is_dir = name.ends_with('/');
        check_path(&name, is_dir)?;
        if let Some((kind, mode)) = special_kind(external, is_dir) {
            return Err(ArchiveError::SpecialEntry { name, kind, mode });
        }
        if flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION | FLAG_MASKED_DIRECTORY) != 0
            || method == METHOD_AES
        {
            return Err(ArchiveError::Encrypted { name });
        }
        if method != METHOD_STORED && method != METHOD_DEFLATE {
            return Err(ArchiveError::UnsupportedMethod { name, method });
        }
        if is_dir && uncompressed > 0 {
            return Err(ArchiveError::DirectoryWithData {
                name,
                size: uncompressed,
            });
        }
        if uncompressed > limits.max_file_size {
            return Err(ArchiveError::FileTooLarge {
                name,
                size: uncompressed,
                limit: limits.max_file_size,
            });
        }
        total = total.saturating_add(uncompressed);
        if total > budget {
            return Err(ArchiveError::TotalTooLarge {
                name,
                total,
                limit: budget,
            });
        }
        if method == METHOD_STORED && compressed != uncompressed {
            return Err(ArchiveError::SizeMismatch {
                name,
                declared: uncompressed,
                actual: compressed,
            });
        }
        let key = fold_key(&name);
        if let Some(&first) = seen.get(&key) {
            let first: &CentralEntry = &entries[first];
            return Err(ArchiveError::DuplicateName {
                name,
                first: first.name.clone(),
            });
        }
        seen.insert(key, entries.len());
        entries.push(CentralEntry {
            name,
            raw_name_len: name_len,
            flags,
            method,
            crc,
            compressed,
            uncompressed,
            local_offset,
            zip64_sizes: z[0].is_some() || z[1].is_some(),
            is_dir,
        });
    }
    if pos != cd.len() {
        return Err(malformed(format!(
            "the central directory holds {} bytes after its {} declared entries",
            cd.len() - pos,
            end.entries
        )));
    }
    check_path_conflicts(
        entries.len(),
        |i| (entries[i].name.as_str(), entries[i].is_dir),
        &seen,
    )?;
    for entry in entries.iter().filter(|e| !e.is_dir) {
        if entry.uncompressed > limits.ratio_min_size
            && entry.uncompressed > entry.compressed.saturating_mul(limits.max_ratio)
        {
            return Err(ArchiveError::RatioTooHigh {
                name: entry.name.clone(),
                uncompressed: entry.uncompressed,
                compressed: entry.compressed,
                limit: limits.max_ratio,
            });
        }
    }
    Ok(entries)
}

/// A file `a` next to `a/b` (or a directory `a/`) is ambiguous: refuse it. `entry(i)` gives
/// the name and directory flag of entry `i`; `seen` maps folded names to entry indices.
fn check_path_conflicts<'a>(
    count: usize,
    entry: impl Fn(usize) -> (&'a str, bool),
    seen: &HashMap<String, usize>,
) -> Result<(), ArchiveError> {
    let files: HashSet<&str> = seen
        .iter()
        .filter(|(_, i)| **i < count && !entry(**i).1)
        .map(|(key, _)| key.as_str())
        .collect();
    let conflict = |file: &str, other: usize| ArchiveError::PathConflict {
        name: entry(seen[file]).0.to_owned(),
        other: entry(other).0.to_owned(),
    };
    for (key, &i) in seen {
        let key = key.strip_suffix('/').unwrap_or(key);
        for (at, _) in key.match_indices('/') {
            if let Some(&file) = files.get(&key[..at]) {
                return Err(conflict(file, i));
            }
        }
        if entry(i).1
            && let Some(&file) = files.get(key)
        {
            return Err(conflict(file, i));
        }
    }
    Ok(())
}

/// Where one entry's bytes are, after its local header was checked against the central one.
struct Span {
    start: u64,
    data_start: u64,
    end: u64,
}

fn mismatch(
    name: &str,
    place: HeaderPlace,
    field: &'static str,
    local: impl fmt::Display,
    central: impl fmt::Display,
) -> ArchiveError {
    ArchiveError::HeaderMismatch {
        name: name.to_owned(),
        place,
        field,
        local: local.to_string().into(),
        central: central.to_string().into(),
    }
}

fn check_local(bytes: &[u8], entry: &CentralEntry, cd_offset: u64) -> Result<Span, ArchiveError> {
    let name = entry.name.as_str();
    let head = region(bytes, entry.local_offset, LOCAL_LEN as u64, || {
        format!("the local header of entry {name:?}")
    })?;
    let mut f = Fields::new(head);
    if f.u32() != LOCAL_SIG {
        return Err(malformed(format!(
            "entry {name:?} points at offset {}, where there is no local header",
            entry.local_offset
        )));
    }
    let _needed = f.u16();
    let flags = f.u16();
    let method = f.u16();
    let _time = f.u16();
    let _date = f.u16();
    let crc = f.u32();
    let compressed32 = f.u32();
    let uncompressed32 = f.u32();
    let name_len = u64::from(f.u16());
    let extra_len = u64::from(f.u16());
    let var_offset = entry.local_offset + LOCAL_LEN as u64;
    let var = region(bytes, var_offset, name_len + extra_len, || {
        format!("the local header of entry {name:?}")
    })?;
    let local_name = &var[..name_len as usize];
    const LOCAL: HeaderPlace = HeaderPlace::LocalHeader;
    if local_name != entry.name.as_bytes() || name_len as usize != entry.raw_name_len {
        return Err(mismatch(
            name,
            LOCAL,
            "the name",
            format!("{:?}", String::from_utf8_lossy(local_name)),
            format!("{name:?}"),
        ));
    }
    if method != entry.method {
        return Err(mismatch(
            name,
            LOCAL,
            "the compression method",
            method,
            entry.method,
        ));
    }
    let significant = FLAG_ENCRYPTED | FLAG_DESCRIPTOR | FLAG_STRONG_ENCRYPTION;
    if flags & significant != entry.flags & significant {
        return Err(mismatch(
            name,
            LOCAL,
            "the flags",
            format!("{flags:#06x}"),
            format!("{:#06x}", entry.flags),
        ));
    }
    let extras = parse_extras(&var[name_len as usize..], name)?;
    // In a local header the ZIP64 field holds both sizes whenever either is saturated.
    let local_zip64 = uncompressed32 == u32::MAX || compressed32 == u32::MAX;
    let z = zip64_values(
        name,
        extras.zip64,
        &[
            ("the uncompressed size", local_zip64),
            ("the compressed size", local_zip64),
        ],
    )?;
    let uncompressed = z[0].unwrap_or(u64::from(uncompressed32));
    let compressed = z[1].unwrap_or(u64::from(compressed32));
    let deferred = flags & FLAG_DESCRIPTOR != 0;
    // With a data descriptor, writers may leave the local values zero; any value given must agree.
    let fields: [(&'static str, u64, u64); 3] = [
        ("the CRC-32", u64::from(crc), u64::from(entry.crc)),
        ("the compressed size", compressed, entry.compressed),
        ("the uncompressed size", uncompressed, entry.uncompressed),
    ];
    for (field, local, central) in fields {
        if local != central && !(deferred && local == 0) {
            return Err(mismatch(name, LOCAL, field, local, central));
        }
    }

    let data_start = var_offset + name_len + extra_len;
    let data_end = data_start
        .checked_add(entry.compressed)
        .filter(|&end| end <= bytes.len() as u64)
        .ok_or_else(|| ArchiveError::Truncated {
            what: format!("the data of entry {name:?} runs past the end of the input"),
        })?;
    let mut end = data_end;
    if deferred {
        end = check_descriptor(bytes, entry, data_end, local_zip64 || entry.zip64_sizes)?;
    }
    if end > cd_offset {
        return Err(ArchiveError::OverlappingEntries {
            name: name.to_owned(),
            other: "the central directory".to_owned(),
        });
    }
    Ok(Span {
        start: entry.local_offset,
        data_start,
        end,
    })
}

/// Checks the data descriptor after an entry's data and returns where it ends.
fn check_descriptor(
    bytes: &[u8],
    entry: &CentralEntry,
    at: u64,
    wide: bool,
) -> Result<u64, ArchiveError> {
    let name = entry.name.as_str();
    let size_len: u64 = if wide { 8 } else { 4 };
    let what = || format!("the data descriptor of entry {name:?}");
    let first = region(bytes, at, 4, what)?;
    let signed = le32(first, 0) == Some(DESCRIPTOR_SIG);
    let body_at = if signed { at + 4 } else { at };
    let body = region(bytes, body_at, 4 + 2 * size_len, what)?;
    let mut f = Fields::new(body);
    let crc = f.u32();
    let (compressed, uncompressed) = if wide {
        (f.u64(), f.u64())
    } else {
        (u64::from(f.u32()), u64::from(f.u32()))
    };
    const PLACE: HeaderPlace = HeaderPlace::DataDescriptor;
    if crc != entry.crc {
        return Err(mismatch(name, PLACE, "the CRC-32", crc, entry.crc));
    }
    if compressed != entry.compressed {
        return Err(mismatch(
            name,
            PLACE,
            "the compressed size",
            compressed,
            entry.compressed,
        ));
    }
    if uncompressed != entry.uncompressed {
        return Err(mismatch(
            name,
            PLACE,
            "the uncompressed size",
            uncompressed,
            entry.uncompressed,
        ));
    }
    Ok(body_at + 4 + 2 * size_len)
}

/// Requires the local entries to tile `[0, cd_offset)` exactly: no overlap, no gap, no prefix.
fn check_tiling(
    entries: &[CentralEntry],
    spans: &[Span],
    cd_offset: u64,
) -> Result<(), ArchiveError> {
    let mut order: Vec<usize> = (0..spans.len()).collect();
    order.sort_by_key(|&i| (spans[i].start, spans[i].end));
    let mut cursor = 0u64;
    let mut previous: Option<usize> = None;
    for i in order {
        let span = &spans[i];
        if span.start < cursor {
            let other = previous.map_or_else(String::new, |p| format!("{:?}", entries[p].name));
            return Err(ArchiveError::OverlappingEntries {
                name: entries[i].name.clone(),
                other: format!("entry {other}"),
            });
        }
        if span.start > cursor {
            return Err(if previous.is_none() {
                ArchiveError::LeadingData { len: span.start }
            } else {
                ArchiveError::UnreferencedData {
                    offset: cursor,
                    len: span.start - cursor,
                }
            });
        }
        cursor = span.end;
        previous = Some(i);
    }
    if cursor < cd_offset {
        return Err(if previous.is_none() {
            ArchiveError::LeadingData { len: cd_offset }
        } else {
            ArchiveError::UnreferencedData {
                offset: cursor,
                len: cd_offset - cursor,
            }
        });
    }
    Ok(())
}

/// Inflates at most `declared + 1` bytes, so a lying header costs nothing beyond its claim.
fn inflate_bounded(name: &str, compressed: &[u8], declared: u64) -> Result<Vec<u8>, ArchiveError> {
    let corrupt = |e: std::io::Error| ArchiveError::CorruptData {
        name: name.to_owned(),
        detail: e.to_string(),
    };
    let limit = declared.saturating_add(1);
    let mut decoder = flate2::bufread::DeflateDecoder::new(compressed);
    let first = declared.min(INITIAL_CAPACITY);
    let mut out = Vec::with_capacity(first as usize + 1);
    (&mut decoder)
        .take(first)
        .read_to_end(&mut out)
        .map_err(corrupt)?;
    if out.len() as u64 == first {
        // The stream has proven to produce real data; only now trust the (capped) declared size.
        let rest = usize::try_from(limit - first).map_err(|_| ArchiveError::FileTooLarge {
            name: name.to_owned(),
            size: declared,
            limit: usize::MAX as u64,
        })?;
        out.reserve_exact(rest);
        (&mut decoder)
            .take(limit - first)
            .read_to_end(&mut out)
            .map_err(corrupt)?;
    }
    if out.len() as u64 != declared {
        return Err(ArchiveError::SizeMismatch {
            name: name.to_owned(),
            declared,
            actual: out.len() as u64,
        });
    }
    let consumed = decoder.total_in();
    if consumed != compressed.len() as u64 {
        return Err(ArchiveError::CorruptData {
            name: name.to_owned(),
            detail: format!(
                "the deflate stream ends after {consumed} of its {} compressed bytes",
                compressed.len()
            ),
        });
    }
    Ok(out)
}

fn looks_like_archive(name: &str, data: &[u8]) -> bool {
    let lower = name.to_ascii_lowercase();
    let by_name = [".zip", ".xpi", ".jar", ".crx"]
        .iter()
        .any(|ext| lower.ends_with(ext));
    let by_content = matches!(le32(data, 0), Some(LOCAL_SIG | EOCD_SIG)) || crx::is_crx(data);
    by_name || by_content
}

/// Refuses a package that lists more than [`Limits::max_entries`] files, nested archives'
/// files included.
pub(crate) fn check_listed(listed: usize, limits: &Limits) -> Result<(), ArchiveError> {
    if listed > limits.max_entries {
        return Err(ArchiveError::TooManyEntries {
            count: listed as u64,
            limit: limits.max_entries,
        });
    }
    Ok(())
}

/// Validates the archive held by entry `name` at nesting level `depth` (a zip, or a CRX's zip)
/// and, when `keep`, returns its files under `name!/`, so that they are listed, diffed, searched
/// and scanned like the package's own; the entry itself stays listed as it is.
pub(crate) fn read_nested(
    name: &str,
    data: &[u8],
    limits: &Limits,
    depth: u32,
    budget: &mut u64,
    keep: bool,
) -> Result<Vec<ArchiveEntry>, ArchiveError> {
    if depth > limits.max_nesting {
        return Err(ArchiveError::NestingTooDeep {
            name: name.to_owned(),
            depth,
            limit: limits.max_nesting,
        });
    }
    let mut nested = || -> Result<Vec<ArchiveEntry>, ArchiveError> {
        let zip = if crx::is_crx(data) {
            let header = crx::parse_crx(data)?;
            // header_len was checked against the input's length.
            &data[header.header_len as usize..]
        } else {
            data
        };
        read_level(zip, limits, depth, budget, keep)
    };
    let entries = nested().map_err(|source| ArchiveError::Nested {
        name: name.to_owned(),
        source: Box::new(source),
    })?;
    Ok(entries
        .into_iter()
        .map(|e| ArchiveEntry {
            path: format!("{name}{NESTED_SEPARATOR}{}", e.path),
            data: e.data,
        })
        .collect())
}

/// Validates one archive level; `budget` is the uncompressed total still allowed, shared with
/// nested archives so that nesting cannot multiply the total limit.
fn read_level(
    bytes: &[u8],
    limits: &Limits,
    depth: u32,
    budget: &mut u64,
    keep: bool,
) -> Result<Vec<ArchiveEntry>, ArchiveError> {
    if bytes.len() as u64 > limits.max_archive_size {
        return Err(ArchiveError::ArchiveTooLarge {
            size: bytes.len() as u64,
            limit: limits.max_archive_size,
        });
    }
    let end = find_end_record(bytes)?;
    if end.entries > limits.max_entries as u64 {
        return Err(ArchiveError::TooManyEntries {
            count: end.entries,
            limit: limits.max_entries,
        });
    }
    let cd_end = end
        .cd_offset
        .checked_add(end.cd_size)
        .ok_or_else(|| malformed("the central directory's offset plus size overflows"))?;
    if cd_end > end.cd_end {
        return Err(if cd_end > bytes.len() as u64 {
            ArchiveError::Truncated {
                what: "the central directory runs past the end of the input".to_owned(),
            }
        } else {
            malformed("the central directory overlaps the end-of-central-directory record")
        });
    }
    if cd_end < end.cd_end {
        let gap = end.cd_end - cd_end;
        // Offsets that are all short by the same amount are the mark of prepended data.
        let shifted = end
            .cd_offset
            .checked_add(gap)
            .and_then(|at| usize::try_from(at).ok())
            .is_some_and(|at| le32(bytes, at) == Some(CENTRAL_SIG));
        return Err(if shifted || end.entries == 0 {
            ArchiveError::LeadingData { len: gap }
        } else {
            ArchiveError::UnreferencedData {
                offset: cd_end,
                len: gap,
            }
        });
    }
    let entries = parse_central(bytes, &end, limits, *budget)?;
    // Reserve this level's whole declared total now, so nested archives draw on what is left.
    let declared: u64 = entries.iter().map(|e| e.uncompressed).sum();
    *budget = budget.saturating_sub(declared);
    let spans = entries
        .iter()
        .map(|entry| check_local(bytes, entry, end.cd_offset))
        .collect::<Result<Vec<_>, _>>()?;
    check_tiling(&entries, &spans, end.cd_offset)?;

    let mut out = Vec::with_capacity(if keep { entries.len() } else { 0 });
    for (entry, span) in entries.iter().zip(&spans) {
        if entry.is_dir {
            continue;
        }
        let name = entry.name.as_str();
        let compressed =
            &bytes[span.data_start as usize..(span.data_start + entry.compressed) as usize];
        let data = if entry.method == METHOD_STORED {
            compressed.to_vec()
        } else {
            inflate_bounded(name, compressed, entry.uncompressed)?
        };
        let actual = crc32fast::hash(&data);
        if actual != entry.crc {
            return Err(ArchiveError::CrcMismatch {
                name: name.to_owned(),
                declared: entry.crc,
                actual,
            });
        }
        let inner = if looks_like_archive(name, &data) {
            read_nested(name, &data, limits, depth + 1, budget, keep)?
        } else {
            Vec::new()
        };
        if keep {
            out.push(ArchiveEntry {
                path: entry.name.clone(),
                data,
            });
            out.extend(inner);
            // Nested files are listed, so the entry limit counts them too: without this a
            // package of small archives could list max_entries squared files.
            check_listed(out.len(), limits)?;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use vetter_fixtures::zip::{
        DEFLATE, DESCRIPTOR_SIG, FLAG_DESCRIPTOR, RawEntry, RawZip, ZipWriter, deflate, end_record,
        zip64_end_record, zip64_extra, zip64_locator,
    };

    fn read(bytes: &[u8]) -> Result<Archive, ArchiveError> {
        read_archive(bytes, &Limits::default())
    }

    fn paths(archive: &Archive) -> Vec<&str> {
        archive.entries.iter().map(|e| e.path.as_str()).collect()
    }

    #[test]
    fn errors_stay_small_enough_to_embed() {
        assert!(std::mem::size_of::<ArchiveError>() <= 96);
    }

    #[test]
    fn empty_archive_has_no_entries() {
        let archive = read(&end_record(0, 0, 0, b"")).unwrap();
        assert!(archive.entries.is_empty());
    }

    #[test]
    fn end_record_comment_is_allowed() {
        let zip = RawZip {
            comment: b"built by vetter".to_vec(),
            ..RawZip::new(vec![RawEntry::deflated("a.js", b"a();")])
        };
        assert_eq!(paths(&read(&zip.to_bytes()).unwrap()), ["a.js"]);
    }

    #[test]
    fn stored_and_deflated_entries_read_back_in_central_order() {
        let zip = RawZip::new(vec![
            RawEntry::stored("b.txt", b"stored"),
            RawEntry::deflated("a.txt", b"deflated deflated deflated"),
        ]);
        let archive = read(&zip.to_bytes()).unwrap();
        assert_eq!(paths(&archive), ["b.txt", "a.txt"]);
        assert_eq!(
            archive.get("a.txt").unwrap().data,
            b"deflated deflated deflated"
        );
        assert_eq!(archive.total_size(), 6 + 26);
    }

    #[test]
    fn directory_entries_are_dropped() {
        let bytes = ZipWriter::new()
            .directory("content")
            .file("content/a.js", b"a")
            .finish();
        assert_eq!(paths(&read(&bytes).unwrap()), ["content/a.js"]);
    }

    fn with_descriptor(signed: bool) -> Vec<u8> {
        let mut entry = RawEntry::deflated("a.js", b"console.log(1);");
        entry.flags |= FLAG_DESCRIPTOR;
        entry.local_crc = 0;
        entry.local_compressed_size = 0;
        entry.local_uncompressed_size = 0;
        if signed {
            entry
                .trailer
                .extend_from_slice(&DESCRIPTOR_SIG.to_le_bytes());
        }
        entry.trailer.extend_from_slice(&entry.crc.to_le_bytes());
        entry
            .trailer
            .extend_from_slice(&entry.compressed_size.to_le_bytes());
        entry
            .trailer
            .extend_from_slice(&entry.uncompressed_size.to_le_bytes());
        RawZip::new(vec![entry, RawEntry::stored("b.js", b"b")]).to_bytes()
    }

    #[test]
    fn data_descriptors_with_and_without_signature_are_read() {
        for signed in [true, false] {
            let archive = read(&with_descriptor(signed)).unwrap();
            assert_eq!(archive.get("a.js").unwrap().data, b"console.log(1);");
            assert_eq!(archive.get("b.js").unwrap().data, b"b");
        }
    }

    /// An honest ZIP64 archive: sizes in ZIP64 extra fields, counts in a ZIP64 end record.
    fn honest_zip64() -> Vec<u8> {
        let content = b"zip64 content zip64 content";
        let mut entry = RawEntry::deflated("a.txt", content);
        let compressed = entry.data.len() as u64;
        entry.set_uncompressed_size(u32::MAX);
        entry.set_compressed_size(u32::MAX);
        entry.local_extra = zip64_extra(&[content.len() as u64, compressed]);
        entry.central_extra = zip64_extra(&[content.len() as u64, compressed, 0]);
        let mut out = entry.local_header();
        out.extend_from_slice(&entry.data);
        let cd_start = out.len() as u64;
        out.extend_from_slice(&entry.central_header(u32::MAX));
        let cd_size = out.len() as u64 - cd_start;
        let z64_at = out.len() as u64;
        out.extend_from_slice(&zip64_end_record(1, cd_size, cd_start));
        out.extend_from_slice(&zip64_locator(z64_at));
        out.extend_from_slice(&end_record(u16::MAX, u32::MAX, u32::MAX, b""));
        out
    }

    #[test]
    fn honest_zip64_archive_is_read() {
        let archive = read(&honest_zip64()).unwrap();
        assert_eq!(
            archive.get("a.txt").unwrap().data,
            b"zip64 content zip64 content"
        );
    }

    #[test]
    fn zip64_locator_pointing_past_the_end_is_truncated() {
        let mut bytes = honest_zip64();
        let locator = bytes.len() - 22 - 20;
        bytes[locator + 8..locator + 16].copy_from_slice(&(1u64 << 40).to_le_bytes());
        assert!(matches!(read(&bytes), Err(ArchiveError::Truncated { .. })));
    }

    #[test]
    fn saturated_size_without_zip64_field_is_malformed() {
        let mut entry = RawEntry::deflated("a.txt", b"abc");
        entry.set_uncompressed_size(u32::MAX);
        let bytes = RawZip::new(vec![entry]).to_bytes();
        assert!(matches!(read(&bytes), Err(ArchiveError::Malformed { .. })));
    }

    #[test]
    fn input_shorter_than_an_end_record_is_not_zip_or_truncated() {
        assert!(matches!(read(b"hello"), Err(ArchiveError::NotZip { .. })));
        assert!(matches!(
            read(b"PK\x03\x04abc"),
            Err(ArchiveError::Truncated { .. })
        ));
    }

    #[test]
    fn path_rules() {
        let ok = [
            "a",
            "a/b.js",
            "_locales/en/messages.json",
            "ab:c",
            "..a",
            "a..",
            "é.js",
        ];
        for name in ok {
            assert!(check_path(name, false).is_ok(), "{name}");
        }
        let cases: [(&str, &str); 13] = [
            ("a:b", "absolute-path"),
            ("/a", "absolute-path"),
            ("C:/a", "absolute-path"),
            ("c:a", "absolute-path"),
            ("..", "parent-component"),
            ("a/../../b", "parent-component"),
            ("a\\b", "backslash"),
            ("a\0b", "forbidden-character"),
            ("a\u{7f}", "forbidden-character"),
            ("./a", "non-canonical-path"),
            ("a//b", "non-canonical-path"),
            ("a/./b", "non-canonical-path"),
            ("a/", "non-canonical-path"),
        ];
        for (name, rule) in cases {
            assert_eq!(check_path(name, false).unwrap_err().rule(), rule, "{name}");
        }
        assert!(check_path("a/", true).is_ok());
        assert!(check_path("../", true).is_err());
    }

    #[test]
    fn names_fold_across_case_and_normalisation() {
        assert_eq!(fold_key("Caf\u{e9}.JS"), fold_key("cafe\u{301}.js"));
        assert_eq!(fold_key("\u{212a}.js"), fold_key("k.js"));
        assert_ne!(fold_key("a.js"), fold_key("b.js"));
    }

    #[test]
    fn unix_file_types_are_classified() {
        assert_eq!(special_kind(0, false), None);
        assert_eq!(special_kind(0o100644 << 16, false), None);
        assert_eq!(special_kind(0o040755 << 16, true), None);
        let kind = |mode: u32, dir| special_kind(mode << 16, dir).map(|(k, _)| k);
        assert_eq!(kind(0o120777, false), Some(SpecialKind::Symlink));
        assert_eq!(kind(0o060600, false), Some(SpecialKind::BlockDevice));
        assert_eq!(kind(0o140777, false), Some(SpecialKind::Socket));
        assert_eq!(
            kind(0o040755, false),
            Some(SpecialKind::DirectoryWithoutSlash)
        );
        assert_eq!(kind(0o170000, false), Some(SpecialKind::Unknown));
    }

    #[test]
    fn directory_flagged_file_without_slash_is_refused() {
        let mut entry = RawEntry::stored("content", b"");
        entry.external_attr = 0o040755 << 16;
        let error = read(&RawZip::new(vec![entry]).to_bytes()).unwrap_err();
        assert!(matches!(
            error,
            ArchiveError::SpecialEntry {
                kind: SpecialKind::DirectoryWithoutSlash,
                ..
            }
        ));
    }

    #[test]
    fn directory_entry_colliding_with_a_file_is_a_path_conflict() {
        let bytes = ZipWriter::new().file("a", b"x").directory("a").finish();
        assert!(matches!(
            read(&bytes),
            Err(ArchiveError::PathConflict { .. })
        ));
    }

    #[test]
    fn bytes_after_the_deflate_stream_are_corrupt_data() {
        let content = b"hidden after the end";
        let mut data = deflate(content);
        data.extend_from_slice(b"smuggled");
        let entry = RawEntry::from_parts(
            b"a.txt",
            DEFLATE,
            crc32fast::hash(content),
            content.len() as u32,
            data,
        );
        let error = read(&RawZip::new(vec![entry]).to_bytes()).unwrap_err();
        assert!(
            matches!(error, ArchiveError::CorruptData { .. }),
            "{error:?}"
        );
    }

    #[test]
    fn inflate_stops_one_byte_past_the_declared_size() {
        let big = vec![7u8; 4 * 1024 * 1024];
        let error = inflate_bounded("a", &deflate(&big), 10).unwrap_err();
        assert!(matches!(
            error,
            ArchiveError::SizeMismatch {
                declared: 10,
                actual: 11,
                ..
            }
        ));
        let error = inflate_bounded("a", &deflate(b"short"), 6).unwrap_err();
        assert!(matches!(
            error,
            ArchiveError::SizeMismatch { actual: 5, .. }
        ));
    }

    #[test]
    fn inflate_of_an_entry_larger_than_the_first_allocation_is_exact() {
        let big: Vec<u8> = (0..3 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
        let out = inflate_bounded("a", &deflate(&big), big.len() as u64).unwrap();
        assert_eq!(out, big);
        assert!(out.capacity() <= big.len() + 1);
    }

    fn limits() -> Limits {
        Limits::default()
    }

    #[test]
    fn honest_file_over_the_file_limit_is_refused() {
        let bytes = ZipWriter::new().file("a.txt", &[1u8; 2000]).finish();
        let limits = Limits {
            max_file_size: 1999,
            ..limits()
        };
        let error = read_archive(&bytes, &limits).unwrap_err();
        assert!(matches!(
            error,
            ArchiveError::FileTooLarge { size: 2000, .. }
        ));
    }

    #[test]
    fn honest_files_over_the_total_limit_are_refused() {
        let bytes = ZipWriter::new()
            .file("a.txt", &[1u8; 600])
            .file("b.txt", &[2u8; 600])
            .finish();
        let limits = Limits {
            max_total_uncompressed: 1000,
            ..limits()
        };
        let error = read_archive(&bytes, &limits).unwrap_err();
        assert!(
            matches!(&error, ArchiveError::TotalTooLarge { name, total: 1200, .. } if name == "b.txt"),
            "{error:?}"
        );
    }

    #[test]
    fn ratio_is_judged_only_above_the_minimum_size() {
        let bytes = ZipWriter::new().file("zeros.bin", &[0u8; 100_000]).finish();
        assert!(
            read(&bytes).is_ok(),
            "100 kB of zeros is below the 1 MiB floor"
        );
        let limits = Limits {
            ratio_min_size: 1000,
            ..limits()
        };
        let error = read_archive(&bytes, &limits).unwrap_err();
        assert!(matches!(
            error,
            ArchiveError::RatioTooHigh { limit: 100, .. }
        ));
    }

    #[test]
    fn entry_count_limit_is_checked_before_parsing() {
        let bytes = ZipWriter::new().file("a", b"a").file("b", b"b").finish();
        let limits = Limits {
            max_entries: 1,
            ..limits()
        };
        let error = read_archive(&bytes, &limits).unwrap_err();
        assert!(matches!(
            error,
            ArchiveError::TooManyEntries { count: 2, limit: 1 }
        ));
    }

    #[test]
    fn one_level_of_nesting_is_allowed_and_validated() {
        let jar = ZipWriter::new().file("content/a.js", b"a").finish();
        let bytes = ZipWriter::new().file("chrome/x.jar", &jar).finish();
        let archive = read(&bytes).unwrap();
        assert_eq!(archive.get("chrome/x.jar").unwrap().data, jar);
        let flat = Limits {
            max_nesting: 0,
            ..limits()
        };
        let error = read_archive(&bytes, &flat).unwrap_err();
        assert!(matches!(
            error,
            ArchiveError::NestingTooDeep {
                depth: 1,
                limit: 0,
                ..
            }
        ));
    }

    #[test]
    fn files_inside_a_nested_archive_are_listed_under_its_path() {
        let jar = ZipWriter::new()
            .file("content/a.js", b"eval(atob(x));")
            .file("b.css", b"p{}")
            .finish();
        let bytes = ZipWriter::new()
            .file("manifest.json", b"{}")
            .file("chrome/x.jar", &jar)
            .file("z.js", b"z")
            .finish();
        let archive = read(&bytes).unwrap();
        assert_eq!(
            paths(&archive),
            [
                "manifest.json",
                "chrome/x.jar",
                "chrome/x.jar!/content/a.js",
                "chrome/x.jar!/b.css",
                "z.js"
            ]
        );
        assert_eq!(
            archive.get("chrome/x.jar!/content/a.js").unwrap().data,
            b"eval(atob(x));"
        );
        assert_eq!(
            nested_archive_of("chrome/x.jar!/content/a.js"),
            Some("chrome/x.jar")
        );
        assert_eq!(nested_archive_of("chrome/x.jar"), None);
    }

    #[test]
    fn files_of_nested_archives_count_against_the_entry_limit() {
        let jar = ZipWriter::new()
            .file("a.js", b"a")
            .file("b.js", b"b")
            .finish();
        let bytes = ZipWriter::new()
            .file("x.jar", &jar)
            .file("y.jar", &jar)
            .finish();
        let five = Limits {
            max_entries: 5,
            ..limits()
        };
        // Each level holds two entries, under the limit; the package lists six files.
        let error = read_archive(&bytes, &five).unwrap_err();
        assert!(
            matches!(error, ArchiveError::TooManyEntries { count: 6, limit: 5 }),
            "{error:?}"
        );
        let six = Limits {
            max_entries: 6,
            ..limits()
        };
        assert_eq!(read_archive(&bytes, &six).unwrap().entries.len(), 6);
    }

    #[test]
    fn a_crx_inside_a_package_is_read_like_a_zip() {
        let zip = ZipWriter::new().file("bg.js", b"fetch(u)").finish();
        let bytes = ZipWriter::new()
            .file("vendor/other.crx", &vetter_fixtures::packages::crx3(&zip))
            .finish();
        let archive = read(&bytes).unwrap();
        assert_eq!(
            paths(&archive),
            ["vendor/other.crx", "vendor/other.crx!/bg.js"]
        );
    }

    #[test]
    fn entry_names_with_the_nesting_separator_are_refused() {
        let bytes = ZipWriter::new()
            .file("lib/inner.jar!/evil.js", b"x")
            .finish();
        let error = read(&bytes).unwrap_err();
        assert!(
            matches!(&error, ArchiveError::ReservedSeparator { name } if name == "lib/inner.jar!/evil.js"),
            "{error:?}"
        );
        assert_eq!(error.rule(), "reserved-separator");
    }

    #[test]
    fn nested_archives_share_the_total_budget() {
        let jar = ZipWriter::new().file("big.txt", &[3u8; 800]).finish();
        let bytes = ZipWriter::new()
            .raw(RawEntry::stored("x.jar", &jar))
            .finish();
        let limits = Limits {
            max_total_uncompressed: jar.len() as u64 + 500,
            ..limits()
        };
        let error = read_archive(&bytes, &limits).unwrap_err();
        assert!(
            matches!(error.innermost(), ArchiveError::TotalTooLarge { .. }),
            "{error:?}"
        );
        assert_eq!(error.rule(), "nested-archive");
    }

    #[test]
    fn file_named_like_an_archive_must_be_one() {
        let bytes = ZipWriter::new()
            .file("data.zip", b"not a zip at all")
            .finish();
        let error = read(&bytes).unwrap_err();
        assert!(matches!(error.innermost(), ArchiveError::NotZip { .. }));
    }

    #[test]
    fn repeated_zip64_extra_field_is_malformed() {
        let mut entry = RawEntry::deflated("a.txt", b"abc");
        let mut extra = zip64_extra(&[3]);
        extra.extend_from_slice(&zip64_extra(&[4]));
        entry.central_extra = extra;
        let error = read(&RawZip::new(vec![entry]).to_bytes()).unwrap_err();
        assert!(matches!(error, ArchiveError::Malformed { .. }), "{error:?}");
    }

    #[test]
    fn extra_field_overrunning_its_area_is_malformed() {
        let mut entry = RawEntry::deflated("a.txt", b"abc");
        entry.central_extra = vec![0x99, 0x99, 0xFF, 0x00, 1, 2];
        let error = read(&RawZip::new(vec![entry]).to_bytes()).unwrap_err();
        assert!(matches!(error, ArchiveError::Malformed { .. }));
    }

    #[test]
    fn local_header_offset_pointing_at_nothing_is_malformed() {
        let (mut bytes, layout) =
            RawZip::new(vec![RawEntry::stored("a", b"0123456789")]).to_bytes_with_layout();
        // The central header's local-offset field is its last fixed field (offset 42).
        let at = layout.cd_start + 42;
        bytes[at..at + 4].copy_from_slice(&5u32.to_le_bytes());
        assert!(matches!(read(&bytes), Err(ArchiveError::Malformed { .. })));
    }

    #[test]
    fn trailing_end_record_with_overlong_comment_is_truncated() {
        let mut bytes = RawZip::new(vec![RawEntry::stored("a", b"a")]).to_bytes();
        let n = bytes.len();
        bytes[n - 2..].copy_from_slice(&100u16.to_le_bytes());
        assert!(matches!(read(&bytes), Err(ArchiveError::Truncated { .. })));
    }

    #[test]
    fn format_is_told_by_content_not_name() {
        use vetter_fixtures::packages::{crx2, crx3, tgz_files};
        let zip = vetter_fixtures::zip_files(&[("manifest.json", b"{}")]);
        let cases = [
            (zip.clone(), PackageFormat::Zip),
            (crx2(&zip), PackageFormat::Crx2),
            (crx3(&zip), PackageFormat::Crx3),
            (tgz_files(&[("manifest.json", b"{}")]), PackageFormat::TarGz),
        ];
        for (bytes, format) in cases {
            assert_eq!(PackageFormat::detect(&bytes), format);
            let package = read_package(&bytes, &Limits::default()).unwrap();
            assert_eq!(package.format, format);
            assert_eq!(paths(&package.archive), ["manifest.json"]);
            assert_eq!(
                package.crx.is_some(),
                matches!(format, PackageFormat::Crx2 | PackageFormat::Crx3)
            );
            assert_eq!(PackageFormat::from_code(format.code()), Some(format));
        }
    }

    #[test]
    fn zip_inside_a_crx_follows_the_zip_rules() {
        use vetter_fixtures::packages::crx3;
        let mut zip = vetter_fixtures::zip_files(&[("a.js", b"a")]);
        zip.extend_from_slice(b"appended");
        let err = read_package(&crx3(&zip), &Limits::default()).unwrap_err();
        assert!(matches!(err, ArchiveError::TrailingData { .. }), "{err}");
    }

    #[test]
    fn every_hostile_zip_is_refused_alike_inside_a_crx() {
        use vetter_fixtures::packages::{crx2, crx3};
        for fixture in vetter_fixtures::MALICIOUS {
            let bytes = (fixture.build)();
            let plain = read_archive(&bytes, &Limits::default()).unwrap_err();
            for wrapped in [crx3(&bytes), crx2(&bytes)] {
                let err = read_package(&wrapped, &Limits::default()).unwrap_err();
                assert_eq!(err.rule(), plain.rule(), "{}: {err}", fixture.name);
                assert_eq!(err.innermost().rule(), plain.innermost().rule());
            }
        }
    }

    #[test]
    fn package_size_is_checked_before_the_format() {
        let limits = Limits {
            max_archive_size: 10,
            ..Limits::default()
        };
        let bytes = vetter_fixtures::packages::tgz_files(&[("a", b"a")]);
        assert!(matches!(
            read_package(&bytes, &limits),
            Err(ArchiveError::ArchiveTooLarge { .. })
        ));
    }
}
