//! `WriteBatch`: an ordered group of puts and deletes applied atomically, in
//! exactly the byte representation LevelDB 1.23 writes to its log
//! (`docs/formats.md` §5).
//!
//! Invariants:
//! * `rep` is the wire form: `fixed64 sequence | fixed32 count` (the
//!   [`HEADER_SIZE`]-byte header) followed by the records, each a tag byte
//!   (`1` put: key, value; `0` delete: key) and varint32-length-prefixed
//!   slices. Batches built with `put`/`delete` always keep `count` equal to
//!   the number of records; `set_contents` and `set_count` may break that,
//!   and [`WriteBatch::iterate`] then reports it as LevelDB does.
//! * Nothing here panics on bad bytes: a representation from disk is only
//!   trusted after `iterate` returned `Ok`. A representation shorter than the
//!   header (possible only through `set_contents`) reads as sequence 0 and
//!   count 0, and is padded to a full header before any mutation.
//!
//! Thread-safety: a plain value (`Send + Sync`); mutation needs `&mut`.

// A decoder of bytes from disk: bad input is an error, never a panic.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

use crate::key::{SequenceNumber, ValueType};
use crate::memtable::MemTable;
use crate::status::{Error, Result};
use crate::util::coding::{
    decode_fixed32, decode_fixed64, get_length_prefixed_slice, put_length_prefixed_slice,
    varint_length,
};

/// Bytes of the header: an 8-byte sequence number and a 4-byte count.
///
/// ```
/// use leveldb::write_batch::{WriteBatch, HEADER_SIZE};
/// assert_eq!(WriteBatch::new().approximate_size(), HEADER_SIZE);
/// ```
pub const HEADER_SIZE: usize = 12;

/// Receives the operations of a batch, in order, from [`WriteBatch::iterate`]
/// (LevelDB's `WriteBatch::Handler`).
///
/// ```
/// use leveldb::{WriteBatch, WriteBatchHandler};
///
/// struct Log(Vec<String>);
/// impl WriteBatchHandler for Log {
///     fn put(&mut self, key: &[u8], value: &[u8]) {
///         self.0.push(format!("put {}={}", key.escape_ascii(), value.escape_ascii()));
///     }
///     fn delete(&mut self, key: &[u8]) {
///         self.0.push(format!("delete {}", key.escape_ascii()));
///     }
/// }
///
/// let mut batch = WriteBatch::new();
/// batch.put(b"a", b"1");
/// batch.delete(b"b");
/// let mut log = Log(Vec::new());
/// batch.iterate(&mut log).unwrap();
/// assert_eq!(log.0, ["put a=1", "delete b"]);
/// ```
pub trait WriteBatchHandler {
    /// A put of `key` to `value`.
    fn put(&mut self, key: &[u8], value: &[u8]);
    /// A deletion of `key`.
    fn delete(&mut self, key: &[u8]);
}

/// An ordered group of puts and deletes that [`DB::write`](crate::DB::write)
/// applies atomically, held in LevelDB's own representation (what goes to
/// the log). Later operations on a key win over earlier ones.
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// # let db = leveldb::DB::open(leveldb::Options { create_if_missing: true, ..Default::default() }, dir.path()).unwrap();
/// use leveldb::{ReadOptions, WriteBatch, WriteOptions};
///
/// let mut batch = WriteBatch::new();
/// batch.put(b"k", b"first");
/// batch.put(b"k", b"second");
/// batch.delete(b"gone");
/// assert_eq!(batch.count(), 3);
/// db.write(&WriteOptions::default(), &batch).unwrap();
/// assert_eq!(db.get(&ReadOptions::new(), b"k").unwrap(), Some(b"second".to_vec()));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct WriteBatch {
    rep: Vec<u8>,
}

impl Default for WriteBatch {
    fn default() -> Self {
        WriteBatch::new()
    }
}

impl std::fmt::Debug for WriteBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteBatch")
            .field("sequence", &self.sequence())
            .field("count", &self.count())
            .field("bytes", &self.rep.len())
            .finish()
    }
}

