//! Sorted string tables (docs/formats.md §8): building, reading and iterating
//! them, plus the iterators the database composes from them (two-level and
//! merging) and the shared block cache.
//!
//! Invariants: table files are bit for bit LevelDB 1.23's; readers never
//! panic on damaged files but return LevelDB's corruption messages. Open
//! tables, blocks and the block cache are immutable or internally locked
//! and shared across threads; builders and iterators are single-user.

use std::sync::Arc;

use crate::util::cache::Cache;

pub mod block;
pub mod block_builder;
pub mod builder;
pub mod filter_block;
pub mod format;
pub mod index_search;
pub mod merger;
pub mod reader;
pub mod two_level;

pub use block::{Block, BlockIter};
pub use builder::TableBuilder;
pub use filter_block::InternalFilterPolicy;
pub use merger::{new_merging_iterator, MergingIterator};
pub use reader::Table;
pub use two_level::{BlockOpener, TwoLevelIterator};

/// The shared cache of uncompressed table blocks: a sharded LRU keyed by
/// (table cache id, block offset), charged by block size.
pub struct BlockCache {
    cache: Cache<(u64, u64), Block>,
}

impl BlockCache {
    /// A cache holding up to `capacity` bytes of blocks.
    pub fn new(capacity: usize) -> BlockCache {
        BlockCache {
            cache: Cache::new(capacity),
        }
    }

    /// A fresh id for a table's keys.
    pub fn new_id(&self) -> u64 {
        self.cache.new_id()
    }

    /// Bytes of blocks cached (LevelDB's `TotalCharge`).
    pub fn total_charge(&self) -> usize {
        self.cache.total_charge()
    }

    pub fn capacity(&self) -> usize {
        self.cache.capacity()
    }

    pub fn lookup(&self, key: &(u64, u64)) -> Option<Arc<Block>> {
        self.cache.lookup(key)
    }

    pub fn insert(&self, key: (u64, u64), block: Arc<Block>) {
        let charge = block.size();
        self.cache.insert_arc(key, block, charge);
    }

    pub fn erase(&self, key: &(u64, u64)) {
        self.cache.erase(key);
    }
}

#[cfg(test)]
mod model_walk;
#[cfg(test)]
mod tests;
