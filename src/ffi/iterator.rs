//! Iterators over a database (`leveldb_create_iterator`).
//!
//! A `leveldb_iterator_t` owns a boxed engine iterator over user keys. The
//! key/value pointers it hands out point into that iterator's storage and
//! stay valid until the iterator is moved (seek*, next, prev) or destroyed.
//! One thread at a time. Where LevelDB asserts (`next`, `key`... on an
//! unpositioned iterator) we do nothing / return NULL instead.

use std::os::raw::c_char;

use super::leveldb_iterator_t;
use super::{boundary, bytes_from, handle, report, require, BoxHandle, Handle};
use crate::iterator::InternalIterator;

handle!(leveldb_iterator_t => Box<dyn InternalIterator>, BoxHandle);

/// Borrows the iterator behind a handle for one call.
///
/// # Safety
/// `iter` is NULL or a live iterator handle not used elsewhere meanwhile.
unsafe fn iterator<'a>(
    iter: *mut leveldb_iterator_t,
) -> Option<&'a mut (dyn InternalIterator + 'static)> {
    // SAFETY: caller contract.
    unsafe { BoxHandle::as_mut(iter) }.map(|b: &'a mut Box<dyn InternalIterator>| b.as_mut())
}

/// Frees an iterator. NULL is a no-op; destroying twice is not allowed.
#[no_mangle]
pub unsafe extern "C" fn leveldb_iter_destroy(iter: *mut leveldb_iterator_t) {
    boundary!("leveldb_iter_destroy", {
        // SAFETY: NULL or a live handle the caller gives up here.
        unsafe { BoxHandle::free(iter) }
    })
}

/// Returns 1 if the iterator is positioned at an entry, else 0 (also for
/// NULL).
#[no_mangle]
pub unsafe extern "C" fn leveldb_iter_valid(iter: *const leveldb_iterator_t) -> u8 {
    boundary!("leveldb_iter_valid", {
        // SAFETY: NULL or a live handle.
        let iter = require!(unsafe { Handle::as_ref(iter) });
        u8::from(iter.valid())
    })
}

/// Positions at the first entry (unpositioned if the database is empty).
#[no_mangle]
pub unsafe extern "C" fn leveldb_iter_seek_to_first(iter: *mut leveldb_iterator_t) {
    boundary!("leveldb_iter_seek_to_first", {
        // SAFETY: NULL or a live handle.
        require!(unsafe { iterator(iter) }).seek_to_first();
    })
}

/// Positions at the last entry (unpositioned if the database is empty).
#[no_mangle]
pub unsafe extern "C" fn leveldb_iter_seek_to_last(iter: *mut leveldb_iterator_t) {
    boundary!("leveldb_iter_seek_to_last", {
        // SAFETY: NULL or a live handle.
        require!(unsafe { iterator(iter) }).seek_to_last();
    })
}

/// Positions at the first entry whose key is >= `k` in the database's
/// order. `k` is borrowed for the call (NULL allowed with length 0).
#[no_mangle]
pub unsafe extern "C" fn leveldb_iter_seek(
    iter: *mut leveldb_iterator_t,
    k: *const c_char,
    klen: usize,
) {
    boundary!("leveldb_iter_seek", {
        // SAFETY: NULL or a live handle; k readable for klen bytes or NULL.
        let iter = require!(unsafe { iterator(iter) });
        // SAFETY: `k` is NULL or readable for `klen` bytes (the caller's contract).
        let target = require!(unsafe { bytes_from(k, klen) });
        iter.seek(target);
    })
}

/// Moves to the next entry. No-op if the iterator is not positioned.
#[no_mangle]
pub unsafe extern "C" fn leveldb_iter_next(iter: *mut leveldb_iterator_t) {
    boundary!("leveldb_iter_next", {
        // SAFETY: NULL or a live handle.
        let iter = require!(unsafe { iterator(iter) });
        if iter.valid() {
            iter.next();
        }
    })
}

/// Moves to the previous entry. No-op if the iterator is not positioned.
#[no_mangle]
pub unsafe extern "C" fn leveldb_iter_prev(iter: *mut leveldb_iterator_t) {
    boundary!("leveldb_iter_prev", {
        // SAFETY: NULL or a live handle.
        let iter = require!(unsafe { iterator(iter) });
        if iter.valid() {
            iter.prev();
        }
    })
}

/// Returns the current key and stores its length in `*klen`. The bytes are
/// owned by the iterator (not NUL-terminated) and valid until it is moved
/// or destroyed. Unpositioned iterator: returns NULL, `*klen = 0`.
#[no_mangle]
pub unsafe extern "C" fn leveldb_iter_key(
    iter: *const leveldb_iterator_t,
    klen: *mut usize,
) -> *const c_char {
    boundary!("leveldb_iter_key", {
        // SAFETY: NULL or a live handle; klen NULL or writable.
        unsafe { entry_part(iter, klen, |it| it.key()) }
    })
}

/// Returns the current value and stores its length in `*vlen`. The bytes
/// are owned by the iterator (not NUL-terminated) and valid until it is
/// moved or destroyed. Unpositioned iterator: returns NULL, `*vlen = 0`.
#[no_mangle]
pub unsafe extern "C" fn leveldb_iter_value(
    iter: *const leveldb_iterator_t,
    vlen: *mut usize,
) -> *const c_char {
    boundary!("leveldb_iter_value", {
        // SAFETY: NULL or a live handle; vlen NULL or writable.
        unsafe { entry_part(iter, vlen, |it| it.value()) }
    })
}

/// Shared body of `leveldb_iter_key` / `leveldb_iter_value`.
///
/// # Safety
/// `iter` is NULL or a live handle; `len` is NULL or writable.
unsafe fn entry_part(
    iter: *const leveldb_iterator_t,
    len: *mut usize,
    part: impl Fn(&dyn InternalIterator) -> &[u8],
) -> *const c_char {
    // SAFETY: caller contract.
    let len = unsafe { len.as_mut() };
    // SAFETY: caller contract.
    let iter: Option<&Box<dyn InternalIterator>> = unsafe { Handle::as_ref(iter) };
    match (iter.map(Box::as_ref).filter(|it| it.valid()), len) {
        (Some(iter), Some(len)) => {
            let bytes = part(iter);
            *len = bytes.len();
            bytes.as_ptr().cast()
        }
        (_, len) => {
            if let Some(len) = len {
                *len = 0;
            }
            std::ptr::null()
        }
    }
}

/// If the iterator met an error, stores it in `*errptr` (freeing the old
/// message); otherwise leaves `*errptr` untouched.
#[no_mangle]
pub unsafe extern "C" fn leveldb_iter_get_error(
    iter: *const leveldb_iterator_t,
    errptr: *mut *mut c_char,
) {
    boundary!("leveldb_iter_get_error", errptr, {
        // SAFETY: NULL or a live handle; caller's errptr.
        let iter = require!(
            unsafe { Handle::as_ref(iter) },
            errptr,
            "leveldb_iter_get_error",
            "iter"
        );
        // SAFETY: `errptr` is NULL or points at NULL or a malloc'ed message (the caller's contract).
        unsafe { report(errptr, iter.status()) };
    })
}
