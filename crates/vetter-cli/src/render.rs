//! Terminal rendering of highlighted diff lines: ANSI colours, escaping, width.
//!
//! Colours come from the highlighter's classes, never from the add-on, and every control
//! character of add-on text is shown escaped, so a hostile file cannot move the cursor, rewrite
//! earlier output or change the terminal's title.

use std::io::{self, Write};
use std::ops::Range;

use vetter_syntax::highlight::{Class, LineTokens};

/// What a line shows, which picks its background.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Unchanged line.
    Context,
    /// Removed line.
    Removed,
    /// Added line.
    Added,
    /// File header.
    Header,
    /// Hunk header.
    HunkHeader,
    /// Notes (binary files, statuses).
    Meta,
}

/// How colours are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Depth {
    None,
    Ansi256,
    TrueColor,
}

/// The colour scheme and the terminal's colour depth.
#[derive(Debug, Clone, Copy)]
pub struct Palette {
    depth: Depth,
}

type Rgb = (u8, u8, u8);

fn class_rgb(c: Class) -> Rgb {
    match c {
        Class::Plain => (220, 220, 212),
        Class::Comment => (128, 128, 120),
        Class::String | Class::Regex => (230, 219, 116),
        Class::Escape | Class::Number | Class::Constant => (174, 129, 255),
        Class::Keyword | Class::Operator | Class::Tag => (249, 38, 114),
        Class::Function | Class::Attribute => (166, 226, 46),
        Class::Type | Class::Heading | Class::Link => (102, 217, 239),
        Class::Variable => (253, 151, 31),
        Class::Property => (150, 200, 230),
        Class::Punctuation => (190, 190, 180),
        Class::Invalid => (255, 60, 60),
    }
}

/// Background of a line, and of its changed words.
fn background(style: Style, emphasis: bool) -> Option<Rgb> {
    match (style, emphasis) {
        (Style::Removed, false) => Some((70, 10, 12)),
        (Style::Removed, true) => Some((150, 25, 30)),
        (Style::Added, false) => Some((10, 55, 15)),
        (Style::Added, true) => Some((20, 115, 30)),
        _ => None,
    }
}

/// The nearest colour of the xterm 6×6×6 cube.
fn to_256((r, g, b): Rgb) -> u8 {
    let q = |v: u8| -> u8 {
        if v < 48 {
            0
        } else if v < 115 {
            1
        } else {
            (v - 35) / 40
        }
    };
    16 + 36 * q(r) + 6 * q(g) + q(b)
}

impl Palette {
    /// A palette for coloured output (truecolor when `COLORTERM` says so, else 256 colours) or
    /// for plain output.
    pub fn detect(color: bool) -> Palette {
        let depth = if !color {
            Depth::None
        } else if std::env::var("COLORTERM").is_ok_and(|v| v == "truecolor" || v == "24bit") {
            Depth::TrueColor
        } else {
            Depth::Ansi256
        };
        Palette { depth }
    }

    fn sgr(&self, fg: Option<Rgb>, bg: Option<Rgb>, bold: bool) -> String {
        let mut s = String::from("\x1b[0");
        if bold {
            s.push_str(";1");
        }
        match self.depth {
            Depth::None => return String::new(),
            Depth::TrueColor => {
                if let Some((r, g, b)) = fg {
                    s.push_str(&format!(";38;2;{r};{g};{b}"));
                }
                if let Some((r, g, b)) = bg {
                    s.push_str(&format!(";48;2;{r};{g};{b}"));
                }
            }
            Depth::Ansi256 => {
                if let Some(c) = fg {
                    s.push_str(&format!(";38;5;{}", to_256(c)));
                }
                if let Some(c) = bg {
                    s.push_str(&format!(";48;5;{}", to_256(c)));
                }
            }
        }
        s.push('m');
        s
    }

    /// Whether anything is coloured at all.
    pub fn is_colored(&self) -> bool {
        self.depth != Depth::None
    }

    /// The escape sequence that starts text in `style` (empty without colour).
    pub fn style(&self, style: Style) -> String {
        match style {
            Style::Added => self.sgr(Some((80, 220, 100)), None, false),
            Style::Removed => self.sgr(Some((240, 90, 90)), None, false),
            Style::Header => self.sgr(None, None, true),
            Style::HunkHeader => self.sgr(Some((102, 217, 239)), None, false),
            Style::Meta => self.sgr(Some((170, 170, 160)), None, false),
            Style::Context => self.sgr(None, None, false),
        }
    }

    /// The start of a diff line in `style`: its background and marker colour.
    pub fn line_start(&self, style: Style) -> String {
        self.sgr(
            Some(class_rgb(Class::Plain)),
            background(style, false),
            false,
        )
    }

    /// Bold.
    pub fn bold(&self) -> String {
        self.sgr(None, None, true)
    }

