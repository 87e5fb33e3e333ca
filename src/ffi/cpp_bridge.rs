//! The one internal ABI between the C++ layer (`cpp/*.cc`, LevelDB 1.23's
//! C++ API) and the engine: `extern "C"` functions named `strata_cpp_*`
//! that the C++ layer calls, and one table of C++ trampolines
//! ([`CppCallbacks`]) through which the engine calls C++ objects
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
//! - **Errors** cross as `*mut Error` ([`CppStatus`]): NULL is OK, anything
//!   else a boxed error that the receiver frees exactly once.
//! - The callbacks table is registered once by the C++ layer
//!   (`strata_cpp_init`) before it creates any object that calls back, and
//!   is immutable and `'static` afterwards.

#![allow(clippy::missing_safety_doc)]

use std::cmp::Ordering as CmpOrdering;
use std::ffi::CStr;
use std::os::raw::{c_char, c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::Arc;

use super::engine::{destroy_db, repair_db, BlockCache, BloomFilterPolicy, WriteBatch, DB};
use crate::env::Logger;
use crate::filter::FilterPolicy;
use crate::iterator::InternalIterator;
use crate::options::{CompressionType, Options, ReadOptions, WriteOptions};
use crate::snapshot::Snapshot;
use crate::status::{Code, Error, Result};
use crate::util::comparator::{bytewise, Comparator};

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
    fn of(bytes: &[u8]) -> RawSlice {
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
fn name_of(p: *const c_char) -> String {
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

// ---------------------------------------------------------------------------
// Adapters: C++ objects as engine traits.
// ---------------------------------------------------------------------------

/// A C++ `leveldb::Comparator` subclass, called through its vtable.
struct CppComparator {
    obj: CppPtr,
    name: String,
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
struct CppFilterPolicy {
    obj: CppPtr,
    name: String,
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

// ---------------------------------------------------------------------------
// Options.
// ---------------------------------------------------------------------------

/// `leveldb::Options`, translated by the C++ layer: plain values copied,
/// plugged-in objects sorted into the engine's own (`native_*`, used
/// directly) and the caller's C++ subclasses (called through their vtables).
#[repr(C)]
pub struct CppOptions {
    /// A C++ `Comparator*` other than `BytewiseComparator()`; NULL for it.
    pub comparator: *mut c_void,
    /// A C++ `FilterPolicy*` subclass of the caller; NULL if none or native.
    pub filter_policy: *mut c_void,
    /// `NewBloomFilterPolicy`'s engine policy (`strata_cpp_bloom_new`).
    pub native_filter_policy: *const NativeFilterPolicy,
    /// A C++ `Env*` of the caller; NULL if it is one of ours (then see
    /// `native_env`).
    pub env: *mut c_void,
    /// The engine env behind `Env::Default()` / `NewMemEnv`.
    pub native_env: *const super::cpp_env::NativeEnv,
    /// A C++ `Logger*`; NULL for the default `LOG` file.
    pub info_log: *mut c_void,
    /// The engine cache behind `NewLRUCache`; NULL for a private one or
    /// the caller's own (then see `user_block_cache`).
    pub block_cache: *const NativeCache,
    /// A C++ `Cache*` subclass of the caller; NULL if none or ours.
    pub user_block_cache: *mut c_void,
    pub write_buffer_size: usize,
    pub block_size: usize,
    pub max_file_size: usize,
    pub max_open_files: c_int,
    pub block_restart_interval: c_int,
    pub compression: c_int,
    pub create_if_missing: u8,
    pub error_if_exists: u8,
    pub paranoid_checks: u8,
    pub reuse_logs: u8,
}

/// What `NewBloomFilterPolicy` wraps.
pub struct NativeFilterPolicy(pub(crate) Arc<dyn FilterPolicy>);
/// What `NewLRUCache` wraps.
pub struct NativeCache(pub(crate) Arc<BlockCache>);

/// Builds engine options.
///
/// # Safety
/// Every non-NULL pointer in `o` is live (and stays so while the options
/// are used).
pub(crate) unsafe fn engine_options(o: &CppOptions) -> Options {
    let mut options = Options::default();
    if !o.comparator.is_null() {
        // SAFETY: a live C++ comparator.
        let name = name_of(unsafe { (callbacks().cmp_name)(o.comparator) });
        options.comparator = Arc::new(CppComparator {
            obj: CppPtr(o.comparator),
            name,
        });
    } else {
        options.comparator = bytewise();
    }
    // SAFETY: NULL or a live policy, by the caller's contract.
    if let Some(native) = unsafe { o.native_filter_policy.as_ref() } {
        options.filter_policy = Some(Arc::clone(&native.0));
    } else if !o.filter_policy.is_null() {
        // SAFETY: a live C++ policy.
        let name = name_of(unsafe { (callbacks().fp_name)(o.filter_policy) });
        options.filter_policy = Some(Arc::new(CppFilterPolicy {
            obj: CppPtr(o.filter_policy),
            name,
        }));
    }
    if !o.env.is_null() {
        options.env = super::cpp_env::cpp_env(o.env);
    } else if let Some(native) =
        // SAFETY: NULL or a live env, by the caller's contract.
        unsafe { o.native_env.as_ref() }
    {
        options.env = Arc::clone(&native.0);
    }
    if !o.info_log.is_null() {
        options.info_log = Some(Arc::new(CppLogger {
            obj: CppPtr(o.info_log),
            owned: false,
        }));
    }
    // SAFETY: NULL or a live cache.
    if let Some(cache) = unsafe { o.block_cache.as_ref() } {
        options.block_cache = Some(Arc::clone(&cache.0));
    } else if !o.user_block_cache.is_null() {
        options.block_cache = Some(super::cpp_cache::cpp_block_cache(o.user_block_cache));
    }
    options.create_if_missing = o.create_if_missing != 0;
    options.error_if_exists = o.error_if_exists != 0;
    options.paranoid_checks = o.paranoid_checks != 0;
    options.reuse_logs = o.reuse_logs != 0;
    options.write_buffer_size = o.write_buffer_size;
    options.block_size = o.block_size;
    options.max_file_size = o.max_file_size;
    options.max_open_files = usize::try_from(o.max_open_files).unwrap_or(0);
    options.block_restart_interval = usize::try_from(o.block_restart_interval)
        .unwrap_or(0)
        .max(1);
    options.compression = if o.compression == 1 {
        CompressionType::Snappy
    } else {
        CompressionType::None
    };
    options
}

/// `leveldb::ReadOptions`, translated.
#[repr(C)]
pub struct CppReadOptions {
    /// From `strata_cpp_db_snapshot`, or NULL.
    pub snapshot: *const Snapshot,
    pub verify_checksums: u8,
    pub fill_cache: u8,
}

/// # Safety
/// `o` is live; its snapshot NULL or live.
unsafe fn read_options(o: *const CppReadOptions) -> ReadOptions {
    // SAFETY: caller contract.
    let o = unsafe { &*o };
    ReadOptions {
        verify_checksums: o.verify_checksums != 0,
        fill_cache: o.fill_cache != 0,
        // SAFETY: caller contract.
        snapshot: unsafe { o.snapshot.as_ref() }.cloned(),
    }
}

// ---------------------------------------------------------------------------
// Databases.
// ---------------------------------------------------------------------------

/// Opens a database. On success stores a new database in `*out`, owned by
/// the caller and freed with `strata_cpp_db_close`. `options` and `name`
/// are borrowed for the call; objects named by the options must outlive
/// the database.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_db_open(
    options: *const CppOptions,
    name: *const u8,
    name_len: usize,
    out: *mut *mut DB,
) -> CppStatus {
    guard!("strata_cpp_db_open", {
        // SAFETY: live options and name; out writable.
        unsafe {
            *out = std::ptr::null_mut();
            let options = engine_options(&*options);
            let name = match path(name, name_len) {
                Ok(n) => n,
                Err(e) => return CppStatus::from_result(Err(e)),
            };
            match DB::open(options, name) {
                Ok(db) => {
                    *out = Box::into_raw(Box::new(db));
                    CppStatus::ok()
                }
                Err(e) => CppStatus::from_result(Err(e)),
            }
        }
    })
}

/// Closes a database (waits for its background work). NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_db_close(db: *mut DB) {
    guard!("strata_cpp_db_close", {
        if !db.is_null() {
            // SAFETY: a database from strata_cpp_db_open, freed once.
            drop(unsafe { Box::from_raw(db) });
        }
    })
}

/// `DB::Put`. Buffers borrowed for the call.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_db_put(
    db: *const DB,
    sync: u8,
    key: *const u8,
    key_len: usize,
    value: *const u8,
    value_len: usize,
) -> CppStatus {
    guard!("strata_cpp_db_put", {
        // SAFETY: a live database; buffers readable for their lengths.
        let (db, key, value) = unsafe { (&*db, bytes(key, key_len), bytes(value, value_len)) };
        CppStatus::from_result(db.put(&WriteOptions { sync: sync != 0 }, key, value))
    })
}

/// `DB::Delete`.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_db_delete(
    db: *const DB,
    sync: u8,
    key: *const u8,
    key_len: usize,
) -> CppStatus {
    guard!("strata_cpp_db_delete", {
        // SAFETY: a live database; key readable.
        let (db, key) = unsafe { (&*db, bytes(key, key_len)) };
        CppStatus::from_result(db.delete(&WriteOptions { sync: sync != 0 }, key))
    })
}

/// `DB::Write`: `rep` is a `WriteBatch`'s representation (LevelDB's
/// format), copied; NULL writes an empty batch (LevelDB's `Write(o,
/// nullptr)`).
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_db_write(
    db: *const DB,
    sync: u8,
    rep: *const u8,
    rep_len: usize,
) -> CppStatus {
    guard!("strata_cpp_db_write", {
        let mut batch = WriteBatch::new();
        if !rep.is_null() {
            // SAFETY: rep readable for rep_len bytes.
            batch.set_contents(unsafe { bytes(rep, rep_len) });
        }
        // SAFETY: a live database.
        let db = unsafe { &*db };
        CppStatus::from_result(db.write(&WriteOptions { sync: sync != 0 }, &batch))
    })
}

/// `DB::Get`: when found, assigns the value to the `std::string*` `value`
/// (one copy, from where the engine stores it) and sets `*found = 1`;
/// absent: `*found = 0`, OK status.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_db_get(
    db: *const DB,
    options: *const CppReadOptions,
    key: *const u8,
    key_len: usize,
    value: *mut c_void,
    found: *mut u8,
) -> CppStatus {
    guard!("strata_cpp_db_get", {
        // SAFETY: live database, options and std::string; found writable.
        unsafe {
            *found = 0;
            let db = &*db;
            let key = bytes(key, key_len);
            let options = if (*options).snapshot.is_null()
                && (*options).verify_checksums == 0
                && (*options).fill_cache != 0
            {
                None
            } else {
                Some(read_options(options))
            };
            let default;
            let options = match &options {
                Some(o) => o,
                None => {
                    default = ReadOptions::new();
                    &default
                }
            };
            let assign = callbacks().string_assign;
            match db.get_with(options, key, |v| assign(value, v.as_ptr(), v.len())) {
                Ok(Some(())) => {
                    *found = 1;
                    CppStatus::ok()
                }
                Ok(None) => CppStatus::ok(),
                Err(e) => CppStatus::from_result(Err(e)),
            }
        }
    })
}

