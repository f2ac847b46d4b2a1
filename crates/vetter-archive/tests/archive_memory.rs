//! Peak memory and time of every refusal, measured honestly: each hostile archive is read in its
//! own child process (this test binary, re-executed), which reports its kernel-measured peak
//! resident set (`VmHWM`) and the time the reader took. The child runs in an empty scratch
//! directory that must still be empty afterwards, so a reader that extracted anything would
//! be caught.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use vetter_archive::{Limits, read_archive};
use vetter_fixtures::{MALICIOUS, malicious, mv3_addon};

/// Set in the child to the fixture it must read.
const PROBE_ENV: &str = "VETTER_ARCHIVE_PROBE";
/// The name the valid add-on goes by, as a baseline next to the hostile ones.
const BASELINE: &str = "valid_mv3_addon";
const MAX_PEAK_BYTES: u64 = 100 * 1000 * 1000;
const MAX_REFUSAL: Duration = Duration::from_secs(1);

/// A `VmHWM`-style line of `/proc/self/status`, in bytes.
fn status_bytes(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc is available");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .and_then(|kb| kb.trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .expect("the status field is present")
}

/// Entry point of the child: does nothing unless [`PROBE_ENV`] names a fixture.
#[test]
fn probe_child_reads_one_fixture_when_asked() {
    let Ok(name) = std::env::var(PROBE_ENV) else {
        return;
    };
    let bytes = if name == BASELINE {
        mv3_addon().to_xpi()
    } else {
        (malicious(&name)
            .expect("the parent names a known fixture")
            .build)()
    };
    let before = status_bytes("VmHWM:");
    // Resetting the high-water mark (Linux >= 4.0) isolates the reader's own peak from the
    // fixture generator's; the whole-process peak is reported too and is what the bound checks.
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let started = Instant::now();
    let result = read_archive(&bytes, &Limits::default());
    let elapsed = started.elapsed();
    let reader_peak = status_bytes("VmHWM:");
    let rule = match &result {
        Ok(_) => "accepted",
        Err(error) => error.rule(),
    };
    println!(
        "\nPROBE {name} {rule} {} {} {} {}",
        elapsed.as_micros(),
        before.max(reader_peak),
        if reset { reader_peak } else { 0 },
        bytes.len()
    );
}

struct Probe {
    name: String,
    rule: String,
    elapsed: Duration,
    process_peak: u64,
    reader_peak: u64,
    input: u64,
}

fn run_probe(name: &str, scratch: &Path) -> Probe {
    let output = Command::new(std::env::current_exe().expect("test binary path"))
        .args([
            "--exact",
            "probe_child_reads_one_fixture_when_asked",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(PROBE_ENV, name)
        .env("TMPDIR", scratch)
        .current_dir(scratch)
        .output()
        .expect("the test binary re-executes");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.split_once("PROBE ").map(|(_, rest)| rest))
        .unwrap_or_else(|| {
            panic!(
                "probe {name} printed no result: {stdout}\n{}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
    let fields: Vec<&str> = line.split(' ').collect();
    assert_eq!(fields.len(), 6, "{line}");
    let number = |i: usize| fields[i].parse::<u64>().expect("numeric probe field");
    Probe {
        name: fields[0].to_owned(),
        rule: fields[1].to_owned(),
        elapsed: Duration::from_micros(number(2)),
        process_peak: number(3),
        reader_peak: number(4),
        input: number(5),
    }
}

#[test]
fn every_refusal_stays_under_a_second_and_100_mb_peak_memory_and_writes_nothing() {
    let scratch = tempfile::tempdir().expect("scratch directory");
    let mut names: Vec<&str> = MALICIOUS.iter().map(|f| f.name).collect();
    names.push(BASELINE);
    let mut failures = Vec::new();
    let mut report = String::from(
        "fixture                                   rule                     time      process peak  reader peak  input\n",
    );
    for name in names {
        let probe = run_probe(name, scratch.path());
        report.push_str(&format!(
            "{:<41} {:<24} {:>7.1}ms {:>9.1} MB {:>9.1} MB {:>8} B\n",
            probe.name,
            probe.rule,
            probe.elapsed.as_secs_f64() * 1000.0,
            probe.process_peak as f64 / 1e6,
            probe.reader_peak as f64 / 1e6,
            probe.input
        ));
        let hostile = name != BASELINE;
        if hostile && probe.rule == "accepted" {
            failures.push(format!("{name} was accepted"));
        }
        if !hostile && probe.rule != "accepted" {
            failures.push(format!("{name} was refused: {}", probe.rule));
        }
        if probe.elapsed >= MAX_REFUSAL {
            failures.push(format!("{name} took {:?}", probe.elapsed));
        }
        if probe.process_peak >= MAX_PEAK_BYTES {
            failures.push(format!("{name} peaked at {} bytes", probe.process_peak));
        }
    }
    println!("{report}");
    let left: Vec<_> = std::fs::read_dir(scratch.path())
        .expect("scratch directory is readable")
        .map(|e| e.map(|e| e.file_name()))
        .collect();
    assert!(left.is_empty(), "the reader wrote files: {left:?}");
    assert!(failures.is_empty(), "{}\n{report}", failures.join("\n"));
}
