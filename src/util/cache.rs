//! A sharded LRU cache with per-entry charges (LevelDB's `NewLRUCache`).
//!
//! Invariants:
//! - The cache is split into [`NUM_SHARDS`] shards, each a mutex-protected
//!   LRU list plus a hash map, holding `ceil(capacity / NUM_SHARDS)` of
//!   charge. A key always maps to the same shard (by its hash).
//! - Each shard's total charge never exceeds its capacity after an insert
//!   returns, except that one entry heavier than the whole shard is never
//!   kept at all. With capacity 0 nothing is cached (LevelDB: "turn off
//!   caching"), but `insert` still hands back a usable handle.
//! - Recency is recorded at most once per entry between two inserts into
//!   its shard: an entry already moved to the newest end since the shard's
//!   last insert stays where it is. Evictions happen only at inserts, so
//!   this changes the order only among entries used since the last one,
//!   and it lets a hit on such an entry (every hit, when the working set
//!   fits) take the shard's lock shared instead of exclusively, so
//!   concurrent readers of hot entries do not queue behind each other.
//! - Values are shared as `Arc<V>` handles. A handle keeps its value alive
//!   ("pinned") after the entry is evicted, erased or replaced; pinning does
//!   not keep an entry in the cache (unlike LevelDB, whose in-use entries
//!   still count against the capacity) — an evicted value simply lives on
//!   until its last handle is dropped, so memory use is bounded by the
//!   capacity plus what callers hold.
//!
//! Thread-safety: `Cache` is `Send + Sync`; every operation locks one shard
//! (a lookup that needs no move locks it shared).

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::util::padded::Padded;
use crate::util::prefetch::prefetch_line;

use parking_lot::RwLock;

/// Shards per cache, as LevelDB's `kNumShardBits = 4`.
pub const NUM_SHARDS: usize = 16;

/// A small multiply-xorshift hasher: cache keys are short integers or byte
/// strings, and SipHash's DoS resistance buys nothing for them.
#[derive(Default, Clone, Copy)]
pub struct FastHasher {
    state: u64,
}

const SEED_MULTIPLIER: u64 = 0x9e37_79b9_7f4a_7c15;

impl Hasher for FastHasher {
    #[inline]
    fn finish(&self) -> u64 {
        // Final avalanche so both the high bits (shard choice) and the low
        // bits (hash map buckets) depend on every input bit.
        let mut h = self.state;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h
    }

    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.write_u64(u64::from_le_bytes(w));
        }
        for &b in chunks.remainder() {
            self.write_u64(u64::from(b));
        }
    }

    #[inline]
    fn write_u64(&mut self, v: u64) {
        self.state = (self.state.rotate_left(5) ^ v).wrapping_mul(SEED_MULTIPLIER);
    }

    #[inline]
    fn write_u32(&mut self, v: u32) {
        self.write_u64(u64::from(v));
    }

    #[inline]
    fn write_usize(&mut self, v: usize) {
        self.write_u64(v as u64);
    }
}

#[derive(Default, Clone, Copy)]
pub struct FastHashBuilder;

impl BuildHasher for FastHashBuilder {
    type Hasher = FastHasher;
    #[inline]
    fn build_hasher(&self) -> FastHasher {
        FastHasher::default()
    }
}

/// Index of the list sentinel in a shard's slab.
const HEAD: u32 = 0;

struct Node<K, V> {
    /// `None` for the sentinel and for free slots.
    entry: Option<(K, Arc<V>)>,
    charge: usize,
    /// The shard's `epoch` when this node was last made the newest.
    stamp: u64,
    prev: u32,
    next: u32,
}

/// One LRU shard: a slab of nodes forming a circular doubly linked list
/// (most recently used just before the sentinel) and a map key → slot.
struct Shard<K, V> {
    capacity: usize,
    usage: usize,
    /// Incremented by every insert.
    epoch: u64,
    map: HashMap<K, u32, FastHashBuilder>,
    nodes: Vec<Node<K, V>>,
    free: Vec<u32>,
}

