//! The POSIX environment: real files through `std::fs`, LevelDB 1.23's
//! `PosixEnv` semantics.
//!
//! Invariants:
//! - Every error names the file it concerns and is classified like
//!   LevelDB's `PosixError`: `ENOENT` is `NotFound`, anything else `IO error`
//!   (`Error::from_io`).
//! - A [`WritableFile`] keeps at most [`WRITABLE_FILE_BUFFER_SIZE`] bytes in
//!   user space; `flush` hands them to the kernel, `sync` flushes and then
//!   `fdatasync`s. The first sync of a `MANIFEST*` file syncs its directory
//!   too, so a new MANIFEST never becomes durable before its own entry or
//!   those of the tables it names.
//! - Except write-ahead logs (`Env::new_log_file`): they are written
//!   through a shared mapping, chunk by chunk (`mmap_log::PosixMmapLogFile`),
//!   so every append is the kernel's at once with no system call. While open (or after a crash) such a file
//!   extends with zeros to a multiple of the 32 KiB log block; `close`
//!   truncates it to the bytes appended. They also write in place ahead of
//!   the appended end (`reserve_ahead`, `write_ahead`, `store_ahead`), so
//!   the log writer can store a record's header after its payload and a
//!   process killed mid-record leaves zeros, not a bad checksum.
//! - `lock_file` takes an `fcntl(F_SETLK)` write lock (the kind LevelDB takes,
//!   so our process and a reference LevelDB process exclude each other) and
//!   records the path in a process-wide set, because `fcntl` locks do not
//!   exclude a second open from the same process.
//! - `schedule` runs jobs in submission order on one background thread,
//!   started on first use.
//!
//! - Random-access files are memory-mapped read-only (LevelDB's
//!   `PosixMmapReadableFile`) while fewer than `MAX_MAPPED_FILES` are
//!   mapped process-wide; beyond that, or if `mmap` fails, they read with
//!   `pread`. A mapping is made once at open for the file's size then and
//!   unmapped on drop; the files opened this way (tables) are immutable,
//!   so the mapping always shows the file's whole contents.
//!
//! Thread-safety: the env is shared (`PosixEnv::shared`); the lock set and
//! the job queue are behind mutexes. Random-access files read with `pread`
//! or from a read-only mapping and so are safe to share; other file objects
//! are used by one thread.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::os::unix::io::AsRawFd;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;

use super::{Env, FileLock, Logger, RandomAccessFile, SequentialFile, WritableFile};
use crate::status::{Error, Result};

mod mmap_log;
mod readers;
#[cfg(test)]
mod tests;
mod writable;

use mmap_log::*;
use readers::*;
use writable::*;

/// Bytes a [`WritableFile`] buffers before writing (LevelDB's
/// `kWritableFileBufferSize`).
///
/// ```
/// assert_eq!(leveldb::env::posix::WRITABLE_FILE_BUFFER_SIZE, 65536);
/// ```
pub const WRITABLE_FILE_BUFFER_SIZE: usize = 64 * 1024;

/// The environment backed by the real file system; [`PosixEnv::shared`]
/// (also [`default_env`](crate::env::default_env)) is the one instance.
///
/// ```
/// use leveldb::env::{posix::PosixEnv, Env};
///
/// let dir = tempfile::tempdir().unwrap();
/// let env = PosixEnv::shared();
/// let children = env.get_children(dir.path().to_str().unwrap()).unwrap();
/// assert!(children.is_empty());
/// ```
pub struct PosixEnv {
    background: BackgroundQueue,
}

impl PosixEnv {
    /// The process-wide instance (LevelDB's `Env::Default()`).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use leveldb::env::posix::PosixEnv;
    ///
    /// assert!(Arc::ptr_eq(&PosixEnv::shared(), &leveldb::env::default_env()));
    /// ```
    pub fn shared() -> Arc<dyn Env> {
        static SHARED: OnceLock<Arc<PosixEnv>> = OnceLock::new();
        SHARED
            .get_or_init(|| {
                Arc::new(PosixEnv {
                    background: BackgroundQueue::new(),
                })
            })
            .clone()
    }
}

/// The error LevelDB reports for an operation on a closed file.
fn closed_file_error(path: &str) -> Error {
    Error::from_io(path, &io::Error::from_raw_os_error(libc::EBADF))
}

/// The directory part of `path` (`.` when there is none), as LevelDB's
/// `Dirname`.
pub(crate) fn dirname(path: &str) -> &str {
    match path.rfind('/') {
        Some(pos) => &path[..pos],
        None => ".",
    }
}

/// The file-name part of `path`, as LevelDB's `Basename`.
pub(crate) fn basename(path: &str) -> &str {
    match path.rfind('/') {
        Some(pos) => &path[pos + 1..],
        None => path,
    }
}

