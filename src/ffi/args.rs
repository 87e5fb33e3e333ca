//! Arguments from C: borrowed buffers and strings (NULL checked, `(NULL, 0)`
//! the empty slice), the [`require!`] early return for a NULL argument,
//! `uint8_t` booleans, and callback state shared across threads.

use std::ffi::CStr;
use std::os::raw::{c_char, c_void};

use crate::status::Error;

/// Borrows a C buffer: `(NULL, 0)` is the empty slice, `(NULL, n > 0)` is
/// `None`.
///
/// # Safety
/// A non-NULL `ptr` is readable for `len` bytes for the returned lifetime.
pub(crate) unsafe fn bytes_from<'a>(ptr: *const c_char, len: usize) -> Option<&'a [u8]> {
    if ptr.is_null() {
        return if len == 0 { Some(&[]) } else { None };
    }
    // SAFETY: caller contract.
    Some(unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len) })
}

/// Borrows a NUL-terminated C string as UTF-8 (paths and property names);
/// `None` for NULL, `Some(Err(..))` for invalid UTF-8.
///
/// # Safety
/// A non-NULL `ptr` is NUL-terminated and readable for the returned lifetime.
pub(crate) unsafe fn str_from<'a>(ptr: *const c_char) -> Option<Result<&'a str, Error>> {
    if ptr.is_null() {
        return None;
    }
    // SAFETY: caller contract.
    let text = unsafe { CStr::from_ptr(ptr) };
    Some(
        text.to_str()
            .map_err(|_| Error::invalid_argument("name is not valid UTF-8")),
    )
}

/// The error for a NULL argument of `function`.
pub(crate) fn null_argument(function: &str, argument: &str) -> Error {
    Error::invalid_argument(format!("{function}: {argument} is NULL"))
}

/// Early-returns from a boundary body when an argument is unusable.
///
/// `require!(value_option, errptr, "leveldb_put", "db")` evaluates to the
/// `Some` value; on `None` it stores `Invalid argument: leveldb_put: db is
/// NULL` through `errptr` and returns the fallback. Without `errptr` it
/// returns the fallback silently.
macro_rules! require {
    ($value:expr, $errptr:expr, $function:literal, $argument:literal) => {
        match $value {
            Some(v) => v,
            None => {
                // SAFETY: errptr is the caller's errptr argument.
                unsafe {
                    $crate::ffi::store_error(
                        $errptr,
                        &$crate::ffi::null_argument($function, $argument),
                    )
                };
                return $crate::ffi::PanicFallback::fallback();
            }
        }
    };
    ($value:expr) => {
        match $value {
            Some(v) => v,
            None => return $crate::ffi::PanicFallback::fallback(),
        }
    };
}
pub(crate) use require;

/// Reads a C `uint8_t` boolean.
pub(crate) fn c_bool(value: u8) -> bool {
    value != 0
}

/// An opaque callback state pointer that the C caller promises may be used
/// from any thread (LevelDB calls comparators and filter policies from its
/// background threads too).
#[derive(Clone, Copy)]
pub(crate) struct CState(pub(crate) *mut c_void);

// SAFETY: LevelDB's C API requires callback state to be usable from any
// thread; the library only passes the pointer back to the caller's callbacks.
unsafe impl Send for CState {}
// SAFETY: as above.
unsafe impl Sync for CState {}
