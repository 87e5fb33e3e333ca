//! Reading a table block (docs/formats.md §8.1): decoding its entries and
//! iterating them in both directions.
//!
//! Invariants: a [`Block`] is immutable after construction and shared
//! (`Arc`) between the block cache and any number of iterators, so it is
//! `Send + Sync`. Malformed contents never panic: a block whose restart
//! array does not fit yields an iterator failing with `Corruption: bad
//! block contents`; an entry that does not decode (lengths running past
//! the restart array, a shared prefix longer than the previous key, a
//! restart entry sharing bytes) stops iteration with `Corruption: bad
//! entry in block`.
//!
//! Speed: iteration allocates nothing per entry. A key stored whole in the
//! block (every restart entry, hence every key of an index block) is
//! returned straight from the block's bytes; only prefix-compressed keys
//! are assembled in one reused buffer. Values are always slices of the
//! block. All offsets are checked with safe slicing. Stepping back
//! decodes a restart region once, not once per step (see `BackTrail`).

// A decoder of bytes from disk: bad input is an error, never a panic.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

use std::cmp::Ordering;
use std::sync::Arc;

use crate::iterator::InternalIterator;
use crate::status::{Error, Result};
use crate::table::format::BlockContents;
use crate::util::coding::{decode_fixed32, get_varint32};
use crate::util::comparator::Comparator;

/// An immutable block: entries followed by the restart array.
pub struct Block {
    /// Owned bytes, or a range of a memory-mapped table file.
    contents: BlockContents,
    /// Offset of the restart array (the end of the entries).
    restart_offset: usize,
    num_restarts: usize,
    /// The restart array does not fit in the block.
    malformed: bool,
}

impl Block {
    /// Takes ownership of decoded block contents. Never fails: a malformed
    /// block reports its corruption when iterated.
    pub fn new(data: Vec<u8>) -> Block {
        Block::from_contents(BlockContents::owned(data))
    }

    /// As [`Block::new`], for owned or memory-mapped contents.
    pub fn from_contents(contents: BlockContents) -> Block {
        let mut block = Block {
            contents,
            restart_offset: 0,
            num_restarts: 0,
            malformed: true,
        };
        let size = block.contents().len();
        if size >= 4 {
            let num_restarts = decode_fixed32(&block.contents()[size - 4..]) as usize;
            let max_restarts_allowed = (size - 4) / 4;
            if num_restarts <= max_restarts_allowed {
                block.num_restarts = num_restarts;
                block.restart_offset = size - (1 + num_restarts) * 4;
                block.malformed = false;
            }
        }
        block
    }

    /// The size of the contents in bytes (what the block cache charges).
    pub fn size(&self) -> usize {
        self.contents().len()
    }

    pub fn contents(&self) -> &[u8] {
        self.contents.bytes()
    }

    /// Whether the bytes are borrowed from a memory-mapped file.
    pub fn is_mapped(&self) -> bool {
        self.contents.is_mapped()
    }

    #[inline]
    fn restart_point(&self, index: usize) -> usize {
        let at = self.restart_offset + index * 4;
        decode_fixed32(&self.contents()[at..at + 4]) as usize
    }

    /// How many restart points the block has (0 if malformed).
    pub fn num_restarts(&self) -> usize {
        self.num_restarts
    }

    /// The restart point after `index`, or `usize::MAX` past the last one.
    #[inline]
    fn restart_point_after(&self, index: usize) -> usize {
        if index + 1 < self.num_restarts {
            self.restart_point(index + 1)
        } else {
            usize::MAX
        }
    }

    /// An iterator over this block ordered by `cmp`.
    pub fn iter(self: &Arc<Self>, cmp: Arc<dyn Comparator>) -> BlockIter {
        BlockIter {
            cursor: BlockCursor::new(self),
            block: Arc::clone(self),
            cmp,
        }
    }
}

/// The decoded header of one entry.
struct EntryHeader {
    shared: usize,
    non_shared: usize,
    value_len: usize,
    /// Offset of the key delta (just past the three varints).
    delta_offset: usize,
}

