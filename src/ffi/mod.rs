//! The C ABI: LevelDB 1.23's `leveldb/c.h`, and the only code that speaks C.
//!
//! cbindgen generates `include/leveldb/c.h` from this module and its
//! submodules (one per C object), so the doc comment of every exported
//! function is also its documentation in the header.
//!
//! Invariants, for every exported function:
//! - **No unwinding into C.** Each body runs inside [`boundary!`]: a panic is
//!   caught and turned into the function's fallback (an error stored through
//!   `errptr` where there is one, otherwise NULL / 0 / nothing).
//! - **Typed handles.** Each opaque `leveldb_*_t` names exactly one Rust type
//!   and one ownership kind ([`BoxHandle`]: created with `Box`, freed by its
//!   `*_destroy`; [`ArcHandle`]: shared with the options and databases that
//!   use it, the C handle being one of the owners). All casts and frees go
//!   through the helpers here, never ad hoc.
//! - **NULL is checked, never trusted.** A NULL handle, or a NULL buffer with
//!   a non-zero length, yields `Invalid argument: ...` through `errptr`, or a
//!   no-op / NULL / 0 where nothing can be reported. `*_destroy(NULL)` and
//!   `leveldb_free(NULL)` are no-ops. (LevelDB itself crashes on these.)
//! - **Memory handed to C comes from `malloc`**, so `leveldb_free` and plain
//!   `free` both release it.
//! - **errptr**: on failure the old `*errptr` is `free`d and replaced by a
//!   `malloc`ed copy of the status text (LevelDB's `Status::ToString`); on
//!   success it is left untouched.
//!
//! Thread-safety is LevelDB's: a `leveldb_t` may be used from many threads at
//! once; iterators, write batches and option objects by one thread at a time.

#![allow(non_camel_case_types)]
// Every exported function has the same safety contract, c.h's: each pointer
// argument is NULL or valid for its documented use (a live handle of its type,
// a buffer readable for its length, a NUL-terminated string). It is stated
// once here and in README's "C API conventions" instead of in a `# Safety`
// section per function, which cbindgen would copy 68 times into c.h.
#![allow(clippy::missing_safety_doc)]

use std::any::Any;
use std::ffi::CStr;
use std::os::raw::{c_char, c_void};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};

use crate::status::Error;

mod engine;

pub mod cache;
pub mod comparator;
// The C++ layer's internal ABI: hidden from the shared library's exports
// (see cpp_bridge's invariants) and kept out of c.h.
/// cbindgen:ignore
pub mod cpp_bridge;
/// cbindgen:ignore
pub mod cpp_dump;
/// cbindgen:ignore
pub mod cpp_env;
/// cbindgen:ignore
pub mod cpp_table;
pub mod db;
pub mod env;
pub mod filter_policy;
pub mod iterator;
pub mod misc;
pub mod options;
pub mod read_write_options;
pub mod write_batch;

pub use cache::*;
pub use comparator::*;
pub use db::*;
pub use env::*;
pub use filter_policy::*;
pub use iterator::*;
pub use misc::*;
pub use options::*;
pub use read_write_options::*;
pub use write_batch::*;

// ---------------------------------------------------------------------------
// Opaque C types. Zero-sized, never instantiated: a `*mut leveldb_t` is only a
// typed name for a pointer to the Rust object given by its `Handle` impl.
// Written out (not by macro) because cbindgen does not expand macros.
// ---------------------------------------------------------------------------

/// An open database (`leveldb_open` .. `leveldb_close`).
pub struct leveldb_t {
    _private: [u8; 0],
}

/// A shared block cache (`leveldb_cache_create_lru`).
pub struct leveldb_cache_t {
    _private: [u8; 0],
}

/// A user-supplied key order (`leveldb_comparator_create`).
pub struct leveldb_comparator_t {
    _private: [u8; 0],
}

/// An environment (`leveldb_create_default_env`).
pub struct leveldb_env_t {
    _private: [u8; 0],
}

/// Declared for compatibility with LevelDB's c.h; no function uses it.
pub struct leveldb_filelock_t {
    _private: [u8; 0],
}

/// A filter policy (`leveldb_filterpolicy_create[_bloom]`).
pub struct leveldb_filterpolicy_t {
    _private: [u8; 0],
}

/// An iterator over a database (`leveldb_create_iterator`).
pub struct leveldb_iterator_t {
    _private: [u8; 0],
}

/// Declared for compatibility with LevelDB's c.h; no function creates
/// one, so `leveldb_options_set_info_log` only accepts NULL.
pub struct leveldb_logger_t {
    _private: [u8; 0],
}

