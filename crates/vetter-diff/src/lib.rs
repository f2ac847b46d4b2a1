//! File-level and line-level diffs between two versions.
//!
//! The review question is "what changed", so the engine answers it in layers a UI can fetch
//! lazily: [`diff_trees`] compares listings by path and hash, pairs renames, and counts lines of
//! every changed text file (one line diff per file, under a time budget); [`FileDiff`] then
//! serves hunks, rows and intraline changes of one file on demand. Inputs are [`VersionTree`]s,
//! so an XPI on disk, a cached version and a test directory all diff the same way.

mod intraline;
mod lines;
pub mod parallel;
mod tree;

use std::collections::HashMap;
use std::path::PathBuf;

use serde::Serialize;
use ts_rs::TS;

pub use intraline::{Intraline, IntralineOptions, intraline};
pub use lines::{
    Edit, EditKind, Hunk, LineAlgorithm, LineDiff, LineOptions, Row, RowKind, Whitespace,
    diff_lines, diff_lines_head,
};
pub use tree::{FileSource, MAX_DIR_FILE, MAX_DIR_FILES, TreeEntry, VersionTree};

use vetter_text::{FileKind, TextEncoding, TextLines, classify};

/// Why a diff could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    /// A worker thread comparing files stopped before it finished (it panicked).
    #[error("a thread comparing files stopped before it finished")]
    WorkerStopped,
    /// A path listed in a tree has no bytes behind it.
    #[error("file {path:?} is listed but its contents are missing")]
    Missing {
        /// The path.
        path: String,
    },
    /// A tree's source (the cache, say) could not deliver its listing or a file.
    #[error("cannot read {path:?} of {tree}: {source}")]
    Source {
        /// The tree, as its source names it (`cached version 12`).
        tree: String,
        /// The file (empty for the listing).
        path: String,
        /// What the source said.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A file or folder could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A file is larger than the differ reads.
    #[error("{path} is larger than the {limit}-byte limit")]
    TooLarge {
        /// The file.
        path: String,
        /// The limit.
        limit: u64,
    },
    /// A folder holds more files than a version can.
    #[error("{root} holds more than {limit} files")]
    TooManyFiles {
        /// The folder.
        root: PathBuf,
        /// The limit.
        limit: usize,
    },
}

/// What happened to a path between the two versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum FileStatus {
    /// Only in the new version.
    Added,
    /// Only in the old version.
    Deleted,
    /// In both, with different bytes.
    Modified,
    /// Moved: the old path is gone and a new path holds identical or similar content.
    Renamed,
    /// In both, byte for byte the same.
    Unchanged,
}

impl FileStatus {
    /// The one-letter code of `git diff --name-status` (`U` for unchanged).
    pub fn letter(self) -> char {
        match self {
            FileStatus::Added => 'A',
            FileStatus::Deleted => 'D',
            FileStatus::Modified => 'M',
            FileStatus::Renamed => 'R',
            FileStatus::Unchanged => 'U',
        }
    }
}

/// One path's change, as the file tree shows it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct FileChange {
    /// The path (the new path for renames).
    pub path: String,
    /// The old path of a rename.
    pub old_path: Option<String>,
    /// What happened.
    pub status: FileStatus,
    /// Text, image or other binary (binary if either side is).
    pub kind: FileKind,
    /// Old size in bytes.
    #[ts(type = "number | null")]
    pub old_size: Option<u64>,
    /// New size in bytes.
    #[ts(type = "number | null")]
    pub new_size: Option<u64>,
    /// Old sha256 (hex).
    pub old_sha256: Option<String>,
    /// New sha256 (hex).
    pub new_sha256: Option<String>,
    /// Lines added; `None` for binary files.
    pub added: Option<u32>,
    /// Lines removed; `None` for binary files.
    pub removed: Option<u32>,
    /// For renames: how similar the two contents are, in percent (100 for identical bytes).
    pub similarity: Option<u8>,
    /// How the old text was decoded.
    pub old_encoding: Option<TextEncoding>,
    /// How the new text was decoded.
    pub new_encoding: Option<TextEncoding>,
    /// Whether the line diff ran out of time (the counts are then an upper bound).
    pub deadline_hit: bool,
}

