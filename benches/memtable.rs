//! Criterion micro-benchmarks of the memtable: `cargo bench --bench memtable`.
//!
//! Keys are db_bench's (`%016d`), values 100 bytes, as in db_bench's fill
//! and read phases; lookups run against a 100,000-entry memtable filled in
//! random order (about 14 MB, past the L2 cache, like a large write buffer).

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use leveldb::iterator::InternalIterator;
use leveldb::key::{internal_key, InternalKeyComparator, LookupKey, ValueType, MAX_SEQUENCE};
use leveldb::memtable::MemTable;
use leveldb::util::comparator::bytewise;

const ENTRIES: usize = 100_000;
const BATCH: usize = 10_000;

fn key(i: usize) -> Vec<u8> {
    format!("{i:016}").into_bytes()
}

/// A fixed pseudo-random permutation of `0..n` (xorshift + Fisher-Yates).
fn permutation(n: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut state = 301u64;
    for i in (1..n).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        order.swap(i, (state % (i as u64 + 1)) as usize);
    }
    order
}

fn new_memtable() -> Arc<MemTable> {
    Arc::new(MemTable::new(InternalKeyComparator::new(bytewise())))
}

fn filled(keys: &[Vec<u8>], order: &[usize], value: &[u8]) -> Arc<MemTable> {
    let mem = new_memtable();
    for (seq, &i) in order.iter().enumerate() {
        mem.add(seq as u64 + 1, ValueType::Value, &keys[i], value);
    }
    mem
}

fn bench_add(c: &mut Criterion) {
    let value = vec![b'x'; 100];
    let keys: Vec<Vec<u8>> = (0..BATCH).map(key).collect();
    let sequential: Vec<usize> = (0..BATCH).collect();
    let random = permutation(BATCH);
    let mut group = c.benchmark_group("memtable/add");
    group.throughput(Throughput::Elements(BATCH as u64));
    for (name, order) in [("sequential", &sequential), ("random", &random)] {
        group.bench_function(name, |b| {
            b.iter_batched(
                new_memtable,
                |mem| {
                    for (seq, &i) in order.iter().enumerate() {
                        mem.add(seq as u64 + 1, ValueType::Value, &keys[i], &value);
                    }
                    mem
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

fn bench_read(c: &mut Criterion) {
    let value = vec![b'x'; 100];
    let keys: Vec<Vec<u8>> = (0..ENTRIES).map(key).collect();
    let order = permutation(ENTRIES);
    let mem = filled(&keys, &order, &value);
    let probes: Vec<usize> = permutation(ENTRIES).into_iter().take(BATCH).collect();

    let mut group = c.benchmark_group("memtable/read");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("get_hit", |b| {
        b.iter(|| {
            for &i in &probes {
                let mut len = 0;
                let found = mem.lookup(&LookupKey::new(&keys[i], MAX_SEQUENCE), &mut |v| {
                    len = v.len()
                });
                black_box((found, len));
            }
        })
    });
    let misses: Vec<Vec<u8>> = probes
        .iter()
        .map(|&i| format!("{i:016}x").into_bytes())
        .collect();
    group.bench_function("get_miss", |b| {
        b.iter(|| {
            for k in &misses {
                black_box(mem.lookup(&LookupKey::new(k, MAX_SEQUENCE), &mut |_| {}));
            }
        })
    });
    let targets: Vec<Vec<u8>> = probes
        .iter()
        .map(|&i| internal_key(&keys[i], MAX_SEQUENCE, ValueType::Value))
        .collect();
    group.bench_function("seek", |b| {
        let mut it = mem.iter();
        b.iter(|| {
            for t in &targets {
                it.seek(t);
                black_box(it.valid());
            }
        })
    });
    group.bench_function("next", |b| {
        let mut it = mem.iter();
        it.seek_to_first();
        b.iter(|| {
            for _ in 0..BATCH {
                if !it.valid() {
                    it.seek_to_first();
                }
                black_box(it.key());
                it.next();
            }
        })
    });
    group.bench_function("prev", |b| {
        let mut it = mem.iter();
        it.seek_to_last();
        b.iter(|| {
            for _ in 0..BATCH {
                if !it.valid() {
                    it.seek_to_last();
                }
                black_box(it.key());
                it.prev();
            }
        })
    });
    group.finish();
}

criterion_group!(
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = bench_add, bench_read
);
criterion_main!(benches);
