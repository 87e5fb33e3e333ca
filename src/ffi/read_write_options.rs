//! Options for reads and writes (`leveldb_readoptions_t`,
//! `leveldb_writeoptions_t`: Box handles around the engine's `ReadOptions` /
//! `WriteOptions`). One thread at a time.

use super::{boundary, c_bool, handle, require, BoxHandle, Handle};
use super::{leveldb_readoptions_t, leveldb_snapshot_t, leveldb_writeoptions_t};
use crate::options::{ReadOptions, WriteOptions};

handle!(leveldb_readoptions_t => ReadOptions, BoxHandle);
handle!(leveldb_writeoptions_t => WriteOptions, BoxHandle);

/// Returns new read options with LevelDB's defaults (verify_checksums 0,
/// fill_cache 1, no snapshot). Owned by the caller, freed with
/// `leveldb_readoptions_destroy`.
#[no_mangle]
pub extern "C" fn leveldb_readoptions_create() -> *mut leveldb_readoptions_t {
    boundary!("leveldb_readoptions_create", {
        <leveldb_readoptions_t as BoxHandle>::into_handle(ReadOptions::new())
    })
}

/// Frees read options. NULL is a no-op; destroying twice is not allowed.
#[no_mangle]
pub unsafe extern "C" fn leveldb_readoptions_destroy(options: *mut leveldb_readoptions_t) {
    boundary!("leveldb_readoptions_destroy", {
        // SAFETY: NULL or a live handle the caller gives up here.
        unsafe { BoxHandle::free(options) }
    })
}

/// Non-zero: verify the checksum of every block read (default 0).
#[no_mangle]
pub unsafe extern "C" fn leveldb_readoptions_set_verify_checksums(
    options: *mut leveldb_readoptions_t,
    value: u8,
) {
    boundary!("leveldb_readoptions_set_verify_checksums", {
        // SAFETY: NULL or a live handle.
        require!(unsafe { BoxHandle::as_mut(options) }).verify_checksums = c_bool(value);
    })
}

/// Zero: blocks read are not added to the cache (default 1), for bulk scans.
#[no_mangle]
pub unsafe extern "C" fn leveldb_readoptions_set_fill_cache(
    options: *mut leveldb_readoptions_t,
    value: u8,
) {
    boundary!("leveldb_readoptions_set_fill_cache", {
        // SAFETY: NULL or a live handle.
        require!(unsafe { BoxHandle::as_mut(options) }).fill_cache = c_bool(value);
    })
}

/// Reads with these options see the database as of `snapshot` (borrowed:
/// the options keep their own reference); NULL reads the latest state.
#[no_mangle]
pub unsafe extern "C" fn leveldb_readoptions_set_snapshot(
    options: *mut leveldb_readoptions_t,
    snapshot: *const leveldb_snapshot_t,
) {
    boundary!("leveldb_readoptions_set_snapshot", {
        // SAFETY: NULL or live handles.
        let options = require!(unsafe { BoxHandle::as_mut(options) });
        // SAFETY: `snapshot` is NULL or a live handle (the caller's contract).
        options.snapshot = unsafe { Handle::as_ref(snapshot) }.cloned();
    })
}

/// Returns new write options with LevelDB's defaults (sync 0). Owned by the
/// caller, freed with `leveldb_writeoptions_destroy`.
#[no_mangle]
pub extern "C" fn leveldb_writeoptions_create() -> *mut leveldb_writeoptions_t {
    boundary!("leveldb_writeoptions_create", {
        <leveldb_writeoptions_t as BoxHandle>::into_handle(WriteOptions::default())
    })
}

/// Frees write options. NULL is a no-op; destroying twice is not allowed.
#[no_mangle]
pub unsafe extern "C" fn leveldb_writeoptions_destroy(options: *mut leveldb_writeoptions_t) {
    boundary!("leveldb_writeoptions_destroy", {
        // SAFETY: NULL or a live handle the caller gives up here.
        unsafe { BoxHandle::free(options) }
    })
}

/// Non-zero: each write is synced to disk before it returns (default 0).
#[no_mangle]
pub unsafe extern "C" fn leveldb_writeoptions_set_sync(
    options: *mut leveldb_writeoptions_t,
    value: u8,
) {
    boundary!("leveldb_writeoptions_set_sync", {
        // SAFETY: NULL or a live handle.
        require!(unsafe { BoxHandle::as_mut(options) }).sync = c_bool(value);
    })
}