/// Closes `file`, reporting close(2)'s error (`File`'s drop discards it).
fn close_file(path: &str, file: File) -> Result<()> {
    use std::os::unix::io::IntoRawFd;
    let fd = file.into_raw_fd();
    // SAFETY: `fd` came from into_raw_fd just above, so we own it and close
    // it exactly once.
    if unsafe { libc::close(fd) } == 0 {
        Ok(())
    } else {
        Err(Error::from_io(path, &io::Error::last_os_error()))
    }
}

fn sync_directory(dir: &str) -> Result<()> {
    let file = File::open(dir).map_err(|e| Error::from_io(dir, &e))?;
    file.sync_data().map_err(|e| Error::from_io(dir, &e))
}

/// The process-wide set of paths locked through any POSIX env.
fn locked_paths() -> &'static Mutex<HashSet<String>> {
    static LOCKED: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    LOCKED.get_or_init(|| Mutex::new(HashSet::new()))
}

/// Takes or releases an `fcntl` write lock on the whole of `file`.
fn fcntl_lock(file: &File, lock: bool) -> io::Result<()> {
    // SAFETY: flock is a plain C struct for which all-zero bytes are a
    // valid value; every field fcntl reads is set below.
    let mut request: libc::flock = unsafe { std::mem::zeroed() };
    request.l_type = if lock { libc::F_WRLCK } else { libc::F_UNLCK } as libc::c_short;
    request.l_whence = libc::SEEK_SET as libc::c_short;
    request.l_start = 0;
    // A length of zero covers the whole file, however long it grows.
    request.l_len = 0;
    // SAFETY: the descriptor is open for the lifetime of `file`, and
    // `request` is a valid flock that outlives the call.
    let rc = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_SETLK, &request) };
    if rc == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

struct PosixFileLock {
    path: String,
    file: File,
}

impl FileLock for PosixFileLock {}

impl Drop for PosixFileLock {
    fn drop(&mut self) {
        // Releasing can only fail on a bad descriptor; the close that follows
        // releases the lock in any case.
        let _ = fcntl_lock(&self.file, false);
        locked_paths().lock().remove(&self.path);
    }
}

/// Formats one info-log line as LevelDB's `PosixLogger` does:
/// `YYYY/MM/DD-HH:MM:SS.uuuuuu <thread id> <message>\n` in local time.
pub(crate) fn format_log_line(message: &str) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    let seconds = now.as_secs() as libc::time_t;
    // SAFETY: tm is a plain C struct; all-zero is a valid value to be
    // overwritten by localtime_r.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are valid for the duration of the call;
    // localtime_r is the re-entrant variant and writes only into `tm`.
    unsafe { libc::localtime_r(&seconds, &mut tm) };
    // libstdc++ prints std::thread::id as the pthread_t value in decimal.
    // SAFETY: pthread_self has no preconditions.
    let thread_id = unsafe { libc::pthread_self() } as u64;
    let mut thread_text = thread_id.to_string();
    thread_text.truncate(32);
    let mut line = format!(
        "{:04}/{:02}/{:02}-{:02}:{:02}:{:02}.{:06} {} {}",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        now.subsec_micros(),
        thread_text,
        message
    );
    if !line.ends_with('\n') {
        line.push('\n');
    }
    line
}

struct PosixLogger {
    file: Mutex<File>,
}

impl Logger for PosixLogger {
    fn log(&self, message: &str) {
        let line = format_log_line(message);
        // One write per line so lines from several threads never interleave;
        // a failing info log is ignored, as in LevelDB.
        let _ = self.file.lock().write_all(line.as_bytes());
    }
}

type Job = Box<dyn FnOnce() + Send>;

/// One lazily started background thread running jobs in order.
pub(crate) struct BackgroundQueue {
    sender: Mutex<Option<mpsc::Sender<Job>>>,
}

impl BackgroundQueue {
    pub(crate) fn new() -> BackgroundQueue {
        BackgroundQueue {
            sender: Mutex::new(None),
        }
    }

    pub(crate) fn schedule(&self, work: Job) {
        let mut sender = self.sender.lock();
        let tx = sender.get_or_insert_with(|| {
            let (tx, rx) = mpsc::channel::<Job>();
            std::thread::Builder::new()
                .name("leveldb-bg".to_string())
                .spawn(move || {
                    // Ends when the queue's owner is dropped and the queue
                    // has drained.
                    for job in rx {
                        // A panicking job must not take the queue down with
                        // it: later jobs (of other databases) still run.
                        let _ = catch_unwind(AssertUnwindSafe(job));
                    }
                })
                .expect("cannot start the background thread");
            tx
        });
        // The receiver lives as long as the thread, which only ends after
        // the sender is dropped; sending cannot fail.
        let _ = tx.send(work);
    }
}

