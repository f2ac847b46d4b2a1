//! Word-level changes inside a pair of changed lines.
//!
//! A one-character fix in a 300-character line is invisible without this. Lines are split into
//! words, runs of whitespace and single punctuation characters, and those tokens are diffed. For
//! giant lines (minified bundles), the common prefix and suffix are trimmed in linear time first
//! and only a bounded middle is tokenized, so the cost never depends on the line's full length.

use std::ops::Range;
use std::time::{Duration, Instant};

use serde::Serialize;
use similar::{Algorithm, DiffOp};
use ts_rs::TS;

/// Bounds of an intraline diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntralineOptions {
    /// After trimming the common prefix and suffix, at most this many bytes of each side are
    /// tokenized; a longer middle is reported as one changed range.
    pub max_middle: usize,
    /// The time budget of the token diff.
    pub budget: Duration,
}

impl Default for IntralineOptions {
    fn default() -> Self {
        IntralineOptions {
            max_middle: 64 * 1024,
            budget: Duration::from_millis(20),
        }
    }
}

/// The changed byte ranges of an old line and of its new counterpart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Intraline {
    /// Changed ranges of the old line (byte offsets, sorted, disjoint).
    #[ts(type = "Array<{ start: number, end: number }>")]
    pub old: Vec<Range<u32>>,
    /// Changed ranges of the new line.
    #[ts(type = "Array<{ start: number, end: number }>")]
    pub new: Vec<Range<u32>>,
    /// Whether the middle was too long to tokenize, so it is reported as one range.
    pub coarse: bool,
}

impl Intraline {
    /// The share (0..=1) of the two lines' bytes that is unchanged; low values mean the lines
    /// are unrelated and word highlighting would only be noise.
    pub fn unchanged_share(&self, old_len: usize, new_len: usize) -> f32 {
        let changed: u32 = self
            .old
            .iter()
            .chain(&self.new)
            .map(|r| r.end - r.start)
            .sum();
        let total = old_len + new_len;
        if total == 0 {
            1.0
        } else {
            1.0 - changed as f32 / total as f32
        }
    }
}

