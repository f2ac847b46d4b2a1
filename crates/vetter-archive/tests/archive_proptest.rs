//! Random damage to valid archives never panics the reader and never makes it allocate past
//! its limits; random file trees round-trip byte-identical.
//!
//! Allocation is measured by a counting global allocator with per-thread counters, so tests
//! running in parallel do not see each other's allocations.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::BTreeMap;

use proptest::prelude::*;
use vetter_archive::{Limits, read_archive};
use vetter_fixtures::{mv2_addon, mv3_addon, zip_files};

struct Counting;

thread_local! {
    static CURRENT: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

fn grew(by: usize) {
    let _ = CURRENT.try_with(|current| {
        let now = current.get() + by;
        current.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

fn shrank(by: usize) {
    let _ = CURRENT.try_with(|current| current.set(current.get().saturating_sub(by)));
}

// SAFETY: every call is forwarded unchanged to the system allocator; only counters change.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            // Count the moment both blocks may exist, as a moving realloc does.
            grew(new_size);
            shrank(layout.size());
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns its result with the peak bytes it had allocated at once on this thread.
fn peak_of<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = CURRENT.with(Cell::get);
    PEAK.with(|peak| peak.set(base));
    let out = f();
    (out, PEAK.with(Cell::get) - base)
}

/// Small limits, so that "past the limits" is far below what the damaged headers can claim.
fn tight() -> Limits {
    Limits {
        max_archive_size: 1024 * 1024,
        max_total_uncompressed: 256 * 1024,
        max_file_size: 128 * 1024,
        max_entries: 64,
        ..Limits::default()
    }
}

/// What the reader may hold at once: the uncompressed budget, one entry's spare byte each,
/// bookkeeping proportional to the input, and a fixed allowance for the inflater's state.
fn allowance(limits: &Limits, input: usize) -> usize {
    limits.max_total_uncompressed as usize + limits.max_entries + 8 * input + 512 * 1024
}

#[derive(Debug, Clone)]
enum Damage {
    /// XOR one byte.
    Flip(usize, u8),
    /// Overwrite four bytes with a value chosen to hit size, offset and count fields.
    Word(usize, u32),
    /// Cut the archive.
    Truncate(usize),
    /// Insert bytes.
    Insert(usize, Vec<u8>),
}

fn damage() -> impl Strategy<Value = Damage> {
    let word = prop_oneof![
        Just(u32::MAX),
        Just(u32::MAX - 1),
        Just(0x7FFF_FFFF),
        Just(0),
        Just(0x0403_4b50),
        Just(0x0201_4b50),
        any::<u32>(),
    ];
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(at, x)| Damage::Flip(at, x)),
        (any::<usize>(), word).prop_map(|(at, v)| Damage::Word(at, v)),
        any::<usize>().prop_map(Damage::Truncate),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(at, b)| Damage::Insert(at, b)),
    ]
}

fn apply(bytes: &mut Vec<u8>, damage: &Damage) {
    let len = bytes.len();
    match damage {
        Damage::Flip(at, x) => bytes[at % len] ^= x,
        Damage::Word(at, v) => {
            let at = at % (len - 3);
            bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());
        }
        Damage::Truncate(at) => bytes.truncate(at % len),
        Damage::Insert(at, extra) => {
            let at = at % len;
            bytes.splice(at..at, extra.iter().copied());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn damaged_archives_never_panic_or_allocate_past_the_limits(
        mv3 in any::<bool>(),
        damages in prop::collection::vec(damage(), 1..6),
    ) {
        let mut bytes = if mv3 { mv3_addon().to_xpi() } else { mv2_addon().to_xpi() };
        for d in &damages {
            if bytes.len() < 8 {
                break;
            }
            apply(&mut bytes, d);
        }
        let limits = tight();
        let (result, peak) = peak_of(|| read_archive(&bytes, &limits));
        prop_assert!(
            peak <= allowance(&limits, bytes.len()),
            "peak {} bytes for a {}-byte input ({:?})", peak, bytes.len(), result.err()
        );
        if let Ok(archive) = result {
            prop_assert!(archive.total_size() <= limits.max_total_uncompressed);
            prop_assert!(archive.entries.len() <= limits.max_entries);
        }
    }

    #[test]
    fn random_file_trees_read_back_byte_identical(
        tree in prop::collection::btree_map(
            "[a-z0-9_]{1,8}(/[a-z0-9_.]{1,8}){0,3}",
            prop_oneof![
                prop::collection::vec(any::<u8>(), 0..2048),
                (any::<u8>(), 0..20_000usize).prop_map(|(b, n)| vec![b; n]),
            ],
            1..24,
        )
    ) {
        // A path may not be both a file and a folder, and names may not collide case-folded.
        let files: BTreeMap<String, Vec<u8>> = tree
            .iter()
            .filter(|(path, _)| {
                !path.split('/').any(|c| c == "." || c == "..")
                    && !tree.keys().any(|other| other.starts_with(&format!("{path}/")))
            })
            .map(|(p, d)| (p.clone(), d.clone()))
            .collect();
        let list: Vec<(&str, &[u8])> =
            files.iter().map(|(p, d)| (p.as_str(), d.as_slice())).collect();
        let archive = read_archive(&zip_files(&list), &Limits::default()).unwrap();
        let read: Vec<(&str, &[u8])> = archive
            .entries
            .iter()
            .map(|e| (e.path.as_str(), e.data.as_slice()))
            .collect();
        prop_assert_eq!(read, list);
    }
}

#[test]
fn allocation_counter_sees_a_large_allocation() {
    let (_, peak) = peak_of(|| vec![1u8; 3 * 1024 * 1024]);
    assert!(peak >= 3 * 1024 * 1024);
}

#[test]
fn lying_declared_size_does_not_reserve_the_claim() {
    // A 4 GiB - 2 claim over a few bytes of data, with the file limit raised out of the way:
    // the reader must notice the lie after reading declared + 1 bytes at most.
    let bytes = vetter_fixtures::malicious::huge_declared_size();
    let limits = Limits {
        max_file_size: u64::MAX,
        max_total_uncompressed: u64::MAX,
        max_ratio: u64::MAX,
        ..Limits::default()
    };
    let (result, peak) = peak_of(|| read_archive(&bytes, &limits));
    assert!(result.is_err());
    assert!(peak < 4 * 1024 * 1024, "peak {peak} bytes");
}
