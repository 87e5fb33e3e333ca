//! Block caches (`leveldb_cache_t`: an Arc handle around the engine's
//! `BlockCache`, shared by every database whose options name it). Thread-safe.

use std::sync::Arc;

use super::engine::BlockCache;
use super::leveldb_cache_t;
use super::{boundary, handle, ArcHandle};

handle!(leveldb_cache_t => BlockCache, ArcHandle);

/// Creates an LRU cache of uncompressed blocks holding about `capacity`
/// bytes. Owned by the caller, destroyed with `leveldb_cache_destroy`; give
/// it to databases with `leveldb_options_set_cache`.
#[no_mangle]
pub extern "C" fn leveldb_cache_create_lru(capacity: usize) -> *mut leveldb_cache_t {
    boundary!("leveldb_cache_create_lru", {
        <leveldb_cache_t as ArcHandle>::into_handle(Arc::new(BlockCache::new(capacity)))
    })
}

/// Gives up the caller's cache handle; the cache itself lives on while
/// options or databases still use it. NULL is a no-op; destroying twice is
/// not allowed.
#[no_mangle]
pub unsafe extern "C" fn leveldb_cache_destroy(cache: *mut leveldb_cache_t) {
    boundary!("leveldb_cache_destroy", {
        // SAFETY: NULL or a live handle the caller gives up here.
        unsafe { ArcHandle::release(cache) }
    })
}
