//! A read-only view of a database directory, for tools that must not change
//! it (`leveldbutil get`, `scan`, `stats`, `sizes`, `export`).
//!
//! Opening takes the `LOCK` through the env (so a database another process
//! has open is refused, and nobody opens it while we read), loads the
//! version named by `CURRENT` from its MANIFEST, and replays the live logs
//! into one memtable held in memory, exactly as [`DB::open`] reads them
//! (damaged records skipped, a torn final record ignored, an I/O error
//! fatal), but then writes nothing.
//!
//! Invariants: no file in the directory is created, written, renamed or
//! removed (no `LOG`, no new log or MANIFEST, no flush, no compaction; the
//! read samples that make `DB` schedule compactions go nowhere), except
//! that `Env::lock_file` creates an empty `LOCK` if the directory has a
//! `CURRENT` but no `LOCK`. The view is frozen: it sees the database as it
//! was when opened.
//!
//! [`DB::open`]: super::DB::open

use std::sync::{Arc, Weak};

use super::open::{logs_to_replay, only_torn_tail, sanitize_options_with_logger, Sanitized};
use super::read::{merged_iterator, property_value};
use super::{new_table_cache, CompactionStats, DbIterator};
use crate::env::{Env, FileLock};
use crate::filename::{current_file_name, lock_file_name, log_file_name};
use crate::key::{
    internal_key, InternalKeyComparator, LookupKey, LookupOutcome, SequenceNumber, MAX_SEQUENCE,
    VALUE_TYPE_FOR_SEEK,
};
use crate::log;
use crate::memtable::MemTable;
use crate::options::{Options, ReadOptions};
use crate::status::{Code, Error, Result};
use crate::table::BlockCache;
use crate::version::set::VersionSet;
use crate::version::version::{GetStats, Version};
use crate::version::NUM_LEVELS;
use crate::write_batch::{insert_into, WriteBatch, HEADER_SIZE};

/// A database opened for reading only; see the module documentation.
pub struct ReadOnlyDb {
    icmp: InternalKeyComparator,
    current: Arc<Version>,
    /// Everything the live logs hold.
    mem: Arc<MemTable>,
    /// The newest sequence number in the MANIFEST or the logs.
    sequence: SequenceNumber,
    block_cache: Arc<BlockCache>,
    /// The logs replayed, oldest first.
    logs: Vec<u64>,
    /// Records of the logs that were damaged and skipped: (log number,
    /// bytes dropped, reason).
    skipped: Vec<(u64, usize, String)>,
    /// Released last, after the tables are closed.
    _lock: Box<dyn FileLock>,
}

impl ReadOnlyDb {
    /// Opens `dbname` for reading with `options` (its comparator must be
    /// the database's; `create_if_missing`, `error_if_exists`,
    /// `reuse_logs` and `info_log` are ignored: nothing is written).
    pub fn open(options: &Options, dbname: &str) -> Result<ReadOnlyDb> {
        let Sanitized {
            options,
            table_options,
            block_cache,
            icmp,
            ..
        } = sanitize_options_with_logger(options, None);
        let options = Options {
            reuse_logs: false,
            ..options
        };
        let env = Arc::clone(&options.env);
        let lock = lock_existing(env.as_ref(), dbname)?;
        let table_cache = new_table_cache(dbname, &options, &table_options, &icmp);
        let mut versions = VersionSet::new(dbname, &options, None, table_cache);
        // With `reuse_logs` off, recovery only reads the MANIFEST.
        versions.recover()?;

        let logs = logs_to_replay(env.as_ref(), dbname, &mut versions)?;

        let mem = Arc::new(MemTable::new(icmp.clone()));
        let mut sequence = versions.last_sequence();
        let mut skipped = Vec::new();
        for &number in &logs {
            let fname = log_file_name(dbname, number);
            let newest = replay_log(env.as_ref(), &fname, &mem, &mut |bytes, reason| {
                skipped.push((number, bytes, reason.to_string()));
            })?;
            sequence = sequence.max(newest);
        }
        Ok(ReadOnlyDb {
            icmp,
            current: Arc::clone(versions.current()),
            mem,
            sequence,
            block_cache,
            logs,
            skipped,
            _lock: lock,
        })
    }

