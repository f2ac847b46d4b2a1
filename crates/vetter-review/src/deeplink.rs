//! `vetter://` links to an add-on, a version, a file and a line, which a reviewer can paste to a
//! colleague or into a note, and the line reference in AMO's `* path#Lx-y` form that AMO's
//! reviewer tools use in review comments.
//!
//! A link names things as every reviewer's cache knows them, not by local ids: the add-on's
//! guid, the version string, the path inside the package, and a line range of that version's
//! file: `vetter://addon/{guid}/version/{version}/file/{path…}#L10-12`. Opening one finds the
//! version in the cache and opens its review against the version before it, at that line.
//! Links come from outside (a chat, a note), so parsing is strict and every part is bounded.

use serde::Serialize;
use ts_rs::TS;
use url::Url;
use vetter_store::Store;

use crate::addons::cached_addons;
use crate::error::ReviewError;

/// The link scheme.
pub const SCHEME: &str = "vetter";
/// Longest link accepted, in bytes.
pub const MAX_LINK: usize = 8 * 1024;

/// What a `vetter://` link points at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct DeepLink {
    /// The add-on's guid.
    pub guid: String,
    /// The version string, if the link names a version.
    pub version: Option<String>,
    /// A path inside that version's package, if the link names a file.
    pub path: Option<String>,
    /// First and last line (1-based), if the link names lines.
    pub lines: Option<(u32, u32)>,
}

/// Why a link was refused or could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum DeepLinkError {
    /// Not a link of the accepted form.
    #[error("not a Vetter link ({rule}): {link}")]
    Malformed {
        /// The link, cut to 200 characters.
        link: String,
        /// The rule it breaks.
        rule: &'static str,
    },
    /// The cache holds no add-on or version by that name.
    #[error("{what} is not in the cache: sync its queue or open it from AMO first")]
    NotCached {
        /// The add-on or version, in words.
        what: String,
    },
    /// The linked version is the oldest cached one: there is nothing before it to compare with.
    #[error(
        "{what} is the oldest cached version of its add-on: a review shows it against an older one; import or sync one"
    )]
    OnlyVersion {
        /// The version, in words.
        what: String,
    },
    /// The cache could not be read.
    #[error(transparent)]
    Review(#[from] ReviewError),
}

/// Where an opened link lands: a pair to review and, if named, a file and its first line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct LinkTarget {
    /// The older side: the cached version imported before the one linked.
    #[ts(type = "number")]
    pub old: i64,
    /// The version linked (the latest cached one when the link names none).
    #[ts(type = "number")]
    pub new: i64,
    /// The file, if the link names one.
    pub path: Option<String>,
    /// Its first line, if the link names lines.
    pub line: Option<u32>,
}

/// A link and the line reference for the same place, as "Copy link" and "Copy line reference"
/// put them on the clipboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct LinkText {
    /// The `vetter://` link.
    pub link: String,
    /// AMO's `* path#Lx-y` form, when a file and lines are named.
    pub reference: Option<String>,
}

fn malformed(link: &str, rule: &'static str) -> DeepLinkError {
    DeepLinkError::Malformed {
        link: link.chars().take(200).collect(),
        rule,
    }
}

