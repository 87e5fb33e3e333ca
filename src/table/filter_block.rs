//! The filter block of a table (docs/formats.md §8.6), and the filter policy the
//! database uses on internal keys.
//!
//! Invariants: one filter covers the data blocks starting in each 2 KiB
//! (`1 << FILTER_BASE_LG`) range of file offsets; ranges without blocks get
//! an empty filter (equal start and end offsets). Layout:
//! `filters | fixed32 offset per filter | fixed32 offset of that array |
//! u8 base_lg`. The reader treats anything it cannot make sense of as "may
//! match" rather than panic. (A damaged filter's bits can hide keys; the
//! block's checksum, verified under `paranoid_checks`, guards against that:
//! a filter that fails it is not used at all.)
//! Builders are single-threaded; readers are immutable and `Send + Sync`.

// A decoder of bytes from disk: bad input is an error, never a panic.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

use std::sync::Arc;

use crate::filter::FilterPolicy;
use crate::key::extract_user_key;
use crate::table::format::BlockContents;
use crate::util::coding::{decode_fixed32, put_fixed32};

/// Generate a new filter every 2 KiB of file.
pub const FILTER_BASE_LG: u8 = 11;
pub const FILTER_BASE: u64 = 1 << FILTER_BASE_LG;

/// Accumulates keys of data blocks and produces the filter block.
pub struct FilterBlockBuilder {
    policy: Arc<dyn FilterPolicy>,
    /// Keys of the filter being gathered, flattened, with start offsets.
    keys: Vec<u8>,
    starts: Vec<usize>,
    result: Vec<u8>,
    filter_offsets: Vec<u32>,
}

impl FilterBlockBuilder {
    pub fn new(policy: Arc<dyn FilterPolicy>) -> FilterBlockBuilder {
        FilterBlockBuilder {
            policy,
            keys: Vec::new(),
            starts: Vec::new(),
            result: Vec::new(),
            filter_offsets: Vec::new(),
        }
    }

    /// Announces that a data block starts at `block_offset`.
    pub fn start_block(&mut self, block_offset: u64) {
        let filter_index = block_offset / FILTER_BASE;
        debug_assert!(filter_index >= self.filter_offsets.len() as u64);
        while filter_index > self.filter_offsets.len() as u64 {
            self.generate_filter();
        }
    }

    pub fn add_key(&mut self, key: &[u8]) {
        self.starts.push(self.keys.len());
        self.keys.extend_from_slice(key);
    }

    /// Returns the finished filter block contents.
    pub fn finish(&mut self) -> &[u8] {
        if !self.starts.is_empty() {
            self.generate_filter();
        }
        let array_offset = self.result.len() as u32;
        for &off in &self.filter_offsets {
            put_fixed32(&mut self.result, off);
        }
        put_fixed32(&mut self.result, array_offset);
        self.result.push(FILTER_BASE_LG);
        &self.result
    }

    fn generate_filter(&mut self) {
        self.filter_offsets.push(self.result.len() as u32);
        if self.starts.is_empty() {
            // No keys: an empty filter, just the offset entry.
            return;
        }
        let mut key_slices: Vec<&[u8]> = Vec::with_capacity(self.starts.len());
        for (i, &start) in self.starts.iter().enumerate() {
            let end = self.starts.get(i + 1).copied().unwrap_or(self.keys.len());
            key_slices.push(&self.keys[start..end]);
        }
        self.policy.create_filter(&key_slices, &mut self.result);
        self.keys.clear();
        self.starts.clear();
    }
}

/// Answers "may this block hold the key?" from a filter block.
pub struct FilterBlockReader {
    policy: Arc<dyn FilterPolicy>,
    /// The block: in the heap, or in place in a mapped table file.
    data: BlockContents,
    /// Start of the offset array (end of the filters).
    array_offset: usize,
    num: usize,
    base_lg: u8,
}

