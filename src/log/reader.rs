//! The log reader: reassembles logical records from physical records with
//! exactly LevelDB 1.23's `log::Reader::ReadRecord` behaviour.
//!
//! Invariants:
//! * The file is read in whole 32 KiB blocks into one reusable buffer;
//!   `buffer_start..buffer_end` is the unconsumed part of the current block
//!   and `end_of_buffer_offset` the file offset just past it. No allocation
//!   happens per record beyond growing the caller's `Vec`.
//! * Corruptions are reported (when a [`Reporter`] is given) with LevelDB's
//!   byte counts and texts; damage located before `initial_offset` is never
//!   reported. A truncated header or payload at the very end of the file is
//!   not a corruption: it is what a writer that died mid-record leaves.
//! * `read_record` never panics on any file contents.
//!
//! Thread-safety: used by one thread at a time.

use super::{RecordType, BLOCK_SIZE, HEADER_SIZE};
use crate::env::SequentialFile;
use crate::status::Error;
use crate::util::coding::decode_fixed32;
use crate::util::crc;

/// Receives the corruptions a [`Reader`] finds.
pub trait Reporter: Send {
    /// `bytes` bytes of the log were dropped because of `reason`.
    fn corruption(&mut self, bytes: usize, reason: &Error);
}

/// Pseudo record types of `read_physical_record`, after the real ones, as
/// in LevelDB. A stored type byte of 5 or 6 is therefore taken for them,
/// exactly as LevelDB 1.23 does (such a record needs a valid checksum).
const EOF: u32 = super::MAX_RECORD_TYPE as u32 + 1;
/// A physical record that was invalid (or deliberately skipped).
const BAD_RECORD: u32 = super::MAX_RECORD_TYPE as u32 + 2;

const ZERO: u32 = RecordType::Zero as u32;
const FULL: u32 = RecordType::Full as u32;
const FIRST: u32 = RecordType::First as u32;
const MIDDLE: u32 = RecordType::Middle as u32;
const LAST: u32 = RecordType::Last as u32;

/// Reads logical records from a log file.
pub struct Reader {
    file: Box<dyn SequentialFile>,
    reporter: Option<Box<dyn Reporter>>,
    checksum: bool,
    /// One block of the file.
    backing_store: Box<[u8]>,
    buffer_start: usize,
    buffer_end: usize,
    /// The last read hit end of file (or failed).
    eof: bool,
    /// Offset of the first physical record of the last record returned.
    last_record_offset: u64,
    /// File offset just past `backing_store[..buffer_end]`.
    end_of_buffer_offset: u64,
    /// Records starting before this offset are skipped.
    initial_offset: u64,
    /// Skipping MIDDLE/LAST fragments of a record that began before
    /// `initial_offset`.
    resyncing: bool,
}

impl Reader {
    /// A reader over `file`, reporting corruptions to `reporter` if given,
    /// verifying checksums if `checksum`, and returning only records whose
    /// first physical record starts at or after `initial_offset`.
    pub fn new(
        file: Box<dyn SequentialFile>,
        reporter: Option<Box<dyn Reporter>>,
        checksum: bool,
        initial_offset: u64,
    ) -> Reader {
        Reader {
            file,
            reporter,
            checksum,
            backing_store: vec![0u8; BLOCK_SIZE].into_boxed_slice(),
            buffer_start: 0,
            buffer_end: 0,
            eof: false,
            last_record_offset: 0,
            end_of_buffer_offset: 0,
            initial_offset,
            resyncing: initial_offset > 0,
        }
    }

