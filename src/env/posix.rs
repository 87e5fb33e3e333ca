//! The POSIX environment: real files through `std::fs`, LevelDB 1.23's
//! `PosixEnv` semantics.
//!
//! Invariants:
//! - Every error names the file it concerns and is classified like
//!   LevelDB's `PosixError`: `ENOENT` is `NotFound`, anything else `IO error`
//!   (`Error::from_io`).
//! - A [`WritableFile`] keeps at most [`WRITABLE_FILE_BUFFER_SIZE`] bytes in
//!   user space; `flush` hands them to the kernel, `sync` flushes and then
//!   `fdatasync`s. Syncing a `MANIFEST*` file first syncs its directory, so a
//!   durable MANIFEST never names a table whose directory entry could vanish.
//! - Except new logs (`*.log`): they are written through a shared mapping,
//!   chunk by chunk (`PosixMmapLogFile`), so every append is the kernel's at
//!   once with no system call. While open (or after a crash) such a file
//!   extends with zeros to a multiple of the 32 KiB log block; `close`
//!   truncates it to the bytes appended.
//! - `lock_file` takes an `fcntl(F_SETLK)` write lock (the kind LevelDB takes,
//!   so our process and a reference LevelDB process exclude each other) and
//!   records the path in a process-wide set, because `fcntl` locks do not
//!   exclude a second open from the same process.
//! - `schedule` runs jobs in submission order on one background thread,
//!   started on first use.
//!
//! - Random-access files are memory-mapped read-only (LevelDB's
//!   `PosixMmapReadableFile`) while fewer than [`MAX_MAPPED_FILES`] are
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
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirBuilderExt, FileExt, OpenOptionsExt};
use std::os::unix::io::AsRawFd;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;

use super::{Env, FileLock, Logger, RandomAccessFile, SequentialFile, WritableFile};
use crate::status::{Error, Result};

/// Bytes a [`WritableFile`] buffers before writing (LevelDB's
/// `kWritableFileBufferSize`).
pub const WRITABLE_FILE_BUFFER_SIZE: usize = 64 * 1024;

/// The environment backed by the real file system.
pub struct PosixEnv {
    background: BackgroundQueue,
}

impl PosixEnv {
    /// The process-wide instance (LevelDB's `Env::Default()`).
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

struct PosixSequentialFile {
    path: String,
    file: File,
}

impl SequentialFile for PosixSequentialFile {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        loop {
            match self.file.read(buf) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::from_io(&self.path, &e)),
            }
        }
    }

    fn skip(&mut self, n: u64) -> Result<()> {
        let n = i64::try_from(n)
            .map_err(|_| Error::from_io(&self.path, &io::Error::from_raw_os_error(libc::EINVAL)))?;
        self.file
            .seek(SeekFrom::Current(n))
            .map(|_| ())
            .map_err(|e| Error::from_io(&self.path, &e))
    }
}

struct PosixRandomAccessFile {
    path: String,
    file: File,
}

impl RandomAccessFile for PosixRandomAccessFile {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        // pread may return less than asked before end of file (signals, very
        // large reads); keep reading until the buffer is full or EOF.
        let mut filled = 0;
        while filled < buf.len() {
            match self
                .file
                .read_at(&mut buf[filled..], offset + filled as u64)
            {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::from_io(&self.path, &e)),
            }
        }
        Ok(filled)
    }
}

/// How many random-access files may be memory-mapped at once in this
/// process (LevelDB's default mmap limit on 64-bit hosts). Later files fall
/// back to `pread` so address space and map counts stay bounded.
pub const MAX_MAPPED_FILES: usize = 1000;

/// Process-wide count of live mappings made by [`PosixMmapFile`].
static MAPPED_FILES: AtomicUsize = AtomicUsize::new(0);

/// Takes one of the [`MAX_MAPPED_FILES`] slots; `false` if none is free.
fn acquire_map_slot() -> bool {
    MAPPED_FILES
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            (n < MAX_MAPPED_FILES).then_some(n + 1)
        })
        .is_ok()
}

fn release_map_slot() {
    MAPPED_FILES.fetch_sub(1, Ordering::AcqRel);
}

/// A random-access file read from a read-only (shared) mapping of its
/// whole contents (as long as the file was when opened).
struct PosixMmapFile {
    base: *const u8,
    len: usize,
}

// SAFETY: the mapping is read-only and never changes while this object
// lives (it is unmapped only in drop), so shared reads from any thread are
// sound; the raw pointer is just its address.
unsafe impl Send for PosixMmapFile {}
// SAFETY: as above: `&self` only ever reads the immutable mapping.
unsafe impl Sync for PosixMmapFile {}

