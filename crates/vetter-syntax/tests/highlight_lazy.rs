//! The highlighter serves any line range without a full pass, bounded on hostile lines.

use vetter_syntax::highlight::{
    ChosenBy, Class, Engine, HighlightOptions, Highlighter, choose_syntax,
};
use vetter_text::TextLines;

fn js_file(lines: usize) -> String {
    let mut s = String::from("/* header comment\n   spanning lines */\n");
    for i in 0..lines {
        match i % 5 {
            0 => s.push_str(&format!("const v{i} = `tmpl ${{a + {i}}}\n")),
            1 => s.push_str("  still template` + f(\"str\");\n"),
            2 => s.push_str(&format!("/* c{i}\n")),
            3 => s.push_str("  */ let re = /ab+c/g;\n"),
            _ => s.push_str("obj.prop = 42; // trailing\n"),
        }
    }
    s
}

#[test]
fn a_range_reached_through_checkpoints_matches_a_full_pass() {
    let src = js_file(2_000);
    let text = TextLines::from_text(&src);
    let opts = HighlightOptions {
        checkpoint_every: 64,
        ..HighlightOptions::default()
    };
    let mut full = Highlighter::for_text("a.js", &text, opts);
    let all = full.tokens(&text, 0..text.len()).unwrap();
    let mut lazy = Highlighter::for_text("a.js", &text, opts);
    // Jump far ahead first, then back into the middle: both must agree with the full pass.
    for range in [1500..1560, 700..760, 0..10, 1990..text.len()] {
        let got = lazy.tokens(&text, range.clone()).unwrap();
        assert_eq!(got, all[range].to_vec());
    }
}

#[test]
fn comment_state_carries_across_lines() {
    let src = js_file(10);
    let text = TextLines::from_text(&src);
    let mut h = Highlighter::for_text("a.js", &text, HighlightOptions::default());
    let lines = h.highlight(&text, 1..2).unwrap();
    assert_eq!(
        lines[0].spans.iter().map(|s| s.class).collect::<Vec<_>>(),
        vec![Class::Comment]
    );
    let joined: String = lines[0].spans.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(joined, text.content(1));
}

#[test]
fn spans_cover_each_line_exactly_without_terminator() {
    let src = "a = 1;\r\nb = 'x';\nlast";
    let text = TextLines::from_text(src);
    let mut h = Highlighter::for_text("x.mjs", &text, HighlightOptions::default());
    for line in h.highlight(&text, 0..3).unwrap() {
        let joined: String = line.spans.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(joined, text.content(line.line as usize));
    }
}

#[test]
fn giant_line_is_highlighted_up_to_the_limit_then_plain() {
    let src = "var a=1;".repeat(500_000) + "\n";
    let text = TextLines::from_text(&src);
    let opts = HighlightOptions::default();
    let mut h = Highlighter::for_text("big.js", &text, opts);
    let line = &h.tokens(&text, 0..1).unwrap()[0];
    assert!(line.truncated);
    let tail = line.tokens.last().unwrap();
    assert_eq!(tail.class, Class::Plain);
    assert_eq!(tail.end as usize, src.len() - 1);
    assert!(line.tokens.len() < opts.max_line_bytes);
}

#[test]
fn deeply_nested_json_stays_bounded() {
    let src = "[".repeat(100_000);
    let text = TextLines::from_text(&src);
    let mut h = Highlighter::for_text("deep.json", &text, HighlightOptions::default());
    let line = &h.tokens(&text, 0..1).unwrap()[0];
    assert!(line.truncated);
}

#[test]
fn syntect_grammars_serve_markup_and_survive_deep_nesting() {
    let src = "<svg xmlns=\"http://www.w3.org/2000/svg\"><path d=\"M0\"/></svg>\n".to_owned()
        + &"<g>".repeat(5_000)
        + "\n<!-- done -->\n";
    let text = TextLines::from_text(&src);
    let mut h = Highlighter::for_text("icon.svg", &text, HighlightOptions::default());
    assert_eq!(h.syntax().engine, Engine::Syntect);
    let lines = h.highlight(&text, 0..3).unwrap();
    assert!(
        lines[0]
            .spans
            .iter()
            .any(|s| s.class == Class::Tag && s.text == "svg")
    );
    assert!(lines[2].spans.iter().any(|s| s.class == Class::Comment));
}

#[test]
fn grammar_is_chosen_by_extension_then_first_line() {
    assert_eq!(choose_syntax("lib/a.mjs", "").name, "JavaScript");
    assert_eq!(choose_syntax("types/a.d.ts", "").name, "TypeScript");
    assert_eq!(choose_syntax("manifest.json", "").name, "JSON");
    assert_eq!(choose_syntax("x.css", "").name, "CSS");
    assert_eq!(choose_syntax("popup.html", "").name, "HTML");
    assert_eq!(choose_syntax("README.md", "").name, "Markdown");
    assert_eq!(choose_syntax("icon.svg", "").name, "XML");
    let shebang = choose_syntax("bin/tool", "#!/usr/bin/env node");
    assert_eq!(
        (shebang.name.as_str(), shebang.by),
        ("JavaScript", ChosenBy::FirstLine)
    );
    let xml = choose_syntax("data", "<?xml version=\"1.0\"?>");
    assert_eq!((xml.name.as_str(), xml.by), ("XML", ChosenBy::FirstLine));
    assert_eq!(
        choose_syntax("LICENSE", "MIT License").by,
        ChosenBy::Fallback
    );
}

#[test]
fn out_of_range_request_is_an_error_not_a_panic() {
    let text = TextLines::from_text("a\nb\n");
    let mut h = Highlighter::for_text("a.js", &text, HighlightOptions::default());
    assert!(h.tokens(&text, 1..5).is_err());
}
