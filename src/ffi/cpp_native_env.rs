//! Engine envs exposed to C++ as `leveldb::Env` (`NativeEnv`): the POSIX
//! env behind `Env::Default()` and `NewMemEnv` ones; the
//! `strata_cpp_env_*` functions are its methods. A database opened with
//! such an env uses the engine env directly. Objects these functions hand
//! out are boxed and owned by the C++ caller (`strata_cpp_object_free`).

#![allow(clippy::missing_safety_doc)]

use super::cpp_bridge::{bytes, guard, path, CppPtr, CppStatus, RustSink};
use super::cpp_env::*;
use crate::env::{Env, FileLock, Logger, RandomAccessFile, SequentialFile, WritableFile};
use crate::status::{Error, Result};
use std::os::raw::{c_int, c_void};
use std::sync::{Arc, OnceLock};

/// An engine env behind a C++ `leveldb::Env` of ours.
pub struct NativeEnv(pub(crate) Arc<dyn Env>);

/// The POSIX env (`Env::Default()`): a process-wide object, never freed.
#[no_mangle]
pub extern "C" fn strata_cpp_env_default() -> *const NativeEnv {
    static DEFAULT: OnceLock<NativeEnv> = OnceLock::new();
    guard!("strata_cpp_env_default", {
        DEFAULT.get_or_init(|| NativeEnv(crate::env::default_env())) as *const NativeEnv
    })
}

/// A new in-memory env (`NewMemEnv`), owned by the caller
/// (`strata_cpp_object_free` is not for it: use `strata_cpp_env_free`).
/// `base` is the caller's C++ `Env*` given to `NewMemEnv` when it is not
/// one of ours (NULL otherwise): as LevelDB's memenv, the env then takes
/// its clock, sleeps and background work from it; the caller keeps it
/// alive while the in-memory env is used.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_env_mem_new(base: *mut c_void) -> *mut NativeEnv {
    guard!("strata_cpp_env_mem_new", {
        let files = crate::env::mem::MemEnv::new();
        let env: Arc<dyn Env> = if base.is_null() {
            files
        } else {
            Arc::new(MemOnBase {
                files,
                base: cpp_env(base),
            })
        };
        Box::into_raw(Box::new(NativeEnv(env)))
    })
}

/// An in-memory env over a caller's base env: files in memory, time and
/// background work from the base (LevelDB's memenv is an `EnvWrapper`).
struct MemOnBase {
    files: Arc<crate::env::mem::MemEnv>,
    base: Arc<dyn Env>,
}

impl Env for MemOnBase {
    fn new_sequential_file(&self, path: &str) -> Result<Box<dyn SequentialFile>> {
        self.files.new_sequential_file(path)
    }
    fn new_random_access_file(&self, path: &str) -> Result<Arc<dyn RandomAccessFile>> {
        self.files.new_random_access_file(path)
    }
    fn new_writable_file(&self, path: &str) -> Result<Box<dyn WritableFile>> {
        self.files.new_writable_file(path)
    }
    fn new_appendable_file(&self, path: &str) -> Result<Box<dyn WritableFile>> {
        self.files.new_appendable_file(path)
    }
    fn file_exists(&self, path: &str) -> bool {
        self.files.file_exists(path)
    }
    fn get_children(&self, dir: &str) -> Result<Vec<String>> {
        self.files.get_children(dir)
    }
    fn remove_file(&self, path: &str) -> Result<()> {
        self.files.remove_file(path)
    }
    fn create_dir(&self, path: &str) -> Result<()> {
        self.files.create_dir(path)
    }
    fn remove_dir(&self, path: &str) -> Result<()> {
        self.files.remove_dir(path)
    }
    fn get_file_size(&self, path: &str) -> Result<u64> {
        self.files.get_file_size(path)
    }
    fn rename_file(&self, from: &str, to: &str) -> Result<()> {
        self.files.rename_file(from, to)
    }
    fn sync_dir(&self, path: &str) -> Result<()> {
        self.files.sync_dir(path)
    }
    fn lock_file(&self, path: &str) -> Result<Box<dyn FileLock>> {
        self.files.lock_file(path)
    }
    fn new_logger(&self, path: &str) -> Result<Arc<dyn Logger>> {
        self.files.new_logger(path)
    }
    fn now_micros(&self) -> u64 {
        self.base.now_micros()
    }
    fn sleep_for_micros(&self, micros: u64) {
        self.base.sleep_for_micros(micros)
    }
    fn schedule(&self, work: Box<dyn FnOnce() + Send>) {
        self.base.schedule(work)
    }
}