impl DeepLink {
    /// Reads a link, refusing anything but `vetter://addon/{guid}[/version/{v}[/file/{path}]]`
    /// with an optional `#Lx` or `#Lx-y` on a file.
    pub fn parse(text: &str) -> Result<DeepLink, DeepLinkError> {
        let text = text.trim();
        if text.len() > MAX_LINK {
            return Err(malformed(text, "longer than 8 KiB"));
        }
        // The URL parser would quietly resolve `..` and `.`; a link holding them is refused.
        let raw_path = text.split(['#', '?']).next().unwrap_or_default();
        if raw_path.split('/').any(|seg| {
            let seg = percent_encoding::percent_decode_str(seg).decode_utf8_lossy();
            seg == "." || seg == ".."
        }) {
            return Err(malformed(text, "a file path has no . or .. parts"));
        }
        let url = Url::parse(text).map_err(|_| malformed(text, "not a URL"))?;
        if url.scheme() != SCHEME {
            return Err(malformed(text, "the scheme is not vetter:"));
        }
        if url.host_str() != Some("addon") || url.query().is_some() {
            return Err(malformed(
                text,
                "it starts vetter://addon/ and has no query",
            ));
        }
        let decode = |seg: &str| -> Result<String, DeepLinkError> {
            let s = percent_encoding::percent_decode_str(seg)
                .decode_utf8()
                .map_err(|_| malformed(text, "a part is not UTF-8"))?
                .into_owned();
            if s.is_empty() || s.chars().any(char::is_control) {
                return Err(malformed(
                    text,
                    "a part is empty or holds control characters",
                ));
            }
            Ok(s)
        };
        let segments: Vec<&str> = url.path_segments().map(|s| s.collect()).unwrap_or_default();
        let (guid, version, path) = match segments.as_slice() {
            [guid] => (decode(guid)?, None, None),
            [guid, "version", v] => (decode(guid)?, Some(decode(v)?), None),
            [guid, "version", v, "file", rest @ ..] if !rest.is_empty() => {
                let parts = rest
                    .iter()
                    .map(|p| decode(p))
                    .collect::<Result<Vec<_>, _>>()?;
                if parts
                    .iter()
                    .any(|p| p == "." || p == ".." || p.contains('/'))
                {
                    return Err(malformed(text, "a file path has no . or .. parts"));
                }
                (decode(guid)?, Some(decode(v)?), Some(parts.join("/")))
            }
            _ => {
                return Err(malformed(
                    text,
                    "the path is {guid}[/version/{version}[/file/{path}]]",
                ));
            }
        };
        let lines = match url.fragment() {
            None => None,
            Some(_) if path.is_none() => return Err(malformed(text, "lines need a file")),
            Some(f) => {
                Some(parse_lines(f).ok_or_else(|| malformed(text, "lines read #L10 or #L10-12"))?)
            }
        };
        Ok(DeepLink {
            guid,
            version,
            path,
            lines,
        })
    }

    /// The link as text.
    pub fn to_url(&self) -> String {
        // A fixed base with a host parses; pushing segments percent-encodes them.
        let mut url = Url::parse("vetter://addon").expect("a valid base");
        {
            let mut segs = url
                .path_segments_mut()
                .expect("a URL with a host has a path");
            segs.push(&self.guid);
            if let Some(v) = &self.version {
                segs.push("version").push(v);
                if let Some(p) = &self.path {
                    segs.push("file");
                    segs.extend(p.split('/'));
                }
            }
        }
        if self.path.is_some()
            && let Some((a, b)) = self.lines
        {
            url.set_fragment(Some(&lines_text(a, b)));
        }
        url.to_string()
    }

    /// The link to `path` (and lines) of cached version `version_id`.
    pub fn to_version(
        store: &Store,
        version_id: i64,
        path: Option<&str>,
        lines: Option<(u32, u32)>,
    ) -> Result<DeepLink, DeepLinkError> {
        let v = store.version(version_id).map_err(ReviewError::from)?;
        Ok(DeepLink {
            guid: v.guid,
            version: Some(v.version),
            path: path.map(str::to_owned),
            lines: path.and(lines).map(|(a, b)| (a.min(b), a.max(b))),
        })
    }

    /// Finds the linked version in the cache (the newest import of that version string; the
    /// latest version when the link names none) and the version imported before it.
    pub fn resolve(&self, store: &Store) -> Result<LinkTarget, DeepLinkError> {
        let addon = cached_addons(store)?
            .into_iter()
            .find(|a| a.guid == self.guid)
            .ok_or_else(|| DeepLinkError::NotCached {
                what: format!("add-on {:?}", self.guid),
            })?;
        let at = match &self.version {
            None => addon.versions.len().saturating_sub(1),
            // The newest import of that version string, as the review picker lists them.
            Some(v) => addon
                .versions
                .iter()
                .rposition(|c| &c.version == v)
                .ok_or_else(|| DeepLinkError::NotCached {
                    what: format!("version {v} of {:?}", self.guid),
                })?,
        };
        // A review shows the linked version against the one imported before it.
        let (Some(old), Some(new)) = (
            at.checked_sub(1).and_then(|i| addon.versions.get(i)),
            addon.versions.get(at),
        ) else {
            return Err(DeepLinkError::OnlyVersion {
                what: format!(
                    "version {} of {:?}",
                    addon.versions.get(at).map_or("?", |v| v.version.as_str()),
                    self.guid
                ),
            });
        };
        Ok(LinkTarget {
            old: old.id,
            new: new.id,
            path: self.path.clone(),
            line: self.lines.map(|(a, _)| a),
        })
    }
}

fn lines_text(a: u32, b: u32) -> String {
    if a == b {
        format!("L{a}")
    } else {
        format!("L{a}-{b}")
    }
}

