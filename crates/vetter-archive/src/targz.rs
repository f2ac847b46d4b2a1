//! Reading gzip-compressed tar archives (`.tgz`, `.tar.gz`: npm packs, source submissions)
//! under the same rules as zips.
//!
//! The `tar` crate parses the headers (checksums, octal and base-256 numbers, ustar prefixes)
//! in raw mode: every record, long-name and pax records included, comes back to this module, so
//! that their sizes are checked before their data is read and the names and sizes Vetter uses
//! are exactly the ones it checked. Paths, duplicates, file/folder conflicts, sizes, entry
//! counts and nested archives follow the zip rules; links, devices and pipes are refused like a
//! zip's special entries. A tar has no per-entry compressed size, so the compression ratio is
//! judged on the gzip stream as a whole, and the stream is cut off at the total limit plus the
//! tar headers' own overhead, so a gzip bomb costs at most that much work and memory.

use std::cell::Cell;
use std::collections::HashMap;
use std::io::{self, Read};

use flate2::read::MultiGzDecoder;
use tar::{EntryType, PaxExtensions};

use super::{
    ArchiveEntry, ArchiveError, INITIAL_CAPACITY, Limits, SpecialKind, check_listed, check_path,
    check_path_conflicts, fold_key, looks_like_archive, read_nested,
};

/// Whether `bytes` start like a gzip stream (RFC 1952's magic and deflate method).
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b, 0x08])
}

/// Tar bytes allowed per entry on top of its data: its header, the padding of its data to a
/// block, and a long-name or pax record with its own header.
const OVERHEAD_PER_ENTRY: u64 = 4 * 512;

/// The end-of-archive blocks and the record padding writers add (GNU tar pads to 10 KiB).
const OVERHEAD_END: u64 = 20 * 512;

/// Longest long-name or pax record accepted; real ones hold one path (Linux's `PATH_MAX` is
/// 4 KiB) and a few attributes.
const MAX_EXTENSION: u64 = 64 * 1024;

/// Why the stream reader stopped early.
#[derive(Debug, Clone, Copy)]
enum Trip {
    Total { limit: u64 },
    Ratio { produced: u64 },
}

/// The decompressed tar stream, cut off at the stream limit and at the compression ratio cap.
struct Capped<'a, R> {
    inner: R,
    produced: u64,
    limit: u64,
    compressed: u64,
    limits: &'a Limits,
    trip: &'a Cell<Option<Trip>>,
}

impl<R: Read> Read for Capped<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.trip.get().is_some() {
            return Err(io::Error::other("stream limit reached"));
        }
        let n = self.inner.read(buf)?;
        self.produced += n as u64;
        let trip = if self.produced > self.limit {
            Some(Trip::Total { limit: self.limit })
        } else if self.produced > self.limits.ratio_min_size
            && self.produced > self.compressed.saturating_mul(self.limits.max_ratio)
        {
            Some(Trip::Ratio {
                produced: self.produced,
            })
        } else {
            None
        };
        if trip.is_some() {
            self.trip.set(trip);
            return Err(io::Error::other("stream limit reached"));
        }
        Ok(n)
    }
}

/// A file or directory taken from the tar, before the whole-archive checks.
struct Taken {
    name: String,
    is_dir: bool,
    data: Vec<u8>,
}

/// What long-name and pax records said about the entry that follows them.
#[derive(Default)]
struct Pending {
    long_name: Option<Vec<u8>>,
    pax_path: Option<Vec<u8>>,
    pax_size: Option<u64>,
    /// Where the first pending record was, for errors about a record with no entry after it.
    since: Option<usize>,
}