/// Splits text into words (letters, digits, `_`, `$`), whitespace runs and single other chars.
fn tokenize(s: &str) -> Vec<&str> {
    #[derive(PartialEq, Clone, Copy)]
    enum K {
        Word,
        Space,
        Other,
    }
    let kind = |c: char| {
        if c.is_alphanumeric() || c == '_' || c == '$' {
            K::Word
        } else if c.is_whitespace() {
            K::Space
        } else {
            K::Other
        }
    };
    let mut out = Vec::new();
    let mut start = 0;
    let mut prev: Option<K> = None;
    for (i, c) in s.char_indices() {
        let k = kind(c);
        if let Some(p) = prev
            && (p != k || k == K::Other)
        {
            out.push(&s[start..i]);
            start = i;
        }
        prev = Some(k);
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

fn common_prefix(a: &str, b: &str) -> usize {
    let n = a
        .as_bytes()
        .iter()
        .zip(b.as_bytes())
        .take_while(|(x, y)| x == y)
        .count();
    a.floor_char_boundary(n)
}

fn common_suffix(a: &str, b: &str) -> usize {
    let n = a
        .as_bytes()
        .iter()
        .rev()
        .zip(b.as_bytes().iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let mut n = n;
    while n > 0 && (!a.is_char_boundary(a.len() - n) || !b.is_char_boundary(b.len() - n)) {
        n -= 1;
    }
    n
}

fn push_range(ranges: &mut Vec<Range<u32>>, r: Range<usize>) {
    if r.is_empty() {
        return;
    }
    let r = r.start as u32..r.end as u32;
    if let Some(last) = ranges.last_mut()
        && last.end == r.start
    {
        last.end = r.end;
        return;
    }
    ranges.push(r);
}

/// The word-level changes between an old line and a new line (contents without terminators).
pub fn intraline(old: &str, new: &str, options: &IntralineOptions) -> Intraline {
    let pre = common_prefix(old, new);
    let suf = common_suffix(&old[pre..], &new[pre..]);
    let (om, nm) = (&old[pre..old.len() - suf], &new[pre..new.len() - suf]);
    let mut out = Intraline {
        old: Vec::new(),
        new: Vec::new(),
        coarse: false,
    };
    if om.len() > options.max_middle || nm.len() > options.max_middle {
        out.coarse = true;
        push_range(&mut out.old, pre..pre + om.len());
        push_range(&mut out.new, pre..pre + nm.len());
        return out;
    }
    // Widen the middle to whole tokens, so a change inside a word marks the word.
    let ostart = word_start(old, pre);
    let nstart = word_start(new, pre);
    let oend = word_end(old, old.len() - suf);
    let nend = word_end(new, new.len() - suf);
    let (ot, nt) = (tokenize(&old[ostart..oend]), tokenize(&new[nstart..nend]));
    let deadline = Some(Instant::now() + options.budget);
    let ops = similar::capture_diff_slices_deadline(Algorithm::Myers, &ot, &nt, deadline);
    let offsets = |toks: &[&str], base: usize| -> Vec<usize> {
        let mut v = Vec::with_capacity(toks.len() + 1);
        let mut at = base;
        v.push(at);
        for t in toks {
            at += t.len();
            v.push(at);
        }
        v
    };
    let (oo, no) = (offsets(&ot, ostart), offsets(&nt, nstart));
    for op in ops {
        match op {
            DiffOp::Equal { .. } => {}
            DiffOp::Delete {
                old_index, old_len, ..
            } => {
                push_range(&mut out.old, oo[old_index]..oo[old_index + old_len]);
            }
            DiffOp::Insert {
                new_index, new_len, ..
            } => {
                push_range(&mut out.new, no[new_index]..no[new_index + new_len]);
            }
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                push_range(&mut out.old, oo[old_index]..oo[old_index + old_len]);
                push_range(&mut out.new, no[new_index]..no[new_index + new_len]);
            }
        }
    }
    out
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

/// Moves `at` back to the start of the word it is inside of, if any.
fn word_start(s: &str, at: usize) -> usize {
    let mut start = at;
    for (i, c) in s[..at].char_indices().rev() {
        if !is_word(c) {
            break;
        }
        start = i;
    }
    if s[at..].chars().next().is_some_and(is_word) {
        start
    } else {
        at
    }
}

/// Moves `at` forward to the end of the word it is inside of, if any.
fn word_end(s: &str, at: usize) -> usize {
    if !s[..at].chars().next_back().is_some_and(is_word) {
        return at;
    }
    s[at..]
        .char_indices()
        .find(|&(_, c)| !is_word(c))
        .map_or(s.len(), |(i, _)| at + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marks(s: &str, ranges: &[Range<u32>]) -> Vec<String> {
        ranges
            .iter()
            .map(|r| s[r.start as usize..r.end as usize].to_owned())
            .collect()
    }

    #[test]
    fn marks_only_the_changed_word() {
        let (a, b) = ("let total = price * qty;", "let total = price * quantity;");
        let d = intraline(a, b, &IntralineOptions::default());
        assert_eq!(marks(a, &d.old), ["qty"]);
        assert_eq!(marks(b, &d.new), ["quantity"]);
        assert!(!d.coarse);
    }

    #[test]
    fn a_change_inside_a_word_marks_the_whole_word() {
        let (a, b) = ("fetch(urlA)", "fetch(urlB)");
        let d = intraline(a, b, &IntralineOptions::default());
        assert_eq!(marks(a, &d.old), ["urlA"]);
        assert_eq!(marks(b, &d.new), ["urlB"]);
    }

    #[test]
    fn pure_insertion_marks_nothing_on_the_old_side() {
        let (a, b) = ("f(a, b)", "f(a, x, b)");
        let d = intraline(a, b, &IntralineOptions::default());
        assert!(d.old.is_empty());
        assert_eq!(marks(b, &d.new), ["x, "]);
    }

    #[test]
    fn multibyte_text_is_split_on_char_boundaries() {
        let (a, b) = ("title = «héllo»", "title = «hällo»");
        let d = intraline(a, b, &IntralineOptions::default());
        assert_eq!(marks(a, &d.old), ["héllo"]);
        assert_eq!(marks(b, &d.new), ["hällo"]);
    }

    #[test]
    fn giant_middle_is_reported_coarsely_without_tokenizing() {
        let a = format!("start{}end", "a".repeat(200_000));
        let b = format!("start{}end", "b".repeat(200_000));
        let d = intraline(&a, &b, &IntralineOptions::default());
        assert!(d.coarse);
        assert_eq!(d.old, vec![5..200_005]);
        assert_eq!(d.new, vec![5..200_005]);
    }

    #[test]
    fn identical_lines_have_no_changes() {
        let d = intraline("same", "same", &IntralineOptions::default());
        assert!(d.old.is_empty() && d.new.is_empty());
        assert_eq!(d.unchanged_share(4, 4), 1.0);
    }
}
