//! Opening a database: option sanitizing, locking, creating a new
//! database, and recovery (the MANIFEST, then every log newer than it,
//! replayed into memtables and flushed to level-0 tables as they fill).
//!
//! Invariants: nothing on disk changes when an open fails on a check
//! (`create_if_missing`, `error_if_exists`, a missing table); a log's
//! corruption fails the open only under `paranoid_checks` (otherwise it is
//! logged and the readable records are kept); every sequence number found
//! in a log is below the recovered `last_sequence`.

use std::collections::{BTreeSet, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::Arc;

use parking_lot::{Condvar, Mutex, MutexGuard};

use super::{new_table_cache, DbInner, LogState, State, DB};
use crate::env::Logger;
use crate::filename::{
    current_file_name, descriptor_file_name, info_log_file_name, lock_file_name, log_file_name,
    old_info_log_file_name, parse_file_name, set_current_file, table_file_name, FileType,
};
use crate::key::{InternalKeyComparator, SequenceNumber, MAX_SEQUENCE};
use crate::log;
use crate::memtable::MemTable;
use crate::options::Options;
use crate::snapshot::SnapshotList;
use crate::status::{Code, Error, Result};
use crate::table::{BlockCache, InternalFilterPolicy, TableOptions};
use crate::util::comparator::Comparator;
use crate::util::padded::Padded;
use crate::version::edit::VersionEdit;
use crate::version::set::VersionSet;
use crate::write_batch::insert_into;
use crate::write_batch::{WriteBatch, HEADER_SIZE};

/// What LevelDB's SanitizeOptions produces.
pub(crate) struct Sanitized {
    /// The user's options, clamped.
    pub options: Options,
    /// Options for tables: internal-key comparator, internal filter
    /// policy, the block cache, the info log.
    pub table_options: TableOptions,
    pub logger: Option<Arc<dyn Logger>>,
    pub block_cache: Arc<BlockCache>,
    pub icmp: InternalKeyComparator,
}

/// Clamps the options and supplies what is missing: an info log `LOG` in
/// the database directory (the old one kept as `LOG.old`) and an 8 MiB
/// block cache.
pub(crate) fn sanitize_options(dbname: &str, options: &Options) -> Sanitized {
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
    sanitize_options_with_logger(options, logger)
}

/// [`sanitize_options`] with the info log given: touches no file (a
/// read-only open passes `None`).
pub(crate) fn sanitize_options_with_logger(
    options: &Options,
    logger: Option<Arc<dyn Logger>>,
) -> Sanitized {
    let options = options.sanitized();
    let block_cache = options
        .block_cache
        .clone()
        .unwrap_or_else(|| Arc::new(BlockCache::new(8 << 20)));
    let icmp = InternalKeyComparator::new(Arc::clone(&options.comparator));
    let mut table_options = options.table_options();
    table_options.comparator = Arc::new(icmp.clone());
    table_options.filter_policy = options
        .filter_policy
        .as_ref()
        .map(|p| Arc::new(InternalFilterPolicy::new(Arc::clone(p))) as _);
    table_options.block_cache = Some(Arc::clone(&block_cache));
    Sanitized {
        options,
        table_options,
        logger,
        block_cache,
        icmp,
    }
}

impl DB {
    /// Opens the database in the directory `name` (LevelDB's `DB::Open`),
    /// creating it if `options.create_if_missing` is set. The directory
    /// is locked (its `LOCK` file) until the `DB` is dropped: a second open,
    /// in this process or another, fails with an `IO error` naming the
    /// lock. `name` must be valid UTF-8 (the [`Env`](crate::Env) works on
    /// string paths).
    ///
    /// Errors (as LevelDB's): `Invalid argument: <name>: does not exist
    /// (create_if_missing is false)` for a missing database,
    /// `Invalid argument: <name>: exists (error_if_exists is true)`, a
    /// `Corruption` for damaged files, an `IO error` for I/O failures.
    ///
    /// ```
    /// # fn main() -> Result<(), leveldb::Error> {
    /// # let dir = tempfile::tempdir().unwrap();
    /// use leveldb::{Code, Options, DB};
    ///
    /// let path = dir.path().join("db");
    /// let missing = DB::open(Options::default(), &path).unwrap_err();
    /// assert_eq!(missing.code(), Code::InvalidArgument);
    ///
    /// let db = DB::open(Options { create_if_missing: true, ..Options::default() }, &path)?;
    /// let locked = DB::open(Options::default(), &path).unwrap_err();
    /// assert!(locked.is_io_error(), "{locked}");
    /// drop(db);
    /// let _again = DB::open(Options::default(), &path)?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn open(options: Options, name: impl AsRef<std::path::Path>) -> Result<DB> {
        let dbname = super::utf8_name(name.as_ref())?;
        let Sanitized {
            options,
            table_options,
            logger,
            block_cache,
            icmp,
        } = sanitize_options(dbname, &options);
        let env = Arc::clone(&options.env);
        let table_cache = new_table_cache(dbname, &options, &table_options, &icmp);
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
                merged_since_release: false,
                memory_releases: 0,
                bg_error: None,
                pending_outputs: HashSet::new(),
                manual: None,
                next_manual_id: 0,
                stats: Default::default(),
                lock: None,
                seed: 0,
                read_view: None,
                obsolete_logs: Vec::new(),
            }),
            bg_cv: Condvar::new(),
            shutting_down: Padded(AtomicBool::new(false)),
            has_imm: Padded(AtomicBool::new(false)),
            min_compaction_part_bytes: AtomicU64::new(0),
            log: Mutex::new(LogState {
                writer: None,
                previous: None,
                memtable: None,
                dir_synced: false,
                group: WriteBatch::new(),
            }),
            serial_writers: std::sync::Mutex::new(()),
            background_jobs: Arc::default(),
            _release_freed_memory: Default::default(),
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
                    .new_log_file(&log_file_name(&inner.dbname, number))?;
                edit.log_number = Some(number);
                guard.logfile_number = number;
                guard.mem = inner.new_memtable();
                inner
                    .log
                    .lock()
                    .switch_to(log::Writer::new(file), &guard.mem);
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
}

