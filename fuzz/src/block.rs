//! A table block (formats.md §8.1) decoded and iterated forward, backward
//! and by seeks.
//!
//! Input: one mode byte, then the block's (uncompressed) contents. Mode bit
//! 0 orders keys as internal keys instead of bytewise; bits 1-4 are the
//! restart interval (minus one) of the rebuilt block.
//! Properties: no panic and no endless iteration on any contents; when a
//! forward walk ends cleanly with strictly increasing keys, a block rebuilt
//! from those entries with `BlockBuilder` reads back the same entries in
//! both directions and every key seeks to itself.

use std::cmp::Ordering;
use std::sync::Arc;

use leveldb::key::InternalKeyComparator;
use leveldb::table::block_builder::BlockBuilder;
use leveldb::table::Block;
use leveldb::util::comparator::bytewise;
use leveldb::{Comparator, Iterator as _};

use super::common::{walk, Entry};

pub fn run(input: &[u8]) {
    let Some((&mode, data)) = input.split_first() else {
        return;
    };
    let cmp: Arc<dyn Comparator> = if mode & 1 != 0 {
        Arc::new(InternalKeyComparator::new(bytewise()))
    } else {
        bytewise()
    };
    // Every entry takes at least three bytes (its three lengths).
    let limit = data.len() / 3 + 1;
    let block = Arc::new(Block::new(data.to_vec()));
    let mut it = block.iter(Arc::clone(&cmp));
    let (forward, forward_ok) = walk(&mut it, true, limit);
    let _ = walk(&mut it, false, limit);

    // Seeks to every key seen (and around them) must stay in bounds.
    let mut targets: Vec<Vec<u8>> = forward.iter().take(64).map(|e| e.0.clone()).collect();
    targets.push(Vec::new());
    targets.push(vec![0xff; 12]);
    targets.push(vec![0; 3]);
    for t in &targets {
        it.seek(t);
        if it.valid() {
            let _ = (it.key().len(), it.value().len());
            it.prev();
            if it.valid() {
                it.next();
            }
        }
        let _ = it.status();
    }

    if forward_ok && strictly_increasing(&*cmp, &forward) {
        round_trip(&*cmp, &cmp, &forward, usize::from(mode >> 1 & 15) + 1);
    }
}

/// Whether the keys of `entries` increase strictly under `cmp`.
pub fn strictly_increasing(cmp: &dyn Comparator, entries: &[Entry]) -> bool {
    entries
        .windows(2)
        .all(|w| cmp.compare(&w[0].0, &w[1].0) == Ordering::Less)
}

fn round_trip(
    cmp: &dyn Comparator,
    cmp_arc: &Arc<dyn Comparator>,
    entries: &[Entry],
    restart: usize,
) {
    let mut builder = BlockBuilder::new(restart);
    for (k, v) in entries {
        builder.add(k, v);
    }
    let rebuilt = Arc::new(Block::new(builder.finish().to_vec()));
    let mut it = rebuilt.iter(Arc::clone(cmp_arc));
    let limit = entries.len() + 1;
    let (fwd, ok) = walk(&mut it, true, limit);
    assert!(ok, "rebuilt block fails forward");
    assert_eq!(&fwd, entries, "rebuilt block reads back different entries");
    let (mut bwd, ok) = walk(&mut it, false, limit);
    assert!(ok, "rebuilt block fails backward");
    bwd.reverse();
    assert_eq!(
        &bwd, entries,
        "rebuilt block reads back differently backward"
    );
    for (k, v) in entries.iter().take(64) {
        it.seek(k);
        assert!(it.valid(), "seek to a present key finds nothing");
        assert_eq!(cmp.compare(it.key(), k), Ordering::Equal);
        assert_eq!(it.value(), &v[..]);
    }
}