impl PosixMmapFile {
    /// Maps `file` (`len` bytes, non-zero) read-only, or `None` if `mmap`
    /// fails. The caller holds a map slot, which this object then owns.
    fn map(file: &File, len: usize) -> Option<PosixMmapFile> {
        // SAFETY: a fresh read-only mapping of a file we have open
        // for reading; the kernel picks the address, so nothing existing is
        // replaced. The fd may be closed afterwards: the mapping keeps its
        // own reference to the file.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_SHARED,
                file.as_raw_fd(),
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return None;
        }
        Some(PosixMmapFile {
            base: base as *const u8,
            len,
        })
    }

    fn bytes(&self) -> &[u8] {
        // SAFETY: `base` points at a live read-only mapping of `len` bytes
        // (len > 0) that stays mapped until drop, which needs `&mut self`,
        // so no borrow of the slice can outlive it. Table files are never
        // modified or truncated while open (LevelDB relies on the same).
        unsafe { std::slice::from_raw_parts(self.base, self.len) }
    }
}

impl Drop for PosixMmapFile {
    fn drop(&mut self) {
        // SAFETY: exactly the region returned by mmap in `map`, unmapped
        // once; no slice of it can outlive `self` (see `bytes`).
        unsafe {
            libc::munmap(self.base as *mut libc::c_void, self.len);
        }
        release_map_slot();
    }
}

impl RandomAccessFile for PosixMmapFile {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let bytes = self.bytes();
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        let n = buf.len().min(bytes.len() - start);
        buf[..n].copy_from_slice(&bytes[start..start + n]);
        Ok(n)
    }

    fn mapped(&self) -> Option<&[u8]> {
        Some(self.bytes())
    }
}

struct PosixWritableFile {
    path: String,
    /// `None` once closed.
    file: Option<File>,
    buffer: Vec<u8>,
    /// Whether this is a `MANIFEST*` file, whose syncs also sync the
    /// directory.
    is_manifest: bool,
    /// Bytes handed to the kernel so far, and how many of them have been
    /// queued for writeback (see [`WRITEBACK_CHUNK`]).
    written: u64,
    writeback_queued: u64,
}

/// A buffered file (in practice a table: new logs are mapped) asks the
/// kernel to start writing back each MiB as soon as it is written, so the
/// `fdatasync` that ends a table waits for little more than the last MiB
/// instead of the whole file (RocksDB's
/// `bytes_per_sync`). Durability is unchanged: that sync still happens.
const WRITEBACK_CHUNK: u64 = 1 << 20;

impl PosixWritableFile {
    fn new(path: &str, file: File) -> PosixWritableFile {
        PosixWritableFile {
            path: path.to_string(),
            file: Some(file),
            buffer: Vec::with_capacity(WRITABLE_FILE_BUFFER_SIZE),
            is_manifest: basename(path).starts_with("MANIFEST"),
            written: 0,
            writeback_queued: 0,
        }
    }

    fn write_unbuffered(&mut self, data: &[u8]) -> Result<()> {
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| closed_file_error(&self.path))?;
        file.write_all(data)
            .map_err(|e| Error::from_io(&self.path, &e))?;
        self.written += data.len() as u64;
        if self.written - self.writeback_queued >= WRITEBACK_CHUNK {
            self.start_writeback();
        }
        Ok(())
    }

    /// Queues the bytes written since the last call for writeback, without
    /// waiting. Only a hint: an I/O error surfaces at the next `sync`.
    fn start_writeback(&mut self) {
        #[cfg(target_os = "linux")]
        if let Some(file) = &self.file {
            use std::os::unix::io::AsRawFd;
            let start = self.writeback_queued as libc::off64_t;
            let len = (self.written - self.writeback_queued) as libc::off64_t;
            // SAFETY: plain syscall on a descriptor we own; no memory passed.
            unsafe {
                libc::sync_file_range(file.as_raw_fd(), start, len, libc::SYNC_FILE_RANGE_WRITE);
            }
        }
        self.writeback_queued = self.written;
    }

    fn flush_buffer(&mut self) -> Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let data = std::mem::take(&mut self.buffer);
        // LevelDB forgets the buffered bytes even when the write fails.
        let result = self.write_unbuffered(&data);
        self.buffer = data;
        self.buffer.clear();
        result
    }
}

impl WritableFile for PosixWritableFile {
    fn append(&mut self, data: &[u8]) -> Result<()> {
        if self.file.is_none() {
            return Err(closed_file_error(&self.path));
        }
        // Fill the buffer as far as it goes.
        let room = WRITABLE_FILE_BUFFER_SIZE - self.buffer.len();
        let (head, rest) = data.split_at(room.min(data.len()));
        self.buffer.extend_from_slice(head);
        if rest.is_empty() {
            return Ok(());
        }
        self.flush_buffer()?;
        // Small remainders are buffered, large ones written directly.
        if rest.len() < WRITABLE_FILE_BUFFER_SIZE {
            self.buffer.extend_from_slice(rest);
            Ok(())
        } else {
            self.write_unbuffered(rest)
        }
    }

    fn flush(&mut self) -> Result<()> {
        self.flush_buffer()
    }

