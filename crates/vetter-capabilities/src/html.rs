//! Facts of an HTML page: scripts it loads from the network, addresses in its `src`, `href`
//! and `action` attributes, and the facts of its inline scripts (read as JavaScript at their
//! place in the page).

use crate::endpoints::{self, Found};
use crate::{
    EndpointVia, FileFacts, Location, Sink, SinkKind, js, line_starts, one_line, position,
};

/// Tags read per page; a hostile page cannot make the scan quadratic.
const MAX_TAGS: usize = 100_000;

/// One start tag: its name (lower case), its attributes (name lower case, value), and the byte
/// range of the whole tag.
struct Tag<'t> {
    name: String,
    attrs: Vec<(String, &'t str)>,
    start: usize,
    end: usize,
}

/// The facts of page `path` with text `text`.
pub(crate) fn analyze(path: &str, text: &str) -> FileFacts {
    let starts = line_starts(text);
    let locate = |offset: usize| {
        let (line, column) = position(&starts, text, offset);
        Location {
            path: path.to_owned(),
            line,
            column,
        }
    };
    let mut facts = FileFacts::default();
    let mut i = 0;
    let mut tags = 0;
    while let Some(tag) = next_tag(text, i) {
        tags += 1;
        if tags > MAX_TAGS {
            break;
        }
        i = tag.end;
        for (name, value) in &tag.attrs {
            if !matches!(name.as_str(), "src" | "href" | "action" | "data" | "poster") {
                continue;
            }
            if let Found::Remote(found) = endpoints::classify(value) {
                facts
                    .endpoints
                    .push(found.at(EndpointVia::Page, locate(tag.start)));
                if tag.name == "script" && name == "src" {
                    facts.sinks.push(Sink {
                        kind: SinkKind::RemoteScript,
                        code: one_line(&text[tag.start..tag.end], 120),
                        at: locate(tag.start),
                    });
                }
            }
        }
        if tag.name == "script" && !tag.attrs.iter().any(|(n, _)| n == "src") {
            let body_end = find_ci(text, tag.end, "</script").unwrap_or(text.len());
            let body = &text[tag.end..body_end];
            let inner = js::analyze_at(path, body, Some((text, tag.end)));
            facts.endpoints.extend(inner.endpoints);
            facts.sinks.extend(inner.sinks);
            facts.apis.extend(inner.apis);
            facts.says_blocking = facts.says_blocking.take().or(inner.says_blocking);
            i = body_end;
        }
    }
    facts
}

/// The first start tag at or after byte `from`, skipping comments, end tags and declarations.
fn next_tag(text: &str, mut from: usize) -> Option<Tag<'_>> {
    let bytes = text.as_bytes();
    loop {
        let lt = from + text.get(from..)?.find('<')?;
        if text[lt..].starts_with("<!--") {
            from = text[lt..].find("-->").map(|e| lt + e + 3)?;
            continue;
        }
        let name_start = lt + 1;
        if !bytes.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
            from = name_start;
            continue;
        }
        let mut j = name_start;
        while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'-') {
            j += 1;
        }
        let name = text[name_start..j].to_ascii_lowercase();
        let mut attrs = Vec::new();
        loop {
            while j < bytes.len() && (bytes[j].is_ascii_whitespace() || bytes[j] == b'/') {
                j += 1;
            }
            if j >= bytes.len() {
                return Some(Tag {
                    name,
                    attrs,
                    start: lt,
                    end: bytes.len(),
                });
            }
            if bytes[j] == b'>' {
                return Some(Tag {
                    name,
                    attrs,
                    start: lt,
                    end: j + 1,
                });
            }
            let a = j;
            while j < bytes.len() && !b" \t\r\n\x0c/>=".contains(&bytes[j]) {
                j += 1;
            }
            let attr = text[a..j].to_ascii_lowercase();
            while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                j += 1;
            }
            let mut value = "";
            if bytes.get(j) == Some(&b'=') {
                j += 1;
                while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                    j += 1;
                }
                match bytes.get(j) {
                    Some(&q) if q == b'"' || q == b'\'' => {
                        let end = text[j + 1..]
                            .find(q as char)
                            .map(|e| j + 1 + e)
                            .unwrap_or(bytes.len());
                        value = &text[j + 1..end];
                        j = (end + 1).min(bytes.len());
                    }
                    _ => {
                        let v = j;
                        while j < bytes.len() && !bytes[j].is_ascii_whitespace() && bytes[j] != b'>'
                        {
                            j += 1;
                        }
                        value = &text[v..j];
                    }
                }
            }
            if a == j {
                j += 1;
            }
            attrs.push((attr, value));
        }
    }
}

/// The first case-insensitive occurrence of ASCII `needle` at or after `from`.
fn find_ci(text: &str, from: usize, needle: &str) -> Option<usize> {
    let hay = text.as_bytes().get(from..)?;
    let n = needle.as_bytes();
    hay.windows(n.len())
        .position(|w| w.eq_ignore_ascii_case(n))
        .map(|p| from + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_scripts_and_inline_code_are_found_at_their_lines() {
        let page = "<html>\n<!-- <script src=\"https://hidden.example/x.js\"> -->\n\
                    <script SRC='https://cdn.example.com/lib.js'></script>\n\
                    <a href=\"https://help.example.org/faq\">help</a>\n\
                    <script>\n  eval(location.hash);\n</script>\n";
        let facts = analyze("popup.html", page);
        let hosts: Vec<_> = facts
            .endpoints
            .iter()
            .map(|e| (e.host.as_deref().unwrap_or(""), e.at.line))
            .collect();
        assert_eq!(hosts, [("cdn.example.com", 3), ("help.example.org", 4)]);
        let sinks: Vec<_> = facts
            .sinks
            .iter()
            .map(|s| (s.kind, s.at.line, s.at.column))
            .collect();
        assert_eq!(
            sinks,
            [(SinkKind::RemoteScript, 3, 1), (SinkKind::Eval, 6, 3)]
        );
    }

    #[test]
    fn unterminated_markup_ends_the_scan() {
        for page in ["<script", "<a href='x", "<<<<", "<!--", "<script>eval(x)"] {
            let _ = analyze("p.html", page);
        }
        assert_eq!(analyze("p.html", "<script>eval(x)").sinks.len(), 1);
    }
}
