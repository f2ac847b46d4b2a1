//! Regex and literal search over one cached version or the whole cache.
//!
//! A reviewer asks "where else does `new Function` appear?" across hundreds of versions, so a
//! scan of every file's bytes (tens of MB per pdf.js release, decoded from zstd deltas) is too
//! slow. Each distinct blob's text goes into a contentless SQLite FTS5 table with the trigram
//! tokenizer; a search first reduces the pattern to the literal substrings every match must
//! contain, asks the index which blobs contain all their trigrams (anywhere: the index keeps no
//! positions), and only then runs the real regex on those blobs, on every core. The index only
//! ever over-approximates (it ignores case and order), so the regex alone decides what is a hit
//! and results equal a full scan.
//!
//! Keeping in step with imports: imports, syncs and the app's background indexer call
//! [`catch_up`] as soon as they have written, in resumable batches, and every search calls it
//! too, so a search never misses a cached file whatever wrote the cache (another process, a
//! cache from before the index existed) and the first search after an import pays nothing.
//!
//! Results follow `grep -n`: one hit per matching line, lines split on `\n` (a `\r` stays part
//! of the line), files containing a NUL byte treated as binary and skipped (as `grep -I`).
//! Hostile patterns are bounded by the regex crate's compiled-size and DFA-cache limits (the
//! engine is linear-time, so no pattern can backtrack exponentially) plus a byte and time
//! budget per search.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::bytes::{Regex, RegexBuilder};
use regex_syntax::hir::{Hir, HirKind};
use serde::Serialize;
use ts_rs::TS;

use vetter_store::{Store, StoreError};

/// Why a search could not run.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The pattern is not a valid regex, or compiles to more than the size limit.
    #[error("invalid search pattern {pattern:?}: {message}")]
    Pattern {
        /// The pattern as given.
        pattern: String,
        /// The regex compiler's message.
        message: String,
    },
    /// A path glob is invalid.
    #[error("invalid path glob {glob:?}: {message}")]
    Glob {
        /// The glob as given.
        glob: String,
        /// globset's message.
        message: String,
    },
    /// The cache could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A thread matching the pattern stopped before its work was done (it panicked).
    #[error("a search thread stopped before the search was done")]
    WorkerStopped,
}

/// Why the scan of candidate blobs ended early: a budget (the results so far stand) or an error.
enum Halt {
    Stop(SearchStop),
    Failed(SearchError),
}

/// What to look for and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    /// A regex (Rust `regex` syntax, which for common patterns equals `grep -E`), or a literal
    /// string when `fixed_strings` is set.
    pub pattern: String,
    /// Treat `pattern` as a literal string.
    pub fixed_strings: bool,
    /// Match letters regardless of case.
    pub ignore_case: bool,
    /// Only this cached version; `None` searches every cached version.
    pub version_id: Option<i64>,
    /// Only paths matching one of these globs (`*` also crosses `/`); empty means all paths.
    pub globs: Vec<String>,
    /// Lines of context before and after each hit.
    pub context: u32,
}

impl SearchQuery {
    /// A case-sensitive regex search over every cached version, no globs, no context.
    pub fn regex(pattern: &str) -> SearchQuery {
        SearchQuery {
            pattern: pattern.to_owned(),
            fixed_strings: false,
            ignore_case: false,
            version_id: None,
            globs: Vec::new(),
            context: 0,
        }
    }
}

/// Bounds on one search, so a hostile pattern or a huge cache cannot hang the reviewer's tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchLimits {
    /// Compiled regex size limit in bytes (`RegexBuilder::size_limit`).
    pub regex_size: usize,
    /// Lazy DFA cache limit in bytes (`RegexBuilder::dfa_size_limit`).
    pub dfa_size: usize,
    /// Most bytes of file content scanned by the regex.
    pub max_scan_bytes: u64,
    /// Wall-clock budget, checked between files.
    pub time_budget: Duration,
    /// Most hits returned.
    pub max_hits: usize,
    /// Longest excerpt of one line kept in a hit (minified lines run to megabytes).
    pub max_line_excerpt: usize,
}

