//! The C++ objects a caller plugs into a database, as engine traits:
//! comparators, filter policies and loggers called through their vtables
//! (from any thread the engine uses), and the engine's own LRU cache and
//! Bloom filter policy handed to C++ (`NewLRUCache`, `NewBloomFilterPolicy`).
//! Ownership and panics follow `cpp_bridge`'s invariants.

#![allow(clippy::missing_safety_doc)]

use std::cmp::Ordering as CmpOrdering;
use std::os::raw::{c_int, c_void};
use std::sync::Arc;

use super::cpp_bridge::*;
use super::cpp_options::*;
use super::engine::{BlockCache, BloomFilterPolicy};
use crate::env::Logger;
use crate::filter::FilterPolicy;
use crate::util::comparator::Comparator;

/// A C++ `leveldb::Comparator` subclass, called through its vtable.
pub(crate) struct CppComparator {
    pub(crate) obj: CppPtr,
    pub(crate) name: String,
}

impl Comparator for CppComparator {
    fn compare(&self, a: &[u8], b: &[u8]) -> CmpOrdering {
        // SAFETY: a live comparator (the caller keeps it alive), buffers
        // valid for the call.
        let r = unsafe {
            (callbacks().cmp_compare)(self.obj.0, a.as_ptr(), a.len(), b.as_ptr(), b.len())
        };
        r.cmp(&0)
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn find_shortest_separator(&self, start: &mut Vec<u8>, limit: &[u8]) {
        let (ptr, len) = (start.as_ptr(), start.len());
        let ctx = (start as *mut Vec<u8>).cast::<c_void>();
        // SAFETY: the trampoline copies `start` before it calls the sink,
        // which is the only writer of the Vec.
        unsafe {
            (callbacks().cmp_separator)(
                self.obj.0,
                ptr,
                len,
                limit.as_ptr(),
                limit.len(),
                ctx,
                sink_vec_assign,
            )
        }
    }

    fn find_short_successor(&self, key: &mut Vec<u8>) {
        let (ptr, len) = (key.as_ptr(), key.len());
        let ctx = (key as *mut Vec<u8>).cast::<c_void>();
        // SAFETY: as in `find_shortest_separator`.
        unsafe { (callbacks().cmp_successor)(self.obj.0, ptr, len, ctx, sink_vec_assign) }
    }
}

/// A C++ `leveldb::FilterPolicy` subclass.
pub(crate) struct CppFilterPolicy {
    pub(crate) obj: CppPtr,
    pub(crate) name: String,
}

impl FilterPolicy for CppFilterPolicy {
    fn name(&self) -> &str {
        &self.name
    }

    fn create_filter(&self, keys: &[&[u8]], dst: &mut Vec<u8>) {
        let slices: Vec<RawSlice> = keys.iter().map(|k| RawSlice::of(k)).collect();
        let n = c_int::try_from(slices.len()).unwrap_or(c_int::MAX);
        // SAFETY: a live policy; the keys are valid for the call; the sink
        // appends to `dst`, which nothing else touches meanwhile.
        unsafe {
            (callbacks().fp_create)(
                self.obj.0,
                slices.as_ptr(),
                n,
                (dst as *mut Vec<u8>).cast(),
                sink_vec_append,
            )
        }
    }

    fn key_may_match(&self, key: &[u8], filter: &[u8]) -> bool {
        // SAFETY: a live policy, buffers valid for the call.
        unsafe {
            (callbacks().fp_match)(
                self.obj.0,
                key.as_ptr(),
                key.len(),
                filter.as_ptr(),
                filter.len(),
            ) != 0
        }
    }
}

/// A C++ `leveldb::Logger`: borrowed (`Options::info_log`) or owned (made
/// by a C++ `Env::NewLogger`; deleted when the engine drops it).
pub(crate) struct CppLogger {
    pub(crate) obj: CppPtr,
    pub(crate) owned: bool,
}

impl Logger for CppLogger {
    fn log(&self, message: &str) {
        // SAFETY: a live logger; the line is valid for the call.
        unsafe { (callbacks().logger_log)(self.obj.0, message.as_ptr(), message.len()) }
    }
}

impl Drop for CppLogger {
    fn drop(&mut self) {
        if self.owned {
            // SAFETY: we own this logger; deleted once.
            unsafe { (callbacks().env.delete_object)(self.obj.0, super::cpp_env::KIND_LOGGER) }
        }
    }
}

/// `NewLRUCache(capacity)`'s engine cache; freed with `strata_cpp_cache_free`
/// (databases using it hold their own references).
#[no_mangle]
pub extern "C" fn strata_cpp_cache_new(capacity: usize) -> *mut NativeCache {
    guard!("strata_cpp_cache_new", {
        Box::into_raw(Box::new(NativeCache(Arc::new(BlockCache::new(capacity)))))
    })
}

/// Bytes of blocks held by the cache.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_cache_charge(cache: *const NativeCache) -> usize {
    guard!("strata_cpp_cache_charge", {
        // SAFETY: a live cache.
        unsafe { (*cache).0.total_charge() }
    })
}

/// Frees a cache handle; NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_cache_free(cache: *mut NativeCache) {
    guard!("strata_cpp_cache_free", {
        if !cache.is_null() {
            // SAFETY: from strata_cpp_cache_new, freed once.
            drop(unsafe { Box::from_raw(cache) });
        }
    })
}

/// The engine's bloom filter policy ("leveldb.BuiltinBloomFilter2");
/// freed with `strata_cpp_bloom_free`.
#[no_mangle]
pub extern "C" fn strata_cpp_bloom_new(bits_per_key: c_int) -> *mut NativeFilterPolicy {
    guard!("strata_cpp_bloom_new", {
        let bits = usize::try_from(bits_per_key).unwrap_or(0);
        Box::into_raw(Box::new(NativeFilterPolicy(Arc::new(
            BloomFilterPolicy::new(bits),
        ))))
    })
}

/// `CreateFilter` of the bloom policy: appends the filter of the `n` keys
/// (`leveldb::Slice` array) to the `std::string*` `dst` through `sink`.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_bloom_create(
    policy: *const NativeFilterPolicy,
    keys: *const RawSlice,
    n: c_int,
    dst: *mut c_void,
    sink: RustSink,
) {
    guard!("strata_cpp_bloom_create", {
        // SAFETY: a live policy; keys readable for n slices.
        unsafe {
            let raw = std::slice::from_raw_parts(keys, usize::try_from(n).unwrap_or(0));
            let keys: Vec<&[u8]> = raw.iter().map(|k| bytes(k.data, k.len)).collect();
            let mut filter = Vec::new();
            (*policy).0.create_filter(&keys, &mut filter);
            sink(dst, filter.as_ptr(), filter.len());
        }
    })
}

/// `KeyMayMatch` of the bloom policy.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_bloom_match(
    policy: *const NativeFilterPolicy,
    key: *const u8,
    key_len: usize,
    filter: *const u8,
    filter_len: usize,
) -> u8 {
    guard!("strata_cpp_bloom_match", {
        // SAFETY: a live policy; buffers readable.
        unsafe {
            u8::from(
                (*policy)
                    .0
                    .key_may_match(bytes(key, key_len), bytes(filter, filter_len)),
            )
        }
    })
}

/// Frees a bloom policy handle; NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_bloom_free(policy: *mut NativeFilterPolicy) {
    guard!("strata_cpp_bloom_free", {
        if !policy.is_null() {
            // SAFETY: from strata_cpp_bloom_new, freed once.
            drop(unsafe { Box::from_raw(policy) });
        }
    })
}
