//! Environments (`leveldb_env_t`: a Box handle holding a reference to an
//! engine `Env`). The default env is a process-wide singleton: destroying a
//! handle frees only the handle. Thread-safe.

use std::os::raw::c_char;
use std::sync::Arc;

use super::leveldb_env_t;
use super::{boundary, handle, malloc_c_string, require, BoxHandle, Handle};
use crate::env::Env;

/// What a `leveldb_env_t` points at.
pub struct EnvHandle(pub(crate) Arc<dyn Env>);

handle!(leveldb_env_t => EnvHandle, BoxHandle);

/// Returns a handle to the default (POSIX) environment, shared by the whole
/// process. Owned by the caller, freed with `leveldb_env_destroy`.
#[no_mangle]
pub extern "C" fn leveldb_create_default_env() -> *mut leveldb_env_t {
    boundary!("leveldb_create_default_env", {
        <leveldb_env_t as BoxHandle>::into_handle(EnvHandle(crate::env::default_env()))
    })
}

/// Frees the handle (never the default environment itself). NULL is a
/// no-op; destroying twice is not allowed.
#[no_mangle]
pub unsafe extern "C" fn leveldb_env_destroy(env: *mut leveldb_env_t) {
    boundary!("leveldb_env_destroy", {
        // SAFETY: NULL or a live handle the caller gives up here.
        unsafe { BoxHandle::free(env) }
    })
}

/// Returns a directory for tests, as LevelDB's POSIX env picks it: the
/// `TEST_TMPDIR` environment variable if set and not empty, else
/// `/tmp/leveldbtest-<euid>`; the directory is created if missing (errors
/// ignored). The result is a `malloc`ed NUL-terminated string owned by the
/// caller (free with `leveldb_free`); NULL if `env` is NULL.
#[no_mangle]
pub unsafe extern "C" fn leveldb_env_get_test_directory(env: *mut leveldb_env_t) -> *mut c_char {
    boundary!("leveldb_env_get_test_directory", {
        // SAFETY: NULL or a live handle.
        let EnvHandle(env) = require!(unsafe { Handle::as_ref(env) });
        let dir = test_directory();
        // LevelDB ignores this error too: the directory may already exist.
        let _ = env.create_dir(&dir);
        malloc_c_string(dir.as_bytes())
    })
}

/// LevelDB's choice of test directory.
fn test_directory() -> String {
    match std::env::var("TEST_TMPDIR") {
        Ok(dir) if !dir.is_empty() => dir,
        // SAFETY: geteuid has no preconditions and cannot fail.
        _ => format!("/tmp/leveldbtest-{}", unsafe { libc::geteuid() } as i32),
    }
}
