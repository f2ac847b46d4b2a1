//! What a reviewer types or pastes to name an add-on: an AMO page URL (any locale and app
//! prefix), a reviewer or developer page URL, an API URL, a slug, a guid or a numeric id.

use std::fmt;

use percent_encoding::percent_decode_str;

/// How an add-on is named; AMO's detail route takes each of these in its path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ident {
    /// AMO's numeric id.
    Id(i64),
    /// The extension id (`name@example.org` or `{uuid}`).
    Guid(String),
    /// The URL slug.
    Slug(String),
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ident::Id(id) => write!(f, "{id}"),
            Ident::Guid(s) | Ident::Slug(s) => f.write_str(s),
        }
    }
}

/// A parsed add-on reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddonRef {
    /// The origin of a pasted URL (`https://addons.mozilla.org`), none for a bare name.
    pub origin: Option<String>,
    /// The add-on.
    pub ident: Ident,
}

/// Why a reference could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} does not name an add-on: {reason}")]
pub struct AddonRefError {
    /// The input (at most 200 characters of it).
    pub input: String,
    /// What is wrong.
    pub reason: String,
}

/// Longest reference read; AMO guids are at most 255 characters, and a URL adds its prefix.
const MAX_INPUT: usize = 2048;

impl AddonRef {
    /// Parses `input` (surrounding whitespace ignored).
    pub fn parse(input: &str) -> Result<AddonRef, AddonRefError> {
        let input = input.trim();
        let fail = |reason: &str| AddonRefError {
            input: input.chars().take(200).collect(),
            reason: reason.to_owned(),
        };
        if input.is_empty() {
            return Err(fail("it is empty"));
        }
        if input.len() > MAX_INPUT {
            return Err(fail("it is over 2048 bytes"));
        }
        if input.contains("://") {
            let url = reqwest::Url::parse(input).map_err(|e| fail(&format!("not a URL ({e})")))?;
            if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
                return Err(fail("only http(s) URLs name add-ons"));
            }
            let segments: Vec<String> = url
                .path_segments()
                .map(|s| {
                    s.filter(|p| !p.is_empty())
                        .map(|p| percent_decode_str(p).decode_utf8_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default();
            let ident = ident_in_path(&segments).ok_or_else(|| {
                fail(
                    "the URL is not an add-on page, reviewer page or API URL \
                     (expected …/addon/<slug, guid or id>/…)",
                )
            })?;
            return Ok(AddonRef {
                origin: Some(url.origin().ascii_serialization()),
                ident: bare(&ident).map_err(|r| fail(&r))?,
            });
        }
        Ok(AddonRef {
            origin: None,
            ident: bare(input).map_err(|r| fail(&r))?,
        })
    }
}

/// The add-on segment of an AMO path: after `addon` (public, developer and API pages) or after
/// `review`/`review-listed`/`review-unlisted` (reviewer pages).
fn ident_in_path(segments: &[String]) -> Option<String> {
    let at = segments.iter().position(|s| {
        matches!(
            s.as_str(),
            "addon" | "review" | "review-listed" | "review-unlisted"
        )
    })?;
    segments.get(at + 1).cloned()
}

/// A bare name: digits are an id, `@` or braces a guid, anything else of slug characters a slug.
fn bare(text: &str) -> Result<Ident, String> {
    if text.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err("it holds spaces or control characters".to_owned());
    }
    if text.len() > 255 {
        return Err("guids and slugs are at most 255 characters".to_owned());
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .map(Ident::Id)
            .ok_or_else(|| "an add-on id is a positive number".to_owned());
    }
    if text.contains('@') || (text.starts_with('{') && text.ends_with('}')) {
        return Ok(Ident::Guid(text.to_owned()));
    }
    if text.contains(['/', '?', '#', '%', '\\']) {
        return Err("a slug has no /, ?, #, % or \\".to_owned());
    }
    Ok(Ident::Slug(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ident(input: &str) -> Ident {
        AddonRef::parse(input).unwrap().ident
    }

    #[test]
    fn every_form_a_reviewer_pastes_is_read() {
        let slug = Ident::Slug("ublock-origin".into());
        assert_eq!(ident("ublock-origin"), slug);
        assert_eq!(ident(" 607454 "), Ident::Id(607454));
        assert_eq!(
            ident("uBlock0@raymondhill.net"),
            Ident::Guid("uBlock0@raymondhill.net".into())
        );
        assert_eq!(
            ident("{d10d0bf8-f5b5-c8b4-a8b2-2b9879e08c5d}"),
            Ident::Guid("{d10d0bf8-f5b5-c8b4-a8b2-2b9879e08c5d}".into())
        );
        for url in [
            "https://addons.mozilla.org/en-US/firefox/addon/ublock-origin/",
            "https://addons.mozilla.org/de/android/addon/ublock-origin/versions/?page=2",
            "https://addons.mozilla.org/addon/ublock-origin",
            "https://addons.mozilla.org/en-US/developers/addon/ublock-origin/edit",
            "https://addons.mozilla.org/api/v5/addons/addon/ublock-origin/versions/",
        ] {
            let r = AddonRef::parse(url).unwrap();
            assert_eq!(r.ident, slug, "{url}");
            assert_eq!(r.origin.as_deref(), Some("https://addons.mozilla.org"));
        }
        assert_eq!(
            ident("https://reviewers.addons.mozilla.org/en-US/reviewers/review-unlisted/607454"),
            Ident::Id(607454)
        );
        assert_eq!(
            ident("http://127.0.0.1:8000/api/v5/addons/addon/%7Babc%7D/"),
            Ident::Guid("{abc}".into())
        );
    }

    #[test]
    fn what_names_no_add_on_is_refused_with_the_reason() {
        for (input, reason) in [
            ("", "empty"),
            (
                "https://addons.mozilla.org/en-US/firefox/",
                "not an add-on page",
            ),
            ("ftp://addons.mozilla.org/addon/x/", "only http(s)"),
            ("two words", "spaces"),
            ("a/b", "a slug has no /"),
            ("0", "positive"),
        ] {
            let err = AddonRef::parse(input).unwrap_err().to_string();
            assert!(err.contains(reason), "{input:?}: {err}");
        }
    }
}