    fn sync(&mut self) -> Result<()> {
        // The directory first: a MANIFEST must not become durable before the
        // directory entries of the files it names.
        if self.is_manifest {
            sync_directory(dirname(&self.path))?;
        }
        self.flush_buffer()?;
        let file = self
            .file
            .as_ref()
            .ok_or_else(|| closed_file_error(&self.path))?;
        file.sync_data().map_err(|e| Error::from_io(&self.path, &e))
    }

    fn close(&mut self) -> Result<()> {
        if self.file.is_none() {
            return Ok(());
        }
        let flushed = self.flush_buffer();
        let closed = match self.file.take() {
            Some(file) => close_file(&self.path, file),
            None => Ok(()),
        };
        flushed.and(closed)
    }
}

impl Drop for PosixWritableFile {
    fn drop(&mut self) {
        // LevelDB's destructor closes (and so flushes) a file left open.
        let _ = self.close();
    }
}

/// First and largest chunk of a log file mapped at a time. Chunks double
/// from the first to the largest; all are multiples of the log's 32 KiB
/// block, so every chunk (and so every zero-filled tail a crash can leave)
/// starts on a log block boundary.
const LOG_FIRST_CHUNK: usize = 64 << 10;
const LOG_MAX_CHUNK: usize = 256 << 10;
/// Appends at least this long are written with `pwrite` rather than
/// copied into the mapping: for big records the page faults of first
/// stores into fresh pages cost more than one system call.
const LOG_DIRECT_WRITE_MIN: usize = 16 << 10;

/// A new write-ahead log (`*.log`), written through a shared mapping of the
/// file instead of one `write(2)` per record.
///
/// Why: LevelDB hands every log record to the kernel before acknowledging
/// the write, so that it survives a crash of the process; a `write(2)` per
/// record was about half of the time of a small unsynced write. Bytes copied
/// into a shared file mapping are in the page cache at once, so they too
/// survive the process — without a system call. (LevelDB itself wrote all
/// files this way before 1.17.)
///
/// The file is extended a chunk at a time with `posix_fallocate`, so a full
/// disk is an `IO error` from `append` rather than a `SIGBUS` on a store. A
/// crash leaves the unused rest of the last chunk zero-filled; log readers
/// (ours and LevelDB's) skip such zeroed blocks silently, and a clean
/// `close` truncates the file to the bytes written. `sync` is `fdatasync`
/// (preceded by `msync` of the current chunk outside Linux). Used by one thread at a time.
struct PosixMmapLogFile {
    path: String,
    /// `None` once closed.
    file: Option<File>,
    /// The current chunk: `map_len` bytes of the file from `map_offset`, or
    /// null before the first append.
    map_base: *mut u8,
    map_len: usize,
    map_offset: u64,
    /// Bytes of the current chunk written so far.
    used: usize,
}

// SAFETY: the mapping is private to this object (no other handle to it
// exists) and is only touched through `&mut self`; moving the object to
// another thread moves sole access with it.
unsafe impl Send for PosixMmapLogFile {}

impl PosixMmapLogFile {
    fn new(path: &str, file: File) -> PosixMmapLogFile {
        PosixMmapLogFile {
            path: path.to_string(),
            file: Some(file),
            map_base: std::ptr::null_mut(),
            map_len: 0,
            map_offset: 0,
            used: 0,
        }
    }

    fn io_error(&self, err: io::Error) -> Error {
        Error::from_io(&self.path, &err)
    }

    fn unmap(&mut self) {
        if !self.map_base.is_null() {
            // SAFETY: exactly the region mmap returned in `map_next_chunk`,
            // unmapped once; no reference into it outlives a method call.
            unsafe { libc::munmap(self.map_base.cast(), self.map_len) };
            self.map_base = std::ptr::null_mut();
        }
    }

    /// Reserves and maps the chunk after the current one.
    fn map_next_chunk(&mut self) -> Result<()> {
        let offset = self.map_offset + self.map_len as u64;
        self.map_from(offset, 0, 0)
    }

