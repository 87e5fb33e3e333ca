//! Write-ahead logs of the POSIX env (`Env::new_log_file`), written
//! through a shared mapping of the file; see [`PosixMmapLogFile`].

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::os::unix::io::AsRawFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, OnceLock};

use super::*;

/// First and largest chunk of a log file mapped at a time. Chunks double
/// from the first to the largest (a record that does not fit in what is
/// left of one is given a new one starting at its page) and always end on a
/// log block boundary, so a crashed log's size is a multiple of the 32 KiB
/// block. Each switch to a new chunk is an `munmap` and an `mmap`, which
/// take the process's memory-map lock for writing (waiting out page faults
/// of the other threads, such as a compaction reading its inputs): a few
/// hundred of them in a million small writes made up much of the slowest
/// 0.1%, so chunks are large and their written pages are given back as
/// they go (`LOG_RELEASE_STEP`) instead.
pub(super) const LOG_FIRST_CHUNK: usize = 64 << 10;
pub(super) const LOG_MAX_CHUNK: usize = 1 << 20;
/// Once this much of a chunk lies behind the append position, its pages
/// are dropped from the mapping (`MADV_DONTNEED`; the bytes stay in the
/// page cache, dirty until written back): they would otherwise count in
/// the process's resident set until the chunk is unmapped. This takes the
/// memory-map lock only for reading, and runs on the page releaser's
/// thread (see `defer`). Linux only; elsewhere the pages stay until the
/// chunk is unmapped.
pub(super) const LOG_RELEASE_STEP: usize = 256 << 10;
/// Disk space is reserved (`posix_fallocate`) ahead of the mapping, this
/// much at a time, the first time when the log is created. Why: an
/// `fallocate` waits for the file system's journal, which a compaction's
/// table sync may be holding, and writes that met one made up much of the
/// slowest 0.1%. With whole steps from the start a log of the default 4 MiB
/// write buffer reserves once or twice, where doubling steps from 64 KiB
/// reserved seven times; a crash leaves at most this much zero tail past
/// the mapped chunk (so this plus a chunk past the records), which log
/// readers skip.
pub(super) const LOG_RESERVE_STEP: u64 = 4 << 20;
/// Appends at least this long, and every payload of a record at least this
/// long (see `write_ahead`), are written with `pwrite` rather than copied
/// into the mapping: for big records the page faults of first stores into
/// fresh pages cost more than one system call.
pub(super) const LOG_DIRECT_WRITE_MIN: usize = 16 << 10;

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
/// The file is extended ahead of the mapping with `posix_fallocate`, so a
/// full disk is an `IO error` from `append` rather than a `SIGBUS` on a
/// store. A crash leaves the unused reserved rest zero-filled; log readers
/// (ours and LevelDB's) skip such zeroed blocks silently, and a clean
/// `close` truncates the file to the bytes written. `sync` is `fdatasync`
/// (preceded by `msync` of the current chunk outside Linux). Used by one thread at a time.
pub(super) struct PosixMmapLogFile {
    pub(super) path: String,
    /// `None` once closed.
    pub(super) file: Option<File>,
    /// The current chunk: `map_len` bytes of the file from `map_offset`,
    /// mapped at `mapping` (`None` before the first chunk, after a seal or
    /// close). `map_len` and `map_offset` outlive an unmap: the next chunk
    /// starts where this one ended.
    pub(super) map_len: usize,
    pub(super) map_offset: u64,
    /// Bytes of the current chunk written so far.
    pub(super) used: usize,
    /// Bytes at the start of the current chunk whose pages were given back
    /// (a multiple of the page size, at most `used`).
    pub(super) released: usize,
    /// The file is preallocated up to here (see `LOG_RESERVE_STEP`).
    pub(super) reserved_end: u64,
    /// Set by `seal`: the chunk is unmapped and appends fail.
    pub(super) sealed: bool,
    /// Owns the current chunk's mapping; shared with the page releaser
    /// while it works on it.
    pub(super) mapping: Option<Arc<Mapping>>,
    /// The length of the last `reserve_ahead` region (see `write_ahead`).
    pub(super) reserved_ahead: usize,
    /// File offset of the end of the page the last `sync` left the append
    /// position in (or 0): see `in_synced_page`.
    pub(super) synced_page_end: u64,
}

