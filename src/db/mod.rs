//! The database (LevelDB's DBImpl). This file holds the state and the
//! public `DB` API; each concern has its own file beside it: `open`
//! (sanitizing options, recovery), `write` (the writer queue and group
//! commit), `read` (lookups, iterators, properties), `flush` (memtable to
//! table), `compaction` (picking and running compactions) and `repair`.
//! Background work, obsolete-file removal and `destroy_db` stay here. The
//! cache of open tables is `table::TableCache`.
//!
//! Invariants:
//! * All mutable state lives in [`State`] behind one mutex, held only where
//!   LevelDB holds its mutex: it is released while the log is written, while
//!   tables are built, while the MANIFEST is written and while files are
//!   deleted.
//! * Writers queue up; only the writer at the head of the queue writes the
//!   log and the memtable (for itself and the writers it groups), so the
//!   log writer needs no lock of its own beyond an uncontended one.
//! * A sequence number becomes visible (`last_sequence`) only after its
//!   batch is in the log and the memtable.
//! * Every table file named by a live version, or being written
//!   (`pending_outputs`), is never deleted.
//! * A background error is sticky: once set, every later write fails with it
//!   and no more background work runs.
//!
//! `DB` is `Send + Sync`; dropping it waits for background work, closes the
//! log and releases the `LOCK`.

pub mod compaction;
mod entries;
mod flush;
pub mod iter;
mod open;
mod output_sync;
mod read;
pub mod read_only;
mod repair;
mod snapshot_view;
mod write;
pub use entries::{Entries, KeyBounds, Keys, Values};
pub use repair::repair_db;
pub use snapshot_view::SnapshotView;

#[cfg(test)]
mod tests;

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering as AtomicOrdering};
use std::sync::Arc;

use parking_lot::{Condvar, Mutex, MutexGuard};

use crate::env::{Env, FileLock, Logger};
use crate::filename::{lock_file_name, parse_file_name, FileType};
use crate::key::{
    internal_key, InternalKeyComparator, LookupOutcome, SequenceNumber, MAX_SEQUENCE,
    VALUE_TYPE_FOR_SEEK,
};
use crate::log;
use crate::memtable::MemTable;
use crate::options::{Options, ReadOptions, WriteOptions};
use crate::snapshot::{Snapshot, SnapshotList};
use crate::status::{Error, Result};
use crate::table::{BlockCache, TableOptions};
use crate::util::padded::Padded;
use crate::version::edit::VersionEdit;
use crate::version::set::{info_log, VersionSet};
use crate::version::version::Version;
use crate::version::NUM_LEVELS;
use crate::write_batch::WriteBatch;

use crate::table::TableCache;
pub use iter::DbIterator;
use write::WriterBatch;

/// Tables kept out of the table cache's budget for other open files.
const NUM_NON_TABLE_CACHE_FILES: usize = 10;

/// The table cache of a database opened with (sanitized) `options`: every
/// open file `max_open_files` allows but the few a database keeps besides
/// tables (LevelDB's sizing).
fn new_table_cache(
    dbname: &str,
    options: &Options,
    table_options: &TableOptions,
    icmp: &InternalKeyComparator,
) -> Arc<TableCache> {
    Arc::new(TableCache::new(
        dbname,
        Arc::clone(&options.env),
        table_options,
        icmp,
        options.max_open_files - NUM_NON_TABLE_CACHE_FILES,
    ))
}

/// Per-level compaction statistics (`leveldb.stats`).
#[derive(Clone, Copy, Default)]
pub(crate) struct CompactionStats {
    pub micros: u64,
    pub bytes_read: u64,
    pub bytes_written: u64,
}

impl CompactionStats {
    fn add(&mut self, other: &CompactionStats) {
        self.micros += other.micros;
        self.bytes_read += other.bytes_read;
        self.bytes_written += other.bytes_written;
    }
}

/// A manual compaction request of `compact_range`.
pub(crate) struct ManualCompaction {
    pub id: u64,
    pub level: usize,
    pub begin: Option<Vec<u8>>,
    pub end: Option<Vec<u8>>,
    pub done: bool,
}