    /// Reserves and maps a chunk starting at file offset `offset` (a
    /// multiple of the log block, so of the page size), at least `min_len`
    /// bytes long, and makes the append position `used` bytes into it.
    fn map_from(&mut self, offset: u64, used: usize, min_len: usize) -> Result<()> {
        let fd = match &self.file {
            Some(f) => f.as_raw_fd(),
            None => return Err(closed_file_error(&self.path)),
        };
        let grown = if self.map_len == 0 {
            LOG_FIRST_CHUNK
        } else {
            (self.map_len * 2).min(LOG_MAX_CHUNK)
        };
        // A record bigger than a chunk gets a chunk of its own size,
        // rounded up to whole log blocks.
        let block = crate::log::BLOCK_SIZE;
        let len = grown.max(min_len.div_ceil(block) * block);
        let end = offset + len as u64;
        // SAFETY: plain system calls on a descriptor we own.
        let rc = unsafe { libc::posix_fallocate(fd, offset as libc::off_t, len as libc::off_t) };
        if rc != 0 {
            // File systems without fallocate: at least make the file long
            // enough to be mapped (a full disk may then fault on a store).
            let unsupported = rc == libc::EOPNOTSUPP || rc == libc::EINVAL;
            // SAFETY: as above.
            if !unsupported || unsafe { libc::ftruncate(fd, end as libc::off_t) } != 0 {
                let err = if unsupported {
                    io::Error::last_os_error()
                } else {
                    io::Error::from_raw_os_error(rc)
                };
                return Err(self.io_error(err));
            }
        }
        // SAFETY: a fresh shared read-write mapping of a range of a file we
        // have open read-write and have just made at least `end` bytes long;
        // the kernel chooses the address, so nothing existing is replaced.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd,
                offset as libc::off_t,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(self.io_error(io::Error::last_os_error()));
        }
        self.unmap();
        self.map_base = base.cast();
        self.map_len = len;
        self.map_offset = offset;
        self.used = used;
        Ok(())
    }

    /// `[at, at + len)` past the append position lies inside the mapping.
    fn check_ahead(&self, at: usize, len: usize) -> Result<*mut u8> {
        if self.file.is_none() {
            return Err(closed_file_error(&self.path));
        }
        match self.used.checked_add(at).and_then(|s| s.checked_add(len)) {
            Some(end) if end <= self.map_len && !self.map_base.is_null() => {
                // SAFETY: `used + at <= map_len`, inside (or one past) our
                // live mapping.
                Ok(unsafe { self.map_base.add(self.used + at) })
            }
            _ => Err(Error::io_error(format!(
                "{}: write past the reserved region of the log",
                self.path
            ))),
        }
    }
}

/// A new log's writer: mapped, or — where the file cannot be mapped (file
/// systems without shared writable mappings) — LevelDB's buffered writer.
fn log_file(path: &str, file: File) -> Box<dyn WritableFile> {
    let mut mapped = PosixMmapLogFile::new(path, file);
    if mapped.map_next_chunk().is_ok() {
        return Box::new(mapped);
    }
    let file = mapped.file.take().expect("not closed");
    // Undo whatever the failed attempt preallocated.
    let _ = file.set_len(0);
    Box::new(PosixWritableFile::new(path, file))
}

impl WritableFile for PosixMmapLogFile {
    fn append(&mut self, mut data: &[u8]) -> Result<()> {
        if self.file.is_none() {
            return Err(closed_file_error(&self.path));
        }
        while !data.is_empty() {
            if self.used == self.map_len {
                self.map_next_chunk()?;
            }
            let n = (self.map_len - self.used).min(data.len());
            if n >= LOG_DIRECT_WRITE_MIN {
                // A large piece: one pwrite into the same page cache the
                // mapping shows, instead of a page fault per 4 KiB stored.
                let offset = self.map_offset + self.used as u64;
                let file = self.file.as_ref().expect("checked open above");
                file.write_all_at(&data[..n], offset)
                    .map_err(|e| self.io_error(e))?;
            } else {
                // SAFETY: `map_base..+map_len` is our live writable mapping
                // and `used + n <= map_len`; `data` is a distinct Rust slice,
                // so the ranges cannot overlap.
                unsafe {
                    std::ptr::copy_nonoverlapping(data.as_ptr(), self.map_base.add(self.used), n);
                }
            }
            self.used += n;
            data = &data[n..];
        }
        Ok(())
    }

    fn reserve_ahead(&mut self, len: usize) -> Result<bool> {
        if self.file.is_none() {
            return Err(closed_file_error(&self.path));
        }
        if self.used + len <= self.map_len {
            return Ok(true);
        }
        // Remap from the block holding the append position, so the whole
        // region is one mapping (a chunk always starts on a block, which is
        // a multiple of the page size).
        let block = crate::log::BLOCK_SIZE as u64;
        let position = self.map_offset + self.used as u64;
        let start = position - position % block;
        let used = (position - start) as usize;
        self.map_from(start, used, used + len)?;
        Ok(true)
    }

    fn write_ahead(&mut self, at: usize, data: &[u8]) -> Result<()> {
        let dest = self.check_ahead(at, data.len())?;
        if data.len() >= LOG_DIRECT_WRITE_MIN {
            // As in `append`: one pwrite into the page cache the mapping
            // shows beats a page fault per fresh 4 KiB.
            let offset = self.map_offset + (self.used + at) as u64;
            let file = self.file.as_ref().expect("checked open above");
            return file
                .write_all_at(data, offset)
                .map_err(|e| self.io_error(e));
        }
        // SAFETY: `check_ahead` proved `dest..dest + data.len()` inside our
        // live writable mapping; `data` is a distinct Rust slice.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), dest, data.len()) };
        Ok(())
    }