/// Reads and validates a `.tar.gz`; `budget` is the uncompressed total still allowed.
pub(super) fn read_tar_gz(
    bytes: &[u8],
    limits: &Limits,
    budget: &mut u64,
) -> Result<Vec<ArchiveEntry>, ArchiveError> {
    let trip = Cell::new(None);
    let stream_limit = limits
        .max_total_uncompressed
        .saturating_add((limits.max_entries as u64 + 1).saturating_mul(OVERHEAD_PER_ENTRY))
        .saturating_add(OVERHEAD_END);
    // MultiGzDecoder reads every gzip member, as `gzip -d` does: a second member could
    // otherwise carry entries that other readers see and Vetter would not.
    let reader = Capped {
        inner: MultiGzDecoder::new(bytes),
        produced: 0,
        limit: stream_limit,
        compressed: bytes.len() as u64,
        limits,
        trip: &trip,
    };
    let stream_error = |e: io::Error, at: &str| -> ArchiveError {
        match trip.get() {
            Some(Trip::Total { limit }) => ArchiveError::StreamTooLarge { limit },
            Some(Trip::Ratio { produced }) => ArchiveError::StreamRatioTooHigh {
                produced,
                compressed: bytes.len() as u64,
                limit: limits.max_ratio,
            },
            None if e.kind() == io::ErrorKind::UnexpectedEof => ArchiveError::Truncated {
                what: format!("the tar stream ends inside {at}"),
            },
            None => ArchiveError::MalformedTar {
                what: format!("{at}: {e}"),
            },
        }
    };

    let mut archive = tar::Archive::new(reader);
    let mut taken: Vec<Taken> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut total = 0u64;
    let mut pending = Pending::default();
    {
        let entries = archive
            .entries()
            .map_err(|e| stream_error(e, "the first header"))?
            .raw(true);
        for (index, entry) in entries.enumerate() {
            let at = || format!("record #{index}");
            let mut entry =
                entry.map_err(|e| stream_error(e, &format!("the header of {}", at())))?;
            // Every record counts, so a stream of tiny records cannot run on unbounded.
            if index >= limits.max_entries.saturating_mul(2) {
                return Err(ArchiveError::TooManyEntries {
                    count: index as u64 + 1,
                    limit: limits.max_entries,
                });
            }
            let header = entry.header();
            let kind = header.entry_type();
            let size = header
                .entry_size()
                .map_err(|e| stream_error(e, &format!("the size of {}", at())))?;
            let mode = header.mode().unwrap_or(0);
            if matches!(
                kind,
                EntryType::GNULongName | EntryType::XHeader | EntryType::XGlobalHeader
            ) {
                if size > MAX_EXTENSION {
                    return Err(ArchiveError::MalformedTar {
                        what: format!(
                            "{} is a long-name or pax record of {size} bytes, over the \
                             {MAX_EXTENSION}-byte limit",
                            at()
                        ),
                    });
                }
                let mut data = Vec::with_capacity(size as usize);
                (&mut entry)
                    .take(size)
                    .read_to_end(&mut data)
                    .map_err(|e| stream_error(e, &format!("the data of {}", at())))?;
                if data.len() as u64 != size {
                    return Err(ArchiveError::Truncated {
                        what: format!("the tar stream ends inside the data of {}", at()),
                    });
                }
                extension(kind, data, &mut pending, index)?;
                continue;
            }
            let raw_name = match pending.long_name.take() {
                Some(name) => name,
                None => match pending.pax_path.take() {
                    Some(name) => name,
                    None => entry.header().path_bytes().into_owned(),
                },
            };
            let pax_size = pending.pax_size.take();
            pending = Pending::default();
            let mut name = match String::from_utf8(raw_name) {
                Ok(name) => name,
                Err(e) => {
                    return Err(ArchiveError::InvalidUtf8 {
                        index,
                        lossy: String::from_utf8_lossy(e.as_bytes()).into_owned(),
                    });
                }
            };
            if let Some(pax_size) = pax_size
                && pax_size != size
            {
                return Err(ArchiveError::MalformedTar {
                    what: format!(
                        "entry {name:?}: its pax record says {pax_size} bytes but its header \
                         says {size}; readers would disagree on where its data ends"
                    ),
                });
            }
            // `./x` is how `tar -C dir .` names `x`; every reader resolves it the same way.
            if let Some(rest) = name.strip_prefix("./") {
                name = rest.to_owned();
            }
            if name.is_empty() || name == "." {
                if kind == EntryType::Directory && size == 0 {
                    continue;
                }
                return Err(ArchiveError::EmptyName { index });
            }
            let is_dir = match kind {
                EntryType::Directory => true,
                // Old (v7) tars mark directories only by the trailing slash; GNU tar agrees.
                EntryType::Regular | EntryType::Continuous => name.ends_with('/'),
                other => {
                    let kind = match other {
                        EntryType::Symlink => SpecialKind::Symlink,
                        EntryType::Link => SpecialKind::HardLink,
                        EntryType::Char => SpecialKind::CharDevice,
                        EntryType::Block => SpecialKind::BlockDevice,
                        EntryType::Fifo => SpecialKind::Fifo,
                        _ => SpecialKind::Unknown,
                    };
                    check_path(&name, name.ends_with('/'))?;
                    return Err(ArchiveError::SpecialEntry { name, kind, mode });
                }
            };
            if is_dir && !name.ends_with('/') {
                name.push('/');
            }
            check_path(&name, is_dir)?;
            if is_dir && size > 0 {
                return Err(ArchiveError::DirectoryWithData { name, size });
            }
            if size > limits.max_file_size {
                return Err(ArchiveError::FileTooLarge {
                    name,
                    size,
                    limit: limits.max_file_size,
                });
            }
            total = total.saturating_add(size);
            if total > *budget {
                return Err(ArchiveError::TotalTooLarge {
                    name,
                    total,
                    limit: *budget,
                });
            }
            if taken.len() >= limits.max_entries {
                return Err(ArchiveError::TooManyEntries {
                    count: taken.len() as u64 + 1,
                    limit: limits.max_entries,
                });
            }
            let key = fold_key(&name);
            if let Some(&first) = seen.get(&key) {
                return Err(ArchiveError::DuplicateName {
                    name,
                    first: taken[first].name.clone(),
                });
            }
            let mut data = Vec::with_capacity(size.min(INITIAL_CAPACITY) as usize);
            (&mut entry)
                .take(size)
                .read_to_end(&mut data)
                .map_err(|e| stream_error(e, &format!("the data of entry {name:?}")))?;
            if data.len() as u64 != size {
                return Err(ArchiveError::Truncated {
                    what: format!("the tar stream ends inside the data of entry {name:?}"),
                });
            }
            seen.insert(key, taken.len());
            taken.push(Taken { name, is_dir, data });
        }
    }
    if let Some(index) = pending.since {
        return Err(ArchiveError::MalformedTar {
            what: format!("record #{index} describes an entry, but no entry follows it"),
        });
    }
    check_rest_is_zeros(archive.into_inner(), &stream_error)?;
    check_path_conflicts(
        taken.len(),
        |i| (taken[i].name.as_str(), taken[i].is_dir),
        &seen,
    )?;

    *budget = budget.saturating_sub(total);
    let mut out = Vec::with_capacity(taken.len());
    for entry in taken.into_iter().filter(|e| !e.is_dir) {
        let inner = if looks_like_archive(&entry.name, &entry.data) {
            read_nested(&entry.name, &entry.data, limits, 1, budget, true)?
        } else {
            Vec::new()
        };
        out.push(ArchiveEntry {
            path: entry.name,
            data: entry.data,
        });
        out.extend(inner);
        check_listed(out.len(), limits)?;
    }
    Ok(out)
}

