//! LevelDB's built-in Bloom filter policy ("leveldb.BuiltinBloomFilter2"),
//! docs/formats.md §8.8.
//!
//! Invariants: filters are bit for bit what LevelDB 1.23 writes — `bytes`
//! of bit array (at least 64 bits, `bits_per_key` per key) followed by one
//! byte `k`, the number of probes; probes use double hashing from the
//! 32-bit LevelDB hash with seed 0xbc9f1d34, the delta being the hash
//! rotated right by 17 bits. A filter whose `k` byte exceeds 30 is a format
//! this version does not know, and matches everything. Stateless, so
//! `Send + Sync`.

use crate::filter::FilterPolicy;
use crate::util::hash::hash;

const BLOOM_SEED: u32 = 0xbc9f_1d34;

/// The hash a filter is built from and probed with.
#[inline]
pub fn bloom_hash(key: &[u8]) -> u32 {
    hash(key, BLOOM_SEED)
}

/// Sets the `k` bits of the key whose hash is `h` in `array`.
#[inline]
fn set_probes(array: &mut [u8], k: usize, h: u32) {
    // One dispatch per key, not per probe: each arm is its own loop.
    match BitCount::of(array) {
        BitCount::PowerOfTwo(mask) => set_probes_at(array, k, h, |h| (h & mask) as usize),
        BitCount::Narrow(bits) => set_probes_at(array, k, h, |h| (h % bits) as usize),
        BitCount::Wide(bits) => set_probes_at(array, k, h, |h| h as usize % bits),
    }
}

#[inline(always)]
fn set_probes_at(array: &mut [u8], k: usize, mut h: u32, position: impl Fn(u32) -> usize) {
    let delta = h.rotate_right(17);
    for _ in 0..k {
        let bitpos = position(h);
        array[bitpos / 8] |= 1 << (bitpos % 8);
        h = h.wrapping_add(delta);
    }
}

/// Whether every probe of the key whose hash is `h` finds its bit set.
#[inline(always)]
fn probes_all_set(array: &[u8], k: u8, mut h: u32, position: impl Fn(u32) -> usize) -> bool {
    let delta = h.rotate_right(17);
    for _ in 0..k {
        let bitpos = position(h);
        if array[bitpos / 8] & (1 << (bitpos % 8)) == 0 {
            return false;
        }
        h = h.wrapping_add(delta);
    }
    true
}

/// The number of bits of a filter's array, in the form that computes
/// `h % bits` cheapest; every form gives the positions LevelDB's `h % bits`
/// gives. A 32-bit division is several times cheaper than a 64-bit one,
/// and fits every real filter (up to 512 MiB). A power of two needs no
/// division at all: the in-memory key filters are sized so (a division per
/// probe, six per key, was half the merge loop's own time in a compaction).
#[derive(Clone, Copy, Debug, PartialEq)]
enum BitCount {
    /// `bits - 1`, for a power-of-two count.
    PowerOfTwo(u32),
    Narrow(u32),
    Wide(usize),
}

impl BitCount {
    #[inline]
    fn of(array: &[u8]) -> BitCount {
        let bits = array.len() * 8;
        match u32::try_from(bits) {
            Ok(narrow) if narrow.is_power_of_two() => BitCount::PowerOfTwo(narrow - 1),
            Ok(narrow) => BitCount::Narrow(narrow),
            Err(_) => BitCount::Wide(bits),
        }
    }
}

/// Builds filters one after another in one reused bit array sized for
/// `max_keys` keys, without holding the keys or their hashes, and folds
/// each down to the smallest power-of-two fraction of the array that still
/// has `bits_per_key` bits for each key it was given (so between one and two
/// times that). Folding ORs the upper half of the array into the lower: a
/// probe at `h % bits` lands on bit `(h % bits) % (bits / 2) == h % (bits /
/// 2)`, so the folded filter holds every key the unfolded one did, probed
/// the usual way. The array's bit count is a power of two, and so is every
/// folded filter's: their probes need no division (see `BitCount`).
pub struct FoldingFilterBuilder {
    array: Vec<u8>,
    k: usize,
    bits_per_key: usize,
    /// Keys added since the last `take_filter`.
    keys: usize,
}

impl FoldingFilterBuilder {
    pub fn new(policy: &BloomFilterPolicy, max_keys: usize) -> FoldingFilterBuilder {
        // A power of two (at least the 8 bytes every filter gets), so that
        // each halving leaves one too.
        let bytes = filter_array_len(max_keys, policy.bits_per_key).next_power_of_two();
        FoldingFilterBuilder {
            array: vec![0; bytes],
            k: policy.k,
            bits_per_key: policy.bits_per_key,
            keys: 0,
        }
    }