/// Everything guarded by the database mutex.
pub(crate) struct State {
    pub mem: Arc<MemTable>,
    pub imm: Option<Arc<MemTable>>,
    pub logfile_number: u64,
    pub versions: VersionSet,
    /// The writer queue; the front entry is the writer doing the group's
    /// work. `None` is a writer that found the queue empty: it is at the
    /// front from the start, never waits, and so needs no shared state
    /// (an uncontended write allocates nothing for the queue).
    writers: VecDeque<Option<Arc<write::Writer>>>,
    pub bg_scheduled: bool,
    pub bg_error: Option<Error>,
    pub pending_outputs: HashSet<u64>,
    pub manual: Option<ManualCompaction>,
    next_manual_id: u64,
    pub stats: [CompactionStats; NUM_LEVELS],
    lock: Option<Box<dyn FileLock>>,
    seed: u32,
    /// The last [`ReadView`] handed out; see [`State::read_view`].
    read_view: Option<Arc<ReadView>>,
    /// Logs made obsolete by a log switch and not yet closed: closing one
    /// frees its blocks, which the background thread does
    /// ([`DbInner::remove_obsolete_files`]) so that writers do not wait.
    pub obsolete_logs: Vec<log::Writer>,
    /// A compaction has merged tables since freed heap memory was last
    /// given back (see [`release_freed_memory`]).
    pub merged_since_release: bool,
    /// How many times the background thread has done that (for tests).
    pub memory_releases: u64,
}

/// What a read consults, bundled so that a point lookup takes one shared
/// reference (one atomic increment on one cache line that every reader
/// writes) instead of one per memtable and version.
pub(crate) struct ReadView {
    pub mem: Arc<MemTable>,
    pub imm: Option<Arc<MemTable>>,
    pub current: Arc<Version>,
}

