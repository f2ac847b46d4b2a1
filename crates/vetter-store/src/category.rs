//! A coarse kind for each stored file, so lists can show icons and filters without reading bytes.
//!
//! The extension decides when it is known; otherwise a NUL byte in the first 8 KiB means binary
//! (the same rule git uses). The diff engine does its own finer text detection.

use serde::Serialize;
use ts_rs::TS;

/// What kind of content a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum FileCategory {
    /// Script, style, markup or data that a reviewer reads: js, css, html, json, …
    Code,
    /// Other readable text: txt, md, licences, unknown extensions without NUL bytes.
    Text,
    /// Raster or vector images.
    Image,
    /// Font files.
    Font,
    /// Audio and video.
    Media,
    /// Nested archives (zip, jar, xpi, …).
    Archive,
    /// Anything else that is not text: wasm, binaries, unknown data.
    Binary,
}

impl FileCategory {
    /// The lowercase name, as JSON and the UI spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            FileCategory::Code => "code",
            FileCategory::Text => "text",
            FileCategory::Image => "image",
            FileCategory::Font => "font",
            FileCategory::Media => "media",
            FileCategory::Archive => "archive",
            FileCategory::Binary => "binary",
        }
    }

    /// The code stored in the `files.category` column.
    pub fn code(self) -> i64 {
        match self {
            FileCategory::Code => 0,
            FileCategory::Text => 1,
            FileCategory::Image => 2,
            FileCategory::Font => 3,
            FileCategory::Media => 4,
            FileCategory::Archive => 5,
            FileCategory::Binary => 6,
        }
    }

    /// Parses a stored code; `None` for anything else (a hostile or newer row).
    pub fn from_code(code: i64) -> Option<FileCategory> {
        Some(match code {
            0 => FileCategory::Code,
            1 => FileCategory::Text,
            2 => FileCategory::Image,
            3 => FileCategory::Font,
            4 => FileCategory::Media,
            5 => FileCategory::Archive,
            6 => FileCategory::Binary,
            _ => return None,
        })
    }

    /// Parses a name as [`FileCategory::as_str`] writes it; `None` for anything else.
    pub fn parse(name: &str) -> Option<FileCategory> {
        Some(match name {
            "code" => FileCategory::Code,
            "text" => FileCategory::Text,
            "image" => FileCategory::Image,
            "font" => FileCategory::Font,
            "media" => FileCategory::Media,
            "archive" => FileCategory::Archive,
            "binary" => FileCategory::Binary,
            _ => return None,
        })
    }

    /// Classifies a file by its path's extension, then by its bytes.
    pub fn classify(path: &str, data: &[u8]) -> FileCategory {
        let file_name = path.rsplit('/').next().unwrap_or(path);
        let ext = match file_name.rsplit_once('.') {
            Some((stem, ext)) if !stem.is_empty() => ext.to_ascii_lowercase(),
            _ => String::new(),
        };
        match ext.as_str() {
            "js" | "mjs" | "cjs" | "jsx" | "ts" | "tsx" | "css" | "scss" | "less" | "html"
            | "htm" | "xhtml" | "xul" | "json" | "map" | "xml" | "rdf" | "dtd" | "ftl"
            | "properties" | "sh" | "py" | "wat" => FileCategory::Code,
            "txt" | "md" | "markdown" | "rst" | "csv" | "tsv" | "yml" | "yaml" | "toml" | "ini" => {
                FileCategory::Text
            }
            "png" | "jpg" | "jpeg" | "gif" | "webp" | "bmp" | "ico" | "svg" | "avif" | "apng"
            | "tif" | "tiff" => FileCategory::Image,
            "woff" | "woff2" | "ttf" | "otf" | "eot" | "pfb" => FileCategory::Font,
            "mp3" | "ogg" | "oga" | "wav" | "flac" | "opus" | "mp4" | "webm" | "ogv" | "m4a" => {
                FileCategory::Media
            }
            "zip" | "xpi" | "jar" | "crx" | "gz" | "tgz" | "bz2" | "xz" | "zst" | "7z" | "rar"
            | "tar" => FileCategory::Archive,
            "wasm" | "bin" | "dat" | "so" | "dll" | "dylib" | "exe" => FileCategory::Binary,
            _ => {
                let head = &data[..data.len().min(8192)];
                if head.contains(&0) {
                    FileCategory::Binary
                } else {
                    FileCategory::Text
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_extensions_decide_regardless_of_case() {
        assert_eq!(FileCategory::classify("a/b.MJS", b""), FileCategory::Code);
        assert_eq!(
            FileCategory::classify("icon.svg", b"<svg/>"),
            FileCategory::Image
        );
        assert_eq!(FileCategory::classify("f.woff2", b""), FileCategory::Font);
        assert_eq!(
            FileCategory::classify("x.wasm", b"\0asm"),
            FileCategory::Binary
        );
        assert_eq!(
            FileCategory::classify("lib.jar", b"PK"),
            FileCategory::Archive
        );
    }

    #[test]
    fn unknown_extension_is_sniffed_for_nul_bytes() {
        assert_eq!(
            FileCategory::classify("LICENSE", b"MPL"),
            FileCategory::Text
        );
        assert_eq!(
            FileCategory::classify("cmaps/Adobe-GB1", b"\x02\0\x01"),
            FileCategory::Binary
        );
        assert_eq!(FileCategory::classify(".hidden", b"x"), FileCategory::Text);
    }

    #[test]
    fn stored_names_and_codes_round_trip() {
        for c in [
            FileCategory::Code,
            FileCategory::Text,
            FileCategory::Image,
            FileCategory::Font,
            FileCategory::Media,
            FileCategory::Archive,
            FileCategory::Binary,
        ] {
            assert_eq!(FileCategory::parse(c.as_str()), Some(c));
            assert_eq!(FileCategory::from_code(c.code()), Some(c));
        }
        assert_eq!(FileCategory::parse("exe"), None);
        assert_eq!(FileCategory::from_code(7), None);
    }
}
