//! Why a review could not be opened or served: one error for every session operation.

use vetter_diff::DiffError;
use vetter_manifest::ManifestError;
use vetter_store::StoreError;

use crate::layout::Side;

/// Why a review could not be opened or served.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    /// The cache failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The library index could not be read.
    #[error(transparent)]
    Libraries(#[from] vetter_capabilities::LibraryError),
    /// Mozilla's addons-linter could not be run or read.
    #[error(transparent)]
    Linter(#[from] vetter_capabilities::linter::LinterError),
    /// A local file operation failed (named in the message).
    #[error("{0}")]
    Io(String),
    /// The reviewer's rule files could not scan a version.
    #[error(transparent)]
    Rules(#[from] vetter_rules::RulesError),
    /// The diff engine could not read a file.
    #[error(transparent)]
    Diff(#[from] DiffError),
    /// A version's manifest no longer parses.
    #[error("the manifest of cached version {version_id} does not parse: {error}")]
    Manifest {
        /// The cached version.
        version_id: i64,
        /// What the parser said.
        error: ManifestError,
    },
    /// The two versions belong to different add-ons.
    #[error("version {old_id} belongs to {old_guid:?} but version {new_id} to {new_guid:?}")]
    DifferentAddons {
        /// Old version id.
        old_id: i64,
        /// Its add-on.
        old_guid: String,
        /// New version id.
        new_id: i64,
        /// Its add-on.
        new_guid: String,
    },
    /// The same version was picked on both sides.
    #[error("version {id} was picked on both sides; pick two different versions")]
    SameVersion {
        /// The version.
        id: i64,
    },
    /// A file index outside the review's file list.
    #[error("file {index} is not in this review, which has {files} changed files")]
    NoSuchFile {
        /// The index asked for.
        index: usize,
        /// Files in the review.
        files: usize,
    },
    /// The file has no line view (an image or other binary).
    #[error("{path:?} is not a text file, so it has no line view")]
    NotText {
        /// The file.
        path: String,
    },
    /// The file is not a raster image.
    #[error("{path:?} is not a raster image (PNG, JPEG, GIF, WebP, BMP or ICO)")]
    NotImage {
        /// The file.
        path: String,
    },
    /// The image is too large to show inline.
    #[error("{path:?} is {size} bytes, over the {limit}-byte limit for showing images")]
    ImageTooLarge {
        /// The file.
        path: String,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The line asked for is past the end of the file's new side.
    #[error("{path:?} has {lines} lines in the newer version; there is no line {line}")]
    NoSuchLine {
        /// The file.
        path: String,
        /// The 1-based line asked for.
        line: u32,
        /// Lines of the file's newer side.
        lines: usize,
    },
    /// The side asked for does not exist (the old side of an added file, the new of a deleted).
    #[error("{path:?} has no {side:?} side in this review")]
    NoSide {
        /// The file.
        path: String,
        /// The side asked for.
        side: Side,
    },
}
