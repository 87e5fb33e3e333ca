//! Table framing (docs/formats.md §8.2–8.4): block handles, the footer, and
//! reading one block with its 5-byte trailer.
//!
//! Invariants: a [`BlockHandle`] encodes as two varint64s (at most 20
//! bytes); the footer is always exactly 48 bytes ending in the table magic
//! number. Every decoder returns LevelDB's corruption message on bad input
//! and never panics. `read_block` returns uncompressed contents; checksums
//! are verified only when asked. `read_block_contents` may instead return an
//! uncompressed block as a range of a memory-mapped file, holding the
//! file's `Arc` so the bytes stay mapped. Stateless functions: thread-safe.

// A decoder of bytes from disk: bad input is an error, never a panic.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

use std::ops::Range;
use std::sync::Arc;

use crate::env::RandomAccessFile;
use crate::status::{Error, Result};
pub use crate::table::compression::{
    CompressionType, NO_COMPRESSION, SNAPPY_COMPRESSION, ZSTD_COMPRESSION,
};
use crate::util::coding::{decode_fixed32, get_varint64, put_fixed32, put_varint64};
use crate::util::crc;
use crate::util::prefetch::prefetch_bytes;

/// `compression type byte + fixed32 masked crc`.
pub const BLOCK_TRAILER_SIZE: usize = 5;
pub const TABLE_MAGIC_NUMBER: u64 = 0xdb47_7524_8b80_fb57;
/// Largest encoding of a handle: two 10-byte varints.
pub const MAX_ENCODED_HANDLE_LENGTH: usize = 20;
/// Footer: two padded handles and the 8-byte magic number.
pub const FOOTER_ENCODED_LENGTH: usize = 2 * MAX_ENCODED_HANDLE_LENGTH + 8;

/// Where a block lives in the file: its offset and size (without trailer).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BlockHandle {
    pub offset: u64,
    pub size: u64,
}

impl BlockHandle {
    pub fn new(offset: u64, size: u64) -> BlockHandle {
        BlockHandle { offset, size }
    }

    pub fn encode_to(&self, dst: &mut Vec<u8>) {
        put_varint64(dst, self.offset);
        put_varint64(dst, self.size);
    }

    pub fn encoded(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(MAX_ENCODED_HANDLE_LENGTH);
        self.encode_to(&mut v);
        v
    }

    /// Decodes a handle from the front of `input`, advancing it.
    pub fn decode_from(input: &mut &[u8]) -> Result<BlockHandle> {
        let mut cursor = *input;
        match (get_varint64(&mut cursor), get_varint64(&mut cursor)) {
            (Some(offset), Some(size)) => {
                *input = cursor;
                Ok(BlockHandle { offset, size })
            }
            _ => Err(Error::corruption("bad block handle")),
        }
    }
}

/// The fixed-size tail of every table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Footer {
    pub metaindex_handle: BlockHandle,
    pub index_handle: BlockHandle,
}

impl Footer {
    pub fn encode_to(&self, dst: &mut Vec<u8>) {
        let start = dst.len();
        self.metaindex_handle.encode_to(dst);
        self.index_handle.encode_to(dst);
        dst.resize(start + 2 * MAX_ENCODED_HANDLE_LENGTH, 0);
        put_fixed32(dst, TABLE_MAGIC_NUMBER as u32);
        put_fixed32(dst, (TABLE_MAGIC_NUMBER >> 32) as u32);
        debug_assert_eq!(dst.len(), start + FOOTER_ENCODED_LENGTH);
    }

    /// Decodes the footer from the last 48 bytes of a table. (Table::open
    /// rejects files shorter than a footer before reading one.)
    pub fn decode(input: &[u8]) -> Result<Footer> {
        if input.len() < FOOTER_ENCODED_LENGTH {
            return Err(Error::corruption("not an sstable (footer too short)"));
        }
        let magic_at = FOOTER_ENCODED_LENGTH - 8;
        let magic_lo = u64::from(decode_fixed32(&input[magic_at..]));
        let magic_hi = u64::from(decode_fixed32(&input[magic_at + 4..]));
        if (magic_hi << 32) | magic_lo != TABLE_MAGIC_NUMBER {
            return Err(Error::corruption("not an sstable (bad magic number)"));
        }
        let mut cursor = &input[..magic_at];
        let metaindex_handle = BlockHandle::decode_from(&mut cursor)?;
        let index_handle = BlockHandle::decode_from(&mut cursor)?;
        Ok(Footer {
            metaindex_handle,
            index_handle,
        })
    }
}

