//! Background work of the database: choosing between a memtable flush, a
//! manual compaction step and an automatic compaction, and running a
//! compaction (LevelDB's BackgroundCompaction / DoCompactionWork).
//!
//! Invariants: a compaction's outputs are registered in `pending_outputs`
//! from the moment their numbers are handed out until the version naming
//! them is installed (or the compaction fails), so obsolete-file removal
//! never deletes them. An entry is dropped only when no snapshot can see it:
//! it is shadowed by a newer entry at or below the oldest snapshot, or it is
//! a deletion at or below the oldest snapshot and no deeper level holds the
//! key. The mutex is released while tables are read and written; an
//! immutable memtable that appears meanwhile is flushed first, so writers
//! are not stalled behind a long compaction. A large compaction may be
//! split at user keys into ranges merged on threads of their own; each
//! range holds every version of its keys, the ranges' outputs are disjoint
//! and in key order, and all of them are installed in one edit (or none).

use std::cmp::Ordering;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};
use std::sync::Arc;

use parking_lot::MutexGuard;

use crate::filename::table_file_name;
use crate::iterator::InternalIterator;
use crate::key::{
    debug_internal_key, internal_key, parse_internal_key, ValueType, MAX_SEQUENCE,
    VALUE_TYPE_FOR_SEEK,
};
use crate::status::{Error, Result};
use crate::table::format::StoredBlock;
use crate::table::{BlockReadOptions, TableBuilder};
use crate::util::bloom;
use crate::util::comparator::Comparator;
use crate::version::compaction::Compaction;
use crate::version::edit::FileMetaData;
use crate::version::key_filter;
use crate::version::version::{LevelFiles, LevelIterator};
use crate::version::NUM_LEVELS;

use super::output_sync::{sync_and_close, OutputSyncer};
use super::{CompactionStats, DbInner, ManualCompaction, State};

/// A split compaction's parts have, on average, at least this many
/// output files' worth of input each (unless a test says otherwise).
const MIN_PART_OUTPUT_FILES: u64 = 1;

/// One running part of a split compaction, counted in the number the
/// background thread waits on from its start until this is dropped (at the
/// part's end, a panic included; or at once if its thread never started).
struct PartRunning<'a> {
    db: &'a DbInner,
    running: &'a AtomicUsize,
}

impl<'a> PartRunning<'a> {
    /// Called by the background thread itself, before it waits: no lock
    /// is needed to count up.
    fn start(db: &'a DbInner, running: &'a AtomicUsize) -> Self {
        running.fetch_add(1, AtomicOrdering::Relaxed);
        PartRunning { db, running }
    }
}

impl Drop for PartRunning<'_> {
    fn drop(&mut self) {
        // Under the mutex, so the count cannot drop between the waiter's
        // check and its wait.
        let _guard = self.db.state.lock();
        self.running.fetch_sub(1, AtomicOrdering::Relaxed);
        self.db.bg_cv.notify_all();
    }
}

/// The most parts a compaction is split into.
const MAX_COMPACTION_PARTS: usize = 4;

/// How many parts a compaction may be split into on this machine: one per
/// core the process may run on, up to `MAX_COMPACTION_PARTS`. With one core
/// a split only adds work.
fn max_compaction_parts() -> usize {
    static PARTS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *PARTS.get_or_init(|| {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(MAX_COMPACTION_PARTS)
    })
}

/// The key range one part of a compaction merges.
#[derive(Clone, Copy)]
struct PartRange<'a> {
    /// The first user key of the part; `None` for the first part.
    start: Option<&'a [u8]>,
    /// The first user key of the next part; `None` for the last.
    end: Option<&'a [u8]>,
    /// Whether this part flushes a full memtable when one appears (only
    /// the part on the background thread does).
    flushes_imm: bool,
}

struct Output {
    number: u64,
    file_size: u64,
    smallest: Vec<u8>,
    largest: Vec<u8>,
    /// The output's `FileMetaData::key_filter`, taken when it is finished.
    key_filter: Option<Arc<Vec<u8>>>,
}

