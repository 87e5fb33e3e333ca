//! The memtable (LevelDB's `db/memtable`): recent writes, sorted, in memory.
//!
//! Each write becomes one entry of the skiplist (`docs/formats.md` §7):
//! `varint32(internal_key_len) ++ user_key ++ fixed64(seq << 8 | type) ++
//! varint32(value_len) ++ value`, ordered by the internal key comparator:
//! user key ascending (user comparator), then tag descending, so the newest
//! entry of a user key comes first.
//!
//! Invariants: entries are only ever added, never changed or removed; all
//! memory is held by the skiplist's arena and freed when the last owner (the
//! memtable or one of its iterators) goes away. Sequence numbers are unique,
//! so no two entries have equal internal keys. A database's memtables (under
//! a bytewise comparator) also keep a Bloom filter of the user keys added:
//! its bits are set before the entry is inserted and never cleared, so a
//! lookup it rules out could not have found the key.
//!
//! Thread-safety: `MemTable` is `Send + Sync`. `add` may be called from any
//! thread (writers are serialised inside; the DB already serialises them, so
//! the lock is uncontended); `get`, iterators and `approximate_memory_usage`
//! never lock and run concurrently with `add`.

pub mod skiplist;

use std::cmp::Ordering;
use std::sync::atomic::Ordering as AtomicOrdering;
use std::sync::Arc;

use crate::iterator::InternalIterator;
use crate::key::{
    pack_sequence_and_type, InternalKeyComparator, LookupKey, LookupOutcome, SequenceNumber,
    ValueType,
};
use crate::status::Result;
use crate::util::arena::ZeroedWords;
use crate::util::comparator::Comparator;

use skiplist::{Iter, KeyOrder, SkipList};

use crate::util::comparator::compare_bytes;

/// The internal key order, specialised for speed: it splits keys in place,
/// compares tags as integers, and calls the user comparator only when it is
/// not the bytewise one (whose order is plain slice order). The rule is
/// `Comparator::is_bytewise`, as for the internal-key comparator: a user
/// comparator that merely takes the bytewise one's name keeps its own order.
pub struct InternalKeyOrder {
    user: Arc<dyn Comparator>,
    bytewise: bool,
}

impl InternalKeyOrder {
    pub fn new(icmp: &InternalKeyComparator) -> InternalKeyOrder {
        let user = Arc::clone(icmp.user_comparator());
        let bytewise = user.is_bytewise();
        InternalKeyOrder { user, bytewise }
    }

    #[inline(always)]
    fn compare_user(&self, a: &[u8], b: &[u8]) -> Ordering {
        if self.bytewise {
            compare_bytes(a, b)
        } else {
            self.user.compare(a, b)
        }
    }
}

/// Splits an internal key into user key and tag. Keys shorter than a tag
/// (only possible in a malformed seek target) are all user key with tag 0,
/// rather than a panic.
#[inline(always)]
fn split_internal_key(key: &[u8]) -> (&[u8], u64) {
    match key.len().checked_sub(8) {
        Some(split) => {
            let (user, tag) = key.split_at(split);
            let tag: [u8; 8] = tag.try_into().expect("8-byte tag");
            (user, u64::from_le_bytes(tag))
        }
        None => (key, 0),
    }
}

impl KeyOrder for InternalKeyOrder {
    #[inline]
    fn compare(&self, a: &[u8], b: &[u8]) -> Ordering {
        let (user_a, tag_a) = split_internal_key(a);
        let (user_b, tag_b) = split_internal_key(b);
        match self.compare_user(user_a, user_b) {
            // Larger tag (newer sequence) first.
            Ordering::Equal => tag_b.cmp(&tag_a),
            other => other,
        }
    }
}

/// A Bloom filter over the user keys added to a memtable. Once a database
/// outgrows its write buffer, nearly every `Get` asks the memtable for a
/// key it does not hold, and the skiplist search that answers "no" walks a
/// dozen cold nodes; the filter answers most of those with one load.
///
/// Blocked: each key sets `PROBES` bits of a single 64-bit word. Bits are
/// only ever set, with `fetch_or`, so adds need no lock and lookups see
/// every key whose entry they could see: an entry a reader may find was
/// added before its sequence number was published under the database
/// mutex, and the add sets the key's bits before inserting the entry.
struct KeyFilter {
    words: ZeroedWords,
}