/// Uncompressed block contents: owned bytes, or a range of a memory-mapped
/// file (kept alive by the `Arc`) read in place without a copy.
///
/// The slice is resolved once, at construction, and kept as a raw pointer:
/// block decoding asks for the bytes on every key it touches, and going
/// through the file's `mapped()` (a dynamic call plus a bounds check) each
/// time cost a measurable share of every scan.
pub struct BlockContents {
    ptr: *const u8,
    len: usize,
    /// What keeps `ptr..ptr+len` alive; never mutated after construction.
    owner: ContentsOwner,
}

enum ContentsOwner {
    Heap(#[allow(dead_code)] Vec<u8>),
    /// The file, and whether to release the block's pages when dropped
    /// (see [`BlockContents::release_pages_after_use`]).
    Mapped(Arc<dyn RandomAccessFile>, bool),
}

// SAFETY: the bytes behind `ptr` are immutable for the life of the value and
// owned by `owner`, which is itself `Send + Sync` (a `Vec<u8>` or an
// `Arc<dyn RandomAccessFile>`, whose trait requires `Send + Sync`).
unsafe impl Send for BlockContents {}
// SAFETY: as for `Send`: shared access only ever reads the bytes.
unsafe impl Sync for BlockContents {}

impl BlockContents {
    /// Contents held in their own heap buffer.
    pub fn owned(bytes: Vec<u8>) -> BlockContents {
        BlockContents {
            ptr: bytes.as_ptr(),
            len: bytes.len(),
            owner: ContentsOwner::Heap(bytes),
        }
    }

    /// `range` of `file`'s mapping, or `None` if the file is not mapped or
    /// the range does not fit.
    fn mapped(file: &Arc<dyn RandomAccessFile>, range: Range<usize>) -> Option<BlockContents> {
        let bytes = file.mapped()?.get(range)?;
        Some(BlockContents {
            ptr: bytes.as_ptr(),
            len: bytes.len(),
            owner: ContentsOwner::Mapped(Arc::clone(file), false),
        })
    }

    /// The contents.
    #[inline]
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: `ptr..ptr+len` was a valid slice when this value was made,
        // and stays valid while `owner` lives: a `Vec`'s heap buffer does not
        // move when the `Vec` itself is moved and is never mutated here, and
        // a `RandomAccessFile`'s mapping lives as long as the file (the
        // trait's contract for `mapped()`), which the `Arc` keeps alive.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    /// Whether the bytes are borrowed from a mapping (such blocks are not
    /// worth caching: reading them again costs no copy).
    pub fn is_mapped(&self) -> bool {
        matches!(self.owner, ContentsOwner::Mapped(..))
    }