/// Totals over a tree diff.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct DiffTotals {
    /// Files added.
    pub added: u32,
    /// Files deleted.
    pub deleted: u32,
    /// Files modified.
    pub modified: u32,
    /// Files renamed.
    pub renamed: u32,
    /// Files unchanged.
    pub unchanged: u32,
    /// Lines added over all text files.
    #[ts(type = "number")]
    pub lines_added: u64,
    /// Lines removed over all text files.
    #[ts(type = "number")]
    pub lines_removed: u64,
}

/// The file-level diff of two versions.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct TreeDiff {
    /// Old version's label.
    pub old_label: String,
    /// New version's label.
    pub new_label: String,
    /// Every changed path (and unchanged ones when asked), sorted by path.
    pub files: Vec<FileChange>,
    /// Totals.
    pub totals: DiffTotals,
    /// The line diff behind each entry of `files` (text files only), kept so that rendering a
    /// file does not diff it again.
    #[serde(skip)]
    #[ts(skip)]
    line_diffs: Vec<Option<LineDiff>>,
}

impl TreeDiff {
    /// The line diff computed for `files[index]`, if it is a text file that changed.
    pub fn line_diff(&self, index: usize) -> Option<&LineDiff> {
        self.line_diffs.get(index).and_then(Option::as_ref)
    }

    /// Keeps only the files for which `keep(index, change)` is true (e.g. a path filter), with
    /// the totals recomputed over them.
    pub fn retain(self, mut keep: impl FnMut(usize, &FileChange) -> bool) -> TreeDiff {
        let (files, line_diffs): (Vec<_>, Vec<_>) = self
            .files
            .into_iter()
            .zip(self.line_diffs)
            .enumerate()
            .filter(|(i, (f, _))| keep(*i, f))
            .map(|(_, pair)| pair)
            .unzip();
        TreeDiff {
            old_label: self.old_label,
            new_label: self.new_label,
            totals: totals_of(&files),
            files,
            line_diffs,
        }
    }
}

/// Sums the statuses and line counts of a list of changes.
pub fn totals_of<'a>(files: impl IntoIterator<Item = &'a FileChange>) -> DiffTotals {
    let mut totals = DiffTotals::default();
    for c in files {
        match c.status {
            FileStatus::Added => totals.added += 1,
            FileStatus::Deleted => totals.deleted += 1,
            FileStatus::Modified => totals.modified += 1,
            FileStatus::Renamed => totals.renamed += 1,
            FileStatus::Unchanged => totals.unchanged += 1,
        }
        totals.lines_added += u64::from(c.added.unwrap_or(0));
        totals.lines_removed += u64::from(c.removed.unwrap_or(0));
    }
    totals
}

/// Options of a tree diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiffOptions {
    /// Line diff options (whitespace, algorithm, budget).
    pub line: LineOptions,
    /// Whether deleted and added paths are paired into renames.
    pub detect_renames: bool,
    /// Least similarity (percent) of different contents to call a pair a rename.
    pub rename_threshold: u8,
    /// Most deleted × added pairs compared for similar-content renames; beyond it only
    /// identical-content renames are found, so a version that moves everything stays fast.
    pub max_rename_pairs: usize,
    /// Whether unchanged files are listed.
    pub include_unchanged: bool,
}

impl Default for DiffOptions {
    fn default() -> Self {
        DiffOptions {
            line: LineOptions::default(),
            detect_renames: true,
            rename_threshold: 50,
            max_rename_pairs: 20_000,
            include_unchanged: false,
        }
    }
}

/// One side's decoded content, or its kind when it is not text.
enum Content<'a> {
    Text(TextLines<'a>),
    Other(FileKind),
}

fn load<'t>(
    tree: &'t VersionTree<'_>,
    path: &str,
) -> Result<std::borrow::Cow<'t, [u8]>, DiffError> {
    tree.read(path)
}

fn content(bytes: &[u8]) -> Content<'_> {
    match classify(bytes) {
        FileKind::Text => Content::Text(TextLines::decode(bytes)),
        other => Content::Other(other),
    }
}