    #[inline]
    pub fn add_key(&mut self, key: &[u8]) {
        set_probes(&mut self.array, self.k, bloom_hash(key));
        self.keys += 1;
    }

    /// The filter of the keys added since the last call; clears the array
    /// for the next filter. More keys than the array was sized for still
    /// give a correct filter, with more false positives.
    pub fn take_filter(&mut self) -> Vec<u8> {
        let wanted = filter_array_len(self.keys, self.bits_per_key);
        let mut len = self.array.len();
        while len % 2 == 0 && len / 2 >= wanted {
            let half = len / 2;
            let (low, high) = self.array[..len].split_at_mut(half);
            for (l, h) in low.iter_mut().zip(high.iter()) {
                *l |= *h;
            }
            len = half;
        }
        // Exactly sized: the filter may be kept for as long as its table.
        let mut filter = Vec::with_capacity(len + 1);
        filter.extend_from_slice(&self.array[..len]);
        filter.push(self.k as u8);
        self.array.fill(0);
        self.keys = 0;
        filter
    }
}

/// Bytes of the bit array of a filter of `keys` keys.
fn filter_array_len(keys: usize, bits_per_key: usize) -> usize {
    // Tiny filters have a high false-positive rate; enforce 64 bits.
    (keys * bits_per_key).max(64).div_ceil(8)
}

/// Whether `filter` may hold a key whose [`bloom_hash`] is `h`.
pub fn hash_may_match(h: u32, filter: &[u8]) -> bool {
    let Some((&k, array)) = filter.split_last() else {
        return false;
    };
    if array.is_empty() {
        return false;
    }
    if k > 30 {
        // Reserved for new encodings of short filters: assume a match.
        return true;
    }
    match BitCount::of(array) {
        BitCount::PowerOfTwo(mask) => probes_all_set(array, k, h, |h| (h & mask) as usize),
        BitCount::Narrow(bits) => probes_all_set(array, k, h, |h| (h % bits) as usize),
        BitCount::Wide(bits) => probes_all_set(array, k, h, |h| h as usize % bits),
    }
}

/// LevelDB's Bloom filter policy (`NewBloomFilterPolicy`,
/// `leveldb.BuiltinBloomFilter2`), with the same filters byte for byte, so
/// tables filtered by either library are filtered by the other.
///
/// ```
/// use std::sync::Arc;
/// use leveldb::{BloomFilterPolicy, Options};
///
/// // About 1% false positives.
/// let options = Options { filter_policy: Some(Arc::new(BloomFilterPolicy::new(10))), ..Options::default() };
/// ```
#[derive(Clone, Debug)]
pub struct BloomFilterPolicy {
    bits_per_key: usize,
    /// Probes per key: `bits_per_key * ln 2`, rounded down, in [1, 30].
    k: usize,
}

impl BloomFilterPolicy {
    /// A policy spending `bits_per_key` bits per key (10 gives about 1%
    /// false positives), probing `bits_per_key * 0.69` times (1 to 30).
    ///
    /// ```
    /// use leveldb::{BloomFilterPolicy, FilterPolicy};
    ///
    /// let bloom = BloomFilterPolicy::new(10);
    /// let mut filter = Vec::new();
    /// bloom.create_filter(&[b"hello", b"world"], &mut filter);
    /// assert!(bloom.key_may_match(b"hello", &filter));
    /// assert_eq!(bloom.name(), "leveldb.BuiltinBloomFilter2");
    /// ```
    pub fn new(bits_per_key: usize) -> BloomFilterPolicy {
        // 0.69 ~= ln(2) minimises the false-positive rate; truncation as the
        // C++ `static_cast<size_t>`.
        let k = ((bits_per_key as f64) * 0.69) as usize;
        BloomFilterPolicy {
            bits_per_key,
            k: k.clamp(1, 30),
        }
    }
}

impl FilterPolicy for BloomFilterPolicy {
    fn name(&self) -> &str {
        "leveldb.BuiltinBloomFilter2"
    }

    fn create_filter(&self, keys: &[&[u8]], dst: &mut Vec<u8>) {
        let bytes = filter_array_len(keys.len(), self.bits_per_key);
        let start = dst.len();
        dst.resize(start + bytes, 0);
        dst.push(self.k as u8);
        let array = &mut dst[start..start + bytes];
        for key in keys {
            set_probes(array, self.k, bloom_hash(key));
        }
    }

