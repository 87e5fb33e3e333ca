//! Reading a table file: open (footer, index, filter), point lookups,
//! iteration and offset estimates.
//!
//! Invariants: an open [`Table`] is immutable and shared (`Arc`), so it is
//! `Send + Sync`; blocks come from the shared block cache when the options
//! name one, keyed by (the table's cache id, block offset), so tables never
//! see each other's blocks. Damaged files give `Corruption` errors (from
//! open, lookups or the iterator's status), never panics. The metaindex
//! and filter are optional extras: if they cannot be read the table works
//! without a filter.

// A decoder of bytes from disk: bad input is an error, never a panic.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

use std::sync::{Arc, OnceLock};

use crate::env::RandomAccessFile;
use crate::filter::FilterPolicy;
use crate::iterator::InternalIterator;
use crate::key::InternalKeyComparator;

use crate::status::{Error, Result};
use crate::table::block::{Block, BlockCursor, BlockIter};
use crate::table::filter_block::FilterBlockReader;
use crate::table::format::{
    block_range, read_block, read_block_contents, BlockContents, BlockHandle, Footer, StoredBlock,
    FOOTER_ENCODED_LENGTH,
};
use crate::table::index_search::IndexSearch;
use crate::table::two_level::TwoLevelIterator;
use crate::table::{BlockCache, BlockReadOptions, TableOptions};
use crate::util::comparator::{BytewiseComparator, Comparator};