/// The kind of a pair: image if either side is an image, binary if either is binary.
fn pair_kind(a: Option<FileKind>, b: Option<FileKind>) -> FileKind {
    let kinds = [a, b];
    if kinds.contains(&Some(FileKind::Image)) {
        FileKind::Image
    } else if kinds.contains(&Some(FileKind::Binary)) {
        FileKind::Binary
    } else {
        FileKind::Text
    }
}

/// Line hashes of a text, sorted, for similarity scoring of rename candidates.
fn line_hashes(text: &TextLines<'_>) -> Vec<u64> {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    let h = BuildHasherDefault::<DefaultHasher>::default();
    let mut v: Vec<u64> = (0..text.len())
        .map(|i| h.hash_one(text.content_with_newline(i)))
        .collect();
    v.sort_unstable();
    v
}

/// Dice similarity of two sorted line-hash multisets, in percent.
fn similarity(a: &[u64], b: &[u64]) -> u8 {
    if a.is_empty() && b.is_empty() {
        return 100;
    }
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    (200 * common / (a.len() + b.len())) as u8
}

/// Pairs deleted and added paths into renames: identical hashes first, then similar text.
fn find_renames(
    old: &VersionTree<'_>,
    new: &VersionTree<'_>,
    deleted: &mut Vec<String>,
    added: &mut Vec<String>,
    options: &DiffOptions,
) -> Result<Vec<(String, String, u8)>, DiffError> {
    let mut renames = Vec::new();
    let mut by_hash: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, p) in deleted.iter().enumerate() {
        if let Some(e) = old.entry(p) {
            by_hash.entry(e.sha256.as_str()).or_default().push(i);
        }
    }
    let mut taken_old = vec![false; deleted.len()];
    let mut taken_new = vec![false; added.len()];
    for (j, p) in added.iter().enumerate() {
        let Some(e) = new.entry(p) else { continue };
        if let Some(cands) = by_hash.get_mut(e.sha256.as_str()) {
            // Prefer a candidate with the same file name: a moved file rather than a copy.
            let name = p.rsplit('/').next();
            let pick = cands
                .iter()
                .position(|&i| deleted[i].rsplit('/').next() == name)
                .unwrap_or(0);
            if pick < cands.len() {
                let i = cands.remove(pick);
                taken_old[i] = true;
                taken_new[j] = true;
                renames.push((deleted[i].clone(), p.clone(), 100));
            }
        }
    }
    let rest_old: Vec<usize> = (0..deleted.len()).filter(|&i| !taken_old[i]).collect();
    let rest_new: Vec<usize> = (0..added.len()).filter(|&j| !taken_new[j]).collect();
    if !rest_old.is_empty()
        && !rest_new.is_empty()
        && rest_old.len() * rest_new.len() <= options.max_rename_pairs
    {
        let hashes = |tree: &VersionTree<'_>, path: &str| -> Result<Option<Vec<u64>>, DiffError> {
            let bytes = load(tree, path)?;
            Ok(match content(&bytes) {
                Content::Text(t) => Some(line_hashes(&t)),
                Content::Other(_) => None,
            })
        };
        let mut old_h = Vec::new();
        for &i in &rest_old {
            old_h.push(hashes(old, &deleted[i])?);
        }
        let mut new_h = Vec::new();
        for &j in &rest_new {
            new_h.push(hashes(new, &added[j])?);
        }
        let mut scored = Vec::new();
        for (a, ha) in rest_old.iter().zip(&old_h) {
            for (b, hb) in rest_new.iter().zip(&new_h) {
                let (Some(ha), Some(hb)) = (ha, hb) else {
                    continue;
                };
                let (small, big) = (ha.len().min(hb.len()), ha.len().max(hb.len()));
                // Dice can reach the threshold only if the sizes are close enough.
                if big == 0 || 200 * small / (small + big) < usize::from(options.rename_threshold) {
                    continue;
                }
                let s = similarity(ha, hb);
                if s >= options.rename_threshold {
                    scored.push((s, *a, *b));
                }
            }
        }
        scored.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
        for (s, i, j) in scored {
            if !taken_old[i] && !taken_new[j] {
                taken_old[i] = true;
                taken_new[j] = true;
                renames.push((deleted[i].clone(), added[j].clone(), s));
            }
        }
    }
    let mut i = 0;
    deleted.retain(|_| {
        i += 1;
        !taken_old[i - 1]
    });
    let mut j = 0;
    added.retain(|_| {
        j += 1;
        !taken_new[j - 1]
    });
    Ok(renames)
}

