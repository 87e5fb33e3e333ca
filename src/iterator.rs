//! The internal iterator interface shared by blocks, tables, memtables,
//! merging and level iterators, and the database iterator.
//!
//! Contract (LevelDB's `Iterator`): an iterator is either positioned at an
//! entry (`valid()`) or not. `key`/`value` may only be called while valid,
//! and the slices they return live until the iterator is moved or dropped.
//! `next`/`prev` require `valid()`. An iterator that met an error becomes
//! invalid and reports it from `status()`. Not thread-safe: one user at a time.

use crate::status::Result;
use crate::table::format::StoredBlock;

/// LevelDB's iterator interface: a cursor over sorted entries that is
/// either positioned at one (`valid()`) or not. Re-exported as
/// `leveldb::Iterator`; [`DB::iter`](crate::DB::iter) returns one over a
/// database (a [`DbIterator`](crate::DbIterator)), and the engine's blocks,
/// tables and memtables implement it too.
///
/// `key()` and `value()` may only be called while valid, and borrow the
/// entry in place until the iterator moves. `next()` and `prev()` require
/// `valid()`. An iterator that met an error becomes invalid (or skips what
/// it could not read) and reports the error from `status()`: check it when
/// the loop ends. For a Rust iterator with bounds and `Result` items, see
/// [`DB::range`](crate::DB::range).
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// # let db = leveldb::DB::open(leveldb::Options { create_if_missing: true, ..Default::default() }, dir.path()).unwrap();
/// use leveldb::{Iterator as _, ReadOptions};
///
/// for k in [b"a", b"b", b"c"] {
///     db.put(&Default::default(), k, b"").unwrap();
/// }
/// let mut it = db.iter(&ReadOptions::new());
/// let mut backwards = Vec::new();
/// it.seek_to_last();
/// while it.valid() {
///     backwards.push(it.key().to_vec());
///     it.prev();
/// }
/// it.status().unwrap();
/// assert_eq!(backwards, [b"c".to_vec(), b"b".to_vec(), b"a".to_vec()]);
/// ```
pub trait InternalIterator: Send {
    /// Whether the iterator is positioned at an entry.
    fn valid(&self) -> bool;
    /// Positions at the first entry (invalid if there is none).
    fn seek_to_first(&mut self);
    /// Positions at the last entry (invalid if there is none).
    fn seek_to_last(&mut self);
    /// Positions at the first entry with key `>= target`.
    fn seek(&mut self, target: &[u8]);
    /// Moves to the next entry (invalid after the last). Requires `valid()`.
    fn next(&mut self);
    /// Moves to the previous entry (invalid before the first). Requires
    /// `valid()`.
    fn prev(&mut self);
    /// The current entry's key, borrowed until the iterator moves.
    /// Requires `valid()`.
    fn key(&self) -> &[u8];
    /// The current entry's value, borrowed until the iterator moves.
    /// Requires `valid()`.
    fn value(&self) -> &[u8];
    /// The first error met, `Ok` if none.
    fn status(&self) -> Result<()>;
    /// `key()` when valid, else `None`: one walk down a stack of
    /// iterators where `valid()` then `key()` would take two. The merge
    /// asks this after every step of a child.
    #[inline]
    fn current_key(&self) -> Option<&[u8]> {
        if self.valid() {
            Some(self.key())
        } else {
            None
        }
    }
    /// The table data block holding the current entry, as the table file
    /// stores it, when the iterator can see that (a table read through a
    /// mapping); `None` otherwise (the default). With `at_start`, only when
    /// the current entry is the block's first: cheap to refuse, so a
    /// compaction asks at every entry. Lets a compaction write a block
    /// again without compressing it again.
    fn stored_block(&self, _at_start: bool) -> Option<StoredBlock<'_>> {
        None
    }
}

/// A slice of an iterator's current entry (its key or value), kept
/// without a borrow of the iterator so that the owner of both can hold it
/// alongside: the merge keeps one per child, the database iterator one for
/// the key and one for the value it yields. Reading it again costs nothing,
/// where asking the iterator walks its whole stack.
///
/// By the contract above, the slice stays valid until that iterator is
/// moved (any `&mut` call) or dropped; the holder re-records or discards it
/// after each move. The empty slice is always valid.
#[derive(Clone, Copy)]
pub(crate) struct EntrySlice {
    ptr: *const u8,
    len: usize,
}

// SAFETY: an `EntrySlice` is only read by the owner of the iterator it
// points into, and that iterator is `Send`: the memory moves with it.
unsafe impl Send for EntrySlice {}

impl EntrySlice {
    pub(crate) const EMPTY: EntrySlice = EntrySlice {
        ptr: std::ptr::NonNull::<u8>::dangling().as_ptr(),
        len: 0,
    };