impl WriteBatch {
    /// An empty batch: sequence 0, count 0, 12 bytes.
    ///
    /// ```
    /// let batch = leveldb::WriteBatch::new();
    /// assert_eq!((batch.count(), batch.approximate_size()), (0, 12));
    /// ```
    pub fn new() -> WriteBatch {
        WriteBatch {
            rep: vec![0; HEADER_SIZE],
        }
    }

    /// Queues `key -> value`.
    ///
    /// ```
    /// let mut batch = leveldb::WriteBatch::new();
    /// batch.put(b"key", b"value");
    /// assert_eq!(batch.count(), 1);
    /// ```
    pub fn put(&mut self, key: &[u8], value: &[u8]) {
        self.ensure_header();
        self.set_count(self.count().wrapping_add(1));
        self.rep.reserve(
            1 + varint_length(key.len() as u64)
                + key.len()
                + varint_length(value.len() as u64)
                + value.len(),
        );
        self.rep.push(ValueType::Value as u8);
        put_length_prefixed_slice(&mut self.rep, key);
        put_length_prefixed_slice(&mut self.rep, value);
    }

    /// Queues the deletion of `key`.
    ///
    /// ```
    /// let mut batch = leveldb::WriteBatch::new();
    /// batch.delete(b"key");
    /// assert_eq!(batch.count(), 1);
    /// ```
    pub fn delete(&mut self, key: &[u8]) {
        self.ensure_header();
        self.set_count(self.count().wrapping_add(1));
        self.rep
            .reserve(1 + varint_length(key.len() as u64) + key.len());
        self.rep.push(ValueType::Deletion as u8);
        put_length_prefixed_slice(&mut self.rep, key);
    }

    /// Empties the batch (sequence and count back to 0), keeping its buffer.
    ///
    /// ```
    /// let mut batch = leveldb::WriteBatch::new();
    /// batch.put(b"k", b"v");
    /// batch.clear();
    /// assert_eq!(batch, leveldb::WriteBatch::new());
    /// ```
    pub fn clear(&mut self) {
        self.rep.clear();
        self.rep.resize(HEADER_SIZE, 0);
    }

    /// Appends the operations of `source` after ours, as LevelDB's
    /// `WriteBatchInternal::Append`: our sequence is kept, the counts add up.
    ///
    /// ```
    /// let (mut a, mut b) = (leveldb::WriteBatch::new(), leveldb::WriteBatch::new());
    /// a.put(b"x", b"1");
    /// b.delete(b"y");
    /// a.append(&b);
    /// assert_eq!(a.count(), 2);
    /// ```
    pub fn append(&mut self, source: &WriteBatch) {
        self.ensure_header();
        self.set_count(self.count().wrapping_add(source.count()));
        if let Some(records) = source.rep.get(HEADER_SIZE..) {
            self.rep.extend_from_slice(records);
        }
    }

    /// The size of the representation in bytes (what it will take in the log).
    ///
    /// ```
    /// let mut batch = leveldb::WriteBatch::new();
    /// batch.put(b"k", b"v"); // tag, two length bytes, two bytes of data
    /// assert_eq!(batch.approximate_size(), 12 + 5);
    /// ```
    pub fn approximate_size(&self) -> usize {
        self.rep.len()
    }

    /// The number of operations the header claims.
    ///
    /// ```
    /// let mut batch = leveldb::WriteBatch::new();
    /// batch.put(b"a", b"");
    /// batch.delete(b"a");
    /// assert_eq!(batch.count(), 2);
    /// ```
    pub fn count(&self) -> u32 {
        match self.rep.get(8..HEADER_SIZE) {
            Some(bytes) => decode_fixed32(bytes),
            None => 0,
        }
    }

    /// Overwrites the count in the header (for tests of damaged batches:
    /// [`iterate`](WriteBatch::iterate) then reports the mismatch).
    ///
    /// ```
    /// struct Ignore;
    /// impl leveldb::WriteBatchHandler for Ignore {
    ///     fn put(&mut self, _: &[u8], _: &[u8]) {}
    ///     fn delete(&mut self, _: &[u8]) {}
    /// }
    /// let mut batch = leveldb::WriteBatch::new();
    /// batch.put(b"k", b"v");
    /// batch.set_count(5);
    /// let e = batch.iterate(&mut Ignore).unwrap_err();
    /// assert_eq!(e.to_string(), "Corruption: WriteBatch has wrong count");
    /// ```
    pub fn set_count(&mut self, count: u32) {
        self.ensure_header();
        self.rep[8..HEADER_SIZE].copy_from_slice(&count.to_le_bytes());
    }

