//! What the package-reading fuzz targets (`archive`, `crx`, `targz`) share: the limits they read
//! under and the checks on whatever a reader accepts.

use vetter_archive::{Archive, Limits, Package, PackageFormat, read_package};

/// Small limits: each execution stays fast and the limit checks themselves are reachable. The
/// ratio exemption is lowered too, so the ratio caps are reached by inputs a fuzzer can grow.
pub fn limits() -> Limits {
    Limits {
        max_archive_size: 4 << 20,
        max_total_uncompressed: 8 << 20,
        max_file_size: 4 << 20,
        max_entries: 512,
        ratio_min_size: 64 << 10,
        ..Limits::default()
    }
}

/// What every accepted archive must respect: the limits it was read under, and paths that are
/// relative and canonical (no absolute path, no empty, `.` or `..` component).
pub fn check_archive(archive: &Archive, limits: &Limits) {
    assert!(archive.entries.len() <= limits.max_entries);
    assert!(archive.total_size() <= limits.max_total_uncompressed);
    for entry in &archive.entries {
        let path = entry.path.as_str();
        assert!(!path.starts_with('/'), "absolute path {path:?} accepted");
        assert!(
            path.split('/')
                .all(|c| !c.is_empty() && c != "." && c != ".."),
            "non-canonical path {path:?} accepted"
        );
        assert!(
            entry.data.len() as u64 <= limits.max_file_size,
            "{path:?} is over the file size limit"
        );
    }
}

/// Reads `bytes` as a package of any format under [`limits`] and checks what is accepted: the
/// archive as [`check_archive`] does, and that a CRX header is there exactly for CRX formats.
pub fn read_and_check(bytes: &[u8]) -> Option<Package> {
    let limits = limits();
    let package = read_package(bytes, &limits).ok()?;
    check_archive(&package.archive, &limits);
    let is_crx = matches!(package.format, PackageFormat::Crx2 | PackageFormat::Crx3);
    assert_eq!(package.crx.is_some(), is_crx, "{:?}", package.format);
    Some(package)
}
