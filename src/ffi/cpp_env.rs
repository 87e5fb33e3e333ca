//! Environments across the C++ boundary, both ways.
//!
//! - `CppEnv` makes a C++ `leveldb::Env` subclass of the caller (an
//!   `EnvWrapper`, a counting env...) an engine `Env`: every file
//!   operation, lock, logger and schedule call of a database opened with it
//!   goes to the C++ object's virtual functions, and the files it returns are
//!   wrapped the same way (and deleted by us, their owner, as LevelDB does).
//! - `cpp_native_env::NativeEnv` is an engine env (the POSIX one behind `Env::Default()`,
//!   or a `NewMemEnv` one) that the C++ layer exposes as a `leveldb::Env`;
//!   the `strata_cpp_env_*` functions below are its methods. A database
//!   opened with such an env uses the engine env directly.
//!
//! Ownership: objects a `strata_cpp_env_*` function hands out are boxed and
//! owned by the C++ caller (`strata_cpp_object_free`). C++ objects the
//! engine receives from a C++ env are owned by the wrapper and deleted
//! through `delete_object` when it drops. The C++ env itself is borrowed: the
//! caller keeps it alive while databases use it.

use std::os::raw::{c_int, c_void};
use std::sync::Arc;

use super::cpp_bridge::{bytes, callbacks, CppPtr, CppStatus, RustSink};
use super::cpp_plugins::CppLogger;
use crate::env::{Env, FileLock, Logger, RandomAccessFile, SequentialFile, WritableFile};
use crate::status::{Error, Result};

/// Kinds of C++ objects for `delete_object` and of engine objects for
/// `strata_cpp_object_free`.
pub const KIND_SEQUENTIAL: c_int = 0;
pub const KIND_RANDOM: c_int = 1;
pub const KIND_WRITABLE: c_int = 2;
pub const KIND_APPENDABLE: c_int = 3;
pub const KIND_LOGGER: c_int = 4;
pub const KIND_LOCK: c_int = 5;
/// A C++ object the engine borrows: `delete_object` is never called for it.
pub(crate) const KIND_BORROWED: c_int = -1;

/// Trampolines to a C++ `Env` and its files (`cpp/callbacks.cc`). `env` and
/// `file` arguments are C++ objects; paths are borrowed bytes.
#[repr(C)]
pub struct CppEnvCallbacks {
    /// `NewSequentialFile` / `NewRandomAccessFile` / `NewWritableFile` /
    /// `NewAppendableFile` / `NewLogger` by `kind`; the new object (owned by
    /// the caller) in `*out`.
    pub open: unsafe extern "C" fn(
        env: *mut c_void,
        kind: c_int,
        path: *const u8,
        len: usize,
        out: *mut *mut c_void,
    ) -> CppStatus,
    pub file_exists: unsafe extern "C" fn(env: *mut c_void, path: *const u8, len: usize) -> u8,
    /// `GetChildren`: each name goes to `sink(ctx, ..)`.
    pub get_children: unsafe extern "C" fn(
        env: *mut c_void,
        path: *const u8,
        len: usize,
        ctx: *mut c_void,
        sink: RustSink,
    ) -> CppStatus,
    /// `RemoveFile` (0), `CreateDir` (1), `RemoveDir` (2).
    pub path_op:
        unsafe extern "C" fn(env: *mut c_void, op: c_int, path: *const u8, len: usize) -> CppStatus,
    pub file_size: unsafe extern "C" fn(
        env: *mut c_void,
        path: *const u8,
        len: usize,
        size: *mut u64,
    ) -> CppStatus,
    pub rename: unsafe extern "C" fn(
        env: *mut c_void,
        from: *const u8,
        from_len: usize,
        to: *const u8,
        to_len: usize,
    ) -> CppStatus,
    pub lock: unsafe extern "C" fn(
        env: *mut c_void,
        path: *const u8,
        len: usize,
        out: *mut *mut c_void,
    ) -> CppStatus,
    /// `UnlockFile(lock)`, which also frees it (LevelDB's contract).
    pub unlock: unsafe extern "C" fn(env: *mut c_void, lock: *mut c_void) -> CppStatus,
    pub now_micros: unsafe extern "C" fn(env: *mut c_void) -> u64,
    pub sleep: unsafe extern "C" fn(env: *mut c_void, micros: c_int),
    pub schedule: unsafe extern "C" fn(
        env: *mut c_void,
        function: unsafe extern "C" fn(*mut c_void),
        arg: *mut c_void,
    ),
    /// `SequentialFile::Read` into `buf` (copied there if the file answered
    /// elsewhere); bytes read in `*n`.
    pub seq_read: unsafe extern "C" fn(
        file: *mut c_void,
        buf: *mut u8,
        len: usize,
        n: *mut usize,
    ) -> CppStatus,
    pub seq_skip: unsafe extern "C" fn(file: *mut c_void, n: u64) -> CppStatus,
    pub rand_read: unsafe extern "C" fn(
        file: *mut c_void,
        offset: u64,
        buf: *mut u8,
        len: usize,
        n: *mut usize,
    ) -> CppStatus,
    pub wf_append:
        unsafe extern "C" fn(file: *mut c_void, data: *const u8, len: usize) -> CppStatus,
    /// `Flush` (0), `Sync` (1), `Close` (2).
    pub wf_op: unsafe extern "C" fn(file: *mut c_void, op: c_int) -> CppStatus,
    /// `delete` through the virtual destructor of the object's class
    /// (`KIND_*`).
    pub delete_object: unsafe extern "C" fn(obj: *mut c_void, kind: c_int),
}