/// Records what a long-name or pax record says about the next entry, refusing records that
/// readers would apply differently.
fn extension(
    kind: EntryType,
    mut data: Vec<u8>,
    pending: &mut Pending,
    index: usize,
) -> Result<(), ArchiveError> {
    let malformed = |what: String| ArchiveError::MalformedTar { what };
    match kind {
        EntryType::GNULongName => {
            pending.since.get_or_insert(index);
            if pending.long_name.is_some() || pending.pax_path.is_some() {
                return Err(malformed(format!(
                    "record #{index} names the next entry a second time; readers would pick \
                     different names"
                )));
            }
            while data.last() == Some(&0) {
                data.pop();
            }
            pending.long_name = Some(data);
        }
        EntryType::XHeader => {
            pending.since.get_or_insert(index);
            for record in PaxExtensions::new(&data) {
                let record = record.map_err(|_| {
                    malformed(format!(
                        "record #{index} is a pax record that does not parse"
                    ))
                })?;
                match record.key_bytes() {
                    b"path" => {
                        if pending.long_name.is_some() || pending.pax_path.is_some() {
                            return Err(malformed(format!(
                                "record #{index} names the next entry a second time; readers \
                                 would pick different names"
                            )));
                        }
                        pending.pax_path = Some(record.value_bytes().to_vec());
                    }
                    b"size" => {
                        let size = record
                            .value()
                            .ok()
                            .and_then(|v| v.parse::<u64>().ok())
                            .ok_or_else(|| {
                                malformed(format!(
                                    "record #{index} has a pax size that is not a number"
                                ))
                            })?;
                        pending.pax_size = Some(size);
                    }
                    key if key.starts_with(b"GNU.sparse") => {
                        return Err(malformed(format!(
                            "record #{index} describes a sparse file, which add-ons never hold"
                        )));
                    }
                    _ => {}
                }
            }
        }
        _ => {
            // A global header applies to every later entry, which readers handle differently;
            // `git archive` writes one holding only a comment (the commit id), which is harmless.
            for record in PaxExtensions::new(&data) {
                let record = record.map_err(|_| {
                    malformed(format!(
                        "record #{index} is a pax record that does not parse"
                    ))
                })?;
                if record.key_bytes() != b"comment" {
                    return Err(malformed(format!(
                        "record #{index} is a pax global header setting {:?}; only comments are \
                         accepted",
                        String::from_utf8_lossy(record.key_bytes())
                    )));
                }
            }
        }
    }
    Ok(())
}