/// Options for opening a database (`leveldb_options_create`).
pub struct leveldb_options_t {
    _private: [u8; 0],
}

/// Declared for compatibility with LevelDB's c.h; no function uses it.
pub struct leveldb_randomfile_t {
    _private: [u8; 0],
}

/// Options for reads (`leveldb_readoptions_create`).
pub struct leveldb_readoptions_t {
    _private: [u8; 0],
}

/// Declared for compatibility with LevelDB's c.h; no function uses it.
pub struct leveldb_seqfile_t {
    _private: [u8; 0],
}

/// A consistent read view (`leveldb_create_snapshot`).
pub struct leveldb_snapshot_t {
    _private: [u8; 0],
}

/// Declared for compatibility with LevelDB's c.h; no function uses it.
pub struct leveldb_writablefile_t {
    _private: [u8; 0],
}

/// A batch of updates applied atomically (`leveldb_writebatch_create`).
pub struct leveldb_writebatch_t {
    _private: [u8; 0],
}

/// Options for writes (`leveldb_writeoptions_create`).
pub struct leveldb_writeoptions_t {
    _private: [u8; 0],
}

// ---------------------------------------------------------------------------
// Typed handles.
// ---------------------------------------------------------------------------

/// Maps an opaque C type to the one Rust type its pointers point at.
///
/// # Safety
/// Implement only for the zero-sized opaque types above, each exactly once;
/// every pointer of type `*mut Self` handed to C must come from
/// [`BoxHandle::into_handle`] or [`ArcHandle::into_handle`] of the same impl.
pub(crate) unsafe trait Handle: Sized {
    type Target;

    /// Borrows the object behind `ptr`; `None` for NULL.
    ///
    /// # Safety
    /// `ptr` is NULL or a live handle of this type, and the object is not
    /// mutated through another path while the borrow lasts.
    unsafe fn as_ref<'a>(ptr: *const Self) -> Option<&'a Self::Target> {
        // SAFETY: by the trait contract a non-NULL pointer points at a live
        // `Target` (the Box / Arc payload).
        unsafe { ptr.cast::<Self::Target>().as_ref() }
    }
}

/// Handles owned by exactly one C pointer: created from a `Box`, freed once.
pub(crate) trait BoxHandle: Handle {
    fn into_handle(value: Self::Target) -> *mut Self {
        Box::into_raw(Box::new(value)).cast()
    }

    /// Mutably borrows the object behind `ptr`; `None` for NULL.
    ///
    /// # Safety
    /// `ptr` is NULL or a live handle of this type with no other borrow.
    unsafe fn as_mut<'a>(ptr: *mut Self) -> Option<&'a mut Self::Target> {
        // SAFETY: as `Handle::as_ref`, and the caller guarantees exclusivity.
        unsafe { ptr.cast::<Self::Target>().as_mut() }
    }

    /// Frees the object behind `ptr`; NULL is a no-op.
    ///
    /// # Safety
    /// `ptr` is NULL or a live handle of this type, not used afterwards.
    unsafe fn free(ptr: *mut Self) {
        if !ptr.is_null() {
            // SAFETY: the pointer came from `Box::into_raw` in `into_handle`.
            drop(unsafe { Box::from_raw(ptr.cast::<Self::Target>()) });
        }
    }
}

/// Handles to shared objects: the C pointer holds one `Arc` reference; the
/// options and databases using the object hold others, so it lives until the
/// last of them is gone.
pub(crate) trait ArcHandle: Handle {
    fn into_handle(value: Arc<Self::Target>) -> *mut Self {
        Arc::into_raw(value).cast_mut().cast()
    }

    /// A new reference to the object behind `ptr`; `None` for NULL.
    ///
    /// # Safety
    /// `ptr` is NULL or a live handle of this type.
    unsafe fn clone_arc(ptr: *const Self) -> Option<Arc<Self::Target>> {
        if ptr.is_null() {
            return None;
        }
        let ptr = ptr.cast::<Self::Target>();
        // SAFETY: the pointer came from `Arc::into_raw` and its reference is
        // still held by the C caller, so the count is at least one.
        unsafe {
            Arc::increment_strong_count(ptr);
            Some(Arc::from_raw(ptr))
        }
    }

    /// Gives up the C caller's reference; NULL is a no-op.
    ///
    /// # Safety
    /// `ptr` is NULL or a live handle of this type, not used afterwards.
    unsafe fn release(ptr: *mut Self) {
        if !ptr.is_null() {
            // SAFETY: the pointer came from `Arc::into_raw` in `into_handle`
            // and this is the C caller's one release of it.
            drop(unsafe { Arc::from_raw(ptr.cast_const().cast::<Self::Target>()) });
        }
    }
}

