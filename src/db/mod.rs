//! The database (LevelDB's DBImpl): open and recovery, the write path with
//! group commit, point reads, iterators, snapshots, memtable flushes and
//! compactions on a background thread, obsolete-file removal, properties,
//! and `destroy_db`.
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
pub mod iter;
mod repair;
pub use repair::repair_db;
pub mod table_cache;
#[cfg(test)]
mod tests;

use std::collections::{BTreeSet, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};
use std::sync::Arc;

use parking_lot::{Condvar, Mutex, MutexGuard};

use crate::env::{Env, FileLock, Logger};
use crate::filename::{
    current_file_name, descriptor_file_name, info_log_file_name, lock_file_name, log_file_name,
    old_info_log_file_name, parse_file_name, set_current_file, table_file_name, FileType,
};
use crate::iterator::InternalIterator;
use crate::key::{
    internal_key, InternalKeyComparator, LookupKey, LookupOutcome, SequenceNumber, ValueType,
    MAX_SEQUENCE, VALUE_TYPE_FOR_SEEK,
};
use crate::log;
use crate::memtable::MemTable;
use crate::options::{Options, ReadOptions, WriteOptions};
use crate::snapshot::{Snapshot, SnapshotList};
use crate::status::{Code, Error, Result};
use crate::table::{BlockCache, InternalFilterPolicy, TableBuilder};
use crate::util::bloom;
use crate::util::comparator::Comparator;
use crate::version::edit::{FileMetaData, VersionEdit};
use crate::version::set::{info_log, VersionSet};
use crate::version::version::{GetStats, Version};
use crate::version::{
    FLUSH_KEY_FILTER_MAX_LEVEL, KEY_FILTER_MAX_LEVEL, L0_SLOWDOWN_WRITES_TRIGGER,
    L0_STOP_WRITES_TRIGGER, NUM_LEVELS,
};
use crate::write_batch::{WriteBatch, WriteBatchHandler, HEADER_SIZE};

pub use iter::DbIterator;
use table_cache::TableCache;

/// Tables kept out of the table cache's budget for other open files.
const NUM_NON_TABLE_CACHE_FILES: usize = 10;

/// Bits per key of the in-memory filters of tables at levels 0 to
/// `KEY_FILTER_MAX_LEVEL`
/// (`FileMetaData::key_filter`), at least: about 1% false positives, as
/// LevelDB's recommended `NewBloomFilterPolicy(10)`.
const KEY_FILTER_BITS_PER_KEY: usize = 10;

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

/// A writer waiting in the queue.
struct Writer {
    /// The batch, copied only when the writer had to queue behind another;
    /// the head writer uses the caller's batch directly.
    batch: Option<WriteBatch>,
    sync: bool,
    outcome: Mutex<Option<Result<()>>>,
    cv: Condvar,
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
    writers: VecDeque<Option<Arc<Writer>>>,
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
    /// Reused buffer the head writer assembles its group into.
    group: WriteBatch,
}

pub(crate) struct DbInner {
    pub dbname: String,
    pub env: Arc<dyn Env>,
    /// Sanitized user options (user comparator and filter policy).
    pub options: Options,
    /// Options tables are built and read with (internal-key comparator,
    /// internal filter policy, the block cache).
    pub table_options: Options,
    pub icmp: InternalKeyComparator,
    pub logger: Option<Arc<dyn Logger>>,
    pub table_cache: Arc<TableCache>,
    pub block_cache: Arc<BlockCache>,
    pub snapshots: Arc<SnapshotList>,
    pub state: Mutex<State>,
    /// Signalled whenever background work finishes a step.
    pub bg_cv: Condvar,
    pub shutting_down: AtomicBool,
    /// Whether an immutable memtable waits to be flushed (read without the
    /// mutex by long compactions, which flush it first).
    pub has_imm: AtomicBool,
    log: Mutex<LogState>,
}

/// A LevelDB database.
pub struct DB {
    inner: Arc<DbInner>,
}

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
fn insert_into(batch: &WriteBatch, mem: &MemTable) -> Result<()> {
    let mut inserter = MemTableInserter {
        sequence: batch.sequence(),
        mem,
    };
    batch.iterate(&mut inserter)
}

