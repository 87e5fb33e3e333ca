//! A caller's `leveldb::Cache` subclass as a database's block cache: the
//! engine's `UserBlockCache` over the C++ object's virtual methods, used
//! as LevelDB 1.23's table reader uses `Options::block_cache`.
//!
//! Invariants:
//! - Keys are LevelDB's 16 bytes (table cache id, block offset, each
//!   fixed64), built by `BlockCache`; one `NewId` per table opened.
//! - A value in the C++ cache is a `Box<Arc<Block>>` made here; the cache
//!   frees it through the deleter given to `Insert` (`cpp/callbacks.cc`),
//!   which calls `strata_cpp_block_free`. Values under keys this module
//!   did not insert are never read: the engine looks up only keys built
//!   from its own table ids, which the caller's cache handed out.
//! - Every handle returned by `Insert` or `Lookup` is released before the
//!   call that took it returns: the engine keeps the block alive through
//!   its own `Arc`, so no handle is outstanding once a read is done.
//! - The C++ object is borrowed: LevelDB's caller keeps the cache alive
//!   while any database or table uses it.

use std::os::raw::c_void;
use std::sync::Arc;

use super::cpp_bridge::{callbacks, guard, CppPtr};
use crate::table::{Block, BlockCache, UserBlockCache};

/// The cache trampolines of `cpp/callbacks.cc` (`StrataCacheCallbacks`),
/// each one virtual call on the `leveldb::Cache*` given first.
#[repr(C)]
pub struct CppCacheCallbacks {
    /// `Insert(key, value, charge, <deleter freeing an engine block>)`.
    pub insert: unsafe extern "C" fn(
        cache: *mut c_void,
        key: *const u8,
        key_len: usize,
        value: *mut c_void,
        charge: usize,
    ) -> *mut c_void,
    pub lookup:
        unsafe extern "C" fn(cache: *mut c_void, key: *const u8, key_len: usize) -> *mut c_void,
    pub value: unsafe extern "C" fn(cache: *mut c_void, handle: *mut c_void) -> *mut c_void,
    pub release: unsafe extern "C" fn(cache: *mut c_void, handle: *mut c_void),
    pub erase: unsafe extern "C" fn(cache: *mut c_void, key: *const u8, key_len: usize),
    pub new_id: unsafe extern "C" fn(cache: *mut c_void) -> u64,
    pub total_charge: unsafe extern "C" fn(cache: *mut c_void) -> usize,
}

/// A caller's `leveldb::Cache*`.
struct CppBlockCache {
    obj: CppPtr,
}

/// A block cache over the caller's C++ `Cache*` (borrowed).
pub(crate) fn cpp_block_cache(obj: *mut c_void) -> Arc<BlockCache> {
    Arc::new(BlockCache::user(Box::new(CppBlockCache {
        obj: CppPtr(obj),
    })))
}

impl UserBlockCache for CppBlockCache {
    fn new_id(&self) -> u64 {
        // SAFETY: a live C++ cache (the caller's contract).
        unsafe { (callbacks().cache.new_id)(self.obj.0) }
    }

    fn total_charge(&self) -> usize {
        // SAFETY: a live C++ cache.
        unsafe { (callbacks().cache.total_charge)(self.obj.0) }
    }

    fn lookup(&self, key: &[u8; 16]) -> Option<Arc<Block>> {
        let cb = &callbacks().cache;
        // SAFETY: a live C++ cache; the key is readable for the call.
        let handle = unsafe { (cb.lookup)(self.obj.0, key.as_ptr(), key.len()) };
        if handle.is_null() {
            return None;
        }
        // SAFETY: `handle` is the cache's, live until released below; its
        // value is a `Box<Arc<Block>>` inserted by `insert` (see the module
        // invariants), not freed while the handle is held.
        unsafe {
            let value = (cb.value)(self.obj.0, handle).cast::<Arc<Block>>();
            let block = value.as_ref().map(Arc::clone);
            (cb.release)(self.obj.0, handle);
            block
        }
    }

    fn insert(&self, key: &[u8; 16], block: Arc<Block>, charge: usize) {
        let cb = &callbacks().cache;
        let value = Box::into_raw(Box::new(block)).cast::<c_void>();
        // SAFETY: a live C++ cache; the key is readable for the call; the
        // cache owns `value` from now on and frees it with the deleter; the
        // handle it returns is released at once.
        unsafe {
            let handle = (cb.insert)(self.obj.0, key.as_ptr(), key.len(), value, charge);
            if !handle.is_null() {
                (cb.release)(self.obj.0, handle);
            }
        }
    }

    fn erase(&self, key: &[u8; 16]) {
        // SAFETY: a live C++ cache; the key is readable for the call.
        unsafe { (callbacks().cache.erase)(self.obj.0, key.as_ptr(), key.len()) }
    }
}

/// Frees an engine block put into a caller's cache (the deleter's body).
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_block_free(block: *mut c_void) {
    guard!("strata_cpp_block_free", {
        if !block.is_null() {
            // SAFETY: a value made by `CppBlockCache::insert`, which the
            // cache deletes exactly once.
            drop(unsafe { Box::from_raw(block.cast::<Arc<Block>>()) });
        }
    })
}