impl PosixMmapLogFile {
    fn new(path: &str, file: File) -> PosixMmapLogFile {
        PosixMmapLogFile {
            path: path.to_string(),
            file: Some(file),
            map_len: 0,
            map_offset: 0,
            used: 0,
            released: 0,
            reserved_end: 0,
            sealed: false,
            mapping: None,
            reserved_ahead: 0,
            synced_page_end: 0,
        }
    }

    fn io_error(&self, err: io::Error) -> Error {
        Error::from_io(&self.path, &err)
    }

    /// The error of an append to a closed or sealed log.
    fn check_appendable(&self) -> Result<()> {
        if self.file.is_none() {
            return Err(closed_file_error(&self.path));
        }
        if self.sealed {
            return Err(Error::io_error(format!(
                "{}: append to a log that is no longer current",
                self.path
            )));
        }
        Ok(())
    }

    /// Lets go of the current chunk: it takes no more stores, and the page
    /// releaser unmaps it (see `defer`).
    fn unmap(&mut self) {
        if let Some(mapping) = self.mapping.take() {
            defer(Deferred::Unmap(mapping));
        }
    }

    /// Has the page releaser give back the pages of the current chunk
    /// wholly behind the append position, once `LOG_RELEASE_STEP` bytes of
    /// them have gathered.
    fn release_behind(&mut self) {
        if cfg!(not(target_os = "linux")) || self.used - self.released < LOG_RELEASE_STEP {
            return;
        }
        let Some(mapping) = &self.mapping else {
            return;
        };
        let page = page_size();
        let end = self.used / page * page;
        defer(Deferred::Release {
            mapping: Arc::clone(mapping),
            start: self.released,
            end,
        });
        self.released = end;
    }

    /// Reserves and maps the chunk after the current one.
    fn map_next_chunk(&mut self) -> Result<()> {
        let offset = self.map_offset + self.map_len as u64;
        self.map_from(offset, 0, 0)
    }

    /// Reserves and maps a chunk starting at file offset `offset` (a
    /// multiple of the page size) and ending on a log block boundary, with
    /// at least `min_len` bytes, and makes the append position `used`
    /// bytes into it.
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
        // A record bigger than a chunk gets a chunk of its own size; the
        // end stays on a block so a crash's zero tail fills whole blocks.
        let block = crate::log::BLOCK_SIZE as u64;
        let end = (offset + grown.max(min_len) as u64).div_ceil(block) * block;
        let len = (end - offset) as usize;
        if end > self.reserved_end {
            self.reserve_until(fd, end)?;
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
        self.mapping = Some(Arc::new(Mapping {
            base: base.cast(),
            len,
        }));
        self.map_len = len;
        self.map_offset = offset;
        self.used = used;
        self.released = 0;
        Ok(())
    }

