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

use sha2::{Digest, Sha256};

pub use vetter_store::rules::{
    RuleFileInfo, RuleScan, RuleSignal, RuleSkipReason, RuleSkippedFile,
};
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
                let all: Vec<String> = compiler
                    .errors()
                    .iter()
                    .map(|e| without_source(e, name, source))
                    .collect();
                if all.is_empty() {
                    without_source(&first, name, source)
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

/// One compiler error as `error[CODE]: title --> name:line:column`, without the lines of source
/// yara-x's own report quotes: the file may not be a rule file at all (a key, a password file
/// picked by mistake), and its lines must not travel on in an error message.
fn without_source(error: &yara_x::errors::CompileError, name: &str, source: &[u8]) -> String {
    let at = error
        .labels()
        .next()
        .map(|label| {
            let start = label.span().start().min(source.len());
            let before = &source[..start];
            let line = before.iter().filter(|b| **b == b'\n').count() + 1;
            let column = start
                - before
                    .iter()
                    .rposition(|b| *b == b'\n')
                    .map_or(0, |i| i + 1)
                + 1;
            format!(" --> {name}:{line}:{column}")
        })
        .unwrap_or_default();
    format!("error[{}]: {}{at}", error.code(), error.title())
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
    if !store.insert_rule_file(name, text, &sha256, rules)? {
        return Err(RulesError::NameTaken {
            name: name.to_owned(),
        });
    }
    rule_file(store, name)
}

/// One rule file by name.
pub fn rule_file(store: &Store, name: &str) -> Result<RuleFileInfo, RulesError> {
    store.rule_file(name)?.ok_or_else(|| RulesError::NotFound {
        name: name.to_owned(),
    })
}

/// Every rule file, by name.
pub fn rule_files(store: &Store) -> Result<Vec<RuleFileInfo>, RulesError> {
    Ok(store.rule_files()?)
}

/// The source of one rule file.
pub fn rule_file_source(store: &Store, name: &str) -> Result<String, RulesError> {
    store
        .rule_file_source(name)?
        .ok_or_else(|| RulesError::NotFound {
            name: name.to_owned(),
        })
}

/// Deletes a rule file. Stored scan results that used it stay until their version is scanned
/// again; they are never read, since the ruleset hash no longer matches.
pub fn remove_rule_file(store: &Store, name: &str) -> Result<(), RulesError> {
    if !store.delete_rule_file(name)? {
        return Err(RulesError::NotFound {
            name: name.to_owned(),
        });
    }
    Ok(())
}

/// Turns a rule file on or off for scans without deleting it.
pub fn set_rule_file_enabled(store: &Store, name: &str, enabled: bool) -> Result<(), RulesError> {
    if !store.set_rule_file_enabled(name, enabled)? {
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
    let files = store.enabled_rule_files()?;
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
    if let Some(stored) = store.stored_rule_scan(version_id, &ruleset.hash)? {
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
    store.store_rule_scan(&scan, complete)?;
    Ok(scan)
}

/// The signals the enabled rule files raise on a version, scanning it with the default
/// [`ScanLimits`] only if these rules have not already scanned it. With no enabled rule file
/// the list is empty.
pub fn signals_for_version(store: &Store, version_id: i64) -> Result<Vec<RuleSignal>, RulesError> {
    Ok(scan_version(store, version_id, &ScanLimits::default())?.signals)
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
