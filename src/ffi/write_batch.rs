//! Write batches: updates collected by the caller and applied atomically by
//! `leveldb_write`. A `leveldb_writebatch_t` owns its `WriteBatch` (Box
//! handle); one thread at a time.

use std::os::raw::{c_char, c_void};

use super::engine::{WriteBatch, WriteBatchHandler};
use super::leveldb_writebatch_t;
use super::{boundary, bytes_from, handle, require, BoxHandle, CState, Handle};

handle!(leveldb_writebatch_t => WriteBatch, BoxHandle);

/// Returns a new empty batch, owned by the caller and freed with
/// `leveldb_writebatch_destroy`.
#[no_mangle]
pub extern "C" fn leveldb_writebatch_create() -> *mut leveldb_writebatch_t {
    boundary!("leveldb_writebatch_create", {
        <leveldb_writebatch_t as BoxHandle>::into_handle(WriteBatch::new())
    })
}

/// Frees a batch. NULL is a no-op; destroying twice is not allowed.
#[no_mangle]
pub unsafe extern "C" fn leveldb_writebatch_destroy(b: *mut leveldb_writebatch_t) {
    boundary!("leveldb_writebatch_destroy", {
        // SAFETY: NULL or a live handle the caller gives up here.
        unsafe { BoxHandle::free(b) }
    })
}

/// Removes every update from the batch. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn leveldb_writebatch_clear(b: *mut leveldb_writebatch_t) {
    boundary!("leveldb_writebatch_clear", {
        // SAFETY: NULL or a live handle.
        require!(unsafe { BoxHandle::as_mut(b) }).clear();
    })
}

/// Appends "store `key` -> `val`". Both buffers are copied. Nothing can be
/// reported: NULL `b`, or a NULL buffer with non-zero length, is a no-op.
#[no_mangle]
pub unsafe extern "C" fn leveldb_writebatch_put(
    b: *mut leveldb_writebatch_t,
    key: *const c_char,
    klen: usize,
    val: *const c_char,
    vlen: usize,
) {
    boundary!("leveldb_writebatch_put", {
        // SAFETY: NULL or a live handle; buffers readable for their lengths.
        let batch = require!(unsafe { BoxHandle::as_mut(b) });
        // SAFETY: `key` is NULL or readable for `klen` bytes (the caller's contract).
        let key = require!(unsafe { bytes_from(key, klen) });
        // SAFETY: `val` is NULL or readable for `vlen` bytes (the caller's contract).
        let val = require!(unsafe { bytes_from(val, vlen) });
        batch.put(key, val);
    })
}

/// Appends "remove `key`". The key is copied. NULL `b`, or NULL `key` with
/// non-zero length, is a no-op.
#[no_mangle]
pub unsafe extern "C" fn leveldb_writebatch_delete(
    b: *mut leveldb_writebatch_t,
    key: *const c_char,
    klen: usize,
) {
    boundary!("leveldb_writebatch_delete", {
        // SAFETY: NULL or a live handle; key readable for klen bytes.
        let batch = require!(unsafe { BoxHandle::as_mut(b) });
        // SAFETY: `key` is NULL or readable for `klen` bytes (the caller's contract).
        let key = require!(unsafe { bytes_from(key, klen) });
        batch.delete(key);
    })
}

/// The C callbacks of `leveldb_writebatch_iterate`, as a batch handler.
struct CallbackHandler {
    state: CState,
    put: Option<unsafe extern "C" fn(*mut c_void, *const c_char, usize, *const c_char, usize)>,
    deleted: Option<unsafe extern "C" fn(*mut c_void, *const c_char, usize)>,
}

impl WriteBatchHandler for CallbackHandler {
    fn put(&mut self, key: &[u8], value: &[u8]) {
        if let Some(put) = self.put {
            // SAFETY: the caller's callback, given its own state and buffers
            // valid for the duration of the call.
            unsafe {
                put(
                    self.state.0,
                    key.as_ptr().cast(),
                    key.len(),
                    value.as_ptr().cast(),
                    value.len(),
                )
            }
        }
    }

    fn delete(&mut self, key: &[u8]) {
        if let Some(deleted) = self.deleted {
            // SAFETY: as in `put`.
            unsafe { deleted(self.state.0, key.as_ptr().cast(), key.len()) }
        }
    }
}

/// Calls `put(state, k, klen, v, vlen)` for each put and `deleted(state, k,
/// klen)` for each delete in the batch, in order. The key/value pointers
/// point into the batch and are valid only during the callback. A malformed
/// batch stops the walk silently (as in LevelDB). A NULL callback skips its
/// records; NULL `b` is a no-op. `state` is passed through untouched.
#[no_mangle]
pub unsafe extern "C" fn leveldb_writebatch_iterate(
    b: *const leveldb_writebatch_t,
    state: *mut c_void,
    put: Option<
        unsafe extern "C" fn(
            state: *mut c_void,
            k: *const c_char,
            klen: usize,
            v: *const c_char,
            vlen: usize,
        ),
    >,
    deleted: Option<unsafe extern "C" fn(state: *mut c_void, k: *const c_char, klen: usize)>,
) {
    boundary!("leveldb_writebatch_iterate", {
        // SAFETY: NULL or a live handle.
        let batch = require!(unsafe { Handle::as_ref(b) });
        let mut handler = CallbackHandler {
            state: CState(state),
            put,
            deleted,
        };
        // LevelDB discards this status too: c.h has no way to report it.
        let _ = batch.iterate(&mut handler);
    })
}

/// Appends every update of `source` to `destination` (`source` is only
/// read; it may be the same batch). NULL either side is a no-op.
#[no_mangle]
pub unsafe extern "C" fn leveldb_writebatch_append(
    destination: *mut leveldb_writebatch_t,
    source: *const leveldb_writebatch_t,
) {
    boundary!("leveldb_writebatch_append", {
        if std::ptr::eq(destination.cast_const(), source) {
            // SAFETY: NULL or a live handle, borrowed once at a time here.
            let copy = require!(unsafe { Handle::as_ref(source) }).clone();
            // SAFETY: as above.
            require!(unsafe { BoxHandle::as_mut(destination) }).append(&copy);
            return;
        }
        // SAFETY: two distinct live handles (or NULL).
        let source = require!(unsafe { Handle::as_ref(source) });
        // SAFETY: `destination` is NULL or a live handle used by this thread only (the caller's contract).
        let destination = require!(unsafe { BoxHandle::as_mut(destination) });
        destination.append(source);
    })
}