/// The state of an iterator after a move, for the C++ layer to answer
/// `Valid()`, `key()` and `value()` without calling back. The slices point
/// into the iterator and are valid until its next move or free.
#[repr(C)]
pub struct CppEntry {
    pub key: RawSlice,
    pub value: RawSlice,
    pub valid: u8,
}

/// An iterator handed to C++.
pub type CppIter = Box<dyn InternalIterator>;

/// `DB::NewIterator`: a new iterator, unpositioned, owned by the caller
/// (free with `strata_cpp_iter_free`, before the database is closed).
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_db_iter(
    db: *const DB,
    options: *const CppReadOptions,
) -> *mut CppIter {
    guard!("strata_cpp_db_iter", {
        // SAFETY: live database and options.
        let iter: CppIter = unsafe { Box::new((*db).iter(&read_options(options))) };
        Box::into_raw(Box::new(iter))
    })
}

fn fill_entry(iter: &dyn InternalIterator, entry: &mut CppEntry) {
    if iter.valid() {
        entry.key = RawSlice::of(iter.key());
        entry.value = RawSlice::of(iter.value());
        entry.valid = 1;
    } else {
        entry.key = RawSlice::of(&[]);
        entry.value = RawSlice::of(&[]);
        entry.valid = 0;
    }
}

