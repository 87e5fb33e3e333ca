//! Strata: LevelDB 1.23, rebuilt in Rust, behind LevelDB's own C ABI.
//!
//! The engine modules mirror LevelDB's own layout (`util`, `log`, `table`,
//! `memtable`, `version`, `db`); `ffi` is the only code that speaks C and
//! is a thin layer over the safe Rust API re-exported here. Every on-disk
//! format is byte-compatible with LevelDB 1.23 (see `docs/formats.md`).
//!
//! ```
//! use leveldb::{Iterator as _, Options, ReadOptions, WriteBatch, WriteOptions, DB};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let name = dir.path().join("db");
//! let options = Options { create_if_missing: true, ..Options::default() };
//! let db = DB::open(options, name.to_str().unwrap()).unwrap();
//! db.put(&WriteOptions::default(), b"a", b"1").unwrap();
//! let mut batch = WriteBatch::new();
//! batch.put(b"b", b"2");
//! batch.delete(b"a");
//! db.write(&WriteOptions { sync: true }, &batch).unwrap();
//! assert_eq!(db.get(&ReadOptions::new(), b"a").unwrap(), None);
//!
//! let mut it = db.iter(&ReadOptions::new());
//! it.seek_to_first();
//! assert!(it.valid() && it.key() == b"b" && it.value() == b"2");
//! ```

pub(crate) mod db;
#[doc(hidden)]
pub mod dump;
pub mod env;
#[doc(hidden)]
pub mod filename;
pub mod filter;
pub mod iterator;
#[doc(hidden)]
pub mod key;
#[doc(hidden)]
pub mod log;
#[doc(hidden)]
pub mod memtable;
pub(crate) mod options;
pub(crate) mod snapshot;
pub(crate) mod status;
#[doc(hidden)]
pub mod table;
#[doc(hidden)]
pub mod util;
#[doc(hidden)]
pub mod version;
pub mod write_batch;

#[doc(hidden)]
pub mod ffi;

pub use db::{
    destroy_db, repair_db, DbIterator, Entries, KeyBounds, Keys, SnapshotView, Values, DB,
};
pub use env::{Env, Logger};
pub use filter::FilterPolicy;
pub use iterator::InternalIterator as Iterator;
pub use options::{CompressionType, Options, ReadOptions, WriteOptions};
pub use snapshot::Snapshot;
pub use status::{Code, Error, Result};
pub use table::BlockCache;
pub use util::bloom::BloomFilterPolicy;
pub use util::comparator::{BytewiseComparator, Comparator};
pub use write_batch::{WriteBatch, WriteBatchHandler};
