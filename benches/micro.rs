//! Criterion micro-benchmarks of the engine's building blocks, through the
//! crate's public modules: `cargo bench --bench micro`. These time Rust code
//! only; the side-by-side comparison with LevelDB is `benches/compare.sh`.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use leveldb::env::mem::MemEnv;
use leveldb::env::Env;
use leveldb::filter::FilterPolicy;
use leveldb::iterator::InternalIterator;
use leveldb::log;
use leveldb::table::block_builder::BlockBuilder;
use leveldb::table::compression::uncompress;
use leveldb::table::{Block, BlockCache, Table, TableBuilder};
use leveldb::util::bloom::{self, BloomFilterPolicy};
use leveldb::util::comparator::bytewise;
use leveldb::util::{coding, crc, hash};
use leveldb::version::key_filter;
use leveldb::{Options, ReadOptions};

/// db_bench's key text for index `i`.
fn key(i: u32) -> Vec<u8> {
    format!("{i:016}").into_bytes()
}

/// LevelDB's Park-Miller generator, so lookups follow db_bench's pattern.
struct Random(u32);

impl Random {
    fn next(&mut self) -> u32 {
        let product = u64::from(self.0) * 16807;
        let mut seed = ((product >> 31) + (product & 0x7fff_ffff)) as u32;
        if seed > 0x7fff_ffff {
            seed -= 0x7fff_ffff;
        }
        self.0 = seed;
        seed
    }

    fn uniform(&mut self, n: u32) -> u32 {
        self.next() % n
    }
}

fn bench_crc(c: &mut Criterion) {
    let mut group = c.benchmark_group("crc32c");
    for size in [100usize, 4096] {
        let data = vec![b'x'; size];
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_function(format!("value/{size}"), |b| {
            b.iter(|| crc::mask(crc::value(black_box(&data))))
        });
    }
    group.finish();
}

/// Values spread over every varint length (1 to 10 bytes).
fn varint_inputs() -> Vec<u64> {
    (0..64).map(|shift| (1u64 << shift) - 1).collect()
}

