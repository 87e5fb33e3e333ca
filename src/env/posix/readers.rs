//! Files read by the POSIX env: sequential files (logs, MANIFESTs) read
//! with `read(2)`, and random-access files (tables) memory-mapped
//! read-only while fewer than [`MAX_MAPPED_FILES`] are mapped process-wide,
//! read with `pread` otherwise.
//!
//! Invariant: a mapping covers the whole file as it was at open; the files
//! opened for random access (tables) are immutable, so it always shows the
//! file's whole contents, and it is unmapped (and its slot released) on drop.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::os::unix::io::AsRawFd;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;

pub(super) struct PosixSequentialFile {
    pub(super) path: String,
    pub(super) file: File,
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

pub(super) struct PosixRandomAccessFile {
    pub(super) path: String,
    pub(super) file: File,
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
pub(super) static MAPPED_FILES: AtomicUsize = AtomicUsize::new(0);

/// Takes one of the [`MAX_MAPPED_FILES`] slots; `false` if none is free.
pub(super) fn acquire_map_slot() -> bool {
    MAPPED_FILES
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            (n < MAX_MAPPED_FILES).then_some(n + 1)
        })
        .is_ok()
}

pub(super) fn release_map_slot() {
    MAPPED_FILES.fetch_sub(1, Ordering::AcqRel);
}

/// A random-access file read from a read-only (shared) mapping of its
/// whole contents (as long as the file was when opened).
pub(super) struct PosixMmapFile {
    pub(super) base: *const u8,
    pub(super) len: usize,
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
    pub(super) fn map(file: &File, len: usize) -> Option<PosixMmapFile> {
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

    fn release_range(&self, offset: u64, len: u64) {
        let page = super::mmap_log::page_size();
        let start = usize::try_from(offset).unwrap_or(usize::MAX).min(self.len) / page * page;
        let end = usize::try_from(offset.saturating_add(len))
            .unwrap_or(usize::MAX)
            .min(self.len);
        if end > start {
            // SAFETY: a page-aligned range inside our live read-only shared
            // mapping. MADV_DONTNEED only unmaps its pages from this
            // process; the file is never modified while open, so the next
            // access maps the same bytes again from the page cache, and
            // slices borrowed from `bytes()` stay valid.
            unsafe {
                libc::madvise(
                    self.base.add(start) as *mut libc::c_void,
                    end - start,
                    libc::MADV_DONTNEED,
                )
            };
        }
    }
}