/// Writes the entries of `iter` to table `number`, syncs and verifies it.
/// Returns the file's metadata; `file_size` 0 means there was nothing to
/// write (and no file is left behind). Each entry's user key is also added
/// to `key_filter`, if given.
pub(crate) fn build_table(
    dbname: &str,
    env: &dyn Env,
    table_options: &Options,
    table_cache: &TableCache,
    iter: &mut dyn InternalIterator,
    number: u64,
    mut key_filter: Option<&mut bloom::FilterBuilder>,
) -> Result<FileMetaData> {
    let mut meta = FileMetaData::new(number, 0, Vec::new(), Vec::new());
    let fname = table_file_name(dbname, number);
    iter.seek_to_first();
    let mut result = Ok(());
    if iter.valid() {
        result = (|| {
            let file = env.new_writable_file(&fname)?;
            let mut builder = TableBuilder::new(table_options, file);
            meta.smallest = iter.key().to_vec();
            let mut last_key_len = 0;
            while iter.valid() {
                let key = iter.key();
                builder.add(key, iter.value());
                if let Some(filter) = key_filter.as_deref_mut() {
                    filter.add_key(crate::key::extract_user_key(key));
                }
                last_key_len = key.len();
                meta.largest.clear();
                meta.largest.extend_from_slice(key);
                iter.next();
            }
            debug_assert!(last_key_len > 0 || meta.largest.is_empty());
            builder.finish()?;
            meta.file_size = builder.file_size();
            builder.file_mut().sync()?;
            builder.file_mut().close()?;
            // Make sure the table is readable before it is used.
            let check = table_cache.iter(&ReadOptions::new(), number, meta.file_size);
            check.status()
        })();
    }
    if let Err(e) = iter.status() {
        result = Err(e);
    }
    if result.is_err() || meta.file_size == 0 {
        let _ = env.remove_file(&fname);
        meta.file_size = 0;
    }
    result.map(|_| meta)
}

/// What LevelDB's SanitizeOptions produces.
pub(crate) struct Sanitized {
    /// The user's options, clamped.
    pub options: Options,
    /// Options for tables: internal-key comparator, internal filter
    /// policy, the block cache, the info log.
    pub table_options: Options,
    pub logger: Option<Arc<dyn Logger>>,
    pub block_cache: Arc<BlockCache>,
    pub icmp: InternalKeyComparator,
}

/// Clamps the options and supplies what is missing: an info log `LOG` in
/// the database directory (the old one kept as `LOG.old`) and an 8 MiB
/// block cache.
pub(crate) fn sanitize_options(dbname: &str, options: &Options) -> Sanitized {
    let options = options.sanitized();
    let env = Arc::clone(&options.env);
    let logger = match &options.info_log {
        Some(l) => Some(Arc::clone(l)),
        None => {
            // Errors are ignored: without a directory or a LOG the open
            // reports the real problem, and logging is best effort.
            let _ = env.create_dir(dbname);
            let _ = env.rename_file(&info_log_file_name(dbname), &old_info_log_file_name(dbname));
            env.new_logger(&info_log_file_name(dbname)).ok()
        }
    };
    let block_cache = options
        .block_cache
        .clone()
        .unwrap_or_else(|| Arc::new(BlockCache::new(8 << 20)));
    let icmp = InternalKeyComparator::new(Arc::clone(&options.comparator));
    let mut table_options = options.clone();
    table_options.comparator = Arc::new(icmp.clone());
    table_options.filter_policy = options
        .filter_policy
        .as_ref()
        .map(|p| Arc::new(InternalFilterPolicy::new(Arc::clone(p))) as _);
    table_options.block_cache = Some(Arc::clone(&block_cache));
    table_options.info_log = logger.clone();
    Sanitized {
        options,
        table_options,
        logger,
        block_cache,
        icmp,
    }
}

impl DB {
    /// Opens (or creates) the database at `dbname` (LevelDB's DB::Open).
    pub fn open(options: Options, dbname: &str) -> Result<DB> {
        let Sanitized {
            options,
            table_options,
            logger,
            block_cache,
            icmp,
        } = sanitize_options(dbname, &options);
        let env = Arc::clone(&options.env);
        let table_cache = Arc::new(TableCache::new(
            dbname,
            &table_options,
            &icmp,
            options.max_open_files - NUM_NON_TABLE_CACHE_FILES,
        ));
        let versions = VersionSet::new(dbname, &options, logger.clone(), Arc::clone(&table_cache));
        let inner = Arc::new(DbInner {
            dbname: dbname.to_string(),
            env,
            icmp: icmp.clone(),
            logger,
            table_cache,
            block_cache,
            snapshots: SnapshotList::new(),
            state: Mutex::new(State {
                mem: Arc::new(MemTable::with_key_filter(
                    icmp.clone(),
                    options.write_buffer_size,
                )),
                imm: None,
                logfile_number: 0,
                versions,
                writers: VecDeque::new(),
                bg_scheduled: false,
                bg_error: None,
                pending_outputs: HashSet::new(),
                manual: None,
                next_manual_id: 0,
                stats: Default::default(),
                lock: None,
                seed: 0,
                read_view: None,
            }),
            bg_cv: Condvar::new(),
            shutting_down: AtomicBool::new(false),
            has_imm: AtomicBool::new(false),
            log: Mutex::new(LogState {
                writer: None,
                group: WriteBatch::new(),
            }),
            options,
            table_options,
        });
        {
            let mut guard = inner.state.lock();
            let mut edit = VersionEdit::default();
            let mut save_manifest = inner.recover(&mut guard, &mut edit)?;
            if inner.log.lock().writer.is_none() {
                let number = guard.versions.new_file_number();
                let file = inner
                    .env
                    .new_writable_file(&log_file_name(&inner.dbname, number))?;
                edit.log_number = Some(number);
                guard.logfile_number = number;
                inner.log.lock().writer = Some(log::Writer::new(file));
                guard.mem = inner.new_memtable();
                save_manifest = true;
            }
            if save_manifest {
                edit.prev_log_number = Some(0);
                edit.log_number = Some(guard.logfile_number);
                inner.log_and_apply(&mut guard, &mut edit)?;
            }
            inner.remove_obsolete_files(&mut guard);
            inner.maybe_schedule_compaction(&mut guard);
        }
        Ok(DB { inner })
    }

