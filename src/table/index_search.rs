//! A dense search array over a table's index block, for point lookups
//! and seeks.
//!
//! A lookup's binary search over the index block touches two cold cache
//! lines per probe (the restart array, then the entry) across a block of
//! tens of KiB. For the usual ordering (internal keys over bytewise user
//! keys) this keeps the entries' user keys as [`KeyWords`] (eight bytes of
//! each past the prefix they share), which narrow the answer to a few
//! entries while touching a handful of lines; the block search then runs
//! only over those. It also keeps each entry's block handle, so a lookup
//! narrowed to one entry does not read the index block at all.
//!
//! Invariants: built only for an index block with exactly one entry per
//! restart point (as LevelDB writes them), internal keys of at least eight
//! bytes, sorted user keys and values that are block handles (of blocks
//! under 4 GiB); anything else gets no search. Immutable once built, so
//! `Send + Sync`.

use crate::key::extract_user_key;
use crate::table::block::{Block, BlockCursor};
use crate::table::format::BlockHandle;
use crate::util::key_words::{shared_prefix_len, KeyWords};

pub struct IndexSearch {
    /// The user keys of every entry but the last. The last entry's key is
    /// usually the table's last key cut short to its successor ("1" after
    /// "0000000000061234"), which shares nothing with the others; it is
    /// left out so that the rest share a long prefix and their words tell
    /// them apart.
    keys: KeyWords,
    /// `offsets[i]`, `sizes[i]`: the block handle entry `i`'s value holds,
    /// for every entry `keys` has, so that a lookup whose bounds name one
    /// entry need not read the index block at all.
    offsets: Vec<u64>,
    sizes: Vec<u32>,
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
        first.truncate(shared_prefix_len(&first, &before_last));
        let mut offsets = Vec::with_capacity(count - 1);
        let mut sizes = Vec::with_capacity(count - 1);
        let mut user_keys = Vec::with_capacity(count - 1);
        cursor.seek_to_first(index);
        while user_keys.len() < count - 1 && cursor.valid(index) {
            // Entries of an index block are stored whole (one per restart
            // point), so their keys borrow the block.
            user_keys.push(extract_user_key(cursor.key_stored_whole(index)?));
            // An entry whose value is no handle of a block under 4 GiB:
            // a damaged or foreign index, which gets no search.
            let handle = BlockHandle::decode_from(&mut cursor.value(index)).ok()?;
            offsets.push(handle.offset);
            sizes.push(u32::try_from(handle.size).ok()?);
            cursor.next(index);
        }
        if user_keys.len() != count - 1 {
            return None;
        }
        // A damaged or foreign index might not be sorted: then no shortcut.
        let keys = KeyWords::new(&first, user_keys.into_iter())?;
        Some(IndexSearch {
            keys,
            offsets,
            sizes,
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
    /// internal key (the caller then searches the whole block). Entries
    /// before `left` have smaller user keys, so smaller internal keys;
    /// entries from `right` on (the index's last entry included, when no
    /// other is larger) have larger ones, or are the last.
    pub fn bounds(&self, target: &[u8]) -> Option<(usize, usize)> {
        if target.len() < 8 {
            return None;
        }
        // Both are at most `keys.len()`, the index of the last entry.
        Some(self.keys.bounds(extract_user_key(target)))
    }
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

    use crate::util::key_words::key_strategy as user_key;

    proptest! {
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
