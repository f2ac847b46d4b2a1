//! Hostile and extreme input for the archive reader: every generated hostile archive of the
//! fixtures is refused, and extreme but valid add-ons (20,000 files, a 100 MiB file, deep
//! nesting, file names in many scripts) are read within the default limits. Each archive must
//! be handled within a bound: generous here (debug build, shared CI machine); bench/hostile runs
//! this file in release mode with `VETTER_HOSTILE_BOUND_MS=1000`, the real target.

use std::time::{Duration, Instant};

use serde_json::json;
use vetter_archive::{Limits, read_archive};
use vetter_fixtures::zip::{RawEntry, ZipWriter};
use vetter_reliability::support::{self, count_from_env};

/// Debug builds on a busy 2-core machine: far above the 1 s release target, still a bound.
const DEBUG_BOUND_MS: u64 = 30_000;

fn bound() -> Duration {
    Duration::from_millis(count_from_env("VETTER_HOSTILE_BOUND_MS", DEBUG_BOUND_MS))
}

fn manifest(name: &str) -> Vec<u8> {
    json!({
        "manifest_version": 2,
        "name": name,
        "version": "1.0",
        "browser_specific_settings": {"gecko": {"id": "extreme@vetter.example"}},
    })
    .to_string()
    .into_bytes()
}

/// 19,999 small scripts and the manifest: exactly the entry limit.
fn twenty_thousand_files() -> Vec<u8> {
    let mut w = ZipWriter::new();
    w.file("manifest.json", &manifest("Many files"));
    for i in 0..19_999 {
        w.file(
            &format!("lib/m{}/f{i}.js", i % 97),
            format!("export const v{i} = {i};\n").as_bytes(),
        );
    }
    w.finish()
}

/// One stored (uncompressed) 100 MiB file: the per-file limit, with no compression ratio to
/// hide behind.
fn hundred_mib_file() -> Vec<u8> {
    let mut data = Vec::with_capacity(100 * 1024 * 1024);
    let line = b"/* padding line of a very large bundled script, kept as is by the packer */\n";
    while data.len() + line.len() <= 100 * 1024 * 1024 {
        data.extend_from_slice(line);
    }
    data.resize(100 * 1024 * 1024, b' ');
    let mut w = ZipWriter::new();
    w.file("manifest.json", &manifest("Huge file"));
    w.raw(RawEntry::stored("bundle.js", &data));
    w.finish()
}

/// A file 200 folders deep.
fn deep_nesting() -> Vec<u8> {
    let path: Vec<String> = (0..200).map(|i| format!("d{i}")).collect();
    let mut w = ZipWriter::new();
    w.file("manifest.json", &manifest("Deep"));
    w.file(&format!("{}/deep.js", path.join("/")), b"// deep\n");
    w.finish()
}

/// File names in many scripts, as locales and translated content carry them.
const SCRIPT_NAMES: [&str; 24] = [
    "_locales/de/Übersicht-größe.json",
    "_locales/el/ελληνικά.json",
    "_locales/ru/русский.json",
    "_locales/hy/հայերեն.json",
    "_locales/he/עברית.json",
    "_locales/ar/العربية.json",
    "_locales/fa/فارسی.json",
    "_locales/hi/हिन्दी.json",
    "_locales/bn/বাংলা.json",
    "_locales/ta/தமிழ்.json",
    "_locales/th/ภาษาไทย.json",
    "_locales/ka/ქართული.json",
    "_locales/ko/한국어.json",
    "_locales/ja/ひらがな-カタカナ.json",
    "_locales/zh/中文简体.json",
    "_locales/am/አማርኛ.json",
    "_locales/km/ភាសាខ្មែរ.json",
    "_locales/mn/ᠮᠣᠩᠭᠣᠯ.json",
    "_locales/chr/ᏣᎳᎩ.json",
    "_locales/si/සිංහල.json",
    "_locales/my/မြန်မာ.json",
    "icons/😀-emoji.svg",
    "text/combining-e\u{301}-accent.txt",
    "text/math-𝔸𝔹ℂ.txt",
];