struct CompactionState {
    compaction: Compaction,
    smallest_snapshot: u64,
    outputs: Vec<Output>,
    builder: Option<TableBuilder>,
    /// Filters the user keys of the open output, for outputs that keep a
    /// key filter; one array reused for every output.
    key_filter: Option<bloom::FoldingFilterBuilder>,
    total_bytes: u64,
}

/// A compaction's input from one level >= 1, read front to back, that lets
/// go of each input table as soon as the merge has read past it.
///
/// Why: tables are memory-mapped and a compaction touches every page of its
/// inputs, so each input read so far stays resident (and counts towards the
/// process's RSS) while the table cache keeps it open — until the compaction
/// ends and the inputs are deleted. Evicting a finished input from the table
/// cache drops its mapping as soon as the level iterator has moved on to the
/// next file, so at most one table of the level is resident at a time. The
/// entries read are unchanged; a reader that still needs the table reopens
/// it (one still reading keeps its own handle).
struct ReleasingLevelInput {
    inner: LevelIterator,
    table_cache: Arc<crate::table::TableCache>,
    /// The level's input files, sorted and disjoint (as the iterator reads them).
    files: crate::version::version::FileList,
    /// Files `..passed` have been read past and evicted.
    passed: usize,
}

impl ReleasingLevelInput {
    /// Evicts every file before the one the level iterator reads (all of
    /// them once it is exhausted). Asking the iterator which file it is in
    /// costs nothing per entry, where comparing each key with the file's
    /// largest key was an internal-key comparison per entry merged.
    fn release_passed(&mut self) {
        let reading = if self.inner.valid() {
            self.inner.file_index()
        } else {
            self.files.len()
        };
        while self.passed < reading {
            if let Some(f) = self.files.get(self.passed) {
                self.table_cache.evict(f.number);
            }
            self.passed += 1;
        }
    }
}

impl InternalIterator for ReleasingLevelInput {
    fn valid(&self) -> bool {
        self.inner.valid()
    }
    fn seek_to_first(&mut self) {
        self.inner.seek_to_first();
        self.release_passed();
    }
    fn seek_to_last(&mut self) {
        // Compactions only move forwards; backwards moves evict nothing (a
        // file evicted earlier is simply reopened by the level iterator).
        self.inner.seek_to_last();
    }
    fn seek(&mut self, target: &[u8]) {
        self.inner.seek(target);
        self.release_passed();
    }
    fn next(&mut self) {
        self.inner.next();
        self.release_passed();
    }
    fn prev(&mut self) {
        self.inner.prev();
    }
    fn key(&self) -> &[u8] {
        self.inner.key()
    }
    fn value(&self) -> &[u8] {
        self.inner.value()
    }
    fn status(&self) -> Result<()> {
        self.inner.status()
    }
    fn stored_block(&self, at_start: bool) -> Option<StoredBlock<'_>> {
        self.inner.stored_block(at_start)
    }
}

