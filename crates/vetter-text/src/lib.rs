//! Text decoding of add-on files: UTF-8, UTF-16 with BOM, Latin-1 fallback.
//!
//! Add-on files carry no declared encoding, so the diff has to guess, and a reviewer must be able
//! to see the guess: every decode reports which encoding was chosen and whether any bytes had to be
//! replaced. Binary and image files are told apart first so they never reach the line differ.
//! Characters that change how text reads without being seen are found in [`hidden`].

pub mod hidden;

use std::borrow::Cow;

pub use hidden::{
    HIDDEN_RANGES, describe_hidden, has_hidden, hidden_chars, hidden_name, is_hidden, marker,
    reveal,
};
use serde::Serialize;
use ts_rs::TS;

/// How many leading bytes are inspected for a NUL byte, the same window git uses, so that Vetter
/// and `git diff` call the same files binary.
pub const BINARY_SNIFF_LEN: usize = 8000;

/// The encoding a file was decoded with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum TextEncoding {
    /// Valid UTF-8 without a byte order mark.
    Utf8,
    /// UTF-8 that starts with the byte order mark EF BB BF (the mark is removed from the text).
    Utf8Bom,
    /// UTF-16 little endian, announced by the byte order mark FF FE.
    Utf16Le,
    /// UTF-16 big endian, announced by the byte order mark FE FF.
    Utf16Be,
    /// Not valid UTF-8 and no byte order mark: decoded byte by byte as windows-1252, which is what
    /// the web (and Firefox) means by "latin1". Every byte maps to one character, so nothing is lost.
    Latin1,
}

/// What kind of content a file holds, which decides how the diff shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum FileKind {
    /// Text that can be decoded and diffed line by line.
    Text,
    /// A raster image (PNG, JPEG, GIF, WebP, BMP, ICO), recognised by its magic bytes.
    Image,
    /// Anything else with a NUL byte near the start: fonts, WebAssembly, archives.
    Binary,
}

/// Decoded text together with the decision that produced it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded<'a> {
    /// The text; borrowed when the bytes were already UTF-8.
    pub text: Cow<'a, str>,
    /// Which encoding was chosen.
    pub encoding: TextEncoding,
    /// Whether malformed sequences were replaced with U+FFFD (only possible for UTF-16).
    pub had_errors: bool,
}

/// Recognises raster images by their magic bytes.
fn is_image(bytes: &[u8]) -> bool {
    const MAGICS: &[&[u8]] = &[
        b"\x89PNG\r\n\x1a\n",
        b"\xff\xd8\xff",
        b"GIF87a",
        b"GIF89a",
        b"\x00\x00\x01\x00",
    ];
    if MAGICS.iter().any(|m| bytes.starts_with(m)) {
        return true;
    }
    if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return true;
    }
    // "BM" alone is too common at the start of text; require the BMP header's reserved zeros.
    bytes.len() >= 14 && &bytes[..2] == b"BM" && bytes[6..10] == [0, 0, 0, 0]
}

/// Whether the bytes start with a UTF-16 byte order mark.
fn utf16_bom(bytes: &[u8]) -> Option<TextEncoding> {
    match bytes {
        [0xFF, 0xFE, ..] => Some(TextEncoding::Utf16Le),
        [0xFE, 0xFF, ..] => Some(TextEncoding::Utf16Be),
        _ => None,
    }
}

/// Tells text, images and other binary content apart.
///
/// UTF-16 with a byte order mark is text even though it is full of NUL bytes; otherwise a NUL in
/// the first [`BINARY_SNIFF_LEN`] bytes means binary, as in git.
pub fn classify(bytes: &[u8]) -> FileKind {
    if is_image(bytes) {
        return FileKind::Image;
    }
    if utf16_bom(bytes).is_some() {
        return FileKind::Text;
    }
    let window = &bytes[..bytes.len().min(BINARY_SNIFF_LEN)];
    if window.contains(&0) {
        FileKind::Binary
    } else {
        FileKind::Text
    }
}

/// Decodes bytes as text: UTF-16 when a byte order mark says so, UTF-8 when valid (with or
/// without its mark), and windows-1252 ("Latin-1") otherwise.
///
/// Never fails: the Latin-1 fallback maps every byte to a character.
pub fn decode(bytes: &[u8]) -> Decoded<'_> {
    if let Some(encoding) = utf16_bom(bytes) {
        let codec = if encoding == TextEncoding::Utf16Le {
            encoding_rs::UTF_16LE
        } else {
            encoding_rs::UTF_16BE
        };
        let (text, had_errors) = codec.decode_with_bom_removal(bytes);
        return Decoded {
            text,
            encoding,
            had_errors,
        };
    }
    let (body, encoding) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (rest, TextEncoding::Utf8Bom),
        None => (bytes, TextEncoding::Utf8),
    };
    match std::str::from_utf8(body) {
        Ok(text) => Decoded {
            text: Cow::Borrowed(text),
            encoding,
            had_errors: false,
        },
        Err(_) => {
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
            Decoded {
                text,
                encoding: TextEncoding::Latin1,
                had_errors: false,
            }
        }
    }
}

/// A decoded text split into lines, the shape the differ and the highlighter share.
///
/// Lines keep their terminators internally so that, as in git, a last line without a newline
/// differs from the same line with one, and `\r\n` differs from `\n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextLines<'a> {
    text: Cow<'a, str>,
    /// Byte offset of the start of each line, plus one final entry at `text.len()`.
    starts: Vec<usize>,
    encoding: TextEncoding,
    had_errors: bool,
}

