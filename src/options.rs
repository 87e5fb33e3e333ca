//! Options with LevelDB 1.23's defaults, and its clamping of out-of-range
//! values (applied by [`Options::sanitized`] when a database opens).

use std::sync::Arc;

use crate::env::{Env, Logger};
use crate::filter::FilterPolicy;
use crate::snapshot::Snapshot;
pub use crate::table::format::CompressionType;
use crate::table::{BlockCache, BlockReadOptions, TableOptions};
use crate::util::comparator::{bytewise, Comparator};

/// Options for opening a database (LevelDB's `Options`). Build them with
/// struct-update syntax from [`Options::default()`], whose values are
/// LevelDB 1.23's (each field says its default; `tests/options_defaults.rs`
/// checks them against LevelDB's own). Sizes out of LevelDB's ranges are
/// clamped when the database opens, as LevelDB's `SanitizeOptions` does.
///
/// ```
/// use std::sync::Arc;
/// use leveldb::{BloomFilterPolicy, Options, DB};
///
/// let options = Options {
///     create_if_missing: true,
///     write_buffer_size: 16 << 20,
///     filter_policy: Some(Arc::new(BloomFilterPolicy::new(10))),
///     ..Options::default()
/// };
/// # let dir = tempfile::tempdir().unwrap();
/// let db = DB::open(options, dir.path()).unwrap();
/// ```
#[derive(Clone)]
pub struct Options {
    /// The order of keys; its name is stored in the MANIFEST, and a
    /// database only opens with a comparator of the same name. Default:
    /// [`BytewiseComparator`](crate::BytewiseComparator) (`leveldb.BytewiseComparator`).
    pub comparator: Arc<dyn Comparator>,
    /// Create the database if it is missing. Default: `false`.
    pub create_if_missing: bool,
    /// Fail to open a database that already exists. Default: `false`.
    pub error_if_exists: bool,
    /// Check aggressively: a damaged record fails the operation instead of
    /// being skipped. Default: `false`.
    pub paranoid_checks: bool,
    /// The file system and background thread. Default: the process-wide
    /// POSIX environment (LevelDB's `Env::Default()`).
    pub env: Arc<dyn Env>,
    /// Where the info log goes. Default: `None`, which writes `LOG` in
    /// the database directory (the previous one kept as `LOG.old`).
    pub info_log: Option<Arc<dyn Logger>>,
    /// Bytes of writes held in the memtable before it is flushed.
    /// Default: 4 MiB (clamped to 64 KiB..=1 GiB).
    pub write_buffer_size: usize,
    /// Files the database may keep open, table files getting all but 10.
    /// Default: 1000 (clamped to 74..=50000).
    pub max_open_files: usize,
    /// The cache of uncompressed blocks. Default: `None`, which gives each
    /// database its own 8 MiB cache.
    pub block_cache: Option<Arc<BlockCache>>,
    /// Approximate uncompressed size of a data block. Default: 4 KiB
    /// (clamped to 1 KiB..=4 MiB).
    pub block_size: usize,
    /// Entries between restart points in a block. Default: 16.
    pub block_restart_interval: usize,
    /// Bytes written to a table before a new one is started. Default:
    /// 2 MiB (clamped to 1 MiB..=1 GiB).
    pub max_file_size: usize,
    /// How table blocks are compressed. Default:
    /// [`CompressionType::Snappy`]. `Zstd` writes tables that LevelDB 1.23
    /// cannot read (LevelDB releases after it can).
    pub compression: CompressionType,
    /// The zstd level used when `compression` is `Zstd` (LevelDB's
    /// `zstd_compression_level`). Default: 1. LevelDB documents -5 to 22;
    /// zstd takes 0 as its own default (3), higher levels as 22 and lower
    /// ones as its fastest.
    pub zstd_compression_level: i32,
    /// Reuse existing log and MANIFEST files on open (LevelDB's
    /// `reuse_logs`). Default: `false`.
    pub reuse_logs: bool,
    /// A filter policy (a Bloom filter) to skip tables that lack a key.
    /// Default: `None`.
    pub filter_policy: Option<Arc<dyn FilterPolicy>>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            comparator: bytewise(),
            create_if_missing: false,
            error_if_exists: false,
            paranoid_checks: false,
            env: crate::env::default_env(),
            info_log: None,
            write_buffer_size: 4 << 20,
            max_open_files: 1000,
            block_cache: None,
            block_size: 4 << 10,
            block_restart_interval: 16,
            max_file_size: 2 << 20,
            compression: CompressionType::Snappy,
            zstd_compression_level: crate::table::compression::DEFAULT_ZSTD_LEVEL,
            reuse_logs: false,
            filter_policy: None,
        }
    }
}

fn clip(value: usize, min: usize, max: usize) -> usize {
    value.clamp(min, max)
}

