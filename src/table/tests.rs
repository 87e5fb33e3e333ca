//! Table-level tests: build/read round trips against a `BTreeMap` model
//! (LevelDB's table_test harness), offset estimates, the block cache, and
//! damaged files (which must give errors, never panics).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use proptest::prelude::*;

use super::format::CompressionType;
use super::format::{BlockHandle, Footer, FOOTER_ENCODED_LENGTH};
use super::model_walk::{check_position, step, Op};
use super::*;
use crate::env::{RandomAccessFile, WritableFile};
use crate::filter::FilterPolicy;
use crate::iterator::InternalIterator;
use crate::key::{internal_key, InternalKeyComparator, ValueType};
use crate::status::Result;
use crate::util::bloom::BloomFilterPolicy;
use crate::util::comparator::bytewise;
use crate::util::comparator::Comparator;
use CompressionType::{None as NONE, Snappy as SNAPPY, Zstd as ZSTD};

/// A writable file appending to a shared buffer.
pub(crate) struct Sink(pub Arc<Mutex<Vec<u8>>>);

impl WritableFile for Sink {
    fn append(&mut self, data: &[u8]) -> Result<()> {
        self.0.lock().unwrap().extend_from_slice(data);
        Ok(())
    }
    fn flush(&mut self) -> Result<()> {
        Ok(())
    }
    fn sync(&mut self) -> Result<()> {
        Ok(())
    }
    fn close(&mut self) -> Result<()> {
        Ok(())
    }
}

/// A random-access file over bytes in memory.
pub(crate) struct Source(pub Vec<u8>);

impl RandomAccessFile for Source {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let len = self.0.len() as u64;
        let off = offset.min(len) as usize;
        let n = buf.len().min(self.0.len() - off);
        buf[..n].copy_from_slice(&self.0[off..off + n]);
        Ok(n)
    }
}

/// As `Source`, but also lends its bytes as a mapping, as a memory-mapped
/// table file does.
pub(crate) struct MappedSource(pub Vec<u8>);

impl RandomAccessFile for MappedSource {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        Source(self.0.clone()).read_at(offset, buf)
    }
    fn mapped(&self) -> Option<&[u8]> {
        Some(&self.0)
    }
}

fn build_table(options: &TableOptions, entries: &BTreeMap<Vec<u8>, Vec<u8>>) -> Vec<u8> {
    let out = Arc::new(Mutex::new(Vec::new()));
    let mut b = TableBuilder::new(options, Box::new(Sink(Arc::clone(&out))));
    for (k, v) in entries {
        b.add(k, v);
    }
    assert_eq!(b.num_entries(), entries.len() as u64);
    b.finish().unwrap();
    let bytes = out.lock().unwrap().clone();
    assert_eq!(b.file_size(), bytes.len() as u64);
    bytes
}

fn open(options: &TableOptions, bytes: &[u8]) -> Result<Arc<Table>> {
    Table::open(
        options,
        Arc::new(Source(bytes.to_vec())),
        bytes.len() as u64,
    )
}

/// Opens `bytes` as a table read through a mapping.
fn open_mapped(options: &TableOptions, bytes: &[u8]) -> Arc<Table> {
    Table::open(
        options,
        Arc::new(MappedSource(bytes.to_vec())),
        bytes.len() as u64,
    )
    .unwrap()
}

fn get(
    table: &Arc<Table>,
    ro: &BlockReadOptions,
    key: &[u8],
) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
    let mut found = None;
    table.internal_get(ro, key, &mut |k, v| found = Some((k.to_vec(), v.to_vec())))?;
    Ok(found)
}

fn forward(it: &mut dyn InternalIterator) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    it.seek_to_first();
    while it.valid() {
        out.push((it.key().to_vec(), it.value().to_vec()));
        it.next();
    }
    out
}

fn backward(it: &mut dyn InternalIterator) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    it.seek_to_last();
    while it.valid() {
        out.push((it.key().to_vec(), it.value().to_vec()));
        it.prev();
    }
    out.reverse();
    out
}

fn op_strategy() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::Next),
        3 => Just(Op::Prev),
        3 => proptest::collection::vec(prop_oneof![Just(b'k'), Just(b'a'), any::<u8>()], 0..5).prop_map(Op::Seek),
        1 => Just(Op::First),
        1 => Just(Op::Last),
    ]
}

fn entries_strategy() -> impl Strategy<Value = BTreeMap<Vec<u8>, Vec<u8>>> {
    let key = prop_oneof![
        proptest::collection::vec(
            prop_oneof![Just(b'k'), Just(b'a'), Just(0u8), Just(0xffu8)],
            0..10
        ),
        proptest::collection::vec(any::<u8>(), 0..30),
    ];
    let value = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..10),
        (any::<u8>(), 0usize..3000).prop_map(|(b, n)| vec![b; n]),
        proptest::collection::vec(any::<u8>(), 200..1500),
    ];
    proptest::collection::btree_map(key, value, 0..150)
}

/// Checks a table iterator and point lookups against the model.
fn check_against_model(
    table: &Arc<Table>,
    model: &[(Vec<u8>, Vec<u8>)],
    ops: &[Op],
) -> std::result::Result<(), TestCaseError> {
    let ro = BlockReadOptions::default();
    let mut it = table.iter(&ro);
    prop_assert_eq!(&forward(&mut *it), model);
    prop_assert_eq!(&backward(&mut *it), model);
    let mut pos: Option<usize> = None;
    for op in ops {
        pos = step(&mut *it, model, pos, op);
        check_position(&*it, model, pos)?;
        if let Op::Seek(t) = op {
            // A point lookup, if it reports anything, reports the same.
            if let Some((k, v)) =
                get(table, &ro, t).map_err(|e| TestCaseError::fail(e.to_string()))?
            {
                let i = model.partition_point(|(k, _)| k < t);
                prop_assert_eq!((&k, &v), (&model[i].0, &model[i].1));
            }
        }
    }
    prop_assert!(it.status().is_ok());
    for (k, v) in model {
        let got = get(table, &ro, k).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(got, Some((k.clone(), v.clone())));
    }
    Ok(())
}