    /// The value of `key`, `None` if absent (`options.snapshot` is ignored:
    /// the view never changes).
    pub fn get(&self, options: &ReadOptions, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let lookup = LookupKey::new(key, self.sequence);
        let mut value = None;
        let mut sink = |v: &[u8]| value = Some(v.to_vec());
        let found = match self.mem.lookup(&lookup, &mut sink) {
            LookupOutcome::Missing => self.current.get(
                &options.block_reads(),
                &lookup,
                &mut sink,
                &mut GetStats::default(),
            )?,
            found_or_deleted => found_or_deleted,
        };
        Ok(match found {
            LookupOutcome::Found => value,
            LookupOutcome::Deleted | LookupOutcome::Missing => None,
        })
    }

    /// An iterator over every live entry (as [`super::DB::iter`]).
    pub fn iter(&self, options: &ReadOptions) -> DbIterator {
        let merged = merged_iterator(
            &self.icmp,
            [&self.mem],
            &self.current,
            &options.block_reads(),
        );
        // No database behind the iterator: its read samples go nowhere.
        DbIterator::new(
            self.icmp.clone(),
            merged,
            self.sequence,
            Arc::clone(&self.current),
            Weak::new(),
            0,
        )
    }

    /// A LevelDB property, as [`super::DB::property`] gives it. The
    /// compaction statistics of `leveldb.stats` are zero: this process ran
    /// none.
    pub fn property(&self, name: &str) -> Option<String> {
        let stats = [CompactionStats::default(); NUM_LEVELS];
        property_value(name, &self.current, &stats, || {
            (self.block_cache.total_charge() + self.mem.approximate_memory_usage()) as u64
        })
    }

    /// Approximate bytes of table data from `start` (inclusive; `None` =
    /// the beginning) to `limit` (exclusive; `None` = the end).
    pub fn approximate_size(&self, start: Option<&[u8]>, limit: Option<&[u8]>) -> u64 {
        let offset = |key: Option<&[u8]>, default: u64| match key {
            Some(k) => self.current.approximate_offset_of(&internal_key(
                k,
                MAX_SEQUENCE,
                VALUE_TYPE_FOR_SEEK,
            )),
            None => default,
        };
        let total: u64 = (0..NUM_LEVELS)
            .map(|l| self.current.num_level_bytes(l))
            .sum();
        offset(limit, total).saturating_sub(offset(start, 0))
    }

    /// The tables, level by level.
    pub fn version(&self) -> &Arc<Version> {
        &self.current
    }

    /// The numbers of the logs replayed, oldest first.
    pub fn logs(&self) -> &[u64] {
        &self.logs
    }

    /// Entries read from the logs (puts and deletions).
    pub fn log_entries(&self) -> usize {
        self.mem.len()
    }

    /// The damaged log records skipped, as (log number, bytes, reason).
    pub fn skipped_records(&self) -> &[(u64, usize, String)] {
        &self.skipped
    }

    /// The newest sequence number of the database.
    pub fn last_sequence(&self) -> SequenceNumber {
        self.sequence
    }
}

/// Takes the `LOCK` of the database `dbname`, which must exist: the check
/// comes first, as locking creates `LOCK`, which must not appear in a
/// directory that is not a database.
pub(crate) fn lock_existing(env: &dyn Env, dbname: &str) -> Result<Box<dyn FileLock>> {
    if !env.file_exists(&current_file_name(dbname)) {
        return Err(Error::with_detail(
            Code::InvalidArgument,
            dbname,
            "does not exist (create_if_missing is false)",
        ));
    }
    env.lock_file(&lock_file_name(dbname))
}