impl State {
    /// The view of `mem`, `imm` and the current version. The cached view is
    /// checked against all three before it is reused, so a change that
    /// forgot to clear it still cannot serve stale data; the places that
    /// change them clear it anyway ([`State::forget_read_view`]), so that it
    /// does not keep a flushed memtable or an old version alive.
    fn read_view(&mut self) -> Arc<ReadView> {
        let fresh = self.read_view.as_ref().is_some_and(|v| {
            Arc::ptr_eq(&v.mem, &self.mem)
                && Arc::ptr_eq(&v.current, self.versions.current())
                && match (&v.imm, &self.imm) {
                    (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                    (None, None) => true,
                    _ => false,
                }
        });
        if !fresh {
            self.read_view = Some(Arc::new(ReadView {
                mem: Arc::clone(&self.mem),
                imm: self.imm.clone(),
                current: Arc::clone(self.versions.current()),
            }));
        }
        Arc::clone(self.read_view.as_ref().expect("read view was just set"))
    }

    /// What a read as of `options` consults: the read view, and the
    /// sequence number of its snapshot (or the last one written).
    fn read_point(&mut self, options: &ReadOptions) -> (Arc<ReadView>, SequenceNumber) {
        let sequence = match &options.snapshot {
            Some(s) => s.sequence(),
            None => self.versions.last_sequence(),
        };
        (self.read_view(), sequence)
    }

    /// Drops the cached read view (after `mem`, `imm` or the version changed).
    pub(crate) fn forget_read_view(&mut self) {
        self.read_view = None;
    }
}

/// The log writer, used only by the writer at the head of the queue (and
/// replaced only by it).
struct LogState {
    writer: Option<log::Writer>,
    /// The memtable that holds what `writer`'s records hold: set with the
    /// writer (`switch_to`), and always `State::mem` while a writer uses
    /// it. Kept here so
    /// the head writer, which holds this lock, inserts without taking a
    /// reference on the memtable each write (a locked instruction on a line
    /// readers share).
    memtable: Option<Arc<MemTable>>,
    /// The log before `writer`, kept open while its memtable may still be
    /// unflushed: a later sync write must make its unsynced tail durable
    /// too (see `DbInner::write`). Closed at the next log switch, when its
    /// memtable is surely in a table.
    previous: Option<log::Writer>,
    /// Whether `writer`'s directory entry is known durable.
    dir_synced: bool,
    /// Reused buffer the head writer assembles its group into.
    group: WriteBatch,
}

impl LogState {
    /// Makes `writer` the current log, its records going into `mem` (the
    /// database's new `State::mem`): the one place the two are paired.
    /// Returns the log it replaces.
    fn switch_to(&mut self, writer: log::Writer, mem: &Arc<MemTable>) -> Option<log::Writer> {
        self.memtable = Some(Arc::clone(mem));
        self.writer.replace(writer)
    }
}

pub(crate) struct DbInner {
    pub dbname: String,
    pub env: Arc<dyn Env>,
    /// Sanitized user options (user comparator and filter policy).
    pub options: Options,
    /// Options tables are built and read with (internal-key comparator,
    /// internal filter policy, the block cache).
    pub table_options: TableOptions,
    pub icmp: InternalKeyComparator,
    pub logger: Option<Arc<dyn Logger>>,
    pub table_cache: Arc<TableCache>,
    pub block_cache: Arc<BlockCache>,
    pub snapshots: Arc<SnapshotList>,
    pub state: Mutex<State>,
    /// Signalled whenever background work finishes a step.
    pub bg_cv: Condvar,
    /// Set when the database closes; long background loops stop at it.
    /// This flag and the next are read for every entry a compaction merges,
    /// so each sits on cache lines of its own: beside the write path's
    /// mutexes, which every write takes and releases, each of those reads
    /// had to fetch the line back from the writer's core.
    pub shutting_down: Padded<AtomicBool>,
    /// Whether an immutable memtable waits to be flushed (read without the
    /// mutex by long compactions, which flush it first).
    pub has_imm: Padded<AtomicBool>,
    /// Input bytes a part of a split compaction must have at least, when
    /// not 0 (the default: one output file's worth). Tests lower it so
    /// that small databases split their compactions too.
    pub min_compaction_part_bytes: AtomicU64,
    log: Mutex<LogState>,
    /// Taken by every write that does not sync, before the writer queue:
    /// see `DbInner::write` for why. The standard library's mutex, not
    /// parking_lot's: when contended, it spins briefly and then sleeps on
    /// a futex, where parking_lot's spins by calling `sched_yield`; with
    /// more writer threads than cores those yields become a storm of
    /// context switches (438 000 in 800 000 writes with 4 threads on 2
    /// cores, against 2 200 here; benches/RESULTS.md, "Writer threads and write latency").
    serial_writers: std::sync::Mutex<()>,
    /// Background closures still holding a reference (see `DB::drop`).
    background_jobs: Arc<BackgroundJobs>,
    /// Last, so that it is dropped after everything above (memtables,
    /// tables, caches) has been freed.
    _release_freed_memory: ReleaseFreedMemory,
}

/// Gives back to the operating system the heap memory a closed database
/// leaves free. glibc's `malloc` keeps freed memory for reuse, so without
/// this a process's resident set stays as large as its largest database
/// ever made it (two full memtables, the last tables' buffers) after that
/// database is closed. LevelDB 1.23 does not do this; it is not
/// observable but in the resident set, and it costs a close well under a
/// millisecond.
#[derive(Default)]
struct ReleaseFreedMemory;

impl Drop for ReleaseFreedMemory {
    fn drop(&mut self) {
        release_freed_memory();
    }
}

/// Returns the free pages of malloc's heaps to the operating system.
///
/// Besides a database's close, this runs when the background thread goes
/// idle after a compaction that merged tables. A merge allocates and frees
/// megabytes of block and output buffers, on threads that may not run
/// again for a while, and glibc keeps all of it: its trim threshold rises
/// with the largest buffer it has freed, and the arenas of exited threads
/// are not trimmed at all. Without this, db_bench's reads after `compact`
/// peaked 9-12% over LevelDB's resident set; with it, 0-6%. Not after
/// flushes: the writer reuses a flushed memtable's memory for the next
/// one, and giving it back would make the writer fault it in again. The
/// call takes 0.2-1.5 ms (it walks every arena's free chunks) and runs
/// without the DB mutex.
pub(crate) fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes no pointers and has no preconditions;
    // it only returns free pages of malloc's heaps to the kernel.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// A LevelDB database: a persistent, ordered map from byte-string keys to
/// byte-string values, in LevelDB 1.23's on-disk format.
///
/// Open one with [`DB::open`]; it is closed when dropped (background work
/// is waited for and the directory's `LOCK` released).
///
/// Reads:
/// * [`get`](DB::get) one key;
/// * [`range`](DB::range), [`prefix`](DB::prefix) and
///   [`entries`](DB::entries): Rust iterators over `(key, value)` pairs,
///   double-ended (`.rev()`), with `Result` items;
/// * [`snapshot_view`](DB::snapshot_view): a frozen view to read from while
///   writes go on;
/// * [`iter`](DB::iter): LevelDB's cursor, seekable both ways, reading
///   entries in place.
///
/// Writes: [`put`](DB::put), [`delete`](DB::delete), and
/// [`write`](DB::write) of a [`WriteBatch`] applied atomically.
///
/// **Threads**: `DB` is `Send + Sync`. Every method takes `&self`, so
/// threads share one database by reference (`std::thread::scope`) or
/// through an `Arc<DB>`, with no lock of their own: writers queue up and
/// are committed in groups, readers take a consistent view under a short
/// internal lock and then read without it, as in LevelDB, whose `DB` is
/// safe for concurrent use without external synchronization.
///
/// ```
/// # fn main() -> Result<(), leveldb::Error> {
/// # let dir = tempfile::tempdir().unwrap();
/// use leveldb::{Options, ReadOptions, WriteOptions, DB};
///
/// let db = DB::open(Options { create_if_missing: true, ..Options::default() }, dir.path())?;
/// std::thread::scope(|s| {
///     for t in 0..4u8 {
///         let db = &db;
///         s.spawn(move || db.put(&WriteOptions::default(), &[t], b"written").unwrap());
///     }
/// });
/// assert_eq!(db.entries().count(), 4);
/// assert_eq!(db.get(&ReadOptions::new(), &[2])?.as_deref(), Some(&b"written"[..]));
/// # Ok(())
/// # }
/// ```
pub struct DB {
    inner: Arc<DbInner>,
}

impl std::fmt::Debug for DB {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DB")
            .field("name", &self.inner.dbname)
            .finish_non_exhaustive()
    }
}

