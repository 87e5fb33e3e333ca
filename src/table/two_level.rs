//! LevelDB's two-level iterator: an index iterator whose values name
//! blocks, and an opener turning each value into an iterator over that
//! block. Tables use it (index block → data blocks) and so do levels of
//! the database (file list → tables).
//!
//! Invariants: the iterator is valid exactly when its current data
//! iterator is valid; empty data blocks are skipped in both directions.
//! The data iterator is only reopened when the index value changes. An
//! error from any data iterator is remembered when that iterator is
//! replaced; `status()` reports the index iterator's error first, then the
//! current data iterator's, then the first remembered one. Not
//! thread-safe (one user at a time), `Send` if its parts are.

use crate::iterator::InternalIterator;
use crate::status::{Error, Result};
use crate::table::format::StoredBlock;

/// Turns an index value into an iterator over the block it names.
pub trait BlockOpener: Send {
    type Iter: InternalIterator;
    fn open(&mut self, index_value: &[u8]) -> Self::Iter;
    /// `data`'s [`stored_block`](InternalIterator::stored_block), `data`
    /// being open on the block that the index entry `index_key` →
    /// `index_value` names. By default the data iterator's own answer; an
    /// opener of table blocks knows where the block is stored.
    fn stored_block<'a>(
        &'a self,
        _index_key: &'a [u8],
        _index_value: &[u8],
        data: &'a Self::Iter,
        at_start: bool,
    ) -> Option<StoredBlock<'a>> {
        data.stored_block(at_start)
    }
}

impl<F, I> BlockOpener for F
where
    F: FnMut(&[u8]) -> I + Send,
    I: InternalIterator,
{
    type Iter = I;
    fn open(&mut self, index_value: &[u8]) -> I {
        self(index_value)
    }
}

pub struct TwoLevelIterator<I: InternalIterator, O: BlockOpener> {
    index: I,
    opener: O,
    data: Option<O::Iter>,
    /// The index value `data` was opened from.
    data_block_handle: Vec<u8>,
    /// The first error of a data iterator already dropped.
    saved_error: Option<Error>,
}

impl<I: InternalIterator, O: BlockOpener> TwoLevelIterator<I, O> {
    pub fn new(index: I, opener: O) -> Self {
        TwoLevelIterator {
            index,
            opener,
            data: None,
            data_block_handle: Vec::new(),
            saved_error: None,
        }
    }

    fn set_data_iter(&mut self, iter: Option<O::Iter>) {
        if let Some(old) = &self.data {
            if let Err(e) = old.status() {
                if self.saved_error.is_none() {
                    self.saved_error = Some(e);
                }
            }
        }
        self.data = iter;
    }

    fn init_data_block(&mut self) {
        if !self.index.valid() {
            self.set_data_iter(None);
            return;
        }
        let handle = self.index.value();
        if self.data.is_some() && handle == &self.data_block_handle[..] {
            // Already open on this block: keep its position machinery.
            return;
        }
        let iter = self.opener.open(handle);
        self.data_block_handle.clear();
        self.data_block_handle.extend_from_slice(handle);
        self.set_data_iter(Some(iter));
    }

    #[inline]
    fn data_valid(&self) -> bool {
        self.data.as_ref().is_some_and(|d| d.valid())
    }

    fn skip_empty_data_blocks_forward(&mut self) {
        while !self.data_valid() {
            if !self.index.valid() {
                self.set_data_iter(None);
                return;
            }
            self.index.next();
            self.init_data_block();
            if let Some(d) = self.data.as_mut() {
                d.seek_to_first();
            }
        }
    }

    fn skip_empty_data_blocks_backward(&mut self) {
        while !self.data_valid() {
            if !self.index.valid() {
                self.set_data_iter(None);
                return;
            }
            self.index.prev();
            self.init_data_block();
            if let Some(d) = self.data.as_mut() {
                d.seek_to_last();
            }
        }
    }

    fn data(&self) -> &O::Iter {
        match &self.data {
            Some(d) if d.valid() => d,
            _ => panic!("key()/value()/next()/prev() on an invalid iterator"),
        }
    }

    fn data_mut(&mut self) -> &mut O::Iter {
        match &mut self.data {
            Some(d) if d.valid() => d,
            _ => panic!("next()/prev() on an invalid iterator"),
        }
    }
}

impl<I: InternalIterator, O: BlockOpener> InternalIterator for TwoLevelIterator<I, O> {
    #[inline]
    fn valid(&self) -> bool {
        self.data_valid()
    }

    fn seek_to_first(&mut self) {
        self.index.seek_to_first();
        self.init_data_block();
        if let Some(d) = self.data.as_mut() {
            d.seek_to_first();
        }
        self.skip_empty_data_blocks_forward();
    }

    fn seek_to_last(&mut self) {
        self.index.seek_to_last();
        self.init_data_block();
        if let Some(d) = self.data.as_mut() {
            d.seek_to_last();
        }
        self.skip_empty_data_blocks_backward();
    }

    fn seek(&mut self, target: &[u8]) {
        self.index.seek(target);
        self.init_data_block();
        if let Some(d) = self.data.as_mut() {
            d.seek(target);
        }
        self.skip_empty_data_blocks_forward();
    }

    #[inline]
    fn next(&mut self) {
        self.data_mut().next();
        self.skip_empty_data_blocks_forward();
    }

