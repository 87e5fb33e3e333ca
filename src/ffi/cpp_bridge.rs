//! The one internal ABI between the C++ layer (`cpp/*.cc`, LevelDB 1.23's
//! C++ API) and the engine: `extern "C"` functions named `strata_cpp_*`
//! that the C++ layer calls, and one table of C++ trampolines
//! (`CppCallbacks`) through which the engine calls C++ objects
//! (comparators, filter policies, loggers, environments and their files,
//! block caches).
//!
//! Invariants:
//! - **Not exported.** The C++ layer declares every `strata_cpp_*` function
//!   with hidden visibility (`cpp/bridge.h`); ELF gives a symbol the most
//!   restrictive visibility of all its references, so the shared library
//!   does not export them although they are `#[no_mangle]`. `tests/abi.rs`
//!   checks the export list.
//! - **No unwinding across.** Every function body runs under
//!   `catch_unwind`; a panic becomes an `IO error` status (or the neutral
//!   value of the return type). The C++ layer is built with
//!   `-fno-exceptions`, so nothing unwinds the other way either.
//! - **Ownership** is stated per function. Objects handed to C++ are boxed
//!   Rust values, freed by their `*_free`; C++ objects handed to Rust are
//!   borrowed (LevelDB's rule: the caller keeps comparators, filter
//!   policies, loggers, caches and environments alive while a database
//!   uses them) unless a function says it takes them.
//! - **Errors** cross as `*mut Error` (`CppStatus`): NULL is OK, anything
//!   else a boxed error that the receiver frees exactly once.
//! - The callbacks table is registered once by the C++ layer
//!   (`strata_cpp_init`) before it creates any object that calls back, and
//!   is immutable and `'static` afterwards.

#![allow(clippy::missing_safety_doc)]

use std::ffi::CStr;
use std::os::raw::{c_char, c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicPtr, Ordering};

use crate::status::{Code, Error, Result};

// ---------------------------------------------------------------------------
// Status, slices, panics.
// ---------------------------------------------------------------------------

/// A status crossing the boundary: NULL for OK, else a boxed [`Error`]
/// owned by the receiver (freed with `strata_cpp_error_free`, or taken by
/// the Rust function it is passed back to).
#[repr(transparent)]
pub struct CppStatus(*mut Error);

impl CppStatus {
    pub(crate) fn ok() -> CppStatus {
        CppStatus(std::ptr::null_mut())
    }

    pub(crate) fn from_result(result: Result<()>) -> CppStatus {
        match result {
            Ok(()) => CppStatus::ok(),
            Err(e) => CppStatus(Box::into_raw(Box::new(e))),
        }
    }

    /// Takes the error out of a status returned by a C++ trampoline.
    ///
    /// # Safety
    /// `self` is NULL or came from `strata_cpp_error_new`, unfreed.
    pub(crate) unsafe fn into_result(self) -> Result<()> {
        if self.0.is_null() {
            Ok(())
        } else {
            // SAFETY: caller contract: a live Box<Error> we now own.
            Err(*unsafe { Box::from_raw(self.0) })
        }
    }
}

/// A `(pointer, length)` byte string, laid out as `leveldb::Slice` is
/// (`const char* data_; size_t size_;`), so arrays of them can be read as
/// arrays of `Slice` by the C++ layer.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct RawSlice {
    pub data: *const u8,
    pub len: usize,
}

impl RawSlice {
    pub(crate) fn of(bytes: &[u8]) -> RawSlice {
        RawSlice {
            data: bytes.as_ptr(),
            len: bytes.len(),
        }
    }
}

/// Borrows `(ptr, len)`; NULL is the empty slice.
///
/// # Safety
/// A non-NULL `ptr` is readable for `len` bytes for the returned lifetime.
pub(crate) unsafe fn bytes<'a>(ptr: *const u8, len: usize) -> &'a [u8] {
    if ptr.is_null() || len == 0 {
        &[]
    } else {
        // SAFETY: caller contract.
        unsafe { std::slice::from_raw_parts(ptr, len) }
    }
}

/// Borrows a path given as bytes; invalid UTF-8 is an error, as in the C API.
///
/// # Safety
/// As [`bytes`].
pub(crate) unsafe fn path<'a>(ptr: *const u8, len: usize) -> Result<&'a str> {
    // SAFETY: caller contract.
    std::str::from_utf8(unsafe { bytes(ptr, len) })
        .map_err(|_| Error::invalid_argument("name is not valid UTF-8"))
}

