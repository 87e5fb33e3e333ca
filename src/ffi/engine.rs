//! The engine API the C layer is written against, imported in one place.
//!
//! TEMPORARY stand-ins: the modules named in CONTRACTS.md (db, write_batch,
//! util::bloom) are being built in parallel. Until each lands, a stand-in
//! with the contract's signatures lives here so the C layer compiles and its
//! header and symbol set are complete; each is replaced by a `pub use` of the
//! real item as soon as it is in main.

#![allow(dead_code)]

pub(crate) use crate::table::BlockCache;

pub(crate) use stand_in::*;

mod stand_in {
    use crate::filter::FilterPolicy;
    use crate::iterator::EmptyIterator;
    use crate::options::{Options, ReadOptions, WriteOptions};
    use crate::snapshot::Snapshot;
    use crate::status::{Error, Result};
    use crate::util::coding::{get_length_prefixed_slice, put_length_prefixed_slice};

    fn not_landed() -> Error {
        Error::not_supported("the database engine has not landed yet")
    }

    /// Stand-in for `crate::DB` (opening always fails).
    pub struct DB {
        _never: std::convert::Infallible,
    }

    impl DB {
        pub fn open(_options: Options, _name: &str) -> Result<DB> {
            Err(not_landed())
        }
        pub fn put(&self, _o: &WriteOptions, _k: &[u8], _v: &[u8]) -> Result<()> {
            match self._never {}
        }
        pub fn delete(&self, _o: &WriteOptions, _k: &[u8]) -> Result<()> {
            match self._never {}
        }
        pub fn write(&self, _o: &WriteOptions, _b: &WriteBatch) -> Result<()> {
            match self._never {}
        }
        pub fn get(&self, _o: &ReadOptions, _k: &[u8]) -> Result<Option<Vec<u8>>> {
            match self._never {}
        }
        pub fn iter(&self, _o: &ReadOptions) -> EmptyIterator {
            match self._never {}
        }
        pub fn snapshot(&self) -> Snapshot {
            match self._never {}
        }
        pub fn property(&self, _name: &str) -> Option<String> {
            match self._never {}
        }
        pub fn approximate_sizes(&self, _r: &[(&[u8], &[u8])]) -> Vec<u64> {
            match self._never {}
        }
        pub fn compact_range(&self, _b: Option<&[u8]>, _e: Option<&[u8]>) -> Result<()> {
            match self._never {}
        }
    }

    pub fn destroy_db(_name: &str, _options: &Options) -> Result<()> {
        Err(not_landed())
    }
    pub fn repair_db(_name: &str, _options: &Options) -> Result<()> {
        Err(not_landed())
    }

    const HEADER_SIZE: usize = 12;

    /// Stand-in for `crate::write_batch::WriteBatch` (LevelDB's rep format).
    #[derive(Clone)]
    pub struct WriteBatch {
        rep: Vec<u8>,
    }

    pub trait WriteBatchHandler {
        fn put(&mut self, key: &[u8], value: &[u8]);
        fn delete(&mut self, key: &[u8]);
    }

    impl WriteBatch {
        pub fn new() -> WriteBatch {
            WriteBatch {
                rep: vec![0; HEADER_SIZE],
            }
        }
        pub fn count(&self) -> u32 {
            u32::from_le_bytes(self.rep[8..12].try_into().unwrap())
        }
        fn set_count(&mut self, n: u32) {
            self.rep[8..12].copy_from_slice(&n.to_le_bytes());
        }
        pub fn clear(&mut self) {
            self.rep.clear();
            self.rep.resize(HEADER_SIZE, 0);
        }
        pub fn put(&mut self, key: &[u8], value: &[u8]) {
            self.set_count(self.count() + 1);
            self.rep.push(1);
            put_length_prefixed_slice(&mut self.rep, key);
            put_length_prefixed_slice(&mut self.rep, value);
        }
        pub fn delete(&mut self, key: &[u8]) {
            self.set_count(self.count() + 1);
            self.rep.push(0);
            put_length_prefixed_slice(&mut self.rep, key);
        }
        pub fn append(&mut self, other: &WriteBatch) {
            self.set_count(self.count() + other.count());
            self.rep.extend_from_slice(&other.rep[HEADER_SIZE..]);
        }
        pub fn iterate(&self, handler: &mut dyn WriteBatchHandler) -> Result<()> {
            let mut input = &self.rep[HEADER_SIZE..];
            while let Some((&tag, rest)) = input.split_first() {
                input = rest;
                match tag {
                    1 => {
                        let k = get_length_prefixed_slice(&mut input)
                            .ok_or_else(|| Error::corruption("bad WriteBatch Put"))?;
                        let v = get_length_prefixed_slice(&mut input)
                            .ok_or_else(|| Error::corruption("bad WriteBatch Put"))?;
                        handler.put(k, v);
                    }
                    0 => {
                        let k = get_length_prefixed_slice(&mut input)
                            .ok_or_else(|| Error::corruption("bad WriteBatch Delete"))?;
                        handler.delete(k);
                    }
                    _ => return Err(Error::corruption("unknown WriteBatch tag")),
                }
            }
            Ok(())
        }
    }

    /// Stand-in for `crate::util::bloom::BloomFilterPolicy` (keeps every
    /// key: exact, just large).
    pub struct BloomFilterPolicy;

    impl BloomFilterPolicy {
        pub fn new(_bits_per_key: usize) -> BloomFilterPolicy {
            BloomFilterPolicy
        }
    }

    impl FilterPolicy for BloomFilterPolicy {
        fn name(&self) -> &str {
            "leveldb.BuiltinBloomFilter2"
        }
        fn create_filter(&self, keys: &[&[u8]], dst: &mut Vec<u8>) {
            for k in keys {
                put_length_prefixed_slice(dst, k);
            }
        }
        fn key_may_match(&self, key: &[u8], mut filter: &[u8]) -> bool {
            while let Some(k) = get_length_prefixed_slice(&mut filter) {
                if k == key {
                    return true;
                }
            }
            false
        }
    }
}
