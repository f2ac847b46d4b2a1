//! Pretty-printing times on pdf.js's minified workers (fetched by `bench/fetch-data`): the
//! formatter layout Vetter uses (oxc's printer, original bytes kept, exact position map)
//! against its peers: oxc parsing and printing alone (the layout's own cost, no map) and the
//! token reformatter (the fallback, and the only layout before issue 16).
//!
//! Run with `bench/pretty` (or `cargo bench -p vetter-syntax --bench pretty`). Prints figures.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use oxc_allocator::Allocator;
use oxc_codegen::Codegen;
use oxc_parser::Parser;
use oxc_span::SourceType;
use vetter_syntax::pretty::{LaidOutBy, PrettyLang, pretty_print, pretty_print_tokens};

const PDFJS: &[&str] = &["5.7.284", "6.4.299", "6.5.438"];
const RUNS: usize = 7;

/// The median time of `RUNS` calls of `f`, and its last result.
fn median<T>(mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut times = Vec::with_capacity(RUNS);
    let mut last = None;
    for _ in 0..RUNS {
        let t = Instant::now();
        last = Some(f());
        times.push(t.elapsed());
    }
    times.sort();
    (times[RUNS / 2], last.expect("RUNS > 0"))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let fetched = Command::new(root.join("bench/fetch-data"))
        .current_dir(&root)
        .status()
        .expect("bench/fetch-data runs");
    assert!(fetched.success(), "bench/fetch-data failed");
    println!(
        "{:<28} {:>9} {:>14} {:>14} {:>14} {:>10} {:>10}",
        "pdf.worker.min.mjs",
        "bytes",
        "formatter ms",
        "oxc alone ms",
        "tokens ms",
        "lines",
        "(tokens)"
    );
    for version in PDFJS {
        let path = root.join(format!(
            "target/bench-data/trees/pdfjs-dist-{version}/build/pdf.worker.min.mjs"
        ));
        let src = std::fs::read_to_string(&path).expect("the worker is UTF-8");
        let (formatter, pretty) = median(|| pretty_print(&src, PrettyLang::Js).expect("prints"));
        assert_eq!(
            pretty.laid_out_by,
            LaidOutBy::Formatter,
            "{version}: oxc parses it"
        );
        let (alone, printed) = median(|| {
            let allocator = Allocator::default();
            let parsed = Parser::new(&allocator, &src, SourceType::mjs()).parse();
            Codegen::new().build(&parsed.program).code.len()
        });
        let (tokens, plain) = median(|| pretty_print_tokens(&src, PrettyLang::Js).expect("prints"));
        println!(
            "{:<28} {:>9} {:>14.1} {:>14.1} {:>14.1} {:>10} {:>10}",
            version,
            src.len(),
            ms(formatter),
            ms(alone),
            ms(tokens),
            pretty.line_count(),
            plain.line_count()
        );
        println!(
            "    formatter / oxc alone {:.2}x, formatter / tokens {:.2}x (oxc printed {printed} bytes)",
            ms(formatter) / ms(alone),
            ms(formatter) / ms(tokens)
        );
    }
}