    /// Reads the next logical record into `record` (replacing its contents).
    /// Returns false at the end of the log; `record` is then empty.
    pub fn read_record(&mut self, record: &mut Vec<u8>) -> bool {
        if self.last_record_offset < self.initial_offset && !self.skip_to_initial_block() {
            record.clear();
            return false;
        }

        // `record` doubles as the reassembly buffer for fragmented records.
        record.clear();
        let mut in_fragmented_record = false;
        // Offset of the logical record being assembled.
        let mut prospective_record_offset = 0u64;

        loop {
            let (record_type, fragment_start, fragment_len) = self.read_physical_record();

            // Computed after the call, which may have consumed a trailer.
            let physical_record_offset = self
                .end_of_buffer_offset
                .wrapping_sub(self.buffer_len() as u64)
                .wrapping_sub(HEADER_SIZE as u64)
                .wrapping_sub(fragment_len as u64);

            if self.resyncing {
                if record_type == MIDDLE {
                    continue;
                } else if record_type == LAST {
                    self.resyncing = false;
                    continue;
                } else {
                    self.resyncing = false;
                }
            }

            let fragment = fragment_start..fragment_start + fragment_len;
            match record_type {
                FULL => {
                    // Older writers could leave an empty FIRST at a block's
                    // end followed by a FULL; only a non-empty partial
                    // record is worth reporting.
                    if in_fragmented_record && !record.is_empty() {
                        self.report_corruption(
                            record.len() as u64,
                            "partial record without end(1)",
                        );
                    }
                    record.clear();
                    record.extend_from_slice(&self.backing_store[fragment]);
                    self.last_record_offset = physical_record_offset;
                    return true;
                }
                FIRST => {
                    if in_fragmented_record && !record.is_empty() {
                        self.report_corruption(
                            record.len() as u64,
                            "partial record without end(2)",
                        );
                    }
                    prospective_record_offset = physical_record_offset;
                    record.clear();
                    record.extend_from_slice(&self.backing_store[fragment]);
                    in_fragmented_record = true;
                }
                MIDDLE => {
                    if in_fragmented_record {
                        record.extend_from_slice(&self.backing_store[fragment]);
                    } else {
                        self.report_corruption(
                            fragment_len as u64,
                            "missing start of fragmented record(1)",
                        );
                    }
                }
                LAST => {
                    if in_fragmented_record {
                        record.extend_from_slice(&self.backing_store[fragment]);
                        self.last_record_offset = prospective_record_offset;
                        return true;
                    }
                    self.report_corruption(
                        fragment_len as u64,
                        "missing start of fragmented record(2)",
                    );
                }
                EOF => {
                    // A fragmented record cut short by the end of the file is
                    // a writer that died mid-record: dropped, not reported.
                    record.clear();
                    return false;
                }
                BAD_RECORD => {
                    if in_fragmented_record {
                        self.report_corruption(record.len() as u64, "error in middle of record");
                        in_fragmented_record = false;
                        record.clear();
                    }
                }
                unknown => {
                    let dropped = fragment_len
                        + if in_fragmented_record {
                            record.len()
                        } else {
                            0
                        };
                    self.report_corruption(
                        dropped as u64,
                        &format!("unknown record type {unknown}"),
                    );
                    in_fragmented_record = false;
                    record.clear();
                }
            }
        }
    }

    /// File offset of the first physical record of the last record returned
    /// by [`read_record`](Reader::read_record).
    pub fn last_record_offset(&self) -> u64 {
        self.last_record_offset
    }

    /// File offset just past the last physical record consumed. Right after
    /// [`read_record`](Reader::read_record) returns a record, this is where
    /// that record ends: a writer reusing the file may append there only if
    /// it is also the file's size (bytes past it are a torn record, and
    /// records appended after them would be read as corruption).
    pub fn end_of_consumed(&self) -> u64 {
        self.end_of_buffer_offset - self.buffer_len() as u64
    }

    #[inline]
    fn buffer_len(&self) -> usize {
        self.buffer_end - self.buffer_start
    }

    #[inline]
    fn clear_buffer(&mut self) {
        self.buffer_start = 0;
        self.buffer_end = 0;
    }

    /// Positions the file at the start of the first block that can hold a
    /// record starting at `initial_offset`. Returns false if the skip failed.
    fn skip_to_initial_block(&mut self) -> bool {
        let offset_in_block = self.initial_offset % BLOCK_SIZE as u64;
        let mut block_start_location = self.initial_offset - offset_in_block;

        // An offset inside a block's trailer cannot start a record. (The
        // bound is LevelDB's: one byte looser than a header.)
        if offset_in_block > (BLOCK_SIZE - 6) as u64 {
            block_start_location += BLOCK_SIZE as u64;
        }

        self.end_of_buffer_offset = block_start_location;

        if block_start_location > 0 {
            if let Err(e) = self.file.skip(block_start_location) {
                self.report_drop(block_start_location, &e);
                return false;
            }
        }
        true
    }

