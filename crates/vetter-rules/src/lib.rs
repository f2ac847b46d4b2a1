//! Local YARA rules: the reviewer's own rule files, run over cached versions with yara-x.
//!
//! A reviewer who has seen a malware family once wants every later upload checked for it, offline
//! and without a round trip to the server's scanners. Rule files live in the cache (so the app and
//! the CLI share them and they travel with the data folder), each compiled when added so a broken
//! file is refused with yara-x's own message naming it, and each one its own yara-x namespace (the
//! file's name) so two files may define rules with the same identifier.
//!
//! A scan decodes every file of a version from the store and runs the enabled rules over each
//! distinct blob once. Every pattern match becomes a [`RuleSignal`] with its path, byte offset,
//! line and column, so the review can show it inline like a server-side scanner hit. Results are
//! stored per (version, ruleset hash): a version's files never change, so the same rules over the
//! same version are never scanned twice, and editing, adding, removing or toggling a rule file
//! changes the hash and so invalidates every stored result at once.
//!
//! Rule files are untrusted input too (a reviewer may import a colleague's collection): they are
//! capped in size, `include` is disabled (a rule file must never make Vetter read other files),
//! patterns yara-x considers slow are refused rather than warned about, and a compiler panic is
//! caught and reported as a refusal. Scans are bounded by a per-file yara-x timeout, a file size
//! cap, a per-pattern match cap and a cap on the signals kept per version.

use std::collections::HashMap;
use std::io::Read as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};
use serde::Serialize;
use sha2::{Digest, Sha256};
use ts_rs::TS;

use vetter_store::signals::{ReviewSignal, SignalSource};
use vetter_store::{Store, StoreError};

/// The largest rule file accepted, in bytes. Real collections are kilobytes per file; the cap
/// keeps a hostile file from making the compiler (which builds automata and native code) run
/// for minutes or hold gigabytes.
pub const MAX_RULE_FILE_SIZE: usize = 1024 * 1024;

/// The longest rule file name accepted.
pub const MAX_RULE_NAME_LEN: usize = 64;

/// Identifies how matches are computed; part of the ruleset hash, so a change to the scanning
/// code's output (or to the yara-x release) invalidates stored results.
const SCAN_FORMAT: &str = "vetter-rules/1 yara-x/1.15";

/// Why a rule file could not be added, changed or used, or a scan could not run.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    /// The name is empty, too long, or has characters other than letters, digits, `.`, `_`, `-`.
    #[error(
        "invalid rule file name {name:?}: use 1 to {MAX_RULE_NAME_LEN} letters, digits, '.', '_' \
         or '-'"
    )]
    InvalidName {
        /// The name as given.
        name: String,
    },
    /// Another rule file already has this name.
    #[error("a rule file named {name:?} already exists; remove it first to replace it")]
    NameTaken {
        /// The name.
        name: String,
    },
    /// No rule file has this name.
    #[error("no rule file named {name:?}")]
    NotFound {
        /// The name asked for.
        name: String,
    },
    /// The rule file is over [`MAX_RULE_FILE_SIZE`].
    #[error("rule file {name:?} is {size} bytes, over the {limit}-byte limit")]
    TooLarge {
        /// The rule file's name.
        name: String,
        /// Its size.
        size: usize,
        /// [`MAX_RULE_FILE_SIZE`].
        limit: usize,
    },
    /// yara-x refused the rule file; `message` is its report, which names the file, the line
    /// and the column.
    #[error("rule file {name:?} does not compile:\n{message}")]
    Compile {
        /// The rule file's name.
        name: String,
        /// yara-x's error report(s), one after another.
        message: String,
    },
    /// The compiler crashed on the rule file (a yara-x bug the file triggers); it is refused.
    #[error("rule file {name:?} crashed the YARA compiler and is refused")]
    CompilerCrash {
        /// The rule file's name.
        name: String,
    },
    /// yara-x failed while scanning a file, for a reason other than its timeout.
    #[error("scanning {path:?} of version {version_id} failed: {message}")]
    Scan {
        /// The version.
        version_id: i64,
        /// The file.
        path: String,
        /// yara-x's message.
        message: String,
    },
    /// A rule file on disk could not be read.
    #[error("cannot read {}: {source}", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A rule file on disk is over [`MAX_RULE_FILE_SIZE`] (found without reading all of it).
    #[error("{} is over the {limit}-byte limit for a rule file", .path.display())]
    FileTooLarge {
        /// The file.
        path: PathBuf,
        /// [`MAX_RULE_FILE_SIZE`].
        limit: usize,
    },
    /// The cache could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for RulesError {
    fn from(error: rusqlite::Error) -> Self {
        RulesError::Store(StoreError::Sqlite(error))
    }
}