    /// Sets `key` to `value`.
    pub fn put(&self, options: &WriteOptions, key: &[u8], value: &[u8]) -> Result<()> {
        let mut batch = WriteBatch::new();
        batch.put(key, value);
        self.write(options, &batch)
    }

    /// Removes `key` (not an error if absent).
    pub fn delete(&self, options: &WriteOptions, key: &[u8]) -> Result<()> {
        let mut batch = WriteBatch::new();
        batch.delete(key);
        self.write(options, &batch)
    }

    /// Applies `batch` atomically.
    pub fn write(&self, options: &WriteOptions, batch: &WriteBatch) -> Result<()> {
        self.inner.write(options, Some(batch))
    }

    /// The value of `key`, `None` if absent.
    pub fn get(&self, options: &ReadOptions, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.get_with(options, key, <[u8]>::to_vec)
    }

    /// `f` of the value of `key`, `None` if absent. `f` sees the value where
    /// it is stored, so a caller that copies it into its own buffer copies
    /// it once. `f` runs at most once, and only for a lookup that then
    /// succeeds: nothing after the value is found can fail.
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

    /// An iterator over the database as of now (or `options.snapshot`).
    pub fn iter(&self, options: &ReadOptions) -> DbIterator {
        self.inner.new_iterator(options)
    }

    /// A snapshot of the current state, released when dropped.
    pub fn snapshot(&self) -> Snapshot {
        let guard = self.inner.state.lock();
        self.inner.snapshots.acquire(guard.versions.last_sequence())
    }

    /// A LevelDB property (`leveldb.num-files-at-level<N>`, `leveldb.stats`,
    /// `leveldb.sstables`, `leveldb.approximate-memory-usage`).
    pub fn property(&self, name: &str) -> Option<String> {
        self.inner.property(name)
    }

    /// Approximate bytes of table data in each `[start, limit)` range.
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
    /// levels.
    pub fn compact_range(&self, begin: Option<&[u8]>, end: Option<&[u8]>) -> Result<()> {
        self.inner.compact_range(begin, end)
    }

    /// Flushes the memtable to a table and waits for it (for tests).
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
        if let Some(mut w) = inner.log.lock().writer.take() {
            let _ = w.file_mut().close();
        }
        guard.lock = None;
        drop(guard);
        // The background thread signals completion just before it lets go
        // of its reference; wait for that too, so that everything the
        // database holds (the user's comparator, filter policy, cache) is
        // released when close returns, as in LevelDB. Only transient
        // references exist at this point, hence the bounded wait.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while Arc::strong_count(&self.inner) > 1 && std::time::Instant::now() < deadline {
            std::thread::yield_now();
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

    /// Whether tables a compaction writes to `level` get an in-memory key
    /// filter. A filter over user-key bytes is only sound if the comparator
    /// calls no two different byte strings equal.
    fn key_filters_at(&self, level: usize) -> bool {
        level <= KEY_FILTER_MAX_LEVEL && self.icmp.user_comparator().is_bytewise()
    }

    /// As [`DbInner::key_filters_at`], for a memtable flush: only down to
    /// `FLUSH_KEY_FILTER_MAX_LEVEL`.
    fn flush_key_filters_at(&self, level: usize) -> bool {
        level <= FLUSH_KEY_FILTER_MAX_LEVEL && self.key_filters_at(level)
    }

