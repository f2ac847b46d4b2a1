//! The audit report of one version pair, as a self-contained HTML file and as Markdown.
//!
//! The report travels: it is attached to tickets and opened in any browser. So the HTML holds
//! no script and loads nothing (its Content-Security-Policy meta tag forbids both, as a second
//! line behind the absence of any), and every string that came from the add-on — names, paths,
//! permissions, note text, signal bodies — is escaped, because the add-on's author chose them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use ts_rs::TS;

use crate::capabilities::{capability_delta, via_words};
use crate::notes::{NoteError, PlacedNote, notes_for};
use vetter_capabilities::{CapabilityDelta, LibraryState, Location};
use vetter_manifest::{
    Manifest, PermissionChanges, RiskNote, parse_manifest, permission_changes, risk_notes,
};
use vetter_rules::{RuleSignal, RulesError, signals_for_version};
use vetter_store::{FileEntry, PackageKind, Store, StoreError, VersionInfo};

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The two versions belong to different add-ons.
    #[error("versions {old} ({old_guid}) and {new} ({new_guid}) are of different add-ons")]
    DifferentAddons {
        /// Old version id.
        old: i64,
        /// Its add-on.
        old_guid: String,
        /// New version id.
        new: i64,
        /// Its add-on.
        new_guid: String,
    },
    /// A cached version's manifest.json no longer parses.
    #[error("manifest.json of cached version {version_id} does not parse: {message}")]
    Manifest {
        /// The version.
        version_id: i64,
        /// What is wrong.
        message: String,
    },
    /// The report files could not be written.
    #[error("cannot write {path}: {error}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The OS error.
        error: std::io::Error,
    },
    /// Notes could not be read.
    #[error(transparent)]
    Notes(#[from] NoteError),
    /// The reviewer's local rules could not be run over the new version.
    #[error(transparent)]
    Rules(#[from] RulesError),
    /// The cache could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The capability analysis could not run.
    #[error("the capability analysis failed: {0}")]
    Capabilities(Box<crate::ReviewError>),
}

/// What happened to one path between the two versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ChangeKind {
    /// Only in the new version.
    Added,
    /// Only in the old version.
    Removed,
    /// In both, with different bytes.
    Modified,
}

/// One changed path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ChangedFile {
    /// The path.
    pub path: String,
    /// What happened.
    pub change: ChangeKind,
    /// Old sha256.
    pub old_sha256: Option<String>,
    /// New sha256.
    pub new_sha256: Option<String>,
    /// Old size.
    #[ts(type = "number | null")]
    pub old_size: Option<u64>,
    /// New size.
    #[ts(type = "number | null")]
    pub new_size: Option<u64>,
}

/// A match of one of the reviewer's own rules, as the report lists it: `rule` is
/// `<rule file>/<rule>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct LocalSignal {
    /// The rule's name.
    pub rule: String,
    /// The file.
    pub path: String,
    /// Byte offset of the match.
    #[ts(type = "number")]
    pub offset: u64,
    /// 1-based line of the match.
    pub line: u32,
}

/// Everything the report shows.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct AuditReport {
    /// The older version.
    pub old: VersionInfo,
    /// The newer version.
    pub new: VersionInfo,
    /// What the update asks for that it did not, with risk notes.
    pub permissions: PermissionChanges,
    /// Every risky request of the new version (new or not).
    pub risks: Vec<RiskNote>,
    /// Signals of the reviewer's own rules on the new version.
    pub local_signals: Vec<LocalSignal>,
    /// Signals the server reported for this add-on (JSON text as synced), if synced.
    pub server_signals: Option<String>,
    /// The reviewer's notes as seen from the new version.
    pub notes: Vec<PlacedNote>,
    /// Changed paths.
    pub changed_files: Vec<ChangedFile>,
    /// Every file of the new version with its hash.
    pub files: Vec<FileEntry>,
    /// What changed in capability: the report's first section.
    pub capabilities: CapabilityDelta,
}

fn manifest_of(store: &Store, version_id: i64) -> Result<Manifest, ReportError> {
    let bytes = store.read_file(version_id, "manifest.json")?;
    parse_manifest(&bytes).map_err(|e| ReportError::Manifest {
        version_id,
        message: e.to_string(),
    })
}

