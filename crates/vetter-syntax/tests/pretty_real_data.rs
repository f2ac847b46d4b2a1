//! Pretty-printing pdf.js's minified worker (fetched by `bench/fetch-data`, see
//! docs/bench-data.md): laid out by oxc's printer, every token survives byte for byte, the
//! result is the same program by oxc's own reading, and sampled positions map back to the same
//! token in the original. The fetch runs first and a failure fails the test.

use std::path::Path;
use std::process::Command;

use vetter_syntax::pretty::{LaidOutBy, Position, PrettyLang, pretty_print};

fn worker() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new(root.join("bench/fetch-data"))
        .current_dir(&root)
        .output()
        .expect("bench/fetch-data runs");
    assert!(
        out.status.success(),
        "bench/fetch-data failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(
        root.join("target/bench-data/trees/pdfjs-dist-6.5.438/build/pdf.worker.min.mjs"),
    )
    .expect("the worker is UTF-8")
}

/// oxc's printout of `src` parsed as a module.
fn program(src: &str) -> String {
    let allocator = oxc_allocator::Allocator::default();
    let parsed = oxc_parser::Parser::new(&allocator, src, oxc_span::SourceType::mjs()).parse();
    assert!(!parsed.diagnostics.has_errors(), "parses as a module");
    oxc_codegen::Codegen::new().build(&parsed.program).code
}

/// The text at `pos` up to the next whitespace (at most 40 bytes).
fn word_at(text: &str, pos: Position) -> String {
    let line = text.split('\n').nth(pos.line as usize - 1).unwrap();
    line[pos.column as usize..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .take(40)
        .collect()
}

#[test]
fn minified_worker_maps_sampled_positions_back_to_the_same_token() {
    let src = worker();
    let original_lines = src.lines().count();
    let pretty = pretty_print(&src, PrettyLang::Js).unwrap();
    assert_eq!(pretty.laid_out_by, LaidOutBy::Formatter);
    // oxc reads both texts as one program: its printout of each is the same.
    assert!(
        program(&pretty.text) == program(&src),
        "the pretty text is a different program"
    );
    let squash = |s: &str| -> String { s.chars().filter(|c| !c.is_whitespace()).collect() };
    assert_eq!(
        squash(&pretty.text),
        squash(&src),
        "only whitespace changes"
    );
    assert!(
        pretty.line_count() > original_lines * 20,
        "{} lines from {original_lines}",
        pretty.line_count()
    );
    let lines: Vec<&str> = pretty.text.split('\n').collect();
    let mut checked = 0;
    eprintln!("{} pretty lines from {original_lines}", lines.len());
    // Every 7th line, the first token on it and one in its middle.
    for (i, line) in lines.iter().enumerate().step_by(7) {
        let indent = line.len() - line.trim_start().len();
        for col in [indent, indent + (line.len() - indent) / 2] {
            if col >= line.len() || !line.is_char_boundary(col) {
                continue;
            }
            let at = Position {
                line: i as u32 + 1,
                column: col as u32,
            };
            let original = pretty.to_original(at).unwrap();
            let want = word_at(&pretty.text, at);
            if want.is_empty() {
                continue;
            }
            let got = word_at(&src, original);
            assert!(
                got.starts_with(&want) || want.starts_with(&got) && !got.is_empty(),
                "pretty {at:?} {want:?} maps to original {original:?} {got:?}"
            );
            assert_eq!(pretty.to_pretty(original), Some(at), "round trip of {at:?}");
            checked += 1;
        }
    }
    assert!(checked > 2000, "sampled {checked} positions");
}