    /// Recovers the state on disk (creating the database if asked to).
    /// Returns whether a new MANIFEST must be written.
    fn recover(&self, guard: &mut MutexGuard<'_, State>, edit: &mut VersionEdit) -> Result<bool> {
        let env = self.env.as_ref();
        let _ = env.create_dir(&self.dbname);
        guard.lock = Some(env.lock_file(&lock_file_name(&self.dbname))?);
        if !env.file_exists(&current_file_name(&self.dbname)) {
            if self.options.create_if_missing {
                self.log(&format!(
                    "Creating DB {} since it was missing.",
                    self.dbname
                ));
                self.new_db()?;
            } else {
                return Err(Error::with_detail(
                    Code::InvalidArgument,
                    self.dbname.clone(),
                    "does not exist (create_if_missing is false)",
                ));
            }
        } else if self.options.error_if_exists {
            return Err(Error::with_detail(
                Code::InvalidArgument,
                self.dbname.clone(),
                "exists (error_if_exists is true)",
            ));
        }

        let mut save_manifest = guard.versions.recover()?;

        // Every table the MANIFEST names must exist, and every log newer
        // than the MANIFEST's log number holds writes to replay.
        let min_log = guard.versions.log_number();
        let prev_log = guard.versions.prev_log_number();
        let mut expected = HashSet::new();
        guard.versions.add_live_files(&mut expected);
        let mut expected: BTreeSet<u64> = expected.into_iter().collect();
        let children = env.get_children(&self.dbname)?;
        let mut logs = Vec::new();
        for name in &children {
            if let Some((number, file_type)) = parse_file_name(name) {
                expected.remove(&number);
                if file_type == FileType::Log && (number >= min_log || number == prev_log) {
                    logs.push(number);
                }
            }
        }
        if let Some(first) = expected.iter().next() {
            return Err(Error::corruption(format!(
                "{} missing files; e.g.: {}",
                expected.len(),
                table_file_name(&self.dbname, *first)
            )));
        }
        logs.sort_unstable();
        let mut max_sequence = 0;
        for (i, &number) in logs.iter().enumerate() {
            self.recover_log_file(
                guard,
                number,
                i + 1 == logs.len(),
                &mut save_manifest,
                edit,
                &mut max_sequence,
            )?;
            // The log was written by a process that may not have recorded
            // its number in the MANIFEST.
            guard.versions.mark_file_number_used(number);
        }
        if guard.versions.last_sequence() < max_sequence {
            guard.versions.set_last_sequence(max_sequence);
        }
        Ok(save_manifest)
    }

    /// Writes MANIFEST-000001 and CURRENT for an empty database.
    fn new_db(&self) -> Result<()> {
        let new_db = VersionEdit {
            comparator: Some(self.icmp.user_comparator().name().to_string()),
            log_number: Some(0),
            next_file_number: Some(2),
            last_sequence: Some(0),
            ..Default::default()
        };
        let manifest = descriptor_file_name(&self.dbname, 1);
        let file = self.env.new_writable_file(&manifest)?;
        let mut writer = log::Writer::new(file);
        let mut record = Vec::new();
        new_db.encode_to(&mut record);
        let mut result = writer.add_record(&record);
        if result.is_ok() {
            result = writer.sync();
        }
        if result.is_ok() {
            result = writer.file_mut().close();
        }
        drop(writer);
        if result.is_ok() {
            result = set_current_file(self.env.as_ref(), &self.dbname, 1);
        } else {
            let _ = self.env.remove_file(&manifest);
        }
        result
    }

