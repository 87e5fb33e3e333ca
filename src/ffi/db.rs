//! Database operations: open/close, reads and writes, snapshots, properties,
//! sizes, compaction, and the management calls destroy/repair.
//!
//! A `leveldb_t` owns its `DB` (Box handle); it may be used from many threads
//! at once. Snapshots are Box handles around the engine's `Snapshot`, which
//! stays registered in the database until released.

use std::os::raw::{c_char, c_int};

use super::engine::{destroy_db, repair_db, DB};
use super::{
    boundary, bytes_from, handle, malloc_bytes, malloc_c_string, report, require, str_from,
    BoxHandle, Handle,
};
use super::{
    leveldb_iterator_t, leveldb_options_t, leveldb_readoptions_t, leveldb_snapshot_t, leveldb_t,
    leveldb_writebatch_t, leveldb_writeoptions_t,
};
use crate::iterator::InternalIterator;
use crate::snapshot::Snapshot;

handle!(leveldb_t => DB, BoxHandle);
handle!(leveldb_snapshot_t => Snapshot, BoxHandle);

/// Opens (or, with `create_if_missing`, creates) the database in directory
/// `name`.
///
/// `options` and `name` are borrowed for the call only (the comparator,
/// filter policy, cache and env set on `options` are kept alive by the
/// database itself). Returns a new handle owned by the caller and freed with
/// `leveldb_close`; on failure returns NULL and stores the error in
/// `*errptr`.
#[no_mangle]
pub unsafe extern "C" fn leveldb_open(
    options: *const leveldb_options_t,
    name: *const c_char,
    errptr: *mut *mut c_char,
) -> *mut leveldb_t {
    boundary!("leveldb_open", errptr, {
        // SAFETY: the caller passes NULL or a live options handle / C string.
        let options = require!(
            unsafe { Handle::as_ref(options) },
            errptr,
            "leveldb_open",
            "options"
        );
        // SAFETY: as above.
        let name = require!(unsafe { str_from(name) }, errptr, "leveldb_open", "name");
        // SAFETY: errptr is the caller's errptr.
        let name = require!(unsafe { report(errptr, name) });
        // SAFETY: as above.
        let db = require!(unsafe { report(errptr, DB::open(options.clone(), name)) });
        <leveldb_t as BoxHandle>::into_handle(db)
    })
}

/// Closes the database and frees the handle: waits for background work,
/// releases the directory's LOCK. Iterators must be destroyed and snapshots
/// released before. Objects set on the options (comparator, filter policy,
/// cache, env) are not destroyed. NULL is a no-op; closing twice is not
/// allowed.
#[no_mangle]
pub unsafe extern "C" fn leveldb_close(db: *mut leveldb_t) {
    boundary!("leveldb_close", {
        // SAFETY: the caller passes NULL or a live handle it gives up here.
        unsafe { BoxHandle::free(db) }
    })
}

/// Stores `key` -> `val`. Both buffers are borrowed for the call only
/// (NULL is allowed with length 0). Errors go to `*errptr`.
#[no_mangle]
pub unsafe extern "C" fn leveldb_put(
    db: *mut leveldb_t,
    options: *const leveldb_writeoptions_t,
    key: *const c_char,
    keylen: usize,
    val: *const c_char,
    vallen: usize,
    errptr: *mut *mut c_char,
) {
    boundary!("leveldb_put", errptr, {
        // SAFETY: `db` is NULL or a live handle (the caller's contract).
        let db = require!(unsafe { Handle::as_ref(db) }, errptr, "leveldb_put", "db");
        let options = require!(
            // SAFETY: `options` is NULL or a live handle (the caller's contract).
            unsafe { Handle::as_ref(options) },
            errptr,
            "leveldb_put",
            "options"
        );
        let key = require!(
            // SAFETY: `key` is NULL or readable for `keylen` bytes (the caller's contract).
            unsafe { bytes_from(key, keylen) },
            errptr,
            "leveldb_put",
            "key"
        );
        let val = require!(
            // SAFETY: `val` is NULL or readable for `vallen` bytes (the caller's contract).
            unsafe { bytes_from(val, vallen) },
            errptr,
            "leveldb_put",
            "val"
        );
        // SAFETY: errptr is the caller's errptr.
        unsafe { report(errptr, db.put(options, key, val)) };
    })
}