impl FilterBlockReader {
    pub fn new(policy: Arc<dyn FilterPolicy>, data: impl Into<BlockContents>) -> FilterBlockReader {
        let mut reader = FilterBlockReader {
            policy,
            data: data.into(),
            array_offset: 0,
            num: 0,
            base_lg: 0,
        };
        let n = reader.data.bytes().len();
        if n < 5 {
            // 1 byte base_lg and 4 for the array start: nothing usable.
            return reader;
        }
        reader.base_lg = reader.data.bytes()[n - 1];
        let array_offset = decode_fixed32(&reader.data.bytes()[n - 5..]) as usize;
        if array_offset > n - 5 {
            return reader;
        }
        reader.array_offset = array_offset;
        reader.num = (n - 5 - array_offset) / 4;
        reader
    }

    /// False only if the filter for the block at `block_offset` rules the
    /// key out.
    pub fn key_may_match(&self, block_offset: u64, key: &[u8]) -> bool {
        let index = block_offset
            .checked_shr(u32::from(self.base_lg))
            .unwrap_or(0);
        if index < self.num as u64 {
            let index = index as usize;
            let at = self.array_offset + index * 4;
            let start = decode_fixed32(&self.data.bytes()[at..]) as usize;
            // The last filter ends where the offset array begins; that word
            // (the array's own offset) follows the last entry.
            let limit = decode_fixed32(&self.data.bytes()[at + 4..]) as usize;
            if start <= limit && limit <= self.array_offset {
                let filter = &self.data.bytes()[start..limit];
                return self.policy.key_may_match(key, filter);
            } else if start == limit {
                // Empty filters do not match any keys.
                return false;
            }
        }
        // Errors are treated as potential matches.
        true
    }
}

/// Wraps a user filter policy so it sees user keys: the table builder hands
/// it internal keys, which carry an 8-byte tag to strip. The name is the
/// user policy's, so tables stay readable by LevelDB.
pub struct InternalFilterPolicy {
    user: Arc<dyn FilterPolicy>,
}

impl InternalFilterPolicy {
    pub fn new(user: Arc<dyn FilterPolicy>) -> InternalFilterPolicy {
        InternalFilterPolicy { user }
    }
}

/// The user key of `key`, or `key` itself when too short to be internal
/// (only possible with damaged input; must not panic).
#[inline]
fn user_part(key: &[u8]) -> &[u8] {
    if key.len() >= 8 {
        extract_user_key(key)
    } else {
        key
    }
}

impl FilterPolicy for InternalFilterPolicy {
    fn name(&self) -> &str {
        self.user.name()
    }

    fn create_filter(&self, keys: &[&[u8]], dst: &mut Vec<u8>) {
        let user_keys: Vec<&[u8]> = keys.iter().map(|k| user_part(k)).collect();
        self.user.create_filter(&user_keys, dst);
    }