fn plain_options(
    block_size: usize,
    restart: usize,
    compression: CompressionType,
    bloom: bool,
) -> TableOptions {
    TableOptions {
        block_size,
        block_restart_interval: restart,
        compression,
        filter_policy: if bloom {
            Some(Arc::new(BloomFilterPolicy::new(10)) as Arc<dyn FilterPolicy>)
        } else {
            None
        },
        ..TableOptions::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn table_round_trip(entries in entries_strategy(), block_size in prop_oneof![Just(1usize), 64usize..512, Just(4096)],
                        restart in prop_oneof![Just(1usize), 2usize..20, Just(1024)],
                        compression in prop_oneof![Just(NONE), Just(SNAPPY), Just(ZSTD)],
                        zstd_level in prop_oneof![Just(1), -5i32..=22],
                        bloom in any::<bool>(), cached in any::<bool>(), mapped in any::<bool>(),
                        ops in proptest::collection::vec(op_strategy(), 0..80)) {
        let mut options = plain_options(block_size, restart, compression, bloom);
        options.zstd_compression_level = zstd_level;
        if cached {
            options.block_cache = Some(Arc::new(BlockCache::new(100_000)));
        }
        let bytes = build_table(&options, &entries);
        let table = if mapped {
            open_mapped(&options, &bytes)
        } else {
            open(&options, &bytes).unwrap()
        };
        // A mapped table's index is read in place unless it is compressed
        // (an index block shorter than the compressor's gain is stored
        // plain; then in place too).
        if !mapped || compression == NONE {
            prop_assert_eq!(table.index_is_mapped(), mapped);
        }
        let model: Vec<_> = entries.into_iter().collect();
        check_against_model(&table, &model, &ops)?;
    }

    #[test]
    fn internal_key_tables(users in proptest::collection::btree_set(proptest::collection::vec(0u8..4, 0..6), 0..60),
                           block_size in 64usize..1024, restart in 1usize..17,
                           walk in proptest::collection::vec(
                               (proptest::collection::vec(0u8..5, 0..7), 0u64..200, 0usize..3), 0..40)) {
        // Several versions per user key, newest first, as the DB writes them.
        let icmp = Arc::new(InternalKeyComparator::new(bytewise()));
        let mut model = Vec::new();
        for (i, u) in users.iter().enumerate() {
            for seq in (1..=(i % 3 + 1) as u64).rev() {
                let t = if seq % 2 == 0 { ValueType::Deletion } else { ValueType::Value };
                model.push((internal_key(u, seq * 10 + i as u64, t), format!("v{i}.{seq}").into_bytes()));
            }
        }
        model.sort_by(|a, b| icmp.compare(&a.0, &b.0));
        let options = TableOptions {
            comparator: icmp.clone(),
            filter_policy: Some(Arc::new(InternalFilterPolicy::new(Arc::new(BloomFilterPolicy::new(10))))),
            block_size,
            block_restart_interval: restart,
            ..TableOptions::default()
        };
        let out = Arc::new(Mutex::new(Vec::new()));
        let mut b = TableBuilder::new(&options, Box::new(Sink(Arc::clone(&out))));
        for (k, v) in &model { b.add(k, v); }
        b.finish().unwrap();
        let bytes = out.lock().unwrap().clone();
        // Opened as the database opens its tables: lookups and seeks are
        // narrowed by the index search.
        let table = Table::open_internal(&options, Arc::new(Source(bytes.clone())), bytes.len() as u64, &icmp).unwrap();
        let ro = BlockReadOptions::default();
        let mut it = table.iter(&ro);
        prop_assert_eq!(&forward(&mut *it), &model);
        prop_assert_eq!(&backward(&mut *it), &model);
        for (k, v) in &model {
            prop_assert_eq!(get(&table, &ro, k).unwrap(), Some((k.clone(), v.clone())));
        }
        // A lookup of (user, latest) finds the newest version of the user key.
        for (i, u) in users.iter().enumerate() {
            let lk = internal_key(u, crate::key::MAX_SEQUENCE, ValueType::Value);
            let got = get(&table, &ro, &lk).unwrap().expect("present");
            let first = model.iter().find(|(k, _)| crate::key::extract_user_key(k) == &u[..]).unwrap();
            prop_assert_eq!(&got.0, &first.0, "user key {}", i);
        }
        // Seeks to internal keys (narrowed by the table's index search),
        // each followed by a few steps, land where the model says.
        for (user, seq, steps) in walk {
            let target = internal_key(&user, seq, ValueType::Value);
            it.seek(&target);
            let mut pos = model.partition_point(|(k, _)| icmp.compare(k, &target) == std::cmp::Ordering::Less);
            for step in 0..=steps {
                if step > 0 {
                    if !it.valid() { break; }
                    it.next();
                    pos += 1;
                }
                prop_assert_eq!(it.valid(), pos < model.len());
                if pos < model.len() {
                    prop_assert_eq!(it.key(), &model[pos].0[..]);
                    prop_assert_eq!(it.value(), &model[pos].1[..]);
                }
            }
        }
        prop_assert!(it.status().is_ok());
    }
}

#[test]
fn empty_table() {
    let options = plain_options(4096, 16, SNAPPY, true);
    let bytes = build_table(&options, &BTreeMap::new());
    let table = open(&options, &bytes).unwrap();
    let mut it = table.iter(&BlockReadOptions::default());
    it.seek_to_first();
    assert!(!it.valid());
    it.seek_to_last();
    assert!(!it.valid());
    assert!(get(&table, &BlockReadOptions::default(), b"x")
        .unwrap()
        .is_none());
    // Footer + index + metaindex + filter; LevelDB writes the same layout.
    let footer = Footer::decode(&bytes[bytes.len() - FOOTER_ENCODED_LENGTH..]).unwrap();
    assert_eq!(footer.index_handle.size, 8);
}

#[test]
fn filter_block_layout_in_table() {
    let options = plain_options(4096, 16, NONE, true);
    let mut entries = BTreeMap::new();
    entries.insert(b"hello".to_vec(), b"world".to_vec());
    let bytes = build_table(&options, &entries);
    let footer = Footer::decode(&bytes[bytes.len() - FOOTER_ENCODED_LENGTH..]).unwrap();
    let meta = format::read_block(
        &Source(bytes.clone()),
        bytes.len() as u64,
        true,
        &footer.metaindex_handle,
    )
    .unwrap();
    let meta = Arc::new(Block::new(meta));
    let mut it = meta.iter(bytewise());
    it.seek_to_first();
    assert_eq!(it.key(), b"filter.leveldb.BuiltinBloomFilter2");
    let fh = BlockHandle::decode_from(&mut it.value()).unwrap();
    let filter = format::read_block(&Source(bytes.clone()), bytes.len() as u64, true, &fh).unwrap();
    // One 9-byte bloom filter, its offset, the array offset, base lg.
    assert_eq!(filter.len(), 9 + 4 + 4 + 1);
    assert_eq!(&filter[9..], &[0, 0, 0, 0, 9, 0, 0, 0, 11]);
}

fn between(v: u64, lo: u64, hi: u64) -> bool {
    let ok = v >= lo && v <= hi;
    if !ok {
        eprintln!("value {v} is not in range [{lo}, {hi}]");
    }
    ok
}

#[test]
fn approximate_offset_of_plain() {
    let mut e = BTreeMap::new();
    e.insert(b"k01".to_vec(), b"hello".to_vec());
    e.insert(b"k02".to_vec(), b"hello2".to_vec());
    e.insert(b"k03".to_vec(), vec![b'x'; 10000]);
    e.insert(b"k04".to_vec(), vec![b'x'; 200000]);
    e.insert(b"k05".to_vec(), vec![b'x'; 300000]);
    e.insert(b"k06".to_vec(), b"hello3".to_vec());
    e.insert(b"k07".to_vec(), vec![b'x'; 100000]);
    let options = plain_options(1024, 16, NONE, false);
    let bytes = build_table(&options, &e);
    let t = open(&options, &bytes).unwrap();
    assert!(between(t.approximate_offset_of(b"abc"), 0, 0));
    assert!(between(t.approximate_offset_of(b"k01"), 0, 0));
    assert!(between(t.approximate_offset_of(b"k01a"), 0, 0));
    assert!(between(t.approximate_offset_of(b"k02"), 0, 0));
    assert!(between(t.approximate_offset_of(b"k03"), 0, 0));
    assert!(between(t.approximate_offset_of(b"k04"), 10000, 11000));
    assert!(between(t.approximate_offset_of(b"k04a"), 210000, 211000));
    assert!(between(t.approximate_offset_of(b"k05"), 210000, 211000));
    assert!(between(t.approximate_offset_of(b"k06"), 510000, 511000));
    assert!(between(t.approximate_offset_of(b"k07"), 510000, 511000));
    assert!(between(t.approximate_offset_of(b"xyz"), 610000, 612000));
}

/// `len` bytes of which about `fraction` are random and the rest repeats
/// them (LevelDB's test::CompressibleString).
fn compressible(seed: u32, fraction: f64, len: usize) -> Vec<u8> {
    let raw = ((len as f64) * fraction) as usize;
    let mut state = seed.wrapping_mul(2654435761).wrapping_add(1);
    let chunk: Vec<u8> = (0..raw.max(1))
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            b' ' + (state % 95) as u8
        })
        .collect();
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        let n = chunk.len().min(len - out.len());
        out.extend_from_slice(&chunk[..n]);
    }
    out
}

