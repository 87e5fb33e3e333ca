//! Versions: which table files make up the database at each level, and the
//! MANIFEST that records how that set changes (LevelDB's db/version_set).
//!
//! Invariants: a [`version::Version`] is immutable once built and shared as
//! an `Arc`; readers keep the files of every version they hold alive (the
//! [`set::VersionSet`] tracks live versions through weak references, and
//! obsolete-file removal only deletes tables no live version names). Files of
//! level 0 may overlap and are searched newest first; files of every other
//! level are disjoint and sorted by smallest key. The `VersionSet` itself is
//! not thread-safe: the database guards it with its mutex.

pub mod builder;
pub mod compaction;
pub mod edit;
pub mod key_filter;
pub mod set;
#[cfg(test)]
mod tests;
#[allow(clippy::module_inception)]
pub mod version;

/// Level-0 file count at which a compaction of level 0 is wanted.
pub const L0_COMPACTION_TRIGGER: usize = 4;
/// Level-0 file count at which each write is delayed by 1 ms.
pub const L0_SLOWDOWN_WRITES_TRIGGER: usize = 8;
/// Level-0 file count at which writes wait for compaction.
pub const L0_STOP_WRITES_TRIGGER: usize = 12;
/// The deepest level a flushed memtable may be placed at directly.
pub const MAX_MEM_COMPACT_LEVEL: usize = 2;
/// Bytes of iteration between read samples (seek-charging of files).
pub const READ_BYTES_PERIOD: u64 = 1_048_576;
pub use edit::NUM_LEVELS;

/// The size a level may grow to before it is compacted: 10 MiB for levels 0
/// and 1, ten times more for each deeper level.
pub fn max_bytes_for_level(level: usize) -> f64 {
    let mut result = 10.0 * 1_048_576.0;
    let mut l = level;
    while l > 1 {
        result *= 10.0;
        l -= 1;
    }
    result
}

/// Output table size target (LevelDB's TargetFileSize).
pub fn target_file_size(max_file_size: usize) -> u64 {
    max_file_size as u64
}

/// Bytes of grandparent overlap after which a compaction output is cut.
pub fn max_grand_parent_overlap_bytes(max_file_size: usize) -> u64 {
    10 * target_file_size(max_file_size)
}

/// Upper bound on the bytes a compaction may grow its inputs to.
pub fn expanded_compaction_byte_size_limit(max_file_size: usize) -> u64 {
    25 * target_file_size(max_file_size)
}

/// Total size of a list of files.
pub fn total_file_size(files: &[std::sync::Arc<edit::FileMetaData>]) -> u64 {
    files.iter().map(|f| f.file_size).sum()
}
