//! manifest.json parsing for MV2 and MV3 add-ons.
//!
//! The manifest is what a reviewer reads first: who the add-on claims to be and what it asks
//! for. It comes from a hostile archive, so it is read the way Firefox reads it (a UTF-8 BOM and
//! `//` line comments are tolerated, invalid UTF-8 is refused) and then checked field by field:
//! anything Vetter extracts has the type Firefox requires, or the whole manifest is refused with
//! an error that names the field.
//!
//! Firefox's reader (`ExtensionData.readJSON` in `Extension.sys.mjs`) decodes the file as strict
//! UTF-8 (`NetUtil.readInputStreamToString` with no replacement character throws on a malformed
//! sequence), drops a leading BOM, then removes `//` comments with a regular
//! expression before `JSON.parse`: at the start of every line it skips, lazily, characters that
//! are neither `"` nor a newline and complete `"…"` string literals (backslash escapes allowed,
//! no newline inside), and if it then meets `//` it deletes from there to the end of the line.
//! A line whose `"` has no closing quote on the same line keeps its `//`; `/* … */` block
//! comments are not removed, so `JSON.parse` (and this module) refuse them. [`strip_comments`]
//! implements exactly that rule, including the line starts the regular expression sees after a
//! lone `\r`, U+2028 and U+2029.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};
use ts_rs::TS;

/// Largest manifest.json (or messages.json) accepted, in bytes. Real manifests are a few
/// kilobytes; the cap keeps a hostile file from costing more than a bounded parse.
pub const MAX_MANIFEST_BYTES: usize = 4 * 1024 * 1024;

/// Why a manifest.json (or a messages.json) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// The bytes are not UTF-8 (Firefox refuses such a manifest too).
    #[error("manifest is not UTF-8: malformed byte sequence at byte {offset}")]
    InvalidUtf8 {
        /// Offset of the first malformed sequence, counted after any BOM.
        offset: usize,
    },
    /// The file is larger than [`MAX_MANIFEST_BYTES`].
    #[error("manifest is {size} bytes, over the {limit}-byte limit")]
    TooLarge {
        /// Size of the offered file.
        size: usize,
        /// The limit it broke.
        limit: usize,
    },
    /// Comment removal needed more work than a well-formed file ever does (a crafted file).
    #[error("manifest's comment layout needs over {budget} scan steps to strip; refusing it")]
    CommentScanBudget {
        /// The number of character steps allowed.
        budget: usize,
    },
    /// The text, after BOM and comment removal, is not JSON.
    #[error("manifest is not valid JSON at line {line}, column {column}: {message}")]
    InvalidJson {
        /// 1-based line (comment removal never moves lines).
        line: usize,
        /// 1-based column, counted in bytes after BOM removal.
        column: usize,
        /// What the JSON parser objected to.
        message: String,
    },
    /// The top-level JSON value is not an object.
    #[error("manifest's top level is {found}, not an object")]
    NotAnObject {
        /// The JSON type found instead.
        found: &'static str,
    },
    /// A required field is absent.
    #[error("manifest field {field:?} is missing")]
    MissingField {
        /// Dotted path of the field, e.g. `content_scripts[0].matches`.
        field: String,
    },
    /// A field has the wrong JSON type.
    #[error("manifest field {field:?} is {found}, expected {expected}")]
    WrongType {
        /// Dotted path of the field.
        field: String,
        /// What Firefox requires there.
        expected: &'static str,
        /// The JSON type found.
        found: &'static str,
    },
    /// `manifest_version` is not 2 or 3.
    #[error("manifest_version is {found}; Firefox accepts only 2 or 3")]
    UnsupportedManifestVersion {
        /// The value found, as JSON text.
        found: String,
    },
}

/// Which manifest format the add-on uses.
///
/// Stored as the plain number (2 or 3) so front ends can show it as-is.
pub type ManifestVersion = u8;

/// An add-on's manifest.json, reduced to what a reviewer checks.
///
/// Strings are kept raw: `__MSG_key__` localisation placeholders stay as written (see
/// [`Manifest::localised_fields`] and [`resolve_locale`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Manifest {
    /// 2 or 3.
    pub manifest_version: ManifestVersion,
    /// The add-on id: `browser_specific_settings.gecko.id`, else `applications.gecko.id`.
    pub guid: Option<String>,
    /// The rest of the Gecko-specific settings, when the manifest has them.
    pub gecko: Option<GeckoSettings>,
    /// Display name (may be a `__MSG_…__` placeholder).
    pub name: String,
    /// Version string as written.
    pub version: String,
    /// Short description (may be a `__MSG_…__` placeholder).
    pub description: Option<String>,
    /// `homepage_url`, if any.
    pub homepage_url: Option<String>,
    /// `default_locale`, the folder under `_locales/` that resolves placeholders by default.
    pub default_locale: Option<String>,
    /// API permissions (`storage`, `tabs`, `webRequest`, …) from `permissions`.
    pub permissions: Vec<String>,
    /// Origins the add-on asks for: MV3 `host_permissions` plus the host-pattern entries of
    /// `permissions` (the only place MV2 lists them).
    pub host_permissions: Vec<String>,
    /// API permissions from `optional_permissions`.
    pub optional_permissions: Vec<String>,
    /// Origins from MV3 `optional_host_permissions` plus host patterns in
    /// `optional_permissions`.
    pub optional_host_permissions: Vec<String>,
    /// Scripts and styles injected into web pages.
    pub content_scripts: Vec<ContentScript>,
    /// The background page, scripts or service worker.
    pub background: Option<Background>,
    /// The add-on's own content security policy, if it sets one.
    pub content_security_policy: Option<ContentSecurityPolicy>,
    /// Files that web pages may load.
    pub web_accessible_resources: Vec<WebAccessibleResource>,
    /// Chrome's `externally_connectable`, kept because it names who may message the add-on.
    pub externally_connectable: Option<ExternallyConnectable>,
    /// Top-level fields whose value contains a `__MSG_…__` placeholder.
    pub localised_fields: Vec<String>,
    /// How far the file departed from strict JSON on its way in.
    pub quirks: ManifestQuirks,
}

/// Gecko-specific settings (`browser_specific_settings.gecko`, or MV2's `applications.gecko`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, TS)]
#[ts(export)]
pub struct GeckoSettings {
    /// The add-on id.
    pub id: Option<String>,
    /// Oldest Firefox version the add-on claims to support.
    pub strict_min_version: Option<String>,
    /// Newest Firefox version the add-on claims to support.
    pub strict_max_version: Option<String>,
    /// Self-hosted update manifest URL (never allowed on AMO-listed add-ons).
    pub update_url: Option<String>,
}

