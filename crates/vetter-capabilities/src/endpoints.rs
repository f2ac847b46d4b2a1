//! Network addresses in text: URLs with a scheme that reaches the network, protocol-relative
//! URLs, and IP addresses written alone; and the ones the manifest names.

use std::net::{Ipv4Addr, Ipv6Addr};

use url::{Host, Url};
use vetter_manifest::{ContentSecurityPolicy, Manifest};

use crate::{Endpoint, EndpointVia, FileFacts, Location, line_starts, position};

/// Longest URL kept as written.
const MAX_URL: usize = 300;

/// URIs that name an XML namespace or a doctype: written in code, never contacted.
const NAMESPACES: [&str; 8] = [
    "http://www.w3.org/2000/svg",
    "http://www.w3.org/1999/xhtml",
    "http://www.w3.org/1999/xlink",
    "http://www.w3.org/2000/xmlns",
    "http://www.w3.org/1998/math/mathml",
    "http://www.w3.org/xml/1998/namespace",
    "http://www.mozilla.org/keymaster/gatekeeper/there.is.only.xul",
    "http://www.w3.org/tr/",
];

/// Schemes whose URLs reach the network.
const SCHEMES: [&str; 5] = ["https://", "http://", "wss://", "ws://", "ftp://"];

/// A remote address found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FoundUrl {
    host: String,
    url: Option<String>,
    ip: bool,
    /// Byte offset in the text searched.
    pub(crate) offset: usize,
}

impl FoundUrl {
    /// The endpoint this address is, reached `via`, found `at`.
    pub(crate) fn at(self, via: EndpointVia, at: Location) -> Endpoint {
        Endpoint {
            host: Some(self.host),
            url: self.url,
            ip: self.ip,
            via,
            at,
        }
    }
}

/// What a string handed to a network call addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Found {
    /// A remote host.
    Remote(FoundUrl),
    /// A file of the package (a relative path, an extension URL, `data:`, `blob:`).
    Local,
    /// Nothing that can be told from the string (empty, or a head without a host).
    Unknown,
}

/// What the whole string `s`, given to a network call, addresses.
pub(crate) fn classify(s: &str) -> Found {
    let t = s.trim();
    if t.is_empty() {
        return Found::Unknown;
    }
    let lower = t.to_ascii_lowercase();
    if let Some(found) = parse_url(t, 0) {
        return Found::Remote(found);
    }
    if lower.starts_with("//") {
        return match parse_url(&format!("https:{t}"), 0) {
            Some(found) => Found::Remote(FoundUrl {
                url: Some(cut(t)),
                ..found
            }),
            None => Found::Unknown,
        };
    }
    if let Some(found) = lone_ip(t) {
        return Found::Remote(found);
    }
    let has_scheme = lower.split_once(':').is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    });
    if has_scheme
        && ![
            "moz-extension:",
            "chrome-extension:",
            "data:",
            "blob:",
            "about:",
            "resource:",
            "chrome:",
        ]
        .iter()
        .any(|p| lower.starts_with(p))
    {
        // `http:` with no host yet: the rest is computed.
        return Found::Unknown;
    }
    if lower.starts_with("http") && !lower.contains('/') {
        return Found::Unknown;
    }
    Found::Local
}

/// Every remote address in the text `s`, in order.
pub(crate) fn urls_in(s: &str) -> Vec<FoundUrl> {
    let mut out = Vec::new();
    let lower = s.to_ascii_lowercase();
    let mut from = 0;
    while let Some((at, scheme)) = SCHEMES
        .iter()
        .filter_map(|sc| lower[from..].find(sc).map(|i| (from + i, *sc)))
        .min_by_key(|(i, _)| *i)
    {
        let end = s[at..]
            .find(|c: char| c.is_whitespace() || "\"'`<>()[]{}\\,;|^".contains(c))
            .map(|e| at + e)
            .unwrap_or(s.len());
        if let Some(found) = parse_url(&s[at..end], at) {
            out.push(found);
        }
        from = (at + scheme.len()).min(s.len());
        if out.len() > 1_000 {
            break;
        }
    }
    if out.is_empty() {
        out.extend(lone_ip(s.trim()));
    }
    out
}

/// `s` as a URL with a network scheme and a host, unless it is an XML namespace.
fn parse_url(s: &str, offset: usize) -> Option<FoundUrl> {
    let lower = s.to_ascii_lowercase();
    if !SCHEMES.iter().any(|sc| lower.starts_with(sc)) {
        return None;
    }
    if NAMESPACES.iter().any(|ns| lower.starts_with(ns)) {
        return None;
    }
    let url = Url::parse(s).ok()?;
    let (host, ip) = match url.host()? {
        Host::Domain(d) => {
            // A template's head (`https://${x}`) or a placeholder leaves no real host.
            if d.is_empty() || d.contains('$') || !d.contains('.') && d != "localhost" {
                return None;
            }
            (d.trim_end_matches('.').to_owned(), false)
        }
        Host::Ipv4(a) => (a.to_string(), true),
        Host::Ipv6(a) => (a.to_string(), true),
    };
    Some(FoundUrl {
        host,
        url: Some(cut(s)),
        ip,
        offset,
    })
}

