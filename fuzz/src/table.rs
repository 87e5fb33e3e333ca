//! A table file (formats.md §8) through `Table::open`: footer, metaindex,
//! filter block, index block and data blocks, iterated both ways and read
//! by point lookups.
//!
//! Input: one mode byte, then the file. Mode bits: 0 paranoid checks on
//! open, 1 verify block checksums on reads, 2 a bloom filter policy, 3
//! internal-key order (with the internal filter policy, as a database
//! opens its tables) instead of bytewise, 4 a small block cache, 5 the
//! file exposed as a memory mapping, 6 snappy for the rebuilt table, 7 zstd
//! for it (over bit 6). Zstd blocks (type 2) in the input are read whatever
//! the mode.
//! Properties: no panic, no endless iteration, no allocation out of
//! proportion to the file; when a forward walk ends cleanly with strictly
//! increasing keys, a table rebuilt from those entries with `TableBuilder`
//! reads back the same entries both ways and finds each key by a point
//! lookup (a filter may never hide a present key).

use std::cmp::Ordering;
use std::sync::{Arc, Mutex};

use leveldb::key::InternalKeyComparator;
use leveldb::table::format::CompressionType;
use leveldb::table::{
    BlockCache, BlockReadOptions, InternalFilterPolicy, Table, TableBuilder, TableOptions,
};
use leveldb::util::comparator::bytewise;
use leveldb::{BloomFilterPolicy, Comparator, FilterPolicy, Iterator as _};

use super::block::strictly_increasing;
use super::common::{walk, Bytes, Entry, Sink};

pub fn run(input: &[u8]) {
    let Some((&mode, data)) = input.split_first() else {
        return;
    };
    let options = table_options(mode);
    let reads = BlockReadOptions {
        verify_checksums: mode & 2 != 0,
        fill_cache: true,
    };
    let file = Arc::new(Bytes {
        data: data.to_vec(),
        mapped: mode & 32 != 0,
    });
    let Ok(table) = Table::open(&options, file, data.len() as u64) else {
        return;
    };
    // Index entries may point many times at one data block: the walk is
    // bounded by (index entries) x (entries per block).
    let per_block = data.len() / 3 + 1;
    let limit = per_block.saturating_mul(per_block);
    let mut it = table.iter(&reads);
    let (forward, forward_ok) = walk(&mut *it, true, limit);
    let _ = walk(&mut *it, false, limit);

    let mut targets: Vec<Vec<u8>> = forward.iter().take(64).map(|e| e.0.clone()).collect();
    targets.push(Vec::new());
    targets.push(vec![0xff; 12]);
    for t in &targets {
        it.seek(t);
        if it.valid() {
            it.prev();
        }
        let _ = it.status();
        let _ = table.internal_get(&reads, t, &mut |k, v| {
            let _ = (k.len(), v.len());
        });
        let _ = table.approximate_offset_of(t);
    }

    if forward_ok && strictly_increasing(&*options.comparator, &forward) {
        round_trip(mode, &forward);
    }
}

fn table_options(mode: u8) -> TableOptions {
    let internal = mode & 8 != 0;
    let comparator: Arc<dyn Comparator> = if internal {
        Arc::new(InternalKeyComparator::new(bytewise()))
    } else {
        bytewise()
    };
    let filter_policy: Option<Arc<dyn FilterPolicy>> = (mode & 4 != 0).then(|| {
        let bloom: Arc<dyn FilterPolicy> = Arc::new(BloomFilterPolicy::new(10));
        if internal {
            Arc::new(InternalFilterPolicy::new(bloom)) as Arc<dyn FilterPolicy>
        } else {
            bloom
        }
    });
    TableOptions {
        comparator,
        filter_policy,
        block_cache: (mode & 16 != 0).then(|| Arc::new(BlockCache::new(8 << 10))),
        block_size: 256,
        block_restart_interval: 4,
        compression: if mode & 128 != 0 {
            CompressionType::Zstd
        } else if mode & 64 != 0 {
            CompressionType::Snappy
        } else {
            CompressionType::None
        },
        zstd_compression_level: 1,
        paranoid_checks: mode & 1 != 0,
    }
}

fn round_trip(mode: u8, entries: &[Entry]) {
    let options = table_options(mode);
    let out = Arc::new(Mutex::new(Vec::new()));
    let mut builder = TableBuilder::new(&options, Box::new(Sink(Arc::clone(&out))));
    for (k, v) in entries {
        builder.add(k, v);
    }
    builder.finish().expect("building in memory cannot fail");
    let bytes = out.lock().unwrap().clone();
    let size = bytes.len() as u64;
    let file = Arc::new(Bytes {
        data: bytes,
        mapped: mode & 32 != 0,
    });
    let table = Table::open(&options, file, size).expect("a rebuilt table opens");
    let reads = BlockReadOptions {
        verify_checksums: true,
        fill_cache: true,
    };
    let mut it = table.iter(&reads);
    let limit = entries.len() + 1;
    let (fwd, ok) = walk(&mut *it, true, limit);
    assert!(ok, "rebuilt table fails forward");
    assert_eq!(&fwd, entries, "rebuilt table reads back different entries");
    let (mut bwd, ok) = walk(&mut *it, false, limit);
    assert!(ok, "rebuilt table fails backward");
    bwd.reverse();
    assert_eq!(
        &bwd, entries,
        "rebuilt table reads back differently backward"
    );
    for (k, v) in entries.iter().take(64) {
        let mut found = None;
        table
            .internal_get(&reads, k, &mut |fk, fv| {
                found = Some((fk.to_vec(), fv.to_vec()))
            })
            .expect("point lookup in a rebuilt table");
        let (fk, fv) = found.expect("a present key is found by a point lookup");
        assert_eq!(options.comparator.compare(&fk, k), Ordering::Equal);
        assert_eq!(&fv, v);
    }
}