pub(crate) fn env_cb() -> &'static CppEnvCallbacks {
    &callbacks().env
}

/// A C++ `Env` as an engine env.
pub(crate) fn cpp_env(obj: *mut c_void) -> Arc<dyn Env> {
    Arc::new(CppEnv { obj: CppPtr(obj) })
}

pub(crate) struct CppEnv {
    obj: CppPtr,
}

/// A C++ object owned by an engine wrapper, deleted on drop.
pub(crate) struct Owned {
    obj: CppPtr,
    kind: c_int,
}

impl Drop for Owned {
    fn drop(&mut self) {
        if self.kind != KIND_BORROWED {
            // SAFETY: we own the object; deleted once, as its class.
            unsafe { (env_cb().delete_object)(self.obj.0, self.kind) }
        }
    }
}

/// A C++ `RandomAccessFile` the caller keeps alive and deletes (given to
/// `Table::Open`).
pub(crate) fn borrowed_random_file(obj: *mut c_void) -> Arc<dyn RandomAccessFile> {
    Arc::new(CppRandomFile(Owned {
        obj: CppPtr(obj),
        kind: KIND_BORROWED,
    }))
}

/// A C++ `WritableFile` the caller keeps alive, closes and deletes (given
/// to `TableBuilder`).
pub(crate) fn borrowed_writable_file(obj: *mut c_void) -> Box<dyn WritableFile> {
    Box::new(CppWritableFile(Owned {
        obj: CppPtr(obj),
        kind: KIND_BORROWED,
    }))
}

impl CppEnv {
    fn open(&self, kind: c_int, path: &str) -> Result<CppPtr> {
        let mut out = std::ptr::null_mut();
        // SAFETY: a live env; the path is valid for the call, out writable.
        unsafe {
            (env_cb().open)(self.obj.0, kind, path.as_ptr(), path.len(), &mut out).into_result()?
        };
        if out.is_null() {
            return Err(Error::io_error(format!(
                "{path}: the Env returned no object"
            )));
        }
        Ok(CppPtr(out))
    }
}

pub(crate) struct CppSequentialFile(Owned);
pub(crate) struct CppRandomFile(Owned);
pub(crate) struct CppWritableFile(Owned);
pub(crate) struct CppFileLock {
    env: CppPtr,
    lock: CppPtr,
}

impl SequentialFile for CppSequentialFile {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        let mut n = 0;
        // SAFETY: a live file; buf writable for its length.
        unsafe {
            (env_cb().seq_read)(self.0.obj.0, buf.as_mut_ptr(), buf.len(), &mut n).into_result()?
        };
        Ok(n.min(buf.len()))
    }
    fn skip(&mut self, n: u64) -> Result<()> {
        // SAFETY: a live file.
        unsafe { (env_cb().seq_skip)(self.0.obj.0, n).into_result() }
    }
}

impl RandomAccessFile for CppRandomFile {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let mut n = 0;
        // SAFETY: a live file (LevelDB's RandomAccessFile::Read is
        // thread-safe); buf writable.
        unsafe {
            (env_cb().rand_read)(self.0.obj.0, offset, buf.as_mut_ptr(), buf.len(), &mut n)
                .into_result()?
        };
        Ok(n.min(buf.len()))
    }
}

impl WritableFile for CppWritableFile {
    fn append(&mut self, data: &[u8]) -> Result<()> {
        // SAFETY: a live file; data valid for the call.
        unsafe { (env_cb().wf_append)(self.0.obj.0, data.as_ptr(), data.len()).into_result() }
    }
    fn flush(&mut self) -> Result<()> {
        // SAFETY: a live file.
        unsafe { (env_cb().wf_op)(self.0.obj.0, 0).into_result() }
    }
    fn sync(&mut self) -> Result<()> {
        // SAFETY: a live file.
        unsafe { (env_cb().wf_op)(self.0.obj.0, 1).into_result() }
    }
    fn close(&mut self) -> Result<()> {
        // SAFETY: a live file.
        unsafe { (env_cb().wf_op)(self.0.obj.0, 2).into_result() }
    }
}

impl FileLock for CppFileLock {}

impl Drop for CppFileLock {
    fn drop(&mut self) {
        // SAFETY: a live env and the lock it gave us, unlocked once.
        let _ = unsafe { (env_cb().unlock)(self.env.0, self.lock.0).into_result() };
    }
}

/// Collects `GetChildren` names.
unsafe extern "C" fn sink_push_string(ctx: *mut c_void, data: *const u8, len: usize) {
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // SAFETY: ctx is the Vec<String> passed with this sink; data readable.
        unsafe {
            (*ctx.cast::<Vec<String>>())
                .push(String::from_utf8_lossy(bytes(data, len)).into_owned())
        }
    }));
}