impl KeyFilter {
    const PROBES: u32 = 4;

    fn new(bytes: usize) -> KeyFilter {
        let words = (bytes / 8).max(1);
        KeyFilter {
            words: ZeroedWords::new(words),
        }
    }

    /// A 64-bit hash of `key`, eight bytes per step: this runs on every
    /// write, where LevelDB's four-bytes-a-step filter hash would cost more
    /// than the filter saves. Never stored, so free to differ from it.
    #[inline]
    fn hash(key: &[u8]) -> u64 {
        const K: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut h = (key.len() as u64).wrapping_mul(K);
        let mut chunks = key.chunks_exact(8);
        for chunk in &mut chunks {
            let word = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
            h = (h ^ word).wrapping_mul(K).rotate_left(31);
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut tail = [0u8; 8];
            tail[..rest.len()].copy_from_slice(rest);
            h = (h ^ u64::from_le_bytes(tail))
                .wrapping_mul(K)
                .rotate_left(31);
        }
        // MurmurHash3's finaliser: every output bit depends on every input bit.
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }

    /// The word of the key whose [`KeyFilter::hash`] is `h`, and its bits
    /// there: the word from the high half (multiply-shift instead of a
    /// division), the bits from the low one.
    #[inline]
    fn probe(&self, h: u64) -> (usize, u64) {
        let word = (((h >> 32) * self.words.len() as u64) >> 32) as usize;
        let mut mask = 0u64;
        for i in 0..Self::PROBES {
            mask |= 1 << ((h >> (6 * i)) & 63);
        }
        (word, mask)
    }

    #[inline]
    fn add(&self, key: &[u8]) {
        let (word, mask) = self.probe(Self::hash(key));
        self.words[word].fetch_or(mask, AtomicOrdering::Relaxed);
    }

    #[inline]
    fn may_contain(&self, key: &[u8]) -> bool {
        let (word, mask) = self.probe(Self::hash(key));
        self.words[word].load(AtomicOrdering::Relaxed) & mask == mask
    }
}

/// A sorted in-memory table of recent writes.
pub struct MemTable {
    comparator: InternalKeyComparator,
    list: Arc<SkipList<InternalKeyOrder>>,
    /// For tables of the database (not of repair or tests), and only under
    /// a bytewise comparator: a filter of user-key bytes is only sound if
    /// different bytes never compare equal.
    key_filter: Option<KeyFilter>,
}

impl MemTable {
    pub fn new(comparator: InternalKeyComparator) -> MemTable {
        let list = Arc::new(SkipList::new(InternalKeyOrder::new(&comparator)));
        MemTable {
            comparator,
            list,
            key_filter: None,
        }
    }

    /// A memtable for a write buffer of `write_buffer_size` bytes, with a
    /// key filter of 1/64 of that (64 KiB for the default 4 MiB: about 20
    /// bits per key of 100-byte values) when the comparator is bytewise.
    pub fn with_key_filter(
        comparator: InternalKeyComparator,
        write_buffer_size: usize,
    ) -> MemTable {
        let bytewise = comparator.user_comparator().is_bytewise();
        let mut mem = MemTable::new(comparator);
        if bytewise {
            let bytes = (write_buffer_size / 64).clamp(1 << 10, 1 << 20);
            mem.key_filter = Some(KeyFilter::new(bytes));
        }
        mem
    }

    pub fn comparator(&self) -> &InternalKeyComparator {
        &self.comparator
    }

    /// Bytes held by this memtable's arena. Safe to call while another
    /// thread adds.
    #[inline]
    pub fn approximate_memory_usage(&self) -> usize {
        self.list.memory_usage()
    }

