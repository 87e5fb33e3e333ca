//! Builds the contents of one table block (docs/formats.md §8.1).
//!
//! Invariants: keys are added in strictly increasing order (the caller's
//! comparator; checked by the table builder). Every `restart_interval`-th
//! entry starts a restart point: it stores its key whole (`shared == 0`)
//! and its offset goes into the restart array, so readers can binary
//! search. Other entries store only the suffix that differs from the
//! previous key. `finish` appends the restart array and its length; the
//! builder must be `reset` before reuse. Not thread-safe.

use crate::util::coding::{put_fixed32, put_varint32};

pub struct BlockBuilder {
    restart_interval: usize,
    buffer: Vec<u8>,
    restarts: Vec<u32>,
    /// Entries emitted since the last restart point.
    counter: usize,
    finished: bool,
    last_key: Vec<u8>,
}

impl BlockBuilder {
    /// A builder starting a restart point every `restart_interval` entries
    /// (0 acts as 1, as in a release build of LevelDB: every entry restarts).
    pub fn new(restart_interval: usize) -> BlockBuilder {
        BlockBuilder {
            restart_interval: restart_interval.max(1),
            buffer: Vec::new(),
            restarts: vec![0],
            counter: 0,
            finished: false,
            last_key: Vec::new(),
        }
    }

    /// Starts restart points every `restart_interval` entries from the next
    /// entry on (LevelDB's builders read the interval live from options
    /// that `TableBuilder::ChangeOptions` may replace). 0 acts as 1.
    pub fn set_restart_interval(&mut self, restart_interval: usize) {
        self.restart_interval = restart_interval.max(1);
    }

    /// Empties the builder, as if newly made.
    pub fn reset(&mut self) {
        self.buffer.clear();
        self.restarts.clear();
        self.restarts.push(0);
        self.counter = 0;
        self.finished = false;
        self.last_key.clear();
    }

    /// Appends an entry; `key` must sort after every key added since reset.
    pub fn add(&mut self, key: &[u8], value: &[u8]) {
        debug_assert!(!self.finished);
        let shared = if self.counter < self.restart_interval {
            shared_prefix_len(&self.last_key, key)
        } else {
            // Restart compression: this entry holds its whole key.
            self.restarts.push(self.buffer.len() as u32);
            self.counter = 0;
            0
        };
        let non_shared = key.len() - shared;
        // One capacity check for the whole entry (three varints of at most
        // five bytes, the key's suffix, the value) instead of one per part.
        self.buffer.reserve(15 + non_shared + value.len());
        put_varint32(&mut self.buffer, shared as u32);
        put_varint32(&mut self.buffer, non_shared as u32);
        put_varint32(&mut self.buffer, value.len() as u32);
        self.buffer.extend_from_slice(&key[shared..]);
        self.buffer.extend_from_slice(value);

        self.last_key.truncate(shared);
        self.last_key.extend_from_slice(&key[shared..]);
        debug_assert_eq!(self.last_key, key);
        self.counter += 1;
    }

    /// Appends the restart array and returns the finished block contents,
    /// valid until the next `reset`.
    pub fn finish(&mut self) -> &[u8] {
        if !self.finished {
            for &r in &self.restarts {
                put_fixed32(&mut self.buffer, r);
            }
            put_fixed32(&mut self.buffer, self.restarts.len() as u32);
            self.finished = true;
        }
        &self.buffer
    }

    /// The size of the block `finish` would produce now.
    pub fn current_size_estimate(&self) -> usize {
        self.buffer.len() + self.restarts.len() * 4 + 4
    }

    pub fn is_empty(&self) -> bool {
        self.buffer.is_empty()
    }

    /// The last key added (empty after reset).
    pub fn last_key(&self) -> &[u8] {
        &self.last_key
    }

    /// Swaps the last key added into `into` (the table builder's copy,
    /// taken once per block rather than once per entry); the builder must
    /// be `reset` before its next `add`.
    pub fn swap_last_key(&mut self, into: &mut Vec<u8>) {
        std::mem::swap(&mut self.last_key, into);
    }
}

/// The length of the longest common prefix of `a` and `b`, found eight
/// bytes at a time (the first differing byte of two little-endian words is
/// their lowest set bit of difference): keys in a block share most of
/// their bytes, and a byte-at-a-time loop was a visible part of a
/// compaction's cost.
fn shared_prefix_len(a: &[u8], b: &[u8]) -> usize {
    let mut shared = 0;
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        let word = |c: &[u8]| u64::from_le_bytes(c.try_into().expect("8-byte chunk"));
        let diff = word(x) ^ word(y);
        if diff != 0 {
            return shared + (diff.trailing_zeros() / 8) as usize;
        }
        shared += 8;
    }
    shared
        + a[shared..]
            .iter()
            .zip(&b[shared..])
            .take_while(|(x, y)| x == y)
            .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_prefix_len_matches_a_byte_by_byte_count() {
        let naive = |a: &[u8], b: &[u8]| a.iter().zip(b).take_while(|(x, y)| x == y).count();
        let base: Vec<u8> = (0..40u8).collect();
        for len_a in 0..=base.len() {
            for len_b in [0, 1, 7, 8, 9, 16, 17, 40] {
                for diff_at in 0..=len_a.min(len_b) {
                    let a = &base[..len_a];
                    let mut b = base[..len_b].to_vec();
                    if diff_at < b.len() {
                        b[diff_at] ^= 0x10;
                    }
                    assert_eq!(
                        shared_prefix_len(a, &b),
                        naive(a, &b),
                        "{len_a} {len_b} {diff_at}"
                    );
                }
            }
        }
    }

    #[test]
    fn empty_block_is_eight_bytes() {
        let mut b = BlockBuilder::new(16);
        assert_eq!(b.current_size_estimate(), 8);
        assert_eq!(b.finish(), &[0, 0, 0, 0, 1, 0, 0, 0]);
    }

    #[test]
    fn zero_restart_interval_restarts_every_entry() {
        let mut zero = BlockBuilder::new(0);
        let mut one = BlockBuilder::new(1);
        for k in [&b"abc"[..], b"abd", b"abe"] {
            zero.add(k, b"v");
            one.add(k, b"v");
        }
        assert_eq!(zero.finish(), one.finish());
    }

    #[test]
    fn prefix_compression_and_restarts() {
        let mut b = BlockBuilder::new(2);
        b.add(b"apple", b"1");
        b.add(b"apricot", b"22");
        b.add(b"banana", b"");
        let est = b.current_size_estimate();
        let out = b.finish().to_vec();
        assert_eq!(out.len(), est);
        let mut expect = Vec::new();
        expect.extend_from_slice(&[0, 5, 1]);
        expect.extend_from_slice(b"apple1");
        expect.extend_from_slice(&[2, 5, 2]);
        expect.extend_from_slice(b"ricot22");
        let restart2 = expect.len() as u32;
        expect.extend_from_slice(&[0, 6, 0]);
        expect.extend_from_slice(b"banana");
        expect.extend_from_slice(&0u32.to_le_bytes());
        expect.extend_from_slice(&restart2.to_le_bytes());
        expect.extend_from_slice(&2u32.to_le_bytes());
        assert_eq!(out, expect);
        b.reset();
        assert!(b.is_empty());
        assert_eq!(b.finish().len(), 8);
    }
}