macro_rules! handle {
    ($c:ty => $rust:ty, $kind:ident) => {
        // SAFETY: `$c` is a zero-sized opaque type mapped exactly once here.
        unsafe impl $crate::ffi::Handle for $c {
            type Target = $rust;
        }
        impl $crate::ffi::$kind for $c {}
    };
}
pub(crate) use handle;

// ---------------------------------------------------------------------------
// The panic boundary.
// ---------------------------------------------------------------------------

/// The value an exported function returns when its body panicked.
pub(crate) trait PanicFallback {
    fn fallback() -> Self;
}

impl PanicFallback for () {
    fn fallback() {}
}
impl<T> PanicFallback for *mut T {
    fn fallback() -> Self {
        std::ptr::null_mut()
    }
}
impl<T> PanicFallback for *const T {
    fn fallback() -> Self {
        std::ptr::null()
    }
}
impl PanicFallback for u8 {
    fn fallback() -> Self {
        0
    }
}
impl PanicFallback for i32 {
    fn fallback() -> Self {
        0
    }
}

/// Runs the body of exported function `$name` with panics caught.
///
/// `boundary!("leveldb_put", errptr, { ... })` stores an `IO error` naming
/// the panic through `errptr`; `boundary!("leveldb_iter_valid", { ... })`
/// returns the fallback of the return type. `return` inside the body leaves
/// the body (it is a closure), which is how the NULL-check macros bail out.
macro_rules! boundary {
    ($name:literal, $errptr:expr, $body:block) => {{
        let errptr: *mut *mut ::std::os::raw::c_char = $errptr;
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| {
            $crate::ffi::test_panic_hook($name);
            $body
        })) {
            Ok(value) => value,
            Err(payload) => {
                // SAFETY: errptr is the caller's errptr argument, NULL or valid.
                unsafe {
                    $crate::ffi::store_error(errptr, &$crate::ffi::panic_error($name, payload))
                };
                $crate::ffi::PanicFallback::fallback()
            }
        }
    }};
    ($name:literal, $body:block) => {{
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| {
            $crate::ffi::test_panic_hook($name);
            $body
        })) {
            Ok(value) => value,
            Err(_) => $crate::ffi::PanicFallback::fallback(),
        }
    }};
}
pub(crate) use boundary;

/// The error reported for a panic caught in `function`.
pub(crate) fn panic_error(function: &str, payload: Box<dyn Any + Send>) -> Error {
    let what = if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    };
    Error::io_error(format!("internal panic in {function}: {what}"))
}

/// Test-only fault injection reachable from C: when the environment variable
/// `STRATA_TEST_PANIC` (read once per process) names `function` (a
/// comma-separated list is allowed), its body panics on purpose so tests can
/// check the panic boundary. This runs on every C call, so the common case
/// (variable unset) is one relaxed atomic load and a compare.
#[inline]
pub(crate) fn test_panic_hook(function: &str) {
    if PANIC_HOOK_STATE.load(Ordering::Relaxed) != HOOK_DISARMED {
        test_panic_hook_slow(function);
    }
}

/// `HOOK_UNKNOWN` until the first call reads the environment, then
/// `HOOK_DISARMED` or `HOOK_ARMED`. Racing first calls all compute the same
/// answer, so a relaxed store is enough.
static PANIC_HOOK_STATE: AtomicU8 = AtomicU8::new(HOOK_UNKNOWN);
const HOOK_UNKNOWN: u8 = 0;
const HOOK_DISARMED: u8 = 1;
const HOOK_ARMED: u8 = 2;

#[cold]
#[inline(never)]
fn test_panic_hook_slow(function: &str) {
    static TARGETS: OnceLock<Option<String>> = OnceLock::new();
    let targets = TARGETS.get_or_init(|| std::env::var("STRATA_TEST_PANIC").ok());
    let state = if targets.is_some() {
        HOOK_ARMED
    } else {
        HOOK_DISARMED
    };
    PANIC_HOOK_STATE.store(state, Ordering::Relaxed);
    if let Some(targets) = targets {
        if targets.split(',').any(|t| t == function) {
            panic!("STRATA_TEST_PANIC requested a panic in {function}");
        }
    }
}