    /// The sequence number of the first operation (set by the database when
    /// the batch is written in place, 0 for a new batch).
    ///
    /// ```
    /// assert_eq!(leveldb::WriteBatch::new().sequence(), 0);
    /// ```
    pub fn sequence(&self) -> SequenceNumber {
        match self.rep.get(..8) {
            Some(bytes) => decode_fixed64(bytes),
            None => 0,
        }
    }

    /// Overwrites the sequence number in the header.
    ///
    /// ```
    /// let mut batch = leveldb::WriteBatch::new();
    /// batch.set_sequence(42);
    /// assert_eq!(batch.sequence(), 42);
    /// ```
    pub fn set_sequence(&mut self, seq: SequenceNumber) {
        self.ensure_header();
        self.rep[..8].copy_from_slice(&seq.to_le_bytes());
    }

    /// The representation, as written to the log.
    ///
    /// ```
    /// let mut batch = leveldb::WriteBatch::new();
    /// batch.delete(b"k");
    /// assert_eq!(batch.contents(), b"\0\0\0\0\0\0\0\0\x01\0\0\0\0\x01k");
    /// ```
    pub fn contents(&self) -> &[u8] {
        &self.rep
    }

    /// Replaces the representation with `contents` (a log record), unchecked:
    /// call [`iterate`](WriteBatch::iterate) to validate it.
    ///
    /// ```
    /// let mut original = leveldb::WriteBatch::new();
    /// original.put(b"k", b"v");
    /// let mut copy = leveldb::WriteBatch::new();
    /// copy.set_contents(original.contents());
    /// assert_eq!(copy, original);
    /// ```
    pub fn set_contents(&mut self, contents: &[u8]) {
        self.rep.clear();
        self.rep.extend_from_slice(contents);
    }

    /// Calls `handler` for each operation, in order. On malformed contents
    /// returns LevelDB's Corruption error; the operations before the bad one
    /// have been delivered by then.
    ///
    /// ```
    /// use leveldb::{WriteBatch, WriteBatchHandler};
    ///
    /// struct Count(usize);
    /// impl WriteBatchHandler for Count {
    ///     fn put(&mut self, _: &[u8], _: &[u8]) { self.0 += 1 }
    ///     fn delete(&mut self, _: &[u8]) { self.0 += 1 }
    /// }
    /// let mut batch = WriteBatch::new();
    /// batch.put(b"a", b"1");
    /// let mut count = Count(0);
    /// batch.iterate(&mut count).unwrap();
    /// assert_eq!(count.0, 1);
    /// ```
    pub fn iterate(&self, handler: &mut dyn WriteBatchHandler) -> Result<()> {
        let Some(mut input) = self.rep.get(HEADER_SIZE..) else {
            return Err(Error::corruption("malformed WriteBatch (too small)"));
        };
        let mut found: u32 = 0;
        while let Some((&tag, rest)) = input.split_first() {
            found = found.wrapping_add(1);
            input = rest;
            match ValueType::from_byte(tag) {
                Some(ValueType::Value) => {
                    let key = get_length_prefixed_slice(&mut input);
                    let value = get_length_prefixed_slice(&mut input);
                    match (key, value) {
                        (Some(key), Some(value)) => handler.put(key, value),
                        _ => return Err(Error::corruption("bad WriteBatch Put")),
                    }
                }
                Some(ValueType::Deletion) => match get_length_prefixed_slice(&mut input) {
                    Some(key) => handler.delete(key),
                    None => return Err(Error::corruption("bad WriteBatch Delete")),
                },
                None => return Err(Error::corruption("unknown WriteBatch tag")),
            }
        }
        if found != self.count() {
            return Err(Error::corruption("WriteBatch has wrong count"));
        }
        Ok(())
    }

    /// Pads a representation shorter than the header (only reachable through
    /// `set_contents`) so header writes stay in bounds.
    #[inline]
    fn ensure_header(&mut self) {
        if self.rep.len() < HEADER_SIZE {
            self.rep.resize(HEADER_SIZE, 0);
        }
    }
}

