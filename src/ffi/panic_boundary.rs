//! The panic boundary of every exported function ([`boundary!`]): a panic
//! never unwinds into C. It becomes the function's fallback value
//! ([`PanicFallback`]: NULL, 0, nothing) and, where the function has an
//! `errptr`, an `IO error: internal panic in <function>: ...` stored there.
//!
//! With the `test-hooks` feature (only `cargo test` turns it on), the
//! `STRATA_TEST_PANIC` environment variable makes named functions panic on
//! purpose, so that C tests can check the boundary; shipped builds have no
//! hook at all.

use std::any::Any;
#[cfg(feature = "test-hooks")]
use std::sync::atomic::{AtomicU8, Ordering};
#[cfg(feature = "test-hooks")]
use std::sync::OnceLock;

use crate::status::Error;

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
    let what = crate::status::panic_message(payload.as_ref());
    Error::io_error(format!("internal panic in {function}: {what}"))
}

/// Test-only fault injection reachable from C, built only with the
/// `test-hooks` feature (which `cargo test` turns on; a shipped build has
/// none of it): when the environment variable `STRATA_TEST_PANIC` (read once
/// per process) names `function` (a comma-separated list is allowed), its
/// body panics on purpose so tests can check the panic boundary.
#[cfg(feature = "test-hooks")]
#[inline]
pub(crate) fn test_panic_hook(function: &str) {
    if PANIC_HOOK_STATE.load(Ordering::Relaxed) != HOOK_DISARMED {
        test_panic_hook_slow(function);
    }
}

/// Without the `test-hooks` feature the hook is nothing at all.
#[cfg(not(feature = "test-hooks"))]
#[inline(always)]
pub(crate) fn test_panic_hook(_function: &str) {}

/// `HOOK_UNKNOWN` until the first call reads the environment, then
/// `HOOK_DISARMED` or `HOOK_ARMED`. Racing first calls all compute the same
/// answer, so a relaxed store is enough.
#[cfg(feature = "test-hooks")]
static PANIC_HOOK_STATE: AtomicU8 = AtomicU8::new(HOOK_UNKNOWN);
#[cfg(feature = "test-hooks")]
const HOOK_UNKNOWN: u8 = 0;
#[cfg(feature = "test-hooks")]
const HOOK_DISARMED: u8 = 1;
#[cfg(feature = "test-hooks")]
const HOOK_ARMED: u8 = 2;

#[cfg(feature = "test-hooks")]
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
