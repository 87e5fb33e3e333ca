//! Sorted string tables (docs/formats.md §8): building, reading and iterating
//! them, plus the iterators the database composes from them (two-level and
//! merging) and the shared block cache.
//!
//! Invariants: table files are bit for bit LevelDB 1.23's; readers never
//! panic on damaged files but return LevelDB's corruption messages. Open
//! tables, blocks and the block cache are immutable or internally locked
//! and shared across threads; builders and iterators are single-user.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use crate::filter::FilterPolicy;
use crate::util::cache::{Cache, FastHasher};
use crate::util::comparator::{bytewise, Comparator};
use admission::Doorkeeper;
use format::CompressionType;

pub mod admission;
pub mod block;
pub mod block_builder;
pub mod builder;
pub mod compression;
pub mod filter_block;
pub mod format;
pub mod index_search;
pub mod merger;
pub mod reader;
pub mod table_cache;
pub mod two_level;

pub use block::{Block, BlockIter};
pub use builder::TableBuilder;
pub use filter_block::InternalFilterPolicy;
pub use merger::{new_merging_iterator, MergingIterator};
pub use reader::Table;
pub use table_cache::TableCache;
pub use two_level::{BlockOpener, TwoLevelIterator};

/// What the table layer needs to build and open tables. A database builds
/// one from its `Options` (`Options::table_options`), with its internal-key
/// comparator and filter policy in place of the user's.
#[derive(Clone)]
pub struct TableOptions {
    /// The order of the table's keys (its name is not stored in tables).
    pub comparator: Arc<dyn Comparator>,
    /// Makes the table's filter block when building; reads it when opening.
    pub filter_policy: Option<Arc<dyn FilterPolicy>>,
    /// Where data blocks read from the table are cached, if anywhere.
    pub block_cache: Option<Arc<BlockCache>>,
    /// Approximate uncompressed size of a data block.
    pub block_size: usize,
    /// Entries between restart points in a data block.
    pub block_restart_interval: usize,
    pub compression: CompressionType,
    /// The zstd level when `compression` is `Zstd` (LevelDB's
    /// `zstd_compression_level`; default 1).
    pub zstd_compression_level: i32,
    /// Verify the checksums of the blocks read when a table is opened.
    pub paranoid_checks: bool,
}

impl Default for TableOptions {
    /// LevelDB's defaults: bytewise order, no filter, no cache, 4 KiB
    /// blocks, a restart every 16 entries, Snappy (zstd level 1 if zstd is
    /// chosen).
    fn default() -> TableOptions {
        TableOptions {
            comparator: bytewise(),
            filter_policy: None,
            block_cache: None,
            block_size: 4 << 10,
            block_restart_interval: 16,
            compression: CompressionType::Snappy,
            zstd_compression_level: compression::DEFAULT_ZSTD_LEVEL,
            paranoid_checks: false,
        }
    }
}

/// How one read uses a table's blocks (the table layer's part of
/// `ReadOptions`).
#[derive(Clone, Copy, Debug)]
pub struct BlockReadOptions {
    /// Verify the checksum of every block read.
    pub verify_checksums: bool,
    /// Put blocks read from the file into the block cache.
    pub fill_cache: bool,
}

impl Default for BlockReadOptions {
    fn default() -> BlockReadOptions {
        BlockReadOptions {
            verify_checksums: false,
            fill_cache: true,
        }
    }
}

/// The shared cache of uncompressed table blocks, charged by block size:
/// the engine's sharded LRU keyed by (table cache id, block offset), or a
/// cache the caller wrote (a C++ `leveldb::Cache` given as
/// `Options::block_cache`), reached through `UserBlockCache`.
///
/// The engine's cache takes every block read while it has room; once full,
/// it takes a block only on its second read within a recent window
/// ([`admission`]), so that scans and one-off lookups do not evict the
/// blocks that are read again. (LevelDB's takes every block.)
///
/// Share one between databases to bound their cache memory together
/// (LevelDB's `NewLRUCache`):
///
/// ```
/// use std::sync::Arc;
/// use leveldb::{BlockCache, Options};
///
/// let cache = Arc::new(BlockCache::new(64 << 20));
/// let options = Options { block_cache: Some(Arc::clone(&cache)), ..Options::default() };
/// assert_eq!(cache.capacity(), 64 << 20);
/// ```
pub struct BlockCache {
    kind: CacheKind,
}

enum CacheKind {
    Native(Cache<(u64, u64), Block>, Doorkeeper),
    User(Box<dyn UserBlockCache>),
}

