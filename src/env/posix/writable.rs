//! Ordinary files written by the POSIX env (tables, MANIFESTs, CURRENT):
//! appends are buffered in user space up to [`WRITABLE_FILE_BUFFER_SIZE`]
//! bytes; `flush` hands them to the kernel, `sync` flushes and then
//! `fdatasync`s. The first sync of a `MANIFEST*` file first syncs its
//! directory, so a new MANIFEST never becomes durable before its own entry
//! or those of the tables it names (later edits: `PendingApply::write`
//! syncs the directory before appending).

use std::fs::File;
use std::io::Write;

use super::*;

pub(super) struct PosixWritableFile {
    pub(super) path: String,
    /// `None` once closed.
    pub(super) file: Option<File>,
    pub(super) buffer: Vec<u8>,
    /// Whether this is a `MANIFEST*` file whose directory is still to be
    /// synced: its first sync syncs the directory, making its own entry
    /// (and those of the tables named by its first records) durable. Later
    /// edits are preceded by an explicit `Env::sync_dir` of the version set,
    /// so syncing the directory again in every sync would only cost a
    /// second fsync per edit.
    pub(super) manifest_dir_unsynced: bool,
    /// Bytes handed to the kernel so far, and how many of them have been
    /// queued for writeback (see [`WRITEBACK_CHUNK`]).
    pub(super) written: u64,
    pub(super) writeback_queued: u64,
}

/// A buffered file (in practice a table: new logs are mapped) asks the
/// kernel to start writing back each MiB as soon as it is written, so the
/// `fdatasync` that ends a table waits for little more than the last MiB
/// instead of the whole file (RocksDB's
/// `bytes_per_sync`). Durability is unchanged: that sync still happens.
pub(super) const WRITEBACK_CHUNK: u64 = 1 << 20;

impl PosixWritableFile {
    pub(super) fn new(path: &str, file: File) -> PosixWritableFile {
        PosixWritableFile {
            path: path.to_string(),
            file: Some(file),
            buffer: Vec::with_capacity(WRITABLE_FILE_BUFFER_SIZE),
            manifest_dir_unsynced: basename(path).starts_with("MANIFEST"),
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
        if self.manifest_dir_unsynced {
            sync_directory(dirname(&self.path))?;
            self.manifest_dir_unsynced = false;
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
