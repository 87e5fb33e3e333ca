//! The C ABI: LevelDB 1.23's `leveldb/c.h`, and the only code that speaks C.
//!
//! cbindgen generates `include/leveldb/c.h` from this module and its
//! submodules (one per C object), so the doc comment of every exported
//! function is also its documentation in the header.
//!
//! Invariants, for every exported function:
//! - **No unwinding into C.** Each body runs inside `boundary!`: a panic is
//!   caught and turned into the function's fallback (an error stored through
//!   `errptr` where there is one, otherwise NULL / 0 / nothing).
//! - **Typed handles.** Each opaque `leveldb_*_t` names exactly one Rust type
//!   and one ownership kind (`BoxHandle`: created with `Box`, freed by its
//!   `*_destroy`; `ArcHandle`: shared with the options and databases that
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

mod args;
mod engine;
mod errptr;
mod handles;
mod panic_boundary;
#[cfg(test)]
mod tests;

pub(crate) use args::*;
pub(crate) use errptr::*;
pub(crate) use handles::*;
pub(crate) use panic_boundary::*;

pub mod cache;
pub mod comparator;
// The C++ layer's internal ABI: hidden from the shared library's exports
// (see cpp_bridge's invariants) and kept out of c.h.
/// cbindgen:ignore
pub mod cpp_bridge;
/// cbindgen:ignore
pub mod cpp_cache;
/// cbindgen:ignore
pub mod cpp_db;
/// cbindgen:ignore
pub mod cpp_dump;
/// cbindgen:ignore
pub mod cpp_env;
/// cbindgen:ignore
pub mod cpp_native_env;
/// cbindgen:ignore
pub mod cpp_options;
/// cbindgen:ignore
pub mod cpp_plugins;
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