/// A block cache implemented outside the engine, used as LevelDB's table
/// reader uses a `leveldb::Cache`: one `new_id` per table opened, then
/// lookups and inserts of blocks under LevelDB's 16-byte keys (the table's
/// cache id, then the block's offset, each as fixed64).
pub(crate) trait UserBlockCache: Send + Sync {
    fn new_id(&self) -> u64;
    fn total_charge(&self) -> usize;
    fn lookup(&self, key: &[u8; 16]) -> Option<Arc<Block>>;
    fn insert(&self, key: &[u8; 16], block: Arc<Block>, charge: usize);
    fn erase(&self, key: &[u8; 16]);
}

/// LevelDB's block cache key for `(cache id, block offset)`.
fn user_key(key: &(u64, u64)) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&key.0.to_le_bytes());
    k[8..].copy_from_slice(&key.1.to_le_bytes());
    k
}

impl BlockCache {
    /// A cache holding up to `capacity` bytes of blocks (LevelDB's
    /// `NewLRUCache(capacity)`).
    ///
    /// ```
    /// let cache = leveldb::BlockCache::new(32 << 20);
    /// assert_eq!((cache.capacity(), cache.total_charge()), (32 << 20, 0));
    /// ```
    pub fn new(capacity: usize) -> BlockCache {
        BlockCache {
            kind: CacheKind::Native(Cache::new(capacity), Doorkeeper::new(capacity)),
        }
    }

    /// The caller's cache, used through its own interface.
    pub(crate) fn user(cache: Box<dyn UserBlockCache>) -> BlockCache {
        BlockCache {
            kind: CacheKind::User(cache),
        }
    }

    /// A fresh id for a table's keys.
    #[doc(hidden)]
    pub fn new_id(&self) -> u64 {
        match &self.kind {
            CacheKind::Native(c, _) => c.new_id(),
            CacheKind::User(c) => c.new_id(),
        }
    }

    /// Bytes of blocks cached (LevelDB's `TotalCharge`).
    ///
    /// ```
    /// assert_eq!(leveldb::BlockCache::new(1 << 20).total_charge(), 0);
    /// ```
    pub fn total_charge(&self) -> usize {
        match &self.kind {
            CacheKind::Native(c, _) => c.total_charge(),
            CacheKind::User(c) => c.total_charge(),
        }
    }

    /// The capacity in bytes; 0 for a caller's cache (LevelDB's cache
    /// interface does not tell it).
    ///
    /// ```
    /// assert_eq!(leveldb::BlockCache::new(1 << 20).capacity(), 1 << 20);
    /// ```
    pub fn capacity(&self) -> usize {
        match &self.kind {
            CacheKind::Native(c, _) => c.capacity(),
            CacheKind::User(_) => 0,
        }
    }

    /// The block cached under (table cache id, block offset), if any.
    #[doc(hidden)]
    #[inline]
    pub fn lookup(&self, key: &(u64, u64)) -> Option<Arc<Block>> {
        match &self.kind {
            CacheKind::Native(c, _) => c.lookup(key),
            CacheKind::User(c) => c.lookup(&user_key(key)),
        }
    }

    /// Caches `block` under (table cache id, block offset).
    #[doc(hidden)]
    pub fn insert(&self, key: (u64, u64), block: Arc<Block>) {
        let charge = block.size();
        match &self.kind {
            CacheKind::Native(c, _) => c.insert_arc(key, block, charge),
            CacheKind::User(c) => c.insert(&user_key(&key), block, charge),
        }
    }

    /// Offers `block`, just read from its file, to the cache: a cache with
    /// room takes it (as LevelDB's does); a full engine cache takes it only
    /// if it was offered once already in the recent past (the
    /// [`Doorkeeper`]), so blocks read once do not evict blocks read again.
    /// A caller's cache takes every block, as LevelDB gives it every block.
    #[doc(hidden)]
    pub fn offer(&self, key: (u64, u64), block: Arc<Block>) {
        let charge = block.size();
        match &self.kind {
            CacheKind::Native(c, door) => {
                c.insert_arc_if(key, block, charge, || {
                    let mut h = FastHasher::default();
                    key.hash(&mut h);
                    door.admit(h.finish())
                });
            }
            CacheKind::User(c) => c.insert(&user_key(&key), block, charge),
        }
    }

    /// Drops the block cached under (table cache id, block offset).
    #[doc(hidden)]
    pub fn erase(&self, key: &(u64, u64)) {
        match &self.kind {
            CacheKind::Native(c, _) => c.erase(key),
            CacheKind::User(c) => c.erase(&user_key(key)),
        }
    }
}

#[cfg(test)]
mod model_walk;
#[cfg(test)]
mod tests;