    /// For a reader that goes through a file once (a compaction, or any
    /// read that does not fill the block cache): the pages of `file` the
    /// block at `handle` was read from need not stay resident. Released
    /// (in whole chunks the block finishes, see `release_passed_chunks`)
    /// now if the contents were copied or decompressed out of them, else
    /// when these contents are dropped (see
    /// [`RandomAccessFile::release_range`]).
    pub fn release_pages_after_use(
        &mut self,
        file: &Arc<dyn RandomAccessFile>,
        handle: &BlockHandle,
    ) {
        match &mut self.owner {
            ContentsOwner::Mapped(_, release) => *release = true,
            ContentsOwner::Heap(_) => release_passed_chunks(
                &**file,
                handle.offset,
                handle.offset + handle.size + BLOCK_TRAILER_SIZE as u64,
            ),
        }
    }
}

/// Pages are released in chunks of this size: each release is a system
/// call and a TLB shootdown on every core running the process, which per
/// 4 KiB block made compactions a fifth slower.
const RELEASE_CHUNK: u64 = 256 << 10;

/// After a sequential reader is done with bytes `start..end` of `file`:
/// releases every whole `RELEASE_CHUNK` those bytes finish, from the
/// chunk `start` is in (the reader went through its beginning before).
fn release_passed_chunks(file: &dyn RandomAccessFile, start: u64, end: u64) {
    let first = start / RELEASE_CHUNK * RELEASE_CHUNK;
    let done = end / RELEASE_CHUNK * RELEASE_CHUNK;
    if done > first {
        file.release_range(first, done - first);
    }
}

impl From<Vec<u8>> for BlockContents {
    fn from(bytes: Vec<u8>) -> BlockContents {
        BlockContents::owned(bytes)
    }
}

impl Drop for BlockContents {
    fn drop(&mut self) {
        match &mut self.owner {
            ContentsOwner::Heap(bytes) => spare_buffers::give_back(std::mem::take(bytes)),
            ContentsOwner::Mapped(file, true) => {
                if let Some(map) = file.mapped() {
                    let start = (self.ptr as usize).wrapping_sub(map.as_ptr() as usize) as u64;
                    // The trailer follows the contents in the file.
                    let end = start + (self.len + BLOCK_TRAILER_SIZE) as u64;
                    release_passed_chunks(&**file, start, end);
                }
            }
            ContentsOwner::Mapped(_, false) => {}
        }
    }
}

/// Recycled block buffers. A random read decompresses one block into a
/// fresh buffer, and the block cache frees another as it evicts; handing
/// the evicted buffer to the next decompression saves the allocation and
/// the zeroing a new `Vec` needs before `snap` may write into it (together
/// about a tenth of a cold `Get`). Buffers stay on the thread that dropped
/// them, so there is no lock; each thread keeps only a few small ones.
mod spare_buffers {
    use std::cell::RefCell;

    /// Buffers kept per thread.
    pub(super) const MAX_KEPT: usize = 8;
    /// Larger buffers (blocks of huge values) are freed, not kept.
    const MAX_KEPT_CAPACITY: usize = 64 << 10;

    thread_local! {
        static SPARE: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
    }

    /// An initialised buffer of exactly `len` bytes (contents unspecified).
    pub fn take(len: usize) -> Vec<u8> {
        let recycled = if len <= MAX_KEPT_CAPACITY {
            SPARE
                .try_with(|spare| {
                    let mut spare = spare.try_borrow_mut().ok()?;
                    let best = best_fit(&spare, len)?;
                    Some(spare.swap_remove(best))
                })
                .ok()
                .flatten()
        } else {
            None
        };
        match recycled {
            Some(mut buf) => {
                // Only bytes beyond the old length need initialising; the
                // capacity suffices, so nothing moves.
                if buf.len() >= len {
                    buf.truncate(len);
                } else {
                    buf.resize(len, 0);
                }
                buf
            }
            None => vec![0u8; len],
        }
    }

    /// The kept buffer that holds `len` bytes with the least to spare, if
    /// one does without wasting more than an eighth. Never one that must
    /// grow: a buffer reallocated a little larger leaves a hole a little too
    /// small for the next block. With growth allowed, db_bench's readrandom
    /// after a compaction peaked 6 MiB (9%) above LevelDB's; now 2 MiB.
    fn best_fit(spare: &[Vec<u8>], len: usize) -> Option<usize> {
        // A cached block is charged its length, so a buffer much larger
        // than that would let the cache hold more than its capacity says.
        let mut best = None;
        let mut best_capacity = len + len / 8 + 1;
        for (i, buf) in spare.iter().enumerate() {
            let capacity = buf.capacity();
            if capacity >= len && capacity < best_capacity {
                best = Some(i);
                best_capacity = capacity;
            }
        }
        best
    }