    /// Replays one log file into memtables (flushing them to level-0 tables
    /// when they fill up).
    fn recover_log_file(
        &self,
        guard: &mut MutexGuard<'_, State>,
        number: u64,
        last_log: bool,
        save_manifest: &mut bool,
        edit: &mut VersionEdit,
        max_sequence: &mut SequenceNumber,
    ) -> Result<()> {
        let paranoid = self.options.paranoid_checks;
        let maybe_ignore = |r: Result<()>| -> Result<()> {
            match r {
                Err(e) if !paranoid => {
                    self.log(&format!("Ignoring error {e}"));
                    Ok(())
                }
                other => other,
            }
        };
        let fname = log_file_name(&self.dbname, number);
        let file = match self.env.new_sequential_file(&fname) {
            Ok(f) => f,
            Err(e) => return maybe_ignore(Err(e)),
        };
        let first_error: Arc<Mutex<Option<Error>>> = Arc::new(Mutex::new(None));
        let mut reporter = RecoveryReporter {
            logger: self.logger.clone(),
            fname: fname.clone(),
            paranoid,
            first_error: Arc::clone(&first_error),
        };
        let reporter_for_reader = RecoveryReporter {
            logger: self.logger.clone(),
            fname: fname.clone(),
            paranoid,
            first_error: Arc::clone(&first_error),
        };
        self.log(&format!("Recovering log #{number}"));
        let mut reader = log::Reader::new(file, Some(Box::new(reporter_for_reader)), true, 0);
        let mut record = Vec::new();
        let mut batch = WriteBatch::new();
        let mut mem: Option<Arc<MemTable>> = None;
        let mut compactions = 0;
        let mut status: Result<()> = Ok(());
        // End of the last whole record: what a crashed writer left after it
        // may be a torn record, not damage (see `log::is_torn_tail`).
        let mut good_end = 0u64;
        loop {
            if !reader.read_record(&mut record) {
                break;
            }
            if let Some(e) = first_error.lock().take() {
                status = Err(e);
                break;
            }
            good_end = reader.end_of_last_record();
            if record.len() < HEADER_SIZE {
                use crate::log::Reporter;
                reporter.corruption(record.len(), &Error::corruption("log record too small"));
                if let Some(e) = first_error.lock().take() {
                    status = Err(e);
                    break;
                }
                continue;
            }
            batch.set_contents(&record);
            let m = mem.get_or_insert_with(|| self.new_memtable());
            if let Err(e) = maybe_ignore(insert_into(&batch, m)) {
                status = Err(e);
                break;
            }
            let last_seq = batch.sequence() + u64::from(batch.count()).saturating_sub(1);
            if last_seq > *max_sequence {
                *max_sequence = last_seq;
            }
            if m.approximate_memory_usage() > self.options.write_buffer_size {
                compactions += 1;
                *save_manifest = true;
                let full = mem.take().expect("memtable present");
                if let Err(e) = self.write_level0_table(guard, &full, edit, None) {
                    status = Err(e);
                    break;
                }
            }
        }
        drop(reader);
        if status.is_ok() {
            if let Some(e) = first_error.lock().take() {
                // Damage after the last whole record: a writer killed while
                // copying a record into the log leaves exactly that, and the
                // record was never acknowledged. Not corruption, if nothing
                // but that record and zeros follow.
                let torn = crate::env::read_file_to_vec(self.env.as_ref(), &fname)
                    .is_ok_and(|bytes| log::is_torn_tail(&bytes, good_end as usize));
                if torn {
                    self.log(&format!(
                        "{fname}: ignoring a torn final record after offset {good_end} ({e})"
                    ));
                } else {
                    status = Err(e);
                }
            }
        }
        status?;

        // With reuse_logs, keep appending to the last log if it was not
        // flushed from and it ends with its last whole record (a crashed
        // writer leaves a torn record or a zero-filled tail, which records
        // appended after it must not follow).
        if self.options.reuse_logs && last_log && compactions == 0 {
            let size = self
                .env
                .get_file_size(&fname)
                .ok()
                .filter(|&s| s == good_end);
            if let Some(size) = size {
                if let Ok(file) = self.env.new_appendable_file(&fname) {
                    self.log(&format!("Reusing old log {fname} \n"));
                    self.log.lock().writer = Some(log::Writer::with_offset(file, size));
                    guard.logfile_number = number;
                    guard.mem = mem.take().unwrap_or_else(|| self.new_memtable());
                }
            }
        }
        if let Some(m) = mem {
            *save_manifest = true;
            self.write_level0_table(guard, &m, edit, None)?;
        }
        Ok(())
    }

    /// Flushes `mem` to a new table, recording it in `edit` (at the level
    /// `base` suggests, or level 0 during recovery).
    pub(crate) fn write_level0_table(
        &self,
        guard: &mut MutexGuard<'_, State>,
        mem: &Arc<MemTable>,
        edit: &mut VersionEdit,
        base: Option<&Arc<Version>>,
    ) -> Result<()> {
        let start = self.env.now_micros();
        let number = guard.versions.new_file_number();
        guard.pending_outputs.insert(number);
        self.log(&format!("Level-0 table #{number}: started"));
        // Where the table goes depends only on `base` and the memtable's key
        // range, so it is known before the table is written.
        let level = match base {
            Some(base) if !mem.is_empty() => {
                let (mut first, mut last) = (mem.iter(), mem.iter());
                first.seek_to_first();
                last.seek_to_last();
                base.pick_level_for_memtable_output(
                    crate::key::extract_user_key(first.key()),
                    crate::key::extract_user_key(last.key()),
                    self.options.max_file_size,
                )
            }
            _ => 0,
        };
        // The key filter is sized for the memtable's entries up front, so
        // that the flush holds no keys or hashes.
        let mut key_filter = self.flush_key_filters_at(level).then(|| {
            let policy = bloom::BloomFilterPolicy::new(KEY_FILTER_BITS_PER_KEY);
            bloom::FilterBuilder::new(&policy, mem.len())
        });
        let result = MutexGuard::unlocked(guard, || {
            let mut iter = mem.iter();
            build_table(
                &self.dbname,
                self.env.as_ref(),
                &self.table_options,
                &self.table_cache,
                &mut iter,
                number,
                key_filter.as_mut(),
            )
        });
        let (size, status_text) = match &result {
            Ok(meta) => (meta.file_size, "OK".to_string()),
            Err(e) => (0, e.to_string()),
        };
        self.log(&format!(
            "Level-0 table #{number}: {size} bytes {status_text}"
        ));
        guard.pending_outputs.remove(&number);
        let mut meta = result?;
        let bytes_written = meta.file_size;
        if meta.file_size > 0 {
            meta.key_filter = key_filter.map(|f| Arc::new(f.finish()));
            edit.add_file_meta(level, meta);
        }
        guard.stats[level].add(&CompactionStats {
            micros: self.env.now_micros().saturating_sub(start),
            bytes_read: 0,
            bytes_written,
        });
        Ok(())
    }