/// One `content_scripts` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ContentScript {
    /// Match patterns of the pages it runs in.
    pub matches: Vec<String>,
    /// Match patterns excluded from `matches`.
    pub exclude_matches: Vec<String>,
    /// Globs further restricting `matches`.
    pub include_globs: Vec<String>,
    /// Globs excluded from `matches`.
    pub exclude_globs: Vec<String>,
    /// Script files, in injection order.
    pub js: Vec<String>,
    /// Style sheets, in injection order.
    pub css: Vec<String>,
    /// Whether it runs in every frame rather than the top one only.
    pub all_frames: bool,
    /// Whether it also runs in `about:blank` frames of matching pages.
    pub match_about_blank: bool,
    /// `document_start`, `document_end` or `document_idle`, if set.
    pub run_at: Option<String>,
    /// `ISOLATED` or `MAIN` (the page's own JavaScript world), if set.
    pub world: Option<String>,
}

/// The `background` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Background {
    /// Background scripts, in load order.
    pub scripts: Vec<String>,
    /// A background HTML page.
    pub page: Option<String>,
    /// An MV3 service worker script.
    pub service_worker: Option<String>,
    /// MV2 `persistent`; absent means Firefox's default.
    pub persistent: Option<bool>,
    /// `module` or `classic`, if set (the JSON key is `type`).
    pub script_type: Option<String>,
}

/// `content_security_policy`, in whichever of its two forms the manifest uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum ContentSecurityPolicy {
    /// The MV2 form: one policy string for all extension pages.
    Legacy {
        /// The policy as written.
        policy: String,
    },
    /// The MV3 form: an object with a policy per context.
    PerContext {
        /// Policy of the add-on's own pages.
        extension_pages: Option<String>,
        /// Policy of sandboxed pages.
        sandbox: Option<String>,
    },
}

/// One group of web-accessible resources.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct WebAccessibleResource {
    /// Paths or globs of the exposed files.
    pub resources: Vec<String>,
    /// Pages allowed to load them; `None` means any page (an MV2 string entry).
    pub matches: Option<Vec<String>>,
    /// Other add-ons allowed to load them (MV3).
    pub extension_ids: Vec<String>,
    /// Whether the URL changes per session (MV3 `use_dynamic_url`).
    pub use_dynamic_url: bool,
}

/// Chrome's `externally_connectable` (Firefox ignores it; reviewers still want to see it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ExternallyConnectable {
    /// Web pages allowed to message the add-on.
    pub matches: Vec<String>,
    /// Other add-ons allowed to message it.
    pub ids: Vec<String>,
}

/// Departures from strict JSON that Firefox tolerates and that Vetter therefore accepted.
///
/// Comments are where text can hide from a casual reading, so the reviewer is told about them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, TS)]
#[ts(export)]
pub struct ManifestQuirks {
    /// The file started with a UTF-8 byte order mark.
    pub had_bom: bool,
    /// How many `//` comments were removed.
    pub comments_removed: u32,
}

/// Parses a manifest.json, refusing it with a [`ManifestError`] unless every extracted field
/// has the type Firefox requires.
pub fn parse_manifest(bytes: &[u8]) -> Result<Manifest, ManifestError> {
    let (root, quirks) = read_json_object(bytes)?;
    let manifest_version = match root.get("manifest_version") {
        None => return Err(missing("manifest_version")),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(v @ (2 | 3)) => v as u8,
            _ => {
                return Err(ManifestError::UnsupportedManifestVersion {
                    found: n.to_string(),
                });
            }
        },
        Some(other) => return Err(wrong("manifest_version", "an integer", other)),
    };
    let name = req_string(&root, "name")?;
    let version = req_string(&root, "version")?;
    let description = opt_string(&root, "description")?;
    let homepage_url = opt_string(&root, "homepage_url")?;
    let default_locale = opt_string(&root, "default_locale")?;
    let gecko = gecko_settings(&root)?;
    let guid = gecko.as_ref().and_then(|g| g.id.clone());

    let (permissions, mut host_permissions) = split_permissions(&root, "permissions")?;
    host_permissions.extend(string_list(&root, "host_permissions")?);
    let (optional_permissions, mut optional_host_permissions) =
        split_permissions(&root, "optional_permissions")?;
    optional_host_permissions.extend(string_list(&root, "optional_host_permissions")?);

    let content_scripts = content_scripts(&root)?;
    let background = background(&root)?;
    let content_security_policy = csp(&root)?;
    let web_accessible_resources = web_accessible_resources(&root)?;
    let externally_connectable = externally_connectable(&root)?;

    let mut localised_fields: Vec<String> = root
        .iter()
        .filter(|(_, v)| value_has_placeholder(v))
        .map(|(k, _)| k.clone())
        .collect();
    localised_fields.sort();

    Ok(Manifest {
        manifest_version,
        guid,
        gecko,
        name,
        version,
        description,
        homepage_url,
        default_locale,
        permissions: dedup(permissions),
        host_permissions: dedup(host_permissions),
        optional_permissions: dedup(optional_permissions),
        optional_host_permissions: dedup(optional_host_permissions),
        content_scripts,
        background,
        content_security_policy,
        web_accessible_resources,
        externally_connectable,
        localised_fields,
        quirks,
    })
}

/// Returns a copy of `manifest` with the `__MSG_key__` placeholders of its name, description
/// and homepage URL replaced from one locale's messages.json.
///
/// Keys match case-insensitively and a message's `$name$` placeholders are filled from its
/// `placeholders` (as Firefox does); a key the file does not define is left as written so the
/// reviewer sees it. The messages file is read with the same tolerance as the manifest.
pub fn resolve_locale(
    manifest: &Manifest,
    messages_json: &[u8],
) -> Result<Manifest, ManifestError> {
    let (root, _) = read_json_object(messages_json)?;
    let mut messages = BTreeMap::new();
    for (key, entry) in &root {
        let field = key.clone();
        let Value::Object(entry) = entry else {
            return Err(wrong(&field, "an object", entry));
        };
        let message = req_string(entry, "message").map_err(|e| prefix_field(e, &field))?;
        let mut placeholders = BTreeMap::new();
        match entry.get("placeholders") {
            None => {}
            Some(Value::Object(ph)) => {
                for (name, p) in ph {
                    let path = format!("{field}.placeholders.{name}");
                    let Value::Object(p) = p else {
                        return Err(wrong(&path, "an object", p));
                    };
                    let content = req_string(p, "content").map_err(|e| prefix_field(e, &path))?;
                    placeholders.insert(name.to_lowercase(), content);
                }
            }
            Some(other) => {
                return Err(wrong(&format!("{field}.placeholders"), "an object", other));
            }
        }
        messages.insert(
            key.to_lowercase(),
            fill_message_placeholders(&message, &placeholders),
        );
    }
    let mut out = manifest.clone();
    out.name = localise(&out.name, &messages);
    out.description = out.description.map(|d| localise(&d, &messages));
    out.homepage_url = out.homepage_url.map(|h| localise(&h, &messages));
    Ok(out)
}

