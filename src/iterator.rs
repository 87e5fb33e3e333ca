//! The internal iterator interface shared by blocks, tables, memtables,
//! merging and level iterators, and the database iterator.
//!
//! Contract (LevelDB's `Iterator`): an iterator is either positioned at an
//! entry (`valid()`) or not. `key`/`value` may only be called while valid,
//! and the slices they return live until the iterator is moved or dropped.
//! `next`/`prev` require `valid()`. An iterator that met an error becomes
//! invalid and reports it from `status()`. Not thread-safe: one user at a time.

use crate::status::Result;

pub trait InternalIterator: Send {
    fn valid(&self) -> bool;
    fn seek_to_first(&mut self);
    fn seek_to_last(&mut self);
    /// Positions at the first entry with key `>= target`.
    fn seek(&mut self, target: &[u8]);
    fn next(&mut self);
    fn prev(&mut self);
    fn key(&self) -> &[u8];
    fn value(&self) -> &[u8];
    fn status(&self) -> Result<()>;
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
}

/// An iterator over nothing, or over nothing but an error.
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