/// Frees an env from `strata_cpp_env_mem_new`; databases still using it
/// keep their own reference.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_env_free(env: *mut NativeEnv) {
    guard!("strata_cpp_env_free", {
        if !env.is_null() {
            // SAFETY: from strata_cpp_env_mem_new, freed once.
            drop(unsafe { Box::from_raw(env) });
        }
    })
}

/// Opens a file or logger (`KIND_*`, lock excluded) of an engine env; the
/// new object goes to `*out`, owned by the caller (`strata_cpp_object_free`
/// with the same kind; appendable files are freed as writable ones).
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_env_open(
    env: *const NativeEnv,
    kind: c_int,
    path_ptr: *const u8,
    path_len: usize,
    out: *mut *mut c_void,
) -> CppStatus {
    guard!("strata_cpp_env_open", {
        // SAFETY: a live env, path readable, out writable.
        unsafe {
            *out = std::ptr::null_mut();
            let env = &(*env).0;
            let result = path(path_ptr, path_len).and_then(|p| -> Result<*mut c_void> {
                Ok(match kind {
                    KIND_SEQUENTIAL => Box::into_raw(Box::new(env.new_sequential_file(p)?)).cast(),
                    KIND_RANDOM => Box::into_raw(Box::new(env.new_random_access_file(p)?)).cast(),
                    KIND_WRITABLE => Box::into_raw(Box::new(env.new_writable_file(p)?)).cast(),
                    KIND_APPENDABLE => Box::into_raw(Box::new(env.new_appendable_file(p)?)).cast(),
                    KIND_LOGGER => Box::into_raw(Box::new(env.new_logger(p)?)).cast(),
                    _ => return Err(Error::invalid_argument("unknown object kind")),
                })
            });
            match result {
                Ok(obj) => {
                    *out = obj;
                    CppStatus::ok()
                }
                Err(e) => CppStatus::from_result(Err(e)),
            }
        }
    })
}

/// Frees an object from `strata_cpp_env_open` / `strata_cpp_env_lock`
/// (a lock is released). NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_object_free(obj: *mut c_void, kind: c_int) {
    guard!("strata_cpp_object_free", {
        if obj.is_null() {
            return;
        }
        // SAFETY: obj came boxed from this module with this kind; freed once.
        unsafe {
            match kind {
                KIND_SEQUENTIAL => drop(Box::from_raw(obj.cast::<Box<dyn SequentialFile>>())),
                KIND_RANDOM => drop(Box::from_raw(obj.cast::<Arc<dyn RandomAccessFile>>())),
                KIND_WRITABLE | KIND_APPENDABLE => {
                    drop(Box::from_raw(obj.cast::<Box<dyn WritableFile>>()))
                }
                KIND_LOGGER => drop(Box::from_raw(obj.cast::<Arc<dyn Logger>>())),
                KIND_LOCK => drop(Box::from_raw(obj.cast::<Box<dyn FileLock>>())),
                _ => {}
            }
        }
    })
}

/// `FileExists`.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_env_exists(
    env: *const NativeEnv,
    path_ptr: *const u8,
    path_len: usize,
) -> u8 {
    guard!("strata_cpp_env_exists", {
        // SAFETY: a live env, path readable.
        unsafe { path(path_ptr, path_len).map_or(0, |p| u8::from((*env).0.file_exists(p))) }
    })
}

/// `GetChildren`: each name goes to `sink(ctx, ..)`.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_env_children(
    env: *const NativeEnv,
    path_ptr: *const u8,
    path_len: usize,
    ctx: *mut c_void,
    sink: RustSink,
) -> CppStatus {
    guard!("strata_cpp_env_children", {
        // SAFETY: a live env, path readable; the sink is the caller's.
        unsafe {
            let names = path(path_ptr, path_len).and_then(|p| (*env).0.get_children(p));
            match names {
                Ok(names) => {
                    for n in names {
                        sink(ctx, n.as_ptr(), n.len());
                    }
                    CppStatus::ok()
                }
                Err(e) => CppStatus::from_result(Err(e)),
            }
        }
    })
}

