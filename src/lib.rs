//! Strata: LevelDB 1.23, rebuilt in Rust, behind LevelDB's own C ABI.
//!
//! The engine modules mirror LevelDB's own layout (`util`, `log`, `table`,
//! `memtable`, `version`, `db`); `ffi` is the only code that speaks C and
//! is a thin layer over the safe Rust API re-exported here. Every on-disk
//! format is byte-compatible with LevelDB 1.23 (see `shared/spec/formats.md`).

pub mod db;
pub mod env;
pub mod filename;
pub mod filter;
pub mod iterator;
pub mod key;
pub mod log;
pub mod memtable;
pub mod options;
pub mod snapshot;
pub mod status;
pub mod table;
pub mod util;
pub mod version;
pub mod write_batch;

pub mod ffi;

pub use db::{destroy_db, repair_db, DbIterator, DB};
pub use iterator::InternalIterator as Iterator;
pub use options::{CompressionType, Options, ReadOptions, WriteOptions};
pub use snapshot::Snapshot;
pub use status::{Code, Error, Result};
pub use util::comparator::{BytewiseComparator, Comparator};
pub use write_batch::{WriteBatch, WriteBatchHandler};
