//! The pretty-printer on arbitrary text: it must not panic, its output must keep every
//! non-whitespace byte of the input, in order, and its position map must point inside both texts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vetter_syntax::pretty::{Position, PrettyLang, pretty_print};

/// The byte offset of a position in `text`, if it is inside it.
fn offset(text: &str, pos: Position) -> Option<usize> {
    let start = if pos.line == 1 {
        0
    } else {
        text.match_indices('\n').nth(pos.line as usize - 2)?.0 + 1
    };
    let line_end = text[start..].find('\n').map_or(text.len(), |n| start + n);
    let at = start + pos.column as usize;
    (at <= line_end).then_some(at)
}

fuzz_target!(|data: &[u8]| {
    // The first byte picks the language, so one execution formats the text once, as the app
    // does; the rest is the text.
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let lang = match mode % 3 {
        0 => PrettyLang::Js,
        1 => PrettyLang::Json,
        _ => PrettyLang::Css,
    };
    if let Ok(pretty) = pretty_print(text, lang) {
        let squash = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
        assert_eq!(
            squash(&pretty.text),
            squash(text),
            "{lang:?} changed the code"
        );
        // The first token of each pretty line maps back to the same bytes of the original.
        for (i, line) in pretty.text.split('\n').enumerate() {
            let Some(column) = line.find(|c: char| !c.is_whitespace()) else {
                continue;
            };
            let at = Position {
                line: i as u32 + 1,
                column: column as u32,
            };
            let back = pretty
                .to_original(at)
                .expect("a position of the pretty text");
            let from = offset(text, back).expect("mapped inside the original");
            let ch = line[column..].chars().next().unwrap();
            assert!(
                text[from..].starts_with(ch),
                "{lang:?}: pretty {at:?} ({ch:?}) maps to original {back:?}"
            );
        }
    }
});