impl Default for SearchLimits {
    fn default() -> Self {
        SearchLimits {
            regex_size: 2 * 1024 * 1024,
            dfa_size: 4 * 1024 * 1024,
            max_scan_bytes: 2 * 1024 * 1024 * 1024,
            time_budget: Duration::from_secs(20),
            max_hits: 20_000,
            max_line_excerpt: 400,
        }
    }
}

/// How far bringing the index up to date has got: `done` of `total` new blobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct IndexProgress {
    /// Blobs indexed so far.
    #[ts(type = "number")]
    pub done: u64,
    /// Blobs this catch-up indexes.
    #[ts(type = "number")]
    pub total: u64,
}

/// One excerpt of a line: `text` is the line's bytes from `start` (lossily decoded), cut to
/// the excerpt limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct LineExcerpt {
    /// 1-based line number.
    pub line: u32,
    /// Byte offset within the line where `text` starts (non-zero when a long line was cut).
    pub start: u32,
    /// The excerpt.
    pub text: String,
    /// Whether the line goes on past the excerpt.
    pub cut: bool,
}

/// One matching line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SearchHit {
    /// The version holding the file.
    #[ts(type = "number")]
    pub version_id: i64,
    /// The file's path in the archive.
    pub path: String,
    /// 1-based line of the match.
    pub line: u32,
    /// 0-based byte column of the first match on the line.
    pub column: u32,
    /// Byte length of that match (clipped to the line).
    pub length: u32,
    /// The matching line, around the match.
    pub excerpt: LineExcerpt,
    /// Context lines before, oldest first.
    pub before: Vec<LineExcerpt>,
    /// Context lines after.
    pub after: Vec<LineExcerpt>,
}

/// Why a search stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SearchStop {
    /// [`SearchLimits::max_hits`] reached.
    HitLimit,
    /// [`SearchLimits::max_scan_bytes`] reached.
    ByteBudget,
    /// [`SearchLimits::time_budget`] ran out.
    TimeBudget,
}

/// Everything one search found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SearchResults {
    /// Hits ordered by version id, path, line.
    pub hits: Vec<SearchHit>,
    /// Literal substrings the index narrowed on (empty: every text blob was scanned).
    pub index_literals: Vec<String>,
    /// Distinct blobs the regex ran on.
    #[ts(type = "number")]
    pub blobs_scanned: u64,
    /// Bytes the regex ran over.
    #[ts(type = "number")]
    pub bytes_scanned: u64,
    /// Set when a limit stopped the search before it covered everything.
    pub stopped: Option<SearchStop>,
}

/// Indexes every blob the search index has not seen yet (in batches, resumable); returns how
/// many. Run after every import and sync (so the first search finds nothing to do), and by
/// [`search`] first, so the index is complete whatever wrote the cache.
pub fn catch_up(store: &mut Store) -> Result<u64, SearchError> {
    catch_up_with(store, &mut |_| {})
}

/// [`catch_up`], reporting each indexed blob to `progress` (the first search after a large
/// import indexes thousands of files, which takes seconds).
pub fn catch_up_with(
    store: &mut Store,
    progress: &mut dyn FnMut(IndexProgress),
) -> Result<u64, SearchError> {
    Ok(store.index_pending_blobs(&mut |done, total| progress(IndexProgress { done, total }))?)
}

/// Brings the search index up to date on a thread of its own, so an import or a sync returns at
/// once and the first search after it answers like any other. One run at a time: a kick while
/// one runs makes it go round once more when it is done.
#[derive(Default)]
pub struct BackgroundIndexer {
    state: std::sync::Arc<std::sync::Mutex<IndexerState>>,
}

