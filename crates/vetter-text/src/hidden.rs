//! Characters that change how text reads without being seen: bidi controls ("Trojan Source",
//! CVE-2021-42574), zero-width characters and every other Unicode format character (general
//! category Cf), plus a few blank-looking characters used to hide identifiers.
//!
//! A reviewer must see them, so every place that shows add-on text (the diff, the file tree,
//! search results, the command line) finds them here and draws the same `<U+XXXX>` marker.

use std::borrow::Cow;

/// Inclusive code point ranges of hidden characters, sorted: Unicode 15.1's general category Cf,
/// plus U+2028/U+2029 (line and paragraph separators, line breaks to JavaScript but not to an
/// editor) and the Hangul fillers U+115F, U+1160, U+3164, U+FFA0 (letters that draw nothing, the
/// known way to write an invisible identifier).
pub const HIDDEN_RANGES: &[(u32, u32)] = &[
    (0x00AD, 0x00AD),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x115F, 0x1160),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x2028, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0x3164, 0x3164),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
];

/// Whether `c` is a hidden character: a format (Cf) character or one of the blank letters and
/// separators of [`HIDDEN_RANGES`].
pub fn is_hidden(c: char) -> bool {
    let c = c as u32;
    // Everything below U+00AD is ASCII or Latin-1 that draws (controls are escaped elsewhere).
    if c < 0x00AD {
        return false;
    }
    let k = HIDDEN_RANGES.partition_point(|&(_, hi)| hi < c);
    HIDDEN_RANGES.get(k).is_some_and(|&(lo, _)| lo <= c)
}

/// The hidden characters of `s` with their byte offsets, in order.
pub fn hidden_chars(s: &str) -> impl Iterator<Item = (usize, char)> + '_ {
    s.char_indices().filter(|&(_, c)| is_hidden(c))
}

/// Whether `s` holds any hidden character.
pub fn has_hidden(s: &str) -> bool {
    hidden_chars(s).next().is_some()
}

/// The visible marker drawn in place of hidden character `c`: `<U+202E>`.
pub fn marker(c: char) -> String {
    format!("<U+{:04X}>", c as u32)
}

/// What a few hidden characters are called, for tooltips and signal messages; `None` for the
/// rest, which are named by code point only.
pub fn hidden_name(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{00AD}' => "SOFT HYPHEN",
        '\u{061C}' => "ARABIC LETTER MARK",
        '\u{200B}' => "ZERO WIDTH SPACE",
        '\u{200C}' => "ZERO WIDTH NON-JOINER",
        '\u{200D}' => "ZERO WIDTH JOINER",
        '\u{200E}' => "LEFT-TO-RIGHT MARK",
        '\u{200F}' => "RIGHT-TO-LEFT MARK",
        '\u{2028}' => "LINE SEPARATOR",
        '\u{2029}' => "PARAGRAPH SEPARATOR",
        '\u{202A}' => "LEFT-TO-RIGHT EMBEDDING",
        '\u{202B}' => "RIGHT-TO-LEFT EMBEDDING",
        '\u{202C}' => "POP DIRECTIONAL FORMATTING",
        '\u{202D}' => "LEFT-TO-RIGHT OVERRIDE",
        '\u{202E}' => "RIGHT-TO-LEFT OVERRIDE",
        '\u{2060}' => "WORD JOINER",
        '\u{2066}' => "LEFT-TO-RIGHT ISOLATE",
        '\u{2067}' => "RIGHT-TO-LEFT ISOLATE",
        '\u{2068}' => "FIRST STRONG ISOLATE",
        '\u{2069}' => "POP DIRECTIONAL ISOLATE",
        '\u{3164}' => "HANGUL FILLER",
        '\u{FEFF}' => "ZERO WIDTH NO-BREAK SPACE",
        _ => return None,
    })
}

