//! `leveldb::DumpFile` for the C++ layer: LevelDB 1.23's human-readable
//! dump of a log, MANIFEST or table file, written to a C++ `WritableFile`.
//!
//! The text is `crate::dump`'s, LevelDB's byte for byte (the same as
//! `leveldbutil dump`). The destination file is
//! the caller's, borrowed for the call; the env is the caller's C++ env or
//! one of ours.

use std::os::raw::c_void;
use std::sync::Arc;

use super::cpp_bridge::{guard, path, CppStatus};
use super::cpp_env::{borrowed_writable_file, cpp_env};
use super::cpp_native_env::NativeEnv;
use crate::dump::dump_file;
use crate::env::Env;

/// `DumpFile(env, fname, dst)`: `native_env` is the engine env behind one
/// of our envs, else `env` the caller's C++ `Env*`; `dst` the caller's C++
/// `WritableFile*`. All borrowed for the call.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_dump_file(
    native_env: *const NativeEnv,
    env: *mut c_void,
    name: *const u8,
    name_len: usize,
    dst: *mut c_void,
) -> CppStatus {
    guard!("strata_cpp_dump_file", {
        // SAFETY: NULL or a live engine env; else a live C++ env; the name
        // readable; dst a live C++ file.
        unsafe {
            let env: Arc<dyn Env> = match native_env.as_ref() {
                Some(native) => Arc::clone(&native.0),
                None => cpp_env(env),
            };
            let mut dst = borrowed_writable_file(dst);
            // LevelDB ignores the destination's errors too.
            let mut write = |bytes: &[u8]| {
                let _ = dst.append(bytes);
            };
            CppStatus::from_result(
                path(name, name_len).and_then(|p| dump_file(&*env, p, &mut write)),
            )
        }
    })
}