impl DB {
    /// Sets `key` to `value` (LevelDB's `Put`), replacing any value it had.
    /// With `options.sync` the write is on stable storage before this
    /// returns.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let db = leveldb::DB::open(leveldb::Options { create_if_missing: true, ..Default::default() }, dir.path()).unwrap();
    /// use leveldb::{ReadOptions, WriteOptions};
    ///
    /// db.put(&WriteOptions::default(), b"color", b"red").unwrap();
    /// db.put(&WriteOptions { sync: true }, b"color", b"blue").unwrap();
    /// assert_eq!(db.get(&ReadOptions::new(), b"color").unwrap(), Some(b"blue".to_vec()));
    /// ```
    pub fn put(&self, options: &WriteOptions, key: &[u8], value: &[u8]) -> Result<()> {
        let mut batch = WriteBatch::new();
        batch.put(key, value);
        self.inner
            .write(options, Some(WriterBatch::Own(&mut batch)))
    }

    /// Removes `key` (LevelDB's `Delete`); removing a missing key is not an
    /// error.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let db = leveldb::DB::open(leveldb::Options { create_if_missing: true, ..Default::default() }, dir.path()).unwrap();
    /// use leveldb::{ReadOptions, WriteOptions};
    ///
    /// db.put(&WriteOptions::default(), b"k", b"v").unwrap();
    /// db.delete(&WriteOptions::default(), b"k").unwrap();
    /// db.delete(&WriteOptions::default(), b"never there").unwrap();
    /// assert_eq!(db.get(&ReadOptions::new(), b"k").unwrap(), None);
    /// ```
    pub fn delete(&self, options: &WriteOptions, key: &[u8]) -> Result<()> {
        let mut batch = WriteBatch::new();
        batch.delete(key);
        self.inner
            .write(options, Some(WriterBatch::Own(&mut batch)))
    }

    /// Applies `batch` atomically (LevelDB's `Write`): readers see all of
    /// its operations or none, and after a crash the database holds all or
    /// none of them.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let db = leveldb::DB::open(leveldb::Options { create_if_missing: true, ..Default::default() }, dir.path()).unwrap();
    /// use leveldb::{WriteBatch, WriteOptions};
    ///
    /// let mut batch = WriteBatch::new();
    /// batch.put(b"from", b"0");
    /// batch.put(b"to", b"100");
    /// batch.delete(b"pending");
    /// db.write(&WriteOptions::default(), &batch).unwrap();
    /// assert_eq!(db.entries().count(), 2);
    /// ```
    pub fn write(&self, options: &WriteOptions, batch: &WriteBatch) -> Result<()> {
        self.inner.write(options, Some(WriterBatch::Caller(batch)))
    }

