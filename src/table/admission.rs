//! Admission to a full block cache: a block read once recently is kept
//! only on its second read (a "doorkeeper", as in TinyLFU).
//!
//! Why: once the cache is full, every block it takes evicts another. When
//! reads spread over far more blocks than the cache holds (random lookups
//! on a large database, or a scan), most blocks are never read again before
//! they are evicted, so inserting them is pure cost: the insert and the
//! eviction, a freshly written buffer instead of a reused warm one, and the
//! loss of whatever the evicted block was. Asking for a second read within
//! a window first keeps blocks that are read again (a hot set, a block
//! several lookups land in) and lets one-off reads pass through. A cache
//! with room left takes every block, as LevelDB's does
//! ([`Cache::insert_arc_if`](crate::util::cache::Cache::insert_arc_if)
//! consults the doorkeeper only when the insert would evict).
//!
//! Invariants:
//! - `admit(h)` records `h` and says whether `h` was recorded before within
//!   the current window. There are no false negatives within a window; false
//!   positives (other keys sharing both bits) are a few percent when the
//!   window is full.
//! - The window is `window` calls: the call that completes one clears every
//!   bit. Clearing races with concurrent recording; a key recorded during
//!   a clear may be forgotten, which only delays its admission.
//!
//! Thread-safety: `Send + Sync`; all state is atomics, updated relaxed
//! (the answers steer caching only, never a read's result).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Blocks are counted in this unit to size the window from a byte
/// capacity (LevelDB's default block size).
const BLOCK_UNIT: usize = 4 << 10;

/// Bits per key of the window, with two probes: about 5% false positives
/// when the window is full.
const BITS_PER_KEY: usize = 8;

pub struct Doorkeeper {
    words: Box<[AtomicU64]>,
    /// Number of bits - 1 (a power of two - 1).
    mask: u64,
    /// Calls per window.
    window: usize,
    calls: AtomicUsize,
}

impl Doorkeeper {
    /// A doorkeeper for a cache of `capacity` bytes: its window is twice
    /// the blocks such a cache holds, so a block read again before the
    /// cache has turned over about twice is admitted.
    pub fn new(capacity: usize) -> Doorkeeper {
        let window = 2 * (capacity / BLOCK_UNIT).max(64);
        let bits = (window * BITS_PER_KEY).next_power_of_two();
        Doorkeeper {
            words: (0..bits / 64).map(|_| AtomicU64::new(0)).collect(),
            mask: bits as u64 - 1,
            window,
            calls: AtomicUsize::new(0),
        }
    }

    /// Records the key hashed to `hash` (a well-mixed 64-bit hash) and
    /// returns whether it was recorded earlier in this window.
    pub fn admit(&self, hash: u64) -> bool {
        let calls = self.calls.fetch_add(1, Ordering::Relaxed) + 1;
        if calls % self.window == 0 {
            for word in self.words.iter() {
                word.store(0, Ordering::Relaxed);
            }
        }
        let first = self.set(hash & self.mask);
        let second = self.set(hash.rotate_right(32) & self.mask);
        first && second
    }

    /// Sets bit `bit`; true if it was set already.
    #[inline]
    fn set(&self, bit: u64) -> bool {
        let mask = 1u64 << (bit % 64);
        self.words[(bit / 64) as usize].fetch_or(mask, Ordering::Relaxed) & mask != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::cache::FastHasher;
    use std::hash::{Hash, Hasher};

    fn hash(key: (u64, u64)) -> u64 {
        let mut h = FastHasher::default();
        key.hash(&mut h);
        h.finish()
    }

    #[test]
    fn second_read_in_a_window_is_admitted_first_rarely() {
        // An 8 MiB cache: a window of 4 096 calls.
        let door = Doorkeeper::new(8 << 20);
        let keys: Vec<u64> = (0..2000).map(|i| hash((7, i * 4096))).collect();
        let first_admitted = keys.iter().filter(|&&h| door.admit(h)).count();
        // Both bits of an unseen key already set: about 1% at this fill.
        assert!(
            first_admitted <= 60,
            "{first_admitted} of 2000 admitted unseen"
        );
        // No false negatives: every key seen in this window is admitted.
        assert!(keys.iter().all(|&h| door.admit(h)));
    }

    /// A full cache keeps a hot set read twice through a scan of many
    /// blocks read once; LevelDB's policy (take every block) loses it.
    #[test]
    fn a_full_cache_keeps_blocks_read_twice_through_a_scan() {
        use crate::table::block::Block;
        use crate::table::BlockCache;
        use std::sync::Arc;

        let block = || Arc::new(Block::new(vec![0; 4096]));
        // 256 blocks of 4 KiB, 16 a shard.
        for admission in [true, false] {
            let cache = BlockCache::new(1 << 20);
            let put = |key| {
                if admission {
                    cache.offer(key, block())
                } else {
                    cache.insert(key, block())
                }
            };
            // Fill every shard: while one has room, it takes every block.
            let warm: Vec<_> = (0..512u64).map(|i| (1, i * 4096)).collect();
            for &k in &warm {
                put(k);
            }
            assert_eq!(cache.total_charge(), 1 << 20);

            let hot: Vec<_> = (0..64u64).map(|i| (2, i * 4096)).collect();
            for &k in &hot {
                put(k);
            }
            let after_one = hot.iter().filter(|k| cache.lookup(k).is_some()).count();
            for &k in &hot {
                if cache.lookup(&k).is_none() {
                    put(k);
                }
            }
            let after_two = hot.iter().filter(|k| cache.lookup(k).is_some()).count();
            for i in 0..2000u64 {
                put((3, i * 4096));
            }
            let after_scan = hot.iter().filter(|k| cache.lookup(k).is_some()).count();
            if admission {
                assert!(after_one <= 6, "{after_one} of 64 taken on a first read");
                assert_eq!(after_two, 64, "a second read is taken");
                assert!(after_scan >= 60, "{after_scan} of 64 survive the scan");
            } else {
                assert_eq!(after_one, 64);
                assert!(after_scan <= 4, "{after_scan} of 64 survive the scan");
            }
        }
    }

    #[test]
    fn a_window_ends_by_forgetting() {
        let door = Doorkeeper::new(0); // the smallest window: 128 calls
        assert_eq!(door.window, 128);
        let key = hash((1, 0));
        assert!(!door.admit(key));
        for i in 1..126 {
            door.admit(hash((2, i)));
        }
        assert!(door.admit(key), "call 127: still in the window");
        // Call 128 ends the window: it clears every bit first.
        door.admit(hash((3, 0)));
        assert!(!door.admit(key), "the window ended: the key was forgotten");
    }
}