/// Runs one move of an iterator and refreshes `*entry`.
///
/// # Safety
/// `iter` live and not used elsewhere meanwhile; `entry` writable.
unsafe fn iter_move(
    iter: *mut CppIter,
    entry: *mut CppEntry,
    step: impl FnOnce(&mut dyn InternalIterator),
) {
    // SAFETY: caller contract.
    let (iter, entry) = unsafe { (&mut **iter, &mut *entry) };
    step(&mut *iter);
    fill_entry(&*iter, entry);
}

/// `Iterator::SeekToFirst`.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_iter_seek_to_first(iter: *mut CppIter, entry: *mut CppEntry) {
    guard!("strata_cpp_iter_seek_to_first", {
        // SAFETY: forwarded caller contract.
        unsafe { iter_move(iter, entry, |it| it.seek_to_first()) }
    })
}

/// `Iterator::SeekToLast`.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_iter_seek_to_last(iter: *mut CppIter, entry: *mut CppEntry) {
    guard!("strata_cpp_iter_seek_to_last", {
        // SAFETY: forwarded caller contract.
        unsafe { iter_move(iter, entry, |it| it.seek_to_last()) }
    })
}

/// `Iterator::Seek(target)`; `target` borrowed for the call.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_iter_seek(
    iter: *mut CppIter,
    target: *const u8,
    target_len: usize,
    entry: *mut CppEntry,
) {
    guard!("strata_cpp_iter_seek", {
        // SAFETY: forwarded caller contract; target readable.
        unsafe {
            let target = bytes(target, target_len);
            iter_move(iter, entry, |it| it.seek(target))
        }
    })
}