pub(crate) fn now_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// Creates `path` (or truncates it) for writing, and for reading too if
/// `readable`.
fn create_truncated(path: &str, readable: bool) -> Result<File> {
    OpenOptions::new()
        .read(readable)
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o644)
        .open(path)
        .map_err(|e| Error::from_io(path, &e))
}

impl Env for PosixEnv {
    fn new_sequential_file(&self, path: &str) -> Result<Box<dyn SequentialFile>> {
        let file = File::open(path).map_err(|e| Error::from_io(path, &e))?;
        Ok(Box::new(PosixSequentialFile {
            path: path.to_string(),
            file,
        }))
    }

    fn new_random_access_file(&self, path: &str) -> Result<Arc<dyn RandomAccessFile>> {
        let file = File::open(path).map_err(|e| Error::from_io(path, &e))?;
        if acquire_map_slot() {
            let len = file
                .metadata()
                .ok()
                .and_then(|m| usize::try_from(m.len()).ok())
                .unwrap_or(0);
            // An empty file cannot be mapped; it reads fine with pread.
            if let Some(mapped) = (len > 0).then(|| PosixMmapFile::map(&file, len)).flatten() {
                return Ok(Arc::new(mapped));
            }
            release_map_slot();
        }
        Ok(Arc::new(PosixRandomAccessFile {
            path: path.to_string(),
            file,
        }))
    }

    fn new_writable_file(&self, path: &str) -> Result<Box<dyn WritableFile>> {
        let file = create_truncated(path, false)?;
        Ok(Box::new(PosixWritableFile::new(path, file)))
    }

    fn new_log_file(&self, path: &str) -> Result<Box<dyn WritableFile>> {
        // A log is mapped, so it must be readable too.
        let file = create_truncated(path, true)?;
        Ok(log_file(path, file))
    }

    fn new_appendable_file(&self, path: &str) -> Result<Box<dyn WritableFile>> {
        let file = OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o644)
            .open(path)
            .map_err(|e| Error::from_io(path, &e))?;
        Ok(Box::new(PosixWritableFile::new(path, file)))
    }

    fn file_exists(&self, path: &str) -> bool {
        std::fs::metadata(path).is_ok()
    }

    fn get_children(&self, dir: &str) -> Result<Vec<String>> {
        let entries = std::fs::read_dir(dir).map_err(|e| Error::from_io(dir, &e))?;
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::from_io(dir, &e))?;
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
        Ok(names)
    }

    fn remove_file(&self, path: &str) -> Result<()> {
        std::fs::remove_file(path).map_err(|e| Error::from_io(path, &e))
    }

    fn create_dir(&self, path: &str) -> Result<()> {
        // As LevelDB's POSIX env: an existing directory is an error too
        // (`IO error: <path>: File exists`); the engine's callers ignore it.
        std::fs::DirBuilder::new()
            .mode(0o755)
            .create(path)
            .map_err(|e| Error::from_io(path, &e))
    }

    fn remove_dir(&self, path: &str) -> Result<()> {
        std::fs::remove_dir(path).map_err(|e| Error::from_io(path, &e))
    }

    fn get_file_size(&self, path: &str) -> Result<u64> {
        std::fs::metadata(path)
            .map(|m| m.len())
            .map_err(|e| Error::from_io(path, &e))
    }

    fn rename_file(&self, from: &str, to: &str) -> Result<()> {
        std::fs::rename(from, to).map_err(|e| Error::from_io(from, &e))
    }

    fn sync_dir(&self, path: &str) -> Result<()> {
        sync_directory(path)
    }

    fn lock_file(&self, path: &str) -> Result<Box<dyn FileLock>> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o644)
            .open(path)
            .map_err(|e| Error::from_io(path, &e))?;
        let context = format!("lock {path}");
        if !locked_paths().lock().insert(path.to_string()) {
            return Err(Error::with_detail(
                crate::status::Code::IoError,
                context,
                "already held by process",
            ));
        }
        if let Err(e) = fcntl_lock(&file, true) {
            locked_paths().lock().remove(path);
            return Err(Error::from_io(&context, &e));
        }
        Ok(Box::new(PosixFileLock {
            path: path.to_string(),
            file,
        }))
    }

    fn new_logger(&self, path: &str) -> Result<Arc<dyn Logger>> {
        let file = OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o644)
            .open(path)
            .map_err(|e| Error::from_io(path, &e))?;
        Ok(Arc::new(PosixLogger {
            file: Mutex::new(file),
        }))
    }

    fn now_micros(&self) -> u64 {
        now_micros()
    }

    fn sleep_for_micros(&self, micros: u64) {
        std::thread::sleep(Duration::from_micros(micros));
    }

    fn schedule(&self, work: Box<dyn FnOnce() + Send>) {
        self.background.schedule(work);
    }
}
