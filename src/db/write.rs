//! The write path: the writer queue and group commit (LevelDB's
//! DBImpl::Write and BuildBatchGroup), and making room in the memtable.
//!
//! Invariants: writes that do not sync enter one at a time (a mutex ahead
//! of the queue); only the writer at the head of the queue writes the log and
//! the memtable, for itself and the writers it groups; a sync write never
//! joins a non-sync group; a group's sequence numbers become visible only
//! after the whole group is in the log and the memtable; a failed log write
//! or sync is a sticky background error (the log's state is unknown); a
//! sync write makes the previous log and the current log's directory entry
//! durable before its own sync.

use std::sync::atomic::Ordering as AtomicOrdering;
use std::sync::{Arc, PoisonError};

use parking_lot::{Condvar, Mutex, MutexGuard};

use super::{DbInner, State};

use crate::filename::log_file_name;
use crate::key::MAX_SEQUENCE;
use crate::log;
use crate::options::WriteOptions;
use crate::status::{Error, Result};
use crate::version::{L0_SLOWDOWN_WRITES_TRIGGER, L0_STOP_WRITES_TRIGGER};
use crate::write_batch::insert_into;
use crate::write_batch::WriteBatch;

/// A head writer whose own batch is at most this large lets later writers
/// add at most this much more to its group, so that a small write is not
/// held up behind a large group's log write (LevelDB's rule).
const SMALL_WRITE: usize = 128 << 10;

/// The most a group of writes may grow to once the head's batch is larger
/// than `SMALL_WRITE`: one log record stays a bounded amount of work.
const MAX_GROUP_SIZE: usize = 1 << 20;

/// A writer waiting in the queue.
pub(super) struct Writer {
    /// The batch, copied only when the writer had to queue behind another;
    /// the head writer uses the caller's batch directly.
    batch: Option<WriteBatch>,
    sync: bool,
    outcome: Mutex<Option<Result<()>>>,
    cv: Condvar,
}

/// The batch a writer brings. A batch the database made for the call
/// (`DB::put`, `DB::delete`) is its to change: when its writer writes
/// alone, it gets its sequence number in place and goes to the log as it
/// is, instead of being copied into the group buffer first.
pub(super) enum WriterBatch<'a> {
    Caller(&'a WriteBatch),
    Own(&'a mut WriteBatch),
}

impl WriterBatch<'_> {
    fn get(&self) -> &WriteBatch {
        match self {
            WriterBatch::Caller(b) => b,
            WriterBatch::Own(b) => b,
        }
    }
}