/// `Iterator::Next` (no-op when not valid).
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_iter_next(iter: *mut CppIter, entry: *mut CppEntry) {
    guard!("strata_cpp_iter_next", {
        // SAFETY: forwarded caller contract.
        unsafe {
            iter_move(iter, entry, |it| {
                if it.valid() {
                    it.next()
                }
            })
        }
    })
}

/// `Iterator::Prev` (no-op when not valid).
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_iter_prev(iter: *mut CppIter, entry: *mut CppEntry) {
    guard!("strata_cpp_iter_prev", {
        // SAFETY: forwarded caller contract.
        unsafe {
            iter_move(iter, entry, |it| {
                if it.valid() {
                    it.prev()
                }
            })
        }
    })
}

/// `Iterator::status()`: a new status owned by the caller.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_iter_status(iter: *const CppIter) -> CppStatus {
    guard!("strata_cpp_iter_status", {
        // SAFETY: a live iterator.
        CppStatus::from_result(unsafe { (**iter).status() })
    })
}

/// Frees an iterator; NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_iter_free(iter: *mut CppIter) {
    guard!("strata_cpp_iter_free", {
        if !iter.is_null() {
            // SAFETY: from strata_cpp_db_iter / iter_into_raw, freed once.
            drop(unsafe { Box::from_raw(iter) });
        }
    })
}

