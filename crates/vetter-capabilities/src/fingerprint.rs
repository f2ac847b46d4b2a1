//! Fingerprints of JavaScript that survive reformatting: a hash of the code without
//! whitespace and comments (a library copy whose licence header was stripped is still the
//! library), and a MinHash sketch of its 5-token shingles with local names made one
//! placeholder (a copy with renamed variables or a few changed lines is still close).
//!
//! The near-duplicate finder (`vetter_review::links`) and the library identifier use the same
//! sketches.

use std::collections::HashSet;

use sha2::{Digest, Sha256};
use vetter_syntax::pretty::{Kind, js_tokens};

/// Hash functions per sketch.
pub const SKETCH_SIZE: usize = 128;
/// LSH bands; `SKETCH_SIZE / BANDS` rows each. 32 bands of 4 make a pair with Jaccard 0.6 a
/// candidate with probability 1 − (1 − 0.6⁴)³² ≈ 0.98, and one at 0.2 with about 0.05.
pub const BANDS: usize = 32;
/// Sketch values per band.
pub const ROWS: usize = SKETCH_SIZE / BANDS;
/// Tokens per shingle.
const SHINGLE: usize = 5;
/// Files with fewer shingles are too small to call near-duplicates of anything.
pub const MIN_SHINGLES: usize = 40;
/// Tokens read per file; enough to sketch any real file, bounded for hostile ones.
const MAX_TOKENS: usize = 4_000_000;

fn mix(mut x: u64) -> u64 {
    // splitmix64's finaliser: a fast, well-spread 64-bit mix.
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The normalised token hashes of a JS text: comments dropped, local identifiers made one
/// placeholder, property names (after `.`) and everything else kept.
fn normalised(src: &str) -> Vec<u64> {
    let mut out = Vec::new();
    let mut after_dot = false;
    for (kind, text) in js_tokens(src).take(MAX_TOKENS) {
        let h = match kind {
            Kind::LineComment | Kind::BlockComment => continue,
            Kind::Word if !after_dot && !is_keyword(text) => fnv(b"\x01ident"),
            _ => fnv(text.as_bytes()),
        };
        after_dot = kind == Kind::Punct && (text == "." || text == "?.");
        out.push(h);
    }
    out
}

fn is_keyword(w: &str) -> bool {
    matches!(
        w,
        "var"
            | "let"
            | "const"
            | "function"
            | "return"
            | "if"
            | "else"
            | "for"
            | "while"
            | "do"
            | "switch"
            | "case"
            | "default"
            | "break"
            | "continue"
            | "new"
            | "delete"
            | "typeof"
            | "instanceof"
            | "in"
            | "of"
            | "this"
            | "null"
            | "undefined"
            | "true"
            | "false"
            | "try"
            | "catch"
            | "finally"
            | "throw"
            | "class"
            | "extends"
            | "super"
            | "import"
            | "export"
            | "async"
            | "await"
            | "yield"
            | "void"
            | "with"
            | "eval"
            | "Function"
            | "window"
            | "document"
            | "chrome"
            | "browser"
    )
}

/// A MinHash sketch of the text's shingles, or `None` when it has too few.
pub fn sketch(src: &str) -> Option<Vec<u64>> {
    let toks = normalised(src);
    if toks.len() < SHINGLE {
        return None;
    }
    let shingles: HashSet<u64> = toks
        .windows(SHINGLE)
        .map(|w| w.iter().fold(0u64, |h, t| mix(h ^ *t)))
        .collect();
    if shingles.len() < MIN_SHINGLES {
        return None;
    }
    let mut mins = vec![u64::MAX; SKETCH_SIZE];
    for s in shingles {
        for (i, m) in mins.iter_mut().enumerate() {
            let v = mix(s ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
            if v < *m {
                *m = v;
            }
        }
    }
    Some(mins)
}

/// Estimated Jaccard similarity of two sketches.
pub fn similarity(a: &[u64], b: &[u64]) -> f64 {
    let same = a.iter().zip(b).filter(|(x, y)| x == y).count();
    same as f64 / a.len().max(1) as f64
}

/// The LSH band keys of a sketch: two sketches sharing a key are candidates to compare.
pub fn band_keys(sketch: &[u64]) -> Vec<i64> {
    sketch
        .chunks(ROWS)
        .enumerate()
        .map(|(band, rows)| {
            let h = rows.iter().fold(mix(band as u64 + 1), |h, v| mix(h ^ v));
            h as i64
        })
        .collect()
}

/// A sketch as bytes, for the cache.
pub fn encode(sketch: &[u64]) -> Vec<u8> {
    sketch.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// A sketch read back from [`encode`]'s bytes; `None` for bytes of another shape.
pub fn decode(bytes: &[u8]) -> Option<Vec<u64>> {
    (bytes.len() == SKETCH_SIZE * 8).then(|| {
        bytes
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
            .collect()
    })
}

/// The sha256 (hex) of the code's tokens without comments, separated by one space: equal for
/// two texts that differ only in whitespace and comments.
pub fn normalized_hash(src: &str) -> String {
    let mut h = Sha256::new();
    for (kind, text) in js_tokens(src).take(MAX_TOKENS) {
        if matches!(kind, Kind::LineComment | Kind::BlockComment) {
            continue;
        }
        h.update(text.as_bytes());
        h.update(b" ");
    }
    hex::encode(h.finalize())
}