/// The value a boundary function returns when its body panicked.
pub(crate) trait CppFallback {
    fn from_panic(err: Error) -> Self;
}
impl CppFallback for CppStatus {
    fn from_panic(err: Error) -> Self {
        CppStatus::from_result(Err(err))
    }
}
impl CppFallback for () {
    fn from_panic(_: Error) {}
}
impl CppFallback for u8 {
    fn from_panic(_: Error) -> u8 {
        0
    }
}
impl CppFallback for u64 {
    fn from_panic(_: Error) -> u64 {
        0
    }
}
impl CppFallback for usize {
    fn from_panic(_: Error) -> usize {
        0
    }
}
impl CppFallback for c_int {
    fn from_panic(_: Error) -> c_int {
        0
    }
}
impl<T> CppFallback for *mut T {
    fn from_panic(_: Error) -> Self {
        std::ptr::null_mut()
    }
}
impl<T> CppFallback for *const T {
    fn from_panic(_: Error) -> Self {
        std::ptr::null()
    }
}

/// Runs a bridge body with panics caught (see the module invariants). As
/// the C API's `boundary!`, it honours `STRATA_TEST_PANIC` so tests can
/// make a named bridge function panic on purpose.
macro_rules! guard {
    ($name:literal, $body:block) => {
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| {
            $crate::ffi::test_panic_hook($name);
            $body
        })) {
            Ok(value) => value,
            Err(payload) => $crate::ffi::cpp_bridge::CppFallback::from_panic(
                $crate::ffi::panic_error($name, payload),
            ),
        }
    };
}
pub(crate) use guard;

/// A pointer to a C++ object the engine may use from any thread.
#[derive(Clone, Copy)]
pub(crate) struct CppPtr(pub(crate) *mut c_void);

// SAFETY: LevelDB requires the objects a caller plugs in (comparators,
// filter policies, loggers, environments, random-access files) to be
// thread-safe; the engine only passes the pointer back to their methods.
unsafe impl Send for CppPtr {}
// SAFETY: as above.
unsafe impl Sync for CppPtr {}

// ---------------------------------------------------------------------------
// The C++ trampolines.
// ---------------------------------------------------------------------------

/// Writes `len` bytes into the Rust object `ctx` (a `Vec<u8>` or a
/// `Vec<String>`, per call), for C++ code producing a result.
pub type RustSink = unsafe extern "C" fn(ctx: *mut c_void, data: *const u8, len: usize);

/// C++ functions the engine calls; defined in `cpp/callbacks.cc`, which
/// documents each. Every pointer argument is borrowed for the call. Status
/// results are NULL or an error made by `strata_cpp_error_new`.
#[repr(C)]
pub struct CppCallbacks {
    /// `std::string::assign` on a `std::string*`.
    pub string_assign: unsafe extern "C" fn(s: *mut c_void, data: *const u8, len: usize),
    pub cmp_compare: unsafe extern "C" fn(
        cmp: *mut c_void,
        a: *const u8,
        alen: usize,
        b: *const u8,
        blen: usize,
    ) -> c_int,
    pub cmp_name: unsafe extern "C" fn(cmp: *mut c_void) -> *const c_char,
    /// Calls `FindShortestSeparator` on a copy of `start`, then hands the
    /// result to `sink(ctx, ..)`.
    pub cmp_separator: unsafe extern "C" fn(
        cmp: *mut c_void,
        start: *const u8,
        start_len: usize,
        limit: *const u8,
        limit_len: usize,
        ctx: *mut c_void,
        sink: RustSink,
    ),
    pub cmp_successor: unsafe extern "C" fn(
        cmp: *mut c_void,
        key: *const u8,
        key_len: usize,
        ctx: *mut c_void,
        sink: RustSink,
    ),
    pub fp_name: unsafe extern "C" fn(fp: *mut c_void) -> *const c_char,
    /// `CreateFilter(keys, n, &tmp)` then `sink(ctx, tmp)`.
    pub fp_create: unsafe extern "C" fn(
        fp: *mut c_void,
        keys: *const RawSlice,
        n: c_int,
        ctx: *mut c_void,
        sink: RustSink,
    ),
    pub fp_match: unsafe extern "C" fn(
        fp: *mut c_void,
        key: *const u8,
        key_len: usize,
        filter: *const u8,
        filter_len: usize,
    ) -> u8,
    /// `Logv("%s", line)` on a `Logger*`.
    pub logger_log: unsafe extern "C" fn(logger: *mut c_void, line: *const u8, len: usize),
    pub env: super::cpp_env::CppEnvCallbacks,
    pub cache: super::cpp_cache::CppCacheCallbacks,
}