    /// Preallocates the file from `reserved_end` to at least `end`, a
    /// `LOG_RESERVE_STEP` at a time.
    fn reserve_until(&mut self, fd: libc::c_int, end: u64) -> Result<()> {
        let block = crate::log::BLOCK_SIZE as u64;
        let new_end = end
            .max(self.reserved_end + LOG_RESERVE_STEP)
            .div_ceil(block)
            * block;
        let (offset, len) = (self.reserved_end, new_end - self.reserved_end);
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
            // Only up to `end`: the next chunk asks again.
            self.reserved_end = end;
            return Ok(());
        }
        self.reserved_end = new_end;
        Ok(())
    }

    /// Whether a write `at` bytes past the append position starts in the
    /// page the last `sync` wrote back. Writeback write-protects a mapped
    /// page, so the first store into it after a sync faults, and the fault
    /// waits on the file system; a `pwrite` into the same page cache does
    /// not. Synced writes (fillsync) each land in the page the previous one
    /// synced.
    fn in_synced_page(&self, at: usize) -> bool {
        self.synced_page_end > self.map_offset + (self.used + at) as u64
    }

    /// Writes `data` at `at` bytes past the append position with `pwrite`.
    fn pwrite_ahead(&self, at: usize, data: &[u8]) -> Result<()> {
        let offset = self.map_offset + (self.used + at) as u64;
        let file = self
            .file
            .as_ref()
            .ok_or_else(|| closed_file_error(&self.path))?;
        file.write_all_at(data, offset)
            .map_err(|e| self.io_error(e))
    }

    /// `[at, at + len)` past the append position lies inside the mapping.
    fn check_ahead(&self, at: usize, len: usize) -> Result<*mut u8> {
        self.check_appendable()?;
        let end = self.used.checked_add(at).and_then(|s| s.checked_add(len));
        match (end, &self.mapping) {
            (Some(end), Some(m)) if end <= self.map_len => {
                // SAFETY: `used + at <= map_len`, inside (or one past) our
                // live mapping.
                Ok(unsafe { m.base.add(self.used + at) })
            }
            _ => Err(Error::io_error(format!(
                "{}: write past the reserved region of the log",
                self.path
            ))),
        }
    }
}