/// Decodes the entry header at `p`, checking the entry ends by `limit`.
#[inline(always)]
fn decode_entry(data: &[u8], p: usize, limit: usize) -> Option<EntryHeader> {
    let bytes = data.get(p..limit)?;
    if bytes.len() < 3 {
        return None;
    }
    let (shared, non_shared, value_len, header_len);
    if (bytes[0] | bytes[1] | bytes[2]) < 128 {
        // Fast path: all three lengths fit in one byte each.
        shared = bytes[0] as usize;
        non_shared = bytes[1] as usize;
        value_len = bytes[2] as usize;
        header_len = 3;
    } else {
        let mut cursor = bytes;
        shared = get_varint32(&mut cursor)? as usize;
        non_shared = get_varint32(&mut cursor)? as usize;
        value_len = get_varint32(&mut cursor)? as usize;
        header_len = bytes.len() - cursor.len();
    }
    if bytes.len() - header_len < non_shared + value_len {
        return None;
    }
    Some(EntryHeader {
        shared,
        non_shared,
        value_len,
        delta_offset: p + header_len,
    })
}

/// The position state of an iterator over one block, kept apart from the
/// block itself so a lookup can walk a borrowed block without taking a
/// reference count ([`BlockCursor`] methods take the block as an argument;
/// callers must pass the same block every time).
pub struct BlockCursor {
    /// Offset of the current entry; `restart_offset` when not valid.
    current: usize,
    /// The restart point at or before `current`.
    restart_index: usize,
    /// `block.restart_point_after(restart_index)`, kept so that stepping
    /// forward checks for a new restart region with one comparison.
    next_restart_point: usize,
    /// The current key lives in the block at `key_offset..+key_len`
    /// (`key_in_block`), or else in `key_buf`.
    key_in_block: bool,
    key_offset: usize,
    key_len: usize,
    key_buf: Vec<u8>,
    value_offset: usize,
    value_len: usize,
    status: Option<Error>,
    trail: BackTrail,
}

/// The entries a backward step decoded on its way through a restart
/// region, so that the following steps back in that region pop one
/// instead of decoding the region from its restart point again.
/// (LevelDB rescans at every step: with 16 entries a region, a reverse
/// scan decodes each entry about eight times.)
///
/// Invariant: when `before` is `Some(x)`, `entries` holds, in block order,
/// every entry of x's restart region that comes before the entry at offset
/// x. That depends only on the block and x, so the trail stays right
/// whatever the cursor does meanwhile; it is used only when the cursor is
/// back at x.
#[derive(Default)]
struct BackTrail {
    before: Option<usize>,
    entries: Vec<TrailEntry>,
    /// The keys of the entries that were not stored whole in the block.
    keys: Vec<u8>,
}

/// One entry of a [`BackTrail`]: where it starts, the restart region the
/// scan had reached there, its key (in the block when `key_in_block`, else
/// at `key_offset` in the trail's `keys`), and its value.
#[derive(Clone, Copy)]
struct TrailEntry {
    offset: usize,
    restart_index: usize,
    next_restart_point: usize,
    key_in_block: bool,
    key_offset: usize,
    key_len: usize,
    value_offset: usize,
    value_len: usize,
}

impl BackTrail {
    fn clear(&mut self) {
        self.before = None;
        self.entries.clear();
        self.keys.clear();
    }
}

impl BlockCursor {
    pub fn new(block: &Block) -> BlockCursor {
        let mut cursor = BlockCursor {
            current: block.restart_offset,
            restart_index: block.num_restarts,
            next_restart_point: usize::MAX,
            key_in_block: true,
            key_offset: 0,
            key_len: 0,
            key_buf: Vec::new(),
            value_offset: 0,
            value_len: 0,
            status: None,
            trail: BackTrail::default(),
        };
        if block.malformed {
            cursor.status = Some(Error::corruption("bad block contents"));
        }
        cursor
    }