#[test]
fn approximate_offset_of_compressed() {
    let mut e = BTreeMap::new();
    e.insert(b"k01".to_vec(), b"hello".to_vec());
    e.insert(b"k02".to_vec(), compressible(1, 0.25, 10000));
    e.insert(b"k03".to_vec(), b"hello3".to_vec());
    e.insert(b"k04".to_vec(), compressible(2, 0.25, 10000));
    let options = plain_options(1024, 16, SNAPPY, false);
    let bytes = build_table(&options, &e);
    let t = open(&options, &bytes).unwrap();
    const SLOP: u64 = 1000;
    let expected = 2500;
    let (min_z, max_z) = (expected - SLOP, expected + SLOP);
    assert!(between(t.approximate_offset_of(b"abc"), 0, SLOP));
    assert!(between(t.approximate_offset_of(b"k01"), 0, SLOP));
    assert!(between(t.approximate_offset_of(b"k02"), 0, SLOP));
    assert!(between(t.approximate_offset_of(b"k03"), min_z, max_z));
    assert!(between(t.approximate_offset_of(b"k04"), min_z, max_z));
    assert!(between(
        t.approximate_offset_of(b"xyz"),
        2 * min_z,
        2 * max_z
    ));
}

#[test]
fn block_cache_use() {
    let cache = Arc::new(BlockCache::new(1 << 20));
    let mut options = plain_options(256, 16, SNAPPY, false);
    options.block_cache = Some(Arc::clone(&cache));
    let e1: BTreeMap<_, _> = (0..200u32)
        .map(|i| (format!("key{i:04}").into_bytes(), vec![b'a'; 50]))
        .collect();
    let e2: BTreeMap<_, _> = (0..200u32)
        .map(|i| (format!("key{i:04}").into_bytes(), vec![b'b'; 50]))
        .collect();
    let t1 = open(&options, &build_table(&options, &e1)).unwrap();
    let t2 = open(&options, &build_table(&options, &e2)).unwrap();
    let no_fill = BlockReadOptions {
        fill_cache: false,
        ..BlockReadOptions::default()
    };
    assert_eq!(forward(&mut *t1.iter(&no_fill)).len(), 200);
    assert_eq!(
        cache.total_charge(),
        0,
        "fill_cache = false leaves the cache alone"
    );
    let ro = BlockReadOptions::default();
    let got1 = forward(&mut *t1.iter(&ro));
    let charged = cache.total_charge();
    assert!(charged > 200 * 50, "{charged}");
    // Same offsets in another table must not alias the first table's blocks.
    let got2 = forward(&mut *t2.iter(&ro));
    assert_eq!(got1.len(), 200);
    assert!(got1.iter().all(|(_, v)| v[0] == b'a'));
    assert!(got2.iter().all(|(_, v)| v[0] == b'b'));
    assert_eq!(
        get(&t2, &ro, b"key0100").unwrap().unwrap().1,
        vec![b'b'; 50]
    );
}