/// Removes `key` (not an error if absent). `key` is borrowed for the call.
/// Errors go to `*errptr`.
#[no_mangle]
pub unsafe extern "C" fn leveldb_delete(
    db: *mut leveldb_t,
    options: *const leveldb_writeoptions_t,
    key: *const c_char,
    keylen: usize,
    errptr: *mut *mut c_char,
) {
    boundary!("leveldb_delete", errptr, {
        let db = require!(
            // SAFETY: `db` is NULL or a live handle (the caller's contract).
            unsafe { Handle::as_ref(db) },
            errptr,
            "leveldb_delete",
            "db"
        );
        let options = require!(
            // SAFETY: `options` is NULL or a live handle (the caller's contract).
            unsafe { Handle::as_ref(options) },
            errptr,
            "leveldb_delete",
            "options"
        );
        let key = require!(
            // SAFETY: `key` is NULL or readable for `keylen` bytes (the caller's contract).
            unsafe { bytes_from(key, keylen) },
            errptr,
            "leveldb_delete",
            "key"
        );
        // SAFETY: errptr is the caller's errptr.
        unsafe { report(errptr, db.delete(options, key)) };
    })
}

/// Applies every update in `batch` atomically. The batch is borrowed: it is
/// neither cleared nor consumed, and stays owned by the caller. Errors go to
/// `*errptr`.
#[no_mangle]
pub unsafe extern "C" fn leveldb_write(
    db: *mut leveldb_t,
    options: *const leveldb_writeoptions_t,
    batch: *mut leveldb_writebatch_t,
    errptr: *mut *mut c_char,
) {
    boundary!("leveldb_write", errptr, {
        // SAFETY: `db` is NULL or a live handle (the caller's contract).
        let db = require!(unsafe { Handle::as_ref(db) }, errptr, "leveldb_write", "db");
        let options = require!(
            // SAFETY: `options` is NULL or a live handle (the caller's contract).
            unsafe { Handle::as_ref(options) },
            errptr,
            "leveldb_write",
            "options"
        );
        let batch = require!(
            // SAFETY: `batch` is NULL or a live handle, used by this thread
            // only (the caller's contract: LevelDB's Write changes the batch
            // too).
            unsafe { BoxHandle::as_mut(batch) },
            errptr,
            "leveldb_write",
            "batch"
        );
        // SAFETY: errptr is the caller's errptr.
        unsafe { report(errptr, db.write_in_place(options, batch)) };
    })
}

/// Reads the value of `key`.
///
/// Found: returns a `malloc`ed buffer of exactly `*vallen` bytes (not
/// NUL-terminated; never NULL, even for an empty value), owned by the caller
/// and freed with `leveldb_free`. Absent: returns NULL, sets `*vallen = 0`
/// and leaves `*errptr` untouched. Error: returns NULL, `*vallen = 0`, error
/// in `*errptr`. `key` is borrowed for the call.
#[no_mangle]
pub unsafe extern "C" fn leveldb_get(
    db: *mut leveldb_t,
    options: *const leveldb_readoptions_t,
    key: *const c_char,
    keylen: usize,
    vallen: *mut usize,
    errptr: *mut *mut c_char,
) -> *mut c_char {
    // Zeroed before anything can fail (even a panic): every failure and
    // "absent" leave `*vallen == 0`, as in LevelDB.
    if !vallen.is_null() {
        // SAFETY: vallen is NULL (checked) or writable.
        unsafe { *vallen = 0 };
    }
    boundary!("leveldb_get", errptr, {
        // SAFETY: `db` is NULL or a live handle (the caller's contract).
        let db = require!(unsafe { Handle::as_ref(db) }, errptr, "leveldb_get", "db");
        let options = require!(
            // SAFETY: `options` is NULL or a live handle (the caller's contract).
            unsafe { Handle::as_ref(options) },
            errptr,
            "leveldb_get",
            "options"
        );
        let key = require!(
            // SAFETY: `key` is NULL or readable for `keylen` bytes (the caller's contract).
            unsafe { bytes_from(key, keylen) },
            errptr,
            "leveldb_get",
            "key"
        );
        // SAFETY: `vallen` is NULL or points at a writable size_t (the caller's contract).
        let vallen = require!(unsafe { vallen.as_mut() }, errptr, "leveldb_get", "vallen");
        // The value is copied once, from where it is stored into the
        // malloc'ed buffer the caller frees.
        let found = db.get_with(options, key, |value| (malloc_bytes(value), value.len()));
        // SAFETY: errptr is the caller's errptr.
        match require!(unsafe { report(errptr, found) }) {
            Some((value, len)) => {
                *vallen = len;
                value
            }
            None => std::ptr::null_mut(),
        }
    })
}

