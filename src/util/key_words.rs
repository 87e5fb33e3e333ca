//! A sorted run of user keys reduced to one dense array of 8-byte words:
//! each key's eight bytes past the prefix all of them share, big-endian.
//! Searches over keys that are costly to reach (a table's index entries in
//! a cold block, a level's files each behind two pointers) search the
//! words first, touching a handful of cache lines, and compare real keys
//! only among the few whose word equals the target's.
//!
//! Invariants: `words` is sorted, checked when built: the word of a key
//! is a monotone function of the key in bytewise order (zero padding sorts
//! a shorter key first, as bytewise order does), so keys sorted bytewise
//! give sorted words, and anything else (a damaged index) gets no search.
//! Immutable once built, so `Send + Sync`.

use std::cmp::Ordering;

use crate::util::comparator::compare_bytes;
use crate::util::prefetch::prefetch_line;

pub struct KeyWords {
    /// The prefix every key shares.
    common: Vec<u8>,
    /// `words[i]`: key `i`'s bytes `common.len()..+8`, big-endian,
    /// zero-padded.
    words: Vec<u64>,
}

/// The eight bytes of `key` from `at`, big-endian, zero-padded.
pub fn word_at(key: &[u8], at: usize) -> u64 {
    let mut bytes = [0u8; 8];
    if at < key.len() {
        let tail = &key[at..];
        let n = tail.len().min(8);
        bytes[..n].copy_from_slice(&tail[..n]);
    }
    u64::from_be_bytes(bytes)
}

/// The length of the prefix `a` and `b` share.
pub fn shared_prefix_len(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

impl KeyWords {
    /// The words of `keys`, sorted bytewise, which all share `common`
    /// (for sorted keys: the prefix the first and last share). `None` if
    /// the words come out unsorted, that is, the keys were not sorted.
    pub fn new<'a>(common: &[u8], keys: impl Iterator<Item = &'a [u8]>) -> Option<KeyWords> {
        let words: Vec<u64> = keys.map(|k| word_at(k, common.len())).collect();
        if words.windows(2).any(|w| w[0] > w[1]) {
            return None;
        }
        Some(KeyWords {
            common: common.to_vec(),
            words,
        })
    }

    /// `(below_end, above_start)`: every key before `below_end` is smaller
    /// than `key`, every key from `above_start` on is larger, and those
    /// between (usually none) may equal it. Both are at most `len()`.
    pub fn bounds(&self, key: &[u8]) -> (usize, usize) {
        let all = self.words.len();
        let head_len = key.len().min(self.common.len());
        match compare_bytes(&key[..head_len], &self.common[..head_len]) {
            // Below every key.
            Ordering::Less => return (0, 0),
            // Above every key.
            Ordering::Greater => return (all, all),
            // A proper prefix of the shared prefix sorts before every key.
            Ordering::Equal if key.len() < self.common.len() => return (0, 0),
            Ordering::Equal => {}
        }
        let word = word_at(key, self.common.len());
        let below_end = lower_bound(&self.words, word);
        (below_end, upper_bound_from(&self.words, below_end, word))
    }
}

/// The first index of sorted `words` holding a word `>= x` (`words.len()`
/// if none). The array is usually cold, so a plain binary search waits for
/// one cache miss per halving; this one prefetches both places the next
/// step may probe before comparing, so each miss overlaps the step before
/// it. Branch-free, so the prefetches are not lost to mispredictions.
fn lower_bound(words: &[u64], x: u64) -> usize {
    if words.is_empty() {
        return 0;
    }
    // Invariant: every word before `base` is < x, and so is words[base]
    // unless base is 0; the answer lies in base..=base + len.
    let mut base = 0;
    let mut len = words.len();
    while len > 1 {
        let half = len / 2;
        let rest = len - half;
        let ahead = words.as_ptr().wrapping_add(base + rest / 2);
        prefetch_line(ahead.cast());
        prefetch_line(ahead.wrapping_add(half).cast());
        if words[base + half] < x {
            base += half;
        }
        len = rest;
    }
    base + usize::from(words[base] < x)
}

/// The first index at or after `start` of sorted `words` holding a word
/// `> x`, where every word before `start` is `< x`. Words equal to `x`
/// are rare (they share eight bytes past the common prefix), so this
/// looks at `start` first, where `lower_bound` ended, and gallops only
/// past a run of equal words.
fn upper_bound_from(words: &[u64], start: usize, x: u64) -> usize {
    let mut end = start;
    let mut step = 1;
    while end < words.len() && words[end] <= x {
        end = start + step;
        step *= 2;
    }
    // The answer lies in the last gallop's range.
    let from = start + step / 4;
    let to = end.min(words.len());
    if from >= to {
        return to;
    }
    from + words[from..to].partition_point(|&w| w <= x)
}

/// Keys for property tests of searches over words: few distinct bytes
/// and a shared head, so keys share prefixes, differ past eight bytes, and
/// are prefixes of each other.
#[cfg(test)]
pub(crate) fn key_strategy() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
    use proptest::prelude::*;
    (
        0usize..12,
        proptest::collection::vec(prop::sample::select(vec![0u8, 1, b'5', 0xff]), 0..14),
    )
        .prop_map(|(head, mut tail)| {
            let mut k = b"0000000000"[..head.min(10)].to_vec();
            k.append(&mut tail);
            k
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The prefetching searches answer as the standard library's
        /// binary search, runs of equal words and empty arrays included.
        #[test]
        fn searches_match_partition_point(
            mut words in proptest::collection::vec(0u64..40, 0..300),
            probes in proptest::collection::vec(0u64..42, 1..20),
        ) {
            words.sort_unstable();
            for x in probes {
                let below = lower_bound(&words, x);
                prop_assert_eq!(below, words.partition_point(|&w| w < x));
                prop_assert_eq!(
                    upper_bound_from(&words, below, x),
                    words.partition_point(|&w| w <= x)
                );
            }
        }

        /// Bounds bracket exactly the keys that may equal the target: all
        /// keys before them are smaller, all after larger, and every key
        /// equal to the target lies between them.
        #[test]
        fn bounds_bracket_the_target(
            keys in proptest::collection::btree_set(key_strategy(), 1..60),
            targets in proptest::collection::vec(key_strategy(), 1..30),
        ) {
            let keys: Vec<Vec<u8>> = keys.into_iter().collect();
            let common = &keys[0][..shared_prefix_len(&keys[0], &keys[keys.len() - 1])];
            let words = KeyWords::new(common, keys.iter().map(|k| &k[..])).expect("sorted keys");
            prop_assert_eq!(words.words.len(), keys.len());
            for target in targets {
                let (below, above) = words.bounds(&target);
                prop_assert!(below <= above && above <= keys.len());
                prop_assert!(keys[..below].iter().all(|k| k < &target));
                prop_assert!(keys[above..].iter().all(|k| k > &target));
                // And no wider than the keys whose word is the target's.
                let word = word_at(&target, common.len());
                prop_assert!(keys[below..above].iter().all(|k| word_at(k, common.len()) == word));
            }
        }
    }

    #[test]
    fn unsorted_keys_get_no_words() {
        let keys: [&[u8]; 3] = [b"b", b"a", b"c"];
        assert!(KeyWords::new(b"", keys.into_iter()).is_none());
    }
}
