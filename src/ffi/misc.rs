//! Utility functions: freeing returned memory and the API version.

use std::os::raw::{c_int, c_void};

use super::boundary;

/// Frees memory this library returned: a value from `leveldb_get`, a
/// property value, an error message, a test directory name. NULL is a
/// no-op; freeing twice is not allowed. Same as `free(ptr)`: everything the
/// library hands out is `malloc`ed.
#[no_mangle]
pub unsafe extern "C" fn leveldb_free(ptr: *mut c_void) {
    boundary!("leveldb_free", {
        // SAFETY: by contract `ptr` is NULL or came from malloc and is unfreed.
        unsafe { libc::free(ptr) }
    })
}

/// The major version of the LevelDB API implemented: 1.
#[no_mangle]
pub extern "C" fn leveldb_major_version() -> c_int {
    boundary!("leveldb_major_version", { 1 })
}

/// The minor version of the LevelDB API implemented: 23.
#[no_mangle]
pub extern "C" fn leveldb_minor_version() -> c_int {
    boundary!("leveldb_minor_version", { 23 })
}