/// `L10` or `L10-12` (AMO's form) or `L10-L12` (GitHub's), lines from 1, first ≤ last.
fn parse_lines(fragment: &str) -> Option<(u32, u32)> {
    let rest = fragment.strip_prefix('L')?;
    let (a, b) = match rest.split_once('-') {
        Some((a, b)) => (a, b.strip_prefix('L').unwrap_or(b)),
        None => (rest, rest),
    };
    let digits = |s: &str| !s.is_empty() && s.len() <= 9 && s.bytes().all(|c| c.is_ascii_digit());
    if !digits(a) || !digits(b) {
        return None;
    }
    let (a, b) = (a.parse().ok()?, b.parse().ok()?);
    (a >= 1 && a <= b).then_some((a, b))
}

/// A line reference as AMO's review comments write one: `* path#L10-12` (`#L10` for one line).
pub fn line_reference(path: &str, first: u32, last: u32) -> String {
    let (a, b) = (first.min(last), first.max(last));
    format!("* {path}#{}", lines_text(a, b))
}

/// The link and line reference for `path` and lines of cached version `version_id`.
pub fn link_text(
    store: &Store,
    version_id: i64,
    path: Option<&str>,
    lines: Option<(u32, u32)>,
) -> Result<LinkText, DeepLinkError> {
    let link = DeepLink::to_version(store, version_id, path, lines)?;
    let reference = match (&link.path, link.lines) {
        (Some(p), Some((a, b))) => Some(line_reference(p, a, b)),
        _ => None,
    };
    Ok(LinkText {
        link: link.to_url(),
        reference,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(
        guid: &str,
        version: Option<&str>,
        path: Option<&str>,
        lines: Option<(u32, u32)>,
    ) -> DeepLink {
        DeepLink {
            guid: guid.into(),
            version: version.map(Into::into),
            path: path.map(Into::into),
            lines,
        }
    }

    #[test]
    fn links_round_trip_with_awkward_names() {
        for l in [
            link("{d10d0bf8-f5b5-c8b4-a8b2-2b9879e08c5d}", None, None, None),
            link("tabs@example.org", Some("1.2.0"), None, None),
            link(
                "tabs@example.org",
                Some("1.2.0b1 beta"),
                Some("lib/a b/%20?.js"),
                Some((10, 12)),
            ),
            link("x@y", Some("2"), Some("background.js"), Some((3, 3))),
            link("x@y", Some("2"), Some("é/ü#.js"), None),
        ] {
            let text = l.to_url();
            assert!(text.starts_with("vetter://addon/"), "{text}");
            assert_eq!(DeepLink::parse(&text).unwrap(), l, "{text}");
        }
        assert_eq!(
            link("x@y", Some("2"), Some("lib/a.js"), Some((10, 12))).to_url(),
            "vetter://addon/x@y/version/2/file/lib/a.js#L10-12"
        );
    }

    #[test]
    fn lines_read_amos_and_githubs_forms() {
        let at = |f: &str| DeepLink::parse(&format!("vetter://addon/x@y/version/2/file/a.js#{f}"));
        assert_eq!(at("L7").unwrap().lines, Some((7, 7)));
        assert_eq!(at("L7-9").unwrap().lines, Some((7, 9)));
        assert_eq!(at("L7-L9").unwrap().lines, Some((7, 9)));
        for bad in ["L0", "L9-7", "7", "L", "L1-", "L99999999999", "L1x"] {
            assert!(at(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn anything_else_is_refused_with_the_rule_it_breaks() {
        for (text, rule) in [
            ("https://addon/x@y", "scheme"),
            ("vetter://version/x@y", "vetter://addon/"),
            ("vetter://addon/x@y?a=1", "query"),
            ("vetter://addon/x@y/file/a.js", "the path is"),
            ("vetter://addon/x@y#L3", "lines need a file"),
            ("vetter://addon/x@y/version/1/file/../secret", ". or .."),
            ("vetter://addon/x@y/version/1/file/a%2Fb", ". or .."),
            ("vetter://addon/x%0Ay", "control"),
            ("vetter://addon/x%FFy", "UTF-8"),
            ("not a link", "not a URL"),
        ] {
            let e = DeepLink::parse(text).unwrap_err().to_string();
            assert!(e.contains(rule), "{text}: {e}");
        }
        let long = format!("vetter://addon/{}", "a".repeat(MAX_LINK));
        assert!(
            DeepLink::parse(&long)
                .unwrap_err()
                .to_string()
                .contains("8 KiB")
        );
    }

    #[test]
    fn a_line_reference_is_amos_form() {
        assert_eq!(line_reference("lib/a.js", 10, 12), "* lib/a.js#L10-12");
        assert_eq!(line_reference("lib/a.js", 12, 10), "* lib/a.js#L10-12");
        assert_eq!(line_reference("a.js", 4, 4), "* a.js#L4");
    }
}
