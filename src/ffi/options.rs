//! Options for opening a database (`leveldb_options_t`, a Box handle around
//! the engine's `Options`).
//!
//! Setters copy plain values; for shared objects (comparator, filter policy,
//! env, cache) they take a new reference, so the object outlives the options
//! and every database opened with them even if the caller destroys its
//! handle early. Destroying the options never destroys those objects. One
//! thread at a time.

use std::os::raw::c_int;
use std::sync::Arc;

use super::env::EnvHandle;
use super::{boundary, c_bool, handle, require, ArcHandle, BoxHandle, Handle};
use super::{
    leveldb_cache_t, leveldb_comparator_t, leveldb_env_t, leveldb_filterpolicy_t, leveldb_logger_t,
    leveldb_options_t,
};
use crate::filter::FilterPolicy;
use crate::options::{CompressionType, Options};
use crate::util::comparator::{bytewise, Comparator};

handle!(leveldb_options_t => Options, BoxHandle);

/// Mutably borrows the options behind a handle for one setter call.
///
/// # Safety
/// `opt` is NULL or a live options handle not used elsewhere meanwhile.
unsafe fn options<'a>(opt: *mut leveldb_options_t) -> Option<&'a mut Options> {
    // SAFETY: caller contract.
    unsafe { BoxHandle::as_mut(opt) }
}

/// Returns new options with LevelDB's defaults (bytewise comparator, default
/// env, create_if_missing 0, error_if_exists 0, paranoid_checks 0,
/// write_buffer_size 4 MiB, max_open_files 1000, no cache set (the database
/// makes an 8 MiB one), block_size 4096, block_restart_interval 16,
/// max_file_size 2 MiB, snappy compression, no filter policy). Owned by the
/// caller, freed with `leveldb_options_destroy`.
#[no_mangle]
pub extern "C" fn leveldb_options_create() -> *mut leveldb_options_t {
    boundary!("leveldb_options_create", {
        <leveldb_options_t as BoxHandle>::into_handle(Options::default())
    })
}

/// Frees the options only: the comparator, filter policy, env and cache set
/// on them stay owned by the caller. NULL is a no-op; destroying twice is
/// not allowed.
#[no_mangle]
pub unsafe extern "C" fn leveldb_options_destroy(options: *mut leveldb_options_t) {
    boundary!("leveldb_options_destroy", {
        // SAFETY: NULL or a live handle the caller gives up here.
        unsafe { BoxHandle::free(options) }
    })
}

/// Sets the key order. The options (and databases opened with them) keep a
/// reference to the comparator, so its destructor runs only when the last
/// user is gone. NULL restores the default bytewise order.
#[no_mangle]
pub unsafe extern "C" fn leveldb_options_set_comparator(
    options: *mut leveldb_options_t,
    comparator: *mut leveldb_comparator_t,
) {
    boundary!("leveldb_options_set_comparator", {
        // SAFETY: NULL or live handles.
        let options = require!(unsafe { self::options(options) });
        // SAFETY: `comparator` is NULL or a live handle (the caller's contract).
        options.comparator = match unsafe { ArcHandle::clone_arc(comparator) } {
            Some(c) => c as Arc<dyn Comparator>,
            None => bytewise(),
        };
    })
}

/// Sets the filter policy (NULL: none). The options keep a reference to it,
/// as for the comparator.
#[no_mangle]
pub unsafe extern "C" fn leveldb_options_set_filter_policy(
    options: *mut leveldb_options_t,
    policy: *mut leveldb_filterpolicy_t,
) {
    boundary!("leveldb_options_set_filter_policy", {
        // SAFETY: NULL or live handles.
        let options = require!(unsafe { self::options(options) });
        options.filter_policy =
            // SAFETY: `policy` is NULL or a live handle (the caller's contract).
            unsafe { ArcHandle::clone_arc(policy) }.map(|p| p as Arc<dyn FilterPolicy>);
    })
}

/// Non-zero: create the database if it is missing (default 0).
#[no_mangle]
pub unsafe extern "C" fn leveldb_options_set_create_if_missing(
    options: *mut leveldb_options_t,
    value: u8,
) {
    boundary!("leveldb_options_set_create_if_missing", {
        // SAFETY: NULL or a live handle.
        require!(unsafe { self::options(options) }).create_if_missing = c_bool(value);
    })
}

/// Non-zero: opening an existing database fails (default 0).
#[no_mangle]
pub unsafe extern "C" fn leveldb_options_set_error_if_exists(
    options: *mut leveldb_options_t,
    value: u8,
) {
    boundary!("leveldb_options_set_error_if_exists", {
        // SAFETY: NULL or a live handle.
        require!(unsafe { self::options(options) }).error_if_exists = c_bool(value);
    })
}

/// Non-zero: detected corruption fails the operation instead of being
/// skipped (default 0).
#[no_mangle]
pub unsafe extern "C" fn leveldb_options_set_paranoid_checks(
    options: *mut leveldb_options_t,
    value: u8,
) {
    boundary!("leveldb_options_set_paranoid_checks", {
        // SAFETY: NULL or a live handle.
        require!(unsafe { self::options(options) }).paranoid_checks = c_bool(value);
    })
}