/// `RemoveFile` (0), `CreateDir` (1), `RemoveDir` (2).
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_env_path_op(
    env: *const NativeEnv,
    op: c_int,
    path_ptr: *const u8,
    path_len: usize,
) -> CppStatus {
    guard!("strata_cpp_env_path_op", {
        // SAFETY: a live env, path readable.
        let result = unsafe {
            let env = &(*env).0;
            path(path_ptr, path_len).and_then(|p| match op {
                0 => env.remove_file(p),
                1 => env.create_dir(p),
                _ => env.remove_dir(p),
            })
        };
        CppStatus::from_result(result)
    })
}

/// `GetFileSize`.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_env_size(
    env: *const NativeEnv,
    path_ptr: *const u8,
    path_len: usize,
    size: *mut u64,
) -> CppStatus {
    guard!("strata_cpp_env_size", {
        // SAFETY: a live env, path readable, size writable.
        unsafe {
            *size = 0;
            match path(path_ptr, path_len).and_then(|p| (*env).0.get_file_size(p)) {
                Ok(s) => {
                    *size = s;
                    CppStatus::ok()
                }
                Err(e) => CppStatus::from_result(Err(e)),
            }
        }
    })
}

/// `RenameFile`.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_env_rename(
    env: *const NativeEnv,
    from: *const u8,
    from_len: usize,
    to: *const u8,
    to_len: usize,
) -> CppStatus {
    guard!("strata_cpp_env_rename", {
        // SAFETY: a live env, paths readable.
        let result = unsafe {
            path(from, from_len)
                .and_then(|f| path(to, to_len).and_then(|t| (*env).0.rename_file(f, t)))
        };
        CppStatus::from_result(result)
    })
}

/// `LockFile`: the lock (owned by the caller, released by
/// `strata_cpp_object_free(lock, KIND_LOCK)`) in `*out`.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_env_lock(
    env: *const NativeEnv,
    path_ptr: *const u8,
    path_len: usize,
    out: *mut *mut c_void,
) -> CppStatus {
    guard!("strata_cpp_env_lock", {
        // SAFETY: a live env, path readable, out writable.
        unsafe {
            *out = std::ptr::null_mut();
            match path(path_ptr, path_len).and_then(|p| (*env).0.lock_file(p)) {
                Ok(lock) => {
                    *out = Box::into_raw(Box::new(lock)).cast();
                    CppStatus::ok()
                }
                Err(e) => CppStatus::from_result(Err(e)),
            }
        }
    })
}

/// `NowMicros`.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_env_now(env: *const NativeEnv) -> u64 {
    // SAFETY: a live env.
    guard!("strata_cpp_env_now", { unsafe { (*env).0.now_micros() } })
}

/// `SleepForMicroseconds` (negative sleeps nothing).
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_env_sleep(env: *const NativeEnv, micros: c_int) {
    guard!("strata_cpp_env_sleep", {
        // SAFETY: a live env.
        unsafe {
            (*env)
                .0
                .sleep_for_micros(u64::try_from(micros).unwrap_or(0))
        }
    })
}

/// A C function and its argument, run on an engine thread.
struct CppWork {
    function: unsafe extern "C" fn(*mut c_void),
    arg: CppPtr,
}

impl CppWork {
    fn run(self) {
        // SAFETY: the caller's function with its own argument, as
        // `Env::Schedule` promises to call it.
        unsafe { (self.function)(self.arg.0) }
    }
}

/// `Schedule(function, arg)`: runs on the env's background thread.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_env_schedule(
    env: *const NativeEnv,
    function: unsafe extern "C" fn(*mut c_void),
    arg: *mut c_void,
) {
    guard!("strata_cpp_env_schedule", {
        let work = CppWork {
            function,
            arg: CppPtr(arg),
        };
        // SAFETY: a live env.
        unsafe { (*env).0.schedule(Box::new(move || work.run())) }
    })
}