/// `DB::GetSnapshot`: owned by the caller, freed (released) with
/// `strata_cpp_snapshot_free`.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_db_snapshot(db: *const DB) -> *mut Snapshot {
    guard!("strata_cpp_db_snapshot", {
        // SAFETY: a live database.
        Box::into_raw(Box::new(unsafe { (*db).snapshot() }))
    })
}

/// `DB::ReleaseSnapshot`; NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_snapshot_free(snapshot: *mut Snapshot) {
    guard!("strata_cpp_snapshot_free", {
        if !snapshot.is_null() {
            // SAFETY: from strata_cpp_db_snapshot, freed once.
            drop(unsafe { Box::from_raw(snapshot) });
        }
    })
}

/// `DB::GetProperty`: 1 and the value assigned to the `std::string*`
/// `value` if the property is known, else 0.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_db_property(
    db: *const DB,
    name: *const u8,
    name_len: usize,
    value: *mut c_void,
) -> u8 {
    guard!("strata_cpp_db_property", {
        // SAFETY: live database, name readable, value a live std::string.
        unsafe {
            let Ok(name) = std::str::from_utf8(bytes(name, name_len)) else {
                return 0;
            };
            match (*db).property(name) {
                Some(v) => {
                    (callbacks().string_assign)(value, v.as_ptr(), v.len());
                    1
                }
                None => 0,
            }
        }
    })
}

/// `DB::GetApproximateSizes`: `ranges` holds `2 * n` slices (start, limit
/// of each range, as `leveldb::Range` lays them out); `sizes` receives `n`.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_db_sizes(
    db: *const DB,
    ranges: *const RawSlice,
    n: c_int,
    sizes: *mut u64,
) {
    guard!("strata_cpp_db_sizes", {
        let n = usize::try_from(n).unwrap_or(0);
        if n == 0 {
            return;
        }
        // SAFETY: ranges readable for 2n slices, each readable; sizes
        // writable for n; a live database.
        unsafe {
            let raw = std::slice::from_raw_parts(ranges, 2 * n);
            let pairs: Vec<(&[u8], &[u8])> = raw
                .chunks_exact(2)
                .map(|p| (bytes(p[0].data, p[0].len), bytes(p[1].data, p[1].len)))
                .collect();
            let out = std::slice::from_raw_parts_mut(sizes, n);
            for (o, s) in out.iter_mut().zip((*db).approximate_sizes(&pairs)) {
                *o = s;
            }
        }
    })
}

/// `DB::CompactRange`: a NULL bound is unbounded.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_db_compact(
    db: *const DB,
    begin: *const RawSlice,
    end: *const RawSlice,
) {
    guard!("strata_cpp_db_compact", {
        // SAFETY: live database; bounds NULL or readable slices.
        unsafe {
            let begin = begin.as_ref().map(|s| bytes(s.data, s.len));
            let end = end.as_ref().map(|s| bytes(s.data, s.len));
            let _ = (*db).compact_range(begin, end);
        }
    })
}

/// `DestroyDB` (`repair` = 0) or `RepairDB` (`repair` = 1).
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_db_destroy_or_repair(
    options: *const CppOptions,
    name: *const u8,
    name_len: usize,
    repair: u8,
) -> CppStatus {
    guard!("strata_cpp_db_destroy_or_repair", {
        // SAFETY: live options and name.
        unsafe {
            let options = engine_options(&*options);
            let result = path(name, name_len).and_then(|name| {
                if repair != 0 {
                    repair_db(name, &options)
                } else {
                    destroy_db(name, &options)
                }
            });
            CppStatus::from_result(result)
        }
    })
}

// ---------------------------------------------------------------------------
// Caches and bloom filters.
// ---------------------------------------------------------------------------

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
