//! The AMO API v5 objects Vetter reads, shaped after addons-server's serializers
//! (`src/olympia/addons/serializers.py`, `src/olympia/api/fields.py`,
//! `src/olympia/api/pagination.py`) and `docs/topics/api/addons.rst`.
//!
//! Only the fields Vetter uses are declared; AMO adds fields often, and unknown ones are
//! ignored. Fields AMO may omit or send as `null` are `Option` or defaulted, so a response of a
//! newer or older AMO still parses. The same types serialize the reference server's answers,
//! so client and server cannot drift apart.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A translated field (`TranslationSerializerField`): `null`, a bare string, or an object of
/// locale → text. With `?lang=`, AMO answers the requested locale, or the default locale's text
/// plus a `_default` key naming that locale when the requested one is missing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Translated {
    /// No value (`null`).
    #[default]
    Null,
    /// A plain string (older API versions, or a field AMO does not translate).
    Text(String),
    /// Locale → text; a locale's text may itself be `null`.
    Locales(BTreeMap<String, Option<String>>),
}

impl Translated {
    /// One locale's text.
    pub fn of(locale: &str, text: &str) -> Translated {
        Translated::Locales(BTreeMap::from([(locale.to_owned(), Some(text.to_owned()))]))
    }

    /// The text to show: `lang` if present, else the locale `_default` names, else `en-US`,
    /// else the first locale with text.
    pub fn best(&self, lang: &str) -> Option<&str> {
        match self {
            Translated::Null => None,
            Translated::Text(text) => Some(text),
            Translated::Locales(map) => {
                let get = |locale: &str| map.get(locale).and_then(|t| t.as_deref());
                let default = map.get("_default").and_then(|t| t.as_deref());
                get(lang)
                    .or_else(|| default.and_then(get))
                    .or_else(|| get("en-US"))
                    .or_else(|| {
                        map.iter()
                            .filter(|(k, _)| k.as_str() != "_default")
                            .find_map(|(_, v)| v.as_deref())
                    })
            }
        }
    }
}

/// A paginated list (`CustomPageNumberPagination`): `next`/`previous` are absolute URLs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// Items in the whole list.
    pub count: u64,
    /// The next page's absolute URL.
    #[serde(default)]
    pub next: Option<String>,
    /// The previous page's absolute URL.
    #[serde(default)]
    pub previous: Option<String>,
    /// Items per page (AMO adds it; older answers may not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u64>,
    /// Pages in all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_count: Option<u64>,
    /// This page's items.
    pub results: Vec<T>,
}

/// An add-on (`AddonSerializer`), as much of it as Vetter reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Addon {
    /// AMO's numeric id.
    pub id: i64,
    /// The extension id from the manifest. AMO sends `null` for some non-extension types.
    #[serde(default)]
    pub guid: Option<String>,
    /// The URL slug.
    #[serde(default)]
    pub slug: Option<String>,
    /// The name.
    #[serde(default)]
    pub name: Translated,
    /// The summary.
    #[serde(default)]
    pub summary: Translated,
    /// The locale translated fields fall back to.
    #[serde(default)]
    pub default_locale: Option<String>,
    /// `extension`, `statictheme`, `dictionary`, `language`…
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// `public`, `nominated`, `disabled`, `deleted`…
    #[serde(default)]
    pub status: Option<String>,
    /// The public page (absolute URL).
    #[serde(default)]
    pub url: Option<String>,
    /// The version shown publicly.
    #[serde(default)]
    pub current_version: Option<Version>,
    /// The newest unlisted version (sent to reviewers and authors only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_unlisted_version: Option<Version>,
}

/// A version (`VersionSerializer` / `SimpleVersionSerializer`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Version {
    /// AMO's numeric id.
    pub id: i64,
    /// The version string.
    pub version: String,
    /// `listed` or `unlisted`.
    #[serde(default)]
    pub channel: Option<String>,
    /// Whether the version is deleted (only seen with `filter=all_with_deleted`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_deleted: Option<bool>,
    /// When the version was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Release notes.
    #[serde(default, skip_serializing_if = "is_null")]
    pub release_notes: Translated,
    /// The version's file; AMO sends `null` while none exists.
    #[serde(default)]
    pub file: Option<File>,
}