    /// A cursor that is not valid and reports `err`.
    pub fn with_error(err: Error) -> BlockCursor {
        BlockCursor {
            current: 0,
            restart_index: 0,
            next_restart_point: usize::MAX,
            key_in_block: true,
            key_offset: 0,
            key_len: 0,
            key_buf: Vec::new(),
            value_offset: 0,
            value_len: 0,
            status: Some(err),
            trail: BackTrail::default(),
        }
    }

    /// Whether iteration is possible at all (not malformed, not failed
    /// earlier, at least one restart point).
    #[inline]
    fn usable(&self, block: &Block) -> bool {
        self.status.is_none() && block.num_restarts > 0
    }

    #[inline]
    pub fn valid(&self, block: &Block) -> bool {
        self.current < block.restart_offset
    }

    #[inline]
    pub fn key<'a>(&'a self, block: &'a Block) -> &'a [u8] {
        debug_assert!(self.valid(block));
        if self.key_in_block {
            &block.contents()[self.key_offset..self.key_offset + self.key_len]
        } else {
            &self.key_buf
        }
    }

    /// The current key as a slice of the block itself, when it is stored
    /// whole there (always, at a restart point); `None` when the cursor
    /// rebuilt it in its own buffer.
    pub fn key_stored_whole<'a>(&self, block: &'a Block) -> Option<&'a [u8]> {
        debug_assert!(self.valid(block));
        self.key_in_block
            .then(|| &block.contents()[self.key_offset..self.key_offset + self.key_len])
    }

    #[inline]
    pub fn value<'a>(&self, block: &'a Block) -> &'a [u8] {
        debug_assert!(self.valid(block));
        &block.contents()[self.value_offset..self.value_offset + self.value_len]
    }

    pub fn status(&self) -> Result<()> {
        match &self.status {
            None => Ok(()),
            Some(e) => Err(e.clone()),
        }
    }

    #[inline]
    fn next_entry_offset(&self) -> usize {
        self.value_offset + self.value_len
    }

    fn mark_invalid(&mut self, block: &Block) {
        self.current = block.restart_offset;
        self.restart_index = block.num_restarts;
        self.next_restart_point = usize::MAX;
    }

    fn corruption(&mut self, block: &Block) {
        self.mark_invalid(block);
        self.status = Some(Error::corruption("bad entry in block"));
        self.key_in_block = true;
        self.key_len = 0;
        self.value_len = 0;
    }

    fn seek_to_restart_point(&mut self, block: &Block, index: usize) {
        self.key_in_block = true;
        self.key_len = 0;
        self.restart_index = index;
        self.next_restart_point = block.restart_point_after(index);
        // `current` is fixed by parse_next_key; make it start here.
        self.value_offset = block.restart_point(index);
        self.value_len = 0;
    }

    /// Decodes the entry after the current one. Returns false at the end of
    /// the block or on corruption (then the status is set).
    #[inline]
    fn parse_next_key(&mut self, block: &Block) -> bool {
        self.current = self.next_entry_offset();
        let limit = block.restart_offset;
        if self.current >= limit {
            self.mark_invalid(block);
            return false;
        }
        let Some(h) = decode_entry(block.contents(), self.current, limit) else {
            self.corruption(block);
            return false;
        };
        if h.shared == 0 {
            self.key_in_block = true;
            self.key_offset = h.delta_offset;
            self.key_len = h.non_shared;
        } else {
            let prev = self.key_in_block.then_some((self.key_offset, self.key_len));
            if !self.rebuild_key(block.contents(), prev, &h) {
                self.corruption(block);
                return false;
            }
            self.key_in_block = false;
        }
        self.value_offset = h.delta_offset + h.non_shared;
        self.value_len = h.value_len;
        self.advance_restart_index(block);
        true
    }

    /// Makes `key_buf` the key of entry `h` (which shares a prefix with the
    /// previous key): `prev` is where the previous key lies whole in `data`
    /// (offset, length), or `None` when it is `key_buf` itself. False, and
    /// nothing built, if `h` shares more bytes than the previous key has.
    #[inline(always)]
    fn rebuild_key(&mut self, data: &[u8], prev: Option<(usize, usize)>, h: &EntryHeader) -> bool {
        match prev {
            Some((start, len)) => {
                if h.shared > len {
                    return false;
                }
                self.key_buf.clear();
                // One allocation for typical keys instead of a chain of
                // doublings from empty (a fresh cursor per `Get`).
                self.key_buf.reserve(64.max(h.shared + h.non_shared));
                self.key_buf
                    .extend_from_slice(&data[start..start + h.shared]);
            }
            None => {
                if h.shared > self.key_buf.len() {
                    return false;
                }
                self.key_buf.truncate(h.shared);
            }
        }
        self.key_buf
            .extend_from_slice(&data[h.delta_offset..h.delta_offset + h.non_shared]);
        true
    }

    /// Moves `restart_index` up to the restart region of `current`.
    #[inline(always)]
    fn advance_restart_index(&mut self, block: &Block) {
        while self.next_restart_point < self.current {
            self.restart_index += 1;
            self.next_restart_point = block.restart_point_after(self.restart_index);
        }
    }

    pub fn seek_to_first(&mut self, block: &Block) {
        if !self.usable(block) {
            return;
        }
        self.seek_to_restart_point(block, 0);
        self.parse_next_key(block);
    }

    pub fn seek_to_last(&mut self, block: &Block) {
        if !self.usable(block) {
            return;
        }
        self.seek_to_restart_point(block, block.num_restarts - 1);
        // A reverse scan starts here: keep the region's entries for it.
        self.scan_to_entry_before(block, block.restart_offset);
    }

    pub fn next(&mut self, block: &Block) {
        debug_assert!(self.valid(block));
        self.parse_next_key(block);
    }

    pub fn prev(&mut self, block: &Block) {
        debug_assert!(self.valid(block));
        // Back up to the restart point before the current entry, then scan
        // forward to the entry just before it.
        let original = self.current;
        if self.trail.before == Some(original) {
            if let Some(entry) = self.trail.entries.pop() {
                self.step_back_to(entry);
                return;
            }
        }
        while block.restart_point(self.restart_index) >= original {
            if self.restart_index == 0 {
                // No entries before the first.
                self.mark_invalid(block);
                return;
            }
            self.restart_index -= 1;
        }
        let restart_index = self.restart_index;
        self.seek_to_restart_point(block, restart_index);
        self.scan_to_entry_before(block, original);
    }

    /// From a restart point (`seek_to_restart_point`), decodes entries up
    /// to the last one that starts before `end` and stays there, keeping
    /// the ones passed on the way in the trail.
    fn scan_to_entry_before(&mut self, block: &Block, end: usize) {
        self.trail.clear();
        if !self.parse_next_key(block) {
            return;
        }
        while self.next_entry_offset() < end {
            self.trail.entries.push(TrailEntry {
                offset: self.current,
                restart_index: self.restart_index,
                next_restart_point: self.next_restart_point,
                key_in_block: self.key_in_block,
                key_offset: if self.key_in_block {
                    self.key_offset
                } else {
                    self.trail.keys.len()
                },
                key_len: if self.key_in_block {
                    self.key_len
                } else {
                    self.key_buf.len()
                },
                value_offset: self.value_offset,
                value_len: self.value_len,
            });
            if !self.key_in_block {
                self.trail.keys.extend_from_slice(&self.key_buf);
            }
            if !self.parse_next_key(block) {
                self.trail.clear();
                return;
            }
        }
        self.trail.before = Some(self.current);
    }

    /// Moves to `entry`, the entry just before the current one, in the
    /// state the scan that passed it had there.
    fn step_back_to(&mut self, entry: TrailEntry) {
        self.current = entry.offset;
        self.restart_index = entry.restart_index;
        self.next_restart_point = entry.next_restart_point;
        self.key_in_block = entry.key_in_block;
        if entry.key_in_block {
            self.key_offset = entry.key_offset;
            self.key_len = entry.key_len;
        } else {
            self.key_buf.clear();
            self.key_buf.extend_from_slice(
                &self.trail.keys[entry.key_offset..entry.key_offset + entry.key_len],
            );
            self.trail.keys.truncate(entry.key_offset);
        }
        self.value_offset = entry.value_offset;
        self.value_len = entry.value_len;
        self.trail.before = Some(entry.offset);
    }

    /// Positions at the first entry with key `>= target`.
    pub fn seek<C: Comparator + ?Sized>(&mut self, block: &Block, cmp: &C, target: &[u8]) {
        if !self.usable(block) {
            return;
        }
        // Binary search for the last restart point whose key is < target.
        // When already positioned, the current key bounds the search.
        let mut left = 0;
        let mut right = block.num_restarts - 1;
        let mut current_key_compare = Ordering::Equal;
        if self.valid(block) {
            current_key_compare = cmp.compare(self.key(block), target);
            match current_key_compare {
                Ordering::Less => left = self.restart_index,
                Ordering::Greater => right = self.restart_index,
                Ordering::Equal => return,
            }
        }
        self.search_restarts(block, cmp, target, left, right, current_key_compare);
    }

    /// Positions a cursor that is not valid at the first entry with key
    /// `>= target`, given that the answer lies in restart regions
    /// `left..=right`: every entry before restart point `left` is below
    /// `target`, and every entry from restart point `right + 1` on is not.
    /// (Bounds past the last restart point are clamped.)
    pub fn seek_within<C: Comparator + ?Sized>(
        &mut self,
        block: &Block,
        cmp: &C,
        target: &[u8],
        left: usize,
        right: usize,
    ) {
        if !self.usable(block) {
            return;
        }
        debug_assert!(!self.valid(block));
        let right = right.min(block.num_restarts - 1);
        let left = left.min(right);
        self.search_restarts(block, cmp, target, left, right, Ordering::Equal);
    }

    /// `seek`, or, when `bounds` narrow the answer to restart points
    /// `left..=right` (as a table's index search does), `seek_within`
    /// them, whether or not the cursor is positioned.
    pub fn seek_narrowed<C: Comparator + ?Sized>(
        &mut self,
        block: &Block,
        cmp: &C,
        target: &[u8],
        bounds: Option<(usize, usize)>,
    ) {
        match bounds {
            Some((left, right)) => {
                self.mark_invalid(block);
                self.seek_within(block, cmp, target, left, right);
            }
            None => self.seek(block, cmp, target),
        }
    }

    /// `seek`'s binary search over restart points `left..=right` and the
    /// scan after it. `current_key_compare` is the current entry's key
    /// against `target` (`Equal` when the cursor is not positioned).
    fn search_restarts<C: Comparator + ?Sized>(
        &mut self,
        block: &Block,
        cmp: &C,
        target: &[u8],
        mut left: usize,
        mut right: usize,
        current_key_compare: Ordering,
    ) {
        while left < right {
            let mid = (left + right).div_ceil(2);
            let region_offset = block.restart_point(mid);
            let Some(h) = decode_entry(block.contents(), region_offset, block.restart_offset)
            else {
                self.corruption(block);
                return;
            };
            if h.shared != 0 {
                self.corruption(block);
                return;
            }
            let mid_key = &block.contents()[h.delta_offset..h.delta_offset + h.non_shared];
            if cmp.compare(mid_key, target) == Ordering::Less {
                // Every key before `mid` is smaller than target too.
                left = mid;
            } else {
                right = mid - 1;
            }
        }
        // Scanning on from the current entry is enough when it is still in
        // the chosen restart region and before the target.
        if left == self.restart_index && current_key_compare == Ordering::Less {
            loop {
                if !self.parse_next_key(block) {
                    return;
                }
                if cmp.compare(self.key(block), target) != Ordering::Less {
                    return;
                }
            }
        }
        self.scan_region(block, cmp, target, left);
    }

    /// Positions at the first entry with key `>= target` at or after
    /// restart point `region`, scanning entry by entry. The cursor state is
    /// written once, at the entry found: this loop is most of a point
    /// lookup's block search (a restart region holds 16 entries by
    /// default), and `parse_next_key` keeps the cursor fully positioned at
    /// every step. A key stored whole (at a restart point: every entry of
    /// an index block) is compared where it lies; the others are rebuilt in
    /// `key_buf`.
    fn scan_region<C: Comparator + ?Sized>(
        &mut self,
        block: &Block,
        cmp: &C,
        target: &[u8],
        region: usize,
    ) {
        let data = block.contents();
        let limit = block.restart_offset;
        let mut offset = block.restart_point(region);
        // The previous key when it lies whole in the block, else it is
        // `key_buf`. The first entry of a region shares nothing.
        let mut whole: Option<(usize, usize)> = Some((offset, 0));
        loop {
            if offset >= limit {
                self.mark_invalid(block);
                return;
            }
            let Some(h) = decode_entry(data, offset, limit) else {
                self.corruption(block);
                return;
            };
            let value_offset = h.delta_offset + h.non_shared;
            let key: &[u8] = if h.shared == 0 {
                whole = Some((h.delta_offset, h.non_shared));
                &data[h.delta_offset..value_offset]
            } else {
                if !self.rebuild_key(data, whole.take(), &h) {
                    self.corruption(block);
                    return;
                }
                &self.key_buf
            };
            if cmp.compare(key, target) != Ordering::Less {
                self.current = offset;
                match whole {
                    Some((start, len)) => {
                        self.key_in_block = true;
                        self.key_offset = start;
                        self.key_len = len;
                    }
                    None => self.key_in_block = false,
                }
                self.value_offset = value_offset;
                self.value_len = h.value_len;
                self.restart_index = region;
                self.next_restart_point = block.restart_point_after(region);
                self.advance_restart_index(block);
                return;
            }
            offset = value_offset + h.value_len;
        }
    }

    /// Hands over the cursor's key buffer, for reuse by a later cursor
    /// ([`BlockCursor::with_key_buf`]): a point lookup makes a fresh cursor
    /// and would otherwise allocate one per lookup.
    pub fn into_key_buf(self) -> Vec<u8> {
        self.key_buf
    }

    /// A new cursor ([`BlockCursor::new`]) that builds keys in `key_buf`.
    pub fn with_key_buf(block: &Block, mut key_buf: Vec<u8>) -> BlockCursor {
        key_buf.clear();
        BlockCursor {
            key_buf,
            ..BlockCursor::new(block)
        }
    }
}