    /// Keeps `buf` for a later [`take`] on this thread, or frees it.
    pub fn give_back(buf: Vec<u8>) {
        if buf.capacity() == 0 || buf.capacity() > MAX_KEPT_CAPACITY {
            return;
        }
        // During thread teardown the pool may be gone: then just free.
        let _ = SPARE.try_with(|spare| {
            if let Ok(mut spare) = spare.try_borrow_mut() {
                // About the oldest goes first (`take` reorders a little): one
                // that has fitted no block since would otherwise hold its
                // slot for good.
                if spare.len() >= MAX_KEPT {
                    spare.remove(0);
                }
                spare.push(buf);
            }
        });
    }
}

/// The byte range of `handle`'s block plus trailer in a file of
/// `file_size` bytes, or `Corruption: truncated block read` if it does not
/// fit (a damaged handle can claim any size).
pub(crate) fn block_range(file_size: u64, handle: &BlockHandle) -> Result<Range<usize>> {
    let end = handle
        .offset
        .checked_add(handle.size)
        .and_then(|e| e.checked_add(BLOCK_TRAILER_SIZE as u64));
    match end {
        Some(e) if e <= file_size => {
            let start = usize::try_from(handle.offset);
            let end = usize::try_from(e);
            match (start, end) {
                (Ok(start), Ok(end)) => Ok(start..end),
                _ => Err(Error::corruption("truncated block read")),
            }
        }
        _ => Err(Error::corruption("truncated block read")),
    }
}

/// As [`read_block`], but for a memory-mapped `file` reads in place: an
/// uncompressed block becomes a range of the mapping (no copy), a
/// compressed one is decompressed straight from it.
pub fn read_block_contents(
    file: &Arc<dyn RandomAccessFile>,
    file_size: u64,
    verify_checksums: bool,
    handle: &BlockHandle,
) -> Result<BlockContents> {
    if let Some(map) = file.mapped() {
        let range = block_range(file_size, handle)?;
        if let Some(raw) = map.get(range.clone()) {
            // A block of a mapped table is usually cold: touched front to
            // back (trailer first, then the decompressor's stream) it would
            // take one miss at a time; prefetched lines arrive in parallel.
            prefetch_bytes(raw);
            let size = raw.len() - BLOCK_TRAILER_SIZE;
            if raw[size] == NO_COMPRESSION {
                verify_trailer(raw, verify_checksums)?;
                if let Some(contents) = BlockContents::mapped(file, range.start..range.start + size)
                {
                    return Ok(contents);
                }
            }
            return decode_block_contents(raw, verify_checksums).map(BlockContents::owned);
        }
    }
    read_block(&**file, file_size, verify_checksums, handle).map(BlockContents::owned)
}

/// Reads the block at `handle` from `file` (`file_size` bytes long),
/// checks its trailer and returns its (uncompressed) contents.
pub fn read_block(
    file: &dyn RandomAccessFile,
    file_size: u64,
    verify_checksums: bool,
    handle: &BlockHandle,
) -> Result<Vec<u8>> {
    // A damaged handle can claim any size: a block reaching past the end
    // of the file would be a short read, so say so without allocating it.
    let range = block_range(file_size, handle)?;
    if let Some(raw) = file.mapped().and_then(|m| m.get(range.clone())) {
        return decode_block_contents(raw, verify_checksums);
    }
    let n = range.len();
    // The raw bytes land in a per-thread buffer that is reused across reads,
    // so a read zeroes memory only when the buffer grows; the block's own
    // contents are then copied out (uncompressed) or decompressed from it.
    thread_local! {
        static READ_BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    // Oversized blocks (huge values) get their own buffer so that no thread
    // keeps a large scratch alive after one unusual read.
    const MAX_REUSED: usize = 256 << 10;
    if n > MAX_REUSED {
        return read_and_decode(file, handle, verify_checksums, &mut vec![0u8; n]);
    }
    READ_BUFFER.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => {
            if buf.len() < n {
                buf.resize(n, 0);
            }
            read_and_decode(file, handle, verify_checksums, &mut buf[..n])
        }
        // Not reachable today (nothing re-enters read_block), but a fresh
        // buffer is always correct.
        Err(_) => read_and_decode(file, handle, verify_checksums, &mut vec![0u8; n]),
    })
}