    /// As [`DB::write`], but the batch's sequence number may be set in
    /// place, as LevelDB's `Write` does: a batch that is written alone then
    /// goes to the log without being copied. Its operations are unchanged.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let db = leveldb::DB::open(leveldb::Options { create_if_missing: true, ..Default::default() }, dir.path()).unwrap();
    /// let mut batch = leveldb::WriteBatch::new();
    /// batch.put(b"k", b"v");
    /// db.write_in_place(&Default::default(), &mut batch).unwrap();
    /// assert_eq!(batch.count(), 1);
    /// ```
    pub fn write_in_place(&self, options: &WriteOptions, batch: &mut WriteBatch) -> Result<()> {
        self.inner.write(options, Some(WriterBatch::Own(batch)))
    }

    /// The value of `key`, `None` if absent (LevelDB's `Get`, whose
    /// `NotFound` status becomes `Ok(None)`), as of now or of
    /// `options.snapshot`.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let db = leveldb::DB::open(leveldb::Options { create_if_missing: true, ..Default::default() }, dir.path()).unwrap();
    /// use leveldb::{ReadOptions, WriteOptions};
    ///
    /// db.put(&WriteOptions::default(), b"k", b"v").unwrap();
    /// assert_eq!(db.get(&ReadOptions::new(), b"k").unwrap(), Some(b"v".to_vec()));
    /// assert_eq!(db.get(&ReadOptions::new(), b"other").unwrap(), None);
    /// ```
    pub fn get(&self, options: &ReadOptions, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.get_with(options, key, <[u8]>::to_vec)
    }

    /// `f` of the value of `key`, `None` if absent. `f` sees the value where
    /// it is stored, so a caller that copies it into its own buffer copies
    /// it once. `f` runs at most once, and only for a lookup that then
    /// succeeds: nothing after the value is found can fail.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let db = leveldb::DB::open(leveldb::Options { create_if_missing: true, ..Default::default() }, dir.path()).unwrap();
    /// db.put(&Default::default(), b"k", b"a long value").unwrap();
    /// let len = db.get_with(&Default::default(), b"k", |v| v.len()).unwrap();
    /// assert_eq!(len, Some(12));
    /// ```
    pub fn get_with<R>(
        &self,
        options: &ReadOptions,
        key: &[u8],
        f: impl FnOnce(&[u8]) -> R,
    ) -> Result<Option<R>> {
        let mut f = Some(f);
        let mut out = None;
        let found = self.inner.get(options, key, &mut |value| {
            if let Some(f) = f.take() {
                out = Some(f(value));
            }
        })?;
        Ok(match found {
            LookupOutcome::Found => out,
            LookupOutcome::Deleted | LookupOutcome::Missing => None,
        })
    }

    /// LevelDB's cursor over the database as of now (or
    /// `options.snapshot`): a [`DbIterator`], driven through the
    /// [`Iterator`](crate::Iterator) trait (`seek`, `next`, `prev`, `key`,
    /// `value`, `status`), that reads entries in place. For a Rust
    /// iterator, see [`DB::range`], [`DB::prefix`] and [`DB::entries`].
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let db = leveldb::DB::open(leveldb::Options { create_if_missing: true, ..Default::default() }, dir.path()).unwrap();
    /// use leveldb::{Iterator as _, ReadOptions};
    ///
    /// for k in [b"a", b"b", b"c"] {
    ///     db.put(&Default::default(), k, b"").unwrap();
    /// }
    /// let mut it = db.iter(&ReadOptions::new());
    /// it.seek(b"b");
    /// assert!(it.valid() && it.key() == b"b");
    /// it.prev();
    /// assert_eq!(it.key(), b"a");
    /// it.prev();
    /// assert!(!it.valid());
    /// it.status().unwrap();
    /// ```
    pub fn iter(&self, options: &ReadOptions) -> DbIterator {
        self.inner.new_iterator(options)
    }