impl<K: Hash + Eq + Clone, V> Shard<K, V> {
    fn new(capacity: usize) -> Self {
        Shard {
            capacity,
            usage: 0,
            epoch: 0,
            map: HashMap::with_hasher(FastHashBuilder),
            nodes: vec![Node {
                entry: None,
                charge: 0,
                stamp: 0,
                prev: HEAD,
                next: HEAD,
            }],
            free: Vec::new(),
        }
    }

    fn unlink(&mut self, i: u32) {
        let (prev, next) = {
            let n = &self.nodes[i as usize];
            (n.prev, n.next)
        };
        self.nodes[prev as usize].next = next;
        self.nodes[next as usize].prev = prev;
    }

    /// Links `i` as the most recently used node.
    fn push_newest(&mut self, i: u32) {
        let last = self.nodes[HEAD as usize].prev;
        {
            let n = &mut self.nodes[i as usize];
            n.prev = last;
            n.next = HEAD;
        }
        self.nodes[last as usize].next = i;
        self.nodes[HEAD as usize].prev = i;
    }

    /// The value under `key` if no move is due (it was made the newest
    /// since the last insert); `Err` if a move is due.
    fn lookup_in_place(&self, key: &K) -> Result<Option<Arc<V>>, ()> {
        let Some(&i) = self.map.get(key) else {
            return Ok(None);
        };
        let node = &self.nodes[i as usize];
        if node.stamp != self.epoch {
            return Err(());
        }
        Ok(node.entry.as_ref().map(|(_, v)| Arc::clone(v)))
    }

    fn lookup(&mut self, key: &K) -> Option<Arc<V>> {
        let i = *self.map.get(key)?;
        self.unlink(i);
        self.push_newest(i);
        self.nodes[i as usize].stamp = self.epoch;
        self.nodes[i as usize]
            .entry
            .as_ref()
            .map(|(_, v)| Arc::clone(v))
    }

    /// Frees slot `i` (already unmapped), returning its value.
    fn release_slot(&mut self, i: u32) -> Option<Arc<V>> {
        self.unlink(i);
        let node = &mut self.nodes[i as usize];
        self.usage -= node.charge;
        node.charge = 0;
        let entry = node.entry.take();
        self.free.push(i);
        entry.map(|(_, v)| v)
    }

    fn remove(&mut self, key: &K) -> Option<Arc<V>> {
        let i = self.map.remove(key)?;
        self.release_slot(i)
    }

    /// Inserts, returning values pushed out (dropped by the caller outside
    /// the lock, so a value's destructor never runs under the shard mutex).
    fn insert(&mut self, key: K, value: Arc<V>, charge: usize, dropped: &mut Evicted<V>) {
        if self.capacity == 0 || charge > self.capacity {
            // Would be evicted at once: keep the cache as it was otherwise.
            if let Some(old) = self.remove(&key) {
                dropped.push(old);
            }
            return;
        }
        let i = match self.free.pop() {
            Some(i) => i,
            None => {
                self.nodes.push(Node {
                    entry: None,
                    charge: 0,
                    stamp: 0,
                    prev: HEAD,
                    next: HEAD,
                });
                (self.nodes.len() - 1) as u32
            }
        };
        self.epoch += 1;
        {
            let n = &mut self.nodes[i as usize];
            n.entry = Some((key.clone(), value));
            n.charge = charge;
            n.stamp = self.epoch;
        }
        self.push_newest(i);
        self.usage += charge;
        // One probe both maps the key and finds an entry it replaces.
        if let Some(old) = self.map.insert(key, i) {
            if let Some(v) = self.release_slot(old) {
                dropped.push(v);
            }
        }
        while self.usage > self.capacity {
            let oldest = self.nodes[HEAD as usize].next;
            debug_assert_ne!(oldest, HEAD);
            let Some((k, _)) = self.nodes[oldest as usize].entry.as_ref() else {
                break;
            };
            let k = k.clone();
            self.map.remove(&k);
            if let Some(v) = self.release_slot(oldest) {
                dropped.push(v);
            }
        }
        self.prefetch_next_victims();
    }