/// A caller's cache (as the C++ layer plugs one in): a map from LevelDB's
/// 16-byte keys, counting what the table reader asks of it.
#[derive(Default)]
struct MapCache {
    map: Mutex<BTreeMap<[u8; 16], Arc<Block>>>,
    ids: Mutex<u64>,
    lookups: Mutex<u32>,
    hits: Mutex<u32>,
}

impl UserBlockCache for Arc<MapCache> {
    fn new_id(&self) -> u64 {
        let mut ids = self.ids.lock().unwrap();
        *ids += 1;
        *ids
    }
    fn total_charge(&self) -> usize {
        self.map.lock().unwrap().values().map(|b| b.size()).sum()
    }
    fn lookup(&self, key: &[u8; 16]) -> Option<Arc<Block>> {
        *self.lookups.lock().unwrap() += 1;
        let found = self.map.lock().unwrap().get(key).cloned();
        if found.is_some() {
            *self.hits.lock().unwrap() += 1;
        }
        found
    }
    fn insert(&self, key: &[u8; 16], block: Arc<Block>, charge: usize) {
        assert_eq!(charge, block.size());
        self.map.lock().unwrap().insert(*key, block);
    }
    fn erase(&self, key: &[u8; 16]) {
        self.map.lock().unwrap().remove(key);
    }
}

#[test]
fn a_user_cache_gets_leveldbs_keys_and_serves_hits() {
    let user = Arc::new(MapCache::default());
    let cache = Arc::new(BlockCache::user(Box::new(Arc::clone(&user))));
    assert_eq!(cache.capacity(), 0);
    let mut options = plain_options(256, 16, SNAPPY, false);
    options.block_cache = Some(Arc::clone(&cache));
    let e1: BTreeMap<_, _> = (0..200u32)
        .map(|i| (format!("key{i:04}").into_bytes(), vec![b'a'; 50]))
        .collect();
    let bytes = build_table(&options, &e1);
    let t1 = open(&options, &bytes).unwrap();
    let t2 = open(&options, &bytes).unwrap();
    assert_eq!(*user.ids.lock().unwrap(), 2, "one id per table opened");

    let no_fill = BlockReadOptions {
        fill_cache: false,
        ..BlockReadOptions::default()
    };
    assert_eq!(forward(&mut *t1.iter(&no_fill)).len(), 200);
    assert_eq!(cache.total_charge(), 0);
    let ro = BlockReadOptions::default();
    assert_eq!(forward(&mut *t1.iter(&ro)).len(), 200);
    let keys: Vec<[u8; 16]> = user.map.lock().unwrap().keys().copied().collect();
    assert!(keys.len() > 10, "{}", keys.len());
    // Table id 1 (fixed64), then the block offsets in file order from 0.
    assert!(keys.iter().all(|k| k[..8] == 1u64.to_le_bytes()));
    assert_eq!(keys[0][8..], 0u64.to_le_bytes());
    assert!(cache.total_charge() > 200 * 50);

    *user.hits.lock().unwrap() = 0;
    assert_eq!(
        get(&t1, &ro, b"key0100").unwrap().unwrap().1,
        vec![b'a'; 50]
    );
    assert_eq!(*user.hits.lock().unwrap(), 1);
    // The other table's id keeps its blocks apart.
    assert!(get(&t2, &ro, b"key0100").unwrap().is_some());
    assert_eq!(*user.hits.lock().unwrap(), 1);
    cache.erase(&(1, 0));
    assert_eq!(user.map.lock().unwrap().len(), keys.len());
}

/// Offsets of the distinct data blocks the keys fall in.
fn blocks_holding(table: &Table, keys: &BTreeMap<Vec<u8>, Vec<u8>>) -> usize {
    let mut offsets: Vec<u64> = keys
        .keys()
        .map(|k| table.approximate_offset_of(k))
        .collect();
    offsets.dedup();
    offsets.len()
}

/// A sink that counts the flushes it is asked for.
struct CountingSink(Arc<Mutex<Vec<u8>>>, Arc<Mutex<u32>>);

impl WritableFile for CountingSink {
    fn append(&mut self, data: &[u8]) -> Result<()> {
        self.0.lock().unwrap().extend_from_slice(data);
        Ok(())
    }
    fn flush(&mut self) -> Result<()> {
        *self.1.lock().unwrap() += 1;
        Ok(())
    }
    fn sync(&mut self) -> Result<()> {
        Ok(())
    }
    fn close(&mut self) -> Result<()> {
        Ok(())
    }
}

/// Builds `entries` with `options`, calling `between(builder, i)` before
/// the i-th add; returns the bytes and the number of file flushes.
fn build_with(
    options: &TableOptions,
    entries: &BTreeMap<Vec<u8>, Vec<u8>>,
    per_block_flush: bool,
    mut between: impl FnMut(&mut TableBuilder, usize),
) -> (Vec<u8>, u32) {
    let out = Arc::new(Mutex::new(Vec::new()));
    let flushes = Arc::new(Mutex::new(0));
    let sink = CountingSink(Arc::clone(&out), Arc::clone(&flushes));
    let mut b = TableBuilder::new(options, Box::new(sink));
    b.set_flush_file_per_block(per_block_flush);
    for (i, (k, v)) in entries.iter().enumerate() {
        between(&mut b, i);
        b.add(k, v);
    }
    b.finish().unwrap();
    let bytes = out.lock().unwrap().clone();
    let flushes = *flushes.lock().unwrap();
    (bytes, flushes)
}