/// An owning iterator over a shared block.
pub struct BlockIter {
    block: Arc<Block>,
    cmp: Arc<dyn Comparator>,
    cursor: BlockCursor,
}

impl BlockIter {
    /// An iterator over nothing that reports `err`.
    pub fn with_error(err: Error, cmp: Arc<dyn Comparator>) -> BlockIter {
        BlockIter {
            block: Arc::new(Block::new(vec![0, 0, 0, 0])),
            cmp,
            cursor: BlockCursor::with_error(err),
        }
    }

    pub fn block(&self) -> &Arc<Block> {
        &self.block
    }

    /// `seek(target)`, narrowed by `bounds` (see
    /// [`BlockCursor::seek_narrowed`]).
    pub fn seek_narrowed(&mut self, target: &[u8], bounds: Option<(usize, usize)>) {
        self.cursor
            .seek_narrowed(&self.block, &*self.cmp, target, bounds);
    }

    /// The contents of the block iterated.
    pub fn contents(&self) -> &[u8] {
        self.block.contents()
    }

    /// Whether the iterator is at the block's first entry.
    pub fn at_first_entry(&self) -> bool {
        self.cursor.valid(&self.block) && self.cursor.current == 0
    }
}

impl InternalIterator for BlockIter {
    #[inline]
    fn valid(&self) -> bool {
        self.cursor.valid(&self.block)
    }
    fn seek_to_first(&mut self) {
        self.cursor.seek_to_first(&self.block);
    }
    fn seek_to_last(&mut self) {
        self.cursor.seek_to_last(&self.block);
    }
    fn seek(&mut self, target: &[u8]) {
        self.cursor.seek(&self.block, &*self.cmp, target);
    }
    #[inline]
    fn next(&mut self) {
        assert!(self.valid(), "next() on an invalid iterator");
        self.cursor.next(&self.block);
    }
    fn prev(&mut self) {
        assert!(self.valid(), "prev() on an invalid iterator");
        self.cursor.prev(&self.block);
    }
    #[inline]
    fn key(&self) -> &[u8] {
        assert!(self.valid(), "key() on an invalid iterator");
        self.cursor.key(&self.block)
    }
    #[inline]
    fn value(&self) -> &[u8] {
        assert!(self.valid(), "value() on an invalid iterator");
        self.cursor.value(&self.block)
    }
    #[inline]
    fn current_key(&self) -> Option<&[u8]> {
        if self.cursor.valid(&self.block) {
            Some(self.cursor.key(&self.block))
        } else {
            None
        }
    }
    fn status(&self) -> Result<()> {
        self.cursor.status()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::block_builder::BlockBuilder;
    use crate::table::model_walk::{check_position, step, Op};
    use crate::util::comparator::bytewise;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn build(entries: &BTreeMap<Vec<u8>, Vec<u8>>, interval: usize) -> Arc<Block> {
        let mut b = BlockBuilder::new(interval);
        for (k, v) in entries {
            b.add(k, v);
        }
        let est = b.current_size_estimate();
        let contents = b.finish().to_vec();
        assert_eq!(contents.len(), est);
        Arc::new(Block::new(contents))
    }

    fn collect_forward(it: &mut dyn InternalIterator) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out = Vec::new();
        it.seek_to_first();
        while it.valid() {
            out.push((it.key().to_vec(), it.value().to_vec()));
            it.next();
        }
        out
    }

