//! Finding a delta base for a file whose path is new in this version.
//!
//! Real updates split and rename files (pdf.js 6.5 split `pdf.renderer.mjs` out of `pdf.mjs`),
//! and a new file stored whole costs ten times a delta against the file it came from. Each file
//! gets a content-defined fingerprint: a gear rolling hash over the bytes, sampled where its low
//! bits are zero, so the same 64-byte window yields the same sample wherever it sits. The base is
//! the previous version's file whose samples cover the largest share of the new file's.

/// Gear table: one pseudo-random 64-bit value per byte (splitmix64 of the byte), fixed so that
/// fingerprints are stable across runs.
const GEAR: [u64; 256] = {
    let mut table = [0u64; 256];
    let mut i = 0;
    while i < 256 {
        let mut z = (i as u64)
            .wrapping_add(1)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        table[i] = z ^ (z >> 31);
        i += 1;
    }
    table
};

/// One sample per 256 bytes on average: fine enough for files of a few KiB, small enough that
/// a 35 MB version's fingerprints fit in about a megabyte.
const SAMPLE_MASK: u64 = (1 << 8) - 1;

/// Files below this size are cheap enough to store whole and too small to fingerprint well.
pub(crate) const MIN_SIMILAR_SIZE: usize = 4096;

/// A second base must cover at least this share (in percent) of what the first base lacks.
pub(crate) const MIN_SIBLING_PERCENT: usize = 20;

/// A second base is only sought when the first leaves at least this many samples (about 2 KiB
/// of new content) uncovered.
pub(crate) const MIN_NOVEL_SAMPLES: usize = 8;

/// A candidate must cover at least this share (in percent) of the new file's samples: low,
/// because minifiers rename identifiers and break most windows even in derived code; a weak
/// candidate costs one trial compression, and the smaller of delta and whole frame is kept.
pub(crate) const MIN_COVERAGE_PERCENT: usize = 5;

/// The sorted, deduplicated samples of `data`.
pub(crate) fn fingerprint(data: &[u8]) -> Vec<u64> {
    let mut h: u64 = 0;
    let mut out = Vec::with_capacity(data.len() / 256 + 1);
    for &b in data {
        // Shifting left drops a byte's influence after 64 steps, so `h` hashes a 64-byte window.
        h = (h << 1).wrapping_add(GEAR[usize::from(b)]);
        if h & SAMPLE_MASK == 0 {
            out.push(h);
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// How many of `new`'s samples `old` also has (both sorted).
fn shared(new: &[u64], old: &[u64]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < new.len() && j < old.len() {
        match new[i].cmp(&old[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

/// The samples of `samples` that `known` lacks (both sorted): the new file's novel content.
pub(crate) fn novel(samples: &[u64], known: &[u64]) -> Vec<u64> {
    samples
        .iter()
        .copied()
        .filter(|s| known.binary_search(s).is_err())
        .collect()
}

/// Fingerprints of a set of blobs: the previous version's files, or the blobs stored so far by
/// the running import.
#[derive(Default)]
pub(crate) struct SimilarIndex {
    files: Vec<(i64, Vec<u64>)>,
}

impl SimilarIndex {
    /// Adds one file (its blob's id and bytes).
    pub(crate) fn add(&mut self, blob: i64, data: &[u8]) {
        if data.len() >= MIN_SIMILAR_SIZE {
            self.add_samples(blob, fingerprint(data));
        }
    }

    /// Adds one file by its already computed samples.
    pub(crate) fn add_samples(&mut self, blob: i64, samples: Vec<u64>) {
        if !samples.is_empty() {
            self.files.push((blob, samples));
        }
    }

    /// The blob that covers most of `samples` (at least `min_percent` of them), other than
    /// `exclude`.
    pub(crate) fn best(
        &self,
        samples: &[u64],
        min_percent: usize,
        exclude: Option<i64>,
    ) -> Option<i64> {
        if samples.is_empty() {
            return None;
        }
        let (blob, covered) = self
            .files
            .iter()
            .filter(|(blob, _)| Some(*blob) != exclude)
            .map(|(blob, old)| (*blob, shared(samples, old)))
            .max_by_key(|&(_, n)| n)?;
        (covered > 0 && covered * 100 >= samples.len() * min_percent).then_some(blob)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn best_base(index: &SimilarIndex, data: &[u8]) -> Option<i64> {
        if data.len() < MIN_SIMILAR_SIZE {
            return None;
        }
        index.best(&fingerprint(data), MIN_COVERAGE_PERCENT, None)
    }

    fn text(seed: u64, lines: usize) -> Vec<u8> {
        (0..lines)
            .map(|i| format!("const value{i} = compute({}, '{seed}');\n", i as u64 * seed))
            .collect::<String>()
            .into_bytes()
    }

    #[test]
    fn picks_the_file_a_new_file_was_split_from() {
        let whole = text(3, 4000);
        let part = whole[40_000..90_000].to_vec();
        let mut index = SimilarIndex::default();
        index.add(1, &text(99, 4000));
        index.add(2, &whole);
        assert_eq!(best_base(&index, &part), Some(2));
    }

    #[test]
    fn unrelated_content_finds_no_base() {
        let mut index = SimilarIndex::default();
        index.add(1, &text(5, 3000));
        assert_eq!(best_base(&index, &text(77, 3000)), None);
    }

    #[test]
    fn small_files_are_not_matched() {
        let data = text(1, 20);
        let mut index = SimilarIndex::default();
        index.add(1, &data);
        assert!(data.len() < MIN_SIMILAR_SIZE);
        assert_eq!(best_base(&index, &data), None);
    }

    #[test]
    fn novel_samples_find_the_sibling_that_holds_the_new_content() {
        let old = text(4, 3000);
        let addition = text(12, 600);
        let mut new = old.clone();
        new.extend_from_slice(&addition);
        let mut sibling = text(30, 200);
        sibling.extend_from_slice(&addition);
        let (new_fp, old_fp) = (fingerprint(&new), fingerprint(&old));
        let rest = novel(&new_fp, &old_fp);
        assert!(!rest.is_empty() && rest.len() < new_fp.len() / 2);
        let mut index = SimilarIndex::default();
        index.add(1, &text(77, 3000));
        index.add(2, &sibling);
        assert_eq!(index.best(&rest, MIN_SIBLING_PERCENT, None), Some(2));
        assert_eq!(index.best(&rest, MIN_SIBLING_PERCENT, Some(2)), None);
    }

    #[test]
    fn samples_do_not_depend_on_position() {
        let body = text(8, 500);
        let mut shifted = b"// a new header line\n".to_vec();
        shifted.extend_from_slice(&body);
        let (a, b) = (fingerprint(&body), fingerprint(&shifted));
        assert!(
            shared(&a, &b) * 10 >= a.len() * 9,
            "{} of {}",
            shared(&a, &b),
            a.len()
        );
    }
}