/// After the end-of-archive block only zeros may follow (the second end block and the record
/// padding): other bytes are where another reader might find more entries.
fn check_rest_is_zeros<R: Read>(
    mut reader: R,
    stream_error: &dyn Fn(io::Error, &str) -> ArchiveError,
) -> Result<(), ArchiveError> {
    let mut buf = [0u8; 8192];
    let mut offset = 0u64;
    loop {
        let n = reader
            .read(&mut buf)
            .map_err(|e| stream_error(e, "the end of the tar stream"))?;
        if n == 0 {
            return Ok(());
        }
        if let Some(at) = buf[..n].iter().position(|&b| b != 0) {
            return Err(ArchiveError::MalformedTar {
                what: format!(
                    "non-zero bytes {} bytes after the end-of-archive block; they could hide \
                     entries that other tar readers would see",
                    offset + at as u64
                ),
            });
        }
        offset += n as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PackageFormat, read_package};
    use vetter_fixtures::packages::{TarEntry, gzip, kind, tar, tgz_files};

    fn read(entries: &[TarEntry]) -> Result<Vec<ArchiveEntry>, ArchiveError> {
        read_with(&gzip(&tar(entries)), &Limits::default())
    }

    fn read_with(bytes: &[u8], limits: &Limits) -> Result<Vec<ArchiveEntry>, ArchiveError> {
        let package = read_package(bytes, limits)?;
        assert_eq!(package.format, PackageFormat::TarGz);
        Ok(package.archive.entries)
    }

    fn paths(entries: &[ArchiveEntry]) -> Vec<&str> {
        entries.iter().map(|e| e.path.as_str()).collect()
    }

    fn file(name: &str) -> TarEntry {
        TarEntry::file(name, b"x")
    }

    #[test]
    fn npm_pack_reads_with_its_package_prefix() {
        let bytes = tgz_files(&[
            ("package/package.json", br#"{"name":"p","version":"1.0.0"}"#),
            ("package/lib/index.js", b"module.exports = 1;\n"),
        ]);
        let entries = read_with(&bytes, &Limits::default()).unwrap();
        assert_eq!(
            paths(&entries),
            ["package/package.json", "package/lib/index.js"]
        );
        assert_eq!(entries[1].data, b"module.exports = 1;\n");
    }

    #[test]
    fn dot_slash_names_and_directories_are_read() {
        let entries = read(&[
            TarEntry::directory("./"),
            TarEntry::directory("./src/"),
            TarEntry::file("./src/a.js", b"a"),
        ])
        .unwrap();
        assert_eq!(paths(&entries), ["src/a.js"]);
    }

    #[test]
    fn long_names_from_gnu_and_pax_records_are_used() {
        let long = format!("{}/x.js", "d".repeat(150));
        let other = format!("{}/y.js", "e".repeat(150));
        let entries = read(&[
            TarEntry::long_name(&long),
            TarEntry::file("truncated", b"1"),
            TarEntry::pax(kind::PAX, &[("path", &other), ("mtime", "1")]),
            TarEntry::file("truncated2", b"2"),
            TarEntry::pax(kind::PAX_GLOBAL, &[("comment", "0123abcd")]),
            TarEntry::file("z.js", b"3"),
        ])
        .unwrap();
        assert_eq!(paths(&entries), [long.as_str(), other.as_str(), "z.js"]);
    }

    #[test]
    fn links_devices_and_pipes_are_special_entries() {
        let cases = [
            (kind::SYMLINK, SpecialKind::Symlink),
            (kind::HARD_LINK, SpecialKind::HardLink),
            (kind::CHAR_DEVICE, SpecialKind::CharDevice),
            (kind::BLOCK_DEVICE, SpecialKind::BlockDevice),
            (kind::FIFO, SpecialKind::Fifo),
            (b'S', SpecialKind::Unknown),
        ];
        for (byte, want) in cases {
            let err = read(&[file("a"), TarEntry::special("b", byte, "a")]).unwrap_err();
            assert!(
                matches!(&err, ArchiveError::SpecialEntry { name, kind, .. } if name == "b" && *kind == want),
                "{err}"
            );
        }
    }

    #[test]
    fn path_rules_are_the_zip_rules() {
        let cases: [(&str, &str); 6] = [
            ("../evil.js", "parent-component"),
            ("a/../../evil.js", "parent-component"),
            ("/etc/passwd", "absolute-path"),
            ("C:/x.js", "absolute-path"),
            ("a\\b.js", "backslash"),
            ("a//b.js", "non-canonical-path"),
        ];
        for (name, rule) in cases {
            let err = read(&[file(name)]).unwrap_err();
            assert_eq!(err.rule(), rule, "{name}: {err}");
        }
        let err = read(&[file("a\u{1b}[31m.js")]).unwrap_err();
        assert_eq!(err.rule(), "forbidden-character");
    }

    #[test]
    fn duplicates_conflicts_and_directory_data_are_refused() {
        let err = read(&[file("Manifest.json"), file("manifest.json")]).unwrap_err();
        assert!(matches!(err, ArchiveError::DuplicateName { .. }), "{err}");
        let err = read(&[file("lib"), file("lib/index.js")]).unwrap_err();
        assert!(matches!(err, ArchiveError::PathConflict { .. }), "{err}");
        let mut dir = TarEntry::directory("d/");
        dir.size = 1;
        dir.data = b"x".to_vec();
        let err = read(&[dir]).unwrap_err();
        assert!(
            matches!(err, ArchiveError::DirectoryWithData { .. }),
            "{err}"
        );
    }

    #[test]
    fn names_that_are_not_utf8_are_refused() {
        let mut entry = file("a");
        entry.name = b"caf\xe9.js".to_vec();
        let err = read(&[entry]).unwrap_err();
        assert!(matches!(err, ArchiveError::InvalidUtf8 { .. }), "{err}");
    }

    fn small() -> Limits {
        Limits {
            max_total_uncompressed: 64 * 1024,
            max_file_size: 32 * 1024,
            max_entries: 8,
            ratio_min_size: 16 * 1024,
            ..Limits::default()
        }
    }

    #[test]
    fn sizes_are_judged_from_the_header_before_the_data() {
        // The header claims 40 KiB and no data follows: refused without reading.
        let mut big = file("big.js");
        big.size = 40 * 1024;
        let err = read_with(&gzip(&tar(&[big])), &small()).unwrap_err();
        assert!(matches!(err, ArchiveError::FileTooLarge { .. }), "{err}");
        let data = vec![b'a'; 30 * 1024];
        let parts: Vec<TarEntry> = (0..3)
            .map(|i| TarEntry::file(&format!("{i}.js"), &data))
            .collect();
        // Runs of one byte compress far past the ratio cap, which is not what this test is about.
        let no_ratio = Limits {
            max_ratio: u64::MAX,
            ..small()
        };
        let err = read_with(&gzip(&tar(&parts)), &no_ratio).unwrap_err();
        assert!(matches!(err, ArchiveError::TotalTooLarge { .. }), "{err}");
    }

    #[test]
    fn entry_count_is_limited() {
        let many: Vec<TarEntry> = (0..9).map(|i| file(&format!("{i}.js"))).collect();
        let err = read_with(&gzip(&tar(&many)), &small()).unwrap_err();
        assert!(matches!(err, ArchiveError::TooManyEntries { .. }), "{err}");
    }

    #[test]
    fn gzip_bomb_is_cut_off_by_the_ratio_cap() {
        let zeros = vec![0u8; 1 << 20];
        let bytes = gzip(&tar(&[TarEntry::file("z.bin", &zeros)]));
        let limits = Limits {
            max_file_size: 2 << 20,
            max_total_uncompressed: 2 << 20,
            ratio_min_size: 64 * 1024,
            ..Limits::default()
        };
        let err = read_with(&bytes, &limits).unwrap_err();
        assert!(
            matches!(err, ArchiveError::StreamRatioTooHigh { .. }),
            "{err}"
        );
    }

    #[test]
    fn zeros_after_the_end_are_capped_by_the_stream_limit() {
        let mut stream = tar(&[file("a.js")]);
        stream.resize(stream.len() + (1 << 20), 0);
        let limits = Limits {
            max_ratio: u64::MAX,
            ..small()
        };
        let err = read_with(&gzip(&stream), &limits).unwrap_err();
        assert!(matches!(err, ArchiveError::StreamTooLarge { .. }), "{err}");
    }

    #[test]
    fn bytes_after_the_end_of_archive_are_refused() {
        let mut stream = tar(&[file("a.js")]);
        let hidden = TarEntry::file("hidden.js", b"evil()").header();
        stream.extend_from_slice(&hidden);
        let err = read_with(&gzip(&stream), &Limits::default()).unwrap_err();
        assert!(matches!(err, ArchiveError::MalformedTar { .. }), "{err}");
        // A second gzip member is read too, as `gzip -d` would.
        let mut two = gzip(&tar(&[file("a.js")]));
        two.extend(gzip(b"more"));
        let err = read_with(&two, &Limits::default()).unwrap_err();
        assert!(matches!(err, ArchiveError::MalformedTar { .. }), "{err}");
    }

    #[test]
    fn truncated_streams_are_refused() {
        let mut entry = file("a.js");
        entry.size = 4096;
        let mut stream = TarEntry::header(&entry).to_vec();
        stream.extend_from_slice(&[b'a'; 100]);
        let err = read_with(&gzip(&stream), &Limits::default()).unwrap_err();
        assert!(matches!(err, ArchiveError::Truncated { .. }), "{err}");
        let whole = gzip(&tar(&[file("a.js")]));
        let err = read_with(&whole[..whole.len() / 2], &Limits::default()).unwrap_err();
        assert!(
            matches!(
                err,
                ArchiveError::Truncated { .. } | ArchiveError::MalformedTar { .. }
            ),
            "{err}"
        );
    }

    #[test]
    fn records_readers_would_apply_differently_are_refused() {
        let cases: Vec<Vec<TarEntry>> = vec![
            // Two names for one entry.
            vec![
                TarEntry::long_name("a.js"),
                TarEntry::pax(kind::PAX, &[("path", "b.js")]),
                file("c.js"),
            ],
            // A pax size that disagrees with the header.
            vec![TarEntry::pax(kind::PAX, &[("size", "100")]), file("a.js")],
            // A global header that renames later entries.
            vec![
                TarEntry::pax(kind::PAX_GLOBAL, &[("path", "x")]),
                file("a.js"),
            ],
            // A record with nothing after it.
            vec![file("a.js"), TarEntry::long_name("b.js")],
            // A sparse file.
            vec![
                TarEntry::pax(kind::PAX, &[("GNU.sparse.size", "1")]),
                file("a.js"),
            ],
        ];
        for entries in cases {
            let err = read(&entries).unwrap_err();
            assert!(matches!(err, ArchiveError::MalformedTar { .. }), "{err}");
        }
        let mut huge = TarEntry::long_name("a");
        huge.size = MAX_EXTENSION + 1;
        let err = read(&[huge, file("a.js")]).unwrap_err();
        assert!(matches!(err, ArchiveError::MalformedTar { .. }), "{err}");
    }

    #[test]
    fn files_of_an_archive_inside_a_tar_are_listed_under_its_path() {
        let inner = vetter_fixtures::zip_files(&[("a.js", b"a")]);
        let archive = read(&[TarEntry::file("package/lib.zip", &inner)]).unwrap();
        let paths: Vec<&str> = archive.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["package/lib.zip", "package/lib.zip!/a.js"]);
    }

    #[test]
    fn nested_archives_in_a_tar_are_validated() {
        let mut inner = vetter_fixtures::zip_files(&[("a.js", b"a")]);
        inner.extend_from_slice(b"appended");
        let err = read(&[TarEntry::file("lib.zip", &inner)]).unwrap_err();
        assert!(matches!(err, ArchiveError::Nested { .. }), "{err}");
        assert_eq!(err.innermost().rule(), "trailing-data");
    }
}
