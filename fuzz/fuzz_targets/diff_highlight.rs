//! The line diff, the intraline diff of paired rows and the highlighter on two arbitrary texts.
//! Besides not panicking, every row must point at lines that exist, every intraline range must
//! lie inside its line, and highlighting must cover each whole line
//! (a truncated line included: its unparsed rest is one plain span).
#![no_main]

use libfuzzer_sys::fuzz_target;
use vetter_diff::{FileDiff, IntralineOptions, LineOptions, RowKind, Whitespace};
use vetter_syntax::highlight::{HighlightOptions, Highlighter};
use vetter_text::TextLines;

/// The highlighter's languages, by file name: the built-in lexers, and one syntect grammar
/// (HTML, which embeds its JavaScript and CSS grammars). syntect's regex engine costs about
/// thirty times the built-in lexers per byte, so it gets one execution in sixteen.
const PATHS: [&str; 16] = [
    "a.js", "a.ts", "a.json", "a.css", "a.mjs", "a.jsx", "a.cjs", "a.css", "a.js", "a.ts",
    "a.json", "a.css", "a.mjs", "a.jsx", "a.cjs", "a.html",
];

/// Paired rows given an intraline diff per execution: about what the first screen of a diff
/// shows, and what keeps an execution short when every line of a large input is paired.
const INTRALINE_ROWS: usize = 64;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the whitespace mode (bits 0-1) and the language (bits 2-5), so one
    // execution runs one combination, as the app does for one file; the rest is split at its
    // first NUL into the old and the new side.
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let whitespace = match mode & 3 {
        0 | 3 => Whitespace::All,
        1 => Whitespace::IgnoreTrailing,
        _ => Whitespace::IgnoreAll,
    };
    let split = rest.iter().position(|b| *b == 0).unwrap_or(rest.len());
    let (old, new) = (&rest[..split], rest.get(split + 1..).unwrap_or(&[]));
    let (old, new) = (TextLines::decode(old), TextLines::decode(new));
    let options = LineOptions {
        whitespace,
        ..LineOptions::default()
    };
    let diff = FileDiff::new(old, new, &options);
    // A small middle keeps an execution short; the cut-off path is part of what is checked.
    let intra = IntralineOptions {
        max_middle: 128,
        ..IntralineOptions::default()
    };
    let mut paired = 0;
    for hunk in diff.lines.hunks(3) {
        for row in diff.lines.rows(&hunk) {
            if let Some(line) = row.old_line {
                assert!(
                    (line as usize) < diff.old.len(),
                    "{row:?} past the old side"
                );
            }
            if let Some(line) = row.new_line {
                assert!(
                    (line as usize) < diff.new.len(),
                    "{row:?} past the new side"
                );
            }
            if row.pair.is_none() || paired == INTRALINE_ROWS {
                continue;
            }
            paired += 1;
            let Some(changes) = diff.intraline(&row, &intra) else {
                continue;
            };
            let pair = row.pair.expect("only paired rows have intraline changes") as usize;
            let (old_line, new_line) = match row.kind {
                RowKind::Removed => (row.old_line.unwrap() as usize, pair),
                _ => (pair, row.new_line.unwrap() as usize),
            };
            for (ranges, text) in [
                (&changes.old, diff.old.content(old_line)),
                (&changes.new, diff.new.content(new_line)),
            ] {
                let mut end = 0;
                for r in ranges {
                    assert!(end <= r.start && r.start <= r.end, "{ranges:?} unsorted");
                    assert!(
                        r.end as usize <= text.len(),
                        "{r:?} past {} bytes",
                        text.len()
                    );
                    end = r.end;
                }
            }
        }
    }
    let path = PATHS[usize::from(mode >> 2) & 15];
    let mut highlighter = Highlighter::for_text(path, &diff.new, HighlightOptions::default());
    let lines = highlighter
        .highlight(&diff.new, 0..diff.new.len())
        .expect("the whole text is in range");
    for line in &lines {
        let joined: String = line.spans.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(joined, diff.new.content(line.line as usize), "{path}");
    }
});