    #[inline]
    pub(crate) fn new(bytes: &[u8]) -> EntrySlice {
        EntrySlice {
            ptr: bytes.as_ptr(),
            len: bytes.len(),
        }
    }

    /// The slice again.
    ///
    /// # Safety
    /// The iterator it was recorded from has not been moved or dropped
    /// since, and is not for as long as the returned slice is used.
    #[inline]
    pub(crate) unsafe fn get<'a>(self) -> &'a [u8] {
        // SAFETY: the caller keeps the recorded slice alive (see above).
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

/// A boxed iterator is an iterator, so generic code (the table module's
/// two-level iterator, say) can hold trait objects.
impl<T: InternalIterator + ?Sized> InternalIterator for Box<T> {
    #[inline]
    fn valid(&self) -> bool {
        (**self).valid()
    }
    fn seek_to_first(&mut self) {
        (**self).seek_to_first()
    }
    fn seek_to_last(&mut self) {
        (**self).seek_to_last()
    }
    fn seek(&mut self, target: &[u8]) {
        (**self).seek(target)
    }
    #[inline]
    fn next(&mut self) {
        (**self).next()
    }
    fn prev(&mut self) {
        (**self).prev()
    }
    #[inline]
    fn key(&self) -> &[u8] {
        (**self).key()
    }
    #[inline]
    fn value(&self) -> &[u8] {
        (**self).value()
    }
    fn status(&self) -> Result<()> {
        (**self).status()
    }
    #[inline]
    fn current_key(&self) -> Option<&[u8]> {
        (**self).current_key()
    }
    fn stored_block(&self, at_start: bool) -> Option<StoredBlock<'_>> {
        (**self).stored_block(at_start)
    }
}

/// An iterator over nothing, or over nothing but an error.
#[doc(hidden)]
pub struct EmptyIterator {
    status: Result<()>,
}

impl EmptyIterator {
    pub fn new() -> EmptyIterator {
        EmptyIterator { status: Ok(()) }
    }
    pub fn with_error(err: crate::status::Error) -> EmptyIterator {
        EmptyIterator { status: Err(err) }
    }
}

impl Default for EmptyIterator {
    fn default() -> Self {
        EmptyIterator::new()
    }
}

impl InternalIterator for EmptyIterator {
    fn valid(&self) -> bool {
        false
    }
    fn seek_to_first(&mut self) {}
    fn seek_to_last(&mut self) {}
    fn seek(&mut self, _target: &[u8]) {}
    fn next(&mut self) {
        panic!("next() on an invalid iterator");
    }
    fn prev(&mut self) {
        panic!("prev() on an invalid iterator");
    }
    fn key(&self) -> &[u8] {
        panic!("key() on an invalid iterator");
    }
    fn value(&self) -> &[u8] {
        panic!("value() on an invalid iterator");
    }
    fn status(&self) -> Result<()> {
        self.status.clone()
    }
}

/// An iterator of a known type, or the error that kept it from being
/// created. Holding this instead of a `Box<dyn InternalIterator>` keeps the
/// per-entry calls (`key`, `value`, `next`) static, so they inline.
#[doc(hidden)]
pub enum OrFailed<I> {
    Ok(I),
    Failed(EmptyIterator),
}

macro_rules! or_failed_dispatch {
    ($self:ident, $it:ident => $e:expr) => {
        match $self {
            OrFailed::Ok($it) => $e,
            OrFailed::Failed($it) => $e,
        }
    };
}

impl<I: InternalIterator> InternalIterator for OrFailed<I> {
    #[inline]
    fn valid(&self) -> bool {
        or_failed_dispatch!(self, it => it.valid())
    }
    fn seek_to_first(&mut self) {
        or_failed_dispatch!(self, it => it.seek_to_first())
    }
    fn seek_to_last(&mut self) {
        or_failed_dispatch!(self, it => it.seek_to_last())
    }
    fn seek(&mut self, target: &[u8]) {
        or_failed_dispatch!(self, it => it.seek(target))
    }
    #[inline]
    fn next(&mut self) {
        or_failed_dispatch!(self, it => it.next())
    }
    #[inline]
    fn prev(&mut self) {
        or_failed_dispatch!(self, it => it.prev())
    }
    #[inline]
    fn key(&self) -> &[u8] {
        or_failed_dispatch!(self, it => it.key())
    }
    #[inline]
    fn value(&self) -> &[u8] {
        or_failed_dispatch!(self, it => it.value())
    }
    fn status(&self) -> Result<()> {
        or_failed_dispatch!(self, it => it.status())
    }
    #[inline]
    fn current_key(&self) -> Option<&[u8]> {
        or_failed_dispatch!(self, it => it.current_key())
    }
    fn stored_block(&self, at_start: bool) -> Option<StoredBlock<'_>> {
        or_failed_dispatch!(self, it => it.stored_block(at_start))
    }
}
