//! Strata: LevelDB 1.23, rebuilt in Rust, behind LevelDB's own C and C++
//! ABI. This crate (library name `leveldb`) is also a Rust API over the
//! same engine: databases it writes open in LevelDB 1.23 and the reverse
//! (see `docs/formats.md`).
//!
//! ```
//! # fn main() -> Result<(), leveldb::Error> {
//! # let dir = tempfile::tempdir().unwrap();
//! # let path = dir.path().join("db");
//! use leveldb::{Options, ReadOptions, WriteBatch, WriteOptions, DB};
//!
//! let db = DB::open(Options { create_if_missing: true, ..Options::default() }, &path)?;
//! db.put(&WriteOptions::default(), b"user:1", b"ada")?;
//!
//! let mut batch = WriteBatch::new(); // applied atomically
//! batch.put(b"user:2", b"grace");
//! batch.delete(b"user:1");
//! db.write(&WriteOptions { sync: true }, &batch)?;
//! assert_eq!(db.get(&ReadOptions::new(), b"user:1")?, None);
//!
//! let view = db.snapshot_view(); // a frozen view, tied to `db`
//! db.put(&WriteOptions::default(), b"user:3", b"linus")?;
//!
//! for entry in db.prefix("user:").rev() {
//!     let (key, value) = entry?; // read errors are items
//!     println!("{} = {}", key.escape_ascii(), value.escape_ascii());
//! }
//! assert_eq!(db.range("user:2".."user:3").count(), 1);
//! assert_eq!(view.entries().count(), 1);
//! # Ok(())
//! # }
//! ```
//!
//! * [`DB`]: open, `put`/`delete`/`write`, `get`; scans as Rust iterators
//!   ([`DB::range`], [`DB::prefix`], [`DB::entries`]: [`Entries`],
//!   double-ended, `Result` items); [`SnapshotView`]s; LevelDB's own cursor
//!   ([`DB::iter`], the [`Iterator`] trait) for reading in place; properties,
//!   compaction, [`repair_db`], [`destroy_db`].
//! * [`Options`], [`ReadOptions`], [`WriteOptions`]: plain structs with
//!   LevelDB 1.23's defaults, built with struct-update syntax.
//! * [`Error`]: a [`std::error::Error`] carrying LevelDB's [`Code`], printed
//!   as LevelDB prints its `Status`.
//! * Threads: [`DB`] is `Send + Sync` and shared by reference or `Arc`;
//!   scans and cursors are `Send`.
//! * Extension points, as in LevelDB: [`Comparator`], [`FilterPolicy`]
//!   ([`BloomFilterPolicy`]), [`BlockCache`], [`Env`] (POSIX or
//!   [`env::mem::MemEnv`]), [`Logger`].
//!
//! The engine's modules mirror LevelDB's own layout (`util`, `log`,
//! `table`, `memtable`, `version`, `db`) and are hidden from these docs;
//! `ffi` is the C ABI, a thin layer over this API.

#![warn(missing_docs)]

pub(crate) mod db;
#[doc(hidden)]
pub mod dump;
pub mod env;
#[doc(hidden)]
pub mod filename;
pub mod filter;
#[doc(hidden)]
pub mod inspect;
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
mod thread_safety;
#[doc(hidden)]
pub mod util;
#[doc(hidden)]
pub mod version;
pub mod write_batch;

// Its doc comments are the text of `leveldb/c.h` (cbindgen copies them),
// written for C readers: `<N>` there is not HTML.
#[doc(hidden)]
#[allow(rustdoc::invalid_html_tags)]
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