    #[test]
    fn empty_block() {
        let block = build(&BTreeMap::new(), 16);
        let mut it = block.iter(bytewise());
        it.seek_to_first();
        assert!(!it.valid());
        it.seek_to_last();
        assert!(!it.valid());
        it.seek(b"foo");
        assert!(!it.valid());
        assert!(it.status().is_ok());
    }

    #[test]
    fn zero_restarts_is_empty_not_an_error() {
        let block = Arc::new(Block::new(vec![0, 0, 0, 0]));
        let mut it = block.iter(bytewise());
        it.seek_to_first();
        assert!(!it.valid());
        assert!(it.status().is_ok());
    }

    #[test]
    fn bad_block_contents() {
        for data in [vec![], vec![1, 0, 0], vec![2, 0, 0, 0], vec![9; 12]] {
            let block = Arc::new(Block::new(data));
            let mut it = block.iter(bytewise());
            it.seek_to_first();
            assert!(!it.valid());
            assert_eq!(
                it.status().unwrap_err().to_string(),
                "Corruption: bad block contents"
            );
        }
    }

    #[test]
    fn bad_entry_in_block() {
        let mut entries = BTreeMap::new();
        entries.insert(b"abc".to_vec(), b"value".to_vec());
        entries.insert(b"abd".to_vec(), b"value".to_vec());
        let block = build(&entries, 16);
        let mut data = block.contents().to_vec();
        // Second entry claims more shared bytes than the first key has.
        let second = 3 + 3 + 5;
        data[second] = 9;
        let block = Arc::new(Block::new(data));
        let mut it = block.iter(bytewise());
        it.seek_to_first();
        assert!(it.valid());
        it.next();
        assert!(!it.valid());
        assert_eq!(
            it.status().unwrap_err().to_string(),
            "Corruption: bad entry in block"
        );
    }