    /// Fills the buffer with the next block. Returns false (after reporting
    /// the error) if reading failed.
    fn read_block(&mut self) -> bool {
        self.clear_buffer();
        let mut nread = 0;
        // A SequentialFile may return short reads; only 0 means end of file.
        while nread < BLOCK_SIZE {
            match self.file.read(&mut self.backing_store[nread..]) {
                Ok(0) => break,
                Ok(n) => nread += n.min(BLOCK_SIZE - nread),
                Err(e) => {
                    self.eof = true;
                    self.report_drop(BLOCK_SIZE as u64, &e);
                    return false;
                }
            }
        }
        self.end_of_buffer_offset += nread as u64;
        self.buffer_end = nread;
        if nread < BLOCK_SIZE {
            self.eof = true;
        }
        true
    }

    /// Returns the next physical record as (type, start, length) of its
    /// payload in `backing_store`, or `EOF`/`BAD_RECORD` with an empty
    /// payload. Types other than FULL..LAST are returned as found.
    fn read_physical_record(&mut self) -> (u32, usize, usize) {
        loop {
            if self.buffer_len() < HEADER_SIZE {
                if !self.eof {
                    // The previous block was read in full, so what is left of
                    // it is a trailer: skip it.
                    if !self.read_block() {
                        return (EOF, 0, 0);
                    }
                    continue;
                }
                // A truncated header at the end of the file is what a writer
                // crashing mid-header leaves: end of log, not corruption.
                self.clear_buffer();
                return (EOF, 0, 0);
            }

            let start = self.buffer_start;
            let header = &self.backing_store[start..start + HEADER_SIZE];
            let length = usize::from(u16::from_le_bytes([header[4], header[5]]));
            // LevelDB widens the type from a (signed, on x86) char, so bytes
            // >= 0x80 print as huge numbers in "unknown record type".
            let record_type = header[6] as i8 as i32 as u32;
            let stored_crc = decode_fixed32(header);

            if HEADER_SIZE + length > self.buffer_len() {
                let drop_size = self.buffer_len();
                self.clear_buffer();
                if !self.eof {
                    self.report_corruption(drop_size as u64, "bad record length");
                    return (BAD_RECORD, 0, 0);
                }
                // The payload runs past the end of the file: the writer died
                // mid-record. Not reported.
                return (EOF, 0, 0);
            }

            if record_type == ZERO && length == 0 {
                // Preallocated (zero-filled) regions: skip the block silently.
                self.clear_buffer();
                return (BAD_RECORD, 0, 0);
            }

            if self.checksum {
                let expected = crc::unmask(stored_crc);
                // The checksum covers the type byte and the payload.
                let actual =
                    crc::value(&self.backing_store[start + 6..start + HEADER_SIZE + length]);
                if actual != expected {
                    // The length may be what is corrupt, so trust nothing
                    // else in this block.
                    let drop_size = self.buffer_len();
                    self.clear_buffer();
                    self.report_corruption(drop_size as u64, "checksum mismatch");
                    return (BAD_RECORD, 0, 0);
                }
            }

            self.buffer_start += HEADER_SIZE + length;

            // Skip physical records that started before initial_offset.
            let record_offset = self
                .end_of_buffer_offset
                .wrapping_sub(self.buffer_len() as u64)
                .wrapping_sub((HEADER_SIZE + length) as u64);
            if record_offset < self.initial_offset {
                return (BAD_RECORD, 0, 0);
            }

            return (record_type, start + HEADER_SIZE, length);
        }
    }

    fn report_corruption(&mut self, bytes: u64, reason: &str) {
        self.report_drop(bytes, &Error::corruption(reason));
    }

    fn report_drop(&mut self, bytes: u64, reason: &Error) {
        // Wrapping arithmetic on purpose: LevelDB computes this in unsigned
        // 64-bit, and a drop larger than the offset wraps to "after".
        let drop_start = self
            .end_of_buffer_offset
            .wrapping_sub(self.buffer_len() as u64)
            .wrapping_sub(bytes);
        if drop_start >= self.initial_offset {
            if let Some(reporter) = self.reporter.as_mut() {
                reporter.corruption(bytes as usize, reason);
            }
        }
    }
}