#[cfg(test)]
thread_local! {
    /// Bytes this thread has stored through log mappings (as opposed to
    /// `pwrite`), so tests can check which way each piece went.
    pub(super) static STORED_THROUGH_MAPPING: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Counts `n` bytes stored through a mapping (for tests; nothing otherwise).
#[inline(always)]
fn note_mapped_store(n: usize) {
    #[cfg(test)]
    STORED_THROUGH_MAPPING.with(|c| c.set(c.get() + n));
    #[cfg(not(test))]
    let _ = n;
}

/// The system's page size (mapping offsets must be multiples of it).
pub(super) fn page_size() -> usize {
    static PAGE: OnceLock<usize> = OnceLock::new();
    *PAGE.get_or_init(|| {
        // SAFETY: sysconf has no preconditions.
        let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        usize::try_from(n).ok().filter(|&n| n > 0).unwrap_or(4096)
    })
}

/// A new log's writer: mapped, or — where the file cannot be mapped (file
/// systems without shared writable mappings) — LevelDB's buffered writer.
pub(super) fn log_file(path: &str, file: File) -> Box<dyn WritableFile> {
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
        self.check_appendable()?;
        while !data.is_empty() {
            if self.used == self.map_len {
                self.map_next_chunk()?;
            }
            let n = (self.map_len - self.used).min(data.len());
            if n >= LOG_DIRECT_WRITE_MIN || self.in_synced_page(0) {
                // A large piece: one pwrite into the same page cache the
                // mapping shows, instead of a page fault per 4 KiB stored;
                // likewise a piece that starts in the page the last sync
                // wrote back, where a store would fault.
                self.pwrite_ahead(0, &data[..n])?;
            } else {
                let dest = self.check_ahead(0, n)?;
                // SAFETY: `check_ahead` found `used..used + n` inside our live
                // writable mapping; `data` is a distinct Rust slice, so the
                // ranges cannot overlap.
                unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), dest, n) };
                note_mapped_store(n);
            }
            self.used += n;
            data = &data[n..];
        }
        self.release_behind();
        Ok(())
    }

    fn reserve_ahead(&mut self, len: usize) -> Result<bool> {
        self.check_appendable()?;
        self.reserved_ahead = len;
        if self.used + len <= self.map_len {
            return Ok(true);
        }
        // Remap from the page holding the append position, so the whole
        // region is one mapping (and only that page is faulted in again).
        let page = page_size() as u64;
        let position = self.map_offset + self.used as u64;
        let start = position - position % page;
        let used = (position - start) as usize;
        self.map_from(start, used, used + len)?;
        Ok(true)
    }

    fn write_ahead(&mut self, at: usize, data: &[u8]) -> Result<()> {
        let dest = self.check_ahead(at, data.len())?;
        // As in `append`, a large piece goes in with one pwrite into the
        // page cache the mapping shows, rather than a page fault per fresh
        // 4 KiB. So does every payload of a large record, even a short
        // first or last fragment: a store into a page not yet in the page
        // cache faults with read-ahead around it, and for a record that
        // spans pages those faults cost more than a call. The 4-byte
        // checksums still go through the mapping, so the header pages are
        // mapped before the commits, which stay back-to-back stores. In the
        // page the last sync wrote back everything goes in with pwrite,
        // checksums and commits too (see `in_synced_page`).
        let large_record = self.reserved_ahead >= LOG_DIRECT_WRITE_MIN && data.len() > 4;
        if data.len() >= LOG_DIRECT_WRITE_MIN || large_record || self.in_synced_page(at) {
            return self.pwrite_ahead(at, data);
        }
        // SAFETY: `check_ahead` proved `dest..dest + data.len()` inside our
        // live writable mapping; `data` is a distinct Rust slice.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), dest, data.len()) };
        note_mapped_store(data.len());
        Ok(())
    }

    fn store_ahead(&mut self, at: usize, word: [u8; 4]) -> Result<()> {
        let dest = self.check_ahead(at, 4)?;
        if self.in_synced_page(at) {
            // A 4-byte pwrite is copied whole or not at all: a killed
            // process has still done a prefix of the log's writes.
            return self.pwrite_ahead(at, &word);
        }
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
        note_mapped_store(4);
        Ok(())
    }

    fn advance(&mut self, n: usize) -> Result<()> {
        self.check_ahead(0, n)?;
        self.used += n;
        self.release_behind();
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
        if let (Some(m), true) = (&self.mapping, self.used > 0) {
            // SAFETY: a page-aligned prefix of our live mapping.
            if unsafe { libc::msync(m.base.cast(), self.used, libc::MS_SYNC) } != 0 {
                return Err(self.io_error(io::Error::last_os_error()));
            }
        }
        file.sync_data().map_err(|e| self.io_error(e))?;
        let page = page_size() as u64;
        self.synced_page_end = (self.map_offset + self.used as u64).div_ceil(page) * page;
        Ok(())
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

    fn seal(&mut self) -> Result<()> {
        // The mapped chunk's pages count in the process's resident set for
        // as long as they stay mapped; the bytes themselves are in the page
        // cache, where `sync` and `close` find them. Elsewhere `sync` needs
        // the mapping for its `msync`, so it stays until `close`.
        self.sealed = true;
        #[cfg(target_os = "linux")]
        self.unmap();
        Ok(())
    }

    fn discard(&mut self) -> Result<()> {
        // No trim: the reserved tail goes with the file, and a truncate is
        // a journal transaction we would wait for. The close itself goes to
        // the page releaser, after the unmap: whichever of the two lets go
        // of a deleted file last frees it.
        let Some(file) = self.file.take() else {
            return Ok(());
        };
        self.unmap();
        defer(Deferred::Close(file));
        Ok(())
    }
}

impl Drop for PosixMmapLogFile {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

/// A mapped chunk of a log, unmapped when its last holder lets go of it:
/// the log, or the page releaser while a request for it is queued or in
/// progress. So the releaser never touches an address range that was
/// unmapped (and perhaps mapped again for something else).
pub(super) struct Mapping {
    base: *mut u8,
    len: usize,
}

// SAFETY: the mapping is plain shared memory with no thread affinity. Its
// holders store into it only through the log (one thread at a time, and
// only ahead of what was handed to the releaser); the releaser only passes
// its address to `madvise` and `munmap`.
unsafe impl Send for Mapping {}
// SAFETY: as above; `&Mapping` gives out nothing but the address.
unsafe impl Sync for Mapping {}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: exactly the region mmap returned in `map_from`, unmapped
        // once, by its last holder.
        unsafe { libc::munmap(self.base.cast(), self.len) };
    }
}