impl DbInner {
    pub(super) fn write(
        self: &Arc<Self>,
        options: &WriteOptions,
        batch: Option<WriterBatch<'_>>,
    ) -> Result<()> {
        // Writes that do not sync queue on a plain mutex first, so the
        // queue below rarely holds more than one of them. Queued writers
        // sleep on a condition variable and are woken one by one, a context
        // switch or two per write; a mutex hands over between running
        // threads after a short spin. With a log written through a memory
        // map, grouping non-sync writes into one record saves nothing that
        // pays for those switches (benches/RESULTS.md, "Writer threads",
        // has the figures). Sync writes still queue and group:
        // there one fdatasync shared by the group is the point.
        // The mutex guards nothing but the turn, so a panic elsewhere that
        // poisoned it leaves nothing inconsistent.
        let _serial = (!options.sync).then(|| {
            self.serial_writers
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
        });
        let mut guard = self.state.lock();
        let me = if guard.writers.is_empty() {
            None
        } else {
            Some(Arc::new(Writer {
                batch: batch.as_ref().map(|b| b.get().clone()),
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
        // Sequence numbers must fit an internal key's tag; only a database
        // whose files claimed a last sequence near 2^56 gets this far.
        let fits = |count: u64| last_sequence.saturating_add(count) <= MAX_SEQUENCE;
        if let (Ok(()), Some(first)) = (&result, batch.as_ref()) {
            if !fits(u64::from(first.get().count())) {
                result = Err(Error::corruption("sequence number overflow"));
            }
        }
        let mut group_len = 1;
        if let (Ok(()), Some(first)) = (&result, batch) {
            let mut log_guard = self.log.lock();
            let log_state = &mut *log_guard;
            // A pointer compare: inserting into any memtable but the
            // current one would lose the write at its flush.
            assert!(
                log_state
                    .memtable
                    .as_ref()
                    .map_or(true, |m| Arc::ptr_eq(m, &guard.mem)),
                "the log's memtable is not the database's"
            );
            // Which writers join the group (LevelDB's BuildBatchGroup).
            let mut size = first.get().approximate_size();
            let mut count = u64::from(first.get().count());
            let max_size = if size <= SMALL_WRITE {
                size + SMALL_WRITE
            } else {
                MAX_GROUP_SIZE
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
                    count += u64::from(b.count());
                    if size > max_size || !fits(count) {
                        break;
                    }
                }
                group_len += 1;
            }
            // What goes to the log: this writer's own batch when it writes
            // alone and may change it, else the batches copied together.
            let record: &WriteBatch = match first {
                WriterBatch::Own(own) if group_len == 1 => {
                    own.set_sequence(last_sequence + 1);
                    own
                }
                first => {
                    let group = &mut log_state.group;
                    group.set_contents(first.get().contents());
                    for w in guard.writers.iter().skip(1).take(group_len - 1) {
                        if let Some(Some(b)) = w.as_ref().map(|w| &w.batch) {
                            group.append(b);
                        }
                    }
                    group.set_sequence(last_sequence + 1);
                    &log_state.group
                }
            };
            last_sequence += u64::from(record.count());

            // Log and memtable are written without the DB mutex: only the
            // head writer touches them.
            let sync = my_sync;
            let writer = log_state.writer.as_mut();
            let mem = log_state.memtable.as_deref();
            let previous = &mut log_state.previous;
            let dir_synced = &mut log_state.dir_synced;
            let group = record;
            let (log_result, sync_error) = MutexGuard::unlocked(&mut guard, || {
                let (Some(writer), Some(mem)) = (writer, mem) else {
                    return (Err(Error::io_error("log file is closed")), false);
                };
                let mut r = writer.add_record(group.contents());
                // Any failed log write, not only a failed sync (LevelDB):
                // a record cut short leaves the log misaligned, and later
                // records written after it would be unreadable or dropped
                // on recovery, losing writes we acknowledged.
                let mut sync_error = r.is_err();
                if r.is_ok() && sync {
                    // Not in LevelDB 1.23: a synced write must survive a
                    // power cut with every write before it, so the previous
                    // log (whose memtable may not be in a table yet) and
                    // the current log's directory entry (new since the
                    // last MANIFEST sync) are made durable first.
                    if let Some(prev) = previous.as_mut() {
                        r = prev.sync();
                        if r.is_ok() {
                            *previous = None;
                        }
                    }
                    if r.is_ok() && !*dir_synced {
                        r = self.env.sync_dir(&self.dbname);
                        *dir_synced = r.is_ok();
                    }
                    if r.is_ok() {
                        r = writer.sync();
                    }
                    sync_error = r.is_err();
                }
                if r.is_ok() {
                    r = insert_into(group, mem);
                }
                (r, sync_error)
            });
            result = log_result;
            if let Err(e) = &result {
                if sync_error {
                    // The log may or may not hold this write (in part): the
                    // state on disk is unknown, so fail every later write.
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
    pub(super) fn make_room_for_write(
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
                // Creating a log reserves and maps its first chunk: file-system
                // calls that can wait on the journal, so they run without the
                // mutex. Only this writer, the head of the queue, switches
                // logs and memtables, so `imm` is still empty when it relocks
                // (the background thread only ever clears it).
                let path = log_file_name(&self.dbname, number);
                let file = match MutexGuard::unlocked(guard, || self.env.new_log_file(&path)) {
                    Ok(f) => f,
                    Err(e) => {
                        guard.versions.reuse_file_number(number);
                        return Err(e);
                    }
                };
                // The old log stays open as `previous` (a later sync write
                // syncs it). The one before it is obsolete: no memtable is
                // waiting (`imm` is empty), so its writes are in a table and
                // the MANIFEST's log number has passed it. Closing it frees
                // its blocks (it is usually deleted already), which takes
                // milliseconds; the background thread does that, not this
                // writer, which every queued write is waiting on.
                let full = std::mem::replace(&mut guard.mem, self.new_memtable());
                let older = {
                    let mut log_state = self.log.lock();
                    let mut old = log_state.switch_to(log::Writer::new(file), &guard.mem);
                    // It takes no more appends: let it drop what it holds
                    // for them (the mapped log's pages count in our RSS).
                    // Nothing is lost if that fails; a later sync or close
                    // reports any real trouble with the file.
                    if let Some(old) = &mut old {
                        let _ = old.file_mut().seal();
                    }
                    log_state.dir_synced = false;
                    std::mem::replace(&mut log_state.previous, old)
                };
                guard.obsolete_logs.extend(older);
                guard.logfile_number = number;
                guard.imm = Some(full);
                guard.forget_read_view();
                self.has_imm.store(true, AtomicOrdering::Release);
                // The background thread may be waiting on the parts of a
                // split compaction: it flushes this memtable meanwhile.
                self.bg_cv.notify_all();
                force = false;
                self.maybe_schedule_compaction(guard);
            }
        }
    }
}
