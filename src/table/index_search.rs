//! A dense search array over a table's index block, for point lookups.
//!
//! A lookup's binary search over the index block touches two cold cache
//! lines per probe (the restart array, then the entry) across a block of
//! tens of KiB. For the usual ordering (internal keys over bytewise user
//! keys) this keeps, per index entry, eight bytes of its user key as one
//! big-endian word, after the prefix all of the block's user keys share;
//! searching that array narrows the answer to a few entries while touching
//! a handful of lines, and the block search then runs only over those.
//!
//! Invariants: built only for an index block with exactly one entry per
//! restart point (as LevelDB writes them) and internal keys of at least
//! eight bytes; `words` is then sorted, because the word of a key is a
//! monotone function of its user key in bytewise order (zero padding sorts
//! a shorter key first, as bytewise order does). Immutable once built, so
//! `Send + Sync`.

use std::cmp::Ordering;

use crate::key::extract_user_key;
use crate::table::block::{Block, BlockCursor};
use crate::table::format::BlockHandle;
use crate::util::comparator::compare_bytes;
use crate::util::prefetch::prefetch_line;

pub struct IndexSearch {
    /// The prefix the user keys of every entry but the last share.
    common: Vec<u8>,
    /// `offsets[i]`, `sizes[i]`: the block handle entry `i`'s value holds,
    /// for every entry `words` has, so that a lookup whose bounds name one
    /// entry need not read the index block at all.
    offsets: Vec<u64>,
    sizes: Vec<u32>,
    /// `words[i]`: entry `i`'s user key bytes `common.len()..+8`,
    /// big-endian, zero-padded, for every entry but the last. The last
    /// entry's key is usually the table's last key cut short to its
    /// successor ("1" after "0000000000061234"), which shares nothing
    /// with the others; it is left out so that the rest share a long
    /// prefix and the words tell them apart.
    words: Vec<u64>,
}

/// The eight bytes of `user_key` from `at`, big-endian, zero-padded.
fn word_at(user_key: &[u8], at: usize) -> u64 {
    let mut bytes = [0u8; 8];
    if at < user_key.len() {
        let tail = &user_key[at..];
        let n = tail.len().min(8);
        bytes[..n].copy_from_slice(&tail[..n]);
    }
    u64::from_be_bytes(bytes)
}

impl IndexSearch {
    /// The search array of `index` (an index block of internal keys over
    /// bytewise user keys), or `None` if the block is not shaped for it.
    pub fn build(index: &Block) -> Option<IndexSearch> {
        // Two walks, so that no key is copied but the first and the one
        // before the last. (The cursor orders keys only in `seek`; walking
        // needs no comparator.)
        let mut cursor = BlockCursor::new(index);
        cursor.seek_to_first(index);
        let (mut first, mut before_last, mut last) = (Vec::new(), Vec::new(), Vec::new());
        let mut count = 0;
        while cursor.valid(index) {
            let key = cursor.key(index);
            if key.len() < 8 {
                return None;
            }
            if count == 0 {
                first.extend_from_slice(extract_user_key(key));
            }
            std::mem::swap(&mut before_last, &mut last);
            last.clear();
            last.extend_from_slice(extract_user_key(key));
            count += 1;
            cursor.next(index);
        }
        // With fewer entries a plain binary search is as quick.
        if cursor.status().is_err() || count != index.num_restarts() || count < 3 {
            return None;
        }
        let common_len = first
            .iter()
            .zip(before_last.iter())
            .take_while(|(a, b)| a == b)
            .count();
        first.truncate(common_len);
        let mut words = Vec::with_capacity(count - 1);
        let mut offsets = Vec::with_capacity(count - 1);
        let mut sizes = Vec::with_capacity(count - 1);
        cursor.seek_to_first(index);
        while words.len() < count - 1 && cursor.valid(index) {
            words.push(word_at(extract_user_key(cursor.key(index)), common_len));
            // An entry whose value is no handle of a block under 4 GiB:
            // a damaged or foreign index, which gets no search.
            let handle = BlockHandle::decode_from(&mut cursor.value(index)).ok()?;
            offsets.push(handle.offset);
            sizes.push(u32::try_from(handle.size).ok()?);
            cursor.next(index);
        }
        // A damaged or foreign index might not be sorted: then no shortcut.
        if words.len() != count - 1 || words.windows(2).any(|w| w[0] > w[1]) {
            return None;
        }
        Some(IndexSearch {
            common: first,
            offsets,
            sizes,
            words,
        })
    }

    /// The block handle of index entry `entry`, for every entry but the
    /// last (which the search array leaves out).
    pub fn handle(&self, entry: usize) -> Option<BlockHandle> {
        let offset = *self.offsets.get(entry)?;
        Some(BlockHandle::new(offset, u64::from(self.sizes[entry])))
    }