impl DbInner {
    /// One step of background work.
    pub(crate) fn background_compaction(self: &Arc<Self>, guard: &mut MutexGuard<'_, State>) {
        if guard.imm.is_some() {
            self.compact_memtable(guard);
            return;
        }

        let manual = guard
            .manual
            .as_ref()
            .filter(|m| !m.done)
            .map(|m| (m.id, m.level, m.begin.clone(), m.end.clone()));
        let mut manual_end: Option<Vec<u8>> = None;
        let compaction = match &manual {
            Some((id, level, begin, end)) => {
                let c = guard
                    .versions
                    .compact_range(*level, begin.as_deref(), end.as_deref());
                let done = c.is_none();
                if let Some(c) = &c {
                    manual_end = c.inputs[0].last().map(|f| f.largest.clone());
                }
                if let Some(m) = guard.manual.as_mut().filter(|m| m.id == *id) {
                    m.done = done;
                }
                let show = |k: &Option<Vec<u8>>, none: &str| match k {
                    Some(k) => debug_internal_key(k),
                    None => none.to_string(),
                };
                self.log(&format!(
                    "Manual compaction at level-{} from {} .. {}; will stop at {}\n",
                    level,
                    show(begin, "(begin)"),
                    show(end, "(end)"),
                    if done {
                        "(end)".to_string()
                    } else {
                        show(&manual_end, "(end)")
                    }
                ));
                c
            }
            None => guard.versions.pick_compaction(),
        };

        let mut result = Ok(());
        if let Some(mut c) = compaction {
            if manual.is_none() && c.is_trivial_move() {
                // Move the file down a level without rewriting it.
                let f = Arc::clone(&c.inputs[0][0]);
                c.edit.remove_file(c.level, f.number);
                // With its key filter, if it has one (versions drop it
                // below key_filter::MAX_LEVEL).
                c.edit.add_file_meta(c.level + 1, FileMetaData::clone(&f));
                let mut edit = std::mem::take(&mut c.edit);
                result = self.log_and_apply(guard, &mut edit);
                if let Err(e) = &result {
                    self.record_background_error(guard, e.clone());
                }
                let summary = guard.versions.current().level_summary();
                self.log(&format!(
                    "Moved #{} to level-{} {} bytes {}: {}\n",
                    f.number,
                    c.level + 1,
                    f.file_size,
                    match &result {
                        Ok(()) => "OK".to_string(),
                        Err(e) => e.to_string(),
                    },
                    summary
                ));
            } else {
                let smallest_snapshot = self
                    .snapshots
                    .oldest()
                    .unwrap_or_else(|| guard.versions.last_sequence());
                let mut state = CompactionState {
                    compaction: c,
                    smallest_snapshot,
                    outputs: Vec::new(),
                    builder: None,
                    key_filter: None,
                    total_bytes: 0,
                };
                result = self.do_compaction_work(guard, &mut state);
                if let Err(e) = &result {
                    self.record_background_error(guard, e.clone());
                }
                // Outputs are now either in the version or garbage.
                for out in &state.outputs {
                    guard.pending_outputs.remove(&out.number);
                }
                if let Some(mut b) = state.builder.take() {
                    b.abandon();
                }
                // Release the input version first (LevelDB's ReleaseInputs
                // in CleanupCompaction): while it lives its files count as
                // live and the compacted inputs would stay on disk.
                drop(state);
                self.remove_obsolete_files(guard);
                // What the merge freed goes back once the thread is idle
                // (`release_freed_memory`).
                guard.merged_since_release = true;
            }
        }

        if let Err(e) = &result {
            if !self.shutting_down.load(AtomicOrdering::Acquire) {
                self.log(&format!("Compaction error: {e}"));
            }
        }
        if let Some((id, ..)) = manual {
            if let Some(m) = guard.manual.as_mut().filter(|m| m.id == id) {
                if result.is_err() {
                    m.done = true;
                }
                if !m.done {
                    // Only part of the range was compacted: go on from
                    // where this step stopped.
                    m.begin = manual_end;
                }
            }
        }
    }

    /// The merged input of `c`. With `start` (a user key), the part of it
    /// from there on: a level's files wholly before `start` belong to an
    /// earlier part, so they are left out of the files this input evicts
    /// from the table cache as it reads past them.
    fn make_input_iterator(
        &self,
        c: &Compaction,
        start: Option<&[u8]>,
    ) -> Box<dyn InternalIterator> {
        let options = BlockReadOptions {
            verify_checksums: self.options.paranoid_checks,
            fill_cache: false,
        };
        let mut children: Vec<Box<dyn InternalIterator>> = Vec::new();
        for which in 0..2 {
            if c.inputs[which].is_empty() {
                continue;
            }
            if c.level + which == 0 {
                for f in &c.inputs[which] {
                    children.push(self.table_cache.iter(&options, f.number, f.file_size));
                }
            } else {
                let ucmp = self.icmp.user_comparator();
                let passed = start.map_or(0, |start| {
                    c.inputs[which].partition_point(|f| {
                        ucmp.compare(crate::key::extract_user_key(&f.largest), start)
                            == Ordering::Less
                    })
                });
                children.push(Box::new(ReleasingLevelInput {
                    inner: LevelIterator::new(
                        self.icmp.clone(),
                        Arc::clone(&self.table_cache),
                        LevelFiles::Owned(c.inputs[which].clone()),
                        options,
                    ),
                    table_cache: Arc::clone(&self.table_cache),
                    files: c.inputs[which].clone(),
                    passed,
                }));
            }
        }
        Box::new(crate::table::merger::MergingIterator::new(
            self.icmp.clone(),
            children,
        ))
    }