/// One rule file in the cache, as the settings list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct RuleFileInfo {
    /// The name it was added under; also the yara-x namespace of its rules.
    pub name: String,
    /// sha256 (hex) of its source.
    pub sha256: String,
    /// Size of its source in bytes.
    #[ts(type = "number")]
    pub size: u64,
    /// How many rules it defines.
    pub rules: u32,
    /// Whether scans use it.
    pub enabled: bool,
    /// When it was added, RFC 3339 UTC.
    pub added_at: String,
}

/// One rule match in one file of a cached version: where it is and which rule found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct RuleSignal {
    /// The cached version.
    #[ts(type = "number")]
    pub version_id: i64,
    /// The file's path in the archive.
    pub path: String,
    /// Byte offset of the match in the file.
    #[ts(type = "number")]
    pub offset: u64,
    /// Byte length of the match (0 for a rule that matched by its condition alone, reported at
    /// the start of the file).
    #[ts(type = "number")]
    pub length: u64,
    /// 1-based line of the match (lines split on `\n`, as `grep -n` counts).
    pub line: u32,
    /// 1-based byte column of the match within its line.
    pub column: u32,
    /// The rule's identifier.
    pub rule: String,
    /// The rule's namespace: the name of the rule file that defines it.
    pub namespace: String,
    /// The pattern that matched (`$a`), or `None` for a condition-only match.
    pub pattern: Option<String>,
    /// The rule's tags.
    pub tags: Vec<String>,
    /// The rule's `description` metadata, when it has a string one.
    pub description: Option<String>,
}

impl RuleSignal {
    /// This match as one of the review's signals, at its line and column, with the rule file's
    /// name as the scanner and the rule's description (or the pattern that hit) as the message.
    pub fn to_review_signal(&self) -> ReviewSignal {
        ReviewSignal {
            source: SignalSource::Local,
            scanner: self.namespace.clone(),
            rule: self.rule.clone(),
            message: self
                .description
                .clone()
                .or_else(|| self.pattern.as_ref().map(|p| format!("pattern {p}"))),
            path: self.path.clone(),
            line: self.line,
            column: Some(self.column),
        }
    }
}

/// Why a file of a version was not scanned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum RuleSkipReason {
    /// The file is over [`ScanLimits::max_file_size`].
    TooLarge {
        /// Its size.
        #[ts(type = "number")]
        size: u64,
        /// The limit.
        #[ts(type = "number")]
        limit: u64,
    },
    /// yara-x's timeout ([`ScanLimits::timeout_per_file`]) stopped the scan of this file.
    Timeout {
        /// The timeout in milliseconds.
        #[ts(type = "number")]
        millis: u64,
    },
}

/// A file left out of a scan, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, TS)]
#[ts(export)]
pub struct RuleSkippedFile {
    /// The file's path in the archive.
    pub path: String,
    /// Why it was left out.
    pub reason: RuleSkipReason,
}

/// The outcome of running the enabled rules over one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct RuleScan {
    /// The cached version.
    #[ts(type = "number")]
    pub version_id: i64,
    /// sha256 (hex) identifying the enabled rule files and the scan settings.
    pub ruleset: String,
    /// Whether these results were read from the cache rather than computed now.
    pub cached: bool,
    /// How many rule files were enabled.
    pub rule_files: u32,
    /// Files (by path) that were scanned.
    #[ts(type = "number")]
    pub files_scanned: u64,
    /// Files that were not scanned, with the reason.
    pub skipped: Vec<RuleSkippedFile>,
    /// Whether [`ScanLimits::max_signals`] cut the list of signals short.
    pub truncated: bool,
    /// The matches, by path, then offset, then rule.
    pub signals: Vec<RuleSignal>,
}