impl From<RuleSignal> for LocalSignal {
    fn from(signal: RuleSignal) -> LocalSignal {
        LocalSignal {
            rule: format!("{}/{}", signal.namespace, signal.rule),
            path: signal.path,
            offset: signal.offset,
            line: signal.line,
        }
    }
}

/// The report of `old_id` → `new_id` as the app and the CLI write it: with the matches of the
/// reviewer's enabled local rules on the new version (a stored scan when these rules already
/// scanned it, else a scan now).
pub fn audit_report(store: &Store, old_id: i64, new_id: i64) -> Result<AuditReport, ReportError> {
    let local = signals_for_version(store, new_id)?
        .into_iter()
        .map(LocalSignal::from)
        .collect();
    build_report(store, old_id, new_id, local)
}

/// Builds the report for `old_id` → `new_id` with the local rule matches the caller gives;
/// [`audit_report`] is the one that runs the reviewer's rules.
pub fn build_report(
    store: &Store,
    old_id: i64,
    new_id: i64,
    local_signals: Vec<LocalSignal>,
) -> Result<AuditReport, ReportError> {
    let old = store.version(old_id)?;
    let new = store.version(new_id)?;
    if old.guid != new.guid {
        return Err(ReportError::DifferentAddons {
            old: old_id,
            old_guid: old.guid,
            new: new_id,
            new_guid: new.guid,
        });
    }
    // A package without a manifest (an npm package, a source archive) asks for nothing; both
    // sides share one guid, so they are of one kind.
    let (permissions, risks) =
        if old.build.kind == PackageKind::Extension && new.build.kind == PackageKind::Extension {
            let new_manifest = manifest_of(store, new_id)?;
            (
                permission_changes(&manifest_of(store, old_id)?, &new_manifest),
                risk_notes(&new_manifest),
            )
        } else {
            (PermissionChanges::default(), Vec::new())
        };
    let old_files = store.version_files(old_id)?;
    let files = store.version_files(new_id)?;
    let mut by_path: BTreeMap<&str, (Option<&FileEntry>, Option<&FileEntry>)> = BTreeMap::new();
    for f in &old_files {
        by_path.entry(&f.path).or_default().0 = Some(f);
    }
    for f in &files {
        by_path.entry(&f.path).or_default().1 = Some(f);
    }
    let changed_files = by_path
        .into_iter()
        .filter_map(|(path, (o, n))| {
            let change = match (o, n) {
                (Some(o), Some(n)) if o.sha256 == n.sha256 => return None,
                (Some(_), Some(_)) => ChangeKind::Modified,
                (None, Some(_)) => ChangeKind::Added,
                (Some(_), None) => ChangeKind::Removed,
                (None, None) => return None,
            };
            Some(ChangedFile {
                path: path.to_owned(),
                change,
                old_sha256: o.map(|f| f.sha256.clone()),
                new_sha256: n.map(|f| f.sha256.clone()),
                old_size: o.map(|f| f.size),
                new_size: n.map(|f| f.size),
            })
        })
        .collect();
    let server_signals = store.server_signals_body(&new.guid)?;
    let capabilities = capability_delta(store, old_id, new_id)
        .map_err(|e| ReportError::Capabilities(Box::new(e)))?;
    Ok(AuditReport {
        capabilities,
        permissions,
        risks,
        local_signals,
        server_signals,
        notes: notes_for(store, new_id, None)?,
        changed_files,
        files,
        old,
        new,
    })
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' => out.push_str(&format!("&#x{:x};", c as u32)),
            // A bidi control or zero-width character would reorder or hide text in the reader's
            // browser just as in an editor, so it is written as its visible marker.
            c if vetter_text::is_hidden(c) => out.push_str(&escape_html(&vetter_text::marker(c))),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for Markdown: every punctuation character Markdown or inline HTML could act on
/// gets a backslash, `<` and `>` become entities, and line breaks become spaces, so an add-on
/// string can neither format, link, nor end the table cell or list item it sits in.
pub fn escape_markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            c if c.is_control() => out.push(' '),
            c if vetter_text::is_hidden(c) => {
                out.push_str(&escape_markdown(&vetter_text::marker(c)));
            }
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '-' | '.'
            | '!' | '|' | '~' | '"' | '\'' | ':' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// The CSP of the HTML report: nothing may load or run; only the inline style sheet applies.
pub const REPORT_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; form-action 'none'; base-uri 'none'";

fn list_change_rows(label: &str, added: &[String], removed: &[String], out: &mut Vec<[String; 3]>) {
    for a in added {
        out.push([label.to_owned(), "added".to_owned(), a.clone()]);
    }
    for r in removed {
        out.push([label.to_owned(), "removed".to_owned(), r.clone()]);
    }
}

/// The permission changes as (field, added/removed, value) rows.
fn permission_rows(p: &PermissionChanges) -> Vec<[String; 3]> {
    let mut rows = Vec::new();
    list_change_rows(
        "permissions",
        &p.permissions.added,
        &p.permissions.removed,
        &mut rows,
    );
    list_change_rows(
        "host permissions",
        &p.host_permissions.added,
        &p.host_permissions.removed,
        &mut rows,
    );
    list_change_rows(
        "optional permissions",
        &p.optional_permissions.added,
        &p.optional_permissions.removed,
        &mut rows,
    );
    list_change_rows(
        "optional host permissions",
        &p.optional_host_permissions.added,
        &p.optional_host_permissions.removed,
        &mut rows,
    );
    list_change_rows(
        "content script matches",
        &p.content_script_matches.added,
        &p.content_script_matches.removed,
        &mut rows,
    );
    list_change_rows(
        "externally_connectable matches",
        &p.externally_connectable_matches.added,
        &p.externally_connectable_matches.removed,
        &mut rows,
    );
    list_change_rows(
        "externally_connectable ids",
        &p.externally_connectable_ids.added,
        &p.externally_connectable_ids.removed,
        &mut rows,
    );
    list_change_rows(
        "web_accessible_resources",
        &p.web_accessible_resources.added,
        &p.web_accessible_resources.removed,
        &mut rows,
    );
    if let Some(csp) = &p.content_security_policy {
        rows.push([
            "content_security_policy".to_owned(),
            "was".to_owned(),
            csp.old.clone().unwrap_or_else(|| "(none)".to_owned()),
        ]);
        rows.push([
            "content_security_policy".to_owned(),
            "now".to_owned(),
            csp.new.clone().unwrap_or_else(|| "(none)".to_owned()),
        ]);
    }
    rows
}

fn note_place(n: &PlacedNote) -> String {
    match n.line {
        Some(l) => format!("{}:{l}", n.path),
        None => format!("{}:{} (outdated)", n.path, n.original_line),
    }
}

fn html_table(out: &mut String, head: &[&str], rows: &[Vec<String>]) {
    out.push_str("<table><thead><tr>");
    for h in head {
        out.push_str(&format!("<th>{}</th>", escape_html(h)));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            out.push_str(&format!("<td>{}</td>", escape_html(cell)));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>\n");
}

fn place(l: &Location) -> String {
    format!("{}:{}:{}", l.path, l.line, l.column)
}

/// The rows of the report's first section: the risk weight factor by factor, then every new
/// and gone fact, modified libraries with their changed lines.
fn capability_rows(d: &CapabilityDelta) -> Vec<Vec<String>> {
    let mut rows = vec![vec![
        "risk weight".to_owned(),
        format!("{} → {}", d.old_risk.weight, d.new_risk.weight),
        "AMO's auto-approval factors computable offline".to_owned(),
        String::new(),
    ]];
    for f in &d.risk_factors {
        rows.push(vec![
            "risk factor".to_owned(),
            format!("{} → {}", f.old, f.new),
            format!("{}: {}", f.name, f.reason),
            String::new(),
        ]);
    }
    let sign = |added: bool| if added { "added" } else { "removed" }.to_owned();
    for (list, added) in [(&d.endpoints.added, true), (&d.endpoints.removed, false)] {
        for e in list {
            let host = e
                .host
                .clone()
                .unwrap_or_else(|| "(computed address)".to_owned());
            let url = e
                .url
                .as_deref()
                .map(|u| format!(" {u}"))
                .unwrap_or_default();
            rows.push(vec![
                "endpoint".to_owned(),
                sign(added),
                format!("{host} ({}){url}", via_words(e.via)),
                place(&e.at),
            ]);
        }
    }
    for (list, added) in [(&d.sinks.added, true), (&d.sinks.removed, false)] {
        for s in list {
            rows.push(vec![
                "sink".to_owned(),
                sign(added),
                format!("{}: {}", s.kind.describe(), s.code),
                place(&s.at),
            ]);
        }
    }
    for p in &d.permissions {
        let status = |s: Option<vetter_capabilities::PermissionStatus>| {
            s.map_or("absent".to_owned(), |s| format!("{s:?}").to_lowercase())
        };
        rows.push(vec![
            "permission".to_owned(),
            format!("{} → {}", status(p.old), status(p.new)),
            p.permission.clone(),
            p.used_at.first().map(place).unwrap_or_default(),
        ]);
    }
    for (list, added) in [(&d.apis.added, true), (&d.apis.removed, false)] {
        for a in list {
            rows.push(vec![
                "API".to_owned(),
                sign(added),
                a.api.clone(),
                place(&a.first),
            ]);
        }
    }
    for h in &d.uncovered_hosts {
        rows.push(vec![
            "host without permission".to_owned(),
            "added".to_owned(),
            h.host.clone(),
            place(&h.first),
        ]);
    }
    for m in &d.obfuscation {
        rows.push(vec![
            "obfuscation".to_owned(),
            "added".to_owned(),
            m.indicators.join("; "),
            m.path.clone(),
        ]);
    }
    for (list, added) in [(&d.libraries.added, true), (&d.libraries.removed, false)] {
        for l in list {
            let what = match l.state {
                LibraryState::Modified => {
                    let changed: Vec<&str> = l
                        .upstream_diff
                        .iter()
                        .filter(|x| {
                            (x.starts_with('+') && !x.starts_with("+++"))
                                || (x.starts_with('-') && !x.starts_with("---"))
                        })
                        .take(20)
                        .map(String::as_str)
                        .collect();
                    format!(
                        "{} {} MODIFIED (+{} −{} against {}): {}",
                        l.package,
                        l.version,
                        l.added,
                        l.removed,
                        l.upstream_path,
                        changed.join(" ⏎ ")
                    )
                }
                _ => format!("{} {}, unmodified", l.package, l.version),
            };
            rows.push(vec![
                "library".to_owned(),
                sign(added),
                what,
                l.path.clone(),
            ]);
        }
    }
    rows
}

/// One section of the report: title, column heads, rows of cells.
type Section = (&'static str, Vec<&'static str>, Vec<Vec<String>>);

fn sections(r: &AuditReport) -> Vec<Section> {
    let identity = vec![
        vec!["add-on".to_owned(), r.new.guid.clone()],
        vec!["name".to_owned(), r.new.name.clone()],
        vec![
            "old version".to_owned(),
            format!(
                "{} ({}, sha256 {})",
                r.old.version, r.old.source_name, r.old.xpi_sha256
            ),
        ],
        vec![
            "new version".to_owned(),
            format!(
                "{} ({}, sha256 {})",
                r.new.version, r.new.source_name, r.new.xpi_sha256
            ),
        ],
    ];
    let perms = permission_rows(&r.permissions)
        .into_iter()
        .map(|row| row.to_vec())
        .collect();
    let risk_row = |n: &RiskNote| vec![format!("{:?}", n.field), n.item.clone(), n.note.clone()];
    let new_risks = r.permissions.risks.iter().map(risk_row).collect();
    let all_risks = r.risks.iter().map(risk_row).collect();
    let local = r
        .local_signals
        .iter()
        .map(|s| {
            vec![
                s.rule.clone(),
                s.path.clone(),
                s.line.to_string(),
                s.offset.to_string(),
            ]
        })
        .collect();
    let server = r.server_signals.iter().map(|s| vec![s.clone()]).collect();
    let notes = r
        .notes
        .iter()
        .map(|n| vec![note_place(n), n.body.clone(), n.excerpt.clone()])
        .collect();
    let changed = r
        .changed_files
        .iter()
        .map(|c| {
            vec![
                format!("{:?}", c.change).to_lowercase(),
                c.path.clone(),
                c.old_sha256.clone().unwrap_or_default(),
                c.new_sha256.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let files = r
        .files
        .iter()
        .map(|f| vec![f.path.clone(), f.size.to_string(), f.sha256.clone()])
        .collect();
    vec![
        (
            "What changed in capability",
            vec!["fact", "change", "what", "where"],
            capability_rows(&r.capabilities),
        ),
        ("Add-on", vec!["", ""], identity),
        (
            "Permission changes",
            vec!["field", "change", "value"],
            perms,
        ),
        (
            "New risks in this update",
            vec!["field", "item", "why it matters"],
            new_risks,
        ),
        (
            "All risky requests of the new version",
            vec!["field", "item", "why it matters"],
            all_risks,
        ),
        (
            "Local rule signals",
            vec!["rule", "file", "line", "offset"],
            local,
        ),
        ("Server signals", vec!["as synced"], server),
        ("Notes", vec!["where", "note", "line"], notes),
        (
            "Changed files",
            vec!["change", "path", "old sha256", "new sha256"],
            changed,
        ),
        (
            "File hashes (new version)",
            vec!["path", "size", "sha256"],
            files,
        ),
    ]
}

/// The report as one self-contained HTML page: no script, nothing remote, everything escaped.
pub fn render_html(r: &AuditReport) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
    out.push_str(&format!(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"{REPORT_CSP}\">\n"
    ));
    out.push_str("<meta name=\"referrer\" content=\"no-referrer\">\n");
    out.push_str(&format!(
        "<title>Audit report: {} {} → {}</title>\n",
        escape_html(&r.new.name),
        escape_html(&r.old.version),
        escape_html(&r.new.version)
    ));
    out.push_str(
        "<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:75em}\
         table{border-collapse:collapse;margin-bottom:1.5em}\
         td,th{border:1px solid #bbb;padding:.25em .5em;text-align:left;vertical-align:top;\
         word-break:break-all}th{background:#eee}.empty{color:#666}</style>\n",
    );
    out.push_str("</head><body>\n");
    out.push_str(&format!(
        "<h1>Audit report: {} {} → {}</h1>\n",
        escape_html(&r.new.name),
        escape_html(&r.old.version),
        escape_html(&r.new.version)
    ));
    for (title, head, rows) in sections(r) {
        out.push_str(&format!("<h2>{}</h2>\n", escape_html(title)));
        if rows.is_empty() {
            out.push_str("<p class=\"empty\">None.</p>\n");
        } else {
            html_table(&mut out, &head, &rows);
        }
    }
    out.push_str("</body></html>\n");
    out
}

/// The report as Markdown, every add-on string escaped.
pub fn render_markdown(r: &AuditReport) -> String {
    let mut out = format!(
        "# Audit report: {} {} → {}\n\n",
        escape_markdown(&r.new.name),
        escape_markdown(&r.old.version),
        escape_markdown(&r.new.version)
    );
    for (title, head, rows) in sections(r) {
        out.push_str(&format!("## {title}\n\n"));
        if rows.is_empty() {
            out.push_str("None.\n\n");
            continue;
        }
        let head: Vec<String> = head
            .iter()
            .map(|h| {
                if h.is_empty() {
                    " ".to_owned()
                } else {
                    (*h).to_owned()
                }
            })
            .collect();
        out.push_str(&format!("| {} |\n", head.join(" | ")));
        out.push_str(&format!("|{}\n", " --- |".repeat(head.len())));
        for row in rows {
            let cells: Vec<String> = row.iter().map(|c| escape_markdown(c)).collect();
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
        out.push('\n');
    }
    out
}

/// Writes `report.html` and `report.md` into `dir` (created if needed); returns their paths.
pub fn write_report(r: &AuditReport, dir: &Path) -> Result<(PathBuf, PathBuf), ReportError> {
    let write = |name: &str, text: String| {
        let path = dir.join(name);
        std::fs::create_dir_all(dir)
            .and_then(|()| std::fs::write(&path, text))
            .map_err(|error| ReportError::Write {
                path: path.clone(),
                error,
            })?;
        Ok::<_, ReportError>(path)
    };
    Ok((
        write("report.html", render_html(r))?,
        write("report.md", render_markdown(r))?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escaping_covers_markup_and_quotes() {
        assert_eq!(
            escape_html("<script>\"'&"),
            "&lt;script&gt;&quot;&#39;&amp;"
        );
    }

    #[test]
    fn markdown_escaping_defuses_links_html_and_cells() {
        let s = escape_markdown("[x](javascript:alert(1)) <img> | a\nb");
        assert!(!s.contains("](") && !s.contains('<') && !s.contains('\n'));
        assert!(s.contains("\\|"));
    }

    #[test]
    fn hidden_characters_are_written_as_markers_in_both_formats() {
        let path = "admin\u{202E}sj.js";
        assert_eq!(escape_html(path), "admin&lt;U+202E&gt;sj.js");
        assert_eq!(escape_markdown(path), "admin&lt;U\\+202E&gt;sj\\.js");
    }
}