/// Compares two versions file by file.
pub fn diff_trees(
    old: &VersionTree<'_>,
    new: &VersionTree<'_>,
    options: &DiffOptions,
) -> Result<TreeDiff, DiffError> {
    let mut deleted = Vec::new();
    let mut added = Vec::new();
    let mut both = Vec::new();
    for path in old.entries().keys() {
        if new.entry(path).is_some() {
            both.push(path.clone());
        } else {
            deleted.push(path.clone());
        }
    }
    for path in new.entries().keys() {
        if old.entry(path).is_none() {
            added.push(path.clone());
        }
    }
    let renames = if options.detect_renames {
        find_renames(old, new, &mut deleted, &mut added, options)?
    } else {
        Vec::new()
    };
    let mut out: Vec<(FileChange, Option<LineDiff>)> = Vec::new();
    let mut pairs: Vec<Pair> = Vec::new();
    for path in both {
        let (oe, ne) = (old.entry(&path), new.entry(&path));
        let same = oe.map(|e| &e.sha256) == ne.map(|e| &e.sha256);
        if same {
            if options.include_unchanged {
                let mut c = bare(&path, None, FileStatus::Unchanged, old, new);
                c.kind = match old.entry(&path).map(|e| e.size) {
                    Some(0) => FileKind::Text,
                    _ => classify(&load(old, &path)?),
                };
                out.push((c, None));
            }
            continue;
        }
        pairs.push((Some(path.clone()), Some(path), FileStatus::Modified, None));
    }
    for (from, to, sim) in renames {
        pairs.push((Some(from), Some(to), FileStatus::Renamed, Some(sim)));
    }
    for path in deleted {
        pairs.push((Some(path), None, FileStatus::Deleted, None));
    }
    for path in added {
        pairs.push((None, Some(path), FileStatus::Added, None));
    }
    // Line counting runs on every core; reading stays here, with the trees' sources.
    parallel::ordered(
        pairs.len(),
        |i| load_pair(old, new, &pairs[i]),
        |loaded| compare(loaded, options),
        |_, compared| {
            out.push(compared);
            Ok(())
        },
        || DiffError::WorkerStopped,
    )?;
    out.sort_by(|a, b| a.0.path.cmp(&b.0.path));
    let (files, line_diffs): (Vec<_>, Vec<_>) = out.into_iter().unzip();
    let totals = totals_of(&files);
    Ok(TreeDiff {
        old_label: old.label().to_owned(),
        new_label: new.label().to_owned(),
        files,
        totals,
        line_diffs,
    })
}

/// A change record with the listing facts filled in and no content facts yet.
fn bare(
    path: &str,
    old_path: Option<&str>,
    status: FileStatus,
    old: &VersionTree<'_>,
    new: &VersionTree<'_>,
) -> FileChange {
    let op = old_path.unwrap_or(path);
    let (oe, ne) = match status {
        FileStatus::Added => (None, new.entry(path)),
        FileStatus::Deleted => (old.entry(path), None),
        _ => (old.entry(op), new.entry(path)),
    };
    FileChange {
        path: path.to_owned(),
        old_path: old_path.map(str::to_owned),
        status,
        kind: FileKind::Text,
        old_size: oe.map(|e| e.size),
        new_size: ne.map(|e| e.size),
        old_sha256: oe.map(|e| e.sha256.clone()),
        new_sha256: ne.map(|e| e.sha256.clone()),
        added: None,
        removed: None,
        similarity: None,
        old_encoding: None,
        new_encoding: None,
        deadline_hit: false,
    }
}

/// One change to compare: the old path (none when added), the new path (none when deleted), its
/// status and, for a rename, the similarity.
type Pair = (Option<String>, Option<String>, FileStatus, Option<u8>);