/// Bounds on one scan, so hostile rules or hostile files cannot hang or bloat the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanLimits {
    /// Files larger than this are skipped (and listed as skipped).
    pub max_file_size: u64,
    /// yara-x's timeout for the scan of one file; a file that hits it is listed as skipped and
    /// the scan is not stored as complete.
    pub timeout_per_file: Duration,
    /// Most matches yara-x records per pattern per file.
    pub max_matches_per_pattern: usize,
    /// Most signals kept for one version; the rest are dropped and the scan marked truncated.
    pub max_signals: usize,
}

impl Default for ScanLimits {
    fn default() -> Self {
        ScanLimits {
            max_file_size: 32 * 1024 * 1024,
            timeout_per_file: Duration::from_secs(10),
            max_matches_per_pattern: 100,
            max_signals: 10_000,
        }
    }
}

/// Whether `name` is acceptable as a rule file name (and so as a yara-x namespace).
fn check_name(name: &str) -> Result<(), RulesError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_RULE_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(RulesError::InvalidName {
            name: name.to_owned(),
        })
    }
}

/// A compiler configured for untrusted rule files.
fn compiler<'a>() -> yara_x::Compiler<'a> {
    let mut c = yara_x::Compiler::new();
    c.enable_includes(false)
        .error_on_slow_pattern(true)
        .colorize_errors(false);
    c
}

/// Adds one rule file's source to `compiler` under its own namespace, turning yara-x's
/// refusals (and a compiler panic) into [`RulesError`]s naming the file.
fn add_to(
    compiler: &mut yara_x::Compiler<'_>,
    name: &str,
    source: &[u8],
) -> Result<(), RulesError> {
    if source.len() > MAX_RULE_FILE_SIZE {
        return Err(RulesError::TooLarge {
            name: name.to_owned(),
            size: source.len(),
            limit: MAX_RULE_FILE_SIZE,
        });
    }
    compiler.new_namespace(name);
    let added = catch_unwind(AssertUnwindSafe(|| {
        compiler
            .add_source(yara_x::SourceCode::from(source).with_origin(name))
            .map(|_| ())
            .map_err(|first| {
                let all: Vec<String> = compiler.errors().iter().map(|e| e.to_string()).collect();
                if all.is_empty() {
                    first.to_string()
                } else {
                    all.join("\n")
                }
            })
    }));
    match added {
        Ok(Ok(())) => Ok(()),
        Ok(Err(message)) => Err(RulesError::Compile {
            name: name.to_owned(),
            message,
        }),
        Err(_) => Err(RulesError::CompilerCrash {
            name: name.to_owned(),
        }),
    }
}

/// Builds the compiled rules, catching a panic as [`RulesError::CompilerCrash`] on `name`.
fn build(compiler: yara_x::Compiler<'_>, name: &str) -> Result<yara_x::Rules, RulesError> {
    catch_unwind(AssertUnwindSafe(|| compiler.build())).map_err(|_| RulesError::CompilerCrash {
        name: name.to_owned(),
    })
}