    #[test]
    fn keys_in_block_and_in_buffer_mix() {
        let mut entries = BTreeMap::new();
        for i in 0..100u32 {
            entries.insert(
                format!("key{:05}", i * 3).into_bytes(),
                vec![i as u8; i as usize],
            );
        }
        for interval in [1, 2, 3, 16, 1000] {
            let block = build(&entries, interval);
            let mut it = block.iter(bytewise());
            let got = collect_forward(&mut it);
            let want: Vec<_> = entries
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            assert_eq!(got, want);
            // Backward.
            let mut back = Vec::new();
            it.seek_to_last();
            while it.valid() {
                back.push((it.key().to_vec(), it.value().to_vec()));
                it.prev();
            }
            back.reverse();
            assert_eq!(back, want);
            // Seeks between and onto keys, from a positioned iterator too.
            for i in 0..310u32 {
                let target = format!("key{:05}", i).into_bytes();
                it.seek(&target);
                let expect = entries.range(target.clone()..).next();
                match expect {
                    Some((k, v)) => {
                        assert!(it.valid());
                        assert_eq!((it.key(), it.value()), (&k[..], &v[..]));
                    }
                    None => assert!(!it.valid()),
                }
            }
        }
    }

    fn kv_strategy() -> impl Strategy<Value = BTreeMap<Vec<u8>, Vec<u8>>> {
        // Small alphabets make shared prefixes common.
        let key = prop_oneof![
            proptest::collection::vec(
                prop_oneof![Just(b'a'), Just(b'b'), Just(0u8), Just(0xffu8)],
                0..12
            ),
            proptest::collection::vec(any::<u8>(), 0..40),
        ];
        let value = prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..8),
            proptest::collection::vec(any::<u8>(), 100..300),
        ];
        proptest::collection::btree_map(key, value, 0..120)
    }

    fn op_strategy() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => Just(Op::Next),
            3 => Just(Op::Prev),
            2 => proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), any::<u8>()], 0..6).prop_map(Op::Seek),
            1 => Just(Op::First),
            1 => Just(Op::Last),
        ]
    }

    /// Mostly steps back, with turns forward and restarts from the end or
    /// a seek: the walks that reuse and invalidate a cursor's back trail.
    fn backward_op_strategy() -> impl Strategy<Value = Op> {
        prop_oneof![
            2 => Just(Op::Next),
            12 => Just(Op::Prev),
            1 => proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), any::<u8>()], 0..6).prop_map(Op::Seek),
            1 => Just(Op::Last),
        ]
    }

    proptest! {
        #[test]
        fn backward_walk(entries in kv_strategy(), interval in 1usize..20,
                         ops in proptest::collection::vec(backward_op_strategy(), 0..200)) {
            let block = build(&entries, interval);
            let model: Vec<(Vec<u8>, Vec<u8>)> = entries.into_iter().collect();
            let mut it = block.iter(bytewise());
            it.seek_to_last();
            let mut pos = model.len().checked_sub(1);
            check_position(&it, &model, pos)?;
            for op in ops {
                pos = step(&mut it, &model, pos, &op);
                check_position(&it, &model, pos)?;
            }
            prop_assert!(it.status().is_ok());
        }

        #[test]
        fn model_walk(entries in kv_strategy(), interval in 1usize..20,
                      ops in proptest::collection::vec(op_strategy(), 0..100)) {
            let block = build(&entries, interval);
            let model: Vec<(Vec<u8>, Vec<u8>)> = entries.into_iter().collect();
            let mut it = block.iter(bytewise());
            let mut pos: Option<usize> = None;
            for op in ops {
                pos = step(&mut it, &model, pos, &op);
                check_position(&it, &model, pos)?;
            }
            prop_assert!(it.status().is_ok());
        }

        #[test]
        fn damaged_blocks_never_panic(entries in kv_strategy(), interval in 1usize..8,
                                      flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6),
                                      cut in any::<usize>(), targets in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..6), 0..5)) {
            let block = build(&entries, interval);
            let mut data = block.contents().to_vec();
            for (at, x) in flips {
                let len = data.len();
                data[at % len] ^= x;
            }
            if cut % 3 == 0 {
                data.truncate(cut % (data.len() + 1));
            }
            let block = Arc::new(Block::new(data));
            let mut it = block.iter(bytewise());
            let mut steps = 0;
            it.seek_to_first();
            while it.valid() && steps < 1000 { it.key(); it.value(); it.next(); steps += 1; }
            it.seek_to_last();
            steps = 0;
            while it.valid() && steps < 1000 { it.key(); it.prev(); steps += 1; }
            for t in targets {
                let mut it = block.iter(bytewise());
                it.seek(&t);
                if it.valid() { it.key(); it.next(); }
                if it.valid() { it.prev(); }
            }
        }
    }
}