#[derive(Default)]
struct IndexerState {
    running: bool,
    again: bool,
}

impl BackgroundIndexer {
    /// Starts indexing the cache in `data_dir` (or asks the running thread to go round again).
    /// A failure is logged, and the next search catches up instead.
    pub fn kick(&self, data_dir: std::path::PathBuf) {
        {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            if state.running {
                state.again = true;
                return;
            }
            state.running = true;
        }
        let state = self.state.clone();
        std::thread::spawn(move || {
            loop {
                let outcome = Store::open(&data_dir)
                    .map_err(SearchError::from)
                    .and_then(|mut store| catch_up(&mut store));
                if let Err(e) = outcome {
                    tracing::warn!(error = %e, "background search indexing stopped");
                }
                let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
                if !s.again {
                    s.running = false;
                    break;
                }
                s.again = false;
            }
        });
    }
}

/// Compiles the query's pattern under the limits.
fn compile(query: &SearchQuery, limits: &SearchLimits) -> Result<(Regex, String), SearchError> {
    let source = if query.fixed_strings {
        regex::escape(&query.pattern)
    } else {
        query.pattern.clone()
    };
    let regex = RegexBuilder::new(&source)
        .case_insensitive(query.ignore_case)
        .multi_line(true)
        .size_limit(limits.regex_size)
        .dfa_size_limit(limits.dfa_size)
        .nest_limit(128)
        .build()
        .map_err(|e| SearchError::Pattern {
            pattern: query.pattern.clone(),
            message: e.to_string(),
        })?;
    Ok((regex, source))
}

/// The literal substrings (at least three characters) that every match of `source` contains.
///
/// Only what is certain is kept: literals in a concatenation, and inside groups and repetitions
/// that must occur at least once; alternations contribute nothing. With `ignore_case`, only
/// ASCII literals without `k` or `s` are kept, because Unicode case folding maps those to
/// characters (the Kelvin sign, long s) that the index's folding does not.
pub fn required_literals(source: &str, ignore_case: bool) -> Vec<String> {
    let Ok(hir) = regex_syntax::ParserBuilder::new()
        .nest_limit(128)
        .build()
        .parse(source)
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    walk(&hir, &mut out);
    out.retain(|lit| {
        lit.chars().count() >= 3
            && (!ignore_case
                || (lit.is_ascii() && !lit.chars().any(|c| matches!(c, 'k' | 'K' | 's' | 'S'))))
    });
    out.sort();
    out.dedup();
    out
}

fn walk(hir: &Hir, out: &mut Vec<String>) {
    let flush = |run: &mut Vec<u8>, out: &mut Vec<String>| {
        if let Ok(s) = String::from_utf8(std::mem::take(run)) {
            out.push(s);
        }
    };
    match hir.kind() {
        HirKind::Literal(lit) => {
            if let Ok(s) = std::str::from_utf8(&lit.0) {
                out.push(s.to_owned());
            }
        }
        HirKind::Capture(cap) => walk(&cap.sub, out),
        HirKind::Repetition(rep) if rep.min >= 1 => walk(&rep.sub, out),
        HirKind::Concat(items) => {
            let mut run = Vec::new();
            for item in items {
                match item.kind() {
                    HirKind::Literal(lit) => run.extend_from_slice(&lit.0),
                    _ => {
                        flush(&mut run, out);
                        walk(item, out);
                    }
                }
            }
            flush(&mut run, out);
        }
        _ => {}
    }
}

fn glob_set(globs: &[String]) -> Result<Option<GlobSet>, SearchError> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut builder = GlobSetBuilder::new();
    for g in globs {
        builder.add(Glob::new(g).map_err(|e| SearchError::Glob {
            glob: g.clone(),
            message: e.kind().to_string(),
        })?);
    }
    builder.build().map(Some).map_err(|e| SearchError::Glob {
        glob: globs.join(", "),
        message: e.kind().to_string(),
    })
}