/// Fills `buf` (block contents plus trailer) from `file`, checks the
/// trailer and returns the uncompressed contents.
fn read_and_decode(
    file: &dyn RandomAccessFile,
    handle: &BlockHandle,
    verify_checksums: bool,
    buf: &mut [u8],
) -> Result<Vec<u8>> {
    let n = buf.len();
    let mut got = 0;
    while got < n {
        let read = file.read_at(handle.offset + got as u64, &mut buf[got..])?;
        if read == 0 {
            break;
        }
        got += read;
    }
    if got != n {
        return Err(Error::corruption("truncated block read"));
    }
    decode_block_contents(buf, verify_checksums)
}

/// Checks the trailer of `raw` (contents ++ type ++ masked crc) and returns
/// the uncompressed contents.
fn decode_block_contents(raw: &[u8], verify_checksums: bool) -> Result<Vec<u8>> {
    let size = raw.len() - BLOCK_TRAILER_SIZE;
    verify_trailer(raw, verify_checksums)?;
    match raw[size] {
        NO_COMPRESSION => {
            let mut out = spare_buffers::take(size);
            out.copy_from_slice(&raw[..size]);
            Ok(out)
        }
        block_type => {
            crate::table::compression::uncompress(block_type, &raw[..size], spare_buffers::take)
        }
    }
}

/// Checks the masked crc in the trailer of `raw` (contents ++ type ++ crc)
/// when `verify_checksums` is set.
fn verify_trailer(raw: &[u8], verify_checksums: bool) -> Result<()> {
    let size = raw.len() - BLOCK_TRAILER_SIZE;
    if verify_checksums {
        let expected = crc::unmask(decode_fixed32(&raw[size + 1..]));
        let actual = crc::value(&raw[..size + 1]);
        if actual != expected {
            return Err(Error::corruption("block checksum mismatch"));
        }
    }
    Ok(())
}

/// A data block as a table file stores it, with its contents: what a
/// compaction needs to write the block again without compressing it again
/// (`TableBuilder::add_with_stored_block`). Borrowed from the table's
/// mapping, its index and the open block.
#[derive(Clone, Copy, Debug)]
pub struct StoredBlock<'a> {
    /// The block's uncompressed contents.
    pub contents: &'a [u8],
    /// The bytes stored for it followed by its trailer (at least
    /// `BLOCK_TRAILER_SIZE` bytes).
    raw: &'a [u8],
    /// At or after every key of the block: its index entry's key (the
    /// separator LevelDB's builder chose).
    pub upper_bound: &'a [u8],
    /// Whether another source of the iterator that answered (another child
    /// of a merge) may have a key at or before `upper_bound`, so that the
    /// block's entries need not come out of the merge in one run. A table
    /// iterator answers `false`; a merging iterator sets it.
    pub interleaved: bool,
}

