//! Every path Vetter asks of a server, in one place, so client and server spell them alike.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::Url;

use crate::addon_ref::Ident;
use crate::error::ProtocolError;

/// A server's base URL (a review server or an AMO instance) as every part of Vetter spells it:
/// in requests, as the keyring's account, in the outbox, as the remembered server. One spelling,
/// so one server is never two: `https://h/` and ` https://h ` are both `https://h`.
///
/// Surrounding whitespace and trailing slashes are dropped; the rest is kept as typed. It must be
/// an `https` URL with a host, or `http` to this machine only (127.0.0.0/8, `::1`, `localhost`):
/// every request carries a token signed with the API secret, and a decision is worth nothing if
/// someone on the path can read or change it. A path is kept (every route is absolute, so
/// requests go to the origin's `/api/...`); user info, a query or a fragment is refused, since
/// none of them can be part of a base the routes are joined to.
pub fn normalize_server(text: &str) -> Result<String, ProtocolError> {
    let refused = || ProtocolError::BadServerUrl {
        url: text.to_owned(),
    };
    let trimmed = text.trim().trim_end_matches('/');
    let url = Url::parse(trimmed).map_err(|_| refused())?;
    let plain = matches!(url.scheme(), "http" | "https")
        && url.host().is_some()
        && url.username().is_empty()
        && url.password().is_none()
        && url.query().is_none()
        && url.fragment().is_none();
    if !plain {
        return Err(refused());
    }
    if url.scheme() == "http" && !is_loopback(&url) {
        return Err(ProtocolError::PlainHttp {
            url: trimmed.to_owned(),
        });
    }
    Ok(trimmed.to_owned())
}

/// Whether `url`'s host is this machine: an IPv4 loopback address, `::1`, or `localhost`.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// What a path segment must escape: everything but unreserved characters and `@`, which RFC
/// 3986 allows in a segment and every guid of the `name@domain` form holds.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'@');

/// One path segment, escaped.
pub fn segment(text: &str) -> String {
    utf8_percent_encode(text, SEGMENT).to_string()
}

/// The signed-in user's profile.
pub const PROFILE: &str = "/api/v5/accounts/profile/";

/// Vetter's capability document; AMO has no such route and answers 404.
pub const CAPABILITIES: &str = "/api/v5/vetter/capabilities/";

/// Vetter's queue list.
pub const QUEUES: &str = "/api/v5/reviewers/queues/";

/// The server's reviewer-facing words (Vetter only; a plain AMO answers 404).
pub const VOCABULARY: &str = "/api/v5/reviewers/vocabulary/";

/// Vetter's signed decisions.
pub const DECISIONS: &str = "/api/v5/reviewers/decisions/";

/// An add-on's detail, by id, slug or guid.
pub fn addon(ident: &Ident) -> String {
    format!("/api/v5/addons/addon/{}/", segment(&ident.to_string()))
}

/// An add-on's versions.
pub fn versions(addon_id: i64) -> String {
    format!("/api/v5/addons/addon/{addon_id}/versions/")
}

/// AMO's stored linter results for one file (reviewers only).
pub fn file_validation(addon_id: i64, file_id: i64) -> String {
    format!("/api/v5/reviewers/addon/{addon_id}/file/{file_id}/validation/")
}

/// One of Vetter's queues.
pub fn queue(name: &str) -> String {
    format!("/api/v5/reviewers/queues/{}/", segment(name))
}

/// Vetter's signals for an add-on.
pub fn signals(addon_id: i64) -> String {
    format!("/api/v5/reviewers/addon/{addon_id}/signals/")
}

/// The reviewer's presence on an add-on's review (`POST` while it is open, `DELETE` on leaving).
pub fn presence(addon_id: i64) -> String {
    format!("/api/v5/reviewers/addon/{addon_id}/presence/")
}

/// Every add-on whose review other reviewers have open.
pub const PRESENCE: &str = "/api/v5/reviewers/presence/";

/// A reviewer's decision-signing key on Vetter's server.
pub fn signing_key(kid: &str) -> String {
    format!("/api/v5/reviewers/keys/{}/", segment(kid))
}

/// A file download, as AMO spells it (`/firefox/downloads/file/{id}/{filename}`).
pub fn download(file_id: i64, filename: &str) -> String {
    format!("/firefox/downloads/file/{file_id}/{}", segment(filename))
}