    /// Number of entries (values and deletions) added.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Adds an entry mapping `key` to `value` at sequence `seq` (for a
    /// deletion, `value` is normally empty). Sequence numbers must be unique
    /// per memtable.
    pub fn add(&self, seq: SequenceNumber, value_type: ValueType, key: &[u8], value: &[u8]) {
        let tag = pack_sequence_and_type(seq, value_type).to_le_bytes();
        if let Some(filter) = &self.key_filter {
            filter.add(key);
        }
        self.list.insert(&[key, &tag], value);
    }

    /// Looks up the newest entry for `key.user_key()` with sequence at most
    /// the lookup's; a value is passed to `value`.
    pub fn lookup(&self, key: &LookupKey, value: &mut dyn FnMut(&[u8])) -> LookupOutcome {
        // A settled database's memtable is empty: answer without hashing
        // the key. Every entry a lookup may see was counted before its
        // sequence number was published, so a count of zero is exact here.
        if self.list.is_empty() {
            return LookupOutcome::Missing;
        }
        if let Some(filter) = &self.key_filter {
            if !filter.may_contain(key.user_key()) {
                return LookupOutcome::Missing;
            }
        }
        let mut it = self.list.iter();
        it.seek(key.internal_key());
        if !it.valid() {
            return LookupOutcome::Missing;
        }
        // The seek landed on the first entry >= (user key, sequence); it is
        // ours only if the user key matches (per the user comparator).
        let (user_key, tag) = split_internal_key(it.key());
        if self.list.order().compare_user(user_key, key.user_key()) != Ordering::Equal {
            return LookupOutcome::Missing;
        }
        match ValueType::from_byte((tag & 0xff) as u8) {
            Some(ValueType::Value) => {
                value(it.value());
                LookupOutcome::Found
            }
            Some(ValueType::Deletion) => LookupOutcome::Deleted,
            // Only `add` writes entries, and it writes known types.
            None => LookupOutcome::Missing,
        }
    }

    /// An iterator over internal keys and values; it keeps the memtable's
    /// memory alive, so it may outlive `self`.
    pub fn iter(self: &Arc<Self>) -> MemTableIterator {
        MemTableIterator {
            inner: Iter::new(Arc::clone(&self.list)),
        }
    }
}

/// Iterates a memtable in internal-key order: `key()` is the internal key,
/// `value()` the value. Never fails. Sees every entry added before each
/// positioning call, and possibly some added during it.
pub struct MemTableIterator {
    inner: Iter<Arc<SkipList<InternalKeyOrder>>, InternalKeyOrder>,
}

impl InternalIterator for MemTableIterator {
    #[inline]
    fn valid(&self) -> bool {
        self.inner.valid()
    }
    fn seek_to_first(&mut self) {
        self.inner.seek_to_first();
    }
    fn seek_to_last(&mut self) {
        self.inner.seek_to_last();
    }
    /// `target` is an internal key.
    fn seek(&mut self, target: &[u8]) {
        self.inner.seek(target);
    }
    #[inline]
    fn next(&mut self) {
        self.inner.next();
    }
    fn prev(&mut self) {
        self.inner.prev();
    }
    #[inline]
    fn key(&self) -> &[u8] {
        self.inner.key()
    }
    #[inline]
    fn value(&self) -> &[u8] {
        self.inner.value()
    }
    fn status(&self) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::{internal_key, parse_internal_key, MAX_SEQUENCE};
    use crate::util::comparator::bytewise;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    /// A memtable as the database makes them, with a key filter (of 1 KiB,
    /// the smallest, so that the tests' keys share its words).
    fn new_memtable() -> Arc<MemTable> {
        let mem = MemTable::with_key_filter(InternalKeyComparator::new(bytewise()), 0);
        assert_eq!(mem.key_filter.as_ref().map(|f| f.words.len()), Some(128));
        Arc::new(mem)
    }

    /// `Some(Ok(value))`, `Some(Err(true))` for a deletion, `None` if absent.
    fn get(
        mem: &MemTable,
        key: &[u8],
        seq: SequenceNumber,
    ) -> Option<std::result::Result<Vec<u8>, bool>> {
        let mut found = None;
        match mem.lookup(&LookupKey::new(key, seq), &mut |v| found = Some(v.to_vec())) {
            LookupOutcome::Found => Some(Ok(found.expect("a found value reaches the sink"))),
            LookupOutcome::Deleted => Some(Err(true)),
            LookupOutcome::Missing => None,
        }
    }

