//! The log writer: turns logical records into LevelDB 1.23's physical
//! records (`docs/formats.md` §4).
//!
//! Invariants:
//! * `block_offset` is the writer's position inside the current 32 KiB block;
//!   it is never left with fewer than [`HEADER_SIZE`] bytes to spare without
//!   the rest of the block being filled with a zero trailer first.
//! * Every physical record is `masked crc32c(type byte ++ payload) | u16 LE
//!   length | type | payload`, and the file is flushed after each one, as
//!   LevelDB 1.23 does, so a crash loses at most the record being written.
//!
//! Thread-safety: used by one thread at a time (the DB serialises writers).

use super::{RecordType, BLOCK_SIZE, HEADER_SIZE, MAX_RECORD_TYPE};
use crate::env::WritableFile;
use crate::status::Result;
use crate::util::crc;

/// Appends records to a log file.
pub struct Writer {
    file: Box<dyn WritableFile>,
    block_offset: usize,
    /// CRC-32C of each one-byte record type, so a record's checksum is one
    /// `crc::extend` over its payload.
    type_crc: [u32; MAX_RECORD_TYPE as usize + 1],
}

impl Writer {
    /// A writer for an empty file.
    pub fn new(file: Box<dyn WritableFile>) -> Writer {
        Writer::with_offset(file, 0)
    }

    /// A writer appending to a file that already holds `existing_len` bytes
    /// of log (so block boundaries stay where readers expect them).
    pub fn with_offset(file: Box<dyn WritableFile>, existing_len: u64) -> Writer {
        let mut type_crc = [0u32; MAX_RECORD_TYPE as usize + 1];
        for (t, slot) in type_crc.iter_mut().enumerate() {
            *slot = crc::value(&[t as u8]);
        }
        Writer {
            file,
            block_offset: (existing_len % BLOCK_SIZE as u64) as usize,
            type_crc,
        }
    }

    /// Appends one logical record, fragmenting it over blocks as needed. An
    /// empty record still writes one zero-length FULL record.
    pub fn add_record(&mut self, data: &[u8]) -> Result<()> {
        let mut left = data;
        let mut begin = true;
        loop {
            let leftover = BLOCK_SIZE - self.block_offset;
            if leftover < HEADER_SIZE {
                // Too little room for a header: pad the block with zeros
                // (readers skip trailers shorter than a header).
                if leftover > 0 {
                    self.file.append(&[0u8; HEADER_SIZE - 1][..leftover])?;
                }
                self.block_offset = 0;
            }

            let avail = BLOCK_SIZE - self.block_offset - HEADER_SIZE;
            let fragment_len = left.len().min(avail);
            let end = fragment_len == left.len();
            let record_type = match (begin, end) {
                (true, true) => RecordType::Full,
                (true, false) => RecordType::First,
                (false, true) => RecordType::Last,
                (false, false) => RecordType::Middle,
            };
            let (fragment, rest) = left.split_at(fragment_len);
            self.emit_physical_record(record_type, fragment)?;
            left = rest;
            begin = false;
            if left.is_empty() {
                return Ok(());
            }
        }
    }

    /// Makes everything written so far durable.
    pub fn sync(&mut self) -> Result<()> {
        self.file.sync()
    }

    /// The underlying file (to close it, for instance).
    pub fn file_mut(&mut self) -> &mut dyn WritableFile {
        &mut *self.file
    }

    /// Gives the underlying file back.
    pub fn into_file(self) -> Box<dyn WritableFile> {
        self.file
    }

    fn emit_physical_record(&mut self, record_type: RecordType, payload: &[u8]) -> Result<()> {
        debug_assert!(payload.len() <= 0xffff);
        debug_assert!(self.block_offset + HEADER_SIZE + payload.len() <= BLOCK_SIZE);
        let t = record_type as u8;
        let crc = crc::mask(crc::extend(self.type_crc[t as usize], payload));
        let len = payload.len() as u16;
        let mut header = [0u8; HEADER_SIZE];
        header[..4].copy_from_slice(&crc.to_le_bytes());
        header[4..6].copy_from_slice(&len.to_le_bytes());
        header[6] = t;

        // As LevelDB: the position advances even when the file fails, since
        // a failed log is abandoned by the DB anyway.
        self.block_offset += HEADER_SIZE + payload.len();
        self.file.append(&header)?;
        self.file.append(payload)?;
        self.file.flush()
    }
}