    fn key_may_match(&self, key: &[u8], filter: &[u8]) -> bool {
        self.user.key_may_match(user_part(key), filter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::hash::hash;

    /// The filter_block_test.cc policy: each key's hash as a fixed32.
    struct TestHashFilter;
    impl FilterPolicy for TestHashFilter {
        fn name(&self) -> &str {
            "TestHashFilter"
        }
        fn create_filter(&self, keys: &[&[u8]], dst: &mut Vec<u8>) {
            for k in keys {
                put_fixed32(dst, hash(k, 1));
            }
        }
        fn key_may_match(&self, key: &[u8], filter: &[u8]) -> bool {
            let h = hash(key, 1);
            filter.chunks_exact(4).any(|c| decode_fixed32(c) == h)
        }
    }

    fn policy() -> Arc<dyn FilterPolicy> {
        Arc::new(TestHashFilter)
    }

    #[test]
    fn empty_builder() {
        let mut b = FilterBlockBuilder::new(policy());
        let block = b.finish().to_vec();
        assert_eq!(block, [0, 0, 0, 0, 11]);
        let r = FilterBlockReader::new(policy(), block);
        assert!(r.key_may_match(0, b"foo"));
        assert!(r.key_may_match(100000, b"foo"));
    }

    #[test]
    fn single_chunk() {
        let mut b = FilterBlockBuilder::new(policy());
        b.start_block(100);
        b.add_key(b"foo");
        b.add_key(b"bar");
        b.add_key(b"box");
        b.start_block(200);
        b.add_key(b"box");
        b.start_block(300);
        b.add_key(b"hello");
        let block = b.finish().to_vec();
        let r = FilterBlockReader::new(policy(), block);
        for k in [&b"foo"[..], b"bar", b"box", b"hello", b"foo"] {
            assert!(r.key_may_match(100, k));
        }
        assert!(!r.key_may_match(100, b"missing"));
        assert!(!r.key_may_match(100, b"other"));
    }

    #[test]
    fn multi_chunk() {
        let mut b = FilterBlockBuilder::new(policy());
        // First filter.
        b.start_block(0);
        b.add_key(b"foo");
        b.start_block(2000);
        b.add_key(b"bar");
        // Second filter.
        b.start_block(3100);
        b.add_key(b"box");
        // Third filter is empty.
        // Last filter.
        b.start_block(9000);
        b.add_key(b"box");
        b.add_key(b"hello");
        let block = b.finish().to_vec();
        let r = FilterBlockReader::new(policy(), block);

        assert!(r.key_may_match(0, b"foo"));
        assert!(r.key_may_match(2000, b"bar"));
        assert!(!r.key_may_match(0, b"box"));
        assert!(!r.key_may_match(0, b"hello"));

        assert!(r.key_may_match(3100, b"box"));
        assert!(!r.key_may_match(3100, b"foo"));
        assert!(!r.key_may_match(3100, b"bar"));
        assert!(!r.key_may_match(3100, b"hello"));

        assert!(!r.key_may_match(4100, b"foo"));
        assert!(!r.key_may_match(4100, b"bar"));
        assert!(!r.key_may_match(4100, b"box"));
        assert!(!r.key_may_match(4100, b"hello"));

        assert!(r.key_may_match(9000, b"box"));
        assert!(r.key_may_match(9000, b"hello"));
        assert!(!r.key_may_match(9000, b"foo"));
        assert!(!r.key_may_match(9000, b"bar"));
    }

    #[test]
    fn damaged_blocks_may_match_and_never_panic() {
        let mut b = FilterBlockBuilder::new(policy());
        b.start_block(0);
        b.add_key(b"foo");
        b.start_block(5000);
        b.add_key(b"bar");
        let good = b.finish().to_vec();
        for cut in 0..good.len() {
            let r = FilterBlockReader::new(policy(), good[..cut].to_vec());
            for off in [0, 2048, 5000, u64::MAX] {
                r.key_may_match(off, b"foo");
            }
        }
        for i in 0..good.len() {
            for x in [1u8, 0x80, 0xff] {
                let mut bad = good.clone();
                bad[i] ^= x;
                let r = FilterBlockReader::new(policy(), bad);
                for off in [0, 2048, 4096, 5000, u64::MAX] {
                    r.key_may_match(off, b"foo");
                }
            }
        }
        // An out-of-range array offset means "no filters": everything matches.
        let r = FilterBlockReader::new(policy(), vec![0xff, 0xff, 0, 0, 11]);
        assert!(r.key_may_match(0, b"anything"));
    }

    #[test]
    fn internal_policy_filters_user_keys() {
        use crate::key::{internal_key, ValueType};
        use crate::util::bloom::BloomFilterPolicy;
        let user: Arc<dyn FilterPolicy> = Arc::new(BloomFilterPolicy::new(10));
        let p = InternalFilterPolicy::new(Arc::clone(&user));
        assert_eq!(p.name(), "leveldb.BuiltinBloomFilter2");
        let k1 = internal_key(b"hello", 5, ValueType::Value);
        let k2 = internal_key(b"world", 7, ValueType::Deletion);
        let mut via_internal = Vec::new();
        p.create_filter(&[&k1, &k2], &mut via_internal);
        let mut direct = Vec::new();
        user.create_filter(&[b"hello", b"world"], &mut direct);
        assert_eq!(via_internal, direct);
        assert!(p.key_may_match(&internal_key(b"hello", 100, ValueType::Value), &direct));
        assert!(!p.key_may_match(&internal_key(b"nothere", 1, ValueType::Value), &direct));
    }
}