/// Entries added to and removed from one list between two versions, each in the order of the
/// version it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, TS)]
#[ts(export)]
pub struct ListChange {
    /// In the new version only.
    pub added: Vec<String>,
    /// In the old version only.
    pub removed: Vec<String>,
}

impl ListChange {
    /// Compares two lists as sets.
    pub fn between(old: &[String], new: &[String]) -> ListChange {
        let old_set: std::collections::BTreeSet<&String> = old.iter().collect();
        let new_set: std::collections::BTreeSet<&String> = new.iter().collect();
        ListChange {
            added: dedup(
                new.iter()
                    .filter(|p| !old_set.contains(p))
                    .cloned()
                    .collect(),
            ),
            removed: dedup(
                old.iter()
                    .filter(|p| !new_set.contains(p))
                    .cloned()
                    .collect(),
            ),
        }
    }

    /// Whether nothing was added or removed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty()
    }
}

/// How what an add-on asks for changed between two versions: the first thing a reviewer checks
/// on an update.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, TS)]
#[ts(export)]
pub struct PermissionChanges {
    /// API permissions.
    pub permissions: ListChange,
    /// Host permissions (see [`Manifest::host_permissions`]).
    pub host_permissions: ListChange,
    /// Optional API permissions.
    pub optional_permissions: ListChange,
    /// Optional host permissions.
    pub optional_host_permissions: ListChange,
    /// Match patterns of all content scripts together: where the add-on injects code.
    pub content_script_matches: ListChange,
    /// The content security policy, when it changed (see [`csp_text`]).
    pub content_security_policy: Option<ValueChange>,
    /// Pages allowed to message the add-on through `externally_connectable`.
    pub externally_connectable_matches: ListChange,
    /// Add-ons allowed to message it through `externally_connectable`.
    pub externally_connectable_ids: ListChange,
    /// Files web pages may load (all `web_accessible_resources` groups together).
    pub web_accessible_resources: ListChange,
    /// Risk notes for the dangerous things the new version asks for that the old did not.
    pub risks: Vec<RiskNote>,
}

/// A single value before and after an update (`None`: absent in that version).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, TS)]
#[ts(export)]
pub struct ValueChange {
    /// In the old version.
    pub old: Option<String>,
    /// In the new version.
    pub new: Option<String>,
}

/// Where in the manifest a risky request sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum RiskField {
    /// `permissions`.
    Permissions,
    /// Host permissions.
    HostPermissions,
    /// `optional_permissions`.
    OptionalPermissions,
    /// Optional host permissions.
    OptionalHostPermissions,
    /// `content_scripts[].matches`.
    ContentScripts,
    /// `content_security_policy`.
    ContentSecurityPolicy,
    /// `externally_connectable.matches`.
    ExternallyConnectable,
}

/// Why one request deserves a reviewer's attention.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, TS)]
#[ts(export)]
pub struct RiskNote {
    /// Where it is.
    pub field: RiskField,
    /// The entry itself (a permission, a pattern, a CSP source).
    pub item: String,
    /// What it lets the add-on do.
    pub note: String,
}

/// Whether a match pattern covers every site (`<all_urls>`, `*://*/*`, `https://*/*`, …).
pub fn matches_all_hosts(pattern: &str) -> bool {
    if pattern == "<all_urls>" {
        return true;
    }
    let Some((scheme, rest)) = pattern.split_once("://") else {
        return false;
    };
    let host = rest.split('/').next().unwrap_or("");
    matches!(scheme, "*" | "http" | "https" | "ws" | "wss" | "file") && host == "*"
}

/// The policy as one line of text: the MV2 string, or MV3's contexts labelled.
pub fn csp_text(csp: &ContentSecurityPolicy) -> String {
    match csp {
        ContentSecurityPolicy::Legacy { policy } => policy.clone(),
        ContentSecurityPolicy::PerContext {
            extension_pages,
            sandbox,
        } => {
            let mut parts = Vec::new();
            if let Some(p) = extension_pages {
                parts.push(format!("extension_pages: {p}"));
            }
            if let Some(p) = sandbox {
                parts.push(format!("sandbox: {p}"));
            }
            parts.join(" | ")
        }
    }
}

/// Script sources in a policy that load or run code from outside the add-on: remote hosts and
/// schemes, `'unsafe-eval'`, `'unsafe-inline'`. Reads `script-src` (else `default-src`) of each
/// policy; the add-on's own pages are what matter, sandboxed pages are checked too since they can
/// still frame remote code.
pub fn csp_remote_script_sources(csp: &ContentSecurityPolicy) -> Vec<String> {
    let policies: Vec<&str> = match csp {
        ContentSecurityPolicy::Legacy { policy } => vec![policy],
        ContentSecurityPolicy::PerContext {
            extension_pages,
            sandbox,
        } => extension_pages
            .iter()
            .chain(sandbox.iter())
            .map(String::as_str)
            .collect(),
    };
    let mut out = Vec::new();
    for policy in policies {
        let directives: Vec<Vec<&str>> = policy
            .split(';')
            .map(|d| d.split_whitespace().collect::<Vec<_>>())
            .filter(|d| !d.is_empty())
            .collect();
        let find = |name: &str| {
            directives
                .iter()
                .find(|d| d[0].eq_ignore_ascii_case(name))
                .map(|d| &d[1..])
        };
        let Some(sources) = find("script-src").or_else(|| find("default-src")) else {
            continue;
        };
        for src in sources {
            let lower = src.to_ascii_lowercase();
            let local = matches!(
                lower.as_str(),
                "'self'" | "'none'" | "'wasm-unsafe-eval'" | "'strict-dynamic'" | "'report-sample'"
            ) || lower.starts_with("'sha")
                || lower.starts_with("'nonce-")
                || lower.starts_with("moz-extension:")
                || lower.starts_with("chrome-extension:")
                || lower == "blob:";
            if !local && !out.contains(&(*src).to_owned()) {
                out.push((*src).to_owned());
            }
        }
    }
    out
}

