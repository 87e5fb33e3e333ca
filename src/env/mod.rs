//! All file-system and clock access goes through [`Env`], so tests can run
//! in memory and inject faults.
//!
//! Contract: paths are `/`-separated strings (LevelDB's `dbname + "/" +
//! name`). Errors follow LevelDB's POSIX env: `NotFound` for a missing file,
//! `IO error` otherwise, the message naming the file. A `WritableFile`'s data
//! is durable only after `sync`; `flush` only hands it to the OS. Every `Env`
//! is `Send + Sync`; file objects are used by one thread at a time, except
//! `RandomAccessFile`, which is shared and read concurrently.

use std::sync::Arc;

use crate::status::Result;

#[cfg(any(test, feature = "test-hooks"))]
#[doc(hidden)]
pub mod fault;
pub mod mem;
pub mod posix;

/// A file read from front to back (logs, MANIFEST, CURRENT), from
/// [`Env::new_sequential_file`].
///
/// ```
/// use leveldb::env::{mem::MemEnv, write_string_to_file, Env};
///
/// let env = MemEnv::new();
/// write_string_to_file(&*env, b"header:body", "/f", false).unwrap();
/// let mut file = env.new_sequential_file("/f").unwrap();
/// file.skip(7).unwrap();
/// let mut buf = [0u8; 16];
/// let n = file.read(&mut buf).unwrap();
/// assert_eq!(&buf[..n], b"body");
/// ```
pub trait SequentialFile: Send {
    /// Reads up to `buf.len()` bytes; returns how many were read (0 at EOF).
    fn read(&mut self, buf: &mut [u8]) -> Result<usize>;
    /// Skips `n` bytes forward.
    fn skip(&mut self, n: u64) -> Result<()>;
}

/// A file read at arbitrary offsets, by many threads at once (tables),
/// from [`Env::new_random_access_file`].
///
/// ```
/// use leveldb::env::{mem::MemEnv, write_string_to_file, Env};
///
/// let env = MemEnv::new();
/// write_string_to_file(&*env, b"0123456789", "/f", false).unwrap();
/// let file = env.new_random_access_file("/f").unwrap();
/// let mut buf = [0u8; 3];
/// assert_eq!(file.read_at(4, &mut buf).unwrap(), 3);
/// assert_eq!(&buf, b"456");
/// ```
pub trait RandomAccessFile: Send + Sync {
    /// Reads up to `buf.len()` bytes at `offset`; returns how many were
    /// read (fewer only at end of file).
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize>;

    /// The whole file as one slice when it is memory-mapped, so readers can
    /// use its bytes in place instead of copying them out with `read_at`.
    /// The slice lives as long as `self` (hold the file's `Arc` to keep
    /// borrowed bytes alive). `None` (the default) means "use `read_at`".
    fn mapped(&self) -> Option<&[u8]> {
        None
    }

    /// A hint that the caller has copied out what it needs of
    /// `offset..offset + len` and will not read it again soon: a mapped
    /// file may drop those pages from the process's resident set (they stay
    /// in the page cache; a later read maps them back). Slices borrowed
    /// from [`mapped`](RandomAccessFile::mapped) stay valid and unchanged.
    /// The default does nothing.
    fn release_range(&self, offset: u64, len: u64) {
        let _ = (offset, len);
    }
}

/// A file written sequentially (logs, tables, MANIFEST), from
/// [`Env::new_writable_file`] and its kin.
///
/// ```
/// use leveldb::env::{mem::MemEnv, Env};
///
/// let env = MemEnv::new();
/// let mut file = env.new_writable_file("/f").unwrap();
/// file.append(b"hello").unwrap();
/// file.sync().unwrap();
/// file.close().unwrap();
/// assert_eq!(env.get_file_size("/f").unwrap(), 5);
/// ```
pub trait WritableFile: Send {
    /// Adds `data` at the end of the file (perhaps only to a buffer).
    fn append(&mut self, data: &[u8]) -> Result<()>;
    /// Hands buffered data to the operating system.
    fn flush(&mut self) -> Result<()>;
    /// Makes everything appended so far durable.
    fn sync(&mut self) -> Result<()>;
    /// Flushes and closes the file; later calls fail.
    fn close(&mut self) -> Result<()>;

    /// Closes a file whose contents nobody will read again (an obsolete
    /// log, usually deleted already). A file may skip work that only keeps
    /// its contents tidy, such as trimming space it reserved ahead; the
    /// default is [`close`](WritableFile::close).
    fn discard(&mut self) -> Result<()> {
        self.close()
    }