/// Sets the environment (file system, threads, clock). NULL restores the
/// default env. The options keep their own reference.
#[no_mangle]
pub unsafe extern "C" fn leveldb_options_set_env(
    options: *mut leveldb_options_t,
    env: *mut leveldb_env_t,
) {
    boundary!("leveldb_options_set_env", {
        // SAFETY: NULL or live handles.
        let options = require!(unsafe { self::options(options) });
        // SAFETY: `env` is NULL or a live handle (the caller's contract).
        options.env = match unsafe { Handle::as_ref(env) } {
            Some(EnvHandle(env)) => Arc::clone(env),
            None => crate::env::default_env(),
        };
    })
}

/// Sets the info logger. No function of this API creates a logger, so the
/// only meaningful value is NULL: log to the `LOG` file in the database
/// directory (the default). Any value is treated as NULL.
#[no_mangle]
pub unsafe extern "C" fn leveldb_options_set_info_log(
    options: *mut leveldb_options_t,
    logger: *mut leveldb_logger_t,
) {
    boundary!("leveldb_options_set_info_log", {
        let _ = logger;
        // SAFETY: NULL or a live handle.
        require!(unsafe { self::options(options) }).info_log = None;
    })
}

/// Bytes of updates buffered in memory before they are written to a table
/// (default 4 MiB; clamped to [64 KiB, 1 GiB] when the database opens).
#[no_mangle]
pub unsafe extern "C" fn leveldb_options_set_write_buffer_size(
    options: *mut leveldb_options_t,
    size: usize,
) {
    boundary!("leveldb_options_set_write_buffer_size", {
        // SAFETY: NULL or a live handle.
        require!(unsafe { self::options(options) }).write_buffer_size = size;
    })
}

/// Number of table files kept open (default 1000; clamped to [74, 50000]
/// when the database opens; negative counts as the minimum).
#[no_mangle]
pub unsafe extern "C" fn leveldb_options_set_max_open_files(
    options: *mut leveldb_options_t,
    num: c_int,
) {
    boundary!("leveldb_options_set_max_open_files", {
        // SAFETY: NULL or a live handle.
        require!(unsafe { self::options(options) }).max_open_files =
            usize::try_from(num).unwrap_or(0);
    })
}

/// Sets the block cache, shared with whoever else uses it; the options keep
/// their own reference. NULL: the database makes its own 8 MiB cache.
#[no_mangle]
pub unsafe extern "C" fn leveldb_options_set_cache(
    options: *mut leveldb_options_t,
    cache: *mut leveldb_cache_t,
) {
    boundary!("leveldb_options_set_cache", {
        // SAFETY: NULL or live handles.
        let options = require!(unsafe { self::options(options) });
        // SAFETY: `cache` is NULL or a live handle (the caller's contract).
        options.block_cache = unsafe { ArcHandle::clone_arc(cache) };
    })
}

/// Approximate uncompressed bytes per data block (default 4096; clamped to
/// [1 KiB, 4 MiB] when the database opens).
#[no_mangle]
pub unsafe extern "C" fn leveldb_options_set_block_size(
    options: *mut leveldb_options_t,
    size: usize,
) {
    boundary!("leveldb_options_set_block_size", {
        // SAFETY: NULL or a live handle.
        require!(unsafe { self::options(options) }).block_size = size;
    })
}

/// Keys between restart points in a block (default 16; values below 1 act
/// as 1, as they do in LevelDB).
#[no_mangle]
pub unsafe extern "C" fn leveldb_options_set_block_restart_interval(
    options: *mut leveldb_options_t,
    n: c_int,
) {
    boundary!("leveldb_options_set_block_restart_interval", {
        // SAFETY: NULL or a live handle.
        require!(unsafe { self::options(options) }).block_restart_interval =
            usize::try_from(n).unwrap_or(0).max(1);
    })
}

/// Bytes written to one table file before starting the next (default
/// 2 MiB; clamped to [1 MiB, 1 GiB] when the database opens).
#[no_mangle]
pub unsafe extern "C" fn leveldb_options_set_max_file_size(
    options: *mut leveldb_options_t,
    size: usize,
) {
    boundary!("leveldb_options_set_max_file_size", {
        // SAFETY: NULL or a live handle.
        require!(unsafe { self::options(options) }).max_file_size = size;
    })
}

/// Block compression: `leveldb_no_compression` (0),
/// `leveldb_snappy_compression` (1, the default) or 2 for zstd at level 1
/// (LevelDB's later `kZstdCompression`; tables that LevelDB 1.23 cannot
/// read). Other values mean none (LevelDB 1.23 would write blocks it cannot
/// read back).
#[no_mangle]
pub unsafe extern "C" fn leveldb_options_set_compression(
    options: *mut leveldb_options_t,
    compression: c_int,
) {
    boundary!("leveldb_options_set_compression", {
        // SAFETY: NULL or a live handle.
        require!(unsafe { self::options(options) }).compression =
            CompressionType::from_c(compression);
    })
}