fn many_scripts() -> Vec<u8> {
    let mut w = ZipWriter::new();
    w.file("manifest.json", &manifest("Scripts"));
    for name in SCRIPT_NAMES {
        w.file(name, format!("{{\"name\": {name:?}}}").as_bytes());
    }
    w.finish()
}

/// A name, a builder and the number of entries the archive must be read with.
type Case = (&'static str, fn() -> Vec<u8>, usize);

#[test]
fn extreme_but_valid_addons_are_read_within_limits_and_bound() {
    let cases: [Case; 4] = [
        ("20,000 files", twenty_thousand_files, 20_000),
        ("100 MiB file", hundred_mib_file, 2),
        ("200 folders deep", deep_nesting, 2),
        ("names in 24 scripts", many_scripts, SCRIPT_NAMES.len() + 1),
    ];
    let mut timings = serde_json::Map::new();
    for (name, build, entries) in cases {
        let bytes = build();
        let started = Instant::now();
        let archive = read_archive(&bytes, &Limits::default())
            .unwrap_or_else(|e| panic!("{name}: refused a valid add-on: {e}"));
        let took = started.elapsed();
        assert_eq!(archive.entries.len(), entries, "{name}");
        assert!(took < bound(), "{name}: {took:?} (bound {:?})", bound());
        timings.insert(name.to_owned(), json!(took.as_secs_f64() * 1000.0));
        if name.starts_with("names") {
            for script_name in SCRIPT_NAMES {
                assert!(archive.get(script_name).is_some(), "{script_name} lost");
            }
        }
        if name.starts_with("100 MiB") {
            let big = archive.get("bundle.js").unwrap();
            assert_eq!(big.data.len(), 100 * 1024 * 1024);
        }
    }
    support::write_figures(
        "hostile_extreme",
        &json!({"extreme_valid_read": timings.len(), "read_ms": timings}),
    )
    .unwrap();
}

#[test]
fn one_entry_past_each_limit_is_refused() {
    let mut w = ZipWriter::new();
    w.file("manifest.json", &manifest("Too many"));
    for i in 0..20_000 {
        w.file(&format!("f{i}.js"), b";");
    }
    assert!(
        read_archive(&w.finish(), &Limits::default()).is_err(),
        "20,001 entries"
    );

    let mut data = vec![b'x'; 100 * 1024 * 1024 + 1];
    data[0] = b'/';
    let mut w = ZipWriter::new();
    w.file("manifest.json", &manifest("Too big"));
    w.raw(RawEntry::stored("bundle.js", &data));
    assert!(
        read_archive(&w.finish(), &Limits::default()).is_err(),
        "100 MiB + 1"
    );
}

#[test]
fn every_generated_hostile_archive_is_refused_within_bound() {
    let rounds = count_from_env("VETTER_HOSTILE_ROUNDS", 1);
    let mut refused = 0u64;
    let mut slowest = Duration::ZERO;
    let fixtures = vetter_fixtures::malicious::all_malicious();
    assert!(
        fixtures.len() >= 20,
        "the hostile table shrank to {}",
        fixtures.len()
    );
    for _ in 0..rounds {
        for (name, bytes, _) in &fixtures {
            let started = Instant::now();
            let outcome = read_archive(bytes, &Limits::default());
            let took = started.elapsed();
            assert!(outcome.is_err(), "{name} was accepted");
            assert!(took < bound(), "{name}: {took:?}");
            slowest = slowest.max(took);
            refused += 1;
        }
    }
    support::write_figures(
        "hostile",
        &json!({
            "hostile_archives": fixtures.len(),
            "hostile_refused": refused,
            "hostile_accepted": 0,
            "slowest_ms": slowest.as_secs_f64() * 1000.0,
            "public_corpus": "none: no malicious-archive set is published as a PyPI, npm or Debian package (only bomb generators)",
        }),
    )
    .unwrap();
}