    /// A snapshot of the current state, as LevelDB's `GetSnapshot`: a
    /// handle to put in [`ReadOptions::snapshot`], released when its last
    /// clone is dropped. It is not tied to a borrow of the database (the C
    /// and C++ APIs hand it out); [`DB::snapshot_view`] gives one that is,
    /// with reads of its own.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let db = leveldb::DB::open(leveldb::Options { create_if_missing: true, ..Default::default() }, dir.path()).unwrap();
    /// use leveldb::{ReadOptions, WriteOptions};
    ///
    /// db.put(&WriteOptions::default(), b"k", b"old").unwrap();
    /// let at_old = ReadOptions { snapshot: Some(db.snapshot()), ..ReadOptions::new() };
    /// db.put(&WriteOptions::default(), b"k", b"new").unwrap();
    /// assert_eq!(db.get(&at_old, b"k").unwrap(), Some(b"old".to_vec()));
    /// ```
    pub fn snapshot(&self) -> Snapshot {
        let guard = self.inner.state.lock();
        self.inner.snapshots.acquire(guard.versions.last_sequence())
    }

    /// A LevelDB property, `None` for an unknown name:
    /// `leveldb.num-files-at-level<N>`, `leveldb.stats`,
    /// `leveldb.sstables` and `leveldb.approximate-memory-usage`, with
    /// LevelDB's texts.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let db = leveldb::DB::open(leveldb::Options { create_if_missing: true, ..Default::default() }, dir.path()).unwrap();
    /// assert_eq!(db.property("leveldb.num-files-at-level0").as_deref(), Some("0"));
    /// assert!(db.property("leveldb.stats").unwrap().contains("Compactions"));
    /// assert_eq!(db.property("no.such.property"), None);
    /// ```
    pub fn property(&self, name: &str) -> Option<String> {
        self.inner.property(name)
    }

    /// Approximate bytes of table data in each `[start, limit)` range
    /// (LevelDB's `GetApproximateSizes`); data still in memory counts 0.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let db = leveldb::DB::open(leveldb::Options { create_if_missing: true, ..Default::default() }, dir.path()).unwrap();
    /// for i in 0..1000u32 {
    ///     db.put(&Default::default(), format!("k{i:04}").as_bytes(), &[7; 100]).unwrap();
    /// }
    /// db.compact_range(None, None).unwrap();
    /// let sizes = db.approximate_sizes(&[(b"k0000", b"k0500"), (b"x", b"y")]);
    /// assert!(sizes[0] > 0 && sizes[1] == 0, "{sizes:?}");
    /// ```
    pub fn approximate_sizes(&self, ranges: &[(&[u8], &[u8])]) -> Vec<u64> {
        let version = Arc::clone(self.inner.state.lock().versions.current());
        ranges
            .iter()
            .map(|(start, limit)| {
                let k1 = internal_key(start, MAX_SEQUENCE, VALUE_TYPE_FOR_SEEK);
                let k2 = internal_key(limit, MAX_SEQUENCE, VALUE_TYPE_FOR_SEEK);
                let a = version.approximate_offset_of(&k1);
                let b = version.approximate_offset_of(&k2);
                b.saturating_sub(a)
            })
            .collect()
    }

    /// Compacts the key range `[begin, end]` (`None` = unbounded) down the
    /// levels (LevelDB's `CompactRange`): deleted and overwritten entries
    /// in it are dropped from the files. Waits until done.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let db = leveldb::DB::open(leveldb::Options { create_if_missing: true, ..Default::default() }, dir.path()).unwrap();
    /// db.put(&Default::default(), b"k", b"v").unwrap();
    /// db.compact_range(None, None).unwrap();
    /// assert_eq!(db.property("leveldb.num-files-at-level0").as_deref(), Some("0"));
    /// ```
    pub fn compact_range(&self, begin: Option<&[u8]>, end: Option<&[u8]>) -> Result<()> {
        self.inner.compact_range(begin, end)
    }

    /// Flushes the memtable to a table and waits for it (what
    /// `compact_range` does first).
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let db = leveldb::DB::open(leveldb::Options { create_if_missing: true, ..Default::default() }, dir.path()).unwrap();
    /// db.put(&Default::default(), b"k", b"v").unwrap();
    /// db.flush_memtable().unwrap();
    /// assert!(db.property("leveldb.sstables").unwrap().contains("k"));
    /// ```
    pub fn flush_memtable(&self) -> Result<()> {
        self.inner.flush_memtable()
    }
}