    /// Records `edit` in the MANIFEST (with the mutex released during the
    /// write) and installs the resulting version.
    pub(crate) fn log_and_apply(
        &self,
        guard: &mut MutexGuard<'_, State>,
        edit: &mut VersionEdit,
    ) -> Result<()> {
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
        MutexGuard::unlocked(guard, || {
            for name in to_delete {
                let _ = self.env.remove_file(&format!("{}/{}", self.dbname, name));
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
        self.env.schedule(Box::new(move || inner.background_call()));
    }

    fn background_call(self: &Arc<Self>) {
        let mut guard = self.state.lock();
        debug_assert!(guard.bg_scheduled);
        if !self.shutting_down.load(AtomicOrdering::Acquire) && guard.bg_error.is_none() {
            self.background_compaction(&mut guard);
        }
        guard.bg_scheduled = false;
        // The previous work may have produced too many files in a level.
        self.maybe_schedule_compaction(&mut guard);
        self.bg_cv.notify_all();
    }

    /// Flushes the immutable memtable and installs the new table.
    pub(crate) fn compact_memtable(&self, guard: &mut MutexGuard<'_, State>) {
        let Some(imm) = guard.imm.clone() else {
            return;
        };
        let mut edit = VersionEdit::default();
        let base = Arc::clone(guard.versions.current());
        let mut result = self.write_level0_table(guard, &imm, &mut edit, Some(&base));
        if result.is_ok() && self.shutting_down.load(AtomicOrdering::Acquire) {
            result = Err(Error::io_error("Deleting DB during memtable compaction"));
        }
        if result.is_ok() {
            // Earlier logs are no longer needed once this table is in.
            edit.prev_log_number = Some(0);
            edit.log_number = Some(guard.logfile_number);
            result = self.log_and_apply(guard, &mut edit);
        }
        match result {
            Ok(()) => {
                guard.imm = None;
                guard.forget_read_view();
                self.has_imm.store(false, AtomicOrdering::Release);
                // Free the memtable now, not after the old log is unlinked
                // (page-cache truncation of a 4 MiB file takes a while).
                drop(imm);
                self.remove_obsolete_files(guard);
            }
            Err(e) => self.record_background_error(guard, e),
        }
    }

    // ----- writes -----

    fn write(self: &Arc<Self>, options: &WriteOptions, batch: Option<&WriteBatch>) -> Result<()> {
        let mut guard = self.state.lock();
        let me = if guard.writers.is_empty() {
            None
        } else {
            Some(Arc::new(Writer {
                batch: batch.cloned(),
                sync: options.sync,
                outcome: Mutex::new(None),
                cv: Condvar::new(),
            }))
        };
        guard.writers.push_back(me.clone());
        if let Some(me) = &me {
            loop {
                if let Some(outcome) = me.outcome.lock().take() {
                    return outcome;
                }
                if let Some(Some(front)) = guard.writers.front() {
                    if Arc::ptr_eq(front, me) {
                        break;
                    }
                }
                me.cv.wait(&mut guard);
            }
        }
        let my_sync = options.sync;

        // This writer is at the head of the queue: it writes for the group.
        let mut result = self.make_room_for_write(&mut guard, batch.is_none());
        let mut last_sequence = guard.versions.last_sequence();
        let mut group_len = 1;
        if let (Ok(()), Some(first)) = (&result, batch) {
            let mem = Arc::clone(&guard.mem);
            let mut log_guard = self.log.lock();
            let log_state = &mut *log_guard;
            // Build the group (LevelDB's BuildBatchGroup).
            let group = &mut log_state.group;
            group.set_contents(first.contents());
            let mut size = first.approximate_size();
            let max_size = if size <= 128 << 10 {
                size + (128 << 10)
            } else {
                1 << 20
            };
            for w in guard.writers.iter().skip(1) {
                // Only the front entry can be `None`.
                let Some(w) = w else { break };
                if w.sync && !my_sync {
                    // A sync write must not ride on a non-sync group.
                    break;
                }
                if let Some(b) = &w.batch {
                    size += b.approximate_size();
                    if size > max_size {
                        break;
                    }
                    group.append(b);
                }
                group_len += 1;
            }
            group.set_sequence(last_sequence + 1);
            last_sequence += u64::from(group.count());

            // Log and memtable are written without the DB mutex: only the
            // head writer touches them.
            let sync = my_sync;
            let writer = log_state.writer.as_mut();
            let group = &log_state.group;
            let (log_result, sync_error) = MutexGuard::unlocked(&mut guard, || {
                let Some(writer) = writer else {
                    return (Err(Error::io_error("log file is closed")), false);
                };
                let mut r = writer.add_record(group.contents());
                let mut sync_error = false;
                if r.is_ok() && sync {
                    r = writer.sync();
                    sync_error = r.is_err();
                }
                if r.is_ok() {
                    r = insert_into(group, &mem);
                }
                (r, sync_error)
            });
            result = log_result;
            if let Err(e) = &result {
                if sync_error {
                    // The log may or may not hold this write: the state on
                    // disk is unknown, so fail every later write too.
                    self.record_background_error(&mut guard, e.clone());
                }
            }
            drop(log_guard);
            if result.is_ok() {
                guard.versions.set_last_sequence(last_sequence);
            }
        }

        // Hand the outcome to every writer of the group and wake the next head.
        for _ in 0..group_len {
            let Some(entry) = guard.writers.pop_front() else {
                break;
            };
            let Some(w) = entry else {
                continue; // this writer, queued without shared state
            };
            if !me.as_ref().is_some_and(|me| Arc::ptr_eq(&w, me)) {
                *w.outcome.lock() = Some(result.clone());
                w.cv.notify_one();
            }
        }
        if let Some(Some(front)) = guard.writers.front() {
            front.cv.notify_one();
        }
        result
    }

    /// Makes sure the memtable has room for a write: delays writes when
    /// level 0 is crowded, waits for a flush when both memtables are full,
    /// and switches to a new memtable and log when the current one is full
    /// (or `force`).
    fn make_room_for_write(
        self: &Arc<Self>,
        guard: &mut MutexGuard<'_, State>,
        mut force: bool,
    ) -> Result<()> {
        let mut allow_delay = !force;
        loop {
            if let Some(e) = &guard.bg_error {
                return Err(e.clone());
            }
            if allow_delay && guard.versions.num_level_files(0) >= L0_SLOWDOWN_WRITES_TRIGGER {
                // Spread the wait for compaction over many writes instead of
                // stopping one write for seconds at the hard limit.
                MutexGuard::unlocked(guard, || self.env.sleep_for_micros(1000));
                allow_delay = false;
            } else if !force
                && guard.mem.approximate_memory_usage() <= self.options.write_buffer_size
            {
                return Ok(());
            } else if guard.imm.is_some() {
                self.log("Current memtable full; waiting...\n");
                self.bg_cv.wait(guard);
            } else if guard.versions.num_level_files(0) >= L0_STOP_WRITES_TRIGGER {
                self.log("Too many L0 files; waiting...\n");
                self.bg_cv.wait(guard);
            } else {
                let number = guard.versions.new_file_number();
                let file = match self
                    .env
                    .new_writable_file(&log_file_name(&self.dbname, number))
                {
                    Ok(f) => f,
                    Err(e) => {
                        guard.versions.reuse_file_number(number);
                        return Err(e);
                    }
                };
                let old = self.log.lock().writer.replace(log::Writer::new(file));
                if let Some(mut old) = old {
                    if let Err(e) = old.file_mut().close() {
                        self.record_background_error(guard, e);
                    }
                }
                guard.logfile_number = number;
                let full = std::mem::replace(&mut guard.mem, self.new_memtable());
                guard.imm = Some(full);
                guard.forget_read_view();
                self.has_imm.store(true, AtomicOrdering::Release);
                force = false;
                self.maybe_schedule_compaction(guard);
            }
        }
    }

    // ----- reads -----

    /// Passes the value of `key`, if any, to `value_sink`.
    fn get(
        self: &Arc<Self>,
        options: &ReadOptions,
        key: &[u8],
        value_sink: &mut dyn FnMut(&[u8]),
    ) -> Result<LookupOutcome> {
        let (view, sequence) = self.state.lock().read_point(options);
        let ReadView { mem, imm, current } = &*view;
        let lookup = LookupKey::new(key, sequence);
        for table in std::iter::once(mem).chain(imm.as_ref()) {
            match table.lookup(&lookup, value_sink) {
                LookupOutcome::Missing => {}
                found_or_deleted => return Ok(found_or_deleted),
            }
        }
        let mut stats = GetStats::default();
        let found = current.get(options, &lookup, value_sink, &mut stats);
        if stats.seek_file.is_some() && current.update_stats(&stats) {
            let mut guard = self.state.lock();
            self.maybe_schedule_compaction(&mut guard);
        }
        found
    }

    fn new_iterator(self: &Arc<Self>, options: &ReadOptions) -> DbIterator {
        let (view, sequence, seed) = {
            let mut guard = self.state.lock();
            guard.seed = guard.seed.wrapping_add(1);
            let (view, sequence) = guard.read_point(options);
            (view, sequence, guard.seed)
        };
        let ReadView { mem, imm, current } = &*view;
        // A memtable empty now was empty at `sequence` too (entries are
        // never removed), and whatever it gets later is newer than the
        // iterator can see: leaving it out lets a settled database (one
        // level, nothing in memory) be read without a merge at every step.
        let mut children: Vec<Box<dyn InternalIterator>> = Vec::new();
        for table in std::iter::once(mem).chain(imm) {
            if !table.is_empty() {
                children.push(Box::new(table.iter()));
            }
        }
        current.add_iterators(options, &mut children);
        let merged: Box<dyn InternalIterator> = match children.len() {
            0 => Box::new(crate::iterator::EmptyIterator::new()),
            1 => children.pop().expect("one child"),
            _ => Box::new(crate::table::merger::MergingIterator::new(
                self.icmp.clone(),
                children,
            )),
        };
        DbIterator::new(
            self.icmp.clone(),
            merged,
            sequence,
            Arc::clone(current),
            Arc::downgrade(self),
            seed,
        )
    }

    fn property(&self, name: &str) -> Option<String> {
        let rest = name.strip_prefix("leveldb.")?;
        let guard = self.state.lock();
        if let Some(level) = rest.strip_prefix("num-files-at-level") {
            if level.is_empty() || !level.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let level: usize = level.parse().ok()?;
            if level >= NUM_LEVELS {
                return None;
            }
            return Some(guard.versions.num_level_files(level).to_string());
        }
        match rest {
            "stats" => {
                let mut out = String::from(
                    "                               Compactions\n\
                     Level  Files Size(MB) Time(sec) Read(MB) Write(MB)\n\
                     --------------------------------------------------\n",
                );
                for level in 0..NUM_LEVELS {
                    let files = guard.versions.num_level_files(level);
                    let s = &guard.stats[level];
                    if s.micros > 0 || files > 0 {
                        out.push_str(&format!(
                            "{:3} {:8} {:8.0} {:9.0} {:8.0} {:9.0}\n",
                            level,
                            files,
                            guard.versions.num_level_bytes(level) as f64 / 1048576.0,
                            s.micros as f64 / 1e6,
                            s.bytes_read as f64 / 1048576.0,
                            s.bytes_written as f64 / 1048576.0
                        ));
                    }
                }
                Some(out)
            }
            "sstables" => Some(guard.versions.current().debug_string()),
            "approximate-memory-usage" => {
                let mut total = self.block_cache.total_charge() as u64;
                total += guard.mem.approximate_memory_usage() as u64;
                if let Some(imm) = &guard.imm {
                    total += imm.approximate_memory_usage() as u64;
                }
                Some(total.to_string())
            }
            _ => None,
        }
    }

    /// Forces the memtable into a table and waits until that is done.
    fn flush_memtable(self: &Arc<Self>) -> Result<()> {
        self.write(&WriteOptions::default(), None)?;
        let mut guard = self.state.lock();
        while guard.imm.is_some() && guard.bg_error.is_none() {
            self.bg_cv.wait(&mut guard);
        }
        match (&guard.imm, &guard.bg_error) {
            (Some(_), Some(e)) => Err(e.clone()),
            _ => Ok(()),
        }
    }
}

/// Logs (and, with paranoid checks, records) corruption found while
/// replaying a log.
struct RecoveryReporter {
    logger: Option<Arc<dyn Logger>>,
    fname: String,
    paranoid: bool,
    first_error: Arc<Mutex<Option<Error>>>,
}

impl log::Reporter for RecoveryReporter {
    fn corruption(&mut self, bytes: usize, reason: &Error) {
        let prefix = if self.paranoid {
            ""
        } else {
            "(ignoring error) "
        };
        info_log(
            &self.logger,
            &format!(
                "{}{}: dropping {} bytes; {}",
                prefix, self.fname, bytes, reason
            ),
        );
        if self.paranoid {
            let mut first = self.first_error.lock();
            if first.is_none() {
                *first = Some(reason.clone());
            }
        }
    }
}

/// Deletes the database at `dbname` (LevelDB's DestroyDB): every file whose
/// name LevelDB recognises, then the directory if it is left empty.
pub fn destroy_db(dbname: &str, options: &Options) -> Result<()> {
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