    fn open_compaction_output(&self, state: &mut CompactionState) -> Result<()> {
        let number = {
            let mut guard = self.state.lock();
            let n = guard.versions.new_file_number();
            guard.pending_outputs.insert(n);
            n
        };
        state.outputs.push(Output {
            number,
            file_size: 0,
            smallest: Vec::new(),
            largest: Vec::new(),
            key_filter: None,
        });
        let file = self
            .env
            .new_writable_file(&table_file_name(&self.dbname, number))?;
        state.builder = Some(TableBuilder::new(&self.table_options, file));
        Ok(())
    }

    fn finish_compaction_output(
        &self,
        state: &mut CompactionState,
        syncer: Option<&mut OutputSyncer<'_, '_>>,
        input_status: Result<()>,
    ) -> Result<()> {
        let mut builder = state.builder.take().expect("an open output");
        let output = state.outputs.last_mut().expect("an output");
        let entries = builder.num_entries();
        // The largest key is the builder's last (taken before `finish`,
        // which shortens it), not copied entry by entry.
        output.largest.clear();
        output.largest.extend_from_slice(builder.last_key());
        if let Some(filter) = &mut state.key_filter {
            output.key_filter = Some(Arc::new(filter.take_filter()));
        }
        let mut result = input_status;
        if result.is_ok() {
            result = builder.finish();
        } else {
            builder.abandon();
        }
        let file_size = builder.file_size();
        output.file_size = file_size;
        state.total_bytes += file_size;
        if result.is_ok() {
            // Buffered bytes go to the kernel now, so that the check below
            // can read them; the sync happens on the syncer's thread
            // (or just below, for the last output).
            result = builder.file_mut().flush();
        }
        if result.is_ok() {
            match syncer {
                Some(syncer) => syncer.submit(builder.into_file()),
                None => result = sync_and_close(builder.file_mut()),
            }
        }
        if result.is_ok() && entries > 0 {
            // Make sure the table is usable before it is installed (it is
            // read from the page cache: the sync need not be done).
            let check =
                self.table_cache
                    .iter(&BlockReadOptions::default(), output.number, file_size);
            result = check.status();
            if result.is_ok() {
                self.log(&format!(
                    "Generated table #{}@{}: {} keys, {} bytes",
                    output.number, state.compaction.level, entries, file_size
                ));
            }
        }
        result
    }