/// Risk notes for everything dangerous a manifest asks for.
pub fn risk_notes(m: &Manifest) -> Vec<RiskNote> {
    let mut out = Vec::new();
    let all_hosts = m.host_permissions.iter().any(|h| matches_all_hosts(h));
    let mut api = |field: RiskField, perms: &[String], hosts_all: bool| {
        for p in perms {
            let note = match p.as_str() {
                "webRequestBlocking" => "can intercept, block and rewrite every request it sees",
                "nativeMessaging" => {
                    "can talk to native programs on the reviewer's machine, outside the sandbox"
                }
                "debugger" => "can attach the debugger protocol to tabs: read and drive any page",
                "proxy" => "can route all browsing traffic through a proxy of its choosing",
                "cookies" if hosts_all => "can read and write the cookies (sessions) of every site",
                "management" => "can list, enable and disable other add-ons",
                "privacy" => "can change the browser's privacy settings",
                _ => continue,
            };
            out.push(RiskNote {
                field,
                item: p.clone(),
                note: note.to_owned(),
            });
        }
    };
    api(RiskField::Permissions, &m.permissions, all_hosts);
    let optional_all = all_hosts
        || m.optional_host_permissions
            .iter()
            .any(|h| matches_all_hosts(h));
    api(
        RiskField::OptionalPermissions,
        &m.optional_permissions,
        optional_all,
    );
    for (field, hosts) in [
        (RiskField::HostPermissions, &m.host_permissions),
        (
            RiskField::OptionalHostPermissions,
            &m.optional_host_permissions,
        ),
    ] {
        for h in hosts.iter().filter(|h| matches_all_hosts(h)) {
            out.push(RiskNote {
                field,
                item: h.clone(),
                note: "access to every site: can read and change all pages".to_owned(),
            });
        }
    }
    for cs in &m.content_scripts {
        for pat in cs.matches.iter().filter(|p| matches_all_hosts(p)) {
            out.push(RiskNote {
                field: RiskField::ContentScripts,
                item: pat.clone(),
                note: "injects scripts into every page the user visits".to_owned(),
            });
        }
    }
    if let Some(csp) = &m.content_security_policy {
        for src in csp_remote_script_sources(csp) {
            let note = match src.to_ascii_lowercase().as_str() {
                "'unsafe-eval'" => "allows eval of strings: code can arrive as data",
                "'unsafe-inline'" => "allows inline script",
                _ => "allows script from outside the add-on (remote code)",
            };
            out.push(RiskNote {
                field: RiskField::ContentSecurityPolicy,
                item: src,
                note: note.to_owned(),
            });
        }
    }
    if let Some(ec) = &m.externally_connectable {
        for pat in ec.matches.iter().filter(|p| matches_all_hosts(p)) {
            out.push(RiskNote {
                field: RiskField::ExternallyConnectable,
                item: pat.clone(),
                note: "any web page can send it messages".to_owned(),
            });
        }
    }
    out.sort();
    out.dedup();
    out
}

impl PermissionChanges {
    /// Whether the two versions ask for exactly the same things.
    pub fn is_empty(&self) -> bool {
        self.permissions.is_empty()
            && self.host_permissions.is_empty()
            && self.optional_permissions.is_empty()
            && self.optional_host_permissions.is_empty()
            && self.content_script_matches.is_empty()
            && self.content_security_policy.is_none()
            && self.externally_connectable_matches.is_empty()
            && self.externally_connectable_ids.is_empty()
            && self.web_accessible_resources.is_empty()
    }
}

/// Compares what two versions of an add-on ask for.
pub fn permission_changes(old: &Manifest, new: &Manifest) -> PermissionChanges {
    let matches = |m: &Manifest| -> Vec<String> {
        m.content_scripts
            .iter()
            .flat_map(|cs| cs.matches.iter().cloned())
            .collect()
    };
    PermissionChanges {
        permissions: ListChange::between(&old.permissions, &new.permissions),
        host_permissions: ListChange::between(&old.host_permissions, &new.host_permissions),
        optional_permissions: ListChange::between(
            &old.optional_permissions,
            &new.optional_permissions,
        ),
        optional_host_permissions: ListChange::between(
            &old.optional_host_permissions,
            &new.optional_host_permissions,
        ),
        content_script_matches: ListChange::between(&matches(old), &matches(new)),
        content_security_policy: {
            let (o, n) = (
                old.content_security_policy.as_ref().map(csp_text),
                new.content_security_policy.as_ref().map(csp_text),
            );
            (o != n).then_some(ValueChange { old: o, new: n })
        },
        externally_connectable_matches: ListChange::between(
            &connectable(old, |e| &e.matches),
            &connectable(new, |e| &e.matches),
        ),
        externally_connectable_ids: ListChange::between(
            &connectable(old, |e| &e.ids),
            &connectable(new, |e| &e.ids),
        ),
        web_accessible_resources: ListChange::between(&accessible(old), &accessible(new)),
        risks: {
            let before = risk_notes(old);
            risk_notes(new)
                .into_iter()
                .filter(|r| !before.contains(r))
                .collect()
        },
    }
}

fn connectable(m: &Manifest, pick: fn(&ExternallyConnectable) -> &Vec<String>) -> Vec<String> {
    m.externally_connectable
        .as_ref()
        .map(|e| pick(e).clone())
        .unwrap_or_default()
}

fn accessible(m: &Manifest) -> Vec<String> {
    m.web_accessible_resources
        .iter()
        .flat_map(|w| w.resources.iter().cloned())
        .collect()
}

/// Removes `//` comments the way Firefox does before parsing a manifest (see the module
/// documentation), returning the text and the number of comments removed.
///
/// `budget` caps the character steps spent; crafted inputs that need more get an error.
pub fn strip_comments(text: &str) -> Result<(String, u32), ManifestError> {
    let budget = text.len().saturating_mul(16).saturating_add(4096);
    let mut steps = 0usize;
    let mut out = String::with_capacity(text.len());
    let mut removed = 0u32;
    let mut pos = 0usize;
    loop {
        // `pos` is a line start as the regular expression's `^` (multiline) sees it.
        if let Some((prefix_end, comment_end)) = match_comment_at(text, pos, &mut steps) {
            out.push_str(&text[pos..prefix_end]);
            removed = removed.saturating_add(1);
            pos = comment_end;
        }
        if steps > budget {
            return Err(ManifestError::CommentScanBudget { budget });
        }
        match next_line_start(text, pos) {
            Some(next) => {
                out.push_str(&text[pos..next]);
                pos = next;
            }
            None => {
                out.push_str(&text[pos..]);
                break;
            }
        }
    }
    Ok((out, removed))
}

/// Characters JavaScript's regular expressions treat as line terminators.
fn is_js_line_terminator(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

/// Byte index just after the first line terminator at or after `from`.
fn next_line_start(text: &str, from: usize) -> Option<usize> {
    text[from..]
        .char_indices()
        .find(|(_, c)| is_js_line_terminator(*c))
        .map(|(i, c)| from + i + c.len_utf8())
}

/// Tries Firefox's comment pattern anchored at `start`; on success returns where the kept
/// prefix ends (the `//`) and where the comment ends (the next line terminator or the end).
fn match_comment_at(text: &str, start: usize, steps: &mut usize) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut i = start;
    loop {
        *steps += 1;
        if bytes[i..].starts_with(b"//") {
            let end = text[i..]
                .char_indices()
                .find(|(_, c)| is_js_line_terminator(*c))
                .map_or(text.len(), |(j, _)| i + j);
            *steps += end - i;
            return Some((i, end));
        }
        let c = text[i..].chars().next()?;
        match c {
            '\n' => return None,
            '"' => {
                // A string literal must close on this line, or the pattern cannot pass it.
                let mut j = i + 1;
                loop {
                    *steps += 1;
                    let d = text[j..].chars().next()?;
                    match d {
                        '"' => {
                            j += 1;
                            break;
                        }
                        '\n' => return None,
                        '\\' => {
                            let e = text[j + 1..].chars().next()?;
                            if is_js_line_terminator(e) {
                                return None;
                            }
                            j += 1 + e.len_utf8();
                        }
                        _ => j += d.len_utf8(),
                    }
                }
                i = j;
            }
            _ => i += c.len_utf8(),
        }
    }
}

