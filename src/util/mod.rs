//! Building blocks shared by every layer: encodings, checksums, hashing,
//! comparators, bloom filters, caches, the memtable arena and cache-line
//! padding.

pub mod arena;
pub mod bloom;
pub mod cache;
pub mod coding;
pub mod comparator;
pub mod crc;
pub mod hash;
pub mod key_words;
pub mod padded;
pub mod prefetch;