// ---------------------------------------------------------------------------
// errptr, malloc and argument helpers.
// ---------------------------------------------------------------------------

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malloc_c_string_cuts_at_nul() {
        let p = malloc_c_string(b"ab\0cd");
        // SAFETY: p is a fresh NUL-terminated malloc'ed string.
        unsafe {
            assert_eq!(CStr::from_ptr(p).to_bytes(), b"ab");
            libc::free(p.cast());
        }
    }

    #[test]
    fn store_error_replaces_old_message() {
        let mut err: *mut c_char = std::ptr::null_mut();
        // SAFETY: err is NULL, then malloc'ed by store_error.
        unsafe {
            store_error(&mut err, &Error::corruption("one"));
            store_error(&mut err, &Error::invalid_argument("two"));
            assert_eq!(CStr::from_ptr(err).to_bytes(), b"Invalid argument: two");
            libc::free(err.cast());
        }
    }

    #[test]
    fn bytes_from_accepts_null_empty_only() {
        // SAFETY: NULL pointers are never read.
        unsafe {
            assert_eq!(bytes_from(std::ptr::null(), 0), Some(&[][..]));
            assert_eq!(bytes_from(std::ptr::null(), 3), None);
        }
    }

    #[test]
    fn panic_boundary_reports_through_errptr() {
        fn body(errptr: *mut *mut c_char) -> *mut c_char {
            boundary!("strata_unit_test", errptr, {
                if !errptr.is_null() {
                    panic!("boom");
                }
                std::ptr::null_mut()
            })
        }
        let mut err: *mut c_char = std::ptr::null_mut();
        assert!(body(&mut err).is_null());
        // SAFETY: err was set to a malloc'ed string.
        unsafe {
            assert_eq!(
                CStr::from_ptr(err).to_str().unwrap(),
                "IO error: internal panic in strata_unit_test: boom"
            );
            libc::free(err.cast());
        }
    }

    use std::os::raw::c_int;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use crate::filter::FilterPolicy;
    use crate::util::comparator::Comparator;

    static DESTROYED: AtomicUsize = AtomicUsize::new(0);

    unsafe extern "C" fn count_destroy(_: *mut c_void) {
        DESTROYED.fetch_add(1, Ordering::SeqCst);
    }
    unsafe extern "C" fn compare(
        _: *mut c_void,
        a: *const c_char,
        alen: usize,
        b: *const c_char,
        blen: usize,
    ) -> c_int {
        // SAFETY: the library passes buffers valid for their lengths.
        let (a, b) = unsafe {
            (
                std::slice::from_raw_parts(a.cast::<u8>(), alen),
                std::slice::from_raw_parts(b.cast::<u8>(), blen),
            )
        };
        b.cmp(a) as c_int
    }
    unsafe extern "C" fn name(_: *mut c_void) -> *const c_char {
        c"test.reverse".as_ptr()
    }

    /// The comparator's destructor runs once, when its last user (here the
    /// options, destroyed after the handle) is gone; the adapter calls the
    /// C callbacks.
    #[test]
    fn comparator_destructor_runs_when_last_user_is_gone() {
        // SAFETY: valid callbacks and handles throughout.
        unsafe {
            let cmp = leveldb_comparator_create(
                std::ptr::null_mut(),
                Some(count_destroy),
                Some(compare),
                Some(name),
            );
            assert!(!cmp.is_null());
            let adapter = <leveldb_comparator_t as ArcHandle>::clone_arc(cmp).unwrap();
            assert_eq!(adapter.compare(b"a", b"b"), std::cmp::Ordering::Greater);
            assert_eq!(
                crate::util::comparator::Comparator::name(&*adapter),
                "test.reverse"
            );
            drop(adapter);
            let options = leveldb_options_create();
            leveldb_options_set_comparator(options, cmp);
            leveldb_comparator_destroy(cmp);
            assert_eq!(DESTROYED.load(Ordering::SeqCst), 0, "options still use it");
            leveldb_options_destroy(options);
            assert_eq!(DESTROYED.load(Ordering::SeqCst), 1);
            assert!(
                leveldb_comparator_create(std::ptr::null_mut(), None, None, Some(name)).is_null()
            );
        }
    }

    unsafe extern "C" fn record_put(
        state: *mut c_void,
        k: *const c_char,
        klen: usize,
        v: *const c_char,
        vlen: usize,
    ) {
        // SAFETY: state is the Vec passed below; buffers valid for the call.
        unsafe {
            let log = &mut *state.cast::<Vec<String>>();
            let k = std::slice::from_raw_parts(k.cast::<u8>(), klen);
            let v = std::slice::from_raw_parts(v.cast::<u8>(), vlen);
            log.push(format!(
                "put {}={}",
                String::from_utf8_lossy(k),
                String::from_utf8_lossy(v)
            ));
        }
    }
    unsafe extern "C" fn record_delete(state: *mut c_void, k: *const c_char, klen: usize) {
        // SAFETY: as in record_put.
        unsafe {
            let log = &mut *state.cast::<Vec<String>>();
            let k = std::slice::from_raw_parts(k.cast::<u8>(), klen);
            log.push(format!("delete {}", String::from_utf8_lossy(k)));
        }
    }

    #[test]
    fn write_batch_iterate_and_append_through_c() {
        let mut log: Vec<String> = Vec::new();
        // SAFETY: valid handles, buffers and callbacks throughout.
        unsafe {
            let a = leveldb_writebatch_create();
            let b = leveldb_writebatch_create();
            leveldb_writebatch_put(a, c"k1".as_ptr(), 2, c"v1".as_ptr(), 2);
            leveldb_writebatch_delete(b, c"k2".as_ptr(), 2);
            leveldb_writebatch_put(b, std::ptr::null(), 5, c"v".as_ptr(), 1); // ignored
            leveldb_writebatch_append(a, b);
            leveldb_writebatch_append(b, b);
            let state = (&mut log as *mut Vec<String>).cast::<c_void>();
            leveldb_writebatch_iterate(a, state, Some(record_put), Some(record_delete));
            leveldb_writebatch_iterate(b, state, Some(record_put), Some(record_delete));
            leveldb_writebatch_clear(a);
            leveldb_writebatch_iterate(a, state, Some(record_put), Some(record_delete));
            leveldb_writebatch_destroy(a);
            leveldb_writebatch_destroy(b);
        }
        assert_eq!(log, ["put k1=v1", "delete k2", "delete k2", "delete k2"]);
    }

    unsafe extern "C" fn create_filter(
        _: *mut c_void,
        keys: *const *const c_char,
        lens: *const usize,
        n: c_int,
        out_len: *mut usize,
    ) -> *mut c_char {
        // SAFETY: the library passes n keys; we return a malloc'ed buffer.
        unsafe {
            let n = n as usize;
            let mut joined = Vec::new();
            for i in 0..n {
                joined.extend_from_slice(std::slice::from_raw_parts(
                    (*keys.add(i)).cast::<u8>(),
                    *lens.add(i),
                ));
            }
            *out_len = joined.len();
            malloc_bytes(&joined)
        }
    }
    unsafe extern "C" fn may_match(
        _: *mut c_void,
        _: *const c_char,
        _: usize,
        _: *const c_char,
        filter_len: usize,
    ) -> u8 {
        u8::from(filter_len > 0)
    }

    #[test]
    fn filter_policy_copies_and_frees_the_callback_buffer() {
        // SAFETY: valid callbacks and handles.
        unsafe {
            let p = leveldb_filterpolicy_create(
                std::ptr::null_mut(),
                None,
                Some(create_filter),
                Some(may_match),
                Some(name),
            );
            let policy = <leveldb_filterpolicy_t as ArcHandle>::clone_arc(p).unwrap();
            let mut dst = b"x".to_vec();
            policy.create_filter(&[&b"ab"[..], &b"c"[..]], &mut dst);
            assert_eq!(dst, b"xabc");
            assert!(policy.key_may_match(b"q", b"f"));
            assert!(!policy.key_may_match(b"q", b""));
            assert_eq!(crate::filter::FilterPolicy::name(&*policy), "test.reverse");
            drop(policy);
            leveldb_filterpolicy_destroy(p);
            let bloom = leveldb_filterpolicy_create_bloom(10);
            let policy = <leveldb_filterpolicy_t as ArcHandle>::clone_arc(bloom).unwrap();
            assert_eq!(
                crate::filter::FilterPolicy::name(&*policy),
                "leveldb.BuiltinBloomFilter2"
            );
            drop(policy);
            leveldb_filterpolicy_destroy(bloom);
        }
    }

    #[test]
    fn test_directory_follows_test_tmpdir() {
        // SAFETY: valid handle; the result is malloc'ed.
        unsafe {
            let env = leveldb_create_default_env();
            let dir = leveldb_env_get_test_directory(env);
            let text = CStr::from_ptr(dir).to_str().unwrap().to_string();
            leveldb_free(dir.cast());
            leveldb_env_destroy(env);
            match std::env::var("TEST_TMPDIR") {
                Ok(d) if !d.is_empty() => assert_eq!(text, d),
                _ => assert_eq!(text, format!("/tmp/leveldbtest-{}", libc::geteuid())),
            }
        }
    }
}
