//! Reads: point lookups through the memtables and the current version,
//! iterators over a merged view of them, and the database's properties.
//!
//! Invariant: a read sees exactly the writes with sequence numbers up to
//! its read point (its snapshot's, or the last one written when it began),
//! through one `ReadView` taken under the mutex.

use std::sync::Arc;

use super::{CompactionStats, DbInner, DbIterator, ReadView};
use crate::iterator::InternalIterator;
use crate::key::{InternalKeyComparator, LookupKey, LookupOutcome, SequenceNumber};
use crate::memtable::MemTable;
use crate::options::ReadOptions;
use crate::status::Result;
use crate::table::BlockReadOptions;
use crate::version::version::{GetStats, Version};
use crate::version::NUM_LEVELS;

/// A read point held for iterators made later (see
/// [`DbInner::pin_read_point`]).
pub(crate) struct PinnedReadPoint {
    view: Arc<ReadView>,
    sequence: SequenceNumber,
    seed: u32,
}

impl DbInner {
    /// Passes the value of `key`, if any, to `value_sink`.
    pub(super) fn get(
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
        let found = current.get(&options.block_reads(), &lookup, value_sink, &mut stats);
        if stats.seek_file.is_some() && current.update_stats(&stats) {
            let mut guard = self.state.lock();
            self.maybe_schedule_compaction(&mut guard);
        }
        found
    }

    pub(super) fn new_iterator(self: &Arc<Self>, options: &ReadOptions) -> DbIterator {
        let point = self.pin_read_point(options);
        self.iterator_at(&point, &options.block_reads())
    }

    /// Pins what an iterator as of `options` reads: the read view and the
    /// sequence number (its snapshot's, or the last one written now). Any
    /// number of iterators made from it with [`DbInner::iterator_at`], now
    /// or later, see the same entries: the pinned memtables and version
    /// hold every entry visible at that sequence, and nothing newer shows.
    pub(super) fn pin_read_point(&self, options: &ReadOptions) -> PinnedReadPoint {
        let mut guard = self.state.lock();
        guard.seed = guard.seed.wrapping_add(1);
        let (view, sequence) = guard.read_point(options);
        PinnedReadPoint {
            view,
            sequence,
            seed: guard.seed,
        }
    }

    /// An iterator over `point`, reading table blocks as `reads` says.
    pub(super) fn iterator_at(
        self: &Arc<Self>,
        point: &PinnedReadPoint,
        reads: &BlockReadOptions,
    ) -> DbIterator {
        let ReadView { mem, imm, current } = &*point.view;
        let merged = merged_iterator(&self.icmp, std::iter::once(mem).chain(imm), current, reads);
        DbIterator::new(
            self.icmp.clone(),
            merged,
            point.sequence,
            Arc::clone(current),
            Arc::downgrade(self),
            point.seed,
        )
    }

    pub(super) fn property(&self, name: &str) -> Option<String> {
        let guard = self.state.lock();
        property_value(name, guard.versions.current(), &guard.stats, || {
            let mut total = self.block_cache.total_charge() as u64;
            total += guard.mem.approximate_memory_usage() as u64;
            if let Some(imm) = &guard.imm {
                total += imm.approximate_memory_usage() as u64;
            }
            total
        })
    }
}

/// One iterator over the memtables `mems` and the tables of `current`,
/// merged in internal-key order.
pub(crate) fn merged_iterator<'a>(
    icmp: &InternalKeyComparator,
    mems: impl IntoIterator<Item = &'a Arc<MemTable>>,
    current: &Arc<Version>,
    reads: &BlockReadOptions,
) -> Box<dyn InternalIterator> {
    // A memtable empty now was empty at the iterator's sequence too
    // (entries are never removed), and whatever it gets later is newer than
    // the iterator can see: leaving it out lets a settled database (one
    // level, nothing in memory) be read without a merge at every step.
    let mut children: Vec<Box<dyn InternalIterator>> = Vec::new();
    for table in mems {
        if !table.is_empty() {
            children.push(Box::new(table.iter()));
        }
    }
    current.add_iterators(reads, &mut children);
    match children.len() {
        0 => Box::new(crate::iterator::EmptyIterator::new()),
        1 => children.pop().expect("one child"),
        _ => Box::new(crate::table::merger::MergingIterator::new(
            icmp.clone(),
            children,
        )),
    }
}

/// The value of LevelDB property `name` for a database whose current
/// version is `current`, with compaction statistics `stats`;
/// `memory_usage` gives `leveldb.approximate-memory-usage` (asked only for
/// that property). Shared by the database and its read-only view.
pub(crate) fn property_value(
    name: &str,
    current: &Version,
    stats: &[CompactionStats; NUM_LEVELS],
    memory_usage: impl FnOnce() -> u64,
) -> Option<String> {
    let rest = name.strip_prefix("leveldb.")?;
    if let Some(level) = rest.strip_prefix("num-files-at-level") {
        if level.is_empty() || !level.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let level: usize = level.parse().ok()?;
        if level >= NUM_LEVELS {
            return None;
        }
        return Some(current.num_files(level).to_string());
    }
    match rest {
        "stats" => {
            let mut out = String::from(
                "                               Compactions\n\
                 Level  Files Size(MB) Time(sec) Read(MB) Write(MB)\n\
                 --------------------------------------------------\n",
            );
            for (level, s) in stats.iter().enumerate() {
                let files = current.num_files(level);
                if s.micros > 0 || files > 0 {
                    out.push_str(&format!(
                        "{:3} {:8} {:8.0} {:9.0} {:8.0} {:9.0}\n",
                        level,
                        files,
                        current.num_level_bytes(level) as f64 / 1048576.0,
                        s.micros as f64 / 1e6,
                        s.bytes_read as f64 / 1048576.0,
                        s.bytes_written as f64 / 1048576.0
                    ));
                }
            }
            Some(out)
        }
        "sstables" => Some(current.debug_string()),
        "approximate-memory-usage" => Some(memory_usage().to_string()),
        _ => None,
    }
}