/// Runs a boxed closure handed to a C++ `Schedule`/`StartThread`.
unsafe extern "C" fn run_boxed_work(arg: *mut c_void) {
    // SAFETY: arg came from Box::into_raw of this type, run once.
    let work = unsafe { Box::from_raw(arg.cast::<Box<dyn FnOnce() + Send>>()) };
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
}

impl Env for CppEnv {
    fn new_sequential_file(&self, path: &str) -> Result<Box<dyn SequentialFile>> {
        let obj = self.open(KIND_SEQUENTIAL, path)?;
        Ok(Box::new(CppSequentialFile(Owned {
            obj,
            kind: KIND_SEQUENTIAL,
        })))
    }
    fn new_random_access_file(&self, path: &str) -> Result<Arc<dyn RandomAccessFile>> {
        let obj = self.open(KIND_RANDOM, path)?;
        Ok(Arc::new(CppRandomFile(Owned {
            obj,
            kind: KIND_RANDOM,
        })))
    }
    fn new_writable_file(&self, path: &str) -> Result<Box<dyn WritableFile>> {
        let obj = self.open(KIND_WRITABLE, path)?;
        Ok(Box::new(CppWritableFile(Owned {
            obj,
            kind: KIND_WRITABLE,
        })))
    }
    fn new_appendable_file(&self, path: &str) -> Result<Box<dyn WritableFile>> {
        let obj = self.open(KIND_APPENDABLE, path)?;
        Ok(Box::new(CppWritableFile(Owned {
            obj,
            kind: KIND_WRITABLE,
        })))
    }
    fn file_exists(&self, path: &str) -> bool {
        // SAFETY: a live env; path valid for the call.
        unsafe { (env_cb().file_exists)(self.obj.0, path.as_ptr(), path.len()) != 0 }
    }
    fn get_children(&self, dir: &str) -> Result<Vec<String>> {
        let mut names: Vec<String> = Vec::new();
        // SAFETY: a live env; the sink pushes into `names`.
        unsafe {
            (env_cb().get_children)(
                self.obj.0,
                dir.as_ptr(),
                dir.len(),
                (&mut names as *mut Vec<String>).cast(),
                sink_push_string,
            )
            .into_result()?
        };
        Ok(names)
    }
    fn remove_file(&self, path: &str) -> Result<()> {
        // SAFETY: a live env.
        unsafe { (env_cb().path_op)(self.obj.0, 0, path.as_ptr(), path.len()).into_result() }
    }
    fn create_dir(&self, path: &str) -> Result<()> {
        // SAFETY: a live env.
        unsafe { (env_cb().path_op)(self.obj.0, 1, path.as_ptr(), path.len()).into_result() }
    }
    fn remove_dir(&self, path: &str) -> Result<()> {
        // SAFETY: a live env.
        unsafe { (env_cb().path_op)(self.obj.0, 2, path.as_ptr(), path.len()).into_result() }
    }
    fn get_file_size(&self, path: &str) -> Result<u64> {
        let mut size = 0;
        // SAFETY: a live env; size writable.
        unsafe {
            (env_cb().file_size)(self.obj.0, path.as_ptr(), path.len(), &mut size).into_result()?
        };
        Ok(size)
    }
    fn rename_file(&self, from: &str, to: &str) -> Result<()> {
        // SAFETY: a live env.
        unsafe {
            (env_cb().rename)(self.obj.0, from.as_ptr(), from.len(), to.as_ptr(), to.len())
                .into_result()
        }
    }
    fn sync_dir(&self, _path: &str) -> Result<()> {
        // LevelDB's Env has no such call (its POSIX files sync their
        // directory themselves), so a C++ env has nothing to receive.
        Ok(())
    }
    fn lock_file(&self, path: &str) -> Result<Box<dyn FileLock>> {
        let mut out = std::ptr::null_mut();
        // SAFETY: a live env; out writable.
        unsafe { (env_cb().lock)(self.obj.0, path.as_ptr(), path.len(), &mut out).into_result()? };
        Ok(Box::new(CppFileLock {
            env: self.obj,
            lock: CppPtr(out),
        }))
    }
    fn new_logger(&self, path: &str) -> Result<Arc<dyn Logger>> {
        let obj = self.open(KIND_LOGGER, path)?;
        Ok(Arc::new(CppLogger { obj, owned: true }))
    }
    fn now_micros(&self) -> u64 {
        // SAFETY: a live env.
        unsafe { (env_cb().now_micros)(self.obj.0) }
    }
    fn sleep_for_micros(&self, micros: u64) {
        let micros = c_int::try_from(micros).unwrap_or(c_int::MAX);
        // SAFETY: a live env.
        unsafe { (env_cb().sleep)(self.obj.0, micros) }
    }
    fn schedule(&self, work: Box<dyn FnOnce() + Send>) {
        let arg = Box::into_raw(Box::new(work)).cast::<c_void>();
        // SAFETY: a live env; run_boxed_work takes `arg` back exactly once.
        unsafe { (env_cb().schedule)(self.obj.0, run_boxed_work, arg) }
    }
}
