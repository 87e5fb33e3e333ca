//! Errors and memory handed to C: LevelDB's `char** errptr` convention
//! (on failure the old message is freed and replaced by a `malloc`ed copy
//! of the status text; on success it is untouched) and `malloc`ed copies of
//! values, so that `leveldb_free` and plain `free` both release them.

use std::os::raw::c_char;

use crate::status::Error;

/// Reports `err` through `errptr` as LevelDB does: frees the old message and
/// stores a `malloc`ed copy of `err.to_string()`. A NULL `errptr` (which
/// LevelDB forbids) drops the report.
///
/// # Safety
/// `errptr` is NULL or points at a `char*` that is NULL or `malloc`ed.
pub(crate) unsafe fn store_error(errptr: *mut *mut c_char, err: &Error) {
    if errptr.is_null() {
        return;
    }
    // SAFETY: errptr is valid by the caller's contract; the old message is
    // NULL or malloc'ed (c.h convention 3), so free() accepts it.
    unsafe {
        libc::free((*errptr).cast());
        *errptr = malloc_c_string(err.to_string().as_bytes());
    }
}

/// Stores the error of `result`, if any, through `errptr`; `Some(value)` on
/// success.
///
/// # Safety
/// As [`store_error`].
pub(crate) unsafe fn report<T>(errptr: *mut *mut c_char, result: crate::Result<T>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(err) => {
            // SAFETY: forwarded caller contract.
            unsafe { store_error(errptr, &err) };
            None
        }
    }
}

/// A `malloc`ed, NUL-terminated copy of `bytes`, cut at the first NUL as
/// LevelDB's `strdup` cuts it. NULL if memory is exhausted.
pub(crate) fn malloc_c_string(bytes: &[u8]) -> *mut c_char {
    let len = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    // SAFETY: malloc(len + 1) is either NULL (checked) or writable for len + 1
    // bytes; `bytes[..len]` does not overlap fresh memory.
    unsafe {
        let out = libc::malloc(len + 1).cast::<c_char>();
        if !out.is_null() {
            std::ptr::copy_nonoverlapping(bytes.as_ptr().cast::<c_char>(), out, len);
            *out.add(len) = 0;
        }
        out
    }
}

/// A `malloc`ed copy of `bytes` (not NUL-terminated). Never NULL for an
/// empty value unless memory is exhausted: callers tell "found, empty" from
/// "absent" by the pointer.
pub(crate) fn malloc_bytes(bytes: &[u8]) -> *mut c_char {
    // SAFETY: malloc(max(len, 1)) is NULL (checked) or writable for len bytes.
    unsafe {
        let out = libc::malloc(bytes.len().max(1)).cast::<c_char>();
        if !out.is_null() {
            std::ptr::copy_nonoverlapping(bytes.as_ptr().cast::<c_char>(), out, bytes.len());
        }
        out
    }
}