    /// Restart points `(left, right)` of the index block between which the
    /// first entry `>= target` lies, in the sense of
    /// [`BlockCursor::seek_within`]; `None` for a target too short to be an
    /// internal key (the caller then searches the whole block).
    pub fn bounds(&self, target: &[u8]) -> Option<(usize, usize)> {
        if target.len() < 8 {
            return None;
        }
        let user_key = extract_user_key(target);
        // The index's last entry, the one `words` leaves out.
        let last = self.words.len();
        let head_len = user_key.len().min(self.common.len());
        match compare_bytes(&user_key[..head_len], &self.common[..head_len]) {
            // Below every key of the index: the first entry.
            Ordering::Less => return Some((0, 0)),
            // Above every key in `words`: only the last entry can be the
            // answer.
            Ordering::Greater => return Some((last, last)),
            // A proper prefix of the shared prefix sorts before every key.
            Ordering::Equal if user_key.len() < self.common.len() => return Some((0, 0)),
            Ordering::Equal => {}
        }
        let word = word_at(user_key, self.common.len());
        // Entries before `below_end` have smaller user keys, so smaller
        // internal keys; entries from `above_start` on have larger ones.
        let below_end = lower_bound(&self.words, word);
        let above_start = upper_bound_from(&self.words, below_end, word);
        // Both are at most `words.len()`, which is `last`.
        Some((below_end, above_start))
    }
}

/// The first index of sorted `words` holding a word `>= x` (`words.len()`
/// if none). A point lookup finds the array cold, so a plain binary search
/// waits for one cache miss per halving; this one prefetches both places
/// the next step may probe before comparing, so each miss overlaps the
/// step before it. Branch-free, so the prefetches are not lost to
/// mispredictions either.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::{append_internal_key, InternalKeyComparator, ValueType};
    use crate::table::block_builder::BlockBuilder;
    use crate::util::comparator::bytewise;
    use proptest::prelude::*;

    fn ikey(user: &[u8], seq: u64) -> Vec<u8> {
        let mut k = Vec::new();
        append_internal_key(&mut k, user, seq, ValueType::Value);
        k
    }

    fn index_block(user_keys: &[Vec<u8>]) -> Block {
        let mut b = BlockBuilder::new(1);
        for (i, k) in user_keys.iter().enumerate() {
            let handle = BlockHandle::new(i as u64 * 5000, 4000 + i as u64);
            b.add(&ikey(k, 100), &handle.encoded());
        }
        Block::new(b.finish().to_vec())
    }

    fn user_key() -> impl Strategy<Value = Vec<u8>> {
        // Few distinct bytes and a shared head, so keys share prefixes,
        // differ past eight bytes, and are prefixes of each other.
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

    proptest! {
        /// The prefetching searches answer as the standard library's
        /// binary search, runs of equal words and empty arrays included.
        #[test]
        fn bounds_match_partition_point(
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

        /// A seek narrowed by the search array lands where a plain seek of
        /// the whole block does, for targets inside, between and outside
        /// the index's keys, with any sequence number.
        #[test]
        fn narrowed_seek_matches_plain_seek(
            keys in proptest::collection::btree_set(user_key(), 3..40),
            targets in proptest::collection::vec((user_key(), 0u64..200), 1..30),
        ) {
            let keys: Vec<Vec<u8>> = keys.into_iter().collect();
            let block = index_block(&keys);
            let search = IndexSearch::build(&block).expect("well-formed index");
            let icmp = InternalKeyComparator::new(bytewise());
            for (user, seq) in targets {
                let target = ikey(&user, seq);
                let mut plain = BlockCursor::new(&block);
                plain.seek(&block, &icmp, &target);
                let (left, right) = search.bounds(&target).expect("internal key");
                let mut narrowed = BlockCursor::new(&block);
                narrowed.seek_within(&block, &icmp, &target, left, right);
                prop_assert_eq!(plain.valid(&block), narrowed.valid(&block));
                if plain.valid(&block) {
                    prop_assert_eq!(plain.key(&block), narrowed.key(&block));
                    prop_assert_eq!(plain.value(&block), narrowed.value(&block));
                }
                // Bounds naming one entry that has a stored handle name
                // the plain seek's entry, whose value is that handle.
                if let (true, Some(handle)) = (left == right, search.handle(left)) {
                    prop_assert!(plain.valid(&block));
                    let stored = BlockHandle::decode_from(&mut plain.value(&block)).unwrap();
                    prop_assert_eq!((stored.offset, stored.size), (handle.offset, handle.size));
                }
            }
        }
    }

    #[test]
    fn not_built_for_other_shapes() {
        // Two entries per restart point.
        let mut b = BlockBuilder::new(2);
        b.add(&ikey(b"a", 1), b"x");
        b.add(&ikey(b"b", 1), b"y");
        assert!(IndexSearch::build(&Block::new(b.finish().to_vec())).is_none());
        // Keys too short to be internal keys.
        let mut b = BlockBuilder::new(1);
        b.add(b"a", b"x");
        assert!(IndexSearch::build(&Block::new(b.finish().to_vec())).is_none());
        // An empty block, and one too small to gain from it.
        let mut b = BlockBuilder::new(1);
        assert!(IndexSearch::build(&Block::new(b.finish().to_vec())).is_none());
        assert!(IndexSearch::build(&index_block(&[b"a".to_vec(), b"b".to_vec()])).is_none());
    }
}