/// Replays log `fname` into `mem` as a non-paranoid open does: damaged
/// records are passed to `skipped` and left out, a torn final record is
/// ignored, anything else fails. Returns the newest sequence number seen.
fn replay_log(
    env: &dyn Env,
    fname: &str,
    mem: &Arc<MemTable>,
    skipped: &mut dyn FnMut(usize, &Error),
) -> Result<SequenceNumber> {
    let file = env.new_sequential_file(fname)?;
    let mut newest = 0;
    let mut batch = WriteBatch::new();
    // Both callbacks report skipped records.
    let skipped = std::cell::RefCell::new(skipped);
    let mut on_corruption = |bytes: usize, reason: &Error| -> Result<()> {
        if reason.code() == Code::Corruption {
            (skipped.borrow_mut())(bytes, reason);
            Ok(())
        } else {
            Err(reason.clone())
        }
    };
    let mut on_record = |_offset: u64, record: &[u8]| -> Result<()> {
        batch.set_contents(record);
        let end = batch.sequence().checked_add(u64::from(batch.count()));
        if end.map_or(true, |end| end > MAX_SEQUENCE + 1) {
            (skipped.borrow_mut())(
                record.len(),
                &Error::corruption("sequence number out of range"),
            );
            return Ok(());
        }
        if let Err(e) = insert_into(&batch, mem) {
            (skipped.borrow_mut())(record.len(), &e);
        }
        newest = newest.max(batch.sequence() + u64::from(batch.count()).saturating_sub(1));
        Ok(())
    };
    let replayed = log::replay(file, true, HEADER_SIZE, &mut on_corruption, &mut on_record);
    if let Err(e) = &replayed.status {
        if !only_torn_tail(env, fname, &replayed, e) {
            return Err(e.clone());
        }
    }
    Ok(newest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iterator::InternalIterator;
    use crate::options::WriteOptions;
    use crate::DB;
    use std::collections::BTreeMap;

    /// Every file of `dir` with its bytes.
    fn snapshot_dir(dir: &std::path::Path) -> BTreeMap<String, Vec<u8>> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read(e.path()).unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn reads_tables_and_logs_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let name = dir.path().join("db");
        let name = name.to_str().unwrap();
        let w = WriteOptions::default();
        {
            let options = Options {
                create_if_missing: true,
                write_buffer_size: 64 << 10,
                ..Options::default()
            };
            let db = DB::open(options, name).unwrap();
            for i in 0..3000u32 {
                db.put(&w, format!("k{i:05}").as_bytes(), &[b'v'; 100])
                    .unwrap();
            }
            db.compact_range(None, None).unwrap();
            // Left in the log only: a newer value, a deletion, a new key.
            db.put(&w, b"k00001", b"new").unwrap();
            db.delete(&w, b"k00002").unwrap();
            db.put(&w, b"zz", b"last").unwrap();
        }
        let before = snapshot_dir(std::path::Path::new(name));
        let view = ReadOnlyDb::open(&Options::default(), name).unwrap();
        let r = ReadOptions::new();
        assert_eq!(
            view.get(&r, b"k00001").unwrap().as_deref(),
            Some(&b"new"[..])
        );
        assert_eq!(view.get(&r, b"k00002").unwrap(), None);
        assert_eq!(view.get(&r, b"k02999").unwrap(), Some(vec![b'v'; 100]));
        assert_eq!(view.get(&r, b"zz").unwrap().as_deref(), Some(&b"last"[..]));
        let mut it = view.iter(&r);
        it.seek_to_first();
        let mut n = 0;
        while it.valid() {
            n += 1;
            it.next();
        }
        assert_eq!(n, 3000 - 1 + 1);
        assert_eq!(view.log_entries(), 3);
        assert!(view
            .property("leveldb.sstables")
            .unwrap()
            .contains("k00000"));
        let total = view.approximate_size(None, None);
        let half = view.approximate_size(None, Some(b"k01500"));
        assert!(total > 0 && half > 0 && half < total, "{half} of {total}");
        assert_eq!(view.approximate_size(Some(b"zz"), None), 0);
        // A second view of the same directory is refused while the first
        // holds the LOCK.
        let err = ReadOnlyDb::open(&Options::default(), name).err().unwrap();
        assert!(err.to_string().contains("lock"), "{err}");
        drop(view);
        assert_eq!(before, snapshot_dir(std::path::Path::new(name)));
    }

    #[test]
    fn a_missing_database_is_not_created() {
        let dir = tempfile::tempdir().unwrap();
        let name = dir.path().join("nothing");
        let err = ReadOnlyDb::open(&Options::default(), name.to_str().unwrap())
            .err()
            .unwrap();
        assert_eq!(err.code(), Code::InvalidArgument);
        assert!(!name.exists());
        let err = ReadOnlyDb::open(&Options::default(), dir.path().to_str().unwrap())
            .err()
            .unwrap();
        assert!(err.to_string().contains("does not exist"), "{err}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