/// The AMO reviewer page of an add-on, for the channel its version is in.
pub fn review_page(addon_id: i64, unlisted: bool) -> String {
    if unlisted {
        format!("/reviewers/review-unlisted/{addon_id}")
    } else {
        format!("/reviewers/review/{addon_id}")
    }
}

/// Which versions a list includes (`filter=`), widest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionFilter {
    /// Every channel, deleted ones too (AMO: admins only).
    AllWithDeleted,
    /// Listed and unlisted (reviewers and authors).
    AllWithUnlisted,
    /// Public listed versions (anyone; no `filter` parameter).
    Public,
}

impl VersionFilter {
    /// The `filter` value, none for the default list.
    pub fn param(self) -> Option<&'static str> {
        match self {
            VersionFilter::AllWithDeleted => Some("all_with_deleted"),
            VersionFilter::AllWithUnlisted => Some("all_with_unlisted"),
            VersionFilter::Public => None,
        }
    }

    /// The next narrower filter to try after a refusal.
    pub fn narrower(self) -> Option<VersionFilter> {
        match self {
            VersionFilter::AllWithDeleted => Some(VersionFilter::AllWithUnlisted),
            VersionFilter::AllWithUnlisted => Some(VersionFilter::Public),
            VersionFilter::Public => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normal(text: &str) -> String {
        normalize_server(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    #[test]
    fn a_server_is_spelt_without_trailing_slashes_or_spaces() {
        assert_eq!(normal("https://amo.example.org"), "https://amo.example.org");
        assert_eq!(
            normal("https://amo.example.org/"),
            "https://amo.example.org"
        );
        assert_eq!(
            normal(" http://127.0.0.1:8080// \n"),
            "http://127.0.0.1:8080"
        );
        // As typed otherwise: a keyring account made from it yesterday still matches today.
        assert_eq!(
            normal("https://Reviews.Example.org"),
            "https://Reviews.Example.org"
        );
    }

    #[test]
    fn a_path_is_kept() {
        assert_eq!(
            normal("https://h.example/vetter/"),
            "https://h.example/vetter"
        );
    }

    #[test]
    fn a_server_needs_http_or_https_and_a_host() {
        for bad in [
            "",
            "   ",
            "amo.example.org",
            "localhost:8080",
            "ftp://amo.example.org",
            "file:///etc/passwd",
            "https://",
            "mailto:a@b.example",
        ] {
            assert!(
                matches!(
                    normalize_server(bad),
                    Err(ProtocolError::BadServerUrl { .. })
                ),
                "{bad:?} was accepted"
            );
        }
    }

    #[test]
    fn plain_http_is_accepted_only_to_this_machine() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://127.1.2.3",
            "http://[::1]:47474",
            "http://localhost:8000",
            "http://LOCALHOST",
            "https://amo.example.org",
        ] {
            assert!(normalize_server(ok).is_ok(), "{ok:?} was refused");
        }
        for bad in [
            "http://amo.example.org",
            "http://10.0.0.7:8080",
            "http://127.0.0.1.example.org",
            "http://localhost.example.org",
            "http://[::2]",
            "http://0.0.0.0:47474",
        ] {
            let err = normalize_server(bad).unwrap_err();
            assert!(
                matches!(err, ProtocolError::PlainHttp { .. }),
                "{bad:?}: {err}"
            );
            assert!(err.to_string().contains("https://"), "{err}");
        }
    }

    #[test]
    fn user_info_query_and_fragment_are_refused() {
        for bad in [
            "https://me:pw@amo.example.org",
            "https://me@amo.example.org",
            "https://amo.example.org/?lang=en",
            "https://amo.example.org/#top",
        ] {
            let err = normalize_server(bad).unwrap_err();
            assert!(err.to_string().contains(bad), "{err}");
        }
    }

    #[test]
    fn guids_are_escaped_in_paths() {
        assert_eq!(
            addon(&Ident::Guid("{a b}@x".into())),
            "/api/v5/addons/addon/%7Ba%20b%7D@x/"
        );
        assert_eq!(
            addon(&Ident::Slug("tab-notes".into())),
            "/api/v5/addons/addon/tab-notes/"
        );
        assert_eq!(
            download(5, "a b.xpi"),
            "/firefox/downloads/file/5/a%20b.xpi"
        );
    }
}