    /// Starts loading what the next evictions will touch. A full cache
    /// evicts on nearly every insert, and its oldest entries are cold: the
    /// node, then the value it points to (whose count the eviction drops).
    /// This insert prefetches the oldest node's value and the node after
    /// it, so each eviction finds its node and value already loaded by the
    /// inserts before it.
    #[inline]
    fn prefetch_next_victims(&self) {
        let oldest = self.nodes[HEAD as usize].next;
        if oldest == HEAD {
            return;
        }
        let node = &self.nodes[oldest as usize];
        if let Some((_, v)) = &node.entry {
            // The value and, just before it, the reference counts.
            let value: *const u8 = Arc::as_ptr(v).cast();
            prefetch_line(value);
            prefetch_line(value.wrapping_sub(16));
        }
        if node.next != HEAD {
            prefetch_line((&self.nodes[node.next as usize] as *const Node<K, V>).cast());
        }
    }

    fn clear(&mut self, dropped: &mut Evicted<V>) {
        let keys: Vec<u32> = self.map.drain().map(|(_, i)| i).collect();
        for i in keys {
            if let Some(v) = self.release_slot(i) {
                dropped.push(v);
            }
        }
    }
}

/// Values taken out of a shard under its lock, to drop after unlocking.
/// An insert usually evicts one or two entries; those stay inline, so the
/// common insert does not allocate.
struct Evicted<V> {
    inline: [Option<Arc<V>>; 4],
    more: Vec<Arc<V>>,
}

impl<V> Default for Evicted<V> {
    fn default() -> Self {
        Evicted {
            inline: [None, None, None, None],
            more: Vec::new(),
        }
    }
}

impl<V> Evicted<V> {
    fn push(&mut self, value: Arc<V>) {
        match self.inline.iter_mut().find(|slot| slot.is_none()) {
            Some(slot) => *slot = Some(value),
            None => self.more.push(value),
        }
    }
}

/// A shard's lock on cache lines of its own: shards sit next to each
/// other, and threads locking neighbouring shards must not invalidate each
/// other's lines.
type PaddedShard<K, V> = Padded<RwLock<Shard<K, V>>>;

/// A sharded LRU cache from `K` to shared `V`s.
pub struct Cache<K, V> {
    shards: Box<[PaddedShard<K, V>]>,
    capacity: usize,
    last_id: AtomicU64,
}

impl<K: Hash + Eq + Clone, V> Cache<K, V> {
    /// A cache holding up to `capacity` total charge (0: caches nothing).
    pub fn new(capacity: usize) -> Self {
        let per_shard = capacity.div_ceil(NUM_SHARDS);
        let shards = (0..NUM_SHARDS)
            .map(|_| Padded(RwLock::new(Shard::new(per_shard))))
            .collect();
        Cache {
            shards,
            capacity,
            last_id: AtomicU64::new(0),
        }
    }

    #[inline]
    fn shard(&self, key: &K) -> &RwLock<Shard<K, V>> {
        let mut h = FastHasher::default();
        key.hash(&mut h);
        // Middle bits choose the shard: the shard's hash map uses the low
        // bits (bucket) and the top 7 (tag), which must keep varying
        // within a shard for its probes to stay short.
        &self.shards[(h.finish() >> 32) as usize % NUM_SHARDS].0
    }

    /// Inserts `value` under `key` with `charge`, replacing any old entry,
    /// and returns a handle to it (valid even if the cache does not keep it).
    pub fn insert(&self, key: K, value: V, charge: usize) -> Arc<V> {
        let value = Arc::new(value);
        self.insert_arc(key, Arc::clone(&value), charge);
        value
    }

    /// As [`Cache::insert`], for a value already shared.
    pub fn insert_arc(&self, key: K, value: Arc<V>, charge: usize) {
        let mut dropped = Evicted::default();
        self.shard(&key)
            .write()
            .insert(key, value, charge, &mut dropped);
        drop(dropped);
    }