    fn key_may_match(&self, key: &[u8], filter: &[u8]) -> bool {
        hash_may_match(bloom_hash(key), filter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bloom_test.cc harness: keys are fixed32 encodings of integers.
    struct Harness {
        policy: BloomFilterPolicy,
        filter: Vec<u8>,
        keys: Vec<Vec<u8>>,
    }

    fn key(i: u32) -> Vec<u8> {
        i.to_le_bytes().to_vec()
    }

    impl Harness {
        fn new() -> Self {
            Harness {
                policy: BloomFilterPolicy::new(10),
                filter: Vec::new(),
                keys: Vec::new(),
            }
        }
        fn reset(&mut self) {
            self.keys.clear();
            self.filter.clear();
        }
        fn add(&mut self, k: &[u8]) {
            self.keys.push(k.to_vec());
        }
        fn build(&mut self) {
            let refs: Vec<&[u8]> = self.keys.iter().map(|k| &k[..]).collect();
            self.filter.clear();
            self.policy.create_filter(&refs, &mut self.filter);
            self.keys.clear();
        }
        fn matches(&mut self, k: &[u8]) -> bool {
            if !self.keys.is_empty() {
                self.build();
            }
            self.policy.key_may_match(k, &self.filter)
        }
        fn false_positive_rate(&mut self) -> f64 {
            let mut hits = 0;
            for i in 0..10000u32 {
                if self.matches(&key(i + 1_000_000_000)) {
                    hits += 1;
                }
            }
            hits as f64 / 10000.0
        }
    }

    #[test]
    fn empty_filter() {
        let mut h = Harness::new();
        assert!(!h.matches(b"hello"));
        assert!(!h.matches(b"world"));
    }

    #[test]
    fn small() {
        let mut h = Harness::new();
        h.add(b"hello");
        h.add(b"world");
        assert!(h.matches(b"hello"));
        assert!(h.matches(b"world"));
        assert!(!h.matches(b"x"));
        assert!(!h.matches(b"foo"));
    }

    fn next_length(length: u32) -> u32 {
        if length < 10 {
            length + 1
        } else if length < 100 {
            length + 10
        } else if length < 1000 {
            length + 100
        } else {
            length + 1000
        }
    }

    #[test]
    fn varying_lengths() {
        let mut h = Harness::new();
        let mut mediocre = 0;
        let mut good = 0;
        let mut length = 1;
        while length <= 10000 {
            h.reset();
            for i in 0..length {
                h.add(&key(i));
            }
            h.build();
            assert!(
                h.filter.len() <= (length as usize * 10 / 8) + 40,
                "length {length}: filter {} bytes",
                h.filter.len()
            );
            for i in 0..length {
                assert!(h.matches(&key(i)), "length {length}; key {i}");
            }
            let rate = h.false_positive_rate();
            assert!(rate <= 0.02, "length {length}: rate {rate}");
            if rate > 0.0125 {
                mediocre += 1;
            } else {
                good += 1;
            }
            length = next_length(length);
        }
        assert!(mediocre <= good / 5, "{mediocre} mediocre, {good} good");
    }

    #[test]
    fn layout_and_probe_count() {
        let p = BloomFilterPolicy::new(10);
        assert_eq!(p.k, 6);
        assert_eq!(BloomFilterPolicy::new(0).k, 1);
        assert_eq!(BloomFilterPolicy::new(100).k, 30);
        let mut f = Vec::new();
        p.create_filter(&[], &mut f);
        assert_eq!(f.len(), 9, "64 bits minimum plus the k byte");
        assert_eq!(f[8], 6);
        let mut f = vec![0xaa];
        let keys: Vec<Vec<u8>> = (0..100u32).map(key).collect();
        let refs: Vec<&[u8]> = keys.iter().map(|k| &k[..]).collect();
        p.create_filter(&refs, &mut f);
        assert_eq!(f[0], 0xaa, "appends");
        assert_eq!(f.len(), 1 + 125 + 1);
    }

    #[test]
    #[allow(clippy::manual_rotate)] // spelled out as docs/formats.md §8.8 states it
    fn known_bits() {
        // Independently computed: one key "a", 64 bits, k = 6.
        let p = BloomFilterPolicy::new(10);
        let mut f = Vec::new();
        p.create_filter(&[b"a"], &mut f);
        let mut h = hash(b"a", 0xbc9f1d34);
        let delta = (h >> 17) | (h << 15);
        let mut expect = [0u8; 8];
        for _ in 0..6 {
            let pos = h % 64;
            expect[(pos / 8) as usize] |= 1 << (pos % 8);
            h = h.wrapping_add(delta);
        }
        assert_eq!(&f[..8], &expect);
    }

    /// The bit array LevelDB builds for `keys` in `bytes` bytes, probing at
    /// `h % bits` as docs/formats.md §8.8 states it.
    fn leveldb_array(keys: &[Vec<u8>], bytes: usize) -> Vec<u8> {
        let bits = (bytes * 8) as u64;
        let mut array = vec![0u8; bytes];
        for k in keys {
            let mut h = hash(k, 0xbc9f1d34);
            let delta = h.rotate_right(17);
            for _ in 0..6 {
                let pos = u64::from(h) % bits;
                array[(pos / 8) as usize] |= 1 << (pos % 8);
                h = h.wrapping_add(delta);
            }
        }
        array
    }

    /// Asserts that `filter` is LevelDB's filter of `keys` (k = 6) at its
    /// size.
    fn assert_leveldb_filter(filter: &[u8], keys: &[Vec<u8>]) {
        let len = filter.len() - 1;
        assert_eq!(
            &filter[..len],
            &leveldb_array(keys, len)[..],
            "{} keys",
            keys.len()
        );
        assert_eq!(filter[len], 6);
    }

    #[test]
    fn filters_of_every_size_probe_where_leveldb_does() {
        // 6 and 102 keys give 8 and 128 bytes (power-of-two bit counts,
        // probed with a mask); the others give counts probed with `%`.
        let policy = BloomFilterPolicy::new(10);
        for n in [0u32, 1, 6, 7, 100, 102, 819, 5000] {
            let keys: Vec<Vec<u8>> = (0..n).map(key).collect();
            let refs: Vec<&[u8]> = keys.iter().map(|k| &k[..]).collect();
            let mut filter = Vec::new();
            policy.create_filter(&refs, &mut filter);
            assert_leveldb_filter(&filter, &keys);
        }
    }

    #[test]
    fn folded_filters_are_leveldb_filters_of_their_size() {
        let policy = BloomFilterPolicy::new(10);
        let mut builder = FoldingFilterBuilder::new(&policy, 5000);
        for n in [0u32, 1, 7, 100, 3000, 5000, 9000] {
            let keys: Vec<Vec<u8>> = (0..n).map(|i| key(i + n * 10_000)).collect();
            for k in &keys {
                builder.add_key(k);
            }
            let filter = builder.take_filter();
            assert!((filter.len() - 1).is_power_of_two(), "{n} keys");
            assert_leveldb_filter(&filter, &keys);
        }
    }

    #[test]
    fn folded_filters_hold_every_key_at_one_to_two_times_the_bits() {
        let policy = BloomFilterPolicy::new(10);
        let mut builder = FoldingFilterBuilder::new(&policy, 20_000);
        assert_eq!(builder.array.len(), 32_768);
        // Reused: each filter holds its own keys and not the previous ones'.
        for (round, n) in [5000u32, 0, 1, 300, 12_000, 30_000].into_iter().enumerate() {
            let base = round as u32 * 1_000_000;
            for i in 0..n {
                builder.add_key(&key(base + i));
            }
            let filter = builder.take_filter();
            let array_bits = (filter.len() - 1) * 8;
            let wanted_bits = (n as usize * 10).max(64);
            assert!(
                array_bits >= wanted_bits.min(32_768 * 8),
                "{n}: {array_bits}"
            );
            assert!(array_bits < 2 * wanted_bits.max(64) || array_bits == 32_768 * 8 || n < 10);
            assert_eq!(filter[filter.len() - 1], 6);
            for i in 0..n {
                assert!(
                    policy.key_may_match(&key(base + i), &filter),
                    "{n}: key {i}"
                );
            }
            let false_positives = (0..10_000u32)
                .filter(|i| policy.key_may_match(&key(500_000 + base + i), &filter))
                .count();
            let bound = if n > 20_000 { 1500 } else { 200 };
            assert!(false_positives <= bound, "{n} keys: {false_positives}");
        }
    }

    #[test]
    fn unknown_encodings_match_and_short_filters_do_not() {
        let p = BloomFilterPolicy::new(10);
        assert!(!p.key_may_match(b"x", &[]));
        assert!(!p.key_may_match(b"x", &[6]));
        assert!(p.key_may_match(b"x", &[0, 0, 31]));
        assert!(p.key_may_match(b"x", &[0, 0, 200]));
        // k == 0 probes nothing: everything matches.
        assert!(p.key_may_match(b"x", &[0, 0, 0]));
    }
}