    fn do_compaction_work(
        self: &Arc<Self>,
        guard: &mut MutexGuard<'_, State>,
        state: &mut CompactionState,
    ) -> Result<()> {
        let start_micros = self.env.now_micros();
        let c = &state.compaction;
        self.log(&format!(
            "Compacting {}@{} + {}@{} files",
            c.num_input_files(0),
            c.level,
            c.num_input_files(1),
            c.level + 1
        ));
        if key_filter::kept_at(c.level + 1, self.icmp.user_comparator().as_ref()) {
            state.key_filter = Some(key_filter::compaction_builder(c.max_output_file_size));
        }
        // Placing the cuts may open tables to read their indexes: not
        // under the mutex, which every write takes.
        let min_part_bytes = self.min_compaction_part_bytes(c);
        let cuts = MutexGuard::unlocked(guard, || {
            c.split_keys(max_compaction_parts(), min_part_bytes)
        });
        if !cuts.is_empty() {
            self.log(&format!("Compacting in {} parts", cuts.len() + 1));
        }
        // Parts after the first, each with the state its thread fills.
        let mut later_parts: Vec<CompactionState> = cuts
            .iter()
            .map(|_| CompactionState {
                compaction: c.part(),
                smallest_snapshot: state.smallest_snapshot,
                outputs: Vec::new(),
                builder: None,
                key_filter: state
                    .key_filter
                    .as_ref()
                    .map(|_| key_filter::compaction_builder(c.max_output_file_size)),
                total_bytes: 0,
            })
            .collect();
        let mut input = self.make_input_iterator(c, None);
        let mut imm_micros = 0;
        // Parts still merging; counted down only under the state mutex, so
        // the background thread can wait for it on `bg_cv`.
        let parts_running = AtomicUsize::new(0);

        let result = MutexGuard::unlocked(guard, || {
            std::thread::scope(|scope| {
                let threads: Vec<_> = later_parts
                    .iter_mut()
                    .enumerate()
                    .map(|(i, part)| {
                        let range = PartRange {
                            start: Some(&cuts[i][..]),
                            end: cuts.get(i + 1).map(|k| &k[..]),
                            flushes_imm: false,
                        };
                        let running = PartRunning::start(self, &parts_running);
                        std::thread::Builder::new()
                            .name("leveldb-compact".to_string())
                            .spawn_scoped(scope, move || {
                                // Counted down when the part ends, even by a panic.
                                let _running = running;
                                self.merge_part(scope, part, range)
                            })
                    })
                    .collect();
                let mut syncer = OutputSyncer::new(scope);
                // The first part runs here, and alone flushes memtables:
                // the background thread is theirs.
                let first = PartRange {
                    start: None,
                    end: cuts.first().map(|k| &k[..]),
                    flushes_imm: true,
                };
                let mut result = self
                    .merge_into_outputs(state, &mut syncer, &mut *input, &mut imm_micros, first)
                    // Every output is durable before the version naming
                    // them is installed.
                    .and(syncer.finish());
                self.wait_for_parts(&parts_running, &mut imm_micros);
                for thread in threads {
                    let part = match thread {
                        Ok(thread) => thread
                            .join()
                            .unwrap_or_else(|_| Err(Error::io_error("compaction part panicked"))),
                        Err(e) => Err(Error::io_error(format!(
                            "cannot start a compaction thread: {e}"
                        ))),
                    };
                    result = result.and(part);
                }
                result
            })
        });
        drop(input);
        for mut part in later_parts {
            // Outputs are recorded (and their numbers released) with the
            // first part's, in key order; a part that failed may have left
            // one open.
            if let Some(mut b) = part.builder.take() {
                b.abandon();
            }
            state.outputs.append(&mut part.outputs);
            state.total_bytes += part.total_bytes;
        }

        let c = &state.compaction;
        let mut stats = CompactionStats {
            micros: self
                .env
                .now_micros()
                .saturating_sub(start_micros)
                .saturating_sub(imm_micros),
            bytes_read: 0,
            bytes_written: 0,
        };
        for which in 0..2 {
            stats.bytes_read += crate::version::total_file_size(&c.inputs[which]);
        }
        stats.bytes_written = state.outputs.iter().map(|o| o.file_size).sum();
        guard.stats[c.level + 1].add(&stats);

        result?;
        self.install_compaction_results(guard, state)?;
        let summary = guard.versions.current().level_summary();
        self.log(&format!("compacted to: {summary}"));
        Ok(())
    }

    /// Flushes the immutable memtable, if there still is one, in the
    /// middle of a compaction (on the background thread only); its time is
    /// added to `imm_micros`.
    fn flush_imm_during_compaction(&self, imm_micros: &mut u64) {
        let mut guard = self.state.lock();
        if guard.imm.is_some() {
            self.flush_imm_locked(&mut guard, imm_micros);
        }
    }

    /// Flushes the immutable memtable (there is one) and wakes whoever
    /// waits for that; its time is added to `imm_micros`.
    fn flush_imm_locked(&self, guard: &mut MutexGuard<'_, State>, imm_micros: &mut u64) {
        let imm_start = self.env.now_micros();
        self.compact_memtable(guard);
        self.bg_cv.notify_all();
        *imm_micros += self.env.now_micros().saturating_sub(imm_start);
    }