    #[test]
    fn send_sync() {
        fn check<T: Send + Sync>() {}
        check::<MemTable>();
        fn check_send<T: Send>() {}
        check_send::<MemTableIterator>();
    }

    #[test]
    fn value_and_deletion_shadowing() {
        let mem = new_memtable();
        mem.add(1, ValueType::Value, b"k", b"v1");
        mem.add(2, ValueType::Deletion, b"k", b"");
        mem.add(3, ValueType::Value, b"k", b"v3");

        assert_eq!(get(&mem, b"k", 0), None, "nothing at or before seq 0");
        assert_eq!(get(&mem, b"k", 1), Some(Ok(b"v1".to_vec())));
        assert_eq!(get(&mem, b"k", 2), Some(Err(true)), "deletion shadows v1");
        assert_eq!(get(&mem, b"k", 3), Some(Ok(b"v3".to_vec())));
        assert_eq!(get(&mem, b"k", MAX_SEQUENCE), Some(Ok(b"v3".to_vec())));
        assert_eq!(get(&mem, b"j", MAX_SEQUENCE), None);
        assert_eq!(get(&mem, b"l", MAX_SEQUENCE), None);
    }

    #[test]
    fn shared_prefixes_do_not_match() {
        let mem = new_memtable();
        mem.add(5, ValueType::Value, b"ab", b"x");
        mem.add(6, ValueType::Value, b"abc", b"y");
        mem.add(7, ValueType::Value, b"a", b"z");
        mem.add(8, ValueType::Value, b"", b"empty");
        assert_eq!(get(&mem, b"a", 100), Some(Ok(b"z".to_vec())));
        assert_eq!(get(&mem, b"ab", 100), Some(Ok(b"x".to_vec())));
        assert_eq!(get(&mem, b"abc", 100), Some(Ok(b"y".to_vec())));
        assert_eq!(get(&mem, b"", 100), Some(Ok(b"empty".to_vec())));
        assert_eq!(get(&mem, b"abcd", 100), None);
        assert_eq!(get(&mem, b"a\0", 100), None);
        // "ab" exists only from seq 5; "abc"@6 must not answer for "ab".
        assert_eq!(get(&mem, b"ab", 4), None);
        assert_eq!(get(&mem, b"abc", 5), None);
    }

    #[test]
    fn iterator_walks_internal_keys_both_ways() {
        let mem = new_memtable();
        mem.add(1, ValueType::Value, b"b", b"b1");
        mem.add(2, ValueType::Value, b"a", b"a2");
        mem.add(3, ValueType::Deletion, b"b", b"");
        mem.add(4, ValueType::Value, b"c", b"c4");
        let expected = vec![
            (internal_key(b"a", 2, ValueType::Value), b"a2".to_vec()),
            (internal_key(b"b", 3, ValueType::Deletion), vec![]),
            (internal_key(b"b", 1, ValueType::Value), b"b1".to_vec()),
            (internal_key(b"c", 4, ValueType::Value), b"c4".to_vec()),
        ];
        let mut it = mem.iter();
        drop(mem); // the iterator keeps the memory alive
        it.seek_to_first();
        let mut got = vec![];
        while it.valid() {
            got.push((it.key().to_vec(), it.value().to_vec()));
            it.next();
        }
        assert_eq!(got, expected);
        it.seek_to_last();
        let mut back = vec![];
        while it.valid() {
            back.push((it.key().to_vec(), it.value().to_vec()));
            it.prev();
        }
        back.reverse();
        assert_eq!(back, expected);
        // Seeking with an internal key at a sequence between entries.
        it.seek(&internal_key(b"b", 2, ValueType::Value));
        assert_eq!(it.key(), &expected[2].0[..]);
        it.seek(&internal_key(b"b", MAX_SEQUENCE, ValueType::Value));
        assert_eq!(it.key(), &expected[1].0[..]);
        it.seek(&internal_key(b"d", MAX_SEQUENCE, ValueType::Value));
        assert!(!it.valid());
        // A malformed (short) target must not panic.
        it.seek(b"b");
        assert!(it.valid());
        assert!(it.status().is_ok());
    }