impl<'a> StoredBlock<'a> {
    /// The stored block at `range` of a mapped table file (`None` if the
    /// range is not inside it), whose contents are `contents` and whose
    /// index key is `upper_bound`.
    pub fn in_mapping(
        map: &'a [u8],
        range: Range<usize>,
        contents: &'a [u8],
        upper_bound: &'a [u8],
    ) -> Option<StoredBlock<'a>> {
        let raw = map.get(range)?;
        (raw.len() >= BLOCK_TRAILER_SIZE).then_some(StoredBlock {
            contents,
            raw,
            upper_bound,
            interleaved: false,
        })
    }

    /// The bytes stored for the block, without the trailer.
    pub fn stored(&self) -> &'a [u8] {
        &self.raw[..self.raw.len() - BLOCK_TRAILER_SIZE]
    }

    /// The trailer's type byte.
    pub fn block_type(&self) -> u8 {
        self.raw[self.raw.len() - BLOCK_TRAILER_SIZE]
    }

    /// Whether a builder compressing with `block_type` may write these
    /// stored bytes for the block `raw`: it is this block (same contents),
    /// stored snappy-compressed (by whichever writer) under LevelDB's rule
    /// (at least an eighth saved), and the stored bytes are intact (their
    /// checksum holds, so they decompress to what was read, even if the
    /// contents came from the block cache). Zstd blocks are compressed
    /// again: their frames depend on the configured level.
    pub fn reusable_for(&self, raw: &[u8], block_type: u8) -> bool {
        self.may_be_reused(block_type)
            && self.stored().len() < raw.len() - raw.len() / 8
            && self.contents == raw
            && verify_trailer(self.raw, true).is_ok()
    }

    /// Whether a builder with these options, meeting this block's first
    /// entry with a block of its own open, should end that block early so
    /// that this one may be written from its stored bytes: nothing else
    /// comes between its entries, it is stored as the builder would store
    /// it, and it is as large as the builder's own blocks (at least
    /// `block_size`, less than twice that). A block cut to another size was
    /// written with other options; following its boundaries would carry
    /// that size over.
    pub fn worth_aligning_to(&self, block_type: u8, block_size: usize) -> bool {
        !self.interleaved
            && self.may_be_reused(block_type)
            && (block_size..block_size.saturating_mul(2)).contains(&self.contents.len())
    }

    fn may_be_reused(&self, block_type: u8) -> bool {
        self.block_type() == block_type && block_type == SNAPPY_COMPRESSION
    }
}