/// Applies a batch's operations to a memtable, numbering them from the
/// batch's sequence (LevelDB's MemTableInserter).
struct MemTableInserter<'a> {
    sequence: SequenceNumber,
    mem: &'a MemTable,
}

impl WriteBatchHandler for MemTableInserter<'_> {
    fn put(&mut self, key: &[u8], value: &[u8]) {
        self.mem.add(self.sequence, ValueType::Value, key, value);
        self.sequence += 1;
    }
    fn delete(&mut self, key: &[u8]) {
        self.mem.add(self.sequence, ValueType::Deletion, key, &[]);
        self.sequence += 1;
    }
}

/// Applies `batch` to `mem`, numbering its operations from its sequence.
pub(crate) fn insert_into(batch: &WriteBatch, mem: &MemTable) -> Result<()> {
    let mut inserter = MemTableInserter {
        sequence: batch.sequence(),
        mem,
    };
    batch.iterate(&mut inserter)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// One decoded operation, with the sequence number it would get.
    #[derive(Clone, Debug, PartialEq, Eq)]
    enum Op {
        Put(Vec<u8>, Vec<u8>),
        Delete(Vec<u8>),
    }

    #[derive(Default)]
    struct Collector {
        ops: Vec<Op>,
    }

    impl WriteBatchHandler for Collector {
        fn put(&mut self, key: &[u8], value: &[u8]) {
            self.ops.push(Op::Put(key.to_vec(), value.to_vec()));
        }
        fn delete(&mut self, key: &[u8]) {
            self.ops.push(Op::Delete(key.to_vec()));
        }
    }

    /// LevelDB's write_batch_test `PrintContents`: the operations as a
    /// memtable would iterate them (user key ascending, newest sequence
    /// first), then `ParseError()` or `CountMismatch()` if applicable.
    fn print_contents(batch: &WriteBatch) -> String {
        let mut collector = Collector::default();
        let status = batch.iterate(&mut collector);
        let mut entries: Vec<(u64, Op)> = collector
            .ops
            .iter()
            .enumerate()
            .map(|(i, op)| (batch.sequence() + i as u64, op.clone()))
            .collect();
        let user_key = |op: &Op| match op {
            Op::Put(k, _) | Op::Delete(k) => k.clone(),
        };
        entries.sort_by(|a, b| user_key(&a.1).cmp(&user_key(&b.1)).then(b.0.cmp(&a.0)));
        let mut state = String::new();
        for (seq, op) in &entries {
            match op {
                Op::Put(k, v) => state.push_str(&format!(
                    "Put({}, {})",
                    String::from_utf8_lossy(k),
                    String::from_utf8_lossy(v)
                )),
                Op::Delete(k) => state.push_str(&format!("Delete({})", String::from_utf8_lossy(k))),
            }
            state.push_str(&format!("@{seq}"));
        }
        if status.is_err() {
            state.push_str("ParseError()");
        } else if entries.len() as u32 != batch.count() {
            state.push_str("CountMismatch()");
        }
        state
    }

    #[test]
    fn empty() {
        let batch = WriteBatch::new();
        assert_eq!(print_contents(&batch), "");
        assert_eq!(batch.count(), 0);
        assert_eq!(batch.contents(), &[0u8; HEADER_SIZE]);
        assert_eq!(batch.approximate_size(), HEADER_SIZE);
    }

    #[test]
    fn multiple() {
        let mut batch = WriteBatch::new();
        batch.put(b"foo", b"bar");
        batch.delete(b"box");
        batch.put(b"baz", b"boo");
        batch.set_sequence(100);
        assert_eq!(batch.sequence(), 100);
        assert_eq!(batch.count(), 3);
        assert_eq!(
            print_contents(&batch),
            "Put(baz, boo)@102Delete(box)@101Put(foo, bar)@100"
        );
    }

    #[test]
    fn exact_bytes() {
        let mut batch = WriteBatch::new();
        batch.set_sequence(0x0102030405060708);
        batch.put(b"k", b"vv");
        batch.delete(b"");
        let mut expected = vec![8, 7, 6, 5, 4, 3, 2, 1, 2, 0, 0, 0];
        expected.extend_from_slice(&[1, 1, b'k', 2, b'v', b'v', 0, 0]);
        assert_eq!(batch.contents(), &expected[..]);
    }

    #[test]
    fn corruption_truncated() {
        let mut batch = WriteBatch::new();
        batch.put(b"foo", b"bar");
        batch.delete(b"box");
        batch.set_sequence(200);
        let contents = batch.contents().to_vec();
        batch.set_contents(&contents[..contents.len() - 1]);
        assert_eq!(print_contents(&batch), "Put(foo, bar)@200ParseError()");
        let err = batch.iterate(&mut Collector::default()).unwrap_err();
        assert_eq!(err.to_string(), "Corruption: bad WriteBatch Delete");
    }

    #[test]
    fn corruption_messages() {
        let mut c = Collector::default();
        let mut batch = WriteBatch::new();
        batch.set_contents(&[0u8; 11]);
        assert_eq!(
            batch.iterate(&mut c).unwrap_err().to_string(),
            "Corruption: malformed WriteBatch (too small)"
        );
        assert_eq!(batch.count(), 0);
        assert_eq!(batch.sequence(), 0);

        let mut good = WriteBatch::new();
        good.put(b"key", b"value");
        let bytes = good.contents().to_vec();
        batch.set_contents(&bytes[..bytes.len() - 2]);
        assert_eq!(
            batch.iterate(&mut c).unwrap_err().to_string(),
            "Corruption: bad WriteBatch Put"
        );

        let mut bad_tag = bytes.clone();
        bad_tag[HEADER_SIZE] = 7;
        batch.set_contents(&bad_tag);
        assert_eq!(
            batch.iterate(&mut c).unwrap_err().to_string(),
            "Corruption: unknown WriteBatch tag"
        );

        batch.set_contents(&bytes);
        batch.set_count(2);
        let mut c = Collector::default();
        assert_eq!(
            batch.iterate(&mut c).unwrap_err().to_string(),
            "Corruption: WriteBatch has wrong count"
        );
        // The operations before the error were delivered.
        assert_eq!(c.ops, vec![Op::Put(b"key".to_vec(), b"value".to_vec())]);
        assert_eq!(print_contents(&batch), "Put(key, value)@0ParseError()");
    }

    #[test]
    fn short_contents_are_padded_before_mutation() {
        let mut batch = WriteBatch::new();
        batch.set_contents(&[9, 9, 9]);
        batch.put(b"a", b"b");
        assert_eq!(batch.count(), 1);
        assert_eq!(batch.sequence(), 0x090909);
        assert_eq!(print_contents(&batch), "Put(a, b)@592137");
        let mut other = WriteBatch::new();
        other.set_contents(&[]);
        batch.append(&other);
        assert_eq!(batch.count(), 1);
    }

    #[test]
    fn append() {
        let mut b1 = WriteBatch::new();
        let mut b2 = WriteBatch::new();
        b1.set_sequence(200);
        b2.set_sequence(300);
        b1.append(&b2);
        assert_eq!(print_contents(&b1), "");
        b2.put(b"a", b"va");
        b1.append(&b2);
        assert_eq!(print_contents(&b1), "Put(a, va)@200");
        b2.clear();
        b2.put(b"b", b"vb");
        b1.append(&b2);
        assert_eq!(print_contents(&b1), "Put(a, va)@200Put(b, vb)@201");
        b2.delete(b"foo");
        b1.append(&b2);
        assert_eq!(
            print_contents(&b1),
            "Put(a, va)@200Put(b, vb)@202Put(b, vb)@201Delete(foo)@203"
        );
    }

    #[test]
    fn clear_resets_header() {
        let mut batch = WriteBatch::new();
        batch.set_sequence(5);
        batch.put(b"a", b"b");
        batch.clear();
        assert_eq!(batch.contents(), WriteBatch::new().contents());
    }

    #[test]
    fn approximate_size() {
        let mut batch = WriteBatch::new();
        let empty_size = batch.approximate_size();
        batch.put(b"foo", b"bar");
        let one_key_size = batch.approximate_size();
        assert!(empty_size < one_key_size);
        batch.put(b"baz", b"boo");
        let two_keys_size = batch.approximate_size();
        assert!(one_key_size < two_keys_size);
        batch.delete(b"box");
        let post_delete_size = batch.approximate_size();
        assert!(two_keys_size < post_delete_size);
        assert_eq!(post_delete_size, batch.contents().len());
    }

    fn op_strategy() -> impl Strategy<Value = Op> {
        let bytes = || proptest::collection::vec(any::<u8>(), 0..200);
        prop_oneof![
            (bytes(), bytes()).prop_map(|(k, v)| Op::Put(k, v)),
            bytes().prop_map(Op::Delete),
        ]
    }

    fn build(seq: u64, ops: &[Op]) -> WriteBatch {
        let mut batch = WriteBatch::new();
        batch.set_sequence(seq);
        for op in ops {
            match op {
                Op::Put(k, v) => batch.put(k, v),
                Op::Delete(k) => batch.delete(k),
            }
        }
        batch
    }

    /// Checks that a parse of mutated bytes is self-consistent: either an
    /// error, or exactly `count` operations whose canonical re-encoding is no
    /// longer than the input (varints may have been non-minimal) and parses
    /// back to the same operations.
    fn check_consistent(bytes: &[u8]) -> std::result::Result<(), TestCaseError> {
        let mut batch = WriteBatch::new();
        batch.set_contents(bytes);
        let mut c = Collector::default();
        if batch.iterate(&mut c).is_ok() {
            prop_assert_eq!(c.ops.len() as u32, batch.count());
            let rebuilt = build(batch.sequence(), &c.ops);
            prop_assert!(rebuilt.contents().len() <= bytes.len());
            prop_assert_eq!(&rebuilt.contents()[..HEADER_SIZE], &bytes[..HEADER_SIZE]);
            let mut again = Collector::default();
            rebuilt.iterate(&mut again).unwrap();
            prop_assert_eq!(again.ops, c.ops);
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn roundtrip(seq in any::<u64>(), ops in proptest::collection::vec(op_strategy(), 0..20)) {
            let batch = build(seq, &ops);
            prop_assert_eq!(batch.count() as usize, ops.len());
            prop_assert_eq!(batch.sequence(), seq);
            let mut c = Collector::default();
            batch.iterate(&mut c).unwrap();
            prop_assert_eq!(&c.ops, &ops);

            // Rebuilding from contents gives the same batch.
            let mut copy = WriteBatch::new();
            copy.set_contents(batch.contents());
            prop_assert_eq!(&copy, &batch);

            // Appending halves gives the whole (with the first's sequence).
            let (a, b) = ops.split_at(ops.len() / 2);
            let mut joined = build(seq, a);
            joined.append(&build(seq.wrapping_add(1000), b));
            prop_assert_eq!(joined.contents(), batch.contents());
        }

        #[test]
        fn truncation_is_error_or_consistent(seq in any::<u64>(), ops in proptest::collection::vec(op_strategy(), 0..8), cut in any::<prop::sample::Index>()) {
            let batch = build(seq, &ops);
            let bytes = batch.contents();
            let cut = cut.index(bytes.len() + 1);
            check_consistent(&bytes[..cut])?;
            let mut shortened = WriteBatch::new();
            shortened.set_contents(&bytes[..cut]);
            if cut < bytes.len() && !ops.is_empty() {
                prop_assert!(shortened.iterate(&mut Collector::default()).is_err());
            }
        }

        #[test]
        fn bit_flips_are_error_or_consistent(seq in any::<u64>(), ops in proptest::collection::vec(op_strategy(), 1..8), flips in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..8), 1..4)) {
            let mut bytes = build(seq, &ops).contents().to_vec();
            for (at, bit) in flips {
                let i = at.index(bytes.len());
                bytes[i] ^= 1 << bit;
            }
            check_consistent(&bytes)?;
        }

        #[test]
        fn spliced_garbage_is_error_or_consistent(seq in any::<u64>(), ops in proptest::collection::vec(op_strategy(), 0..8), at in any::<prop::sample::Index>(), garbage in proptest::collection::vec(any::<u8>(), 1..40)) {
            let mut bytes = build(seq, &ops).contents().to_vec();
            let i = at.index(bytes.len() + 1);
            bytes.splice(i..i, garbage);
            check_consistent(&bytes)?;
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            check_consistent(&bytes)?;
        }
    }
}
