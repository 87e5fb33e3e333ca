//! Fuzzes `WriteBatch::iterate` with arbitrary contents.
//!
//! Properties: no panic; an `Ok` parse delivers exactly `count` operations,
//! and re-building a batch from them gives a batch that parses to the same
//! operations with the same header, in no more bytes (the input's varints
//! may be non-minimal).
use leveldb::write_batch::{WriteBatch, WriteBatchHandler, HEADER_SIZE};

#[derive(Default, PartialEq, Debug)]
struct Ops(Vec<(bool, Vec<u8>, Vec<u8>)>);

impl WriteBatchHandler for Ops {
    fn put(&mut self, key: &[u8], value: &[u8]) {
        self.0.push((true, key.to_vec(), value.to_vec()));
    }
    fn delete(&mut self, key: &[u8]) {
        self.0.push((false, key.to_vec(), Vec::new()));
    }
}

pub fn run(data: &[u8]) {
    let mut batch = WriteBatch::new();
    batch.set_contents(data);
    let mut ops = Ops::default();
    let result = batch.iterate(&mut ops);
    if data.len() < HEADER_SIZE {
        assert!(result.is_err());
    }
    if result.is_err() {
        return;
    }
    assert_eq!(ops.0.len() as u64, u64::from(batch.count()));

    let mut rebuilt = WriteBatch::new();
    rebuilt.set_sequence(batch.sequence());
    for (is_put, key, value) in &ops.0 {
        if *is_put {
            rebuilt.put(key, value);
        } else {
            rebuilt.delete(key);
        }
    }
    assert_eq!(&rebuilt.contents()[..HEADER_SIZE], &data[..HEADER_SIZE]);
    assert!(rebuilt.approximate_size() <= data.len());
    let mut again = Ops::default();
    rebuilt.iterate(&mut again).unwrap();
    assert_eq!(again, ops);

    // Appending to an empty batch keeps the operations.
    let mut joined = WriteBatch::new();
    joined.append(&batch);
    let mut appended = Ops::default();
    joined.iterate(&mut appended).unwrap();
    assert_eq!(appended, ops);
}