    /// As [`Cache::insert_arc`], except that an entry that would evict
    /// others (its shard is full) goes in only if `admit()` says so; a
    /// shard with room takes every entry. Returns whether it went in.
    pub fn insert_arc_if(
        &self,
        key: K,
        value: Arc<V>,
        charge: usize,
        admit: impl FnOnce() -> bool,
    ) -> bool {
        let mut dropped = Evicted::default();
        let inserted = {
            let mut shard = self.shard(&key).write();
            let full = shard.usage + charge > shard.capacity;
            let inserted = !full || admit();
            if inserted {
                shard.insert(key, value, charge, &mut dropped);
            }
            inserted
        };
        drop(dropped);
        inserted
    }

    /// A handle to the value under `key`, marking it most recently used
    /// (unless it already was since the shard's last insert).
    pub fn lookup(&self, key: &K) -> Option<Arc<V>> {
        let shard = self.shard(key);
        if let Ok(found) = shard.read().lookup_in_place(key) {
            return found;
        }
        // Another thread may evict the entry between the two locks; that
        // is a miss like any other.
        shard.write().lookup(key)
    }

    /// Removes `key`; handles already given out stay valid.
    pub fn erase(&self, key: &K) {
        let removed = self.shard(key).write().remove(key);
        drop(removed);
    }

    /// Removes every entry (LevelDB's `Prune`; no entry here is "in use").
    pub fn prune(&self) {
        for shard in self.shards.iter() {
            let mut dropped = Evicted::default();
            shard.0.write().clear(&mut dropped);
            drop(dropped);
        }
    }

