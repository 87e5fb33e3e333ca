//! The policy of the in-memory key filters that tables keep
//! (`FileMetaData::key_filter`): which levels have them, how many bits per
//! key, and the builders that flushes and compactions fill as they write a
//! table. The filters themselves are Bloom filters of user keys
//! (`util::bloom`), consulted by `Version::get` before a table is read.
//!
//! Invariants:
//! * A filter is never written to disk: a table LevelDB wrote, or one opened
//!   after a restart, simply has none, and is read as LevelDB reads it.
//! * A filter holds every user key of its table (it is filled from the very
//!   entries the table is written from), so it never rules out a key the
//!   table holds; a false positive only costs the block read it would have
//!   cost anyway.
//! * Filters exist only under a bytewise comparator: a filter over user-key
//!   bytes is sound only if no two different byte strings compare equal.
//! * Versions drop the filters of tables moved below `MAX_LEVEL`, so memory
//!   stays bounded by the size of levels 0 to `MAX_LEVEL`.

use crate::util::bloom::{BloomFilterPolicy, FoldingFilterBuilder};
use crate::util::comparator::Comparator;

/// The deepest level whose tables keep a key filter. A lookup consults every
/// level-0 file whose range holds its key and one file per level below; a
/// filter saves it the block read (and decompression) of each that lacks
/// the key, and of the last one when the key is absent altogether. Levels 1
/// and 2 hold about 10 and 100 MiB of data, so their filters take up to a
/// few MiB (at 10-20 bits per key); each deeper level would take ten times
/// more, so those stay unfiltered.
pub const MAX_LEVEL: usize = 2;

/// The deepest level at which a memtable flush gets a key filter. A flush
/// lands at level 2 only when its key range overlaps no file of levels 0 to
/// 2 (and few bytes of level 3), as in a sequential bulk load, which then
/// puts every table there: filters for all of them cost fillseq a tenth
/// more peak memory (15.6 against 14.0 MiB), for lookups such loads rarely
/// make. Level-2 tables written by compactions, where random writes settle,
/// keep theirs.
pub const FLUSH_MAX_LEVEL: usize = 1;

/// Bits per key, at least: about 1% false positives, as LevelDB's
/// recommended `NewBloomFilterPolicy(10)`.
pub const BITS_PER_KEY: usize = 10;

/// Whether a table that a compaction writes to `level` gets a key filter.
pub fn kept_at(level: usize, user_comparator: &dyn Comparator) -> bool {
    level <= MAX_LEVEL && user_comparator.is_bytewise()
}

/// Whether a table that a memtable flush writes to `level` gets one.
pub fn kept_by_flush_at(level: usize, user_comparator: &dyn Comparator) -> bool {
    level <= FLUSH_MAX_LEVEL && kept_at(level, user_comparator)
}

/// The builder of a flushed table's filter, sized for the memtable's
/// `entries` up front so that the flush holds no keys or hashes (entries a
/// flush leaves out only make the filter fold further).
pub fn flush_builder(entries: usize) -> FoldingFilterBuilder {
    FoldingFilterBuilder::new(&BloomFilterPolicy::new(BITS_PER_KEY), entries)
}

/// The builder a compaction reuses for all its outputs (each finished output
/// takes a copy folded down to its own key count), sized for outputs of
/// 32-byte entries (about 65 000 at the default 2 MiB), with a bound for a
/// very large `max_file_size`. Outputs with more keys still get a correct
/// filter, only a denser one.
pub fn compaction_builder(max_output_file_size: u64) -> FoldingFilterBuilder {
    let max_keys = (max_output_file_size / 32).min(1 << 18) as usize;
    FoldingFilterBuilder::new(&BloomFilterPolicy::new(BITS_PER_KEY), max_keys)
}