    /// Declares that nothing more will be appended, while the file stays
    /// open for `sync` and `close` (a log that is no longer current but
    /// whose memtable is not yet in a table). A file may give back memory it
    /// held for appending; later appends fail. The default does nothing.
    fn seal(&mut self) -> Result<()> {
        Ok(())
    }

    /// Crash-ordered writing, for files written through a shared memory
    /// mapping (the write-ahead log): makes the `len` bytes just past what
    /// has been appended writable in place and returns true, or returns
    /// false (the default) when the file cannot do that, and the caller
    /// uses `append`. The reserved bytes are zeros until written; nothing
    /// counts as appended until [`advance`](WritableFile::advance). Why: a
    /// log writer can then store a record's payload before its header, so
    /// a process killed mid-record leaves zeros where the header goes.
    fn reserve_ahead(&mut self, _len: usize) -> Result<bool> {
        Ok(false)
    }

    /// Copies `data` to `at` bytes past the appended end, inside the region
    /// of the last successful `reserve_ahead`. Once it returns the bytes are
    /// the kernel's (they survive the death of the process).
    fn write_ahead(&mut self, _at: usize, _data: &[u8]) -> Result<()> {
        Err(crate::status::Error::io_error(
            "write_ahead on a file without reserve_ahead",
        ))
    }

    /// Stores the 4 bytes `word` at `at` bytes past the appended end with
    /// one store instruction, ordered after every earlier write to the
    /// region: a process killed at any moment leaves either the old four
    /// bytes or all of the new ones.
    fn store_ahead(&mut self, _at: usize, _word: [u8; 4]) -> Result<()> {
        Err(crate::status::Error::io_error(
            "store_ahead on a file without reserve_ahead",
        ))
    }

    /// Counts the first `n` reserved bytes as appended.
    fn advance(&mut self, _n: usize) -> Result<()> {
        Err(crate::status::Error::io_error(
            "advance on a file without reserve_ahead",
        ))
    }
}

/// A held lock on a file, from [`Env::lock_file`]; released when dropped.
///
/// ```
/// use leveldb::env::{default_env, Env};
///
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("LOCK");
/// let path = path.to_str().unwrap();
/// let env = default_env();
/// let lock = env.lock_file(path).unwrap();
/// assert!(env.lock_file(path).is_err(), "held");
/// drop(lock);
/// let _again = env.lock_file(path).unwrap();
/// ```
pub trait FileLock: Send + Sync {}

/// A sink for the human-readable info log (`LOG`), set as
/// [`Options::info_log`](crate::Options::info_log).
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use leveldb::{Logger, Options, DB};
///
/// #[derive(Default)]
/// struct Lines(Mutex<Vec<String>>);
/// impl Logger for Lines {
///     fn log(&self, message: &str) {
///         self.0.lock().unwrap().push(message.to_string());
///     }
/// }
///
/// let lines = Arc::new(Lines::default());
/// let options = Options { create_if_missing: true, info_log: Some(lines.clone()), ..Options::default() };
/// # let dir = tempfile::tempdir().unwrap();
/// let db = DB::open(options, dir.path()).unwrap();
/// db.compact_range(None, None).unwrap();
/// drop(db);
/// assert!(!lines.0.lock().unwrap().is_empty());
/// ```
pub trait Logger: Send + Sync {
    /// Writes one line (the logger adds the timestamp, thread id and newline).
    fn log(&self, message: &str);
}