    #[test]
    fn memory_usage_grows_like_leveldb_arena() {
        let mem = new_memtable();
        let empty = mem.approximate_memory_usage();
        assert_eq!(empty, 4096 + 8, "one block holding the head");
        for i in 0..1000u32 {
            mem.add(
                i as u64 + 1,
                ValueType::Value,
                &i.to_be_bytes(),
                &[0u8; 100],
            );
        }
        let used = mem.approximate_memory_usage();
        assert!(used > 1000 * 100 && used < 1000 * 200, "{used}");
        assert_eq!(mem.len(), 1000);
    }

    /// A reverse-order user comparator: the memtable must use it (no
    /// bytewise fast path) for both ordering and get's key match.
    struct Reverse;
    impl Comparator for Reverse {
        fn compare(&self, a: &[u8], b: &[u8]) -> Ordering {
            b.cmp(a)
        }
        fn name(&self) -> &str {
            "test.Reverse"
        }
        fn find_shortest_separator(&self, _: &mut Vec<u8>, _: &[u8]) {}
        fn find_short_successor(&self, _: &mut Vec<u8>) {}
    }

    #[test]
    fn custom_user_comparator() {
        let filtered =
            MemTable::with_key_filter(InternalKeyComparator::new(Arc::new(Reverse)), 4 << 20);
        assert!(
            filtered.key_filter.is_none(),
            "no filter of bytes under a custom order"
        );
        let mem = Arc::new(MemTable::new(InternalKeyComparator::new(Arc::new(Reverse))));
        for (i, k) in [b"a", b"c", b"b"].iter().enumerate() {
            mem.add(i as u64 + 1, ValueType::Value, *k, *k);
        }
        let mut it = mem.iter();
        it.seek_to_first();
        let mut users = vec![];
        while it.valid() {
            users.push(parse_internal_key(it.key()).unwrap().user_key.to_vec());
            it.next();
        }
        assert_eq!(users, vec![b"c".to_vec(), b"b".to_vec(), b"a".to_vec()]);
        assert_eq!(get(&mem, b"b", 10), Some(Ok(b"b".to_vec())));
        assert_eq!(get(&mem, b"bb", 10), None);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Put(Vec<u8>, Vec<u8>),
        Delete(Vec<u8>),
    }

    fn op() -> impl Strategy<Value = Op> {
        let key = prop::collection::vec(prop::sample::select(vec![0u8, b'a', b'b', 0xff]), 0..4);
        prop_oneof![
            (key.clone(), prop::collection::vec(any::<u8>(), 0..5))
                .prop_map(|(k, v)| Op::Put(k, v)),
            key.prop_map(Op::Delete),
        ]
    }