    fn prev(&mut self) {
        self.data_mut().prev();
        self.skip_empty_data_blocks_backward();
    }

    #[inline]
    fn key(&self) -> &[u8] {
        self.data().key()
    }

    #[inline]
    fn value(&self) -> &[u8] {
        self.data().value()
    }

    #[inline]
    fn current_key(&self) -> Option<&[u8]> {
        self.data.as_ref()?.current_key()
    }
    fn stored_block(&self, at_start: bool) -> Option<StoredBlock<'_>> {
        let data = self.data.as_ref()?;
        if !self.index.valid() {
            return None;
        }
        self.opener
            .stored_block(self.index.key(), &self.data_block_handle, data, at_start)
    }

    fn status(&self) -> Result<()> {
        self.index.status()?;
        if let Some(d) = &self.data {
            d.status()?;
        }
        match &self.saved_error {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iterator::EmptyIterator;

    /// A vector-backed iterator for tests.
    struct VecIter {
        entries: Vec<(Vec<u8>, Vec<u8>)>,
        pos: usize,
        err: Option<Error>,
    }

    impl VecIter {
        fn new(entries: Vec<(Vec<u8>, Vec<u8>)>) -> VecIter {
            let pos = entries.len();
            VecIter {
                entries,
                pos,
                err: None,
            }
        }
    }

    impl InternalIterator for VecIter {
        fn valid(&self) -> bool {
            self.pos < self.entries.len()
        }
        fn seek_to_first(&mut self) {
            self.pos = 0;
        }
        fn seek_to_last(&mut self) {
            self.pos = self.entries.len().saturating_sub(1);
            if self.entries.is_empty() {
                self.pos = 0;
            }
        }
        fn seek(&mut self, t: &[u8]) {
            self.pos = self.entries.partition_point(|(k, _)| &k[..] < t);
        }
        fn next(&mut self) {
            self.pos += 1;
        }
        fn prev(&mut self) {
            self.pos = if self.pos == 0 {
                self.entries.len()
            } else {
                self.pos - 1
            };
        }
        fn key(&self) -> &[u8] {
            &self.entries[self.pos].0
        }
        fn value(&self) -> &[u8] {
            &self.entries[self.pos].1
        }
        fn status(&self) -> Result<()> {
            match &self.err {
                Some(e) => Err(e.clone()),
                None => Ok(()),
            }
        }
    }

    /// Blocks by number: index keys are each block's last key; value = the
    /// block number; blocks 1 and 3 are empty, block 4 fails.
    fn blocks() -> Vec<Vec<(Vec<u8>, Vec<u8>)>> {
        let kv = |k: &str| (k.as_bytes().to_vec(), k.to_uppercase().into_bytes());
        vec![
            vec![kv("a"), kv("b")],
            vec![],
            vec![kv("c"), kv("d")],
            vec![],
            vec![],
            vec![kv("e")],
        ]
    }

    fn make(fail_block: Option<u8>) -> TwoLevelIterator<VecIter, impl BlockOpener<Iter = VecIter>> {
        let blocks = blocks();
        let index_keys = ["b", "bb", "d", "dd", "ddd", "e"];
        let index = VecIter::new(
            index_keys
                .iter()
                .enumerate()
                .map(|(i, k)| (k.as_bytes().to_vec(), vec![i as u8]))
                .collect(),
        );
        let opener = move |v: &[u8]| {
            let mut it = VecIter::new(blocks[v[0] as usize].clone());
            if Some(v[0]) == fail_block {
                it.err = Some(Error::corruption("block failed"));
            }
            it
        };
        TwoLevelIterator::new(index, opener)
    }

    fn keys_forward(it: &mut dyn InternalIterator) -> String {
        let mut s = String::new();
        it.seek_to_first();
        while it.valid() {
            s.push_str(std::str::from_utf8(it.key()).unwrap());
            it.next();
        }
        s
    }

    #[test]
    fn skips_empty_blocks_both_ways() {
        let mut it = make(None);
        assert_eq!(keys_forward(&mut it), "abcde");
        let mut s = String::new();
        it.seek_to_last();
        while it.valid() {
            s.push_str(std::str::from_utf8(it.key()).unwrap());
            it.prev();
        }
        assert_eq!(s, "edcba");
        it.seek(b"bb");
        assert_eq!(it.key(), b"c");
        assert_eq!(it.value(), b"C");
        it.seek(b"d");
        assert_eq!(it.key(), b"d");
        it.prev();
        assert_eq!(it.key(), b"c");
        it.prev();
        assert_eq!(it.key(), b"b");
        it.seek(b"z");
        assert!(!it.valid());
        assert!(it.status().is_ok());
    }

    #[test]
    fn data_block_errors_are_kept() {
        let mut it = make(Some(3));
        assert_eq!(keys_forward(&mut it), "abcde");
        assert_eq!(
            it.status().unwrap_err().to_string(),
            "Corruption: block failed"
        );
    }

    #[test]
    fn empty_index() {
        let mut it = TwoLevelIterator::new(EmptyIterator::new(), |_: &[u8]| EmptyIterator::new());
        it.seek_to_first();
        assert!(!it.valid());
        it.seek_to_last();
        assert!(!it.valid());
        it.seek(b"x");
        assert!(!it.valid());
        assert!(it.status().is_ok());
    }
}