    /// Waits, on the background thread, until every other part of a split
    /// compaction has ended. It is the only thread that flushes memtables,
    /// so it goes on flushing while it waits: writers must not wait for a
    /// part to end. Woken on `bg_cv` by a part's end and by a writer that
    /// fills the memtable.
    fn wait_for_parts(&self, parts_running: &AtomicUsize, imm_micros: &mut u64) {
        let mut guard = self.state.lock();
        loop {
            // After a failed flush the memtable stays, with a background
            // error that makes every later flush fail too: do not retry.
            if guard.imm.is_some() && guard.bg_error.is_none() {
                self.flush_imm_locked(&mut guard, imm_micros);
            } else if parts_running.load(AtomicOrdering::Relaxed) == 0 {
                return;
            } else {
                self.bg_cv.wait(&mut guard);
            }
        }
    }

    /// One part of a split compaction, on a thread of its own: its input,
    /// its merge and the syncing of its outputs.
    fn merge_part<'scope>(
        &'scope self,
        scope: &'scope std::thread::Scope<'scope, '_>,
        part: &mut CompactionState,
        range: PartRange<'_>,
    ) -> Result<()> {
        let mut input = self.make_input_iterator(&part.compaction, range.start);
        let mut syncer = OutputSyncer::new(scope);
        let mut no_imm_micros = 0;
        let merged =
            self.merge_into_outputs(part, &mut syncer, &mut *input, &mut no_imm_micros, range);
        merged.and(syncer.finish())
    }

    /// Input bytes a part of a split compaction should have at least:
    /// below that, a thread's start and the extra, smaller outputs at the
    /// cut cost more than the parallel merge saves.
    fn min_compaction_part_bytes(&self, c: &Compaction) -> u64 {
        match self.min_compaction_part_bytes.load(AtomicOrdering::Relaxed) {
            0 => MIN_PART_OUTPUT_FILES * c.max_output_file_size,
            set => set,
        }
    }

    /// The merge of a compaction: reads `input` in order, drops what no
    /// snapshot can see, and writes the rest into outputs of at most the
    /// compaction's file size, handing each finished one to `syncer`.
    /// With `range.flushes_imm`, flushes a full memtable first whenever one
    /// appears (its time is added to `imm_micros`).
    fn merge_into_outputs(
        &self,
        state: &mut CompactionState,
        syncer: &mut OutputSyncer<'_, '_>,
        input: &mut dyn InternalIterator,
        imm_micros: &mut u64,
        range: PartRange<'_>,
    ) -> Result<()> {
        let ucmp = Arc::clone(self.icmp.user_comparator());

        match range.start {
            Some(start) => input.seek(&internal_key(start, MAX_SEQUENCE, VALUE_TYPE_FOR_SEEK)),
            None => input.seek_to_first(),
        }
        let mut current_user_key: Vec<u8> = Vec::new();
        let mut has_current_user_key = false;
        let mut last_sequence_for_key = MAX_SEQUENCE;
        let mut result: Result<()> = Ok(());
        while input.valid() && !self.shutting_down.load(AtomicOrdering::Acquire) {
            // Flushing a full memtable takes priority: writers may be
            // waiting for it.
            if range.flushes_imm && self.has_imm.load(AtomicOrdering::Relaxed) {
                self.flush_imm_during_compaction(imm_micros);
            }

            let key = input.key();
            if let Some(end) = range.end {
                // A key too short to hold a tag is damaged; it stays with
                // the part that meets it.
                if key.len() >= 8
                    && ucmp.compare(crate::key::extract_user_key(key), end) != Ordering::Less
                {
                    break;
                }
            }
            if state.compaction.should_stop_before(key) && state.builder.is_some() {
                result = self.finish_compaction_output(state, Some(&mut *syncer), Ok(()));
                if result.is_err() {
                    break;
                }
            }

            let mut drop_entry = false;
            match parse_internal_key(key) {
                None => {
                    // Keep corrupt keys; do not let them hide anything.
                    current_user_key.clear();
                    has_current_user_key = false;
                    last_sequence_for_key = MAX_SEQUENCE;
                }
                Some(ikey) => {
                    if !has_current_user_key
                        || ucmp.compare(ikey.user_key, &current_user_key) != Ordering::Equal
                    {
                        current_user_key.clear();
                        current_user_key.extend_from_slice(ikey.user_key);
                        has_current_user_key = true;
                        last_sequence_for_key = MAX_SEQUENCE;
                    }
                    if last_sequence_for_key <= state.smallest_snapshot {
                        // Shadowed by a newer entry every snapshot sees.
                        drop_entry = true;
                    } else if ikey.value_type == ValueType::Deletion
                        && ikey.sequence <= state.smallest_snapshot
                        && state.compaction.is_base_level_for_key(ikey.user_key)
                    {
                        // Nothing older remains below for the deletion
                        // to hide, and newer entries of this key have
                        // their own fate: the deletion can go.
                        drop_entry = true;
                    }
                    last_sequence_for_key = ikey.sequence;
                }
            }

            if !drop_entry {
                if state.builder.is_none() {
                    result = self.open_compaction_output(state);
                    if result.is_err() {
                        break;
                    }
                }
                let builder = state.builder.as_mut().expect("open output");
                let output = state.outputs.last_mut().expect("output");
                if builder.num_entries() == 0 {
                    output.smallest.clear();
                    output.smallest.extend_from_slice(key);
                } else if self.icmp.compare(key, builder.last_key()) != Ordering::Greater {
                    // Only a damaged input table (keys out of order)
                    // gets here: writing its keys out would spread the
                    // damage into a table that claims to be sorted.
                    result = Err(Error::corruption("compaction input keys out of order"));
                    break;
                }
                if let Some(filter) = &mut state.key_filter {
                    filter.add_key(crate::key::extract_user_key(key));
                }
                // A block of the input that nothing else interleaves may be
                // written out as it is stored: end the output's open block
                // where that one starts, and offer it when an output block
                // ends (the builder checks that the two are the same).
                if let Some(next) = input.stored_block(true) {
                    builder.align_with(&next);
                }
                builder.add_with_stored_block(key, input.value(), || input.stored_block(false));
                if builder.file_size() >= state.compaction.max_output_file_size {
                    result = self.finish_compaction_output(state, Some(&mut *syncer), Ok(()));
                    if result.is_err() {
                        break;
                    }
                }
            }
            input.next();
        }
        if result.is_ok() && self.shutting_down.load(AtomicOrdering::Acquire) {
            result = Err(Error::io_error("Deleting DB during compaction"));
        }
        if result.is_ok() && state.builder.is_some() {
            // The last output has nothing left to overlap with: it is synced
            // here, and a compaction with one output starts no thread.
            result = self.finish_compaction_output(state, None, input.status());
        }
        if result.is_ok() {
            result = input.status();
        }
        result
    }

    fn install_compaction_results(
        &self,
        guard: &mut MutexGuard<'_, State>,
        state: &mut CompactionState,
    ) -> Result<()> {
        let c = &mut state.compaction;
        self.log(&format!(
            "Compacted {}@{} + {}@{} files => {} bytes",
            c.num_input_files(0),
            c.level,
            c.num_input_files(1),
            c.level + 1,
            state.total_bytes
        ));
        c.add_input_deletions();
        let level = c.level;
        for out in &state.outputs {
            if out.file_size == 0 {
                continue;
            }
            let mut meta = FileMetaData::new(
                out.number,
                out.file_size,
                out.smallest.clone(),
                out.largest.clone(),
            );
            meta.key_filter = out.key_filter.clone();
            c.edit.add_file_meta(level + 1, meta);
        }
        let mut edit = std::mem::take(&mut c.edit);
        self.log_and_apply(guard, &mut edit)
    }

    /// `compact_range`: flush the memtable, then compact every level that
    /// holds part of the range into the next.
    pub(crate) fn compact_range(
        self: &Arc<Self>,
        begin: Option<&[u8]>,
        end: Option<&[u8]>,
    ) -> Result<()> {
        let mut max_level_with_files = 1;
        {
            let guard = self.state.lock();
            let base = guard.versions.current();
            for level in 1..NUM_LEVELS {
                if base.overlap_in_level(level, begin, end) {
                    max_level_with_files = level;
                }
            }
        }
        self.flush_memtable()?;
        for level in 0..max_level_with_files {
            self.manual_compaction(level, begin, end)?;
        }
        Ok(())
    }

    /// Compacts `level` over the user-key range, step by step on the
    /// background thread, and waits until done.
    pub(super) fn manual_compaction(
        self: &Arc<Self>,
        level: usize,
        begin: Option<&[u8]>,
        end: Option<&[u8]>,
    ) -> Result<()> {
        let mut guard = self.state.lock();
        let id = guard.next_manual_id;
        guard.next_manual_id += 1;
        let mut installed = false;
        loop {
            if self.shutting_down.load(AtomicOrdering::Acquire) || guard.bg_error.is_some() {
                if guard.manual.as_ref().is_some_and(|m| m.id == id) {
                    guard.manual = None;
                    // Another manual compaction may be waiting for the slot.
                    self.bg_cv.notify_all();
                }
                return match &guard.bg_error {
                    Some(e) => Err(e.clone()),
                    None => Ok(()),
                };
            }
            match &guard.manual {
                None if !installed => {
                    guard.manual = Some(ManualCompaction {
                        id,
                        level,
                        begin: begin.map(|b| internal_key(b, MAX_SEQUENCE, VALUE_TYPE_FOR_SEEK)),
                        end: end.map(|e| internal_key(e, 0, ValueType::Deletion)),
                        done: false,
                    });
                    installed = true;
                    self.maybe_schedule_compaction(&mut guard);
                }
                Some(m) if m.id == id && m.done => {
                    guard.manual = None;
                    // Wake any other manual compaction waiting for the slot:
                    // nothing else signals once this one is finished.
                    self.bg_cv.notify_all();
                    return Ok(());
                }
                None => return Ok(()),
                _ => {}
            }
            self.bg_cv.wait(&mut guard);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::DB;
    use crate::options::{Options, WriteOptions};

    /// The level input of a compaction evicts each table from the table
    /// cache once the merge has moved past it, and the rest when exhausted,
    /// while still yielding every entry.
    #[test]
    fn releasing_input_evicts_tables_it_has_read_past() {
        let dir = tempfile::tempdir().unwrap();
        let name = dir.path().join("db").to_str().unwrap().to_string();
        let options = Options {
            create_if_missing: true,
            ..Options::default()
        };
        let db = DB::open(options, &name).unwrap();
        let wo = WriteOptions::default();
        // Two disjoint flushes: both tables land on level 2.
        for keys in [[b"a", b"c"], [b"x", b"z"]] {
            for k in keys {
                db.put(&wo, k, b"v").unwrap();
            }
            db.flush_memtable().unwrap();
        }
        let inner = &db.inner;
        let files = inner.state.lock().versions.current().files(2).to_vec();
        assert_eq!(files.len(), 2);
        let (first, second) = (files[0].number, files[1].number);
        let cache = &inner.table_cache;
        let mut input = ReleasingLevelInput {
            inner: LevelIterator::new(
                inner.icmp.clone(),
                Arc::clone(cache),
                LevelFiles::Owned(files.clone()),
                BlockReadOptions::default(),
            ),
            table_cache: Arc::clone(cache),
            files,
            passed: 0,
        };
        input.seek_to_first();
        let mut seen = Vec::new();
        while input.valid() {
            let user_key = crate::key::extract_user_key(input.key()).to_vec();
            // Reading the first table: it is open. Reading the second: the
            // first has been let go, the second is open.
            let (open, evicted) = if user_key < b"x".to_vec() {
                (first, None)
            } else {
                (second, Some(first))
            };
            assert!(cache.is_open(open), "{user_key:?}");
            if let Some(e) = evicted {
                assert!(!cache.is_open(e), "{user_key:?}");
            }
            seen.push(user_key);
            input.next();
        }
        assert_eq!(seen, [b"a", b"c", b"x", b"z"].map(|k| k.to_vec()));
        assert!(!cache.is_open(first) && !cache.is_open(second));
        input.status().unwrap();
    }
}
