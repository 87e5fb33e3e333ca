//! Writing a table file (docs/formats.md §8.5), byte for byte as LevelDB 1.23.
//!
//! Invariants: keys arrive in strictly increasing `options.comparator`
//! order. A data block is cut as soon as its size estimate reaches
//! `block_size`; its index entry is written only when the next key arrives
//! (so the separator can be shortened between the two) or at `finish`
//! (short successor of the last key). After the first failed write the
//! builder keeps that error and writes nothing more. `change_options` may
//! change the block size, restart interval, compression and filter name
//! for what is written after it, as LevelDB's `ChangeOptions` does; the
//! comparator never changes. Zstd blocks (type 2) are written as LevelDB's
//! current source writes them (`compression.rs`); the rest of the table is
//! the same whatever the compression. A block may be written from stored
//! bytes a compaction read (`add_with_stored_block`) only when they are a
//! snappy encoding of exactly that block. Not thread-safe.

use std::cmp::Ordering;
use std::sync::Arc;

use crate::env::WritableFile;
use crate::filter::FilterPolicy;
use crate::status::Result;
use crate::table::block_builder::BlockBuilder;
use crate::table::compression::BlockCompressor;
use crate::table::filter_block::FilterBlockBuilder;
use crate::table::format::{block_trailer, BlockHandle, Footer, StoredBlock, NO_COMPRESSION};
use crate::table::TableOptions;
use crate::util::comparator::Comparator;

