//! Options with LevelDB 1.23's defaults, and its clamping of out-of-range
//! values (applied by [`Options::sanitized`] when a database opens).

use std::sync::Arc;

use crate::env::{Env, Logger};
use crate::filter::FilterPolicy;
use crate::snapshot::Snapshot;
pub use crate::table::format::CompressionType;
use crate::table::{BlockCache, BlockReadOptions, TableOptions};
use crate::util::comparator::{bytewise, Comparator};

/// Options for opening a database (LevelDB's `Options`).
#[derive(Clone)]
pub struct Options {
    /// The order of keys; its name is stored in the MANIFEST.
    pub comparator: Arc<dyn Comparator>,
    pub create_if_missing: bool,
    pub error_if_exists: bool,
    /// Check aggressively: a damaged record fails the operation instead of
    /// being skipped.
    pub paranoid_checks: bool,
    pub env: Arc<dyn Env>,
    /// Where the info log goes; `None` writes `LOG` in the database directory.
    pub info_log: Option<Arc<dyn Logger>>,
    /// Bytes of writes held in the memtable before it is flushed (4 MiB).
    pub write_buffer_size: usize,
    /// Table files kept open (1000).
    pub max_open_files: usize,
    /// The cache of uncompressed blocks; `None` uses an 8 MiB one per DB.
    pub block_cache: Option<Arc<BlockCache>>,
    /// Approximate uncompressed size of a data block (4 KiB).
    pub block_size: usize,
    /// Entries between restart points in a block (16).
    pub block_restart_interval: usize,
    /// Bytes written to a table before a new one is started (2 MiB).
    pub max_file_size: usize,
    /// How table blocks are compressed (`Snappy`). `Zstd` writes tables
    /// that LevelDB 1.23 cannot read (LevelDB releases after it can).
    pub compression: CompressionType,
    /// The zstd level used when `compression` is `Zstd` (LevelDB's
    /// `zstd_compression_level`, default 1). LevelDB documents -5 to 22;
    /// zstd takes 0 as its own default (3), higher levels as 22 and lower
    /// ones as its fastest.
    pub zstd_compression_level: i32,
    /// Reuse existing log and MANIFEST files on open (LevelDB's reuse_logs).
    pub reuse_logs: bool,
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
/// LevelDB's defaults, with `fill_cache` true.
#[derive(Clone)]
pub struct ReadOptions {
    /// Verify the checksum of every block read.
    pub verify_checksums: bool,
    /// Cache the blocks read (default true); bulk scans may turn it off.
    pub fill_cache: bool,
    /// Read as of this snapshot; `None` reads the latest state.
    pub snapshot: Option<Snapshot>,
}

impl ReadOptions {
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
#[derive(Clone, Copy, Debug, Default)]
pub struct WriteOptions {
    /// Sync the log before the write is acknowledged.
    pub sync: bool,
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