/// A change with the listing facts and the bytes of both sides, ready to compare anywhere.
struct Loaded<'t> {
    change: FileChange,
    old: Option<std::borrow::Cow<'t, [u8]>>,
    new: Option<std::borrow::Cow<'t, [u8]>>,
}

/// Reads both sides of one change (on the thread that owns the trees' sources).
fn load_pair<'t>(
    old: &'t VersionTree<'_>,
    new: &'t VersionTree<'_>,
    (old_path, new_path, status, similarity): &Pair,
) -> Result<Loaded<'t>, DiffError> {
    let (old_path, new_path) = (old_path.as_deref(), new_path.as_deref());
    let path = new_path.or(old_path).unwrap_or_default();
    let renamed_from = (*status == FileStatus::Renamed)
        .then_some(old_path)
        .flatten();
    let mut change = bare(path, renamed_from, *status, old, new);
    change.similarity = *similarity;
    Ok(Loaded {
        change,
        old: old_path.map(|p| load(old, p)).transpose()?,
        new: new_path.map(|p| load(new, p)).transpose()?,
    })
}

/// Classifies both sides of one change and counts its lines (on any thread).
fn compare(loaded: Loaded<'_>, options: &DiffOptions) -> (FileChange, Option<LineDiff>) {
    let Loaded {
        change: mut c,
        old: ob,
        new: nb,
    } = loaded;
    let oc = ob.as_deref().map(content);
    let nc = nb.as_deref().map(content);
    let kind_of = |c: &Option<Content<'_>>| match c {
        Some(Content::Text(_)) => Some(FileKind::Text),
        Some(Content::Other(k)) => Some(*k),
        None => None,
    };
    c.kind = pair_kind(kind_of(&oc), kind_of(&nc));
    let enc = |c: &Option<Content<'_>>| match c {
        Some(Content::Text(t)) => Some(t.encoding()),
        _ => None,
    };
    c.old_encoding = enc(&oc);
    c.new_encoding = enc(&nc);
    if c.kind != FileKind::Text {
        return (c, None);
    }
    let empty = TextLines::empty();
    let ot = match &oc {
        Some(Content::Text(t)) => t,
        _ => &empty,
    };
    let nt = match &nc {
        Some(Content::Text(t)) => t,
        _ => &empty,
    };
    let ld = diff_lines(ot, nt, &options.line);
    c.added = Some(ld.added);
    c.removed = Some(ld.removed);
    c.deadline_hit = ld.deadline_hit;
    (c, Some(ld))
}

/// Both sides of one text file and their line diff: what a viewer renders.
#[derive(Debug, Clone)]
pub struct FileDiff<'a> {
    /// The old text (empty for an added file).
    pub old: TextLines<'a>,
    /// The new text (empty for a deleted file).
    pub new: TextLines<'a>,
    /// The line diff.
    pub lines: LineDiff,
}

impl<'a> FileDiff<'a> {
    /// Diffs two texts.
    pub fn new(old: TextLines<'a>, new: TextLines<'a>, options: &LineOptions) -> FileDiff<'a> {
        let lines = diff_lines(&old, &new, options);
        FileDiff { old, new, lines }
    }

    /// Wraps texts with a line diff computed earlier (by [`diff_trees`]) for the same texts.
    pub fn with_lines(old: TextLines<'a>, new: TextLines<'a>, lines: LineDiff) -> FileDiff<'a> {
        FileDiff { old, new, lines }
    }

    /// The word-level changes of a removed or added row that has a partner line; `None` for
    /// context rows and unpaired lines.
    pub fn intraline(&self, row: &Row, options: &IntralineOptions) -> Option<Intraline> {
        let pair = row.pair? as usize;
        match row.kind {
            RowKind::Removed => Some(intraline(
                self.old.content(row.old_line? as usize),
                self.new.content(pair),
                options,
            )),
            RowKind::Added => Some(intraline(
                self.old.content(pair),
                self.new.content(row.new_line? as usize),
                options,
            )),
            RowKind::Context => None,
        }
    }
}