/// A line found in one blob: the positions are blob-level, reused for every file that shares
/// the blob.
#[derive(Debug, Clone)]
struct BlobLine {
    line: u32,
    line_start: usize,
    line_end: usize,
    match_start: usize,
    match_end: usize,
}

/// Searches the cache.
pub fn search(
    store: &mut Store,
    query: &SearchQuery,
    limits: &SearchLimits,
) -> Result<SearchResults, SearchError> {
    let started = Instant::now();
    let (regex, source) = compile(query, limits)?;
    let globs = glob_set(&query.globs)?;
    if let Some(id) = query.version_id {
        store.version(id)?;
    }
    catch_up(store)?;
    let literals = required_literals(&source, query.ignore_case);

    // Candidate (version, path, blob) rows, narrowed by the index when there are literals.
    let rows = store.search_candidates(query.version_id, &literals)?;

    let mut results = SearchResults {
        hits: Vec::new(),
        index_literals: literals,
        blobs_scanned: 0,
        bytes_scanned: 0,
        stopped: None,
    };
    // Each distinct blob is decoded and scanned once, however many versions share it, on every
    // core (each worker decodes through its own read-only connection).
    let mut scan: Vec<i64> = Vec::new();
    let mut scan_index: HashMap<i64, usize> = HashMap::new();
    let mut by_file: Vec<((i64, String), i64)> = Vec::new();
    for (version_id, path, blob_id) in rows {
        if let Some(g) = &globs
            && !g.is_match(&path)
        {
            continue;
        }
        by_file.push(((version_id, path), blob_id));
        scan_index.entry(blob_id).or_insert_with(|| {
            scan.push(blob_id);
            scan.len() - 1
        });
    }
    // The store lists candidates by version and path; hits must come in that order whatever
    // the collation, so it is made sure of here.
    by_file.sort_unstable();
    let mut found: HashMap<i64, FoundBlob> = HashMap::new();
    let pool = store.blob_reader_pool();
    // Hits come in file order and every file's blob is scanned no later than the first file
    // holding it, so once the files whose blobs are all scanned hold `max_hits` lines, the
    // rest cannot change the answer.
    let (mut next_file, mut hits_ready) = (0, 0usize);
    // Blobs go to the workers in runs, so handing work between threads costs little beside
    // decoding a small file.
    let run = |r: usize| r * SCAN_RUN..((r + 1) * SCAN_RUN).min(scan.len());
    let outcome = vetter_diff::parallel::ordered(
        scan.len().div_ceil(SCAN_RUN),
        |r| {
            if started.elapsed() > limits.time_budget {
                return Err(Halt::Stop(SearchStop::TimeBudget));
            }
            Ok(run(r))
        },
        |run: std::ops::Range<usize>| {
            run.map(|i| {
                let data = pool.read(scan[i])?;
                let lines = matching_lines(&regex, &data);
                Ok((data, lines))
            })
            .collect::<Vec<Result<_, vetter_store::StoreError>>>()
        },
        |r, scanned| {
            for (i, read) in run(r).zip(scanned) {
                let (data, lines) = read.map_err(|e| Halt::Failed(e.into()))?;
                if results.bytes_scanned + data.len() as u64 > limits.max_scan_bytes {
                    return Err(Halt::Stop(SearchStop::ByteBudget));
                }
                results.bytes_scanned += data.len() as u64;
                results.blobs_scanned += 1;
                // Only blobs with hits stay in memory: a regex that scans the whole cache keeps
                // what it found, not what it read.
                if !lines.is_empty() {
                    let starts = line_starts(&data);
                    found.insert(
                        scan[i],
                        FoundBlob {
                            data,
                            lines,
                            starts,
                        },
                    );
                }
                while let Some((_, blob_id)) = by_file.get(next_file)
                    && scan_index[blob_id] <= i
                {
                    hits_ready += found.get(blob_id).map_or(0, |f| f.lines.len());
                    next_file += 1;
                }
                if hits_ready > limits.max_hits {
                    return Err(Halt::Stop(SearchStop::HitLimit));
                }
            }
            Ok(())
        },
        || Halt::Failed(SearchError::WorkerStopped),
    );
    match outcome {
        Ok(()) => {}
        Err(Halt::Stop(why)) => results.stopped = Some(why),
        Err(Halt::Failed(e)) => return Err(e),
    }
    'files: for ((version_id, path), blob_id) in by_file {
        let Some(blob) = found.get(&blob_id) else {
            continue;
        };
        for l in &blob.lines {
            if results.hits.len() >= limits.max_hits {
                results.stopped = Some(SearchStop::HitLimit);
                break 'files;
            }
            results.hits.push(make_hit(
                version_id,
                &path,
                &blob.data,
                &blob.starts,
                l,
                query.context,
                limits.max_line_excerpt,
            ));
        }
    }
    Ok(results)
}