#[test]
fn flush_block_and_change_options_shape_later_blocks() {
    let entries: BTreeMap<_, _> = (0..100u32)
        .map(|i| (format!("k{i:03}").into_bytes(), vec![b'v'; 10]))
        .collect();
    let big = plain_options(4096, 16, NONE, false);
    let count = |bytes: &[u8]| blocks_holding(&open(&big, bytes).unwrap(), &entries);

    let (plain, flushes) = build_with(&big, &entries, false, |_, _| {});
    assert_eq!((count(&plain), flushes), (1, 0));

    // An explicit flush cuts a block; a second one in a row adds nothing.
    let (cut, flushes) = build_with(&big, &entries, true, |b, i| {
        if i == 10 {
            b.flush_block();
            b.flush_block();
        }
    });
    assert_eq!((count(&cut), flushes), (2, 2), "a file flush per block");
    assert_eq!(
        forward(&mut *open(&big, &cut).unwrap().iter(&BlockReadOptions::default())).len(),
        100
    );

    // Smaller blocks from the change on.
    let (small, _) = build_with(&big, &entries, false, |b, i| {
        if i == 10 {
            b.change_options(&plain_options(64, 16, NONE, false));
        }
    });
    assert!(count(&small) > 10, "{}", count(&small));
    let first_block_end = open(&big, &small).unwrap().approximate_offset_of(b"k011");
    assert!(first_block_end > 10 * 10, "{first_block_end}");

    // Options changed before the first key give the table built with them
    // from the start, byte for byte (data, metaindex and index blocks).
    let zstd_level_5 = TableOptions {
        zstd_compression_level: 5,
        ..plain_options(512, 3, ZSTD, false)
    };
    for target in [
        plain_options(100, 1, NONE, false),
        plain_options(4096, 3, SNAPPY, false),
        zstd_level_5,
    ] {
        let (changed, _) = build_with(&big, &entries, false, |b, i| {
            if i == 0 {
                b.change_options(&target);
            }
        });
        assert_eq!(changed, build_table(&target, &entries));
    }
}

// --- Damaged files -------------------------------------------------------

fn sample_entries() -> BTreeMap<Vec<u8>, Vec<u8>> {
    (0..300u32)
        .map(|i| {
            (
                format!("key{:05}", i * 7).into_bytes(),
                compressible(i, 0.5, (i as usize * 37) % 300),
            )
        })
        .collect()
}

/// Exercises everything on a possibly damaged table; must not panic.
/// Returns whether any error was reported.
fn exercise(options: &TableOptions, bytes: &[u8], verify: bool) -> bool {
    let table = match open(options, bytes) {
        Ok(t) => t,
        Err(_) => return true,
    };
    let ro = BlockReadOptions {
        verify_checksums: verify,
        ..BlockReadOptions::default()
    };
    let mut saw_error = false;
    let mut it = table.iter(&ro);
    let mut n = 0;
    it.seek_to_first();
    while it.valid() && n < 10_000 {
        it.key();
        it.value();
        it.next();
        n += 1;
    }
    saw_error |= it.status().is_err();
    it.seek_to_last();
    n = 0;
    while it.valid() && n < 10_000 {
        it.prev();
        n += 1;
    }
    saw_error |= it.status().is_err();
    for target in [&b""[..], b"key00700", b"key01000x", b"zzz"] {
        it.seek(target);
        saw_error |= get(&table, &ro, target).is_err();
        table.approximate_offset_of(target);
    }
    saw_error
}

#[test]
fn truncated_tables_fail_cleanly() {
    for (compression, bloom) in [(NONE, false), (SNAPPY, true), (ZSTD, true)] {
        let options = plain_options(512, 4, compression, bloom);
        let bytes = build_table(&options, &sample_entries());
        for cut in (0..bytes.len())
            .step_by(37)
            .chain(bytes.len() - 60..bytes.len())
        {
            let short = &bytes[..cut];
            assert!(exercise(&options, short, false), "cut at {cut}");
        }
        assert!(open(&options, &bytes[..47])
            .err()
            .unwrap()
            .to_string()
            .contains("too short"));
    }
}

#[test]
fn bit_flips_never_panic_and_checksums_catch_data_damage() {
    for (compression, bloom) in [(NONE, false), (SNAPPY, true), (NONE, true), (ZSTD, true)] {
        let options = plain_options(512, 4, compression, bloom);
        let entries = sample_entries();
        let bytes = build_table(&options, &entries);
        let footer = Footer::decode(&bytes[bytes.len() - FOOTER_ENCODED_LENGTH..]).unwrap();
        // Data blocks end where the filter (or the metaindex) begins.
        let data_end = {
            let src = Source(bytes.clone());
            let index =
                format::read_block(&src, bytes.len() as u64, true, &footer.index_handle).unwrap();
            let index = Arc::new(Block::new(index));
            let mut it = index.iter(bytewise());
            let mut end = 0;
            it.seek_to_first();
            while it.valid() {
                let h = BlockHandle::decode_from(&mut it.value()).unwrap();
                end = end.max(h.offset + h.size + 5);
                it.next();
            }
            end
        };
        let mut paranoid = options.clone();
        paranoid.paranoid_checks = true;
        for pos in (0..bytes.len())
            .step_by(13)
            .chain(bytes.len() - 48..bytes.len())
        {
            for bit in [0x01u8, 0x10, 0x80] {
                let mut bad = bytes.clone();
                bad[pos] ^= bit;
                exercise(&options, &bad, false);
                let caught = exercise(&options, &bad, true);
                if (pos as u64) < data_end {
                    assert!(
                        caught,
                        "flip at {pos} (data) not caught with verify_checksums"
                    );
                }
                let in_index = (pos as u64) >= footer.index_handle.offset
                    && (pos as u64) < footer.index_handle.offset + footer.index_handle.size + 5;
                if in_index {
                    let err = open(&paranoid, &bad).err().expect("paranoid open fails");
                    assert!(err.is_corruption(), "{err}");
                }
                if pos >= bytes.len() - 8 {
                    let err = open(&options, &bad).err().expect("bad magic");
                    assert_eq!(
                        err.to_string(),
                        "Corruption: not an sstable (bad magic number)"
                    );
                }
                if bloom
                    && (pos as u64) >= data_end
                    && (pos as u64) < footer.metaindex_handle.offset
                {
                    // A damaged filter is dropped under paranoid checks:
                    // every key is still found.
                    let t = open(&paranoid, &bad).unwrap();
                    for k in entries.keys() {
                        let got = get(&t, &BlockReadOptions::default(), k).unwrap();
                        assert_eq!(got.map(|g| g.0).as_ref(), Some(k));
                    }
                }
            }
        }
    }
}