/// An IP address written alone (`10.0.0.1`, `10.0.0.1:8080`, `[::1]:80`).
fn lone_ip(s: &str) -> Option<FoundUrl> {
    let host = s
        .strip_prefix('[')
        .and_then(|r| r.split_once(']').map(|(h, _)| h))
        .unwrap_or_else(|| match s.rsplit_once(':') {
            Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) && h.contains('.') => h,
            _ => s,
        });
    let ip = if let Ok(a) = host.parse::<Ipv4Addr>() {
        // Version numbers look like addresses (no leading zeros then), and netmasks and
        // network numbers (`255.255.0.0`, `10.0.0.0`) are not hosts.
        let octets = a.octets();
        if host.split('.').any(|p| p.len() > 1 && p.starts_with('0'))
            || a.is_unspecified()
            || octets[0] == 255
            || octets[3] == 0
        {
            return None;
        }
        a.to_string()
    } else if let Ok(a) = host.parse::<Ipv6Addr>() {
        if !host.contains("::") && host.matches(':').count() < 7 {
            return None;
        }
        a.to_string()
    } else {
        return None;
    };
    Some(FoundUrl {
        host: ip,
        url: None,
        ip: true,
        offset: 0,
    })
}

fn cut(s: &str) -> String {
    if s.len() <= MAX_URL {
        return s.to_owned();
    }
    let mut end = MAX_URL;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// The endpoints in a stylesheet or data file: every URL in its text, each at its position.
pub(crate) fn in_text(path: &str, text: &str, via: EndpointVia) -> FileFacts {
    let starts = line_starts(text);
    let mut facts = FileFacts::default();
    for found in urls_in(text) {
        let (line, column) = position(&starts, text, found.offset);
        let at = Location {
            path: path.to_owned(),
            line,
            column,
        };
        facts.endpoints.push(found.at(via, at));
    }
    facts
}

/// The endpoints of a stylesheet: the addresses of its `url(…)` values and `@import`s, not
/// the ones its comments mention.
pub(crate) fn in_stylesheet(path: &str, text: &str) -> FileFacts {
    let starts = line_starts(text);
    let mut facts = FileFacts::default();
    let lower = text.to_ascii_lowercase();
    let mut i = 0;
    while i < text.len() {
        let rest = &lower[i..];
        if rest.starts_with("/*") {
            i += rest.find("*/").map_or(rest.len(), |e| e + 2);
            continue;
        }
        let value_at = if rest.starts_with("url(") {
            Some(i + 4)
        } else if rest.starts_with("@import") {
            Some(i + 7)
        } else {
            None
        };
        if let Some(v) = value_at {
            let value = text[v..].trim_start().trim_start_matches(['"', '\'', '(']);
            let value = &value[..value
                .find(|c: char| c.is_whitespace() || "\"')".contains(c))
                .unwrap_or(value.len())];
            if let Found::Remote(found) = classify(value) {
                let (line, column) = position(&starts, text, i);
                let at = Location {
                    path: path.to_owned(),
                    line,
                    column,
                };
                facts.endpoints.push(found.at(EndpointVia::Style, at));
            }
        }
        i += rest.chars().next().map_or(1, char::len_utf8);
    }
    facts
}

/// The endpoints the manifest names: its home page and update URLs, and the hosts its content
/// security policy allows.
pub(crate) fn in_manifest(m: &Manifest) -> Vec<Endpoint> {
    let at = || Location {
        path: "manifest.json".into(),
        line: 1,
        column: 1,
    };
    let mut out = Vec::new();
    let named = [
        m.homepage_url.as_deref(),
        m.gecko.as_ref().and_then(|g| g.update_url.as_deref()),
    ];
    for url in named.into_iter().flatten() {
        if let Found::Remote(found) = classify(url) {
            out.push(found.at(EndpointVia::Manifest, at()));
        }
    }
    let policies: Vec<&str> = match &m.content_security_policy {
        Some(ContentSecurityPolicy::Legacy { policy }) => vec![policy.as_str()],
        Some(ContentSecurityPolicy::PerContext {
            extension_pages,
            sandbox,
        }) => [extension_pages.as_deref(), sandbox.as_deref()]
            .into_iter()
            .flatten()
            .collect(),
        None => Vec::new(),
    };
    for policy in policies {
        for source in csp_hosts(policy) {
            out.push(Endpoint {
                host: Some(source.clone()),
                url: Some(source),
                ip: false,
                via: EndpointVia::Csp,
                at: at(),
            });
        }
    }
    out
}

/// The host sources of a content security policy (`https://cdn.example.com`, `*.example.com`),
/// without keywords, nonces, hashes or bare schemes.
pub(crate) fn csp_hosts(policy: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for directive in policy.split(';') {
        for source in directive.split_whitespace().skip(1) {
            let s = source.trim().to_ascii_lowercase();
            if s.starts_with('\'') || s.ends_with(':') || s.is_empty() {
                continue;
            }
            let without_scheme = s.split_once("://").map(|(_, r)| r).unwrap_or(&s);
            let host = without_scheme
                .split(['/', ':'])
                .next()
                .unwrap_or_default()
                .to_owned();
            if !host.is_empty() && host != "*" && !out.contains(&host) {
                out.push(host);
            }
        }
    }
    out
}