/// Returns a new iterator over the database as of now (or as of
/// `options`' snapshot). It starts unpositioned: seek before reading. Owned
/// by the caller, freed with `leveldb_iter_destroy`, which must happen before
/// `leveldb_close`. `options` is borrowed for the call. NULL if `db` or
/// `options` is NULL.
#[no_mangle]
pub unsafe extern "C" fn leveldb_create_iterator(
    db: *mut leveldb_t,
    options: *const leveldb_readoptions_t,
) -> *mut leveldb_iterator_t {
    boundary!("leveldb_create_iterator", {
        // SAFETY (both lines): live handles or NULL.
        // SAFETY: `db` is NULL or a live handle (the caller's contract).
        let db = require!(unsafe { Handle::as_ref(db) });
        // SAFETY: `options` is NULL or a live handle (the caller's contract).
        let options = require!(unsafe { Handle::as_ref(options) });
        let iter: Box<dyn InternalIterator> = Box::new(db.iter(options));
        <leveldb_iterator_t as BoxHandle>::into_handle(iter)
    })
}

/// Returns a snapshot of the current state, for
/// `leveldb_readoptions_set_snapshot`. Owned by the caller and released with
/// `leveldb_release_snapshot` (before `leveldb_close`). NULL if `db` is NULL.
#[no_mangle]
pub unsafe extern "C" fn leveldb_create_snapshot(db: *mut leveldb_t) -> *const leveldb_snapshot_t {
    boundary!("leveldb_create_snapshot", {
        // SAFETY: live handle or NULL.
        let db = require!(unsafe { Handle::as_ref(db) });
        <leveldb_snapshot_t as BoxHandle>::into_handle(db.snapshot()).cast_const()
    })
}

/// Releases a snapshot from `leveldb_create_snapshot` and frees it. Read
/// options still naming it keep reading at it until they are changed or
/// destroyed. NULL `snapshot` is a no-op; releasing twice is not allowed.
#[no_mangle]
pub unsafe extern "C" fn leveldb_release_snapshot(
    db: *mut leveldb_t,
    snapshot: *const leveldb_snapshot_t,
) {
    boundary!("leveldb_release_snapshot", {
        // LevelDB needs `db` to find the snapshot list; ours is reachable
        // from the snapshot itself.
        let _ = db;
        // SAFETY: NULL or a live snapshot handle the caller gives up here.
        unsafe { BoxHandle::free(snapshot.cast_mut()) }
    })
}

/// Returns the value of property `propname` as a `malloc`ed NUL-terminated
/// string owned by the caller (free with `leveldb_free`), or NULL for an
/// unknown property. Known: "leveldb.num-files-at-level<N>",
/// "leveldb.stats", "leveldb.sstables", "leveldb.approximate-memory-usage".
/// `propname` is borrowed for the call.
#[no_mangle]
pub unsafe extern "C" fn leveldb_property_value(
    db: *mut leveldb_t,
    propname: *const c_char,
) -> *mut c_char {
    boundary!("leveldb_property_value", {
        // SAFETY (both lines): live handle / C string or NULL.
        // SAFETY: `db` is NULL or a live handle (the caller's contract).
        let db = require!(unsafe { Handle::as_ref(db) });
        // SAFETY: `propname` is NULL or a NUL-terminated string (the caller's contract).
        let name = require!(unsafe { str_from(propname) }.and_then(Result::ok));
        match db.property(name) {
            Some(value) => malloc_c_string(value.as_bytes()),
            None => std::ptr::null_mut(),
        }
    })
}

/// Stores in `sizes[i]` the approximate file-system space used by keys in
/// `[range_start_key[i], range_limit_key[i])`, for `i < num_ranges` (data
/// still only in memory is not counted). All arrays are borrowed for the
/// call. Nothing can be reported: with a NULL `db`, NULL arrays or a NULL key
/// with non-zero length, every size is set to 0 (when `sizes` is not NULL).
#[no_mangle]
pub unsafe extern "C" fn leveldb_approximate_sizes(
    db: *mut leveldb_t,
    num_ranges: c_int,
    range_start_key: *const *const c_char,
    range_start_key_len: *const usize,
    range_limit_key: *const *const c_char,
    range_limit_key_len: *const usize,
    sizes: *mut u64,
) {
    boundary!("leveldb_approximate_sizes", {
        let n = usize::try_from(num_ranges).unwrap_or(0);
        if n == 0 || sizes.is_null() {
            return;
        }
        // SAFETY: sizes is writable for num_ranges elements (caller contract).
        let sizes = unsafe { std::slice::from_raw_parts_mut(sizes, n) };
        sizes.fill(0);
        // SAFETY: the key arrays are NULL (checked in `array`) or readable
        // for num_ranges elements, and each key for its length.
        let ranges = unsafe {
            let starts = require!(array(range_start_key, n));
            let start_lens = require!(array(range_start_key_len, n));
            let limits = require!(array(range_limit_key, n));
            let limit_lens = require!(array(range_limit_key_len, n));
            let mut ranges = Vec::with_capacity(n);
            for i in 0..n {
                let start = require!(bytes_from(starts[i], start_lens[i]));
                let limit = require!(bytes_from(limits[i], limit_lens[i]));
                ranges.push((start, limit));
            }
            ranges
        };
        // SAFETY: live handle or NULL.
        let db = require!(unsafe { Handle::as_ref(db) });
        for (out, size) in sizes.iter_mut().zip(db.approximate_sizes(&ranges)) {
            *out = size;
        }
    })
}

