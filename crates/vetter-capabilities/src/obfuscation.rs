//! Obfuscation indicators of a JavaScript file, each a measure a reviewer can check: long
//! lines, random-looking strings, strings written as escapes, and the marks that known packers
//! and obfuscators leave.

use std::collections::HashSet;

use vetter_syntax::pretty::{Kind, js_tokens};

use crate::FileMeasure;

/// Lines sampled from the head of a file to tell minified code (AMO's linter samples 30).
const SAMPLE_LINES: usize = 30;
/// A sampled line this long counts as a minified line.
const LONG_LINE: usize = 500;
/// Strings at least this long are weighed for entropy.
const ENTROPY_MIN_LEN: usize = 64;
/// Bits per character from which a long string reads as random data or encoded code (English
/// text is near 4.2, hex 4, base64 near 6).
const HIGH_ENTROPY: f64 = 5.0;
/// A minified file at least this large is named among the indicators.
const MINIFIED_WORTH_NOTING: usize = 2048;
/// Tokens read per file.
const MAX_TOKENS: usize = 4_000_000;

/// The indicators of file `path` with JavaScript text `text`.
pub(crate) fn measure(path: &str, text: &str) -> FileMeasure {
    let mut lines = 0u32;
    let mut longest = 0usize;
    for line in text.split('\n') {
        lines += 1;
        longest = longest.max(line.len());
    }
    let mut high_entropy = 0u32;
    let mut max_entropy = 0f64;
    let mut escape_heavy = 0u32;
    let mut obfuscator_names: HashSet<&str> = HashSet::new();
    let mut packers = Vec::new();
    let mut from_char_code_args = 0usize;
    let mut prev: Option<(Kind, &str)> = None;
    for (kind, tok) in js_tokens(text).take(MAX_TOKENS) {
        match kind {
            Kind::Str | Kind::Template => {
                let inner = tok.get(1..tok.len().saturating_sub(1)).unwrap_or("");
                if inner.chars().count() >= ENTROPY_MIN_LEN {
                    let e = entropy(inner);
                    max_entropy = max_entropy.max(e);
                    if e >= HIGH_ENTROPY {
                        high_entropy += 1;
                    }
                }
                if inner.len() >= 20 {
                    let escaped =
                        inner.matches("\\x").count() * 4 + inner.matches("\\u").count() * 6;
                    if escaped * 10 >= inner.len() * 6 {
                        escape_heavy += 1;
                    }
                }
            }
            // javascript-obfuscator names everything `_0x` and hex digits.
            Kind::Word
                if tok.len() >= 6
                    && tok.starts_with("_0x")
                    && tok[3..].bytes().all(|b| b.is_ascii_hexdigit()) =>
            {
                obfuscator_names.insert(tok);
            }
            Kind::Number
                if prev.is_some_and(|(k, t)| k == Kind::Punct && (t == "(" || t == ",")) =>
            {
                from_char_code_args += 1;
            }
            _ => {}
        }
        prev = Some((kind, tok));
    }
    let compact: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .take(1 << 20)
        .collect();
    if compact.contains("eval(function(p,a,c,k,e,") {
        packers.push("Dean Edwards' packer (eval(function(p,a,c,k,e,…)))".to_owned());
    }
    if obfuscator_names.len() >= 10 {
        packers.push(format!(
            "javascript-obfuscator names ({} distinct _0x… identifiers)",
            obfuscator_names.len()
        ));
    }
    if compact.contains("[][(![]+[])") || compact.matches("(![]+[])").count() >= 10 {
        packers.push("JSFuck ([][(![]+[])…)".to_owned());
    }
    if compact.contains("String.fromCharCode(") && from_char_code_args >= 200 {
        packers.push("code built from character codes (String.fromCharCode)".to_owned());
    }
    let minified = is_minified(text);
    let mut indicators = Vec::new();
    indicators.extend(packers.iter().cloned());
    if high_entropy > 0 {
        indicators.push(format!(
            "{high_entropy} long random-looking string{} (up to {max_entropy:.1} bits per character)",
            plural(high_entropy)
        ));
    }
    if escape_heavy > 0 {
        indicators.push(format!(
            "{escape_heavy} string{} written mostly as \\x or \\u escapes",
            plural(escape_heavy)
        ));
    }
    // AMO's criterion calls any short unindented file minified; only a file long enough to hide
    // something is worth a reviewer's look.
    if minified && (text.len() >= MINIFIED_WORTH_NOTING || longest >= LONG_LINE) {
        indicators.push(format!(
            "minified: {lines} line{}, the longest {longest} characters",
            plural(lines)
        ));
    }
    FileMeasure {
        path: path.to_owned(),
        bytes: text.len() as u64,
        lines,
        longest_line: longest.min(u32::MAX as usize) as u32,
        minified,
        high_entropy_strings: high_entropy,
        max_entropy: max_entropy as f32,
        escape_heavy_strings: escape_heavy,
        packers,
        indicators,
    }
}

fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Shannon entropy of `s` in bits per character.
fn entropy(s: &str) -> f64 {
    let mut counts = std::collections::HashMap::new();
    let mut n = 0usize;
    for c in s.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
        n += 1;
    }
    counts
        .values()
        .map(|&k| {
            let p = k as f64 / n as f64;
            -p * p.log2()
        })
        .sum()
}

/// Whether the file reads as minified, by the criterion AMO's linter uses for its "unknown
/// minified code" weight: a source-map comment, or, in the file's first lines with comments
/// cut out as text (a block comment takes its line ends with it), fewer than a fifth indented
/// or more than four lines of 500 characters or more.
pub(crate) fn is_minified(text: &str) -> bool {
    if text.is_empty() {
        return false;
    }
    if has_source_map_comment(text) {
        return true;
    }
    let mut sampled = 1usize;
    let mut indented = 0usize;
    let mut long = 0usize;
    let stripped = without_comments(text, SAMPLE_LINES);
    let mut rest = stripped.as_str();
    // Only lines ended by a line feed are sampled.
    while sampled < SAMPLE_LINES {
        let Some(end) = rest.find('\n') else { break };
        let line = &rest[..end];
        if line.starts_with(char::is_whitespace) {
            indented += 1;
        }
        if line.encode_utf16().count() >= LONG_LINE {
            long += 1;
        }
        sampled += 1;
        rest = &rest[end + 1..];
    }
    indented * 100 < sampled * 20 || long > 4
}

/// `//# sourceMappingURL=` (or `//@`, or `sourceURL`) followed by whitespace-free text.
fn has_source_map_comment(text: &str) -> bool {
    let mut from = 0;
    while let Some(i) = text[from..].find("//") {
        let at = from + i + 2;
        let rest = &text[at..];
        if let Some(r) = rest.strip_prefix('#').or_else(|| rest.strip_prefix('@'))
            && let Some(r) = r.strip_prefix(char::is_whitespace)
            && let Some(r) = r
                .strip_prefix("sourceMappingURL=")
                .or_else(|| r.strip_prefix("sourceURL="))
        {
            let r = r.trim_start();
            if r.starts_with(|c: char| !c.is_whitespace()) {
                return true;
            }
        }
        from = at;
    }
    false
}

/// The head of `text` (at least `lines` line feeds, when it has them) with `/* … */` and
/// `// …` cut out as plain text, the way AMO's linter samples a file: a comment marker inside a
/// string is cut too, and a block comment's line ends go with it.
fn without_comments(text: &str, lines: usize) -> String {
    let mut out = String::new();
    let mut rest = text;
    while out.matches('\n').count() <= lines {
        let Some(i) = rest.find('/') else {
            out.push_str(rest);
            break;
        };
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        if let Some(body) = after.strip_prefix("/*")
            && let Some(end) = body.find("*/")
        {
            rest = &body[end + 2..];
        } else if let Some(body) = after.strip_prefix("//")
            && body.starts_with(|c: char| !is_line_end(c))
        {
            let end = body.find(is_line_end).unwrap_or(body.len());
            rest = &body[end..];
        } else {
            out.push('/');
            rest = &after[1..];
        }
    }
    out
}

fn is_line_end(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readable_code_is_not_minified_and_a_bundle_is() {
        let readable =
            "function f(a) {\n  if (a) {\n    return 1;\n  }\n  return 2;\n}\n".repeat(5);
        assert!(!is_minified(&readable));
        let bundle = format!("{}\n", "var a=1;".repeat(200)).repeat(6);
        assert!(is_minified(&bundle));
        assert!(is_minified("x();\n//# sourceMappingURL=x.js.map\n"));
    }

    #[test]
    fn packers_and_random_strings_are_named() {
        let packed = "eval(function(p,a,c,k,e,d){return p}('0 1',2,2,'a|b'.split('|'),0,{}))";
        assert!(measure("p.js", packed).packers[0].contains("packer"));
        let names: String = (0..12)
            .map(|i| format!("var _0x{:04x}=1;\n", 0xa1b0 + i))
            .collect();
        assert!(measure("o.js", &names).packers[0].contains("javascript-obfuscator"));
        let random =
            "var k = 'q8Zr2Lx0Vb7NwEe4Tt1YyUu9Ii3Oo6PpAaSsDdFfGgHhJjKkLlZzXxCcVvBbNnMm+/';\n";
        let m = measure("r.js", random);
        assert_eq!(m.high_entropy_strings, 1, "{m:?}");
        let escaped = "var s = '\\x65\\x76\\x61\\x6c\\x28\\x61\\x74\\x6f\\x62\\x28';\n";
        assert_eq!(measure("e.js", escaped).escape_heavy_strings, 1);
        let plain =
            "var s = 'a perfectly ordinary sentence that a person wrote to explain things';\n";
        let m = measure("t.js", plain);
        assert_eq!((m.high_entropy_strings, m.escape_heavy_strings), (0, 0));
    }
}