#[test]
fn spliced_garbage_never_panics() {
    let options = plain_options(512, 4, SNAPPY, true);
    let bytes = build_table(&options, &sample_entries());
    let mut state = 12345u32;
    let mut rnd = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state
    };
    for _ in 0..300 {
        let mut bad = bytes.clone();
        let at = rnd() as usize % bad.len();
        let len = (rnd() as usize % 64).min(bad.len() - at);
        for b in &mut bad[at..at + len] {
            *b = rnd() as u8;
        }
        exercise(&options, &bad, false);
        exercise(&options, &bad, true);
    }
    // Handles pointing anywhere: rewrite the footer with random handles.
    for _ in 0..300 {
        let mut bad = bytes.clone();
        let footer = Footer {
            metaindex_handle: BlockHandle::new(rnd() as u64 % 20000, rnd() as u64 % 5000),
            index_handle: BlockHandle::new(rnd() as u64 % 20000, rnd() as u64 % 5000),
        };
        let mut enc = Vec::new();
        footer.encode_to(&mut enc);
        let n = bad.len();
        bad[n - 48..].copy_from_slice(&enc);
        exercise(&options, &bad, false);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]
    #[test]
    fn random_bytes_never_panic(mut bytes in proptest::collection::vec(any::<u8>(), 0..400), magic in any::<bool>()) {
        if magic && bytes.len() >= 48 {
            let n = bytes.len();
            bytes[n - 8..].copy_from_slice(&format::TABLE_MAGIC_NUMBER.to_le_bytes());
        }
        exercise(&plain_options(4096, 16, SNAPPY, true), &bytes, false);
    }
}

#[test]
fn shared_types_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    fn assert_send<T: Send>() {}
    assert_send_sync::<Table>();
    assert_send_sync::<Block>();
    assert_send_sync::<BlockCache>();
    assert_send_sync::<InternalFilterPolicy>();
    assert_send::<reader::TableIter>();
    assert_send::<MergingIterator>();
}