/// The operating-system interface the database uses (LevelDB's `Env`),
/// set as [`Options::env`](crate::Options::env): files, directories, locks,
/// the clock and the background thread. [`default_env`] is the POSIX one;
/// [`mem::MemEnv`] keeps everything in memory. Implement it to put a
/// database somewhere else, or to inject faults in tests.
///
/// ```
/// use leveldb::env::{mem::MemEnv, Env};
/// use leveldb::{Options, WriteOptions, DB};
///
/// let env = MemEnv::new();
/// let options = Options { create_if_missing: true, env: env.clone(), ..Options::default() };
/// let db = DB::open(options, "/db").unwrap();
/// db.put(&WriteOptions::default(), b"k", b"v").unwrap();
/// assert!(env.file_exists("/db/CURRENT"));
/// ```
pub trait Env: Send + Sync {
    /// Opens `path` for reading from the start.
    fn new_sequential_file(&self, path: &str) -> Result<Box<dyn SequentialFile>>;
    /// Opens `path` for reading at any offset, shared between threads.
    fn new_random_access_file(&self, path: &str) -> Result<Arc<dyn RandomAccessFile>>;
    /// Creates (or truncates) a file for writing.
    fn new_writable_file(&self, path: &str) -> Result<Box<dyn WritableFile>>;
    /// Creates (or truncates) a write-ahead log file: the database asks for
    /// its logs through this call, so that an environment can give them a
    /// layout of its own (the POSIX env maps them, see `posix::mmap_log`).
    /// By default a log is an ordinary writable file, as LevelDB's
    /// `NewWritableFile` makes it.
    fn new_log_file(&self, path: &str) -> Result<Box<dyn WritableFile>> {
        self.new_writable_file(path)
    }
    /// Opens a file for appending, creating it if missing.
    fn new_appendable_file(&self, path: &str) -> Result<Box<dyn WritableFile>>;
    /// Whether `path` names an existing file.
    fn file_exists(&self, path: &str) -> bool;
    /// The names (not paths) of the entries of `dir`, without `.` and `..`.
    fn get_children(&self, dir: &str) -> Result<Vec<String>>;
    /// Deletes the file `path`.
    fn remove_file(&self, path: &str) -> Result<()>;
    /// Creates a directory. An existing one is an error in the POSIX env
    /// (as in LevelDB's), not in the in-memory one; callers that only need
    /// the directory to exist ignore the result, as LevelDB does.
    fn create_dir(&self, path: &str) -> Result<()>;
    /// Removes the (empty) directory `path`.
    fn remove_dir(&self, path: &str) -> Result<()>;
    /// The size of the file `path` in bytes.
    fn get_file_size(&self, path: &str) -> Result<u64>;
    /// Atomically replaces `to` with `from`.
    fn rename_file(&self, from: &str, to: &str) -> Result<()>;
    /// Syncs a directory so renames and creations in it are durable.
    fn sync_dir(&self, path: &str) -> Result<()>;
    /// Locks `path` (creating it) against other processes and other opens in
    /// this process. Fails with `IO error: lock <path>: ...` when held.
    fn lock_file(&self, path: &str) -> Result<Box<dyn FileLock>>;
    /// Opens an info logger appending to `path` (creating it), as LevelDB's
    /// POSIX env does; the DB renames an old `LOG` away first.
    fn new_logger(&self, path: &str) -> Result<Arc<dyn Logger>>;
    /// Microseconds since some fixed point; only differences are meaningful.
    fn now_micros(&self) -> u64;
    /// Blocks the calling thread for `micros` microseconds.
    fn sleep_for_micros(&self, micros: u64);
    /// Runs `work` on the environment's background thread, in order.
    fn schedule(&self, work: Box<dyn FnOnce() + Send>);
}

/// Reads a whole file into memory (LevelDB's `ReadFileToString`).
///
/// ```
/// use leveldb::env::{mem::MemEnv, read_file_to_vec, write_string_to_file};
///
/// let env = MemEnv::new();
/// write_string_to_file(&*env, b"hello", "/f", false).unwrap();
/// assert_eq!(read_file_to_vec(&*env, "/f").unwrap(), b"hello");
/// ```
pub fn read_file_to_vec(env: &dyn Env, path: &str) -> Result<Vec<u8>> {
    let mut file = env.new_sequential_file(path)?;
    let mut data = Vec::new();
    let mut buf = vec![0u8; 8192];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(data);
        }
        data.extend_from_slice(&buf[..n]);
    }
}

/// Writes `data` to `path`, syncing it when `sync` is set (LevelDB's
/// `WriteStringToFile`); a file that could not be written is removed.
///
/// ```
/// use leveldb::env::{default_env, write_string_to_file, Env};
///
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("f");
/// let path = path.to_str().unwrap();
/// write_string_to_file(&*default_env(), b"data", path, true).unwrap();
/// assert_eq!(default_env().get_file_size(path).unwrap(), 4);
/// ```
pub fn write_string_to_file(env: &dyn Env, data: &[u8], path: &str, sync: bool) -> Result<()> {
    let mut file = env.new_writable_file(path)?;
    let result = file
        .append(data)
        .and_then(|_| if sync { file.sync() } else { Ok(()) })
        .and_then(|_| file.close());
    if result.is_err() {
        let _ = env.remove_file(path);
    }
    result
}

/// The process-wide POSIX environment (LevelDB's `Env::Default()`), the
/// default of [`Options::env`](crate::Options::env).
///
/// ```
/// let env = leveldb::env::default_env();
/// assert!(env.file_exists("/"));
/// ```
pub fn default_env() -> Arc<dyn Env> {
    posix::PosixEnv::shared()
}