thread_local! {
    /// The key buffer of the last point lookup's data-block cursor on this
    /// thread, handed to the next one so that a lookup does not allocate
    /// one (most keys of a data block share a prefix with the previous key
    /// and are rebuilt there).
    static KEY_SCRATCH: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// The largest key buffer kept in `KEY_SCRATCH`: huge keys are rare, and
/// each thread that looked one up would keep its buffer.
const MAX_KEY_SCRATCH: usize = 4096;

pub struct Table {
    comparator: Arc<dyn Comparator>,
    /// `comparator` as its concrete type, for tables of a database (whose
    /// comparator is always the internal-key one): point lookups then
    /// compare keys with static, inlined calls, twenty-odd per lookup.
    internal_order: Option<InternalKeyComparator>,
    /// Whether `internal_order` compares user keys bytewise, which
    /// [`IndexSearch`] needs.
    index_searchable: bool,
    /// A dense search array over `index_block`, built by the first point
    /// lookup (tables that are only written and scanned, as in a bulk
    /// load, never pay its memory).
    index_search: OnceLock<Option<IndexSearch>>,
    file: Arc<dyn RandomAccessFile>,
    file_size: u64,
    block_cache: Option<Arc<BlockCache>>,
    /// This table's key prefix in the block cache.
    cache_id: u64,
    metaindex_handle: BlockHandle,
    index_block: Arc<Block>,
    filter: Option<FilterBlockReader>,
}

/// The iterator over a table's entries: index block → data blocks.
pub type TableIter = TwoLevelIterator<TableIndexIter, TableBlockOpener>;

impl Table {
    /// Opens the table in `file`, which is `size` bytes long.
    pub fn open(
        options: &TableOptions,
        file: Arc<dyn RandomAccessFile>,
        size: u64,
    ) -> Result<Arc<Table>> {
        Table::open_with_order(options, file, size, None)
    }

    /// Opens a table of a database: `icmp` must be the comparator that
    /// `options.comparator` holds.
    pub(crate) fn open_internal(
        options: &TableOptions,
        file: Arc<dyn RandomAccessFile>,
        size: u64,
        icmp: &InternalKeyComparator,
    ) -> Result<Arc<Table>> {
        Table::open_with_order(options, file, size, Some(icmp.clone()))
    }

    fn open_with_order(
        options: &TableOptions,
        file: Arc<dyn RandomAccessFile>,
        size: u64,
        internal_order: Option<InternalKeyComparator>,
    ) -> Result<Arc<Table>> {
        if size < FOOTER_ENCODED_LENGTH as u64 {
            return Err(Error::corruption("file is too short to be an sstable"));
        }
        let mut footer_bytes = [0u8; FOOTER_ENCODED_LENGTH];
        let footer_offset = size - FOOTER_ENCODED_LENGTH as u64;
        let mut got = 0;
        while got < footer_bytes.len() {
            let n = file.read_at(footer_offset + got as u64, &mut footer_bytes[got..])?;
            if n == 0 {
                break;
            }
            got += n;
        }
        let footer = Footer::decode(&footer_bytes[..got])?;

        let verify = options.paranoid_checks;
        // In place when the file is mapped and the block is stored
        // uncompressed, as LevelDB reads it: a copy would hold the whole
        // index on the heap for as long as the table is open (tens of KiB a
        // table with `compression=none`), where the mapping holds only the
        // pages lookups touch.
        let index_contents = read_block_contents(&file, size, verify, &footer.index_handle)?;
        let block_cache = options.block_cache.clone();
        let cache_id = block_cache.as_ref().map_or(0, |c| c.new_id());
        let index_searchable = internal_order
            .as_ref()
            .is_some_and(|icmp| icmp.user_comparator().is_bytewise());
        let mut table = Table {
            comparator: Arc::clone(&options.comparator),
            internal_order,
            index_searchable,
            index_search: OnceLock::new(),
            file,
            file_size: size,
            block_cache,
            cache_id,
            metaindex_handle: footer.metaindex_handle,
            index_block: Arc::new(Block::from_contents(index_contents)),
            filter: None,
        };
        let mut metadata_start = footer
            .index_handle
            .offset
            .min(footer.metaindex_handle.offset);
        if let Some(policy) = &options.filter_policy {
            let filter = table.read_filter(policy, &footer, verify);
            if let Some((filter, offset)) = filter {
                table.filter = Some(filter);
                metadata_start = metadata_start.min(offset);
            }
        }
        // The metaindex and a compressed index are now on the heap, and an
        // index or filter read in place is probed only on reads: a mapped
        // file's pages of them need not stay resident after this (a later
        // probe faults the page it needs back in). (LevelDB keeps ~56 KiB a
        // table resident from its open; across a database's tables that was
        // most of the peak RSS we had over it in fill workloads.)
        table
            .file
            .release_range(metadata_start, size.saturating_sub(metadata_start));
        Ok(Arc::new(table))
    }

    /// Whether the index block is read in place from the file's mapping.
    #[cfg(test)]
    pub(crate) fn index_is_mapped(&self) -> bool {
        self.index_block.is_mapped()
    }

    /// The filter named after `policy` in the metaindex, if it can be read,
    /// with its offset in the file.
    fn read_filter(
        &self,
        policy: &Arc<dyn FilterPolicy>,
        footer: &Footer,
        verify: bool,
    ) -> Option<(FilterBlockReader, u64)> {
        // Errors here are ignored: the table still works, just without
        // the filter's help.
        let meta = read_block(
            &*self.file,
            self.file_size,
            verify,
            &footer.metaindex_handle,
        )
        .ok()?;
        let meta = Arc::new(Block::new(meta));
        let mut it = meta.iter(Arc::new(BytewiseComparator));
        let key = format!("filter.{}", policy.name());
        it.seek(key.as_bytes());
        if !it.valid() || it.key() != key.as_bytes() {
            return None;
        }
        let handle = BlockHandle::decode_from(&mut it.value()).ok()?;
        // In place when the file is mapped, as LevelDB reads it: a filter is
        // stored uncompressed, and its pages are resident only while probed.
        let data = read_block_contents(&self.file, self.file_size, verify, &handle).ok()?;
        Some((
            FilterBlockReader::new(Arc::clone(policy), data),
            handle.offset,
        ))
    }

    /// The data block an index entry points to, through the block cache.
    fn block(&self, options: &BlockReadOptions, index_value: &[u8]) -> Result<Arc<Block>> {
        let mut input = index_value;
        let handle = BlockHandle::decode_from(&mut input)?;
        self.block_at(options, handle)
    }

    /// The data block at `handle`, through the block cache.
    fn block_at(&self, options: &BlockReadOptions, handle: BlockHandle) -> Result<Arc<Block>> {
        match &self.block_cache {
            Some(cache) => {
                let key = (self.cache_id, handle.offset);
                if let Some(block) = cache.lookup(&key) {
                    return Ok(block);
                }
                let contents = self.read_block(options, &handle)?;
                let block = Arc::new(Block::from_contents(contents));
                // Like LevelDB, blocks read in place from a mapping are not
                // cached: re-reading them costs no copy, and caching would
                // only evict blocks that did.
                if options.fill_cache && !block.is_mapped() {
                    cache.offer(key, Arc::clone(&block));
                }
                Ok(block)
            }
            None => Ok(Arc::new(Block::from_contents(
                self.read_block(options, &handle)?,
            ))),
        }
    }

    /// Reads the block at `handle`. A read that does not fill the block
    /// cache (a compaction's, a bulk scan's) passes through the file once:
    /// its pages of a mapped file are released after use, so that a
    /// compaction does not leave its inputs resident (LevelDB does).
    fn read_block(
        &self,
        options: &BlockReadOptions,
        handle: &BlockHandle,
    ) -> Result<BlockContents> {
        let mut contents =
            read_block_contents(&self.file, self.file_size, options.verify_checksums, handle)?;
        if !options.fill_cache {
            contents.release_pages_after_use(&self.file, handle);
        }
        Ok(contents)
    }

    /// An iterator over the data block of an index entry (an error
    /// iterator if it cannot be read).
    fn block_iter(&self, options: &BlockReadOptions, index_value: &[u8]) -> BlockIter {
        match self.block(options, index_value) {
            Ok(block) => block.iter(Arc::clone(&self.comparator)),
            Err(e) => BlockIter::with_error(e, Arc::clone(&self.comparator)),
        }
    }

    /// An iterator over all entries of the table.
    pub fn iter(self: &Arc<Self>, options: &BlockReadOptions) -> Box<dyn InternalIterator> {
        Box::new(self.table_iter(options))
    }

    /// As [`Table::iter`], unboxed.
    pub fn table_iter(self: &Arc<Self>, options: &BlockReadOptions) -> TableIter {
        let index = TableIndexIter {
            iter: self.index_block.iter(Arc::clone(&self.comparator)),
            table: Arc::clone(self),
        };
        TwoLevelIterator::new(
            index,
            TableBlockOpener {
                table: Arc::clone(self),
                options: *options,
            },
        )
    }

    /// Calls `f` with the first entry whose key is `>= key`, if the filter
    /// does not rule the key out and such an entry is in the block the
    /// index names for `key`.
    pub fn internal_get(
        self: &Arc<Self>,
        options: &BlockReadOptions,
        key: &[u8],
        f: &mut dyn FnMut(&[u8], &[u8]),
    ) -> Result<()> {
        match &self.internal_order {
            Some(icmp) => self.get_ordered_by(icmp, options, key, f),
            None => self.get_ordered_by(&*self.comparator, options, key, f),
        }
    }

    /// The dense search over the index block's keys, built on first use,
    /// where the comparator allows one.
    fn index_search(&self) -> Option<&IndexSearch> {
        if !self.index_searchable {
            return None;
        }
        self.index_search
            .get_or_init(|| IndexSearch::build(&self.index_block))
            .as_ref()
    }

    /// `internal_get` with the table's comparator as `cmp`.
    fn get_ordered_by<C: Comparator + ?Sized>(
        self: &Arc<Self>,
        cmp: &C,
        options: &BlockReadOptions,
        key: &[u8],
        f: &mut dyn FnMut(&[u8], &[u8]),
    ) -> Result<()> {
        let search = self.index_search();
        let bounds = search.and_then(|s| s.bounds(key));
        // Bounds that name one entry name the answer: the first index entry
        // >= key. Its handle is in the search array, so the index block
        // (two more cold cache lines) is not read.
        let sole = bounds.filter(|(left, right)| left == right);
        if let Some(handle) = sole.and_then(|(entry, _)| search?.handle(entry)) {
            return self.get_in_block(cmp, options, key, handle, f);
        }
        let index = &*self.index_block;
        let mut index_cursor = BlockCursor::new(index);
        index_cursor.seek_narrowed(index, cmp, key, bounds);
        if index_cursor.valid(index) {
            let handle = BlockHandle::decode_from(&mut index_cursor.value(index))?;
            self.get_in_block(cmp, options, key, handle, f)?;
        }
        index_cursor.status()
    }

    /// The rest of `get_ordered_by`, once the index has named the data
    /// block at `handle`: the filter, then the block's first entry `>= key`.
    fn get_in_block<C: Comparator + ?Sized>(
        &self,
        cmp: &C,
        options: &BlockReadOptions,
        key: &[u8],
        handle: BlockHandle,
        f: &mut dyn FnMut(&[u8], &[u8]),
    ) -> Result<()> {
        if let Some(filter) = &self.filter {
            if !filter.key_may_match(handle.offset, key) {
                return Ok(());
            }
        }
        let block = self.block_at(options, handle)?;
        let mut cursor = BlockCursor::with_key_buf(&block, KEY_SCRATCH.take());
        cursor.seek(&block, cmp, key);
        if cursor.valid(&block) {
            f(cursor.key(&block), cursor.value(&block));
        }
        let status = cursor.status();
        let key_buf = cursor.into_key_buf();
        if key_buf.capacity() <= MAX_KEY_SCRATCH {
            KEY_SCRATCH.set(key_buf);
        }
        status
    }

    /// The approximate file offset where the data for `key` begins (or
    /// would begin): the offset of the data block the index points to, or
    /// near the end of the file for keys past the last entry.
    pub fn approximate_offset_of(&self, key: &[u8]) -> u64 {
        let index = &*self.index_block;
        let mut cursor = BlockCursor::new(index);
        cursor.seek(index, &*self.comparator, key);
        if cursor.valid(index) {
            if let Ok(handle) = BlockHandle::decode_from(&mut &cursor.value(index)[..]) {
                return handle.offset;
            }
        }
        // Past the last key, or a damaged index entry: the metaindex sits
        // right after the data, which is close to the file's end.
        self.metaindex_handle.offset
    }
}

/// A table iterator's walk over the index block: its seeks are narrowed by
/// the table's [`IndexSearch`] where there is one, as point lookups are.
pub struct TableIndexIter {
    iter: BlockIter,
    table: Arc<Table>,
}

impl InternalIterator for TableIndexIter {
    #[inline]
    fn valid(&self) -> bool {
        self.iter.valid()
    }
    fn seek_to_first(&mut self) {
        self.iter.seek_to_first();
    }
    fn seek_to_last(&mut self) {
        self.iter.seek_to_last();
    }
    fn seek(&mut self, target: &[u8]) {
        let bounds = self.table.index_search().and_then(|s| s.bounds(target));
        self.iter.seek_narrowed(target, bounds);
    }
    #[inline]
    fn next(&mut self) {
        self.iter.next();
    }
    fn prev(&mut self) {
        self.iter.prev();
    }
    #[inline]
    fn key(&self) -> &[u8] {
        self.iter.key()
    }
    #[inline]
    fn value(&self) -> &[u8] {
        self.iter.value()
    }
    #[inline]
    fn current_key(&self) -> Option<&[u8]> {
        self.iter.current_key()
    }
    fn status(&self) -> Result<()> {
        self.iter.status()
    }
}

/// Opens the data block named by an index entry, for a table iterator.
pub struct TableBlockOpener {
    table: Arc<Table>,
    options: BlockReadOptions,
}

impl crate::table::two_level::BlockOpener for TableBlockOpener {
    type Iter = BlockIter;
    fn open(&mut self, index_value: &[u8]) -> BlockIter {
        self.table.block_iter(&self.options, index_value)
    }
    fn stored_block<'a>(
        &'a self,
        index_key: &'a [u8],
        index_value: &[u8],
        data: &'a BlockIter,
        at_start: bool,
    ) -> Option<StoredBlock<'a>> {
        if !data.valid() || (at_start && !data.at_first_entry()) {
            return None;
        }
        let map = self.table.file.mapped()?;
        let handle = BlockHandle::decode_from(&mut &index_value[..]).ok()?;
        let range = block_range(self.table.file_size, &handle).ok()?;
        StoredBlock::in_mapping(map, range, data.contents(), index_key)
    }
}
