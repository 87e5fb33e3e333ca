//! Criterion micro-benchmarks of the engine's building blocks, through the
//! crate's public modules: `cargo bench --bench micro`. These time Rust code
//! only; the side-by-side comparison with LevelDB is `benches/compare.sh`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use leveldb::util::{coding, crc, hash};

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

criterion_group!(benches, bench_crc, bench_varint, bench_hash);
criterion_main!(benches);