impl Drop for DB {
    fn drop(&mut self) {
        let inner = &self.inner;
        inner.shutting_down.store(true, AtomicOrdering::Release);
        let mut guard = inner.state.lock();
        while guard.bg_scheduled {
            inner.bg_cv.wait(&mut guard);
        }
        {
            let mut log_state = inner.log.lock();
            log_state.memtable = None;
            for mut w in [log_state.writer.take(), log_state.previous.take()]
                .into_iter()
                .flatten()
            {
                let _ = w.file_mut().close();
            }
        }
        for mut w in std::mem::take(&mut guard.obsolete_logs) {
            let _ = w.file_mut().discard();
        }
        guard.lock = None;
        drop(guard);
        // A finished background job clears `bg_scheduled` while its closure
        // still holds a reference to the database; wait until every such
        // closure has let go, so that what the database holds (the user's
        // comparator, filter policy, cache) is released by the time close
        // returns, as in LevelDB, and not later on the background thread.
        inner.background_jobs.wait_until_released();
    }
}

/// Counts the background closures that still hold a reference to a
/// database. Shared through its own `Arc`, so that a closure can report its
/// release after dropping its reference to the database.
#[derive(Default)]
pub(crate) struct BackgroundJobs {
    alive: Mutex<usize>,
    released: Condvar,
}

impl BackgroundJobs {
    fn start(&self) {
        *self.alive.lock() += 1;
    }

    fn release(&self) {
        let mut alive = self.alive.lock();
        *alive -= 1;
        if *alive == 0 {
            self.released.notify_all();
        }
    }

    fn wait_until_released(&self) {
        let mut alive = self.alive.lock();
        while *alive > 0 {
            self.released.wait(&mut alive);
        }
    }
}

impl DbInner {
    fn log(&self, message: &str) {
        info_log(&self.logger, message);
    }

    /// A fresh memtable for this database's write buffer.
    fn new_memtable(&self) -> Arc<MemTable> {
        Arc::new(MemTable::with_key_filter(
            self.icmp.clone(),
            self.options.write_buffer_size,
        ))
    }

    /// Records `edit` in the MANIFEST (with the mutex released during the
    /// write) and installs the resulting version.
    pub(crate) fn log_and_apply(
        &self,
        guard: &mut MutexGuard<'_, State>,
        edit: &mut VersionEdit,
    ) -> Result<()> {
        // Every failed MANIFEST write becomes the sticky background error,
        // and may leave the MANIFEST ending in a cut-short record: an edit
        // appended after it would make the MANIFEST unreadable. A
        // compaction that flushed the memtable midway (and failed there)
        // would otherwise go on to do just that, as LevelDB 1.23 does.
        if let Some(e) = &guard.bg_error {
            return Err(e.clone());
        }
        let mut pending = guard.versions.prepare_apply(edit)?;
        let result = MutexGuard::unlocked(guard, || {
            pending.write(self.env.as_ref(), &self.dbname, &self.logger)
        });
        let applied = guard.versions.finish_apply(pending, result);
        guard.forget_read_view();
        applied
    }

    pub(crate) fn record_background_error(&self, guard: &mut MutexGuard<'_, State>, e: Error) {
        if guard.bg_error.is_none() {
            guard.bg_error = Some(e);
            self.bg_cv.notify_all();
        }
    }

    /// Deletes files no longer needed: old logs and MANIFESTs, and tables
    /// no live version names (including orphans of interrupted work).
    pub(crate) fn remove_obsolete_files(&self, guard: &mut MutexGuard<'_, State>) {
        if guard.bg_error.is_some() {
            // After a background error we cannot know whether a new version
            // was committed, so nothing may be deleted.
            return;
        }
        let mut live = guard.pending_outputs.clone();
        guard.versions.add_live_files(&mut live);
        let Ok(children) = self.env.get_children(&self.dbname) else {
            return;
        };
        let log_number = guard.versions.log_number();
        let prev_log_number = guard.versions.prev_log_number();
        let manifest_number = guard.versions.manifest_file_number();
        let mut to_delete = Vec::new();
        for name in children {
            let Some((number, file_type)) = parse_file_name(&name) else {
                continue;
            };
            let keep = match file_type {
                FileType::Log => number >= log_number || number == prev_log_number,
                FileType::Descriptor => number >= manifest_number,
                FileType::Table | FileType::Temp => live.contains(&number),
                FileType::Current | FileType::DbLock | FileType::InfoLog => true,
            };
            if !keep {
                if file_type == FileType::Table {
                    self.table_cache.evict(number);
                }
                self.log(&format!("Delete type={} #{}\n", file_type as u8, number));
                to_delete.push(name);
            }
        }
        let obsolete_logs = std::mem::take(&mut guard.obsolete_logs);
        MutexGuard::unlocked(guard, || {
            for name in to_delete {
                let _ = self.env.remove_file(&format!("{}/{}", self.dbname, name));
            }
            // Their contents are in tables; a failed close loses nothing.
            for mut w in obsolete_logs {
                let _ = w.file_mut().discard();
            }
        });
    }

