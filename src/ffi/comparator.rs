//! Comparators written in C (`leveldb_comparator_create`).
//!
//! A `leveldb_comparator_t` is an Arc handle around [`CComparator`], which
//! implements the engine's `Comparator` trait by calling the C callbacks.
//! Options and databases hold their own references, so `destructor(state)`
//! runs exactly once, when the last user is gone: at
//! `leveldb_comparator_destroy` if nothing else still uses it (LevelDB's
//! order), otherwise when the last options / database holding it is freed.
//! The callbacks must be thread-safe: the database calls them from its
//! background thread too.

use std::cmp::Ordering;
use std::ffi::CStr;
use std::os::raw::{c_char, c_int, c_void};
use std::sync::{Arc, OnceLock};

use super::leveldb_comparator_t;
use super::{boundary, handle, require, ArcHandle, CState};
use crate::util::comparator::Comparator;

type CompareFn =
    unsafe extern "C" fn(*mut c_void, *const c_char, usize, *const c_char, usize) -> c_int;
type NameFn = unsafe extern "C" fn(*mut c_void) -> *const c_char;
type DestructorFn = unsafe extern "C" fn(*mut c_void);

/// A key order implemented by C callbacks.
pub struct CComparator {
    state: CState,
    destructor: Option<DestructorFn>,
    compare: CompareFn,
    name_fn: NameFn,
    /// The name, read from the callback on first use (LevelDB requires it to
    /// stay the same for the comparator's life).
    name: OnceLock<String>,
}

handle!(leveldb_comparator_t => CComparator, ArcHandle);

impl Comparator for CComparator {
    fn compare(&self, a: &[u8], b: &[u8]) -> Ordering {
        // SAFETY: the caller's callback, given its state and two buffers
        // valid for the call.
        let r = unsafe {
            (self.compare)(
                self.state.0,
                a.as_ptr().cast(),
                a.len(),
                b.as_ptr().cast(),
                b.len(),
            )
        };
        r.cmp(&0)
    }

    fn name(&self) -> &str {
        self.name
            .get_or_init(|| call_name(self.name_fn, self.state))
    }

    // C comparators cannot shorten keys (c.h: "custom comparators that
    // implement key shortening" are not supported), so index keys stay whole.
    fn find_shortest_separator(&self, _start: &mut Vec<u8>, _limit: &[u8]) {}
    fn find_short_successor(&self, _key: &mut Vec<u8>) {}
}

/// Calls a C `name(state)` callback and copies the string out (lossily if it
/// is not UTF-8; "" for NULL).
pub(crate) fn call_name(name: NameFn, state: CState) -> String {
    // SAFETY: the caller's callback; it returns NULL or a NUL-terminated
    // string that stays valid (c.h contract), copied at once.
    unsafe {
        let p = name(state.0);
        if p.is_null() {
            String::new()
        } else {
            CStr::from_ptr(p).to_string_lossy().into_owned()
        }
    }
}

impl Drop for CComparator {
    fn drop(&mut self) {
        if let Some(destructor) = self.destructor {
            // SAFETY: the last user of the state is gone; the caller's
            // destructor is called once, with its own state.
            unsafe { destructor(self.state.0) }
        }
    }
}

/// Creates a comparator from C callbacks, owned by the caller and destroyed
/// with `leveldb_comparator_destroy`.
///
/// - `compare(state, a, alen, b, blen)` returns <0, 0 or >0; it is called
///   with user keys (borrowed for the call) from any thread.
/// - `name(state)` returns a NUL-terminated name that stays valid; it is
///   stored in the database, and a database created with one name refuses to
///   open with another.
/// - `destructor(state)` (may be NULL) is called once, when the comparator
///   is destroyed and no options or database still use it.
///
/// Returns NULL if `compare` or `name` is NULL.
#[no_mangle]
pub unsafe extern "C" fn leveldb_comparator_create(
    state: *mut c_void,
    destructor: Option<unsafe extern "C" fn(state: *mut c_void)>,
    compare: Option<
        unsafe extern "C" fn(
            state: *mut c_void,
            a: *const c_char,
            alen: usize,
            b: *const c_char,
            blen: usize,
        ) -> c_int,
    >,
    name: Option<unsafe extern "C" fn(state: *mut c_void) -> *const c_char>,
) -> *mut leveldb_comparator_t {
    boundary!("leveldb_comparator_create", {
        let comparator = CComparator {
            state: CState(state),
            destructor,
            compare: require!(compare),
            name_fn: require!(name),
            name: OnceLock::new(),
        };
        <leveldb_comparator_t as ArcHandle>::into_handle(Arc::new(comparator))
    })
}

/// Gives up the caller's comparator handle. `destructor(state)` runs now, or
/// when the last options / database still using the comparator is freed.
/// NULL is a no-op; destroying twice is not allowed.
#[no_mangle]
pub unsafe extern "C" fn leveldb_comparator_destroy(comparator: *mut leveldb_comparator_t) {
    boundary!("leveldb_comparator_destroy", {
        // SAFETY: NULL or a live handle the caller gives up here.
        unsafe { ArcHandle::release(comparator) }
    })
}