/// Reads a rule file from disk for [`add_rule_file`], refusing one over [`MAX_RULE_FILE_SIZE`]
/// after reading at most one byte more, so a huge (or endless) file costs no more than the cap.
pub fn read_rule_file(path: &Path) -> Result<Vec<u8>, RulesError> {
    let read_error = |source| RulesError::Read {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let mut source = Vec::new();
    file.take(MAX_RULE_FILE_SIZE as u64 + 1)
        .read_to_end(&mut source)
        .map_err(read_error)?;
    if source.len() > MAX_RULE_FILE_SIZE {
        return Err(RulesError::FileTooLarge {
            path: path.to_owned(),
            limit: MAX_RULE_FILE_SIZE,
        });
    }
    Ok(source)
}

/// Compiles one rule file on its own (as [`add_rule_file`] does before storing it) and returns
/// how many rules it defines. Nothing is stored; use it to check a file before adding it.
pub fn check_rule_file(name: &str, source: &[u8]) -> Result<u32, RulesError> {
    check_name(name)?;
    let mut c = compiler();
    add_to(&mut c, name, source)?;
    let rules = build(c, name)?;
    Ok(u32::try_from(rules.iter().len()).unwrap_or(u32::MAX))
}

/// Compiles `source` and, if it compiles, stores it as an enabled rule file called `name`.
pub fn add_rule_file(store: &Store, name: &str, source: &[u8]) -> Result<RuleFileInfo, RulesError> {
    let rules = check_rule_file(name, source)?;
    // It compiled, so yara-x has checked that it is UTF-8.
    let text = std::str::from_utf8(source).map_err(|e| RulesError::Compile {
        name: name.to_owned(),
        message: format!("not UTF-8: {e}"),
    })?;
    let sha256 = vetter_store::sha256_hex(source);
    let inserted = store.conn().execute(
        "INSERT INTO rule_files (name, source, sha256, rules, enabled, added_at)
         VALUES (?1, ?2, ?3, ?4, 1, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
         ON CONFLICT (name) DO NOTHING",
        params![name, text, sha256, rules],
    )?;
    if inserted == 0 {
        return Err(RulesError::NameTaken {
            name: name.to_owned(),
        });
    }
    rule_file(store, name)
}

const RULE_FILE_SELECT: &str =
    "SELECT name, sha256, length(CAST(source AS BLOB)), rules, enabled, added_at FROM rule_files";

fn rule_file_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RuleFileInfo> {
    Ok(RuleFileInfo {
        name: r.get(0)?,
        sha256: r.get(1)?,
        size: u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
        rules: u32::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
        enabled: r.get::<_, i64>(4)? != 0,
        added_at: r.get(5)?,
    })
}

/// One rule file by name.
pub fn rule_file(store: &Store, name: &str) -> Result<RuleFileInfo, RulesError> {
    store
        .conn()
        .query_row(
            &format!("{RULE_FILE_SELECT} WHERE name = ?1"),
            [name],
            rule_file_row,
        )
        .optional()?
        .ok_or_else(|| RulesError::NotFound {
            name: name.to_owned(),
        })
}

/// Every rule file, by name.
pub fn rule_files(store: &Store) -> Result<Vec<RuleFileInfo>, RulesError> {
    let mut stmt = store
        .conn()
        .prepare(&format!("{RULE_FILE_SELECT} ORDER BY name"))?;
    let rows = stmt.query_map([], rule_file_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The source of one rule file.
pub fn rule_file_source(store: &Store, name: &str) -> Result<String, RulesError> {
    store
        .conn()
        .query_row(
            "SELECT source FROM rule_files WHERE name = ?1",
            [name],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| RulesError::NotFound {
            name: name.to_owned(),
        })
}

/// Deletes a rule file. Stored scan results that used it stay until their version is scanned
/// again; they are never read, since the ruleset hash no longer matches.
pub fn remove_rule_file(store: &Store, name: &str) -> Result<(), RulesError> {
    let n = store
        .conn()
        .execute("DELETE FROM rule_files WHERE name = ?1", [name])?;
    if n == 0 {
        return Err(RulesError::NotFound {
            name: name.to_owned(),
        });
    }
    Ok(())
}

/// Turns a rule file on or off for scans without deleting it.
pub fn set_rule_file_enabled(store: &Store, name: &str, enabled: bool) -> Result<(), RulesError> {
    let n = store.conn().execute(
        "UPDATE rule_files SET enabled = ?2 WHERE name = ?1",
        params![name, enabled],
    )?;
    if n == 0 {
        return Err(RulesError::NotFound {
            name: name.to_owned(),
        });
    }
    Ok(())
}

/// The enabled rule files as read in one query: (name, sha256, source), by name.
struct Ruleset {
    files: Vec<(String, String, String)>,
    hash: String,
}

fn enabled_ruleset(store: &Store, limits: &ScanLimits) -> Result<Ruleset, RulesError> {
    let mut stmt = store
        .conn()
        .prepare("SELECT name, sha256, source FROM rule_files WHERE enabled = 1 ORDER BY name")?;
    let files: Vec<(String, String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    // The hash covers what decides the stored output: the code's format, the files (by name,
    // which is the namespace, and content) and the limits that shape the match list.
    let mut h = Sha256::new();
    h.update(SCAN_FORMAT.as_bytes());
    h.update(
        format!(
            "\0{}\0{}\0{}\0",
            limits.max_file_size, limits.max_matches_per_pattern, limits.max_signals
        )
        .as_bytes(),
    );
    for (name, _, source) in &files {
        // Hash the source itself rather than the stored sha256 column, so a damaged row
        // cannot make a changed source reuse old results.
        h.update(name.as_bytes());
        h.update(b"\0");
        h.update(vetter_store::sha256_hex(source.as_bytes()).as_bytes());
        h.update(b"\0");
    }
    Ok(Ruleset {
        files,
        hash: hex::encode(h.finalize()),
    })
}

/// The 1-based line and 1-based byte column of `offset` in `data`.
pub fn line_and_column(data: &[u8], offset: usize) -> (u32, u32) {
    let before = &data[..offset.min(data.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(before.len() - line_start + 1).unwrap_or(u32::MAX),
    )
}

/// A match within one blob, before it is attached to the paths that hold the blob.
struct BlobMatch {
    offset: u64,
    length: u64,
    line: u32,
    column: u32,
    rule: String,
    namespace: String,
    pattern: Option<String>,
    tags: Vec<String>,
    description: Option<String>,
}

/// Runs `rules` over one blob's bytes.
fn scan_blob(
    scanner: &mut yara_x::Scanner<'_>,
    data: &[u8],
) -> Result<Vec<BlobMatch>, yara_x::ScanError> {
    let results = scanner.scan(data)?;
    let mut out = Vec::new();
    for rule in results.matching_rules() {
        let tags: Vec<String> = rule.tags().map(|t| t.identifier().to_owned()).collect();
        let description = rule.metadata().find_map(|(k, v)| match (k, v) {
            ("description", yara_x::MetaValue::String(s)) => Some(s.to_owned()),
            _ => None,
        });
        let mut any = false;
        for pattern in rule.patterns() {
            for m in pattern.matches() {
                any = true;
                let range = m.range();
                let (line, column) = line_and_column(data, range.start);
                out.push(BlobMatch {
                    offset: range.start as u64,
                    length: range.len() as u64,
                    line,
                    column,
                    rule: rule.identifier().to_owned(),
                    namespace: rule.namespace().to_owned(),
                    pattern: Some(pattern.identifier().to_owned()),
                    tags: tags.clone(),
                    description: description.clone(),
                });
            }
        }
        if !any {
            out.push(BlobMatch {
                offset: 0,
                length: 0,
                line: 1,
                column: 1,
                rule: rule.identifier().to_owned(),
                namespace: rule.namespace().to_owned(),
                pattern: None,
                tags,
                description,
            });
        }
    }
    Ok(out)
}

/// Runs the enabled rule files over every file of a version, or returns the stored result when
/// the same rules already scanned it completely.
pub fn scan_version(
    store: &Store,
    version_id: i64,
    limits: &ScanLimits,
) -> Result<RuleScan, RulesError> {
    store.version(version_id)?;
    let ruleset = enabled_ruleset(store, limits)?;
    if let Some(stored) = stored_scan(store, version_id, &ruleset.hash)? {
        return Ok(stored);
    }
    let rule_files = u32::try_from(ruleset.files.len()).unwrap_or(u32::MAX);
    let files = store.version_files(version_id)?;
    let mut scan = RuleScan {
        version_id,
        ruleset: ruleset.hash.clone(),
        cached: false,
        rule_files,
        files_scanned: 0,
        skipped: Vec::new(),
        truncated: false,
        signals: Vec::new(),
    };
    if ruleset.files.is_empty() {
        // No rules: nothing can match, and nothing is worth storing.
        scan.files_scanned = files.len() as u64;
        return Ok(scan);
    }
    let mut c = compiler();
    for (name, _, source) in &ruleset.files {
        add_to(&mut c, name, source.as_bytes())?;
    }
    let compiled = build(c, "(enabled rule files)")?;
    let mut scanner = yara_x::Scanner::new(&compiled);
    scanner
        .set_timeout(limits.timeout_per_file)
        .max_matches_per_pattern(limits.max_matches_per_pattern);

    let mut complete = true;
    // Each distinct blob is decoded and scanned once, however many paths hold it.
    let mut by_blob: HashMap<String, Option<Vec<BlobMatch>>> = HashMap::new();
    for file in &files {
        if file.size > limits.max_file_size {
            scan.skipped.push(RuleSkippedFile {
                path: file.path.clone(),
                reason: RuleSkipReason::TooLarge {
                    size: file.size,
                    limit: limits.max_file_size,
                },
            });
            continue;
        }
        if !by_blob.contains_key(&file.sha256) {
            let data = store.read_blob(&file.sha256)?;
            let found = match scan_blob(&mut scanner, &data) {
                Ok(found) => Some(found),
                Err(yara_x::ScanError::Timeout) => None,
                Err(e) => {
                    return Err(RulesError::Scan {
                        version_id,
                        path: file.path.clone(),
                        message: e.to_string(),
                    });
                }
            };
            by_blob.insert(file.sha256.clone(), found);
        }
        match by_blob.get(&file.sha256) {
            Some(Some(found)) => {
                scan.files_scanned += 1;
                for m in found {
                    if scan.signals.len() >= limits.max_signals {
                        scan.truncated = true;
                        break;
                    }
                    scan.signals.push(RuleSignal {
                        version_id,
                        path: file.path.clone(),
                        offset: m.offset,
                        length: m.length,
                        line: m.line,
                        column: m.column,
                        rule: m.rule.clone(),
                        namespace: m.namespace.clone(),
                        pattern: m.pattern.clone(),
                        tags: m.tags.clone(),
                        description: m.description.clone(),
                    });
                }
            }
            _ => {
                complete = false;
                scan.skipped.push(RuleSkippedFile {
                    path: file.path.clone(),
                    reason: RuleSkipReason::Timeout {
                        millis: u64::try_from(limits.timeout_per_file.as_millis())
                            .unwrap_or(u64::MAX),
                    },
                });
            }
        }
    }
    scan.signals.sort_by(|a, b| {
        (&a.path, a.offset, &a.namespace, &a.rule, &a.pattern).cmp(&(
            &b.path,
            b.offset,
            &b.namespace,
            &b.rule,
            &b.pattern,
        ))
    });
    store_scan(store, &scan, complete)?;
    Ok(scan)
}

/// The signals the enabled rule files raise on a version, scanning it with the default
/// [`ScanLimits`] only if these rules have not already scanned it. With no enabled rule file
/// the list is empty.
pub fn signals_for_version(store: &Store, version_id: i64) -> Result<Vec<RuleSignal>, RulesError> {
    Ok(scan_version(store, version_id, &ScanLimits::default())?.signals)
}

/// Writes a scan's result in one transaction, replacing results of other rulesets for the same
/// version (they can only be reused if the reviewer switches back, and re-scanning is cheap
/// compared to keeping every combination forever).
fn store_scan(store: &Store, scan: &RuleScan, complete: bool) -> Result<(), RulesError> {
    let skipped = serde_json::to_string(&scan.skipped).map_err(|e| {
        RulesError::Store(StoreError::CorruptRow {
            table: "rule_scans",
            key: scan.version_id.to_string(),
            reason: format!("cannot encode skipped files: {e}"),
        })
    })?;
    let tx = Transaction::new_unchecked(store.conn(), TransactionBehavior::Immediate)?;
    tx.execute(
        "DELETE FROM rule_scans WHERE version_id = ?1",
        [scan.version_id],
    )?;
    tx.execute(
        "INSERT INTO rule_scans (version_id, ruleset, complete, files_scanned, truncated, skipped,
                                 scanned_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
        params![
            scan.version_id,
            scan.ruleset,
            complete,
            i64::try_from(scan.files_scanned).unwrap_or(i64::MAX),
            scan.truncated,
            skipped
        ],
    )?;
    {
        let mut insert = tx.prepare(
            "INSERT INTO rule_matches (version_id, ruleset, seq, path, offset, length, line, col,
                                       rule, namespace, pattern, tags, description)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?;
        for (seq, s) in scan.signals.iter().enumerate() {
            let tags = serde_json::to_string(&s.tags).unwrap_or_else(|_| "[]".to_owned());
            insert.execute(params![
                scan.version_id,
                scan.ruleset,
                seq as i64,
                s.path,
                i64::try_from(s.offset).unwrap_or(i64::MAX),
                i64::try_from(s.length).unwrap_or(i64::MAX),
                s.line,
                s.column,
                s.rule,
                s.namespace,
                s.pattern,
                tags,
                s.description
            ])?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// The stored complete scan of `version_id` by `ruleset`, if any.
fn stored_scan(
    store: &Store,
    version_id: i64,
    ruleset: &str,
) -> Result<Option<RuleScan>, RulesError> {
    let conn = store.conn();
    let row: Option<(i64, i64, String)> = conn
        .query_row(
            "SELECT files_scanned, truncated, skipped FROM rule_scans
             WHERE version_id = ?1 AND ruleset = ?2 AND complete = 1",
            params![version_id, ruleset],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((files_scanned, truncated, skipped)) = row else {
        return Ok(None);
    };
    let corrupt = |reason: String| {
        RulesError::Store(StoreError::CorruptRow {
            table: "rule_scans",
            key: format!("{version_id}/{ruleset}"),
            reason,
        })
    };
    let skipped: Vec<RuleSkippedFile> = serde_json::from_str(&skipped)
        .map_err(|e| corrupt(format!("skipped files are not valid JSON: {e}")))?;
    let mut stmt = conn.prepare(
        "SELECT path, offset, length, line, col, rule, namespace, pattern, tags, description
         FROM rule_matches WHERE version_id = ?1 AND ruleset = ?2 ORDER BY seq",
    )?;
    let rows = stmt.query_map(params![version_id, ruleset], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, i64>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, String>(6)?,
            r.get::<_, Option<String>>(7)?,
            r.get::<_, String>(8)?,
            r.get::<_, Option<String>>(9)?,
        ))
    })?;
    let mut signals = Vec::new();
    for row in rows {
        let (path, offset, length, line, col, rule, namespace, pattern, tags, description) = row?;
        let (Ok(offset), Ok(length), Ok(line), Ok(column)) = (
            u64::try_from(offset),
            u64::try_from(length),
            u32::try_from(line),
            u32::try_from(col),
        ) else {
            return Err(corrupt(format!(
                "match in {path:?} has an out-of-range position"
            )));
        };
        let tags: Vec<String> = serde_json::from_str(&tags)
            .map_err(|e| corrupt(format!("tags of a match in {path:?} are not JSON: {e}")))?;
        signals.push(RuleSignal {
            version_id,
            path,
            offset,
            length,
            line,
            column,
            rule,
            namespace,
            pattern,
            tags,
            description,
        });
    }
    let rule_files: i64 = conn.query_row(
        "SELECT count(*) FROM rule_files WHERE enabled = 1",
        [],
        |r| r.get(0),
    )?;
    Ok(Some(RuleScan {
        version_id,
        ruleset: ruleset.to_owned(),
        cached: true,
        rule_files: u32::try_from(rule_files).unwrap_or(0),
        files_scanned: u64::try_from(files_scanned).unwrap_or(0),
        skipped,
        truncated: truncated != 0,
        signals,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_from_one() {
        let data = b"ab\ncd\n\nxyz";
        assert_eq!(line_and_column(data, 0), (1, 1));
        assert_eq!(line_and_column(data, 1), (1, 2));
        assert_eq!(line_and_column(data, 3), (2, 1));
        assert_eq!(line_and_column(data, 6), (3, 1));
        assert_eq!(line_and_column(data, 9), (4, 3));
    }

    #[test]
    fn names_are_restricted_to_a_safe_alphabet() {
        assert!(check_name("my-rules_v2.yar").is_ok());
        for bad in [
            "",
            "a b",
            "../x",
            "x/y",
            "é",
            &"a".repeat(MAX_RULE_NAME_LEN + 1),
        ] {
            assert!(
                matches!(check_name(bad), Err(RulesError::InvalidName { .. })),
                "{bad:?} accepted"
            );
        }
    }
}