    pub(crate) fn maybe_schedule_compaction(self: &Arc<Self>, guard: &mut MutexGuard<'_, State>) {
        if guard.bg_scheduled
            || self.shutting_down.load(AtomicOrdering::Acquire)
            || guard.bg_error.is_some()
        {
            return;
        }
        let manual_pending = guard.manual.as_ref().is_some_and(|m| !m.done);
        if guard.imm.is_none() && !manual_pending && !guard.versions.needs_compaction() {
            return;
        }
        guard.bg_scheduled = true;
        let inner = Arc::clone(self);
        let jobs = Arc::clone(&self.background_jobs);
        jobs.start();
        self.env.schedule(Box::new(move || {
            inner.background_call();
            drop(inner);
            jobs.release();
        }));
    }

    fn background_call(self: &Arc<Self>) {
        let mut guard = self.state.lock();
        debug_assert!(guard.bg_scheduled);
        if !self.shutting_down.load(AtomicOrdering::Acquire) && guard.bg_error.is_none() {
            // A panic in a flush or compaction (a bug, or a user comparator
            // or filter policy that panics) must not leave `bg_scheduled`
            // set: close would wait for it forever and writers would stall.
            // It becomes the sticky background error instead. The guard is
            // held again when the panic arrives here (parking_lot relocks
            // an `unlocked` section on unwind).
            let work = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                self.background_compaction(&mut guard)
            }));
            if let Err(payload) = work {
                let what = crate::status::panic_message(payload.as_ref());
                let e = Error::io_error(format!("panic in background work: {what}"));
                self.record_background_error(&mut guard, e);
            }
        }
        guard.bg_scheduled = false;
        // The previous work may have produced too many files in a level.
        self.maybe_schedule_compaction(&mut guard);
        // Idle after a merge: give back what the merge freed.
        if !guard.bg_scheduled && std::mem::take(&mut guard.merged_since_release) {
            guard.memory_releases += 1;
            MutexGuard::unlocked(&mut guard, release_freed_memory);
        }
        self.bg_cv.notify_all();
    }
}

/// The database name `path` as the [`Env`] takes it: a UTF-8 string.
pub(crate) fn utf8_name(path: &std::path::Path) -> Result<&str> {
    path.to_str().ok_or_else(|| {
        Error::invalid_argument(format!(
            "{}: database name is not valid UTF-8",
            path.display()
        ))
    })
}

/// Deletes the database in the directory `name` (LevelDB's `DestroyDB`):
/// every file whose name LevelDB recognises, then the directory if that
/// leaves it empty. A missing directory is not an error; a database open
/// elsewhere is (its `LOCK` is held). `name` must be valid UTF-8.
///
/// ```
/// # fn main() -> Result<(), leveldb::Error> {
/// # let dir = tempfile::tempdir().unwrap();
/// use leveldb::{destroy_db, Options, DB};
///
/// let path = dir.path().join("db");
/// let db = DB::open(Options { create_if_missing: true, ..Options::default() }, &path)?;
/// assert!(destroy_db(&path, &Options::default()).is_err(), "still open");
/// drop(db);
/// destroy_db(&path, &Options::default())?;
/// assert!(!path.exists());
/// # Ok(())
/// # }
/// ```
pub fn destroy_db(name: impl AsRef<std::path::Path>, options: &Options) -> Result<()> {
    let dbname = utf8_name(name.as_ref())?;
    let env = Arc::clone(&options.env);
    let Ok(children) = env.get_children(dbname) else {
        // Nothing to destroy.
        return Ok(());
    };
    let lockname = lock_file_name(dbname);
    let lock = env.lock_file(&lockname)?;
    let mut result = Ok(());
    for name in &children {
        if let Some((_, file_type)) = parse_file_name(name) {
            if file_type != FileType::DbLock {
                if let Err(e) = env.remove_file(&format!("{dbname}/{name}")) {
                    if result.is_ok() {
                        result = Err(e);
                    }
                }
            }
        }
    }
    drop(lock);
    let _ = env.remove_file(&lockname);
    let _ = env.remove_dir(dbname);
    result
}