/// Blobs handed to a worker at a time.
const SCAN_RUN: usize = 16;

/// A scanned blob with hits: its bytes, its matching lines and where its lines start, shared
/// by every file that holds it.
struct FoundBlob {
    data: Arc<Vec<u8>>,
    lines: Vec<BlobLine>,
    starts: Vec<usize>,
}

/// Every line of `data` on which `regex` matches, the way `grep` sees lines: a match found in
/// the whole buffer that crosses a line end is re-checked on its first line alone, and the scan
/// resumes at the next line, so a cross-line match can never hide a later line's own match.
fn matching_lines(regex: &Regex, data: &[u8]) -> Vec<BlobLine> {
    let mut out = Vec::new();
    let mut pos = 0;
    let mut line_no: u32 = 1;
    let mut counted_to = 0;
    while pos <= data.len() {
        let Some(m) = regex.find_at(data, pos) else {
            break;
        };
        // After a final line break there is no line left (grep reports none there).
        if m.start() == data.len() && data.last() == Some(&b'\n') {
            break;
        }
        line_no += count_newlines(&data[counted_to..m.start()]);
        counted_to = m.start();
        let line_start = data[..m.start()]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let line_end = data[m.start()..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(data.len(), |i| m.start() + i);
        let line = &data[line_start..line_end];
        let within = if m.end() <= line_end {
            Some((m.start(), m.end()))
        } else {
            regex
                .find(line)
                .map(|lm| (line_start + lm.start(), line_start + lm.end()))
        };
        if let Some((s, e)) = within {
            out.push(BlobLine {
                line: line_no,
                line_start,
                line_end,
                match_start: s,
                match_end: e.min(line_end),
            });
        }
        if line_end >= data.len() {
            break;
        }
        pos = line_end + 1;
    }
    out
}

fn count_newlines(bytes: &[u8]) -> u32 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u32
}

/// Byte offsets where each line starts (line 1 at index 0).
fn line_starts(data: &[u8]) -> Vec<usize> {
    let mut starts = vec![0];
    starts.extend(
        data.iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .map(|(i, _)| i + 1),
    );
    starts
}

fn excerpt(data: &[u8], starts: &[usize], line: u32, around: usize, max: usize) -> LineExcerpt {
    let idx = (line as usize).saturating_sub(1);
    let start = starts.get(idx).copied().unwrap_or(data.len());
    let end = starts
        .get(idx + 1)
        .map_or(data.len(), |&next| next.saturating_sub(1));
    let bytes = &data[start..end.max(start)];
    // Begin a little before the match so the reader sees what leads into it.
    let mut from = around.saturating_sub(max / 4).min(bytes.len());
    if bytes.len() <= max {
        from = 0;
    }
    let text = cut_lossy(&bytes[from..], max);
    let cut = from + text.1 < bytes.len();
    LineExcerpt {
        line,
        start: from as u32,
        text: text.0,
        cut,
    }
}