fn is_null(t: &Translated) -> bool {
    *t == Translated::Null
}

/// A file of a version (`FileSerializer`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct File {
    /// AMO's numeric id.
    pub id: i64,
    /// When it was uploaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// `sha256:<hex>` of the file's bytes.
    #[serde(default)]
    pub hash: Option<String>,
    /// Size in bytes.
    #[serde(default)]
    pub size: Option<u64>,
    /// `public`, `disabled`, `unreviewed`…
    #[serde(default)]
    pub status: Option<String>,
    /// The absolute download URL.
    #[serde(default)]
    pub url: Option<String>,
    /// API permissions from the manifest.
    #[serde(default)]
    pub permissions: Vec<String>,
    /// Optional permissions.
    #[serde(default)]
    pub optional_permissions: Vec<String>,
    /// Host permissions (MV3) as AMO lists them.
    #[serde(default)]
    pub host_permissions: Vec<String>,
    /// Whether Mozilla signed it as a privileged extension.
    #[serde(default)]
    pub is_mozilla_signed_extension: bool,
}

impl File {
    /// The lowercase hex SHA-256 from `hash`, when it is `sha256:` and 64 hex digits.
    pub fn sha256(&self) -> Result<String, String> {
        let hash = self.hash.as_deref().unwrap_or("");
        hash.strip_prefix("sha256:")
            .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
            .map(str::to_ascii_lowercase)
            .ok_or_else(|| {
                format!(
                    "file {}: hash {:?} is not sha256:<64 hex digits>",
                    self.id,
                    hash.chars().take(80).collect::<String>()
                )
            })
    }
}

/// The signed-in user (`UserProfileSerializer`, self view).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// User id.
    pub id: i64,
    /// Display name (may be empty or null).
    #[serde(default)]
    pub name: Option<String>,
    /// Username.
    #[serde(default)]
    pub username: Option<String>,
    /// Permission names (`Addons:Review`, `Admin`…), sent for one's own profile.
    #[serde(default)]
    pub permissions: Vec<String>,
}

/// An error answer. AMO sends `{"detail": …}`; Vetter's server adds a machine `code`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Human explanation.
    #[serde(default)]
    pub detail: Option<String>,
    /// Machine code, when the server sends one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// The linter results AMO keeps for a file (`/reviewers/addon/{id}/file/{file_id}/validation/`):
/// addons-linter's JSON under `validation`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FileValidation {
    /// The linter's report.
    #[serde(default)]
    pub validation: LinterReport,
}

/// addons-linter's report, as much as Vetter reads: AMO's processed form lists every message
/// in `messages`; the linter's own output splits them into `errors`, `warnings` and `notices`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LinterReport {
    /// Every message (AMO's processed form).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<LinterMessage>,
    /// Errors (the linter's own output).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "list_or_count"
    )]
    pub errors: Vec<LinterMessage>,
    /// Warnings (the linter's own output).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "list_or_count"
    )]
    pub warnings: Vec<LinterMessage>,
    /// Notices (the linter's own output).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "list_or_count"
    )]
    pub notices: Vec<LinterMessage>,
}

/// A list of messages (the linter's output) or a count (AMO's processed form, which moves the
/// messages into `messages`): a count reads as no messages.
fn list_or_count<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<LinterMessage>, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::Array(items) => Ok(items
            .into_iter()
            .filter_map(|m| serde_json::from_value(m).ok())
            .collect()),
        _ => Ok(Vec::new()),
    }
}

impl LinterReport {
    /// Every message of either form.
    pub fn all(&self) -> impl Iterator<Item = &LinterMessage> {
        self.messages
            .iter()
            .chain(&self.errors)
            .chain(&self.warnings)
            .chain(&self.notices)
    }
}