/// Work on a log that its writer, or the thread discarding it, need not
/// wait for.
pub(super) enum Deferred {
    /// Drop `start..end` (page-aligned, wholly written) from the mapping.
    Release {
        mapping: Arc<Mapping>,
        start: usize,
        end: usize,
    },
    /// Let go of a chunk (unmapped once no request holds it).
    Unmap(Arc<Mapping>),
    /// Close a discarded log. For a log already deleted, the last close
    /// frees its page-cache pages and disk blocks (a journal transaction):
    /// milliseconds for a 4 MiB log, which the compaction thread, where
    /// obsolete logs are discarded, need not spend.
    Close(File),
}

/// Hands `job` to the page releaser, a thread of its own, or does it here
/// if that thread cannot be started.
///
/// Why: giving pages back (`MADV_DONTNEED`) and unmapping a chunk each
/// invalidate TLB entries on every core running the process, tens of
/// microseconds with the page-table lock held. On the writer's path, the
/// 470-odd releases and 240 unmaps of a 1M fillrandom were most of its
/// slowest 0.1% of writes. Neither changes a byte of the log: the pages
/// stay in the page cache, where `sync` and readers find them.
///
/// A writer that gets ahead of the thread (two jobs still queued: on a
/// busy machine it may wait for a core) does the job itself, so the pages
/// waiting to be given back stay bounded, as they were on the writer's
/// path: a deferred release is resident memory that lingers.
fn defer(job: Deferred) {
    static RELEASER: OnceLock<Option<mpsc::Sender<Deferred>>> = OnceLock::new();
    static QUEUED: AtomicUsize = AtomicUsize::new(0);
    const MAX_QUEUED: usize = 2;
    let sender = RELEASER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Deferred>();
        std::thread::Builder::new()
            .name("leveldb-logpages".to_string())
            .spawn(move || {
                while let Ok(job) = rx.recv() {
                    run(job);
                    QUEUED.fetch_sub(1, Ordering::Release);
                }
            })
            .ok()
            .map(|_| tx)
    });
    if QUEUED.load(Ordering::Acquire) >= MAX_QUEUED {
        run(job);
        return;
    }
    match sender {
        Some(sender) => {
            QUEUED.fetch_add(1, Ordering::AcqRel);
            // The receiver lives as long as the process (the thread never
            // returns while a sender exists), so a send cannot fail; if it
            // ever did, the job comes back and is done here.
            if let Err(mpsc::SendError(job)) = sender.send(job) {
                QUEUED.fetch_sub(1, Ordering::AcqRel);
                run(job);
            }
        }
        None => run(job),
    }
}

/// Does one deferred job (see `defer`).
fn run(job: Deferred) {
    match job {
        Deferred::Release {
            mapping,
            start,
            end,
        } => {
            debug_assert!(start <= end && end <= mapping.len);
            #[cfg(target_os = "linux")]
            // SAFETY: `start..end` is a page-aligned range inside a mapping
            // that `mapping` keeps alive, all of it written already (the log
            // stores only past it). On a shared file mapping MADV_DONTNEED
            // only unmaps the pages: their contents stay in the page cache
            // (dirty pages stay dirty), and a later access would fault them
            // back in. A failure only leaves them resident, so its result
            // is ignored.
            unsafe {
                libc::madvise(
                    mapping.base.add(start).cast(),
                    end - start,
                    libc::MADV_DONTNEED,
                )
            };
        }
        Deferred::Unmap(mapping) => drop(mapping),
        // Nobody reads a discarded log again, so a failed close loses
        // nothing (see `discard`).
        Deferred::Close(file) => drop(file),
    }
}