    fn store_ahead(&mut self, at: usize, word: [u8; 4]) -> Result<()> {
        let dest = self.check_ahead(at, 4)?;
        // The fences keep the compiler from moving earlier copies into the
        // mapping (or later ones) across this store; the hardware retires
        // stores in program order, so a killed process has done exactly a
        // prefix of them.
        std::sync::atomic::compiler_fence(Ordering::SeqCst);
        // SAFETY: `check_ahead` proved the 4 bytes inside our live writable
        // mapping; an unaligned u32 store is one instruction on the targets
        // we build for, so it is never half done.
        unsafe { dest.cast::<u32>().write_unaligned(u32::from_ne_bytes(word)) };
        std::sync::atomic::compiler_fence(Ordering::SeqCst);
        Ok(())
    }

    fn advance(&mut self, n: usize) -> Result<()> {
        self.check_ahead(0, n)?;
        self.used += n;
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        // Stores into the shared mapping are already the kernel's.
        if self.file.is_none() {
            return Err(closed_file_error(&self.path));
        }
        Ok(())
    }

    fn sync(&mut self) -> Result<()> {
        let Some(file) = &self.file else {
            return Err(closed_file_error(&self.path));
        };
        // On Linux pages dirtied through a shared mapping are ordinary dirty
        // page-cache pages, which fdatasync writes back; an msync first
        // would flush the disk twice per synced write. POSIX elsewhere
        // asks for the msync.
        #[cfg(not(target_os = "linux"))]
        if !self.map_base.is_null() && self.used > 0 {
            // SAFETY: a page-aligned prefix of our live mapping.
            if unsafe { libc::msync(self.map_base.cast(), self.used, libc::MS_SYNC) } != 0 {
                return Err(self.io_error(io::Error::last_os_error()));
            }
        }
        file.sync_data().map_err(|e| self.io_error(e))
    }

    fn close(&mut self) -> Result<()> {
        let Some(file) = self.file.take() else {
            return Ok(());
        };
        self.unmap();
        // Drop the zero-filled, preallocated rest of the last chunk.
        let size = self.map_offset + self.used as u64;
        let truncated = file.set_len(size).map_err(|e| self.io_error(e));
        truncated.and(close_file(&self.path, file))
    }
}