fn bench_varint(c: &mut Criterion) {
    let values = varint_inputs();
    let mut encoded = Vec::new();
    for &v in &values {
        coding::put_varint64(&mut encoded, v);
    }
    let mut group = c.benchmark_group("varint");
    group.throughput(Throughput::Elements(values.len() as u64));
    group.bench_function("put_varint64", |b| {
        b.iter_batched_ref(
            || Vec::with_capacity(encoded.len()),
            |out| {
                for &v in black_box(&values) {
                    coding::put_varint64(out, v);
                }
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("get_varint64", |b| {
        b.iter(|| {
            let mut input: &[u8] = black_box(&encoded);
            let mut sum = 0u64;
            while let Some(v) = coding::get_varint64(&mut input) {
                sum = sum.wrapping_add(v);
            }
            sum
        })
    });
    group.finish();
}

fn bench_hash(c: &mut Criterion) {
    let key = b"0000000000123456";
    c.bench_function("hash/16", |b| {
        b.iter(|| hash::hash(black_box(key), 0xbc9f1d34))
    });
}

fn bench_bloom(c: &mut Criterion) {
    const KEYS: u32 = 10_000;
    let policy = BloomFilterPolicy::new(10);
    let keys: Vec<Vec<u8>> = (0..KEYS).map(key).collect();
    let refs: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
    let mut filter = Vec::new();
    policy.create_filter(&refs, &mut filter);
    let mut group = c.benchmark_group("bloom");
    group.bench_function("create/10000", |b| {
        b.iter_batched_ref(
            Vec::new,
            |dst| policy.create_filter(black_box(&refs), dst),
            BatchSize::SmallInput,
        )
    });
    let mut rnd = Random(301);
    group.bench_function("probe/present", |b| {
        b.iter(|| policy.key_may_match(&keys[rnd.uniform(KEYS) as usize], black_box(&filter)))
    });
    let absent: Vec<Vec<u8>> = (KEYS..2 * KEYS).map(key).collect();
    group.bench_function("probe/absent", |b| {
        b.iter(|| policy.key_may_match(&absent[rnd.uniform(KEYS) as usize], black_box(&filter)))
    });
    // The in-memory key filters of flushes and compactions: the same keys
    // into a power-of-two array, probed with a mask instead of `%` (compare
    // with create/10000 and probe/absent above).
    let mut builder = key_filter::flush_builder(KEYS as usize);
    group.bench_function("key_filter/add/10000", |b| {
        b.iter(|| {
            for k in &refs {
                builder.add_key(black_box(k));
            }
            builder.take_filter()
        })
    });
    for k in &refs {
        builder.add_key(k);
    }
    let key_filter = builder.take_filter();
    group.bench_function("key_filter/probe/absent", |b| {
        b.iter(|| {
            let h = bloom::bloom_hash(&absent[rnd.uniform(KEYS) as usize]);
            bloom::hash_may_match(h, black_box(&key_filter))
        })
    });
    group.finish();
}

/// A 4 KiB-ish data block of db_bench-shaped entries (16-byte keys, 100-byte
/// values, restart interval 16).
fn bench_block(c: &mut Criterion) {
    let value = vec![b'v'; 100];
    let mut builder = BlockBuilder::new(16);
    let entries = 36u32;
    for i in 0..entries {
        builder.add(&key(i * 2), &value);
    }
    let block = Arc::new(Block::new(builder.finish().to_vec()));
    let cmp = bytewise();
    let mut iter = block.iter(Arc::clone(&cmp));
    let targets: Vec<Vec<u8>> = (0..2 * entries).map(key).collect();
    let mut rnd = Random(301);
    let mut group = c.benchmark_group("block");
    group.bench_function("seek", |b| {
        b.iter(|| {
            iter.seek(&targets[rnd.uniform(2 * entries) as usize]);
            iter.valid()
        })
    });
    group.bench_function("scan", |b| {
        b.iter(|| {
            let mut n = 0;
            iter.seek_to_first();
            while iter.valid() {
                n += iter.value().len();
                iter.next();
            }
            n
        })
    });
    group.finish();
}

/// Decompressing a data block of db_bench-shaped entries whose values
/// snappy halves (50 random printable bytes, repeated), the largest part
/// of a read that misses the block cache.
fn bench_snappy(c: &mut Criterion) {
    let mut rnd = Random(301);
    let mut builder = BlockBuilder::new(16);
    for i in 0..32u32 {
        let half: Vec<u8> = (0..50).map(|_| b' ' + rnd.uniform(95) as u8).collect();
        builder.add(&key(i * 7), &half.repeat(2));
    }
    let raw = builder.finish().to_vec();
    let compressed = snap::raw::Encoder::new().compress_vec(&raw).unwrap();
    let mut group = c.benchmark_group("snappy");
    group.throughput(Throughput::Bytes(raw.len() as u64));
    let mut snap_out = vec![0u8; raw.len()];
    group.bench_function("decompress/block", |b| {
        b.iter(|| {
            snap::raw::Decoder::new()
                .decompress(black_box(&compressed), &mut snap_out)
                .unwrap()
        })
    });
    // Ours, as a table read calls it (into a buffer the caller supplies).
    let mut spare = Vec::new();
    group.bench_function("decompress/block/strata", |b| {
        b.iter(|| {
            let out = uncompress(1, black_box(&compressed), |n| {
                let mut buf = std::mem::take(&mut spare);
                buf.resize(n, 0);
                buf
            })
            .unwrap();
            spare = out;
        })
    });
    group.finish();
}

fn bench_log(c: &mut Criterion) {
    let env = MemEnv::new();
    let record = vec![b'r'; 128];
    let mut group = c.benchmark_group("log");
    group.throughput(Throughput::Bytes(1000 * record.len() as u64));
    group.bench_function("add_record/1000x128", |b| {
        b.iter_batched_ref(
            || log::Writer::new(env.new_writable_file("/log").unwrap()),
            |writer| {
                for _ in 0..1000 {
                    writer.add_record(black_box(&record)).unwrap();
                }
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

/// 100 000-entry tables (bytewise keys, Snappy), as a compacted level file
/// would be, one with a bloom filter and one without, looked up at random;
/// the block cache holds the whole table, so this times the hot path (index
/// seek, filter probe, cache hit, block seek), not file reads. The tables
/// hold the even-numbered keys and absent lookups ask for odd ones, so an
/// absent key costs the filtered table a probe and the other a block seek.
fn bench_table(c: &mut Criterion) {
    const ENTRIES: u32 = 100_000;
    let env = MemEnv::new();
    let keys: Vec<Vec<u8>> = (0..2 * ENTRIES).map(key).collect();
    // Index of the i-th present (even) or absent (odd) key.
    let present = |i: u32| 2 * i as usize;
    let read = ReadOptions::new();
    let mut rnd = Random(301);
    let mut group = c.benchmark_group("table");
    for (name, filter_policy) in [
        (
            "bloom",
            Some(Arc::new(BloomFilterPolicy::new(10)) as Arc<dyn FilterPolicy>),
        ),
        ("no_bloom", None),
    ] {
        let options = Options {
            block_cache: Some(Arc::new(BlockCache::new(64 << 20))),
            filter_policy,
            ..Options::default()
        };
        let path = format!("/{name}.ldb");
        let mut builder = TableBuilder::new(
            &options.table_options(),
            env.new_writable_file(&path).unwrap(),
        );
        let value = vec![b'v'; 100];
        for i in 0..ENTRIES {
            builder.add(&keys[present(i)], &value);
        }
        builder.finish().unwrap();
        let size = builder.file_size();
        drop(builder);
        let file = env.new_random_access_file(&path).unwrap();
        let table = Table::open(&options.table_options(), file, size).unwrap();
        for (which, odd) in [("present", 0), ("absent", 1)] {
            group.bench_function(format!("get/{which}/{name}"), |b| {
                b.iter(|| {
                    let mut found = 0;
                    let k = &keys[present(rnd.uniform(ENTRIES)) + odd];
                    table
                        .internal_get(&read.block_reads(), k, &mut |_, v| found = v.len())
                        .unwrap();
                    found
                })
            });
        }
    }
    group.finish();
}

criterion_group!(
    benches,
    bench_crc,
    bench_varint,
    bench_hash,
    bench_bloom,
    bench_block,
    bench_snappy,
    bench_log,
    bench_table
);
criterion_main!(benches);