static CALLBACKS: AtomicPtr<CppCallbacks> = AtomicPtr::new(std::ptr::null_mut());

/// The registered trampolines.
pub(crate) fn callbacks() -> &'static CppCallbacks {
    let table = CALLBACKS.load(Ordering::Acquire);
    assert!(
        !table.is_null(),
        "the C++ layer did not register its callbacks"
    );
    // SAFETY: set once from a `'static` table by `strata_cpp_init`.
    unsafe { &*table }
}

/// Registers the C++ trampolines; the table must live for the rest of the
/// process. Called once by the C++ layer before it creates anything that
/// calls back (later calls replace the pointer with an identical table).
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_init(table: *const CppCallbacks) {
    guard!("strata_cpp_init", {
        CALLBACKS.store(table.cast_mut(), Ordering::Release)
    })
}

/// Sink writing into a `Vec<u8>` (replacing its contents).
pub(crate) unsafe extern "C" fn sink_vec_assign(ctx: *mut c_void, data: *const u8, len: usize) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: ctx is the `&mut Vec<u8>` the caller passed with this sink,
        // data readable for len bytes for the call.
        unsafe {
            let v = &mut *ctx.cast::<Vec<u8>>();
            v.clear();
            v.extend_from_slice(bytes(data, len));
        }
    }));
}

/// Sink appending to a `Vec<u8>`.
pub(crate) unsafe extern "C" fn sink_vec_append(ctx: *mut c_void, data: *const u8, len: usize) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: as in `sink_vec_assign`.
        unsafe { (*ctx.cast::<Vec<u8>>()).extend_from_slice(bytes(data, len)) }
    }));
}

/// Copies a C string returned by a C++ `Name()` (lossily if not UTF-8).
pub(crate) fn name_of(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: `Name()` returns a NUL-terminated string that stays valid.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

// ---------------------------------------------------------------------------
// Errors.
// ---------------------------------------------------------------------------

/// Makes an error (`code` 1..=5 as `leveldb::Status`; anything else counts
/// as an IO error) with a copy of `msg`. Owned by the caller.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_error_new(
    code: c_int,
    msg: *const u8,
    len: usize,
) -> CppStatus {
    guard!("strata_cpp_error_new", {
        let code = match code {
            1 => Code::NotFound,
            2 => Code::Corruption,
            3 => Code::NotSupported,
            4 => Code::InvalidArgument,
            _ => Code::IoError,
        };
        // SAFETY: msg readable for len bytes.
        let msg = String::from_utf8_lossy(unsafe { bytes(msg, len) }).into_owned();
        CppStatus::from_result(Err(Error::new(code, msg)))
    })
}

/// The code of a non-NULL error (1..=5, `leveldb::Status::Code`).
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_error_code(err: *const Error) -> c_int {
    guard!("strata_cpp_error_code", {
        // SAFETY: a live error.
        match unsafe { &*err }.code() {
            Code::NotFound => 1,
            Code::Corruption => 2,
            Code::NotSupported => 3,
            Code::InvalidArgument => 4,
            _ => 5,
        }
    })
}

/// The message of a non-NULL error (without the code prefix): a pointer
/// into the error, valid until it is freed; its length in `*len`.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_error_message(err: *const Error, len: *mut usize) -> *const u8 {
    guard!("strata_cpp_error_message", {
        // SAFETY: a live error; len writable.
        unsafe {
            let msg = (*err).message();
            *len = msg.len();
            msg.as_ptr()
        }
    })
}

/// Frees an error; NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_error_free(err: *mut Error) {
    guard!("strata_cpp_error_free", {
        // SAFETY: NULL or a live boxed error owned by the caller.
        drop(unsafe { CppStatus(err).into_result() });
    })
}
