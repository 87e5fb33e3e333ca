//! `leveldb::Options`, `ReadOptions` and `WriteOptions` as the C++ layer
//! hands them over, translated into the engine's options: plain values are
//! copied, plugged-in objects become the engine's own (native ones) or
//! adapters of the C++ objects (`cpp_plugins`). Everything is borrowed for
//! the call.

#![allow(clippy::missing_safety_doc)]

use std::os::raw::{c_int, c_void};
use std::sync::Arc;

use super::cpp_bridge::*;
use super::cpp_plugins::*;
use super::engine::BlockCache;
use crate::filter::FilterPolicy;
use crate::options::{CompressionType, Options, ReadOptions};
use crate::snapshot::Snapshot;
use crate::util::comparator::bytewise;

/// `leveldb::Options`, translated by the C++ layer: plain values copied,
/// plugged-in objects sorted into the engine's own (`native_*`, used
/// directly) and the caller's C++ subclasses (called through their vtables).
#[repr(C)]
pub struct CppOptions {
    /// A C++ `Comparator*` other than `BytewiseComparator()`; NULL for it.
    pub comparator: *mut c_void,
    /// A C++ `FilterPolicy*` subclass of the caller; NULL if none or native.
    pub filter_policy: *mut c_void,
    /// `NewBloomFilterPolicy`'s engine policy (`strata_cpp_bloom_new`).
    pub native_filter_policy: *const NativeFilterPolicy,
    /// A C++ `Env*` of the caller; NULL if it is one of ours (then see
    /// `native_env`).
    pub env: *mut c_void,
    /// The engine env behind `Env::Default()` / `NewMemEnv`.
    pub native_env: *const super::cpp_native_env::NativeEnv,
    /// A C++ `Logger*`; NULL for the default `LOG` file.
    pub info_log: *mut c_void,
    /// The engine cache behind `NewLRUCache`; NULL for a private one or
    /// the caller's own (then see `user_block_cache`).
    pub block_cache: *const NativeCache,
    /// A C++ `Cache*` subclass of the caller; NULL if none or ours.
    pub user_block_cache: *mut c_void,
    pub write_buffer_size: usize,
    pub block_size: usize,
    pub max_file_size: usize,
    pub max_open_files: c_int,
    pub block_restart_interval: c_int,
    pub compression: c_int,
    pub create_if_missing: u8,
    pub error_if_exists: u8,
    pub paranoid_checks: u8,
    pub reuse_logs: u8,
}

/// What `NewBloomFilterPolicy` wraps.
pub struct NativeFilterPolicy(pub(crate) Arc<dyn FilterPolicy>);
/// What `NewLRUCache` wraps.
pub struct NativeCache(pub(crate) Arc<BlockCache>);

/// Builds engine options.
///
/// # Safety
/// Every non-NULL pointer in `o` is live (and stays so while the options
/// are used).
pub(crate) unsafe fn engine_options(o: &CppOptions) -> Options {
    let mut options = Options::default();
    if !o.comparator.is_null() {
        // SAFETY: a live C++ comparator.
        let name = name_of(unsafe { (callbacks().cmp_name)(o.comparator) });
        options.comparator = Arc::new(CppComparator {
            obj: CppPtr(o.comparator),
            name,
        });
    } else {
        options.comparator = bytewise();
    }
    // SAFETY: NULL or a live policy, by the caller's contract.
    if let Some(native) = unsafe { o.native_filter_policy.as_ref() } {
        options.filter_policy = Some(Arc::clone(&native.0));
    } else if !o.filter_policy.is_null() {
        // SAFETY: a live C++ policy.
        let name = name_of(unsafe { (callbacks().fp_name)(o.filter_policy) });
        options.filter_policy = Some(Arc::new(CppFilterPolicy {
            obj: CppPtr(o.filter_policy),
            name,
        }));
    }
    if !o.env.is_null() {
        options.env = super::cpp_env::cpp_env(o.env);
    } else if let Some(native) =
        // SAFETY: NULL or a live env, by the caller's contract.
        unsafe { o.native_env.as_ref() }
    {
        options.env = Arc::clone(&native.0);
    }
    if !o.info_log.is_null() {
        options.info_log = Some(Arc::new(CppLogger {
            obj: CppPtr(o.info_log),
            owned: false,
        }));
    }
    // SAFETY: NULL or a live cache.
    if let Some(cache) = unsafe { o.block_cache.as_ref() } {
        options.block_cache = Some(Arc::clone(&cache.0));
    } else if !o.user_block_cache.is_null() {
        options.block_cache = Some(super::cpp_cache::cpp_block_cache(o.user_block_cache));
    }
    options.create_if_missing = o.create_if_missing != 0;
    options.error_if_exists = o.error_if_exists != 0;
    options.paranoid_checks = o.paranoid_checks != 0;
    options.reuse_logs = o.reuse_logs != 0;
    options.write_buffer_size = o.write_buffer_size;
    options.block_size = o.block_size;
    options.max_file_size = o.max_file_size;
    options.max_open_files = usize::try_from(o.max_open_files).unwrap_or(0);
    options.block_restart_interval = usize::try_from(o.block_restart_interval)
        .unwrap_or(0)
        .max(1);
    // The C++ `Options` keeps LevelDB 1.23's layout, which has no
    // `zstd_compression_level`: zstd runs at LevelDB's default level.
    options.compression = CompressionType::from_c(o.compression);
    options
}

/// `leveldb::ReadOptions`, translated.
#[repr(C)]
pub struct CppReadOptions {
    /// From `strata_cpp_db_snapshot`, or NULL.
    pub snapshot: *const Snapshot,
    pub verify_checksums: u8,
    pub fill_cache: u8,
}

/// # Safety
/// `o` is live; its snapshot NULL or live.
pub(crate) unsafe fn read_options(o: *const CppReadOptions) -> ReadOptions {
    // SAFETY: caller contract.
    let o = unsafe { &*o };
    ReadOptions {
        verify_checksums: o.verify_checksums != 0,
        fill_cache: o.fill_cache != 0,
        // SAFETY: caller contract.
        snapshot: unsafe { o.snapshot.as_ref() }.cloned(),
    }
}