/// One linter message.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LinterMessage {
    /// `error`, `warning` or `notice` (`_type` in the linter's own output).
    #[serde(rename = "type", alias = "_type", default)]
    pub kind: Option<String>,
    /// The rule id; AMO's stored results carry it as a list of strings (`id`), the linter's own
    /// output as `code`.
    #[serde(default)]
    pub id: Option<serde_json::Value>,
    /// The linter's code (newer outputs).
    #[serde(default)]
    pub code: Option<String>,
    /// Short message.
    #[serde(default)]
    pub message: Option<String>,
    /// Longer description: a string or a list of strings.
    #[serde(default)]
    pub description: Option<serde_json::Value>,
    /// The file, when the message points into one.
    #[serde(default)]
    pub file: Option<String>,
    /// 1-based line.
    #[serde(default)]
    pub line: Option<u64>,
    /// Column.
    #[serde(default)]
    pub column: Option<u64>,
}

impl LinterMessage {
    /// The rule's name: `code`, else the last part of `id`.
    pub fn rule(&self) -> Option<String> {
        if let Some(code) = &self.code {
            return Some(code.clone());
        }
        match &self.id {
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(serde_json::Value::Array(parts)) => {
                let parts: Vec<&str> = parts.iter().filter_map(|p| p.as_str()).collect();
                (!parts.is_empty()).then(|| parts.join("/"))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translated_fields_take_every_shape_amo_sends() {
        let null: Translated = serde_json::from_str("null").unwrap();
        assert_eq!(null.best("en-US"), None);
        let text: Translated = serde_json::from_str("\"Tab Notes\"").unwrap();
        assert_eq!(text.best("de"), Some("Tab Notes"));
        let all: Translated =
            serde_json::from_str(r#"{"de": "Notizen", "en-US": "Notes", "fr": null}"#).unwrap();
        assert_eq!(all.best("de"), Some("Notizen"));
        assert_eq!(all.best("fr"), Some("Notes"), "a null locale falls back");
        let fallback: Translated =
            serde_json::from_str(r#"{"de": "Notizen", "_default": "de"}"#).unwrap();
        assert_eq!(fallback.best("ja"), Some("Notizen"));
    }

    #[test]
    fn a_version_without_optional_fields_parses_and_a_bad_hash_is_named() {
        let v: Version = serde_json::from_str(
            r#"{"id": 7, "version": "1.0", "file": {"id": 9, "hash": "md5:abc", "size": 3,
                "url": "https://example.org/f.xpi", "permissions": ["tabs"], "extra": 1}}"#,
        )
        .unwrap();
        let file = v.file.unwrap();
        assert_eq!(file.permissions, ["tabs"]);
        let err = file.sha256().unwrap_err();
        assert!(err.contains("file 9") && err.contains("md5:abc"), "{err}");
    }

    #[test]
    fn amo_processed_validation_with_counts_parses() {
        let v: FileValidation = serde_json::from_str(
            r#"{"validation": {"success": true, "errors": 0, "warnings": 1, "notices": 0,
                "messages": [{"type": "warning", "id": ["UNSAFE_VAR_ASSIGNMENT"],
                              "description": ["a", "b"], "file": "a.js", "line": 3}],
                "ending_tier": 5}}"#,
        )
        .unwrap();
        let all: Vec<_> = v.validation.all().collect();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].rule().as_deref(), Some("UNSAFE_VAR_ASSIGNMENT"));
    }

    #[test]
    fn linter_rules_come_from_code_or_id() {
        let m: LinterMessage =
            serde_json::from_str(r#"{"id": ["testcases_javascript", "eval"]}"#).unwrap();
        assert_eq!(m.rule().as_deref(), Some("testcases_javascript/eval"));
        let m: LinterMessage = serde_json::from_str(r#"{"code": "DANGEROUS_EVAL"}"#).unwrap();
        assert_eq!(m.rule().as_deref(), Some("DANGEROUS_EVAL"));
    }
}