#[cfg(test)]
thread_local! {
    /// Data blocks this thread's builders wrote from stored bytes (tests
    /// check that reuse happens exactly when it may).
    pub(crate) static BLOCKS_REUSED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

pub struct TableBuilder {
    comparator: Arc<dyn Comparator>,
    filter_policy: Option<Arc<dyn FilterPolicy>>,
    block_size: usize,
    /// Compresses each block as the options say (and keeps its encoders
    /// from block to block).
    compressor: BlockCompressor,
    file: Box<dyn WritableFile>,
    offset: u64,
    status: Result<()>,
    data_block: BlockBuilder,
    index_block: BlockBuilder,
    /// Used for the metaindex block, which uses the table's restart interval.
    block_restart_interval: usize,
    /// The last key of the last data block written (taken from the block
    /// when it is flushed): the start of its index entry's separator. The
    /// last key of the open block is the data block's own.
    last_key: Vec<u8>,
    num_entries: u64,
    closed: bool,
    filter_block: Option<FilterBlockBuilder>,
    /// A block was flushed and its index entry awaits the next key.
    pending_index_entry: bool,
    pending_handle: BlockHandle,
    handle_scratch: Vec<u8>,
    /// Flush the file after each data block, as LevelDB's builder does
    /// (for files of a C++ caller, who may observe it; the engine's own
    /// files gain nothing from the extra writes).
    flush_file_per_block: bool,
}

impl TableBuilder {
    /// A builder writing to `file` with `options`' comparator, block size,
    /// restart interval, compression and filter policy.
    pub fn new(options: &TableOptions, file: Box<dyn WritableFile>) -> TableBuilder {
        let mut filter_block = options
            .filter_policy
            .as_ref()
            .map(|p| FilterBlockBuilder::new(Arc::clone(p)));
        if let Some(f) = filter_block.as_mut() {
            f.start_block(0);
        }
        TableBuilder {
            comparator: Arc::clone(&options.comparator),
            filter_policy: options.filter_policy.clone(),
            block_size: options.block_size,
            compressor: BlockCompressor::new(options.compression, options.zstd_compression_level),
            file,
            offset: 0,
            status: Ok(()),
            data_block: BlockBuilder::new(options.block_restart_interval),
            // Index entries are looked up by binary search only: no prefix
            // compression, every entry a restart point.
            index_block: BlockBuilder::new(1),
            block_restart_interval: options.block_restart_interval,
            last_key: Vec::new(),
            num_entries: 0,
            closed: false,
            filter_block,
            pending_index_entry: false,
            pending_handle: BlockHandle::default(),
            handle_scratch: Vec::with_capacity(20),
            flush_file_per_block: false,
        }
    }

    /// Makes every data block written end with a `flush` of the file.
    pub fn set_flush_file_per_block(&mut self, on: bool) {
        self.flush_file_per_block = on;
    }

    /// Applies `options`' block size, restart interval (data and metaindex
    /// blocks; index blocks keep 1), compression and, when it has one,
    /// filter policy (whose name the metaindex uses; the filter block keeps
    /// the policy the builder started with) to what is written from now
    /// on. The comparator is not changed: the caller refuses a different
    /// one, as LevelDB's `ChangeOptions` does.
    pub fn change_options(&mut self, options: &TableOptions) {
        self.block_size = options.block_size;
        self.compressor
            .configure(options.compression, options.zstd_compression_level);
        self.block_restart_interval = options.block_restart_interval;
        self.data_block
            .set_restart_interval(options.block_restart_interval);
        if let Some(policy) = &options.filter_policy {
            self.filter_policy = Some(Arc::clone(policy));
        }
    }

    /// Ends the current data block now and writes it (LevelDB's public
    /// `Flush`); nothing happens when it is empty, after an error, or once
    /// the builder is finished or abandoned.
    pub fn flush_block(&mut self) {
        if !self.closed {
            self.flush();
        }
    }

    fn ok(&self) -> bool {
        self.status.is_ok()
    }

    /// Adds an entry; `key` must sort after every key added before.
    pub fn add(&mut self, key: &[u8], value: &[u8]) {
        self.add_with_stored_block(key, value, || None);
    }

    /// As [`add`](TableBuilder::add), for an entry a compaction read from a
    /// table block that `stored` can tell about (see
    /// `InternalIterator::stored_block`; it is asked only when this entry
    /// ends a block). If the block ending here is that stored block byte
    /// for byte, and the block was compressed as this builder compresses,
    /// the stored bytes are written as they are. Why: compressing again is
    /// about half of what merging a block costs, and a run of blocks that
    /// no other input interleaves comes out of a merge unchanged. The table
    /// is one LevelDB could have written: the stored bytes decompress to
    /// the same block.
    pub fn add_with_stored_block<'s>(
        &mut self,
        key: &[u8],
        value: &[u8],
        stored: impl FnOnce() -> Option<StoredBlock<'s>>,
    ) {
        assert!(!self.closed, "add() after finish() or abandon()");
        if !self.ok() {
            return;
        }
        if self.num_entries > 0 {
            debug_assert_eq!(
                self.comparator.compare(key, self.last_key()),
                Ordering::Greater,
                "keys must be added in increasing order"
            );
        }
        if self.pending_index_entry {
            debug_assert!(self.data_block.is_empty());
            self.comparator
                .find_shortest_separator(&mut self.last_key, key);
            self.add_pending_index_entry();
        }
        if let Some(f) = self.filter_block.as_mut() {
            f.add_key(key);
        }
        self.num_entries += 1;
        self.data_block.add(key, value);
        if self.data_block.current_size_estimate() >= self.block_size {
            self.flush_with(stored());
        }
    }

    /// Called before adding the first entry of the stored block `next`:
    /// ends the open data block early when that lets `next` be written
    /// from its stored bytes (`StoredBlock::worth_aligning_to`). Blocks
    /// left alone would stay out of step with the input's from the first
    /// entry another input put in between, and no block after it would
    /// match.
    pub fn align_with(&mut self, next: &StoredBlock<'_>) {
        if !self.closed
            && !self.data_block.is_empty()
            && next.worth_aligning_to(self.compressor.compression() as u8, self.block_size)
        {
            self.flush();
        }
    }

    fn add_pending_index_entry(&mut self) {
        self.handle_scratch.clear();
        self.pending_handle.encode_to(&mut self.handle_scratch);
        self.index_block.add(&self.last_key, &self.handle_scratch);
        self.pending_index_entry = false;
    }

    /// Writes the buffered data block out (LevelDB's `Flush`).
    fn flush(&mut self) {
        self.flush_with(None);
    }

    /// `flush`, writing `stored`'s bytes if they are this block's (see
    /// `add_with_stored_block`).
    fn flush_with(&mut self, stored: Option<StoredBlock<'_>>) {
        assert!(!self.closed);
        if !self.ok() || self.data_block.is_empty() {
            return;
        }
        debug_assert!(!self.pending_index_entry);
        let raw = self.data_block.finish();
        let compression = self.compressor.compression() as u8;
        let (contents, block_type) = match stored {
            Some(s) if s.reusable_for(raw, compression) => {
                #[cfg(test)]
                BLOCKS_REUSED.with(|n| n.set(n.get() + 1));
                (s.stored(), s.block_type())
            }
            _ => self.compressor.compress(raw),
        };
        let written = write_raw_block(&mut *self.file, &mut self.offset, contents, block_type);
        self.data_block.swap_last_key(&mut self.last_key);
        self.data_block.reset();
        match written {
            Ok(handle) => {
                self.pending_handle = handle;
                self.pending_index_entry = true;
                if self.flush_file_per_block {
                    if let Err(e) = self.file.flush() {
                        self.status = Err(e);
                    }
                }
            }
            Err(e) => self.status = Err(e),
        }
        if self.ok() {
            if let Some(f) = self.filter_block.as_mut() {
                f.start_block(self.offset);
            }
        }
    }

    /// Writes a finished block, compressing it as configured.
    fn write_block(&mut self, raw: &[u8]) -> Result<BlockHandle> {
        let (contents, block_type) = self.compressor.compress(raw);
        write_raw_block(&mut *self.file, &mut self.offset, contents, block_type)
    }

    /// Finishes the table: last data block, filter, metaindex, index and
    /// footer. The file is neither synced nor closed (see `file_mut`).
    pub fn finish(&mut self) -> Result<()> {
        self.flush();
        assert!(!self.closed, "finish() twice");
        self.closed = true;
        self.status.clone()?;

        let filter_handle = match self.filter_block.as_mut() {
            Some(f) => {
                let contents = f.finish();
                Some(write_raw_block(
                    &mut *self.file,
                    &mut self.offset,
                    contents,
                    NO_COMPRESSION,
                ))
            }
            None => None,
        };
        let filter_handle = match filter_handle {
            Some(Err(e)) => return self.fail(e),
            Some(Ok(h)) => Some(h),
            None => None,
        };

        let mut metaindex = BlockBuilder::new(self.block_restart_interval);
        if let (Some(policy), Some(handle)) = (&self.filter_policy, filter_handle) {
            let key = format!("filter.{}", policy.name());
            metaindex.add(key.as_bytes(), &handle.encoded());
        }
        let metaindex_handle = match self.write_block_from(&mut metaindex) {
            Ok(h) => h,
            Err(e) => return self.fail(e),
        };

        if self.pending_index_entry {
            self.comparator.find_short_successor(&mut self.last_key);
            self.add_pending_index_entry();
        }
        let mut index = std::mem::replace(&mut self.index_block, BlockBuilder::new(1));
        let index_handle = match self.write_block_from(&mut index) {
            Ok(h) => h,
            Err(e) => return self.fail(e),
        };

        let footer = Footer {
            metaindex_handle,
            index_handle,
        };
        let mut encoded = Vec::with_capacity(48);
        footer.encode_to(&mut encoded);
        if let Err(e) = self.file.append(&encoded) {
            return self.fail(e);
        }
        self.offset += encoded.len() as u64;
        Ok(())
    }

    fn write_block_from(&mut self, block: &mut BlockBuilder) -> Result<BlockHandle> {
        let raw = block.finish().to_vec();
        self.write_block(&raw)
    }

    fn fail(&mut self, e: crate::status::Error) -> Result<()> {
        self.status = Err(e.clone());
        Err(e)
    }

    /// Gives up on the table: nothing more is written. The caller deletes
    /// the file.
    pub fn abandon(&mut self) {
        assert!(!self.closed, "abandon() after finish()");
        self.closed = true;
    }

    /// The last key added (empty before the first); meaningless after
    /// `finish`, which may shorten it.
    pub fn last_key(&self) -> &[u8] {
        if self.data_block.is_empty() {
            &self.last_key
        } else {
            self.data_block.last_key()
        }
    }

    pub fn num_entries(&self) -> u64 {
        self.num_entries
    }

    /// Bytes written so far (the final file size after `finish`).
    pub fn file_size(&self) -> u64 {
        self.offset
    }

    pub fn status(&self) -> Result<()> {
        self.status.clone()
    }

    /// The file, to sync and close after `finish`.
    pub fn file_mut(&mut self) -> &mut dyn WritableFile {
        &mut *self.file
    }

    /// Gives up the file (to sync and close elsewhere) after `finish`.
    pub fn into_file(self) -> Box<dyn WritableFile> {
        self.file
    }
}

/// Appends `contents` and its trailer at `*offset`, advancing it.
fn write_raw_block(
    file: &mut dyn WritableFile,
    offset: &mut u64,
    contents: &[u8],
    block_type: u8,
) -> Result<BlockHandle> {
    let handle = BlockHandle::new(*offset, contents.len() as u64);
    file.append(contents)?;
    file.append(&block_trailer(contents, block_type))?;
    *offset += (contents.len() + crate::table::format::BLOCK_TRAILER_SIZE) as u64;
    Ok(handle)
}