/// Borrows a C array of `n` elements; `None` for NULL.
///
/// # Safety
/// A non-NULL `ptr` is readable for `n` elements.
unsafe fn array<'a, T>(ptr: *const T, n: usize) -> Option<&'a [T]> {
    if ptr.is_null() {
        None
    } else {
        // SAFETY: caller contract.
        Some(unsafe { std::slice::from_raw_parts(ptr, n) })
    }
}

/// Compacts the keys in `[start_key, limit_key]`: a NULL `start_key` means
/// before every key, a NULL `limit_key` after every key (the lengths are then
/// ignored), so NULL/NULL compacts everything. Keys are borrowed for the
/// call. Nothing is reported; NULL `db` is a no-op.
#[no_mangle]
pub unsafe extern "C" fn leveldb_compact_range(
    db: *mut leveldb_t,
    start_key: *const c_char,
    start_key_len: usize,
    limit_key: *const c_char,
    limit_key_len: usize,
) {
    boundary!("leveldb_compact_range", {
        // SAFETY: live handle or NULL.
        let db = require!(unsafe { Handle::as_ref(db) });
        // SAFETY: non-NULL keys are readable for their lengths.
        let (start, limit) = unsafe {
            (
                (!start_key.is_null()).then(|| bytes_from(start_key, start_key_len).unwrap_or(&[])),
                (!limit_key.is_null()).then(|| bytes_from(limit_key, limit_key_len).unwrap_or(&[])),
            )
        };
        let _ = db.compact_range(start, limit);
    })
}

/// Deletes the database in directory `name` (its files, then the directory
/// if empty). A missing directory is success. `options` and `name` are
/// borrowed for the call. Errors go to `*errptr`.
#[no_mangle]
pub unsafe extern "C" fn leveldb_destroy_db(
    options: *const leveldb_options_t,
    name: *const c_char,
    errptr: *mut *mut c_char,
) {
    boundary!("leveldb_destroy_db", errptr, {
        let options = require!(
            // SAFETY: `options` is NULL or a live handle (the caller's contract).
            unsafe { Handle::as_ref(options) },
            errptr,
            "leveldb_destroy_db",
            "options"
        );
        let name = require!(
            // SAFETY: `name` is NULL or a NUL-terminated string (the caller's contract).
            unsafe { str_from(name) },
            errptr,
            "leveldb_destroy_db",
            "name"
        );
        // SAFETY: `errptr` is NULL or points at NULL or a malloc'ed message (the caller's contract).
        let name = require!(unsafe { report(errptr, name) });
        // SAFETY: `errptr` is NULL or points at NULL or a malloc'ed message (the caller's contract).
        unsafe { report(errptr, destroy_db(name, options)) };
    })
}

/// Rebuilds as much of the database in directory `name` as can be recovered
/// (after corruption or lost MANIFEST). `options` and `name` are borrowed for
/// the call. Errors go to `*errptr`.
#[no_mangle]
pub unsafe extern "C" fn leveldb_repair_db(
    options: *const leveldb_options_t,
    name: *const c_char,
    errptr: *mut *mut c_char,
) {
    boundary!("leveldb_repair_db", errptr, {
        let options = require!(
            // SAFETY: `options` is NULL or a live handle (the caller's contract).
            unsafe { Handle::as_ref(options) },
            errptr,
            "leveldb_repair_db",
            "options"
        );
        let name = require!(
            // SAFETY: `name` is NULL or a NUL-terminated string (the caller's contract).
            unsafe { str_from(name) },
            errptr,
            "leveldb_repair_db",
            "name"
        );
        // SAFETY: `errptr` is NULL or points at NULL or a malloc'ed message (the caller's contract).
        let name = require!(unsafe { report(errptr, name) });
        // SAFETY: `errptr` is NULL or points at NULL or a malloc'ed message (the caller's contract).
        unsafe { report(errptr, repair_db(name, options)) };
    })
}