impl Drop for PosixMmapLogFile {
    fn drop(&mut self) {
        let _ = self.close();
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
        // A log is mapped, so it must be readable too.
        let is_log = basename(path).ends_with(".log");
        let file = OpenOptions::new()
            .read(is_log)
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o644)
            .open(path)
            .map_err(|e| Error::from_io(path, &e))?;
        if is_log {
            return Ok(log_file(path, file));
        }
        Ok(Box::new(PosixWritableFile::new(path, file)))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::{read_file_to_vec, write_string_to_file};
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn temp_dir() -> (tempfile::TempDir, String) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_str().unwrap().to_string();
        (dir, path)
    }

    /// Logs go through the mapped writer: contents are exact across chunk
    /// boundaries, the file is preallocated while open, and close trims it.
    #[test]
    fn mapped_log_files_hold_exactly_what_was_appended() {
        let (_d, dir) = temp_dir();
        let env = PosixEnv::shared();
        let path = format!("{dir}/000007.log");
        let mut f = env.new_writable_file(&path).unwrap();
        let mut want = Vec::new();
        let mut state = 1u32;
        // Appends of many sizes, crossing the 64 KiB, 128 KiB ... chunks.
        while want.len() < 3 * LOG_MAX_CHUNK {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let n = (state >> 16) as usize % 70_000;
            let piece: Vec<u8> = (0..n).map(|i| (i as u32 ^ state) as u8).collect();
            f.append(&piece).unwrap();
            f.flush().unwrap();
            want.extend_from_slice(&piece);
        }
        f.sync().unwrap();
        // While open the file reaches past the data to a chunk boundary,
        // and what is there is the data, then zeros.
        let open_size = std::fs::metadata(&path).unwrap().len() as usize;
        assert!(open_size > want.len() && open_size % 32_768 == 0);
        let raw = std::fs::read(&path).unwrap();
        assert!(raw[..want.len()] == want[..]);
        assert!(raw[want.len()..].iter().all(|&b| b == 0));
        f.close().unwrap();
        assert!(read_file_to_vec(&*env, &path).unwrap() == want);
        // Closed: no more writes, and closing again is harmless.
        assert!(f.append(b"x").is_err());
        assert!(f.flush().is_err());
        assert!(f.sync().is_err());
        f.close().unwrap();
        // An empty log closes to an empty file.
        let empty = format!("{dir}/000008.log");
        env.new_writable_file(&empty).unwrap().close().unwrap();
        assert_eq!(std::fs::metadata(&empty).unwrap().len(), 0);
    }

    /// The log writer's in-place (crash-order) path through the mapped
    /// file: records of every size, some bigger than a chunk, some crossing
    /// chunk ends (which remaps from the record's block), read back whole
    /// while the file is open (zero tail) and after close.
    #[test]
    fn log_records_written_in_place_cross_chunks_intact() {
        use crate::log;
        let env = PosixEnv::shared();
        let (_d, dir) = temp_dir();
        let path = format!("{dir}/000010.log");
        let mut writer = log::Writer::new(env.new_writable_file(&path).unwrap());
        let mut want = Vec::new();
        let mut state = 7u32;
        let mut total = 0;
        while total < 3 * LOG_MAX_CHUNK {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let n = match want.len() % 7 {
                0 => (state >> 8) as usize % 300_000,
                _ => (state >> 16) as usize % 5_000,
            };
            let rec: Vec<u8> = (0..n).map(|i| (i as u32 ^ state) as u8).collect();
            writer.add_record(&rec).unwrap();
            total += n;
            want.push(rec);
        }
        let read_back = |path: &str| {
            let file = env.new_sequential_file(path).unwrap();
            let mut reader = log::Reader::new(file, None, true, 0);
            let mut got = Vec::new();
            let mut rec = Vec::new();
            while reader.read_record(&mut rec) {
                got.push(rec.clone());
            }
            got
        };
        assert!(read_back(&path) == want);
        writer.file_mut().close().unwrap();
        assert!(read_back(&path) == want);
    }

    /// A log whose file cannot be mapped (here: opened write-only, so a
    /// read-write mapping is refused) is written the buffered way instead.
    #[test]
    fn unmappable_log_falls_back_to_buffered_writes() {
        let (_d, dir) = temp_dir();
        let path = format!("{dir}/000009.log");
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .unwrap();
        let mut log = log_file(&path, file);
        log.append(b"record").unwrap();
        log.flush().unwrap();
        // Buffered-and-flushed, not preallocated: exactly the bytes.
        assert_eq!(std::fs::read(&path).unwrap(), b"record");
        log.sync().unwrap();
        log.close().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"record");
    }

    #[test]
    fn write_then_read_back_sequential_and_random() {
        let (_guard, dir) = temp_dir();
        let env = PosixEnv::shared();
        let path = format!("{dir}/f");
        let mut data = Vec::new();
        let mut w = env.new_writable_file(&path).unwrap();
        // Sizes straddling the 64 KiB buffer in every way.
        for (i, len) in [0usize, 1, 100, 65535, 2, 65536, 200_000, 7]
            .into_iter()
            .enumerate()
        {
            let chunk: Vec<u8> = (0..len).map(|j| (i * 31 + j) as u8).collect();
            w.append(&chunk).unwrap();
            data.extend_from_slice(&chunk);
        }
        w.close().unwrap();
        assert_eq!(env.get_file_size(&path).unwrap(), data.len() as u64);
        assert_eq!(read_file_to_vec(&*env, &path).unwrap(), data);

        let r = env.new_random_access_file(&path).unwrap();
        if let Some(map) = r.mapped() {
            assert_eq!(map, &data[..]);
        }
        let mut buf = vec![0u8; 1000];
        assert_eq!(r.read_at(70_000, &mut buf).unwrap(), 1000);
        assert_eq!(&buf[..], &data[70_000..71_000]);
        let tail = data.len() as u64 - 10;
        assert_eq!(r.read_at(tail, &mut buf).unwrap(), 10);
        assert_eq!(&buf[..10], &data[data.len() - 10..]);
        assert_eq!(r.read_at(data.len() as u64 + 5, &mut buf).unwrap(), 0);

        let mut s = env.new_sequential_file(&path).unwrap();
        s.skip(100).unwrap();
        let mut buf = [0u8; 5];
        assert_eq!(s.read(&mut buf).unwrap(), 5);
        assert_eq!(&buf, &data[100..105]);
    }

    #[test]
    fn flush_makes_data_visible_and_append_mode_appends() {
        let (_guard, dir) = temp_dir();
        let env = PosixEnv::shared();
        // Not a `.log`: logs are mapped (see the test below), not buffered.
        let path = format!("{dir}/000001.ldb");
        let mut w = env.new_writable_file(&path).unwrap();
        w.append(b"hello").unwrap();
        // Buffered: not yet in the file.
        assert_eq!(env.get_file_size(&path).unwrap(), 0);
        w.flush().unwrap();
        assert_eq!(env.get_file_size(&path).unwrap(), 5);
        w.sync().unwrap();
        drop(w); // dropping flushes and closes
        let mut a = env.new_appendable_file(&path).unwrap();
        a.append(b" world").unwrap();
        drop(a);
        assert_eq!(read_file_to_vec(&*env, &path).unwrap(), b"hello world");
        // A new writable file truncates.
        write_string_to_file(&*env, b"x", &path, true).unwrap();
        assert_eq!(read_file_to_vec(&*env, &path).unwrap(), b"x");
    }

    #[test]
    fn manifest_sync_and_dir_sync_work() {
        let (_guard, dir) = temp_dir();
        let env = PosixEnv::shared();
        let mut w = env
            .new_writable_file(&format!("{dir}/MANIFEST-000001"))
            .unwrap();
        w.append(b"abc").unwrap();
        w.sync().unwrap();
        w.close().unwrap();
        // Operations on a closed file fail instead of writing elsewhere.
        assert!(w.append(b"x").is_err());
        env.sync_dir(&dir).unwrap();
        let err = env.sync_dir(&format!("{dir}/missing")).unwrap_err();
        assert!(err.is_not_found(), "{err}");
    }

    #[test]
    fn errors_name_the_file_like_posix_error() {
        let (_guard, dir) = temp_dir();
        let env = PosixEnv::shared();
        let missing = format!("{dir}/nope");
        let err = env.new_sequential_file(&missing).err().unwrap();
        assert_eq!(
            err.to_string(),
            format!("NotFound: {missing}: No such file or directory")
        );
        assert!(env.new_random_access_file(&missing).is_err());
        assert!(env.get_file_size(&missing).unwrap_err().is_not_found());
        assert!(env.remove_file(&missing).unwrap_err().is_not_found());
        assert!(env
            .rename_file(&missing, &format!("{dir}/x"))
            .unwrap_err()
            .is_not_found());
        assert!(env.get_children(&missing).unwrap_err().is_not_found());
        let err = env
            .new_writable_file(&format!("{dir}/no/such/dir/f"))
            .err()
            .unwrap();
        assert!(err.to_string().contains("/no/such/dir/f: "), "{err}");
        assert!(!env.file_exists(&missing));
    }

    #[test]
    fn directories_and_children() {
        let (_guard, dir) = temp_dir();
        let env = PosixEnv::shared();
        let sub = format!("{dir}/db");
        env.create_dir(&sub).unwrap();
        assert_eq!(
            env.create_dir(&sub).unwrap_err().to_string(),
            format!("IO error: {sub}: File exists")
        );
        write_string_to_file(&*env, b"1", &format!("{sub}/a"), false).unwrap();
        write_string_to_file(&*env, b"22", &format!("{sub}/b"), false).unwrap();
        let mut children = env.get_children(&sub).unwrap();
        children.sort();
        assert_eq!(children, vec!["a", "b"]);
        env.rename_file(&format!("{sub}/a"), &format!("{sub}/b"))
            .unwrap();
        assert_eq!(env.get_children(&sub).unwrap(), vec!["b"]);
        assert_eq!(env.get_file_size(&format!("{sub}/b")).unwrap(), 1);
        assert!(env.remove_dir(&sub).is_err()); // not empty
        env.remove_file(&format!("{sub}/b")).unwrap();
        env.remove_dir(&sub).unwrap();
        assert!(!env.file_exists(&sub));
        // A file in the way of a directory is an error.
        write_string_to_file(&*env, b"", &sub, false).unwrap();
        assert!(env.create_dir(&sub).is_err());
    }

    #[test]
    fn lock_is_exclusive_within_the_process_and_released_on_drop() {
        let (_guard, dir) = temp_dir();
        let env = PosixEnv::shared();
        let path = format!("{dir}/LOCK");
        let lock = env.lock_file(&path).unwrap();
        assert!(env.file_exists(&path));
        let err = env.lock_file(&path).err().unwrap();
        assert_eq!(
            err.to_string(),
            format!("IO error: lock {path}: already held by process")
        );
        drop(lock);
        let again = env.lock_file(&path).unwrap();
        drop(again);
        let err = env.lock_file(&format!("{dir}/no/LOCK")).err().unwrap();
        assert!(err.is_not_found(), "{err}");
    }

    #[test]
    fn lock_excludes_another_process() {
        // A forked child sees our fcntl lock as held by another process.
        let (_guard, dir) = temp_dir();
        let env = PosixEnv::shared();
        let path = format!("{dir}/LOCK");
        let _lock = env.lock_file(&path).unwrap();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .unwrap();
        // SAFETY: the child only calls async-signal-safe functions (fcntl,
        // _exit) before exiting.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0);
        if pid == 0 {
            let code = match fcntl_lock(&file, true) {
                Err(e) if e.raw_os_error() == Some(libc::EAGAIN) => 0,
                Err(e) if e.raw_os_error() == Some(libc::EACCES) => 0,
                _ => 1,
            };
            // SAFETY: _exit ends the forked child without running the
            // parent's destructors or test harness.
            unsafe { libc::_exit(code) };
        }
        let mut status = 0;
        // SAFETY: pid is our child; status is a valid out pointer.
        unsafe { libc::waitpid(pid, &mut status, 0) };
        assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
    }

    #[test]
    fn logger_writes_leveldb_style_lines() {
        let (_guard, dir) = temp_dir();
        let env = PosixEnv::shared();
        let path = format!("{dir}/LOG");
        let logger = env.new_logger(&path).unwrap();
        logger.log("hello 1");
        logger.log("second\n");
        drop(logger);
        let text = String::from_utf8(read_file_to_vec(&*env, &path).unwrap()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        for (line, message) in lines.iter().zip(["hello 1", "second"]) {
            // YYYY/MM/DD-HH:MM:SS.uuuuuu
            let (stamp, rest) = line.split_at(26);
            let b = stamp.as_bytes();
            assert_eq!(
                (b[4], b[7], b[10], b[13], b[16], b[19]),
                (b'/', b'/', b'-', b':', b':', b'.')
            );
            assert!(stamp
                .chars()
                .enumerate()
                .all(|(i, c)| [4, 7, 10, 13, 16, 19].contains(&i) || c.is_ascii_digit()));
            let mut parts = rest[1..].splitn(2, ' ');
            let thread = parts.next().unwrap();
            assert!(!thread.is_empty() && thread.chars().all(|c| c.is_ascii_digit()));
            assert_eq!(parts.next().unwrap(), message);
        }
        assert!(text.ends_with('\n') && !text.ends_with("\n\n"));
        // The logger appends (the DB renames LOG away before opening it).
        let logger = env.new_logger(&path).unwrap();
        logger.log("third");
        drop(logger);
        let text = String::from_utf8(read_file_to_vec(&*env, &path).unwrap()).unwrap();
        assert_eq!(text.lines().count(), 3);
    }

    #[test]
    fn schedule_runs_jobs_in_order_on_one_thread() {
        let env = PosixEnv::shared();
        let order = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        for i in 0..20 {
            let order = order.clone();
            let tx = tx.clone();
            env.schedule(Box::new(move || {
                order.lock().push((i, std::thread::current().id()));
                if i == 19 {
                    tx.send(()).unwrap();
                }
            }));
        }
        rx.recv_timeout(Duration::from_secs(10)).unwrap();
        let order = order.lock();
        assert_eq!(
            order.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
            (0..20).collect::<Vec<_>>()
        );
        assert!(order.iter().all(|(_, t)| *t == order[0].1));
        assert_ne!(order[0].1, std::thread::current().id());
    }

    #[test]
    fn a_panicking_job_does_not_stop_the_queue() {
        let queue = BackgroundQueue::new();
        let ran = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = mpsc::channel();
        queue.schedule(Box::new(|| panic!("deliberate panic in a background job")));
        let ran2 = ran.clone();
        queue.schedule(Box::new(move || {
            ran2.fetch_add(1, Ordering::SeqCst);
            tx.send(()).unwrap();
        }));
        rx.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_eq!(ran.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn clock_moves_forward_and_sleep_sleeps() {
        let env = PosixEnv::shared();
        let start = env.now_micros();
        env.sleep_for_micros(2000);
        assert!(env.now_micros() >= start + 2000);
    }

    #[test]
    fn default_env_is_the_shared_posix_env() {
        assert!(Arc::ptr_eq(&crate::env::default_env(), &PosixEnv::shared()));
    }

    #[test]
    fn dirname_and_basename() {
        assert_eq!(dirname("/a/b/MANIFEST-1"), "/a/b");
        assert_eq!(dirname("x"), ".");
        assert_eq!(basename("/a/b/MANIFEST-1"), "MANIFEST-1");
        assert_eq!(basename("x"), "x");
    }

    #[test]
    fn mapped_files_are_limited_and_fall_back_to_pread() {
        let dir = tempfile::tempdir().unwrap();
        let path = format!("{}/t", dir.path().display());
        std::fs::write(&path, b"0123456789").unwrap();
        let empty = format!("{}/empty", dir.path().display());
        std::fs::write(&empty, b"").unwrap();
        let env = PosixEnv::shared();

        let e = env.new_random_access_file(&empty).unwrap();
        assert!(e.mapped().is_none());
        assert_eq!(e.read_at(0, &mut [0u8; 4]).unwrap(), 0);

        // Other tests map files concurrently, so only check what holding
        // more files than the limit guarantees: some are mapped, some are
        // not, and every one reads the same bytes.
        let files: Vec<_> = (0..MAX_MAPPED_FILES + 5)
            .map(|_| env.new_random_access_file(&path).unwrap())
            .collect();
        assert!(files.iter().any(|f| f.mapped().is_none()));
        assert!(MAPPED_FILES.load(Ordering::Relaxed) <= MAX_MAPPED_FILES);
        for f in &files {
            let mut buf = [0u8; 4];
            assert_eq!(f.read_at(8, &mut buf).unwrap(), 2);
            assert_eq!(&buf[..2], b"89");
            if let Some(m) = f.mapped() {
                assert_eq!(m, b"0123456789");
            }
        }
        drop(files);
        // Slots come back when mapped files are dropped.
        let again = env.new_random_access_file(&path).unwrap();
        let mut buf = [0u8; 10];
        assert_eq!(again.read_at(0, &mut buf).unwrap(), 10);
    }
}