/// Decodes, strips and parses a JSON file that must hold an object.
fn read_json_object(bytes: &[u8]) -> Result<(Map<String, Value>, ManifestQuirks), ManifestError> {
    if bytes.len() > MAX_MANIFEST_BYTES {
        return Err(ManifestError::TooLarge {
            size: bytes.len(),
            limit: MAX_MANIFEST_BYTES,
        });
    }
    let mut quirks = ManifestQuirks::default();
    let bytes = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => {
            quirks.had_bom = true;
            rest
        }
        None => bytes,
    };
    let text = std::str::from_utf8(bytes).map_err(|e| ManifestError::InvalidUtf8 {
        offset: e.valid_up_to(),
    })?;
    let (stripped, removed) = strip_comments(text)?;
    quirks.comments_removed = removed;
    let value: Value = serde_json::from_str(&stripped).map_err(|e| ManifestError::InvalidJson {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    match value {
        Value::Object(map) => Ok((map, quirks)),
        other => Err(ManifestError::NotAnObject {
            found: json_type(&other),
        }),
    }
}

/// Name of a JSON value's type, for error messages.
fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn missing(field: &str) -> ManifestError {
    ManifestError::MissingField {
        field: field.to_owned(),
    }
}

fn wrong(field: &str, expected: &'static str, found: &Value) -> ManifestError {
    ManifestError::WrongType {
        field: field.to_owned(),
        expected,
        found: json_type(found),
    }
}

/// Puts `prefix.` in front of the field named by an error from a nested object.
fn prefix_field(err: ManifestError, prefix: &str) -> ManifestError {
    match err {
        ManifestError::MissingField { field } => ManifestError::MissingField {
            field: format!("{prefix}.{field}"),
        },
        ManifestError::WrongType {
            field,
            expected,
            found,
        } => ManifestError::WrongType {
            field: format!("{prefix}.{field}"),
            expected,
            found,
        },
        other => other,
    }
}

fn req_string(obj: &Map<String, Value>, key: &str) -> Result<String, ManifestError> {
    opt_string(obj, key)?.ok_or_else(|| missing(key))
}

fn opt_string(obj: &Map<String, Value>, key: &str) -> Result<Option<String>, ManifestError> {
    match obj.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(wrong(key, "a string", other)),
    }
}

fn opt_bool(obj: &Map<String, Value>, key: &str) -> Result<Option<bool>, ManifestError> {
    match obj.get(key) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(wrong(key, "a boolean", other)),
    }
}

/// An optional array of strings; absent means empty.
fn string_list(obj: &Map<String, Value>, key: &str) -> Result<Vec<String>, ManifestError> {
    match obj.get(key) {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(s) => Ok(s.clone()),
                other => Err(wrong(&format!("{key}[{i}]"), "a string", other)),
            })
            .collect(),
        Some(other) => Err(wrong(key, "an array of strings", other)),
    }
}

/// An optional object; absent means `None`.
fn opt_object<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
) -> Result<Option<&'a Map<String, Value>>, ManifestError> {
    match obj.get(key) {
        None => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(other) => Err(wrong(key, "an object", other)),
    }
}

/// Whether a permission string names an API rather than an origin.
///
/// Firefox's `classifyPermission` treats `word` and `word.word…` as API permissions (the
/// `experiments.*` form included) and everything else as an origin pattern.
fn is_api_permission(perm: &str) -> bool {
    let is_word =
        |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    perm.split('.').all(is_word)
}

/// Splits a permissions array into API permissions and origins.
fn split_permissions(
    obj: &Map<String, Value>,
    key: &str,
) -> Result<(Vec<String>, Vec<String>), ManifestError> {
    Ok(string_list(obj, key)?
        .into_iter()
        .partition(|p| is_api_permission(p)))
}

/// Removes repeats, keeping first occurrences in order.
fn dedup(list: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    list.into_iter()
        .filter(|p| seen.insert(p.clone()))
        .collect()
}

fn gecko_settings(root: &Map<String, Value>) -> Result<Option<GeckoSettings>, ManifestError> {
    // Firefox prefers browser_specific_settings when both are present.
    for key in ["browser_specific_settings", "applications"] {
        let Some(settings) = opt_object(root, key)? else {
            continue;
        };
        let Some(gecko) = opt_object(settings, "gecko").map_err(|e| prefix_field(e, key))? else {
            continue;
        };
        let path = format!("{key}.gecko");
        let field = |name: &str| opt_string(gecko, name).map_err(|e| prefix_field(e, &path));
        return Ok(Some(GeckoSettings {
            id: field("id")?,
            strict_min_version: field("strict_min_version")?,
            strict_max_version: field("strict_max_version")?,
            update_url: field("update_url")?,
        }));
    }
    Ok(None)
}

fn content_scripts(root: &Map<String, Value>) -> Result<Vec<ContentScript>, ManifestError> {
    let items = match root.get("content_scripts") {
        None => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(other) => return Err(wrong("content_scripts", "an array of objects", other)),
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let path = format!("content_scripts[{i}]");
            let Value::Object(cs) = item else {
                return Err(wrong(&path, "an object", item));
            };
            let inner = || -> Result<ContentScript, ManifestError> {
                if !cs.contains_key("matches") {
                    return Err(missing("matches"));
                }
                Ok(ContentScript {
                    matches: string_list(cs, "matches")?,
                    exclude_matches: string_list(cs, "exclude_matches")?,
                    include_globs: string_list(cs, "include_globs")?,
                    exclude_globs: string_list(cs, "exclude_globs")?,
                    js: string_list(cs, "js")?,
                    css: string_list(cs, "css")?,
                    all_frames: opt_bool(cs, "all_frames")?.unwrap_or(false),
                    match_about_blank: opt_bool(cs, "match_about_blank")?.unwrap_or(false),
                    run_at: opt_string(cs, "run_at")?,
                    world: opt_string(cs, "world")?,
                })
            };
            inner().map_err(|e| prefix_field(e, &path))
        })
        .collect()
}

fn background(root: &Map<String, Value>) -> Result<Option<Background>, ManifestError> {
    let Some(bg) = opt_object(root, "background")? else {
        return Ok(None);
    };
    let inner = || -> Result<Background, ManifestError> {
        Ok(Background {
            scripts: string_list(bg, "scripts")?,
            page: opt_string(bg, "page")?,
            service_worker: opt_string(bg, "service_worker")?,
            persistent: opt_bool(bg, "persistent")?,
            script_type: opt_string(bg, "type")?,
        })
    };
    inner().map(Some).map_err(|e| prefix_field(e, "background"))
}