/// The trailer stored after a block: type byte and masked crc of
/// contents ++ type.
pub fn block_trailer(contents: &[u8], block_type: u8) -> [u8; BLOCK_TRAILER_SIZE] {
    let crc = crc::extend(crc::value(contents), &[block_type]);
    let mut t = [0u8; BLOCK_TRAILER_SIZE];
    t[0] = block_type;
    t[1..].copy_from_slice(&crc::mask(crc).to_le_bytes());
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::tests::{MappedSource, Source};

    #[test]
    fn spare_buffers_fit_without_growing_and_stay_few() {
        // A thread of its own, so the pool starts empty.
        std::thread::spawn(|| {
            let give = |capacity: usize| {
                let buf = Vec::<u8>::with_capacity(capacity);
                let address = buf.as_ptr() as usize;
                spare_buffers::give_back(buf);
                address
            };
            let take = |len: usize| {
                let buf = spare_buffers::take(len);
                assert_eq!(buf.len(), len);
                buf.as_ptr() as usize
            };
            let (b4000, b4400, b4200) = (give(4000), give(4400), give(4200));
            // The tightest buffer that holds the block.
            assert_eq!(take(4100), b4200);
            // None holds 4500 bytes: a fresh buffer, and 4400 is not grown
            // (it is still there afterwards).
            let fresh = take(4500);
            assert!(fresh != b4400 && fresh != b4000);
            // Both hold 3000 bytes, but waste over an eighth.
            let fresh = take(3000);
            assert!(fresh != b4400 && fresh != b4000);
            assert_eq!(take(4400), b4400);
            assert_eq!(take(3700), b4000);
            // The pool is bounded, and the oldest buffers go first.
            let given: Vec<usize> = (2001..2101).map(give).collect();
            let kept = &given[given.len() - spare_buffers::MAX_KEPT..];
            for &address in kept {
                assert_eq!(take(2000), address);
            }
            // Then a fresh one (the freed ones' addresses may come back).
            assert_eq!(spare_buffers::take(2000).capacity(), 2000);
        })
        .join()
        .unwrap();
    }

    #[test]
    fn handle_round_trip_and_errors() {
        for (o, s) in [(0, 0), (1, 2), (u64::MAX, u64::MAX), (1 << 40, 300)] {
            let h = BlockHandle::new(o, s);
            let enc = h.encoded();
            assert!(enc.len() <= MAX_ENCODED_HANDLE_LENGTH);
            let mut cur = &enc[..];
            assert_eq!(BlockHandle::decode_from(&mut cur).unwrap(), h);
            assert!(cur.is_empty());
            let mut short = &enc[..enc.len() - 1];
            assert_eq!(
                BlockHandle::decode_from(&mut short)
                    .unwrap_err()
                    .to_string(),
                "Corruption: bad block handle"
            );
        }
    }

    #[test]
    fn footer_round_trip_and_errors() {
        let f = Footer {
            metaindex_handle: BlockHandle::new(1000, 50),
            index_handle: BlockHandle::new(1055, 200),
        };
        let mut enc = Vec::new();
        f.encode_to(&mut enc);
        assert_eq!(enc.len(), 48);
        assert_eq!(
            &enc[40..],
            &[0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb]
        );
        assert_eq!(Footer::decode(&enc).unwrap(), f);
        assert_eq!(
            Footer::decode(&enc[1..]).unwrap_err().to_string(),
            "Corruption: not an sstable (footer too short)"
        );
        let mut bad = enc.clone();
        bad[47] ^= 1;
        assert_eq!(
            Footer::decode(&bad).unwrap_err().to_string(),
            "Corruption: not an sstable (bad magic number)"
        );
        let mut bad = enc.clone();
        for b in &mut bad[..40] {
            *b = 0xff;
        }
        assert_eq!(
            Footer::decode(&bad).unwrap_err().to_string(),
            "Corruption: bad block handle"
        );
    }

    /// `raw` stored as `compression` makes it (asserting it compressed).
    fn compressed(raw: &[u8], compression: CompressionType) -> (Vec<u8>, u8) {
        let mut compressor = crate::table::compression::BlockCompressor::new(compression, 1);
        let (stored, t) = compressor.compress(raw);
        assert_eq!(t, compression as u8);
        (stored.to_vec(), t)
    }

    fn framed(contents: &[u8], t: u8) -> Vec<u8> {
        let mut v = contents.to_vec();
        v.extend_from_slice(&block_trailer(contents, t));
        v
    }

    #[test]
    fn read_block_checks() {
        let raw = b"hello hello hello hello hello hello hello hello".to_vec();
        for compression in [CompressionType::Snappy, CompressionType::Zstd] {
            let (stored, t) = compressed(&raw, compression);
            let file = Source(framed(&stored, t));
            let h = BlockHandle::new(0, stored.len() as u64);
            assert_eq!(
                read_block(&file, file.0.len() as u64, true, &h).unwrap(),
                raw
            );
        }

        let plain = Source(framed(b"abc", NO_COMPRESSION));
        assert_eq!(
            read_block(&plain, 8, true, &BlockHandle::new(0, 3)).unwrap(),
            b"abc"
        );
        let err = |f: &Source, verify, h| {
            read_block(f, f.0.len() as u64, verify, &h)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err(&plain, true, BlockHandle::new(0, 4)),
            "Corruption: truncated block read"
        );
        assert_eq!(
            err(&plain, true, BlockHandle::new(0, u64::MAX)),
            "Corruption: truncated block read"
        );
        let mut flipped = plain.0.clone();
        flipped[1] ^= 1;
        let flipped = Source(flipped);
        assert_eq!(
            err(&flipped, true, BlockHandle::new(0, 3)),
            "Corruption: block checksum mismatch"
        );
        assert_eq!(
            read_block(&flipped, 8, false, &BlockHandle::new(0, 3)).unwrap(),
            b"acc"
        );
        let bad_type = Source(framed(b"abc", 7));
        assert_eq!(
            err(&bad_type, true, BlockHandle::new(0, 3)),
            "Corruption: bad block type"
        );
        let bad_snappy = Source(framed(
            &[0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2],
            SNAPPY_COMPRESSION,
        ));
        assert_eq!(
            err(&bad_snappy, true, BlockHandle::new(0, 7)),
            "Corruption: corrupted compressed block contents"
        );
        let bad_zstd = Source(framed(b"zstd?", ZSTD_COMPRESSION));
        assert_eq!(
            err(&bad_zstd, true, BlockHandle::new(0, 5)),
            "Corruption: corrupted zstd compressed block length"
        );
    }

    #[test]
    fn mapped_reads_match_copied_reads() {
        let raw = b"hello hello hello hello hello hello hello hello".to_vec();
        let mut bytes = framed(b"xyz", NO_COMPRESSION);
        let plain_handle = BlockHandle::new(0, 3);
        let mut compressed_handles = Vec::new();
        for compression in [CompressionType::Snappy, CompressionType::Zstd] {
            let (stored, t) = compressed(&raw, compression);
            compressed_handles.push(BlockHandle::new(bytes.len() as u64, stored.len() as u64));
            bytes.extend_from_slice(&framed(&stored, t));
        }
        let size = bytes.len() as u64;
        let file: Arc<dyn RandomAccessFile> = Arc::new(MappedSource(bytes.clone()));

        // Uncompressed: borrowed in place; compressed: decompressed, owned.
        let plain = read_block_contents(&file, size, true, &plain_handle).unwrap();
        assert!(plain.is_mapped());
        assert_eq!(plain.bytes(), b"xyz");
        for handle in &compressed_handles {
            let contents = read_block_contents(&file, size, true, handle).unwrap();
            assert!(!contents.is_mapped());
            assert_eq!(contents.bytes(), &raw[..]);
            assert_eq!(read_block(&*file, size, true, handle).unwrap(), raw);
        }

        // Errors are the same as for copied reads.
        let err = |file: &Arc<dyn RandomAccessFile>, h: BlockHandle| {
            read_block_contents(file, size, true, &h)
                .err()
                .unwrap()
                .to_string()
        };
        assert_eq!(
            err(&file, BlockHandle::new(size, 1)),
            "Corruption: truncated block read"
        );
        bytes[1] ^= 1;
        let flipped: Arc<dyn RandomAccessFile> = Arc::new(MappedSource(bytes));
        assert_eq!(
            err(&flipped, plain_handle),
            "Corruption: block checksum mismatch"
        );
        let unchecked = read_block_contents(&flipped, size, false, &plain_handle).unwrap();
        assert_eq!(unchecked.bytes(), b"xxz");

        // A file without a mapping reads through read_at.
        let copied: Arc<dyn RandomAccessFile> = Arc::new(Source(framed(b"abc", NO_COMPRESSION)));
        let c = read_block_contents(&copied, 8, true, &BlockHandle::new(0, 3)).unwrap();
        assert!(!c.is_mapped());
        assert_eq!(c.bytes(), b"abc");
    }

    /// Records what a sequential reader asks to release.
    struct Releases(std::sync::Mutex<Vec<(u64, u64)>>);
    impl RandomAccessFile for Releases {
        fn read_at(&self, _: u64, _: &mut [u8]) -> Result<usize> {
            Ok(0)
        }
        fn release_range(&self, offset: u64, len: u64) {
            self.0.lock().unwrap().push((offset, len));
        }
    }

    #[test]
    fn a_sequential_reader_releases_whole_chunks_it_has_passed() {
        let file = Releases(std::sync::Mutex::new(Vec::new()));
        // Blocks of assorted sizes, some much larger than a chunk.
        let sizes = [
            4000u64, 5, 4100, 300_000, 70_000, 1, 1_000_000, 4096, 262_144,
        ];
        let mut at = 0;
        for (i, size) in sizes.iter().cycle().take(60).enumerate() {
            let end = at + size + i as u64 % 3;
            release_passed_chunks(&file, at, end);
            // Nothing past what was read is ever released.
            let released = file.0.lock().unwrap();
            if let Some(&(offset, len)) = released.last() {
                assert!(offset + len <= end);
                assert_eq!(offset % RELEASE_CHUNK, 0);
                assert_eq!(len % RELEASE_CHUNK, 0);
            }
            at = end;
        }
        // The releases tile the file from 0 up to the last whole chunk
        // read, each chunk once.
        let released = file.0.lock().unwrap();
        let mut next = 0;
        for &(offset, len) in released.iter() {
            assert_eq!(offset, next);
            next = offset + len;
        }
        assert_eq!(next, at / RELEASE_CHUNK * RELEASE_CHUNK);
    }
}
