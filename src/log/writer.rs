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
//! * Crash order. Where the file offers in-place writes (the mapped
//!   write-ahead log, see `WritableFile::reserve_ahead`), a logical record
//!   is stored as: every fragment's payload, then every fragment's
//!   checksum, then for each fragment in order one 4-byte store of header
//!   bytes 3..7 (length and type). Until that store the header reads as type 0,
//!   length 0, which LevelDB 1.23's reader and ours skip silently (the
//!   rest of the block, then the zero-filled preallocated tail). So a
//!   process killed mid-record leaves a log that both readers, paranoid or
//!   not, read to its last whole record. The one window left is between
//!   the commits of two fragments of a record spanning blocks: consecutive
//!   stores into pages the checksums have just faulted in, during which a
//!   reader would see a first fragment followed by an uncommitted one
//!   ("error in middle of record").
//!   Elsewhere (buffered files) the header is written first and a crash
//!   cuts the file short, which both readers take as the end of the log.
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
    /// Reused by the in-place path: (offset in the record's region, header)
    /// of each fragment.
    headers: Vec<(usize, [u8; HEADER_SIZE])>,
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
            headers: Vec::new(),
        }
    }

    /// Appends one logical record, fragmenting it over blocks as needed. An
    /// empty record still writes one zero-length FULL record.
    pub fn add_record(&mut self, data: &[u8]) -> Result<()> {
        if BLOCK_SIZE - self.block_offset >= HEADER_SIZE + data.len() {
            // The common case, one FULL record in the current block, kept
            // short: it is most of the cost of a small write.
            let span = HEADER_SIZE + data.len();
            if self.file.reserve_ahead(span)? {
                let header = self.header(RecordType::Full, data);
                self.block_offset += span;
                self.file.write_ahead(HEADER_SIZE, data)?;
                self.file.write_ahead(0, &header[..4])?;
                self.file
                    .store_ahead(3, [header[3], header[4], header[5], header[6]])?;
                self.file.advance(span)?;
                return self.file.flush();
            }
        }
        let span = self.record_span(data.len());
        if self.file.reserve_ahead(span)? {
            return self.add_record_in_place(data, span);
        }
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

    /// Bytes a record of `len` bytes takes from the current position:
    /// block trailers, headers and payload.
    fn record_span(&self, len: usize) -> usize {
        let mut offset = self.block_offset;
        let mut left = len;
        let mut span = 0;
        loop {
            let leftover = BLOCK_SIZE - offset;
            if leftover < HEADER_SIZE {
                span += leftover;
                offset = 0;
            }
            let fragment_len = left.min(BLOCK_SIZE - offset - HEADER_SIZE);
            span += HEADER_SIZE + fragment_len;
            offset += HEADER_SIZE + fragment_len;
            left -= fragment_len;
            if left == 0 {
                return span;
            }
        }
    }

    /// `add_record` in crash order (see the module doc) into `span` bytes
    /// the file has reserved.
    fn add_record_in_place(&mut self, data: &[u8], span: usize) -> Result<()> {
        let mut headers = std::mem::take(&mut self.headers);
        headers.clear();
        let mut at = 0;
        let mut left = data;
        let mut begin = true;
        let result = (|| {
            loop {
                let leftover = BLOCK_SIZE - self.block_offset;
                if leftover < HEADER_SIZE {
                    // The reserved bytes are zeros already; stored anyway
                    // so the trailer never depends on that.
                    self.file
                        .write_ahead(at, &[0u8; HEADER_SIZE - 1][..leftover])?;
                    at += leftover;
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
                self.file.write_ahead(at + HEADER_SIZE, fragment)?;
                headers.push((at, self.header(record_type, fragment)));
                at += HEADER_SIZE + fragment_len;
                self.block_offset += HEADER_SIZE + fragment_len;
                left = rest;
                begin = false;
                if left.is_empty() {
                    break;
                }
            }
            debug_assert_eq!(at, span);
            // Payloads are all in. Then every checksum (harmless while
            // length and type are zero); storing them first also takes the
            // page faults of the header pages before the first commit, and
            // a kill arriving during a fault takes effect before the
            // faulting store. Then the commits, back to back.
            for (offset, header) in &headers {
                self.file.write_ahead(*offset, &header[..4])?;
            }
            for (offset, header) in &headers {
                let word = [header[3], header[4], header[5], header[6]];
                self.file.store_ahead(offset + 3, word)?;
            }
            self.file.advance(span)?;
            self.file.flush()
        })();
        self.headers = headers;
        result
    }

    /// The header of a physical record of `record_type` holding `payload`.
    fn header(&self, record_type: RecordType, payload: &[u8]) -> [u8; HEADER_SIZE] {
        debug_assert!(payload.len() <= 0xffff);
        let t = record_type as u8;
        let crc = crc::mask(crc::extend(self.type_crc[t as usize], payload));
        let mut header = [0u8; HEADER_SIZE];
        header[..4].copy_from_slice(&crc.to_le_bytes());
        header[4..6].copy_from_slice(&(payload.len() as u16).to_le_bytes());
        header[6] = t;
        header
    }

    /// Makes everything written so far durable.
    pub fn sync(&mut self) -> Result<()> {
        self.file.sync()
    }

    /// The underlying file (to close it, for instance).
    pub fn file_mut(&mut self) -> &mut dyn WritableFile {
        &mut *self.file
    }

    fn emit_physical_record(&mut self, record_type: RecordType, payload: &[u8]) -> Result<()> {
        debug_assert!(payload.len() <= 0xffff);
        debug_assert!(self.block_offset + HEADER_SIZE + payload.len() <= BLOCK_SIZE);
        let header = self.header(record_type, payload);

        // As LevelDB: the position advances even when the file fails, since
        // a failed log is abandoned by the DB anyway.
        self.block_offset += HEADER_SIZE + payload.len();
        self.file.append(&header)?;
        self.file.append(payload)?;
        self.file.flush()
    }
}
