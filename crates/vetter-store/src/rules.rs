//! `rule_files`, `rule_scans` and `rule_matches`: the reviewer's rule files with their source,
//! and each version's scan results, keyed by a hash of the ruleset that produced them.
//! Compiling and running the rules is `vetter-rules`' job (the only yara-x user).

use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};
use serde::Serialize;
use ts_rs::TS;

use crate::signals::{ReviewSignal, SignalSource};
use crate::{Store, StoreError};

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
    /// The file is over the scan's file size limit.
    TooLarge {
        /// Its size.
        #[ts(type = "number")]
        size: u64,
        /// The limit.
        #[ts(type = "number")]
        limit: u64,
    },
    /// yara-x's timeout (the scan's per-file timeout) stopped the scan of this file.
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
    /// Whether the scan's signal limit cut the list of signals short.
    pub truncated: bool,
    /// The matches, by path, then offset, then rule.
    pub signals: Vec<RuleSignal>,
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

impl Store {
    /// Stores an enabled rule file (its source already compiled); false when the name is taken.
    pub fn insert_rule_file(
        &self,
        name: &str,
        source: &str,
        sha256: &str,
        rules: u32,
    ) -> Result<bool, StoreError> {
        let inserted = self.conn().execute(
            "INSERT INTO rule_files (name, source, sha256, rules, enabled, added_at)
             VALUES (?1, ?2, ?3, ?4, 1, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
             ON CONFLICT (name) DO NOTHING",
            params![name, source, sha256, rules],
        )?;
        Ok(inserted > 0)
    }

    /// One rule file by name.
    pub fn rule_file(&self, name: &str) -> Result<Option<RuleFileInfo>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                &format!("{RULE_FILE_SELECT} WHERE name = ?1"),
                [name],
                rule_file_row,
            )
            .optional()?)
    }

    /// Every rule file, by name.
    pub fn rule_files(&self) -> Result<Vec<RuleFileInfo>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare(&format!("{RULE_FILE_SELECT} ORDER BY name"))?;
        let rows = stmt.query_map([], rule_file_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The source of one rule file.
    pub fn rule_file_source(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT source FROM rule_files WHERE name = ?1",
                [name],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Deletes a rule file; whether there was one.
    pub fn delete_rule_file(&self, name: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn()
            .execute("DELETE FROM rule_files WHERE name = ?1", [name])?
            > 0)
    }

    /// Turns a rule file on or off; whether there was one.
    pub fn set_rule_file_enabled(&self, name: &str, enabled: bool) -> Result<bool, StoreError> {
        Ok(self.conn().execute(
            "UPDATE rule_files SET enabled = ?2 WHERE name = ?1",
            params![name, enabled],
        )? > 0)
    }

    /// The enabled rule files as (name, sha256, source), by name, read in one query.
    pub fn enabled_rule_files(&self) -> Result<Vec<(String, String, String)>, StoreError> {
        let mut stmt = self.conn().prepare(
            "SELECT name, sha256, source FROM rule_files WHERE enabled = 1 ORDER BY name",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Writes a scan's result in one transaction, replacing results of other rulesets for the same
    /// version (they can only be reused if the reviewer switches back, and re-scanning is cheap
    /// compared to keeping every combination forever).
    pub fn store_rule_scan(&self, scan: &RuleScan, complete: bool) -> Result<(), StoreError> {
        let skipped = serde_json::to_string(&scan.skipped).map_err(|e| StoreError::CorruptRow {
            table: "rule_scans",
            key: scan.version_id.to_string(),
            reason: format!("cannot encode skipped files: {e}"),
        })?;
        let tx = Transaction::new_unchecked(self.conn(), TransactionBehavior::Immediate)?;
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
    pub fn stored_rule_scan(
        &self,
        version_id: i64,
        ruleset: &str,
    ) -> Result<Option<RuleScan>, StoreError> {
        let conn = self.conn();
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
        let corrupt = |reason: String| StoreError::CorruptRow {
            table: "rule_scans",
            key: format!("{version_id}/{ruleset}"),
            reason,
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
            let (path, offset, length, line, col, rule, namespace, pattern, tags, description) =
                row?;
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
}