fn csp(root: &Map<String, Value>) -> Result<Option<ContentSecurityPolicy>, ManifestError> {
    match root.get("content_security_policy") {
        None => Ok(None),
        Some(Value::String(policy)) => Ok(Some(ContentSecurityPolicy::Legacy {
            policy: policy.clone(),
        })),
        Some(Value::Object(obj)) => {
            let inner = || -> Result<ContentSecurityPolicy, ManifestError> {
                Ok(ContentSecurityPolicy::PerContext {
                    extension_pages: opt_string(obj, "extension_pages")?,
                    sandbox: opt_string(obj, "sandbox")?,
                })
            };
            inner()
                .map(Some)
                .map_err(|e| prefix_field(e, "content_security_policy"))
        }
        Some(other) => Err(wrong(
            "content_security_policy",
            "a string or an object",
            other,
        )),
    }
}

fn web_accessible_resources(
    root: &Map<String, Value>,
) -> Result<Vec<WebAccessibleResource>, ManifestError> {
    let items = match root.get("web_accessible_resources") {
        None => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(wrong(
                "web_accessible_resources",
                "an array of strings or objects",
                other,
            ));
        }
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let path = format!("web_accessible_resources[{i}]");
            match item {
                Value::String(s) => Ok(WebAccessibleResource {
                    resources: vec![s.clone()],
                    matches: None,
                    extension_ids: Vec::new(),
                    use_dynamic_url: false,
                }),
                Value::Object(obj) => {
                    let inner = || -> Result<WebAccessibleResource, ManifestError> {
                        if !obj.contains_key("resources") {
                            return Err(missing("resources"));
                        }
                        Ok(WebAccessibleResource {
                            resources: string_list(obj, "resources")?,
                            matches: match obj.get("matches") {
                                None => Some(Vec::new()),
                                Some(_) => Some(string_list(obj, "matches")?),
                            },
                            extension_ids: string_list(obj, "extension_ids")?,
                            use_dynamic_url: opt_bool(obj, "use_dynamic_url")?.unwrap_or(false),
                        })
                    };
                    inner().map_err(|e| prefix_field(e, &path))
                }
                other => Err(wrong(&path, "a string or an object", other)),
            }
        })
        .collect()
}

fn externally_connectable(
    root: &Map<String, Value>,
) -> Result<Option<ExternallyConnectable>, ManifestError> {
    let Some(obj) = opt_object(root, "externally_connectable")? else {
        return Ok(None);
    };
    let inner = || -> Result<ExternallyConnectable, ManifestError> {
        Ok(ExternallyConnectable {
            matches: string_list(obj, "matches")?,
            ids: string_list(obj, "ids")?,
        })
    };
    inner()
        .map(Some)
        .map_err(|e| prefix_field(e, "externally_connectable"))
}

/// Whether a string value, or any string nested in it, holds a `__MSG_…__` placeholder.
fn value_has_placeholder(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains("__MSG_"),
        Value::Array(items) => items.iter().any(value_has_placeholder),
        Value::Object(m) => m.values().any(value_has_placeholder),
        _ => false,
    }
}