    /// A user key's entries, oldest first: (sequence, value or deletion).
    type History = Vec<(u64, Option<Vec<u8>>)>;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 4 } else { 128 }))]

        /// Every get at every sequence matches a model of per-key histories.
        #[test]
        fn get_matches_history_model(
            ops in prop::collection::vec(op(), 0..if cfg!(miri) { 16 } else { 80 }),
        ) {
            let mem = new_memtable();
            // user key -> [(seq, Some(value) | None for deletion)]
            let mut history: BTreeMap<Vec<u8>, History> = BTreeMap::new();
            for (i, op) in ops.iter().enumerate() {
                let seq = i as u64 + 1;
                match op {
                    Op::Put(k, v) => {
                        mem.add(seq, ValueType::Value, k, v);
                        history.entry(k.clone()).or_default().push((seq, Some(v.clone())));
                    }
                    Op::Delete(k) => {
                        mem.add(seq, ValueType::Deletion, k, b"");
                        history.entry(k.clone()).or_default().push((seq, None));
                    }
                }
            }
            let max_seq = ops.len() as u64 + 1;
            let probe_keys: Vec<Vec<u8>> = history.keys().cloned()
                .chain([vec![], vec![b'a'; 4], vec![0xff, 0xff, 0xff, 0xff]]).collect();
            for key in &probe_keys {
                for seq in 0..=max_seq {
                    let want = history.get(key).and_then(|h| {
                        h.iter().rev().find(|(s, _)| *s <= seq).map(|(_, v)| match v {
                            Some(v) => Ok(v.clone()),
                            None => Err(true),
                        })
                    });
                    prop_assert_eq!(get(&mem, key, seq), want, "key {:?} seq {}", key, seq);
                }
            }
            // Iteration yields every entry in InternalKeyComparator order.
            let mut it = mem.iter();
            it.seek_to_first();
            let mut prev: Option<Vec<u8>> = None;
            let mut n = 0;
            while it.valid() {
                if let Some(p) = &prev {
                    prop_assert_eq!(mem.comparator().compare(p, it.key()), Ordering::Less);
                }
                prev = Some(it.key().to_vec());
                n += 1;
                it.next();
            }
            prop_assert_eq!(n, ops.len());
        }
    }

    /// The filter never hides a key that was added, and rules out nearly
    /// every key that was not: at the default 4 MiB write buffer, with as
    /// many 16-byte keys as 100-byte values fill it.
    #[test]
    fn key_filter_keeps_every_key_and_rules_out_most_others() {
        let n = if cfg!(miri) { 500 } else { 28_000 };
        let mem = MemTable::with_key_filter(InternalKeyComparator::new(bytewise()), 4 << 20);
        let filter = mem.key_filter.as_ref().expect("bytewise: filtered");
        assert_eq!(filter.words.len(), 8192);
        let key = |i: u32| format!("{i:016}");
        for i in 0..n {
            mem.add(
                u64::from(i) + 1,
                ValueType::Value,
                key(2 * i).as_bytes(),
                b"v",
            );
        }
        for i in 0..n {
            assert_eq!(
                get(&mem, key(2 * i).as_bytes(), MAX_SEQUENCE),
                Some(Ok(b"v".to_vec()))
            );
            assert!(filter.may_contain(key(2 * i).as_bytes()));
        }
        let passed = (0..n)
            .filter(|&i| filter.may_contain(key(2 * i + 1).as_bytes()))
            .count();
        assert!(
            passed * 100 <= n as usize,
            "{passed} of {n} absent keys pass"
        );
        for i in 0..n {
            assert_eq!(get(&mem, key(2 * i + 1).as_bytes(), MAX_SEQUENCE), None);
        }
    }

    #[test]
    fn concurrent_add_and_get() {
        // One writer adds keys in random order; readers concurrently get
        // every key the writer has announced and must find its value.
        use std::sync::atomic::{AtomicBool, AtomicU64, Ordering as A};
        let mem = new_memtable();
        let published = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let n: u64 = if cfg!(miri) { 200 } else { 50_000 };
        let key_of = |i: u64| i.wrapping_mul(0x9e37_79b9_7f4a_7c15).to_be_bytes();
        let readers: Vec<_> = (0..2)
            .map(|r| {
                let mem = Arc::clone(&mem);
                let published = Arc::clone(&published);
                let stop = Arc::clone(&stop);
                std::thread::spawn(move || {
                    let mut x = r as u64 + 1;
                    while !stop.load(A::Acquire) {
                        let upto = published.load(A::Acquire);
                        if upto == 0 {
                            continue;
                        }
                        x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                        let i = (x >> 33) % upto + 1;
                        let got = get(&mem, &key_of(i), MAX_SEQUENCE);
                        assert_eq!(got, Some(Ok(i.to_le_bytes().to_vec())));
                    }
                })
            })
            .collect();
        for i in 1..=n {
            mem.add(i, ValueType::Value, &key_of(i), &i.to_le_bytes());
            published.store(i, A::Release);
        }
        stop.store(true, A::Release);
        for r in readers {
            r.join().unwrap();
        }
    }
}