impl Options {
    /// What the table layer builds and reads tables with, from these
    /// options (the database substitutes its internal-key comparator and
    /// filter policy first).
    pub fn table_options(&self) -> TableOptions {
        TableOptions {
            comparator: Arc::clone(&self.comparator),
            filter_policy: self.filter_policy.clone(),
            block_cache: self.block_cache.clone(),
            block_size: self.block_size,
            block_restart_interval: self.block_restart_interval,
            compression: self.compression,
            zstd_compression_level: self.zstd_compression_level,
            paranoid_checks: self.paranoid_checks,
        }
    }

    /// The options as LevelDB's `SanitizeOptions` leaves them: sizes clamped
    /// to the ranges LevelDB accepts.
    pub fn sanitized(&self) -> Options {
        let mut o = self.clone();
        o.max_open_files = clip(o.max_open_files, 64 + 10, 50000);
        o.write_buffer_size = clip(o.write_buffer_size, 64 << 10, 1 << 30);
        o.max_file_size = clip(o.max_file_size, 1 << 20, 1 << 30);
        o.block_size = clip(o.block_size, 1 << 10, 4 << 20);
        o
    }
}

/// Options for reads (LevelDB's `ReadOptions`). `default()` is `new()`:
/// LevelDB 1.23's defaults.
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// # let db = leveldb::DB::open(leveldb::Options { create_if_missing: true, ..Default::default() }, dir.path()).unwrap();
/// use leveldb::ReadOptions;
///
/// let careful = ReadOptions { verify_checksums: true, ..ReadOptions::new() };
/// assert_eq!(db.get(&careful, b"k").unwrap(), None);
/// ```
#[derive(Clone, Debug)]
pub struct ReadOptions {
    /// Verify the checksum of every block read. Default: `false`.
    pub verify_checksums: bool,
    /// Cache the blocks read; bulk scans may turn it off. Default: `true`.
    pub fill_cache: bool,
    /// Read as of this snapshot ([`DB::snapshot`](crate::DB::snapshot)).
    /// Default: `None`, the latest state.
    pub snapshot: Option<Snapshot>,
}

impl ReadOptions {
    /// LevelDB's default read options: no checksum verification, fill the
    /// cache, read the latest state.
    ///
    /// ```
    /// let o = leveldb::ReadOptions::new();
    /// assert!(!o.verify_checksums && o.fill_cache && o.snapshot.is_none());
    /// ```
    pub fn new() -> ReadOptions {
        ReadOptions {
            verify_checksums: false,
            fill_cache: true,
            snapshot: None,
        }
    }
}

impl ReadOptions {
    /// How this read uses table blocks.
    pub fn block_reads(&self) -> BlockReadOptions {
        BlockReadOptions {
            verify_checksums: self.verify_checksums,
            fill_cache: self.fill_cache,
        }
    }
}

impl Default for ReadOptions {
    fn default() -> ReadOptions {
        ReadOptions::new()
    }
}

/// Options for writes (LevelDB's `WriteOptions`).
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// # let db = leveldb::DB::open(leveldb::Options { create_if_missing: true, ..Default::default() }, dir.path()).unwrap();
/// use leveldb::WriteOptions;
///
/// db.put(&WriteOptions { sync: true }, b"durable", b"yes").unwrap();
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct WriteOptions {
    /// Sync the log to stable storage before the write is acknowledged, so
    /// that it survives a power cut (without it, a write survives a crash
    /// of the process, not of the machine). Default: `false`.
    pub sync: bool,
}

/// Shows each field; the comparator and filter policy by name.
impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("comparator", &self.comparator.name())
            .field("create_if_missing", &self.create_if_missing)
            .field("error_if_exists", &self.error_if_exists)
            .field("paranoid_checks", &self.paranoid_checks)
            .field("info_log", &self.info_log.as_ref().map(|_| "custom"))
            .field("write_buffer_size", &self.write_buffer_size)
            .field("max_open_files", &self.max_open_files)
            .field(
                "block_cache",
                &self.block_cache.as_ref().map(|c| c.capacity()),
            )
            .field("block_size", &self.block_size)
            .field("block_restart_interval", &self.block_restart_interval)
            .field("max_file_size", &self.max_file_size)
            .field("compression", &self.compression)
            .field("zstd_compression_level", &self.zstd_compression_level)
            .field("reuse_logs", &self.reuse_logs)
            .field(
                "filter_policy",
                &self.filter_policy.as_ref().map(|p| p.name()),
            )
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamps_like_sanitize_options() {
        let mut o = Options {
            max_open_files: 1,
            write_buffer_size: 1,
            max_file_size: usize::MAX,
            block_size: 1,
            ..Options::default()
        };
        let s = o.sanitized();
        assert_eq!(
            (
                s.max_open_files,
                s.write_buffer_size,
                s.max_file_size,
                s.block_size
            ),
            (74, 64 << 10, 1 << 30, 1 << 10)
        );
        o.max_open_files = 100_000;
        o.block_size = 100 << 20;
        let s = o.sanitized();
        assert_eq!((s.max_open_files, s.block_size), (50000, 4 << 20));
        let d = Options::default().sanitized();
        assert_eq!((d.write_buffer_size, d.max_open_files), (4 << 20, 1000));
    }
}