/// `s` with every hidden character replaced by its [`marker`]; borrowed when there is none.
pub fn reveal(s: &str) -> Cow<'_, str> {
    if !has_hidden(s) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if is_hidden(c) {
            out.push_str(&marker(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A short account of the hidden characters of `s` for a signal: each distinct one with its
/// count, in order of first appearance (`U+202E RIGHT-TO-LEFT OVERRIDE ×2, U+200B …`), or `None`
/// when there is none.
pub fn describe_hidden(s: &str) -> Option<String> {
    let mut seen: Vec<(char, usize)> = Vec::new();
    for (_, c) in hidden_chars(s) {
        match seen.iter_mut().find(|(k, _)| *k == c) {
            Some((_, n)) => *n += 1,
            None => seen.push((c, 1)),
        }
    }
    if seen.is_empty() {
        return None;
    }
    let parts: Vec<String> = seen
        .iter()
        .map(|&(c, n)| {
            let name = hidden_name(c).map(|n| format!(" {n}")).unwrap_or_default();
            let times = if n > 1 {
                format!(" ×{n}")
            } else {
                String::new()
            };
            format!("U+{:04X}{name}{times}", c as u32)
        })
        .collect();
    Some(parts.join(", "))
}

/// The TypeScript module the UI reads the same ranges from, so the window and the Rust side
/// can never disagree about which characters are hidden.
pub fn typescript_module() -> String {
    let mut out = String::from(
        "// Generated by vetter-text (crates/vetter-text/src/hidden.rs); do not edit.\n\
         /** Inclusive code point ranges of characters shown as `<U+XXXX>` markers. */\n\
         export const HIDDEN_RANGES: ReadonlyArray<readonly [number, number]> = [\n",
    );
    for (lo, hi) in HIDDEN_RANGES {
        out.push_str(&format!("  [0x{lo:04X}, 0x{hi:04X}],\n"));
    }
    out.push_str("];\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trojan_source_bidi_controls_are_hidden() {
        for c in [
            '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}',
            '\u{2068}', '\u{2069}', '\u{200E}', '\u{200F}', '\u{061C}',
        ] {
            assert!(is_hidden(c), "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn zero_width_and_other_format_characters_are_hidden() {
        for c in [
            '\u{200B}',
            '\u{200C}',
            '\u{200D}',
            '\u{2060}',
            '\u{FEFF}',
            '\u{00AD}',
            '\u{E0041}',
            '\u{1343F}',
            '\u{3164}',
            '\u{2028}',
        ] {
            assert!(is_hidden(c), "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn ordinary_text_is_not_hidden() {
        for c in [
            'a', ' ', '\t', 'é', 'ß', 'д', '中', '😀', '\u{202F}', '\u{2065}', '\u{0606}',
        ] {
            assert!(!is_hidden(c), "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn ranges_are_sorted_and_disjoint() {
        for w in HIDDEN_RANGES.windows(2) {
            assert!(w[0].0 <= w[0].1 && w[0].1 < w[1].0, "{w:x?}");
        }
    }

    #[test]
    fn reveal_draws_markers_and_borrows_clean_text() {
        let line = "if (isAdmin) { /*\u{202E} } \u{2066}if (isAdmin)\u{2069} \u{2066} begin admins only */";
        assert_eq!(
            reveal(line),
            "if (isAdmin) { /*<U+202E> } <U+2066>if (isAdmin)<U+2069> <U+2066> begin admins only */"
        );
        assert!(matches!(reveal("plain"), Cow::Borrowed("plain")));
        assert_eq!(reveal("a\u{E0041}b"), "a<U+E0041>b");
    }

    #[test]
    fn hidden_chars_report_byte_offsets() {
        let found: Vec<_> = hidden_chars("é\u{200B}x\u{202E}").collect();
        assert_eq!(found, [(2, '\u{200B}'), (6, '\u{202E}')]);
    }

    #[test]
    fn description_counts_each_character() {
        assert_eq!(
            describe_hidden("a\u{202E}b\u{202E}\u{E0041}").as_deref(),
            Some("U+202E RIGHT-TO-LEFT OVERRIDE ×2, U+E0041")
        );
        assert_eq!(describe_hidden("clean"), None);
    }

    /// Writes the ranges for the UI next to the ts-rs bindings (see `.cargo/config.toml`).
    #[test]
    fn export_bindings_hidden_chars() {
        let dir = std::env::var("TS_RS_EXPORT_DIR").unwrap_or_else(|_| {
            concat!(env!("CARGO_MANIFEST_DIR"), "/../../ui/src/bindings").to_owned()
        });
        std::fs::write(
            std::path::Path::new(&dir).join("hiddenChars.ts"),
            typescript_module(),
        )
        .unwrap();
    }
}