    /// The sum of the charges of the cached entries.
    pub fn total_charge(&self) -> usize {
        self.shards.iter().map(|s| s.0.write().usage).sum()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// A new id, distinct from every earlier one of this cache; clients
    /// sharing a cache prefix their keys with one to partition the key space.
    pub fn new_id(&self) -> u64 {
        self.last_id.fetch_add(1, Ordering::Relaxed) + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CACHE_SIZE: usize = 1000;

    #[test]
    fn insert_if_asks_only_when_the_shard_is_full() {
        // One unit of charge per shard: a key is the first of its shard
        // (taken without asking) or finds the shard full (asked).
        let cache: Cache<u32, u32> = Cache::new(NUM_SHARDS);
        let mut first_in_shard = std::collections::HashSet::new();
        let mut asked = 0;
        for k in 0..200u32 {
            let admit_this = k % 2 == 0;
            let shard = cache.shard(&k) as *const _;
            let inserted = cache.insert_arc_if(k, Arc::new(k), 1, || {
                asked += 1;
                admit_this
            });
            if first_in_shard.insert(shard) {
                assert!(inserted, "a shard with room takes key {k}");
            } else {
                assert_eq!(inserted, admit_this, "key {k}");
            }
            assert_eq!(cache.lookup(&k).is_some(), inserted);
        }
        assert_eq!(asked + first_in_shard.len(), 200);
        assert!(cache.total_charge() <= NUM_SHARDS);
    }

    /// The cache_test.cc harness: int keys and values, charge 1 by default.
    struct Harness {
        cache: Cache<u32, u32>,
        pinned: Vec<Arc<u32>>,
    }

    impl Harness {
        fn new(cap: usize) -> Self {
            Harness {
                cache: Cache::new(cap),
                pinned: Vec::new(),
            }
        }
        fn lookup(&self, k: u32) -> Option<u32> {
            self.cache.lookup(&k).map(|v| *v)
        }
        fn insert(&self, k: u32, v: u32) {
            self.insert_charge(k, v, 1);
        }
        fn insert_charge(&self, k: u32, v: u32, charge: usize) {
            self.cache.insert(k, v, charge);
        }
        fn erase(&self, k: u32) {
            self.cache.erase(&k);
        }
    }

    #[test]
    fn hit_and_miss() {
        let h = Harness::new(CACHE_SIZE);
        assert_eq!(h.lookup(100), None);
        h.insert(100, 101);
        assert_eq!(h.lookup(100), Some(101));
        assert_eq!(h.lookup(200), None);
        assert_eq!(h.lookup(300), None);
        h.insert(200, 201);
        assert_eq!(h.lookup(100), Some(101));
        assert_eq!(h.lookup(200), Some(201));
        h.insert(100, 102);
        assert_eq!(h.lookup(100), Some(102));
        assert_eq!(h.lookup(200), Some(201));
        assert_eq!(h.cache.total_charge(), 2);
    }

    #[test]
    fn erase() {
        let h = Harness::new(CACHE_SIZE);
        h.erase(200);
        h.insert(100, 101);
        h.insert(200, 201);
        h.erase(100);
        assert_eq!(h.lookup(100), None);
        assert_eq!(h.lookup(200), Some(201));
        h.erase(100);
        assert_eq!(h.lookup(200), Some(201));
        assert_eq!(h.cache.total_charge(), 1);
    }

    #[test]
    fn pinned_values_outlive_erase_replace_and_eviction() {
        let mut h = Harness::new(CACHE_SIZE);
        h.insert(100, 101);
        let p1 = h.cache.lookup(&100).unwrap();
        h.insert(100, 102);
        let p2 = h.cache.lookup(&100).unwrap();
        assert_eq!((*p1, *p2), (101, 102));
        h.erase(100);
        assert_eq!(h.lookup(100), None);
        assert_eq!((*p1, *p2), (101, 102));
        // Push everything out: pinned values stay readable.
        h.pinned.push(h.cache.insert(7, 77, 1));
        for i in 0..(CACHE_SIZE as u32 * 4) {
            h.insert(1000 + i, i);
        }
        assert_eq!(*h.pinned[0], 77);
        assert_eq!(h.lookup(7), None);
        // Each shard holds ceil(capacity / shards).
        assert!(h.cache.total_charge() <= CACHE_SIZE + NUM_SHARDS);
    }

    #[test]
    fn eviction_policy_is_lru() {
        let h = Harness::new(CACHE_SIZE);
        h.insert(100, 101);
        h.insert(200, 201);
        // Frequently used entry must be kept around, as must things in use.
        for i in 0..(CACHE_SIZE as u32 + 100) {
            h.insert(1000 + i, 2000 + i);
            assert_eq!(h.lookup(1000 + i), Some(2000 + i));
            assert_eq!(h.lookup(100), Some(101));
        }
        assert_eq!(h.lookup(100), Some(101));
        assert_eq!(h.lookup(200), None);
    }

    #[test]
    fn eviction_order_within_a_shard() {
        // One shard of capacity 3 (a cache of 48 splits 3 per shard): find
        // keys landing in the same shard and check oldest-first eviction.
        let cache: Cache<u32, u32> = Cache::new(3 * NUM_SHARDS);
        let target = cache.shard(&0) as *const _;
        let same: Vec<u32> = (0..10_000)
            .filter(|k| std::ptr::eq(cache.shard(k), target))
            .take(5)
            .collect();
        for &k in &same[..3] {
            cache.insert(k, k, 1);
        }
        cache.lookup(&same[0]); // order now: 1, 2, 0
        cache.insert(same[3], 0, 1); // evicts 1
        assert!(cache.lookup(&same[1]).is_none());
        assert!(cache.lookup(&same[2]).is_some()); // order: 0, 3, 2
        cache.insert(same[4], 0, 1); // evicts 0
        assert!(cache.lookup(&same[0]).is_none());
        assert!(cache.lookup(&same[3]).is_some());
        assert!(cache.lookup(&same[2]).is_some());
    }

    #[test]
    fn concurrent_lookups_inserts_and_erases_never_mix_up_entries() {
        // Shared-lock hits race exclusive moves, inserts and erases: every
        // hit must still be the value stored under its own key.
        let cache: Arc<Cache<u32, (u32, u64)>> = Arc::new(Cache::new(64));
        let threads: Vec<_> = (0..4u64)
            .map(|t| {
                let cache = Arc::clone(&cache);
                std::thread::spawn(move || {
                    let mut x = 0x9e37_79b9u64.wrapping_mul(t + 1);
                    let mut hits = 0;
                    let ops: u64 = if cfg!(miri) { 500 } else { 50_000 };
                    for n in 0..ops {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        let k = (x % 200) as u32;
                        match (x >> 32) % 10 {
                            0..=2 => {
                                cache.insert(k, (k, n), 1);
                            }
                            3 => cache.erase(&k),
                            _ => {
                                if let Some(v) = cache.lookup(&k) {
                                    assert_eq!(v.0, k);
                                    hits += 1;
                                }
                            }
                        }
                    }
                    hits
                })
            })
            .collect();
        let hits: u32 = threads.into_iter().map(|t| t.join().unwrap()).sum();
        assert!(hits > 0);
        assert!(cache.total_charge() <= 64 + NUM_SHARDS);
    }

    #[test]
    fn heavy_entries() {
        // Add a mix of light and heavy entries; the total cached weight must
        // stay near the capacity, and whatever is cached must be intact.
        let h = Harness::new(CACHE_SIZE);
        const LIGHT: usize = 1;
        const HEAVY: usize = 10;
        let mut added = 0;
        let mut index = 0u32;
        while added < 2 * CACHE_SIZE {
            let weight = if index & 1 == 1 { LIGHT } else { HEAVY };
            h.insert_charge(index, 1000 + index, weight);
            added += weight;
            index += 1;
        }
        let mut cached_weight = 0;
        for i in 0..index {
            let weight = if i & 1 == 1 { LIGHT } else { HEAVY };
            if let Some(v) = h.lookup(i) {
                cached_weight += weight;
                assert_eq!(v, 1000 + i);
            }
        }
        assert!(cached_weight <= CACHE_SIZE + CACHE_SIZE / 10);
        assert_eq!(h.cache.total_charge(), cached_weight);
    }

    #[test]
    fn entry_heavier_than_a_shard_is_not_kept() {
        let h = Harness::new(CACHE_SIZE);
        h.insert(1, 1);
        h.insert_charge(2, 2, CACHE_SIZE);
        assert_eq!(h.lookup(2), None);
        assert_eq!(h.lookup(1), Some(1));
    }

    #[test]
    fn new_id_is_unique() {
        let h = Harness::new(CACHE_SIZE);
        let a = h.cache.new_id();
        let b = h.cache.new_id();
        assert_ne!(a, b);
    }

    #[test]
    fn prune_empties() {
        let h = Harness::new(CACHE_SIZE);
        h.insert(1, 100);
        h.insert(2, 200);
        let pinned = h.cache.lookup(&1).unwrap();
        h.cache.prune();
        assert_eq!(h.lookup(1), None);
        assert_eq!(h.lookup(2), None);
        assert_eq!(h.cache.total_charge(), 0);
        assert_eq!(*pinned, 100);
    }

    #[test]
    fn zero_size_cache_caches_nothing() {
        let h = Harness::new(0);
        let handle = h.cache.insert(1, 100, 1);
        assert_eq!(*handle, 100);
        assert_eq!(h.lookup(1), None);
        assert_eq!(h.cache.total_charge(), 0);
    }

    #[test]
    fn values_are_dropped_when_evicted_and_unpinned() {
        let cache: Cache<u32, Arc<()>> = Cache::new(NUM_SHARDS);
        let token = Arc::new(());
        for i in 0..1000 {
            cache.insert(i, Arc::clone(&token), 1);
        }
        assert!(Arc::strong_count(&token) <= 1 + NUM_SHARDS);
        cache.prune();
        assert_eq!(Arc::strong_count(&token), 1);
    }

    #[test]
    fn concurrent_use() {
        let cache: Arc<Cache<u64, u64>> = Arc::new(Cache::new(500));
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let cache = Arc::clone(&cache);
                std::thread::spawn(move || {
                    for i in 0..5000u64 {
                        let k = (i * 7 + t) % 1000;
                        match cache.lookup(&k) {
                            Some(v) => assert_eq!(*v, k * 3),
                            None => {
                                cache.insert(k, k * 3, 1);
                            }
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert!(cache.total_charge() <= 500 + NUM_SHARDS);
    }
}