    /// Back to the terminal's default (empty without colour).
    pub fn reset(&self) -> &'static str {
        if self.depth == Depth::None {
            ""
        } else {
            "\x1b[0m"
        }
    }

    /// Writes one line's content with its tokens' colours, its style's background and stronger
    /// background on the `emphasis` ranges; stops after `max_cols` columns. Returns the columns
    /// written.
    pub fn write_tokens(
        &self,
        out: &mut impl Write,
        content: &str,
        tokens: &LineTokens,
        style: Style,
        emphasis: &[Range<u32>],
        max_cols: usize,
    ) -> io::Result<usize> {
        let mut cols = 0;
        if self.depth == Depth::None {
            return write_clipped(out, content, max_cols, &mut cols).map(|_| cols);
        }
        let mut last: Option<(Class, bool)> = None;
        let mut pos = 0usize;
        let mut pieces: Vec<(usize, usize, Class)> = Vec::with_capacity(tokens.tokens.len() + 1);
        for t in &tokens.tokens {
            let (s, e) = (t.start as usize, (t.end as usize).min(content.len()));
            if s > pos && s <= content.len() {
                pieces.push((pos, s, Class::Plain));
            }
            if s < e {
                pieces.push((s, e, t.class));
                pos = e;
            }
        }
        if pos < content.len() {
            pieces.push((pos, content.len(), Class::Plain));
        }
        let mut ei = 0;
        for (s, e, class) in pieces {
            let mut at = s;
            while at < e {
                // Split the token at emphasis boundaries.
                while ei < emphasis.len() && (emphasis[ei].end as usize) <= at {
                    ei += 1;
                }
                let (emph, until) = match emphasis.get(ei) {
                    Some(r) if (r.start as usize) <= at => (true, (r.end as usize).min(e)),
                    Some(r) => (false, (r.start as usize).min(e)),
                    None => (false, e),
                };
                let until = if content.is_char_boundary(until) {
                    until
                } else {
                    e
                };
                if last != Some((class, emph)) {
                    let sgr = self.sgr(Some(class_rgb(class)), background(style, emph), false);
                    out.write_all(sgr.as_bytes())?;
                    last = Some((class, emph));
                }
                if !write_clipped(out, &content[at..until], max_cols, &mut cols)? {
                    return Ok(cols);
                }
                at = until;
            }
        }
        Ok(cols)
    }
}

/// Writes `s` escaped, stopping at `max_cols` columns; false when the limit was reached.
fn write_clipped(
    out: &mut impl Write,
    s: &str,
    max_cols: usize,
    cols: &mut usize,
) -> io::Result<bool> {
    if max_cols == usize::MAX {
        write_escaped(out, s)?;
        return Ok(true);
    }
    for c in s.chars() {
        let w = if c == '\t' {
            4
        } else if vetter_text::is_hidden(c) {
            vetter_text::marker(c).len()
        } else {
            1
        };
        if *cols + w > max_cols {
            return Ok(false);
        }
        if c == '\t' {
            out.write_all(b"    ")?;
        } else {
            let mut buf = [0u8; 4];
            write_escaped(out, c.encode_utf8(&mut buf))?;
        }
        *cols += w;
    }
    Ok(true)
}

/// Whether a char would act on the terminal instead of being shown.
fn is_control(c: char) -> bool {
    c != '\t' && c.is_control()
}

/// Writes add-on text with control characters (ESC, CR, BEL, C1 controls, ...) shown escaped
/// and hidden characters (bidi controls, zero-width and other format characters) drawn as
/// `<U+XXXX>` markers, so the terminal shows the text as the compiler reads it.
pub fn write_escaped(out: &mut impl Write, s: &str) -> io::Result<()> {
    // Fast path: printable ASCII and tabs only (every control and hidden character is either
    // below 0x20, DEL, or outside ASCII).
    if !s.bytes().any(|b| (b < 0x20 && b != b'\t') || b >= 0x7f) {
        return out.write_all(s.as_bytes());
    }
    let mut start = 0;
    for (i, c) in s.char_indices() {
        if is_control(c) {
            out.write_all(&s.as_bytes()[start..i])?;
            write!(out, "{}", c.escape_default())?;
            start = i + c.len_utf8();
        } else if vetter_text::is_hidden(c) {
            out.write_all(&s.as_bytes()[start..i])?;
            out.write_all(vetter_text::marker(c).as_bytes())?;
            start = i + c.len_utf8();
        }
    }
    out.write_all(&s.as_bytes()[start..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(s: &str) -> String {
        let mut v = Vec::new();
        write_escaped(&mut v, s).unwrap();
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn terminal_escapes_in_addon_text_are_neutralised() {
        assert_eq!(escaped("a\x1b]0;pwned\x07b"), "a\\u{1b}]0;pwned\\u{7}b");
        assert_eq!(escaped("x\u{9b}31m"), "x\\u{9b}31m");
        assert_eq!(escaped("tab\tok é"), "tab\tok é");
    }

    #[test]
    fn hidden_characters_in_addon_text_are_drawn_as_markers() {
        assert_eq!(
            escaped("/*\u{202E} } \u{2066}if (isAdmin)\u{2069} */"),
            "/*<U+202E> } <U+2066>if (isAdmin)<U+2069> */"
        );
        assert_eq!(escaped("a\u{200B}b\u{AD}"), "a<U+200B>b<U+00AD>");
        let mut v = Vec::new();
        let mut cols = 0;
        // The marker is what the terminal shows, so it is what the width counts.
        assert!(!write_clipped(&mut v, "ab\u{202E}cd", 6, &mut cols).unwrap());
        assert_eq!(String::from_utf8(v).unwrap(), "ab");
    }

    #[test]
    fn plain_palette_writes_text_only() {
        let p = Palette::detect(false);
        let mut v = Vec::new();
        let toks = LineTokens::default();
        p.write_tokens(
            &mut v,
            "let a;",
            &toks,
            Style::Added,
            &[0..3, 4..5],
            usize::MAX,
        )
        .unwrap();
        assert_eq!(v, b"let a;");
    }

    #[test]
    fn clipping_counts_tabs_as_four_columns() {
        let mut v = Vec::new();
        let mut cols = 0;
        let done = write_clipped(&mut v, "\tabcdef", 6, &mut cols).unwrap();
        assert!(!done);
        assert_eq!((v.as_slice(), cols), (b"    ab".as_slice(), 6));
    }

    #[test]
    fn cube_colours_map_to_the_xterm_range() {
        assert_eq!(to_256((0, 0, 0)), 16);
        assert_eq!(to_256((255, 255, 255)), 231);
    }
}