/// `StartThread(function, arg)`: a new detached thread.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_start_thread(
    function: unsafe extern "C" fn(*mut c_void),
    arg: *mut c_void,
) {
    guard!("strata_cpp_start_thread", {
        let work = CppWork {
            function,
            arg: CppPtr(arg),
        };
        std::thread::spawn(move || work.run());
    })
}

/// `SequentialFile::Read`: up to `len` bytes into `scratch`; count in `*n`.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_seq_read(
    file: *mut c_void,
    len: usize,
    scratch: *mut u8,
    n: *mut usize,
) -> CppStatus {
    guard!("strata_cpp_seq_read", {
        // SAFETY: a live sequential file; scratch writable for len; n writable.
        unsafe {
            *n = 0;
            let file = &mut *file.cast::<Box<dyn SequentialFile>>();
            let buf = if len == 0 {
                &mut [][..]
            } else {
                std::slice::from_raw_parts_mut(scratch, len)
            };
            match file.read(buf) {
                Ok(got) => {
                    *n = got;
                    CppStatus::ok()
                }
                Err(e) => CppStatus::from_result(Err(e)),
            }
        }
    })
}

/// `SequentialFile::Skip`.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_seq_skip(file: *mut c_void, n: u64) -> CppStatus {
    guard!("strata_cpp_seq_skip", {
        // SAFETY: a live sequential file.
        CppStatus::from_result(unsafe { (*file.cast::<Box<dyn SequentialFile>>()).skip(n) })
    })
}

/// `RandomAccessFile::Read`: the bytes in `*data` / `*n`, either in
/// `scratch` or, for a memory-mapped file, in place (valid while the file
/// lives).
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_rand_read(
    file: *const c_void,
    offset: u64,
    len: usize,
    scratch: *mut u8,
    data: *mut *const u8,
    n: *mut usize,
) -> CppStatus {
    guard!("strata_cpp_rand_read", {
        // SAFETY: a live random-access file; scratch writable for len; data
        // and n writable.
        unsafe {
            *n = 0;
            *data = scratch;
            let file = &*file.cast::<Arc<dyn RandomAccessFile>>();
            if let Some(map) = file.mapped() {
                let start = usize::try_from(offset).unwrap_or(usize::MAX).min(map.len());
                let end = start.saturating_add(len).min(map.len());
                if offset > map.len() as u64 {
                    return CppStatus::from_result(Err(Error::io_error("read past end of file")));
                }
                *data = map[start..end].as_ptr();
                *n = end - start;
                return CppStatus::ok();
            }
            let buf = if len == 0 {
                &mut [][..]
            } else {
                std::slice::from_raw_parts_mut(scratch, len)
            };
            match file.read_at(offset, buf) {
                Ok(got) => {
                    *n = got;
                    CppStatus::ok()
                }
                Err(e) => CppStatus::from_result(Err(e)),
            }
        }
    })
}

/// `WritableFile::Append`.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_wf_append(
    file: *mut c_void,
    data: *const u8,
    len: usize,
) -> CppStatus {
    guard!("strata_cpp_wf_append", {
        // SAFETY: a live writable file; data readable.
        CppStatus::from_result(unsafe {
            (*file.cast::<Box<dyn WritableFile>>()).append(bytes(data, len))
        })
    })
}

/// `Flush` (0), `Sync` (1), `Close` (2) of a writable file.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_wf_op(file: *mut c_void, op: c_int) -> CppStatus {
    guard!("strata_cpp_wf_op", {
        // SAFETY: a live writable file.
        let file = unsafe { &mut *file.cast::<Box<dyn WritableFile>>() };
        CppStatus::from_result(match op {
            0 => file.flush(),
            1 => file.sync(),
            _ => file.close(),
        })
    })
}

/// Writes one line to an engine logger (from `strata_cpp_env_open`).
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_logger_log(logger: *const c_void, line: *const u8, len: usize) {
    guard!("strata_cpp_logger_log", {
        // SAFETY: a live logger; line readable.
        unsafe {
            let logger = &*logger.cast::<Arc<dyn Logger>>();
            logger.log(&String::from_utf8_lossy(bytes(line, len)));
        }
    })
}