impl DbInner {
    /// Recovers the state on disk (creating the database if asked to).
    /// Returns whether a new MANIFEST must be written.
    pub(super) fn recover(
        &self,
        guard: &mut MutexGuard<'_, State>,
        edit: &mut VersionEdit,
    ) -> Result<bool> {
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

        let logs = logs_to_replay(env, &self.dbname, &mut guard.versions)?;
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
        // Without paranoid checks damage is skipped, as in LevelDB; an I/O
        // error never is (LevelDB skips that too, silently dropping the
        // acknowledged writes of a log it could not read, then deleting the
        // log): the open fails and can be retried.
        let maybe_ignore = |r: Result<()>| -> Result<()> {
            match r {
                Err(e) if !paranoid && e.code() == Code::Corruption => {
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
        self.log(&format!("Recovering log #{number}"));
        let mut batch = WriteBatch::new();
        let mut mem: Option<Arc<MemTable>> = None;
        let mut compactions = 0;
        // Damage is logged; with paranoid checks it also ends the replay.
        let mut on_corruption = |bytes: usize, reason: &Error| -> Result<()> {
            let prefix = if paranoid { "" } else { "(ignoring error) " };
            self.log(&format!(
                "{prefix}{fname}: dropping {bytes} bytes; {reason}"
            ));
            if paranoid || reason.code() != Code::Corruption {
                Err(reason.clone())
            } else {
                Ok(())
            }
        };
        let mut on_record = |_offset: u64, record: &[u8]| -> Result<()> {
            batch.set_contents(record);
            // Sequence numbers past MAX_SEQUENCE do not fit an internal
            // key's tag: only a damaged log holds them.
            let end = batch.sequence().checked_add(u64::from(batch.count()));
            if end.map_or(true, |end| end > MAX_SEQUENCE + 1) {
                return maybe_ignore(Err(Error::corruption("sequence number out of range")));
            }
            let m = mem.get_or_insert_with(|| self.new_memtable());
            maybe_ignore(insert_into(&batch, m))?;
            let last_seq = batch.sequence() + u64::from(batch.count()).saturating_sub(1);
            if last_seq > *max_sequence {
                *max_sequence = last_seq;
            }
            if m.approximate_memory_usage() > self.options.write_buffer_size {
                compactions += 1;
                *save_manifest = true;
                if let Some(full) = mem.take() {
                    self.write_level0_table(guard, &full, edit, None)?;
                }
            }
            Ok(())
        };
        let replayed = log::replay(file, true, HEADER_SIZE, &mut on_corruption, &mut on_record);
        // End of the last whole record: what a crashed writer left after it
        // may be a torn record, not damage (see `log::is_torn_tail`).
        let good_end = replayed.end_of_last_record;
        if let Err(e) = &replayed.status {
            if !only_torn_tail(self.env.as_ref(), &fname, &replayed, e) {
                return Err(e.clone());
            }
            self.log(&format!(
                "{fname}: ignoring a torn final record after offset {good_end} ({e})"
            ));
        }

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
                    guard.logfile_number = number;
                    guard.mem = mem.take().unwrap_or_else(|| self.new_memtable());
                    self.log
                        .lock()
                        .switch_to(log::Writer::with_offset(file, size), &guard.mem);
                }
            }
        }
        if let Some(m) = mem {
            *save_manifest = true;
            self.write_level0_table(guard, &m, edit, None)?;
        }
        Ok(())
    }
}

/// Whether `error`, which stopped the replay of log `fname`, is only damage
/// after the last whole record: a writer killed while copying a record into
/// the log leaves exactly that, and the record was never acknowledged. Not
/// corruption, if nothing but that record and zeros follow.
pub(crate) fn only_torn_tail(
    env: &dyn crate::env::Env,
    fname: &str,
    replayed: &log::Replayed,
    error: &Error,
) -> bool {
    replayed.stopped_at_end
        && error.code() == Code::Corruption
        && crate::env::read_file_to_vec(env, fname)
            .is_ok_and(|bytes| log::is_torn_tail(&bytes, replayed.end_of_last_record as usize))
}

/// The numbers of the logs recovery replays, oldest first: every log at or
/// after the MANIFEST's log number (or equal to its previous log number),
/// whose writes may be in no table. Fails if a table the MANIFEST names is
/// missing.
pub(crate) fn logs_to_replay(
    env: &dyn crate::env::Env,
    dbname: &str,
    versions: &mut VersionSet,
) -> Result<Vec<u64>> {
    let min_log = versions.log_number();
    let prev_log = versions.prev_log_number();
    let mut expected = HashSet::new();
    versions.add_live_files(&mut expected);
    let mut expected: BTreeSet<u64> = expected.into_iter().collect();
    let mut logs = Vec::new();
    for name in &env.get_children(dbname)? {
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
            table_file_name(dbname, *first)
        )));
    }
    logs.sort_unstable();
    Ok(logs)
}
