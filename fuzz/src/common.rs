//! Helpers the targets share: in-memory files and bounded iteration.
//!
//! Invariant: [`walk`] never takes more than `limit` steps; a longer walk is
//! reported as a panic (an iterator that does not end is an engine bug).

use std::sync::{Arc, Mutex};

use leveldb::env::{RandomAccessFile, WritableFile};
use leveldb::Result;

/// A read-only file over bytes, optionally exposed as a memory mapping
/// (which sends the table reader down its zero-copy path).
pub struct Bytes {
    pub data: Vec<u8>,
    pub mapped: bool,
}

impl RandomAccessFile for Bytes {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let len = self.data.len() as u64;
        if offset >= len {
            return Ok(0);
        }
        let start = offset as usize;
        let n = buf.len().min(self.data.len() - start);
        buf[..n].copy_from_slice(&self.data[start..start + n]);
        Ok(n)
    }
    fn mapped(&self) -> Option<&[u8]> {
        self.mapped.then_some(&self.data[..])
    }
}

/// A writable file appending to shared bytes.
pub struct Sink(pub Arc<Mutex<Vec<u8>>>);

impl WritableFile for Sink {
    fn append(&mut self, data: &[u8]) -> Result<()> {
        self.0.lock().unwrap().extend_from_slice(data);
        Ok(())
    }
    fn flush(&mut self) -> Result<()> {
        Ok(())
    }
    fn sync(&mut self) -> Result<()> {
        Ok(())
    }
    fn close(&mut self) -> Result<()> {
        Ok(())
    }
}

/// One entry seen by an iterator.
pub type Entry = (Vec<u8>, Vec<u8>);

/// Iterates `it` from `seek_to_first` (forward) or `seek_to_last`
/// (backward), collecting at most `limit` entries; panics if the iterator
/// is still valid after `limit` steps. Returns the entries and whether the
/// iterator ended without an error.
pub fn walk(it: &mut dyn leveldb::Iterator, forward: bool, limit: usize) -> (Vec<Entry>, bool) {
    let mut out = Vec::new();
    if forward {
        it.seek_to_first();
    } else {
        it.seek_to_last();
    }
    while it.valid() {
        assert!(
            out.len() < limit,
            "iterator does not end after {limit} entries"
        );
        out.push((it.key().to_vec(), it.value().to_vec()));
        if forward {
            it.next();
        } else {
            it.prev();
        }
    }
    (out, it.status().is_ok())
}

/// Splits `input` at each `sep`, into at most `max` parts (the last part
/// keeps any further separators).
pub fn split<'a>(input: &'a [u8], sep: &[u8], max: usize) -> Vec<&'a [u8]> {
    let mut parts = Vec::new();
    let mut rest = input;
    while parts.len() + 1 < max {
        match rest.windows(sep.len()).position(|w| w == sep) {
            Some(i) => {
                parts.push(&rest[..i]);
                rest = &rest[i + sep.len()..];
            }
            None => break,
        }
    }
    parts.push(rest);
    parts
}
