//! Filter policies from C callbacks (`leveldb_filterpolicy_create`) or the
//! built-in bloom filter (`leveldb_filterpolicy_create_bloom`).
//!
//! A `leveldb_filterpolicy_t` is an Arc handle around [`CFilterPolicy`],
//! which implements the engine's `FilterPolicy`. As for comparators, the
//! destructor runs once, when the last user (handle, options, database) is
//! gone. Callbacks must be thread-safe.

use std::os::raw::{c_char, c_int, c_void};
use std::sync::{Arc, OnceLock};

use super::comparator::call_name;
use super::engine::BloomFilterPolicy;
use super::leveldb_filterpolicy_t;
use super::{boundary, handle, require, ArcHandle, CState};
use crate::filter::FilterPolicy;

type CreateFilterFn = unsafe extern "C" fn(
    *mut c_void,
    *const *const c_char,
    *const usize,
    c_int,
    *mut usize,
) -> *mut c_char;
type KeyMayMatchFn =
    unsafe extern "C" fn(*mut c_void, *const c_char, usize, *const c_char, usize) -> u8;
type NameFn = unsafe extern "C" fn(*mut c_void) -> *const c_char;
type DestructorFn = unsafe extern "C" fn(*mut c_void);

/// The callbacks of a C filter policy.
pub struct Callbacks {
    state: CState,
    destructor: Option<DestructorFn>,
    create_filter: CreateFilterFn,
    key_may_match: KeyMayMatchFn,
    name_fn: NameFn,
    name: OnceLock<String>,
}

impl Drop for Callbacks {
    fn drop(&mut self) {
        if let Some(destructor) = self.destructor {
            // SAFETY: the last user is gone; called once with its own state.
            unsafe { destructor(self.state.0) }
        }
    }
}

/// A filter policy reachable from C.
pub enum CFilterPolicy {
    Callbacks(Callbacks),
    Bloom(BloomFilterPolicy),
}

handle!(leveldb_filterpolicy_t => CFilterPolicy, ArcHandle);

impl FilterPolicy for CFilterPolicy {
    fn name(&self) -> &str {
        match self {
            CFilterPolicy::Callbacks(c) => c.name.get_or_init(|| call_name(c.name_fn, c.state)),
            CFilterPolicy::Bloom(bloom) => bloom.name(),
        }
    }

    fn create_filter(&self, keys: &[&[u8]], dst: &mut Vec<u8>) {
        let c = match self {
            CFilterPolicy::Callbacks(c) => c,
            CFilterPolicy::Bloom(bloom) => return bloom.create_filter(keys, dst),
        };
        let pointers: Vec<*const c_char> = keys.iter().map(|k| k.as_ptr().cast()).collect();
        let lengths: Vec<usize> = keys.iter().map(|k| k.len()).collect();
        let count = c_int::try_from(keys.len()).unwrap_or(c_int::MAX);
        let mut len = 0usize;
        // SAFETY: the caller's callback, given arrays of `count` keys valid
        // for the call; it returns NULL or a malloc'ed buffer of `len` bytes,
        // which we copy and free as LevelDB does.
        unsafe {
            let filter = (c.create_filter)(
                c.state.0,
                pointers.as_ptr(),
                lengths.as_ptr(),
                count,
                &mut len,
            );
            if !filter.is_null() {
                dst.extend_from_slice(std::slice::from_raw_parts(filter.cast::<u8>(), len));
                libc::free(filter.cast());
            }
        }
    }

    fn key_may_match(&self, key: &[u8], filter: &[u8]) -> bool {
        match self {
            // SAFETY: the caller's callback, given buffers valid for the call.
            CFilterPolicy::Callbacks(c) => unsafe {
                (c.key_may_match)(
                    c.state.0,
                    key.as_ptr().cast(),
                    key.len(),
                    filter.as_ptr().cast(),
                    filter.len(),
                ) != 0
            },
            CFilterPolicy::Bloom(bloom) => bloom.key_may_match(key, filter),
        }
    }
}

/// Creates a filter policy from C callbacks, owned by the caller and
/// destroyed with `leveldb_filterpolicy_destroy`.
///
/// - `create_filter(state, key_array, key_length_array, num_keys,
///   &filter_length)` summarises `num_keys` (>= 1) user keys, borrowed for the
///   call, into a `malloc`ed buffer of `*filter_length` bytes; the library
///   copies it and `free`s it.
/// - `key_may_match(state, key, length, filter, filter_length)` returns 0
///   only if `key` was certainly not among the keys of `filter`.
/// - `name(state)` returns a NUL-terminated name that stays valid; it is
///   stored in each table ("filter.<name>"), and tables are only filtered by
///   a policy of the same name.
/// - `destructor(state)` (may be NULL) runs once, when the policy is
///   destroyed and no options or database still use it.
///
/// Returns NULL if `create_filter`, `key_may_match` or `name` is NULL.
#[no_mangle]
pub unsafe extern "C" fn leveldb_filterpolicy_create(
    state: *mut c_void,
    destructor: Option<unsafe extern "C" fn(state: *mut c_void)>,
    create_filter: Option<
        unsafe extern "C" fn(
            state: *mut c_void,
            key_array: *const *const c_char,
            key_length_array: *const usize,
            num_keys: c_int,
            filter_length: *mut usize,
        ) -> *mut c_char,
    >,
    key_may_match: Option<
        unsafe extern "C" fn(
            state: *mut c_void,
            key: *const c_char,
            length: usize,
            filter: *const c_char,
            filter_length: usize,
        ) -> u8,
    >,
    name: Option<unsafe extern "C" fn(state: *mut c_void) -> *const c_char>,
) -> *mut leveldb_filterpolicy_t {
    boundary!("leveldb_filterpolicy_create", {
        let policy = CFilterPolicy::Callbacks(Callbacks {
            state: CState(state),
            destructor,
            create_filter: require!(create_filter),
            key_may_match: require!(key_may_match),
            name_fn: require!(name),
            name: OnceLock::new(),
        });
        <leveldb_filterpolicy_t as ArcHandle>::into_handle(Arc::new(policy))
    })
}

/// Gives up the caller's policy handle; the destructor (if any) runs now or
/// when the last options / database using the policy is freed. NULL is a
/// no-op; destroying twice is not allowed.
#[no_mangle]
pub unsafe extern "C" fn leveldb_filterpolicy_destroy(policy: *mut leveldb_filterpolicy_t) {
    boundary!("leveldb_filterpolicy_destroy", {
        // SAFETY: NULL or a live handle the caller gives up here.
        unsafe { ArcHandle::release(policy) }
    })
}

/// Creates LevelDB's built-in bloom filter policy
/// ("leveldb.BuiltinBloomFilter2") with `bits_per_key` bits per key (10 is
/// a good value: about 1% false positives; negative counts as 0). Owned by
/// the caller, destroyed with `leveldb_filterpolicy_destroy`.
#[no_mangle]
pub extern "C" fn leveldb_filterpolicy_create_bloom(
    bits_per_key: c_int,
) -> *mut leveldb_filterpolicy_t {
    boundary!("leveldb_filterpolicy_create_bloom", {
        let bits = usize::try_from(bits_per_key).unwrap_or(0);
        let policy = CFilterPolicy::Bloom(BloomFilterPolicy::new(bits));
        <leveldb_filterpolicy_t as ArcHandle>::into_handle(Arc::new(policy))
    })
}
