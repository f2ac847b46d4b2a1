//! The line diff, intraline diff and the highlighter on two arbitrary texts: the input is split
//! at its first NUL into the old and new side.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vetter_diff::{IntralineOptions, LineOptions, diff_lines, intraline};
use vetter_syntax::highlight::{HighlightOptions, Highlighter};
use vetter_text::TextLines;

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|b| *b == 0).unwrap_or(data.len());
    let (old, new) = (&data[..split], data.get(split + 1..).unwrap_or(&[]));
    let (old, new) = (TextLines::decode(old), TextLines::decode(new));
    let diff = diff_lines(&old, &new, &LineOptions::default());
    for hunk in diff.hunks(3) {
        let _ = diff.rows(&hunk);
    }
    let _ = intraline(old.text(), new.text(), &IntralineOptions::default());
    for path in ["a.js", "a.css", "a.html", "a.json"] {
        let mut highlighter = Highlighter::for_text(path, &new, HighlightOptions::default());
        let _ = highlighter.highlight(&new, 0..new.len());
    }
});