/// At most `max` bytes of `bytes` (shortened to a UTF-8 boundary when possible), lossily
/// decoded; returns the text and how many bytes it covers.
fn cut_lossy(bytes: &[u8], max: usize) -> (String, usize) {
    let mut end = bytes.len().min(max);
    // Back off at most 3 bytes so a cut never splits a character.
    let mut back = 0;
    while end < bytes.len() && back < 3 && end > 0 && (bytes[end] & 0xC0) == 0x80 {
        end -= 1;
        back += 1;
    }
    (String::from_utf8_lossy(&bytes[..end]).into_owned(), end)
}

fn make_hit(
    version_id: i64,
    path: &str,
    data: &[u8],
    starts: &[usize],
    l: &BlobLine,
    context: u32,
    max: usize,
) -> SearchHit {
    let column = l.match_start - l.line_start;
    let total_lines = starts.len() as u32;
    let before = (l.line.saturating_sub(context).max(1)..l.line)
        .map(|n| excerpt(data, starts, n, 0, max))
        .collect();
    let after = (l.line + 1..=(l.line + context).min(total_lines))
        .filter(|&n| {
            // A file ending in "\n" has no line after it.
            starts.get(n as usize - 1).is_some_and(|&s| s < data.len())
        })
        .map(|n| excerpt(data, starts, n, 0, max))
        .collect();
    debug_assert!(l.line_end >= l.match_end);
    SearchHit {
        version_id,
        path: path.to_owned(),
        line: l.line,
        column: column as u32,
        length: (l.match_end - l.match_start) as u32,
        excerpt: excerpt(data, starts, l.line, column, max),
        before,
        after,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(pattern: &str, text: &str) -> Vec<u32> {
        let re = RegexBuilder::new(pattern).multi_line(true).build().unwrap();
        matching_lines(&re, text.as_bytes())
            .into_iter()
            .map(|l| l.line)
            .collect()
    }

    #[test]
    fn reports_each_matching_line_once() {
        assert_eq!(lines("eval", "eval eval\nno\neval\n"), vec![1, 3]);
    }

    #[test]
    fn cross_line_match_does_not_hide_the_next_line() {
        // In the whole buffer `a[^x]*b` matches "a\nab" from line 1; grep sees only line 2.
        assert_eq!(lines("a[^x]*b", "a\nab\n"), vec![2]);
    }

    #[test]
    fn empty_matches_stop_at_the_last_line() {
        assert_eq!(lines("$", "a\nb\n"), vec![1, 2]);
        assert_eq!(lines("^", "a\nb"), vec![1, 2]);
    }

    #[test]
    fn carriage_returns_stay_in_the_line() {
        assert_eq!(lines(r"x\r$", "x\r\ny\r\n"), vec![1]);
        assert_eq!(lines("y$", "x\r\ny\r\n"), Vec::<u32>::new());
    }

    #[test]
    fn literals_are_those_every_match_needs() {
        assert_eq!(
            required_literals(r"eval\(", false),
            vec!["eval(".to_owned()]
        );
        assert_eq!(
            required_literals(r"new\s+Function(Foo)+", false),
            vec!["Foo".to_owned(), "Function".to_owned(), "new".to_owned()]
        );
        assert!(required_literals("abc|def", false).is_empty());
        assert!(required_literals("(abc)?", false).is_empty());
        // Kelvin sign folds to k in the regex but not in the index.
        assert!(required_literals("kelvin", true).is_empty());
        assert_eq!(required_literals("eval", true), vec!["eval".to_owned()]);
    }

    #[test]
    fn oversized_pattern_is_refused_with_the_compilers_message() {
        let q = SearchQuery::regex(r"\w{1000}{1000}");
        let err = compile(&q, &SearchLimits::default()).unwrap_err();
        assert!(matches!(err, SearchError::Pattern { .. }), "{err}");
    }
}