impl<'a> TextLines<'a> {
    /// Decodes `bytes` (see [`decode`]) and indexes its lines.
    pub fn decode(bytes: &'a [u8]) -> TextLines<'a> {
        let d = decode(bytes);
        TextLines::from_decoded(d)
    }

    /// Indexes the lines of already decoded text.
    pub fn from_decoded(d: Decoded<'a>) -> TextLines<'a> {
        let mut starts = Vec::with_capacity(d.text.len() / 40 + 2);
        starts.push(0);
        starts.extend(
            d.text
                .bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        if *starts.last().unwrap_or(&0) != d.text.len() {
            starts.push(d.text.len());
        }
        TextLines {
            text: d.text,
            starts,
            encoding: d.encoding,
            had_errors: d.had_errors,
        }
    }

    /// Indexes a plain string (used for tests and generated text).
    pub fn from_text(text: &'a str) -> TextLines<'a> {
        TextLines::from_decoded(Decoded {
            text: Cow::Borrowed(text),
            encoding: TextEncoding::Utf8,
            had_errors: false,
        })
    }

    /// An empty text (the missing side of an added or deleted file).
    pub fn empty() -> TextLines<'static> {
        TextLines::from_text("")
    }

    /// The number of lines; a final line without a newline counts, an empty text has none.
    pub fn len(&self) -> usize {
        self.starts.len() - 1
    }

    /// Whether the text has no lines.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The whole text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The encoding the text was decoded with.
    pub fn encoding(&self) -> TextEncoding {
        self.encoding
    }

    /// Whether decoding replaced malformed sequences.
    pub fn had_errors(&self) -> bool {
        self.had_errors
    }

    /// Line `i` including its terminator; empty when `i` is out of range.
    pub fn content_with_newline(&self, i: usize) -> &str {
        match (self.starts.get(i), self.starts.get(i + 1)) {
            (Some(&a), Some(&b)) => &self.text[a..b],
            _ => "",
        }
    }

    /// Line `i` without its `\n` or `\r\n`; empty when `i` is out of range.
    pub fn content(&self, i: usize) -> &str {
        let line = self.content_with_newline(i);
        let line = line.strip_suffix('\n').unwrap_or(line);
        line.strip_suffix('\r').unwrap_or(line)
    }

    /// Whether line `i` ends without a newline (only possible for the last line).
    pub fn missing_newline(&self, i: usize) -> bool {
        i < self.len() && !self.content_with_newline(i).ends_with('\n')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_utf8_is_borrowed_and_reported() {
        let d = decode("héllo\n".as_bytes());
        assert_eq!(d.encoding, TextEncoding::Utf8);
        assert!(matches!(d.text, Cow::Borrowed("héllo\n")));
    }

    #[test]
    fn utf8_bom_is_removed_and_reported() {
        let d = decode(b"\xEF\xBB\xBFvar a;\n");
        assert_eq!(d.encoding, TextEncoding::Utf8Bom);
        assert_eq!(d.text, "var a;\n");
    }

    #[test]
    fn utf16_le_and_be_with_bom_decode() {
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("hé\n".encode_utf16().flat_map(|u| u.to_le_bytes()))
            .collect();
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain("hé\n".encode_utf16().flat_map(|u| u.to_be_bytes()))
            .collect();
        let d = decode(&le);
        assert_eq!(
            (d.text.as_ref(), d.encoding),
            ("hé\n", TextEncoding::Utf16Le)
        );
        let d = decode(&be);
        assert_eq!(
            (d.text.as_ref(), d.encoding),
            ("hé\n", TextEncoding::Utf16Be)
        );
        assert_eq!(classify(&le), FileKind::Text);
    }

    #[test]
    fn odd_length_utf16_reports_replacement() {
        let d = decode(&[0xFF, 0xFE, b'a', 0, b'b']);
        assert_eq!(d.encoding, TextEncoding::Utf16Le);
        assert!(d.had_errors);
    }

    #[test]
    fn invalid_utf8_falls_back_to_latin1_losslessly() {
        let d = decode(b"caf\xe9 \x80\n");
        assert_eq!(d.encoding, TextEncoding::Latin1);
        assert_eq!(d.text, "café €\n");
    }

    #[test]
    fn nul_byte_means_binary_and_magic_means_image() {
        assert_eq!(classify(b"\0asm\x01\0\0\0"), FileKind::Binary);
        assert_eq!(classify(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), FileKind::Image);
        assert_eq!(classify(b"GIF89a\x01\0"), FileKind::Image);
        assert_eq!(
            classify(b"BM is a fine way to start a text file"),
            FileKind::Text
        );
        assert_eq!(classify(b"function f() {}\n"), FileKind::Text);
    }

    #[test]
    fn lines_count_a_final_line_without_newline() {
        let t = TextLines::from_text("a\r\nb\nc");
        assert_eq!(t.len(), 3);
        assert_eq!(t.content(0), "a");
        assert_eq!(t.content_with_newline(0), "a\r\n");
        assert_eq!(t.content(2), "c");
        assert!(t.missing_newline(2));
        assert!(!t.missing_newline(1));
        assert_eq!(TextLines::from_text("x\n").len(), 1);
        assert_eq!(TextLines::from_text("").len(), 0);
    }

    #[test]
    fn nul_after_the_sniff_window_is_still_text_like_git() {
        let mut bytes = vec![b'a'; BINARY_SNIFF_LEN];
        bytes.push(0);
        assert_eq!(classify(&bytes), FileKind::Text);
    }
}
