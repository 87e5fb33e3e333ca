//! Typed handles: each opaque `leveldb_*_t` of c.h names exactly one Rust
//! type and one ownership kind. [`BoxHandle`]: created with `Box` by its
//! `*_create`, freed once by its `*_destroy`. [`ArcHandle`]: a shared object
//! (comparator, filter policy, cache, env) of which the C pointer holds one
//! reference and the options and databases using it hold others.
//!
//! Invariant: every cast between a C pointer and its Rust object, and every
//! free, goes through these traits; nothing else in `ffi` casts handles.

use std::sync::Arc;

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
