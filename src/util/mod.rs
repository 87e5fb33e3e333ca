//! Building blocks shared by every layer: encodings, checksums, hashing,
//! comparators, bloom filters, caches and the memtable arena.

pub mod arena;
pub mod bloom;
pub mod cache;
pub mod coding;
pub mod comparator;
pub mod crc;
pub mod hash;
pub mod key_words;
pub mod prefetch;
