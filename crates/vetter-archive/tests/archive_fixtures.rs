//! Every hostile archive from `vetter-fixtures` is refused with the right typed error, quickly;
//! the project's own valid add-ons read back byte-identical.

use std::time::{Duration, Instant};

use vetter_archive::{ArchiveError, Limits, read_archive, read_archive_file};
use vetter_fixtures::{ExpectedRefusal, MALICIOUS, mv2_addon, mv3_addon, next_version};

/// Whether `error` is the variant `expected` names (nested refusals are matched level by level).
fn matches(error: &ArchiveError, expected: ExpectedRefusal) -> bool {
    use ArchiveError as A;
    use ExpectedRefusal as E;
    match (expected, error) {
        (E::Nested(inner), A::Nested { source, .. }) => matches(source, *inner),
        (E::NotZip, A::NotZip { .. })
        | (E::Truncated, A::Truncated { .. })
        | (E::LeadingData, A::LeadingData { .. })
        | (E::TrailingData, A::TrailingData { .. })
        | (E::UnreferencedData, A::UnreferencedData { .. })
        | (E::Malformed, A::Malformed { .. })
        | (E::EndRecordMismatch, A::EndRecordMismatch { .. })
        | (E::TooManyEntries, A::TooManyEntries { .. })
        | (E::InvalidUtf8, A::InvalidUtf8 { .. })
        | (E::EmptyName, A::EmptyName { .. })
        | (E::AbsolutePath, A::AbsolutePath { .. })
        | (E::ParentComponent, A::ParentComponent { .. })
        | (E::Backslash, A::Backslash { .. })
        | (E::ForbiddenCharacter, A::ForbiddenCharacter { .. })
        | (E::NonCanonicalPath, A::NonCanonicalPath { .. })
        | (E::SpecialEntry, A::SpecialEntry { .. })
        | (E::DuplicateName, A::DuplicateName { .. })
        | (E::PathConflict, A::PathConflict { .. })
        | (E::DirectoryWithData, A::DirectoryWithData { .. })
        | (E::Encrypted, A::Encrypted { .. })
        | (E::UnsupportedMethod, A::UnsupportedMethod { .. })
        | (E::FileTooLarge, A::FileTooLarge { .. })
        | (E::TotalTooLarge, A::TotalTooLarge { .. })
        | (E::RatioTooHigh, A::RatioTooHigh { .. })
        | (E::HeaderMismatch, A::HeaderMismatch { .. })
        | (E::OverlappingEntries, A::OverlappingEntries { .. })
        | (E::SizeMismatch, A::SizeMismatch { .. })
        | (E::CorruptData, A::CorruptData { .. })
        | (E::CrcMismatch, A::CrcMismatch { .. })
        | (E::NestingTooDeep, A::NestingTooDeep { .. }) => true,
        _ => false,
    }
}

#[test]
fn every_malicious_fixture_is_refused_with_its_typed_error_in_under_a_second() {
    let limits = Limits::default();
    let mut failures = Vec::new();
    for fixture in MALICIOUS {
        let bytes = (fixture.build)();
        let started = Instant::now();
        let result = read_archive(&bytes, &limits);
        let elapsed = started.elapsed();
        match result {
            Ok(archive) => failures.push(format!(
                "{}: accepted ({} entries)",
                fixture.name,
                archive.entries.len()
            )),
            Err(error) if !matches(&error, fixture.expected) => failures.push(format!(
                "{}: expected {:?}, got {error:?}",
                fixture.name, fixture.expected
            )),
            Err(_) if elapsed >= Duration::from_secs(1) => {
                failures.push(format!("{}: refusal took {elapsed:?}", fixture.name))
            }
            Err(_) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn refusals_name_the_rule_and_the_entry() {
    let bytes = vetter_fixtures::malicious::parent_traversal();
    let error = read_archive(&bytes, &Limits::default()).unwrap_err();
    assert_eq!(error.rule(), "parent-component");
    assert!(error.to_string().contains("../../.bashrc"), "{error}");
}

fn assert_reads_back_identical(addon: &vetter_fixtures::Addon) {
    let archive = read_archive(&addon.to_xpi(), &Limits::default()).expect("valid add-on");
    let read: Vec<(&str, &[u8])> = archive
        .entries
        .iter()
        .map(|e| (e.path.as_str(), e.data.as_slice()))
        .collect();
    let written: Vec<(&str, &[u8])> = addon
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.data.as_slice()))
        .collect();
    assert_eq!(read, written);
}

#[test]
fn mv2_addon_reads_back_byte_identical_without_directory_entries() {
    assert_reads_back_identical(&mv2_addon());
}

#[test]
fn mv3_addon_reads_back_byte_identical_without_directory_entries() {
    assert_reads_back_identical(&mv3_addon());
}

#[test]
fn next_versions_read_back_byte_identical() {
    assert_reads_back_identical(&next_version(&mv2_addon()));
    assert_reads_back_identical(&next_version(&mv3_addon()));
}

#[test]
fn reading_a_file_gives_the_same_entries_as_reading_its_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("addon.xpi");
    let bytes = mv3_addon().to_xpi();
    std::fs::write(&path, &bytes).unwrap();
    let from_file = read_archive_file(&path, &Limits::default()).unwrap();
    let from_bytes = read_archive(&bytes, &Limits::default()).unwrap();
    assert_eq!(from_file, from_bytes);
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(
        names.len(),
        1,
        "the reader must not write next to the archive"
    );
}

#[test]
fn archive_file_over_the_size_limit_is_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.xpi");
    std::fs::write(&path, mv2_addon().to_xpi()).unwrap();
    let limits = Limits {
        max_archive_size: 100,
        ..Limits::default()
    };
    let error = read_archive_file(&path, &limits).unwrap_err();
    assert!(
        matches!(error, ArchiveError::ArchiveTooLarge { limit: 100, .. }),
        "{error:?}"
    );
}

#[test]
fn missing_archive_file_is_an_io_error_naming_the_path() {
    let error = read_archive_file(
        std::path::Path::new("/nonexistent/vetter/addon.xpi"),
        &Limits::default(),
    )
    .unwrap_err();
    assert!(matches!(error, ArchiveError::Io { .. }));
    assert!(error.to_string().contains("/nonexistent/vetter/addon.xpi"));
}