#[test]
fn concurrent_readers_share_a_small_cache() {
    // A cache far smaller than the table: blocks are evicted while other
    // threads still iterate over them.
    let cache = Arc::new(BlockCache::new(24 << 10));
    let mut options = plain_options(512, 8, SNAPPY, true);
    options.block_cache = Some(Arc::clone(&cache));
    let entries = sample_entries();
    let table = open(&options, &build_table(&options, &entries)).unwrap();
    let model: Arc<Vec<(Vec<u8>, Vec<u8>)>> = Arc::new(entries.into_iter().collect());
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let table = Arc::clone(&table);
            let model = Arc::clone(&model);
            std::thread::spawn(move || {
                let ro = BlockReadOptions::default();
                for round in 0..3 {
                    let mut it = table.iter(&ro);
                    if (t + round) % 2 == 0 {
                        assert_eq!(&forward(&mut *it), &*model);
                    } else {
                        assert_eq!(&backward(&mut *it), &*model);
                    }
                    for (k, v) in model.iter().skip(t).step_by(3) {
                        assert_eq!(get(&table, &ro, k).unwrap(), Some((k.clone(), v.clone())));
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert!(cache.total_charge() > 0);
    assert!(cache.total_charge() <= (24 << 10) + 16);
}

#[test]
fn two_level_over_tables_concatenates_them() {
    // The database's level iterator: an index over files whose values name
    // tables, each opened into a boxed table iterator.
    let options = plain_options(256, 4, SNAPPY, true);
    let all: Vec<(Vec<u8>, Vec<u8>)> = sample_entries().into_iter().collect();
    let mut files: Vec<(Vec<u8>, Arc<Table>)> = Vec::new();
    for chunk in all.chunks(70) {
        let part: BTreeMap<_, _> = chunk.iter().cloned().collect();
        let table = open(&options, &build_table(&options, &part)).unwrap();
        files.push((chunk.last().unwrap().0.clone(), table));
    }
    // Index: largest key of each file -> file number.
    let mut index = block_builder::BlockBuilder::new(1);
    for (i, (largest, _)) in files.iter().enumerate() {
        index.add(largest, &(i as u32).to_le_bytes());
    }
    let index = Arc::new(Block::new(index.finish().to_vec()));
    let tables: Vec<Arc<Table>> = files.into_iter().map(|(_, t)| t).collect();
    let opener = move |v: &[u8]| -> Box<dyn InternalIterator> {
        let i = u32::from_le_bytes(v.try_into().unwrap()) as usize;
        tables[i].iter(&BlockReadOptions::default())
    };
    let mut it: Box<dyn InternalIterator> =
        Box::new(TwoLevelIterator::new(index.iter(bytewise()), opener));
    assert_eq!(forward(&mut *it), all);
    assert_eq!(backward(&mut *it), all);
    it.seek(b"key00700");
    assert_eq!(it.key(), b"key00700");
    it.prev();
    assert_eq!(it.key(), b"key00693");
    assert!(it.status().is_ok());
}

/// Keys with values from a few bytes to several blocks, half of them
/// compressible (so snappy keeps most blocks compressed, not all).
fn large_and_small_entries() -> impl Strategy<Value = BTreeMap<Vec<u8>, Vec<u8>>> {
    proptest::collection::btree_map(
        proptest::collection::vec(any::<u8>(), 1..12),
        (
            any::<u32>(),
            prop_oneof![0usize..200, 3_000usize..20_000],
            any::<bool>(),
        )
            .prop_map(|(seed, len, compressible_value)| {
                compressible(seed, if compressible_value { 0.3 } else { 1.0 }, len)
            }),
        1..40,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Copying a mapped table entry by entry as a compaction does
    /// (`align_with`, then `add_with_stored_block`) makes the same table,
    /// and writes every block that the size rule cut and snappy compressed
    /// from its stored bytes instead of compressing it again.
    #[test]
    fn copying_a_table_writes_its_blocks_as_stored(
        entries in large_and_small_entries(),
        compression in prop_oneof![Just(SNAPPY), Just(NONE)],
        block_size in prop_oneof![Just(256usize), Just(4096)],
    ) {
        let options = plain_options(block_size, 16, compression, false);
        let input = build_table(&options, &entries);
        // A merge of one table is a copy of it.
        let (copy, reused) = merge_as_compaction(&options, std::slice::from_ref(&input), true);
        // A last block that `finish` cut is simply compressed.
        let cut_by_size_and_compressed =
            block_spans(&options, &input).iter().filter(|s| s.reusable).count();
        prop_assert_eq!(reused, cut_by_size_and_compressed);
        prop_assert!(copy == input);
        // A table read without a mapping cannot lend stored bytes.
        let unmapped = open(&options, &input).unwrap();
        let mut it = unmapped.table_iter(&BlockReadOptions::default());
        it.seek_to_first();
        prop_assert!(it.stored_block(false).is_none());
    }
}

/// A block's stored bytes are written again only if they are that very
/// block, intact, compressed as the builder compresses, and worth it.
#[test]
fn stored_blocks_are_reused_only_when_they_are_the_block_intact() {
    let value = compressible(9, 0.3, 10_000);
    let mut entries = BTreeMap::new();
    entries.insert(b"key".to_vec(), value.clone());
    let options = plain_options(4096, 16, SNAPPY, false);
    let input = build_table(&options, &entries);
    let table = open_mapped(&options, &input);
    let mut it = table.table_iter(&BlockReadOptions::default());
    it.seek_to_first();
    let stored = it.stored_block(true).expect("one entry, one block");
    let raw = stored.contents;
    assert!(stored.reusable_for(raw, 1));
    // Not for another compression, nor for other contents.
    assert!(!stored.reusable_for(raw, 0));
    assert!(!stored.reusable_for(raw, 2));
    let mut other = raw.to_vec();
    other[10] ^= 1;
    assert!(!stored.reusable_for(&other, 1));
    // Not if the stored bytes fail their checksum.
    let stored_at =
        |bytes: &[u8]| -> Vec<u8> { [bytes, &super::format::block_trailer(bytes, 1)[..]].concat() };
    let mut damaged = stored_at(stored.stored());
    *damaged.last_mut().unwrap() ^= 1;
    let damaged =
        super::format::StoredBlock::in_mapping(&damaged, 0..damaged.len(), raw, b"").unwrap();
    assert!(!damaged.reusable_for(raw, 1));
    // (The same bytes with their own trailer pass.)
    let intact = stored_at(stored.stored());
    let intact =
        super::format::StoredBlock::in_mapping(&intact, 0..intact.len(), raw, b"").unwrap();
    assert!(intact.reusable_for(raw, 1));
    // Not if they save less than an eighth (LevelDB would store it plain).
    let padded = stored_at(&[stored.stored(), &vec![0; raw.len() / 2][..]].concat());
    let bloated =
        super::format::StoredBlock::in_mapping(&padded, 0..padded.len(), raw, b"").unwrap();
    assert!(!bloated.reusable_for(raw, 1));
    // An entry that shares its block with another is compressed afresh.
    let out = Arc::new(Mutex::new(Vec::new()));
    let mut b = TableBuilder::new(&options, Box::new(Sink(Arc::clone(&out))));
    let before = super::builder::BLOCKS_REUSED.with(|n| n.get());
    b.add(b"a", b"small");
    b.add_with_stored_block(it.key(), it.value(), || Some(stored));
    b.finish().unwrap();
    assert_eq!(super::builder::BLOCKS_REUSED.with(|n| n.get()), before);
    let copy = open(&options, &out.lock().unwrap()).unwrap();
    let mut it = copy.table_iter(&BlockReadOptions::default());
    it.seek(&[b"key".as_slice()].concat());
    assert_eq!(it.value(), &value[..]);
}

/// Keys `0..` in runs of the given lengths, dealt alternately to two
/// tables, with values of `value_len` bytes that snappy compresses.
fn tables_of_runs(runs: &[usize], value_len: usize) -> [BTreeMap<Vec<u8>, Vec<u8>>; 2] {
    let mut tables = [BTreeMap::new(), BTreeMap::new()];
    let mut key = 0u32;
    for (i, &len) in runs.iter().enumerate() {
        for _ in 0..len {
            let value = compressible(key, 0.3, value_len);
            tables[i % 2].insert(format!("{key:08}").into_bytes(), value);
            key += 1;
        }
    }
    tables
}

/// Merges the tables `inputs` (mapped) into one as a compaction does, with
/// or without `align_with`; returns the output and how many of its blocks
/// were written from stored bytes.
fn merge_as_compaction(
    options: &TableOptions,
    inputs: &[Vec<u8>],
    align: bool,
) -> (Vec<u8>, usize) {
    let read = BlockReadOptions {
        verify_checksums: true,
        fill_cache: false,
    };
    let children = inputs
        .iter()
        .map(|bytes| {
            Box::new(open_mapped(options, bytes).table_iter(&read)) as Box<dyn InternalIterator>
        })
        .collect();
    let mut merged = super::merger::MergingIterator::new(bytewise(), children);
    let out = Arc::new(Mutex::new(Vec::new()));
    let mut builder = TableBuilder::new(options, Box::new(Sink(Arc::clone(&out))));
    let reused_before = super::builder::BLOCKS_REUSED.with(|n| n.get());
    merged.seek_to_first();
    while merged.valid() {
        if let Some(start) = merged.stored_block(true).filter(|_| align) {
            builder.align_with(&start);
        }
        builder.add_with_stored_block(merged.key(), merged.value(), || merged.stored_block(false));
        merged.next();
    }
    merged.status().unwrap();
    builder.finish().unwrap();
    let reused = super::builder::BLOCKS_REUSED.with(|n| n.get()) - reused_before;
    let bytes = out.lock().unwrap().clone();
    (bytes, reused)
}

/// Each data block of a table: its keys and stored form.
struct BlockSpan {
    first: Vec<u8>,
    last: Vec<u8>,
    /// The first key of the table's next block, if any.
    next_first: Option<Vec<u8>>,
    /// Cut by the size rule, and stored snappy-compressed.
    reusable: bool,
    /// Short enough to be worth aligning to (`StoredBlock::worth_aligning_to`).
    alignable: bool,
}

fn block_spans(options: &TableOptions, bytes: &[u8]) -> Vec<BlockSpan> {
    let table = open_mapped(options, bytes);
    let mut it = table.table_iter(&BlockReadOptions::default());
    let mut spans: Vec<BlockSpan> = Vec::new();
    it.seek_to_first();
    while it.valid() {
        if let Some(start) = it.stored_block(true) {
            if let Some(prev) = spans.last_mut() {
                prev.next_first = Some(it.key().to_vec());
            }
            let len = start.contents.len();
            spans.push(BlockSpan {
                first: it.key().to_vec(),
                last: Vec::new(),
                next_first: None,
                reusable: start.block_type() == 1 && len >= options.block_size,
                alignable: len < 2 * options.block_size,
            });
        }
        spans.last_mut().unwrap().last = it.key().to_vec();
        it.next();
    }
    spans
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// A merge of two tables whose keys come in runs, made as a compaction
    /// makes it, is the union of the two, and writes from stored bytes
    /// every block that no key of the other table interrupts up to the
    /// next block, and no block that one of them interrupts.
    #[test]
    fn a_merge_writes_uninterrupted_blocks_from_their_stored_bytes(
        runs in prop::collection::vec(1usize..300, 1..10),
        value_len in 20usize..300,
        bloom in any::<bool>(),
    ) {
        let options = plain_options(1024, 16, SNAPPY, bloom);
        let tables = tables_of_runs(&runs, value_len);
        let inputs: Vec<Vec<u8>> = tables.iter().map(|t| build_table(&options, t)).collect();
        let (output, reused) = merge_as_compaction(&options, &inputs, true);

        let mut union = tables[0].clone();
        union.extend(tables[1].clone());
        let copy = open(&options, &output).unwrap();
        let mut it = copy.table_iter(&BlockReadOptions { verify_checksums: true, fill_cache: false });
        prop_assert_eq!(forward(&mut it), union.into_iter().collect::<Vec<_>>());
        it.status().unwrap();

        let (mut at_least, mut at_most) = (0, 0);
        for (mine, other) in [(0, 1), (1, 0)] {
            let others = &tables[other];
            let none_of_others_in = |from: &[u8], to: &[u8], to_included: bool| {
                others
                    .range(from.to_vec()..)
                    .next()
                    .map_or(true, |(k, _)| if to_included { k.as_slice() > to } else { k.as_slice() >= to })
            };
            for span in block_spans(&options, &inputs[mine]) {
                if !span.reusable {
                    continue;
                }
                at_most += usize::from(none_of_others_in(&span.first, &span.last, true));
                at_least += usize::from(
                    span.alignable
                        && span
                            .next_first
                            .as_deref()
                            .is_some_and(|next| none_of_others_in(&span.first, next, false)),
                );
            }
        }
        prop_assert!(at_least <= reused && reused <= at_most, "{} <= {} <= {}", at_least, reused, at_most);
    }
}

/// Without ending its own block where an input's uninterrupted block
/// starts, a merge stays out of step with that input's blocks after the
/// first key another input put in between, and compresses them again.
#[test]
fn aligning_with_input_blocks_is_what_lets_a_merge_reuse_them() {
    let options = plain_options(1024, 16, SNAPPY, false);
    // Runs that do not divide into whole blocks (ten entries here).
    let tables = tables_of_runs(&[305, 297, 311, 293], 100);
    let inputs: Vec<Vec<u8>> = tables.iter().map(|t| build_table(&options, t)).collect();
    let blocks: usize = inputs.iter().map(|t| block_spans(&options, t).len()).sum();
    let (aligned_output, aligned) = merge_as_compaction(&options, &inputs, true);
    let (plain_output, plain) = merge_as_compaction(&options, &inputs, false);
    // Every block but those at the ends of runs.
    assert!(aligned + 8 >= blocks, "{aligned} of {blocks} blocks reused");
    assert!(plain < aligned / 2, "{plain} against {aligned}");
    // Both are the same entries.
    let entries = |bytes: &[u8]| {
        let t = open(&options, bytes).unwrap();
        forward(&mut t.table_iter(&BlockReadOptions::default()))
    };
    assert_eq!(entries(&aligned_output), entries(&plain_output));
}