/// Replaces every `__MSG_key__` whose key is known; unknown keys stay as written.
///
/// Firefox's pattern is `__MSG_([A-Za-z0-9@_]+?)__`: the shortest key run that is followed
/// by `__`.
fn localise(text: &str, messages: &BTreeMap<String, String>) -> String {
    const OPEN: &str = "__MSG_";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(OPEN) {
        out.push_str(&rest[..at]);
        let after = &rest[at + OPEN.len()..];
        let key_len = after
            .char_indices()
            .take_while(|(_, c)| c.is_ascii_alphanumeric() || *c == '@' || *c == '_')
            .map(|(i, c)| i + c.len_utf8())
            .last()
            .unwrap_or(0);
        // Lazy match: the first `__` after at least one key character closes the key; `_` is
        // itself a key character, so that `__` always lies inside the run.
        let close = (1..key_len).find(|&k| after[k..].starts_with("__"));
        match close {
            Some(end) => {
                let key = &after[..end];
                match messages.get(&key.to_lowercase()) {
                    Some(message) => out.push_str(message),
                    None => {
                        out.push_str(OPEN);
                        out.push_str(key);
                        out.push_str("__");
                    }
                }
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(OPEN);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Fills a message's `$name$` placeholders and turns `$$` into `$`; positional `$1`… are
/// left empty because manifest strings are localised without arguments.
fn fill_message_placeholders(message: &str, placeholders: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(message.len());
    let mut chars = message.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        let rest = &message[i + 1..];
        if rest.starts_with('$') {
            out.push('$');
            chars.next();
            continue;
        }
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        if digits > 0 {
            for _ in 0..digits {
                chars.next();
            }
            continue;
        }
        let name_len = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '@')
            .count();
        if name_len > 0 && rest[name_len..].starts_with('$') {
            let name = &rest[..name_len];
            match placeholders.get(&name.to_lowercase()) {
                // Contents may use `$1` or `$$`; they are filled the same way, without
                // following further `$name$` references (no recursion on hostile input).
                Some(content) => {
                    out.push_str(&fill_message_placeholders(content, &BTreeMap::new()))
                }
                None => {
                    out.push('$');
                    out.push_str(name);
                    out.push('$');
                }
            }
            for _ in 0..=name_len {
                chars.next();
            }
            continue;
        }
        out.push('$');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MV2: &str = r#"{
      "manifest_version": 2,
      "name": "Tab Tidy",
      "version": "1.4.2",
      "description": "Groups tabs",
      "applications": { "gecko": { "id": "tab-tidy@example.org", "strict_min_version": "91.0" } },
      "permissions": ["tabs", "storage", "<all_urls>", "*://*.example.com/*", "experiments.foo"],
      "optional_permissions": ["bookmarks", "https://extra.example/*"],
      "background": { "scripts": ["bg.js", "util.js"], "persistent": false },
      "content_scripts": [
        { "matches": ["https://*.example.com/*"], "js": ["cs.js"], "css": ["cs.css"],
          "all_frames": true, "run_at": "document_start" }
      ],
      "content_security_policy": "script-src 'self'; object-src 'self'",
      "web_accessible_resources": ["img/*.png", "inject.js"]
    }"#;

    const MV3: &str = r#"{
      "manifest_version": 3,
      "name": "__MSG_extName__",
      "version": "2.0",
      "description": "__MSG_extDesc__",
      "default_locale": "en",
      "browser_specific_settings": { "gecko": { "id": "{0d1e2f3a-1111-2222-3333-444455556666}" } },
      "applications": { "gecko": { "id": "ignored@example.org" } },
      "permissions": ["storage", "scripting"],
      "host_permissions": ["https://api.example.net/*"],
      "optional_host_permissions": ["*://*/*"],
      "background": { "service_worker": "sw.js", "type": "module" },
      "content_security_policy": { "extension_pages": "script-src 'self'" },
      "web_accessible_resources": [
        { "resources": ["page.html"], "matches": ["https://example.net/*"], "use_dynamic_url": true },
        { "resources": ["shared.js"], "extension_ids": ["friend@example.org"] }
      ],
      "externally_connectable": { "matches": ["https://example.net/*"] }
    }"#;

    #[test]
    fn mv2_host_patterns_in_permissions_become_host_permissions() {
        let m = parse_manifest(MV2.as_bytes()).unwrap();
        assert_eq!(m.manifest_version, 2);
        assert_eq!(m.guid.as_deref(), Some("tab-tidy@example.org"));
        assert_eq!(m.name, "Tab Tidy");
        assert_eq!(m.version, "1.4.2");
        assert_eq!(m.permissions, ["tabs", "storage", "experiments.foo"]);
        assert_eq!(m.host_permissions, ["<all_urls>", "*://*.example.com/*"]);
        assert_eq!(m.optional_permissions, ["bookmarks"]);
        assert_eq!(m.optional_host_permissions, ["https://extra.example/*"]);
        assert_eq!(
            m.gecko.as_ref().unwrap().strict_min_version.as_deref(),
            Some("91.0")
        );
    }

    #[test]
    fn mv2_background_content_scripts_csp_and_resources_are_read() {
        let m = parse_manifest(MV2.as_bytes()).unwrap();
        let bg = m.background.unwrap();
        assert_eq!(bg.scripts, ["bg.js", "util.js"]);
        assert_eq!(bg.persistent, Some(false));
        assert_eq!(m.content_scripts.len(), 1);
        let cs = &m.content_scripts[0];
        assert_eq!(cs.matches, ["https://*.example.com/*"]);
        assert_eq!(cs.js, ["cs.js"]);
        assert_eq!(cs.css, ["cs.css"]);
        assert!(cs.all_frames);
        assert_eq!(cs.run_at.as_deref(), Some("document_start"));
        assert_eq!(
            m.content_security_policy,
            Some(ContentSecurityPolicy::Legacy {
                policy: "script-src 'self'; object-src 'self'".into()
            })
        );
        assert_eq!(m.web_accessible_resources.len(), 2);
        assert_eq!(m.web_accessible_resources[1].resources, ["inject.js"]);
        assert_eq!(m.web_accessible_resources[1].matches, None);
    }

    #[test]
    fn mv3_prefers_browser_specific_settings_over_applications() {
        let m = parse_manifest(MV3.as_bytes()).unwrap();
        assert_eq!(m.manifest_version, 3);
        assert_eq!(
            m.guid.as_deref(),
            Some("{0d1e2f3a-1111-2222-3333-444455556666}")
        );
    }

    #[test]
    fn mv3_permissions_csp_worker_and_resources_are_read() {
        let m = parse_manifest(MV3.as_bytes()).unwrap();
        assert_eq!(m.permissions, ["storage", "scripting"]);
        assert_eq!(m.host_permissions, ["https://api.example.net/*"]);
        assert_eq!(m.optional_host_permissions, ["*://*/*"]);
        let bg = m.background.unwrap();
        assert_eq!(bg.service_worker.as_deref(), Some("sw.js"));
        assert_eq!(bg.script_type.as_deref(), Some("module"));
        assert_eq!(
            m.content_security_policy,
            Some(ContentSecurityPolicy::PerContext {
                extension_pages: Some("script-src 'self'".into()),
                sandbox: None
            })
        );
        let war = &m.web_accessible_resources;
        assert_eq!(
            war[0].matches.as_deref(),
            Some(&["https://example.net/*".to_owned()][..])
        );
        assert!(war[0].use_dynamic_url);
        assert_eq!(war[1].extension_ids, ["friend@example.org"]);
        assert_eq!(
            m.externally_connectable.unwrap().matches,
            ["https://example.net/*"]
        );
    }

    #[test]
    fn placeholders_are_kept_raw_and_listed() {
        let m = parse_manifest(MV3.as_bytes()).unwrap();
        assert_eq!(m.name, "__MSG_extName__");
        assert_eq!(m.localised_fields, ["description", "name"]);
    }

    #[test]
    fn resolve_locale_fills_name_and_description_case_insensitively() {
        let m = parse_manifest(MV3.as_bytes()).unwrap();
        let messages = br#"{
          "EXTNAME": { "message": "Link $who$ Checker", "placeholders": { "who": { "content": "Safe" } } },
          "extDesc": { "message": "Costs $$0" }
        }"#;
        let r = resolve_locale(&m, messages).unwrap();
        assert_eq!(r.name, "Link Safe Checker");
        assert_eq!(r.description.as_deref(), Some("Costs $0"));
    }

    #[test]
    fn resolve_locale_leaves_unknown_keys_visible() {
        let m = parse_manifest(MV3.as_bytes()).unwrap();
        let r = resolve_locale(&m, br#"{ "other": { "message": "x" } }"#).unwrap();
        assert_eq!(r.name, "__MSG_extName__");
    }

    #[test]
    fn resolve_locale_refuses_message_without_text() {
        let m = parse_manifest(MV3.as_bytes()).unwrap();
        let err = resolve_locale(&m, br#"{ "extName": { "description": "x" } }"#).unwrap_err();
        assert_eq!(
            err,
            ManifestError::MissingField {
                field: "extName.message".into()
            }
        );
    }

    #[test]
    fn bom_and_line_comments_are_tolerated_and_reported() {
        let text = "\u{FEFF}{\n  // a manifest\n  \"manifest_version\": 2, // two\n  \"name\": \"a // not a comment\",\n  \"version\": \"1\\\\\" // , \"description\": \"hidden\"\n}";
        let m = parse_manifest(text.as_bytes()).unwrap();
        assert_eq!(m.name, "a // not a comment");
        assert_eq!(m.version, "1\\");
        assert_eq!(m.description, None);
        assert!(m.quirks.had_bom);
        assert_eq!(m.quirks.comments_removed, 3);
    }

    #[test]
    fn block_comments_are_refused_like_firefox() {
        let text = "{ /* no */ \"manifest_version\": 2, \"name\": \"a\", \"version\": \"1\" }";
        let err = parse_manifest(text.as_bytes()).unwrap_err();
        assert!(
            matches!(err, ManifestError::InvalidJson { line: 1, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn invalid_json_reports_line_and_column() {
        let text = "{\n  \"manifest_version\": 2,\n  \"name\": \"a\"\n  \"version\": \"1\"\n}";
        match parse_manifest(text.as_bytes()).unwrap_err() {
            ManifestError::InvalidJson { line, column, .. } => {
                assert_eq!((line, column), (4, 3));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn comment_after_unterminated_quote_is_kept_like_firefox() {
        // The `"` opens no complete string on its line, so Firefox's pattern cannot reach the
        // `//`, and the line is left as written.
        let (out, n) = strip_comments("\"abc // x\n// y").unwrap();
        assert_eq!(out, "\"abc // x\n");
        assert_eq!(n, 1);
    }

    #[test]
    fn lone_carriage_return_starts_a_line_for_comment_removal() {
        let (out, n) = strip_comments("{\r// one\r\"a\": 1 // two\r}").unwrap();
        assert_eq!(out, "{\r\r\"a\": 1 \r}");
        assert_eq!(n, 2);
    }

    #[test]
    fn crlf_lines_keep_their_carriage_return() {
        let (out, _) = strip_comments("{ // c\r\n}").unwrap();
        assert_eq!(out, "{ \r\n}");
    }

    #[test]
    fn refuses_invalid_utf8_naming_the_offset() {
        let mut bytes = br#"{"manifest_version": 2, "name": "x"#.to_vec();
        bytes.push(0xFF);
        bytes.extend_from_slice(br#"", "version": "1"}"#);
        let err = parse_manifest(&bytes).unwrap_err();
        assert_eq!(err, ManifestError::InvalidUtf8 { offset: 34 });
    }

    #[test]
    fn refuses_missing_name() {
        let err = parse_manifest(br#"{"manifest_version": 3, "version": "1"}"#).unwrap_err();
        assert_eq!(
            err,
            ManifestError::MissingField {
                field: "name".into()
            }
        );
    }

    #[test]
    fn refuses_missing_version() {
        let err = parse_manifest(br#"{"manifest_version": 3, "name": "a"}"#).unwrap_err();
        assert_eq!(
            err,
            ManifestError::MissingField {
                field: "version".into()
            }
        );
    }

    #[test]
    fn refuses_missing_manifest_version() {
        let err = parse_manifest(br#"{"name": "a", "version": "1"}"#).unwrap_err();
        assert_eq!(
            err,
            ManifestError::MissingField {
                field: "manifest_version".into()
            }
        );
    }

    #[test]
    fn refuses_manifest_version_other_than_two_or_three() {
        for bad in ["1", "4", "2.5", "-2"] {
            let text = format!(r#"{{"manifest_version": {bad}, "name": "a", "version": "1"}}"#);
            let err = parse_manifest(text.as_bytes()).unwrap_err();
            assert_eq!(
                err,
                ManifestError::UnsupportedManifestVersion { found: bad.into() }
            );
        }
    }

    #[test]
    fn refuses_manifest_version_given_as_string() {
        let err = parse_manifest(br#"{"manifest_version": "2", "name": "a", "version": "1"}"#)
            .unwrap_err();
        assert_eq!(
            err,
            ManifestError::WrongType {
                field: "manifest_version".into(),
                expected: "an integer",
                found: "a string"
            }
        );
    }

    #[test]
    fn refuses_non_string_permission_naming_its_index() {
        let err = parse_manifest(
            br#"{"manifest_version": 2, "name": "a", "version": "1", "permissions": ["tabs", 7]}"#,
        )
        .unwrap_err();
        assert_eq!(
            err,
            ManifestError::WrongType {
                field: "permissions[1]".into(),
                expected: "a string",
                found: "a number"
            }
        );
    }

    #[test]
    fn refuses_content_script_without_matches() {
        let err = parse_manifest(
            br#"{"manifest_version": 2, "name": "a", "version": "1", "content_scripts": [{"js": ["a.js"]}]}"#,
        )
        .unwrap_err();
        assert_eq!(
            err,
            ManifestError::MissingField {
                field: "content_scripts[0].matches".into()
            }
        );
    }

    #[test]
    fn refuses_wrongly_typed_gecko_id_naming_its_path() {
        let err = parse_manifest(
            br#"{"manifest_version": 2, "name": "a", "version": "1",
                 "browser_specific_settings": {"gecko": {"id": ["x"]}}}"#,
        )
        .unwrap_err();
        assert_eq!(
            err,
            ManifestError::WrongType {
                field: "browser_specific_settings.gecko.id".into(),
                expected: "a string",
                found: "an array"
            }
        );
    }

    #[test]
    fn refuses_top_level_array() {
        let err = parse_manifest(b"[1, 2]").unwrap_err();
        assert_eq!(err, ManifestError::NotAnObject { found: "an array" });
    }

    #[test]
    fn refuses_oversized_manifest_before_parsing() {
        let bytes = vec![b' '; MAX_MANIFEST_BYTES + 1];
        assert!(matches!(
            parse_manifest(&bytes),
            Err(ManifestError::TooLarge { .. })
        ));
    }

    #[test]
    fn deeply_nested_json_is_an_error_not_a_crash() {
        let text = format!(
            r#"{{"manifest_version": 2, "name": "a", "version": "1", "x": {}{}}}"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert!(matches!(
            parse_manifest(text.as_bytes()),
            Err(ManifestError::InvalidJson { .. })
        ));
    }

    #[test]
    fn crafted_carriage_return_layout_stays_within_budget() {
        // Each lone CR is a line start; every attempt runs into the same unterminated string.
        let text = format!("\"{}", "a\r".repeat(200_000));
        match strip_comments(&text) {
            Ok(_) | Err(ManifestError::CommentScanBudget { .. }) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn permission_changes_list_what_an_update_adds_and_drops() {
        let old = parse_manifest(MV2.as_bytes()).unwrap();
        let mut new = old.clone();
        new.permissions = vec!["tabs".into(), "cookies".into()];
        new.host_permissions.push("https://bank.example/*".into());
        new.content_scripts[0].matches.push("<all_urls>".into());
        let c = permission_changes(&old, &new);
        assert_eq!(c.permissions.added, ["cookies"]);
        assert_eq!(c.permissions.removed, ["storage", "experiments.foo"]);
        assert_eq!(c.host_permissions.added, ["https://bank.example/*"]);
        assert!(c.host_permissions.removed.is_empty());
        assert_eq!(c.content_script_matches.added, ["<all_urls>"]);
        assert!(c.optional_permissions.is_empty());
        assert!(!c.is_empty());
    }

    #[test]
    fn identical_versions_have_no_permission_changes() {
        let m = parse_manifest(MV3.as_bytes()).unwrap();
        assert!(permission_changes(&m, &m).is_empty());
    }

    #[test]
    fn duplicate_permissions_are_listed_once() {
        let m = parse_manifest(
            br#"{"manifest_version": 2, "name": "a", "version": "1", "permissions": ["tabs", "tabs", "<all_urls>", "<all_urls>"]}"#,
        )
        .unwrap();
        assert_eq!(m.permissions, ["tabs"]);
        assert_eq!(m.host_permissions, ["<all_urls>"]);
    }
}
