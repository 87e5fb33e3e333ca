//! Access to a database for tools that must not change it
//! (`leveldbutil`): the read-only view ([`ReadOnlyDb`]), the checker of
//! every file ([`verify`]), and the recognition of a `LOCK` held
//! elsewhere. Not a stable API (hidden from the docs).
//!
//! Invariant: nothing here writes to a database directory; the only file
//! it may create is an empty `LOCK` in a directory that has a `CURRENT`.

pub mod verify;

pub use crate::db::read_only::ReadOnlyDb;

use crate::filename::lock_file_name;
use crate::status::{Code, Error};

/// Whether `error` (from opening, repairing, destroying or verifying
/// `dbname`) means that its `LOCK` is held by another process, or by
/// another open handle in this one: the env's `lock_file` names the lock
/// file in exactly this form when taking the lock, not opening the file,
/// failed.
pub fn is_lock_conflict(error: &Error, dbname: &str) -> bool {
    error.code() == Code::IoError
        && error
            .message()
            .starts_with(&format!("lock {}: ", lock_file_name(dbname)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::default_env;

    #[test]
    fn recognises_the_env_lock_error_only() {
        let dir = tempfile::tempdir().unwrap();
        let name = dir.path().to_str().unwrap();
        let env = default_env();
        let held = env.lock_file(&lock_file_name(name)).unwrap();
        let err = env.lock_file(&lock_file_name(name)).err().unwrap();
        assert!(is_lock_conflict(&err, name), "{err}");
        assert!(!is_lock_conflict(&err, "/some/other/db"));
        drop(held);
        let missing = dir.path().join("no/such/dir");
        let err = env
            .lock_file(&lock_file_name(missing.to_str().unwrap()))
            .err()
            .unwrap();
        assert!(!is_lock_conflict(&err, missing.to_str().unwrap()), "{err}");
    }
}
