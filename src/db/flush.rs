//! Memtable flushes: an immutable memtable becomes a table (at the level
//! the current version suggests, LevelDB's PickLevelForMemTableOutput),
//! with an in-memory key filter when that level keeps one.
//!
//! Invariants: a table's number is in `pending_outputs` from before it is
//! written until its version edit is applied, so obsolete-file removal
//! never deletes it; a table is synced and read back before it is named
//! in the MANIFEST; a failed or empty table leaves no file behind; a flush
//! leaves out only entries no snapshot can see (an older entry of a user
//! key whose newer entry every live snapshot sees), never the newest entry
//! of a key, so it hides nothing the memtable showed.

use std::sync::atomic::Ordering as AtomicOrdering;
use std::sync::Arc;

use parking_lot::MutexGuard;

use super::{CompactionStats, DbInner, State};
use crate::env::Env;
use crate::filename::table_file_name;
use crate::iterator::InternalIterator;
use crate::key::{extract_tag, extract_user_key, SequenceNumber, MAX_SEQUENCE};
use crate::memtable::MemTable;
use crate::options::WriteOptions;
use crate::status::{Error, Result};
use crate::table::TableCache;
use crate::table::{BlockReadOptions, TableBuilder, TableOptions};
use crate::util::bloom;
use crate::util::comparator::Comparator;
use crate::version::edit::{FileMetaData, VersionEdit};
use crate::version::key_filter;
use crate::version::version::Version;

/// Which entries a table built from a memtable may leave out: an entry
/// shadowed by a newer entry of the same user key whose sequence number
/// every live snapshot sees (compaction's first drop rule). A memtable
/// whose keys are written over while it fills (several writers on the
/// same keys, or one key updated in place) then costs a table of its live
/// entries only, and every compaction after reads and writes less.
/// Deletions are kept like any newest entry: at level 0 nothing says what
/// they hide below.
pub(crate) struct DropShadowed<'a> {
    pub user_comparator: &'a dyn Comparator,
    /// The oldest sequence number a live snapshot reads at, or
    /// `MAX_SEQUENCE` when none is live (a later snapshot sees only the
    /// newest entries of the memtable).
    pub smallest_snapshot: SequenceNumber,
}

impl DropShadowed<'_> {
    /// Whether `key` may be left out, given the last key written to the
    /// table. Entries come in internal-key order (user key ascending,
    /// newest first), so the last written entry of the same user key is
    /// the next newer one that was kept; were any newer one between them
    /// dropped, the kept one's sequence number is at most the snapshot too.
    fn drops(&self, key: &[u8], last_written: &[u8]) -> bool {
        // The tag's upper 56 bits are the sequence number.
        (extract_tag(last_written) >> 8) <= self.smallest_snapshot
            && self
                .user_comparator
                .compare(extract_user_key(key), extract_user_key(last_written))
                == std::cmp::Ordering::Equal
    }
}

/// Where [`build_table`] writes a table: the database's directory and
/// env, the options of its tables, and the cache that reads the new table
/// back to verify it.
pub(crate) struct TableDestination<'a> {
    pub dbname: &'a str,
    pub env: &'a dyn Env,
    pub table_options: &'a TableOptions,
    pub table_cache: &'a TableCache,
}

/// Writes the entries of `iter` to table `number` at `to`, syncs and
/// verifies it, leaving out the entries `drop_shadowed` allows to leave
/// out, if given. Returns the file's metadata; `file_size` 0 means there
/// was nothing to write (and no file is left behind). Each written entry's
/// user key is also added to `key_filter`, if given.
pub(crate) fn build_table(
    to: &TableDestination<'_>,
    iter: &mut dyn InternalIterator,
    number: u64,
    mut key_filter: Option<&mut bloom::FoldingFilterBuilder>,
    drop_shadowed: Option<&DropShadowed<'_>>,
) -> Result<FileMetaData> {
    let TableDestination {
        dbname,
        env,
        table_options,
        table_cache,
    } = *to;
    let mut meta = FileMetaData::new(number, 0, Vec::new(), Vec::new());
    let fname = table_file_name(dbname, number);
    iter.seek_to_first();
    let mut result = Ok(());
    if iter.valid() {
        result = (|| {
            let file = env.new_writable_file(&fname)?;
            let mut builder = TableBuilder::new(table_options, file);
            meta.smallest = iter.key().to_vec();
            while iter.valid() {
                let key = iter.key();
                if let Some(d) = drop_shadowed {
                    if builder.num_entries() > 0 && d.drops(key, builder.last_key()) {
                        iter.next();
                        continue;
                    }
                }
                builder.add(key, iter.value());
                if let Some(filter) = key_filter.as_deref_mut() {
                    filter.add_key(extract_user_key(key));
                }
                iter.next();
            }
            // The builder's last key, before `finish` shortens it: one copy
            // per table rather than one per entry.
            meta.largest = builder.last_key().to_vec();
            builder.finish()?;
            meta.file_size = builder.file_size();
            builder.file_mut().sync()?;
            builder.file_mut().close()?;
            // Make sure the table is readable before it is used.
            let check = table_cache.iter(&BlockReadOptions::default(), number, meta.file_size);
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

impl DbInner {
    /// Where this database's flushes write their tables.
    fn table_destination(&self) -> TableDestination<'_> {
        TableDestination {
            dbname: &self.dbname,
            env: self.env.as_ref(),
            table_options: &self.table_options,
            table_cache: &self.table_cache,
        }
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
                    extract_user_key(first.key()),
                    extract_user_key(last.key()),
                    self.options.max_file_size,
                )
            }
            _ => 0,
        };
        // The key filter is sized for the memtable's entries up front, so
        // that the flush holds no keys or hashes.
        let mut key_filter =
            key_filter::kept_by_flush_at(level, self.icmp.user_comparator().as_ref())
                .then(|| key_filter::flush_builder(mem.len()));
        // Snapshots taken after this point read at the last sequence number
        // or later, which sees only the newest entries of `mem`.
        let drop_shadowed = DropShadowed {
            user_comparator: self.icmp.user_comparator().as_ref(),
            smallest_snapshot: self.snapshots.oldest().unwrap_or(MAX_SEQUENCE),
        };
        let result = MutexGuard::unlocked(guard, || {
            let mut iter = mem.iter();
            build_table(
                &self.table_destination(),
                &mut iter,
                number,
                key_filter.as_mut(),
                Some(&drop_shadowed),
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
            meta.key_filter = key_filter.map(|mut f| Arc::new(f.take_filter()));
            edit.add_file_meta(level, meta);
        }
        guard.stats[level].add(&CompactionStats {
            micros: self.env.now_micros().saturating_sub(start),
            bytes_read: 0,
            bytes_written,
        });
        Ok(())
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

    /// Forces the memtable into a table and waits until that is done.
    pub(super) fn flush_memtable(self: &Arc<Self>) -> Result<()> {
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
