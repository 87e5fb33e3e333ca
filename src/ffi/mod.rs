//! The C ABI: LevelDB 1.23's `leveldb/c.h`, and the only code that speaks C.
//!
//! Invariants: no function here unwinds into C (each body runs inside the
//! panic boundary); memory handed to C is `malloc`ed so `leveldb_free` and
//! `free` both release it; `cbindgen` generates `include/leveldb/c.h` from
//! this module.

#![allow(non_camel_case_types)]

use std::os::raw::{c_int, c_void};

/// Returns the major version of the LevelDB API this library implements: 1.
#[no_mangle]
pub extern "C" fn leveldb_major_version() -> c_int {
    1
}

/// Returns the minor version of the LevelDB API this library implements: 23.
#[no_mangle]
pub extern "C" fn leveldb_minor_version() -> c_int {
    23
}

/// Releases memory this library returned (a value from `leveldb_get`, a
/// property value, an error message). `ptr` may be NULL. Equivalent to
/// `free(ptr)`: everything we hand out is `malloc`ed.
///
/// # Safety
/// `ptr` is NULL or a pointer this library returned and not yet freed.
#[no_mangle]
pub unsafe extern "C" fn leveldb_free(ptr: *mut c_void) {
    // SAFETY: by contract `ptr` is NULL or came from malloc and is unfreed.
    unsafe { libc::free(ptr) }
}
