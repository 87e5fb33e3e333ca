//! LevelDB's log format, shared by the write-ahead log and the MANIFEST
//! (`docs/formats.md` §4).
//!
//! A log is a sequence of 32 KiB blocks. Each logical record is cut into
//! physical records (7-byte header + payload) that never straddle a block
//! boundary; a block's last 0-6 bytes may be a zero trailer. The
//! [`Writer`] produces exactly LevelDB 1.23's bytes and the [`Reader`]
//! reproduces LevelDB 1.23's `ReadRecord`, including which corruptions it
//! reports (with what byte counts and texts) and which it silently treats
//! as the end of a log written by a crashed process.

pub mod reader;
pub mod replay;
pub mod writer;

pub use reader::{Reader, Reporter};
pub use replay::{replay, Replayed};
pub use writer::Writer;

/// The unit the file is divided into.
pub const BLOCK_SIZE: usize = 32768;

/// Bytes of a physical record header: checksum (4), length (2), type (1).
pub const HEADER_SIZE: usize = 4 + 2 + 1;

/// The type byte of a physical record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum RecordType {
    /// Reserved for preallocated (zero-filled) file regions.
    Zero = 0,
    /// A whole logical record.
    Full = 1,
    /// The first fragment of a logical record.
    First = 2,
    /// An inner fragment.
    Middle = 3,
    /// The last fragment.
    Last = 4,
}

/// The largest valid type byte.
pub const MAX_RECORD_TYPE: u8 = RecordType::Last as u8;

/// Whether the bytes of a log from `end` (the end of its last whole
/// record) to the end of the file are what a writer killed mid-record
/// leaves, rather than damage: at most one record being written — a header
/// (possibly torn) and a payload cut short, continued through following
/// blocks while it is a FIRST or MIDDLE fragment filling its block, or
/// blocks whose header still has length 0 and type 0 (the crash-order
/// writer stores those last; readers skip such blocks) — and nothing but
/// zeros after it (the preallocated rest of a mapped log). A record that
/// is whole but fails its checksum and is followed by more records is not a
/// torn tail.
pub fn is_torn_tail(log: &[u8], end: usize) -> bool {
    let mut pos = end;
    loop {
        if pos >= log.len() {
            return true;
        }
        let block_end = (pos / BLOCK_SIZE + 1) * BLOCK_SIZE;
        if block_end - pos < HEADER_SIZE {
            if log[pos..block_end.min(log.len())].iter().any(|&b| b != 0) {
                return false;
            }
            pos = block_end;
            continue;
        }
        if pos + HEADER_SIZE > log.len() {
            // A header cut by the end of the file.
            return true;
        }
        let header = &log[pos..pos + HEADER_SIZE];
        let length = usize::from(u16::from_le_bytes([header[4], header[5]]));
        let record_type = header[6];
        if length == 0 && record_type == RecordType::Zero as u8 {
            // Zero fill, or a header not yet committed: readers skip the
            // rest of this block.
            pos = block_end;
            continue;
        }
        pos = (pos + HEADER_SIZE + length).min(block_end).min(log.len());
        let continued =
            record_type == RecordType::First as u8 || record_type == RecordType::Middle as u8;
        if !(continued && pos == block_end) {
            break;
        }
    }
    log[pos..].iter().all(|&b| b == 0)
}

/// The substance of LevelDB's `log_test`, plus property tests, over
/// in-memory files so the log can be tested without any `Env`.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::{SequentialFile, WritableFile};
    use crate::status::{Error, Result};
    use crate::util::crc;
    use proptest::prelude::*;
    use std::sync::{Arc, Mutex};

    /// A WritableFile appending to a shared Vec, counting flushes.
    struct SharedDest {
        contents: Arc<Mutex<Vec<u8>>>,
        flushes: Arc<Mutex<usize>>,
    }

    impl WritableFile for SharedDest {
        fn append(&mut self, data: &[u8]) -> Result<()> {
            self.contents.lock().unwrap().extend_from_slice(data);
            Ok(())
        }
        fn flush(&mut self) -> Result<()> {
            *self.flushes.lock().unwrap() += 1;
            Ok(())
        }
        fn sync(&mut self) -> Result<()> {
            Ok(())
        }
        fn close(&mut self) -> Result<()> {
            Ok(())
        }
    }

    /// A SequentialFile over a byte vector. Fails one read when
    /// `force_error`; returns at most `max_chunk` bytes per read (to prove
    /// the reader copes with short reads); panics if read again after it
    /// returned end of file or an error, like LevelDB's test source.
    struct StringSource {
        contents: Vec<u8>,
        pos: usize,
        force_error: bool,
        returned_eof: bool,
        max_chunk: usize,
    }

    impl StringSource {
        fn new(contents: Vec<u8>) -> StringSource {
            StringSource {
                contents,
                pos: 0,
                force_error: false,
                returned_eof: false,
                max_chunk: usize::MAX,
            }
        }
    }

    impl SequentialFile for StringSource {
        fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
            assert!(!self.returned_eof, "must not read after eof/error");
            if self.force_error {
                self.force_error = false;
                self.returned_eof = true;
                return Err(Error::corruption("read error"));
            }
            let n = buf
                .len()
                .min(self.contents.len() - self.pos)
                .min(self.max_chunk);
            if n == 0 {
                self.returned_eof = true;
            }
            buf[..n].copy_from_slice(&self.contents[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
        fn skip(&mut self, n: u64) -> Result<()> {
            let left = (self.contents.len() - self.pos) as u64;
            if n > left {
                self.pos = self.contents.len();
                return Err(Error::not_found("in-memory file skipped past end"));
            }
            self.pos += n as usize;
            Ok(())
        }
    }

    #[derive(Default)]
    struct Report {
        dropped_bytes: usize,
        message: String,
    }

    #[derive(Clone, Default)]
    struct ReportCollector(Arc<Mutex<Report>>);

    impl Reporter for ReportCollector {
        fn corruption(&mut self, bytes: usize, reason: &Error) {
            let mut r = self.0.lock().unwrap();
            r.dropped_bytes += bytes;
            r.message.push_str(&reason.to_string());
        }
    }

    /// LevelDB's LogTest fixture.
    struct LogTest {
        contents: Arc<Mutex<Vec<u8>>>,
        flushes: Arc<Mutex<usize>>,
        writer: Writer,
        report: ReportCollector,
        reader: Option<Reader>,
        force_error: bool,
    }

    impl LogTest {
        fn new() -> LogTest {
            let contents = Arc::new(Mutex::new(Vec::new()));
            let flushes = Arc::new(Mutex::new(0));
            let writer = Writer::new(Box::new(SharedDest {
                contents: contents.clone(),
                flushes: flushes.clone(),
            }));
            LogTest {
                contents,
                flushes,
                writer,
                report: ReportCollector::default(),
                reader: None,
                force_error: false,
            }
        }

        fn reopen_for_append(&mut self) {
            let len = self.written_bytes() as u64;
            self.writer = Writer::with_offset(
                Box::new(SharedDest {
                    contents: self.contents.clone(),
                    flushes: self.flushes.clone(),
                }),
                len,
            );
        }

        fn write(&mut self, msg: &[u8]) {
            assert!(self.reader.is_none(), "write after starting to read");
            self.writer.add_record(msg).unwrap();
        }

        fn written_bytes(&self) -> usize {
            self.contents.lock().unwrap().len()
        }

        fn source(&self) -> StringSource {
            let mut source = StringSource::new(self.contents.lock().unwrap().clone());
            source.force_error = self.force_error;
            source
        }

        fn start_reading_at(&mut self, initial_offset: u64) {
            let source = self.source();
            self.reader = Some(Reader::new(
                Box::new(source),
                Some(Box::new(self.report.clone())),
                true,
                initial_offset,
            ));
        }

        fn read(&mut self) -> Vec<u8> {
            if self.reader.is_none() {
                self.start_reading_at(0);
            }
            let mut record = Vec::new();
            if self.reader.as_mut().unwrap().read_record(&mut record) {
                record
            } else {
                b"EOF".to_vec()
            }
        }

        fn increment_byte(&mut self, offset: usize, delta: u8) {
            let mut c = self.contents.lock().unwrap();
            c[offset] = c[offset].wrapping_add(delta);
        }

        fn set_byte(&mut self, offset: usize, byte: u8) {
            self.contents.lock().unwrap()[offset] = byte;
        }

        fn shrink_size(&mut self, bytes: usize) {
            let mut c = self.contents.lock().unwrap();
            let len = c.len();
            c.truncate(len - bytes);
        }

        fn fix_checksum(&mut self, header_offset: usize, len: usize) {
            let mut c = self.contents.lock().unwrap();
            let crc = crc::mask(crc::value(&c[header_offset + 6..header_offset + 7 + len]));
            c[header_offset..header_offset + 4].copy_from_slice(&crc.to_le_bytes());
        }

        fn dropped_bytes(&self) -> usize {
            self.report.0.lock().unwrap().dropped_bytes
        }

        fn report_message(&self) -> String {
            self.report.0.lock().unwrap().message.clone()
        }
    }

    fn big_string(partial: &str, n: usize) -> Vec<u8> {
        partial.bytes().cycle().take(n).collect()
    }

    fn number_string(n: usize) -> Vec<u8> {
        format!("{n}.").into_bytes()
    }

    /// LevelDB's `Random::Skewed(17)`-like sizes from a small xorshift.
    fn skewed_len(state: &mut u64, max_log: u32) -> usize {
        let mut next = || {
            *state ^= *state << 13;
            *state ^= *state >> 7;
            *state ^= *state << 17;
            *state
        };
        let bits = (next() % u64::from(max_log + 1)) as u32;
        (next() % (1u64 << bits)) as usize
    }

    #[test]
    fn empty() {
        let mut t = LogTest::new();
        assert_eq!(t.read(), b"EOF");
    }

    #[test]
    fn read_write() {
        let mut t = LogTest::new();
        t.write(b"foo");
        t.write(b"bar");
        t.write(b"");
        t.write(b"xxxx");
        assert_eq!(t.read(), b"foo");
        assert_eq!(t.read(), b"bar");
        assert_eq!(t.read(), b"");
        assert_eq!(t.read(), b"xxxx");
        assert_eq!(t.read(), b"EOF");
        assert_eq!(t.read(), b"EOF"); // reads at EOF keep working
        assert_eq!(t.dropped_bytes(), 0);
    }

    #[test]
    fn exact_bytes_of_a_record() {
        let mut t = LogTest::new();
        t.write(b"foo");
        let c = t.contents.lock().unwrap().clone();
        let crc = crc::mask(crc::value(&[1, b'f', b'o', b'o']));
        let mut expected = crc.to_le_bytes().to_vec();
        expected.extend_from_slice(&[3, 0, 1, b'f', b'o', b'o']);
        assert_eq!(c, expected);
    }

    #[test]
    fn flushes_after_each_physical_record() {
        let mut t = LogTest::new();
        t.write(b"small");
        assert_eq!(*t.flushes.lock().unwrap(), 1);
        t.write(&big_string("x", 3 * BLOCK_SIZE)); // 4 fragments
        assert_eq!(*t.flushes.lock().unwrap(), 5);
    }

    #[test]
    fn many_blocks() {
        let mut t = LogTest::new();
        for i in 0..100_000 {
            t.write(&number_string(i));
        }
        assert!(t.written_bytes() > 10 * BLOCK_SIZE);
        let mut record = Vec::new();
        let mut reader = Reader::new(Box::new(t.source()), None, true, 0);
        for i in 0..100_000 {
            assert!(reader.read_record(&mut record));
            assert_eq!(record, number_string(i));
        }
        assert!(!reader.read_record(&mut record));
    }

    #[test]
    fn fragmentation() {
        let mut t = LogTest::new();
        t.write(b"small");
        t.write(&big_string("medium", 50000));
        t.write(&big_string("large", 100000));
        assert_eq!(t.read(), b"small");
        assert_eq!(t.read(), big_string("medium", 50000));
        assert_eq!(t.read(), big_string("large", 100000));
        assert_eq!(t.read(), b"EOF");
    }

    #[test]
    fn marginal_trailer() {
        // A trailer exactly the length of an empty record's header.
        let mut t = LogTest::new();
        let n = BLOCK_SIZE - 2 * HEADER_SIZE;
        t.write(&big_string("foo", n));
        assert_eq!(t.written_bytes(), BLOCK_SIZE - HEADER_SIZE);
        t.write(b"");
        t.write(b"bar");
        assert_eq!(t.read(), big_string("foo", n));
        assert_eq!(t.read(), b"");
        assert_eq!(t.read(), b"bar");
        assert_eq!(t.read(), b"EOF");
    }

    #[test]
    fn marginal_trailer2() {
        let mut t = LogTest::new();
        let n = BLOCK_SIZE - 2 * HEADER_SIZE;
        t.write(&big_string("foo", n));
        assert_eq!(t.written_bytes(), BLOCK_SIZE - HEADER_SIZE);
        t.write(b"bar");
        // "bar" starts with an empty FIRST fragment in the last 7 bytes.
        assert_eq!(t.written_bytes(), BLOCK_SIZE + HEADER_SIZE + 3);
        assert_eq!(t.read(), big_string("foo", n));
        assert_eq!(t.read(), b"bar");
        assert_eq!(t.read(), b"EOF");
        assert_eq!(t.dropped_bytes(), 0);
        assert_eq!(t.report_message(), "");
    }

    #[test]
    fn short_trailer() {
        let mut t = LogTest::new();
        let n = BLOCK_SIZE - 2 * HEADER_SIZE + 4;
        t.write(&big_string("foo", n));
        assert_eq!(t.written_bytes(), BLOCK_SIZE - HEADER_SIZE + 4);
        t.write(b"");
        // The 3-byte trailer is zero-filled.
        assert_eq!(t.written_bytes(), BLOCK_SIZE + HEADER_SIZE);
        assert_eq!(
            &t.contents.lock().unwrap()[BLOCK_SIZE - 3..BLOCK_SIZE],
            &[0, 0, 0]
        );
        t.write(b"bar");
        assert_eq!(t.read(), big_string("foo", n));
        assert_eq!(t.read(), b"");
        assert_eq!(t.read(), b"bar");
        assert_eq!(t.read(), b"EOF");
    }

    #[test]
    fn aligned_eof() {
        let mut t = LogTest::new();
        let n = BLOCK_SIZE - 2 * HEADER_SIZE + 4;
        t.write(&big_string("foo", n));
        assert_eq!(t.written_bytes(), BLOCK_SIZE - HEADER_SIZE + 4);
        assert_eq!(t.read(), big_string("foo", n));
        assert_eq!(t.read(), b"EOF");
    }

    #[test]
    fn open_for_append() {
        let mut t = LogTest::new();
        t.write(b"hello");
        t.reopen_for_append();
        t.write(b"world");
        assert_eq!(t.read(), b"hello");
        assert_eq!(t.read(), b"world");
        assert_eq!(t.read(), b"EOF");
    }

    #[test]
    fn open_for_append_mid_trailer() {
        // Reopening where fewer than 7 bytes remain in the block must pad.
        let mut t = LogTest::new();
        t.write(&big_string("a", BLOCK_SIZE - HEADER_SIZE - 3));
        assert_eq!(t.written_bytes(), BLOCK_SIZE - 3);
        t.reopen_for_append();
        t.write(b"next");
        assert_eq!(t.written_bytes(), BLOCK_SIZE + HEADER_SIZE + 4);
        assert_eq!(t.read(), big_string("a", BLOCK_SIZE - HEADER_SIZE - 3));
        assert_eq!(t.read(), b"next");
        assert_eq!(t.read(), b"EOF");
    }

    #[test]
    fn random_read() {
        let mut t = LogTest::new();
        let n = 500;
        let mut state = 301;
        let record = |i: usize, state: &mut u64| {
            let len = skewed_len(state, 17);
            big_string(std::str::from_utf8(&number_string(i)).unwrap(), len)
        };
        for i in 0..n {
            let r = record(i, &mut state);
            t.write(&r);
        }
        let mut state = 301;
        for i in 0..n {
            assert_eq!(t.read(), record(i, &mut state));
        }
        assert_eq!(t.read(), b"EOF");
    }

    // Every error path of the reader.

    #[test]
    fn read_error() {
        let mut t = LogTest::new();
        t.write(b"foo");
        t.force_error = true;
        assert_eq!(t.read(), b"EOF");
        assert_eq!(t.dropped_bytes(), BLOCK_SIZE);
        assert_eq!(t.report_message(), "Corruption: read error");
    }

    #[test]
    fn bad_record_type() {
        let mut t = LogTest::new();
        t.write(b"foo");
        t.increment_byte(6, 100);
        t.fix_checksum(0, 3);
        assert_eq!(t.read(), b"EOF");
        assert_eq!(t.dropped_bytes(), 3);
        assert_eq!(t.report_message(), "Corruption: unknown record type 101");
    }

    #[test]
    fn high_record_type_prints_like_signed_char() {
        let mut t = LogTest::new();
        t.write(b"foo");
        t.set_byte(6, 0xff);
        t.fix_checksum(0, 3);
        assert_eq!(t.read(), b"EOF");
        assert_eq!(
            t.report_message(),
            "Corruption: unknown record type 4294967295"
        );
    }

    #[test]
    fn nonzero_length_zero_type_is_unknown() {
        let mut t = LogTest::new();
        t.write(b"foo");
        t.write(b"bar");
        t.set_byte(6, 0);
        t.fix_checksum(0, 3);
        assert_eq!(t.read(), b"bar");
        assert_eq!(t.dropped_bytes(), 3);
        assert_eq!(t.report_message(), "Corruption: unknown record type 0");
    }

    #[test]
    fn zero_filled_region_skips_block_silently() {
        let mut t = LogTest::new();
        t.write(b"foo");
        // A preallocated zero region after the record, then a new block.
        t.contents.lock().unwrap().resize(BLOCK_SIZE, 0);
        t.reopen_for_append();
        t.write(b"bar");
        assert_eq!(t.read(), b"foo");
        assert_eq!(t.read(), b"bar");
        assert_eq!(t.read(), b"EOF");
        assert_eq!(t.dropped_bytes(), 0);
    }

    #[test]
    fn truncated_trailing_record_is_ignored() {
        let mut t = LogTest::new();
        t.write(b"foo");
        t.shrink_size(4); // all of the payload and one header byte
        assert_eq!(t.read(), b"EOF");
        assert_eq!(t.dropped_bytes(), 0);
        assert_eq!(t.report_message(), "");
    }

    #[test]
    fn bad_length() {
        let mut t = LogTest::new();
        let payload = BLOCK_SIZE - HEADER_SIZE;
        t.write(&big_string("bar", payload));
        t.write(b"foo");
        // The low length byte is header[4].
        t.increment_byte(4, 1);
        assert_eq!(t.read(), b"foo");
        assert_eq!(t.dropped_bytes(), BLOCK_SIZE);
        assert_eq!(t.report_message(), "Corruption: bad record length");
    }

    #[test]
    fn bad_length_at_end_is_ignored() {
        let mut t = LogTest::new();
        t.write(b"foo");
        t.shrink_size(1);
        assert_eq!(t.read(), b"EOF");
        assert_eq!(t.dropped_bytes(), 0);
        assert_eq!(t.report_message(), "");
    }

    #[test]
    fn checksum_mismatch() {
        let mut t = LogTest::new();
        t.write(b"foo");
        t.increment_byte(0, 10);
        assert_eq!(t.read(), b"EOF");
        assert_eq!(t.dropped_bytes(), 10);
        assert_eq!(t.report_message(), "Corruption: checksum mismatch");
    }

    #[test]
    fn checksum_mismatch_ignored_without_checksums() {
        let mut t = LogTest::new();
        t.write(b"foo");
        t.increment_byte(0, 10);
        let mut reader = Reader::new(Box::new(t.source()), None, false, 0);
        let mut record = Vec::new();
        assert!(reader.read_record(&mut record));
        assert_eq!(record, b"foo");
    }

    #[test]
    fn unexpected_middle_type() {
        let mut t = LogTest::new();
        t.write(b"foo");
        t.set_byte(6, RecordType::Middle as u8);
        t.fix_checksum(0, 3);
        assert_eq!(t.read(), b"EOF");
        assert_eq!(t.dropped_bytes(), 3);
        assert_eq!(
            t.report_message(),
            "Corruption: missing start of fragmented record(1)"
        );
    }

    #[test]
    fn unexpected_last_type() {
        let mut t = LogTest::new();
        t.write(b"foo");
        t.set_byte(6, RecordType::Last as u8);
        t.fix_checksum(0, 3);
        assert_eq!(t.read(), b"EOF");
        assert_eq!(t.dropped_bytes(), 3);
        assert_eq!(
            t.report_message(),
            "Corruption: missing start of fragmented record(2)"
        );
    }

    #[test]
    fn unexpected_full_type() {
        let mut t = LogTest::new();
        t.write(b"foo");
        t.write(b"bar");
        t.set_byte(6, RecordType::First as u8);
        t.fix_checksum(0, 3);
        assert_eq!(t.read(), b"bar");
        assert_eq!(t.read(), b"EOF");
        assert_eq!(t.dropped_bytes(), 3);
        assert_eq!(
            t.report_message(),
            "Corruption: partial record without end(1)"
        );
    }

    #[test]
    fn unexpected_first_type() {
        let mut t = LogTest::new();
        t.write(b"foo");
        t.write(&big_string("bar", 100000));
        t.set_byte(6, RecordType::First as u8);
        t.fix_checksum(0, 3);
        assert_eq!(t.read(), big_string("bar", 100000));
        assert_eq!(t.read(), b"EOF");
        assert_eq!(t.dropped_bytes(), 3);
        assert_eq!(
            t.report_message(),
            "Corruption: partial record without end(2)"
        );
    }

    #[test]
    fn missing_last_is_ignored() {
        let mut t = LogTest::new();
        t.write(&big_string("bar", BLOCK_SIZE));
        // Remove the LAST fragment, header included.
        t.shrink_size(14);
        assert_eq!(t.read(), b"EOF");
        assert_eq!(t.report_message(), "");
        assert_eq!(t.dropped_bytes(), 0);
    }

    #[test]
    fn partial_last_is_ignored() {
        let mut t = LogTest::new();
        t.write(&big_string("bar", BLOCK_SIZE));
        // A bad length in the LAST fragment, at end of file.
        t.shrink_size(1);
        assert_eq!(t.read(), b"EOF");
        assert_eq!(t.report_message(), "");
        assert_eq!(t.dropped_bytes(), 0);
    }

    #[test]
    fn skip_into_multi_record() {
        // first(R1) middle(R1) last(R1) first(R2): starting inside R1, its
        // fragments are not errors; reading resumes at R2.
        let mut t = LogTest::new();
        t.write(&big_string("foo", 3 * BLOCK_SIZE));
        t.write(b"correct");
        t.start_reading_at(BLOCK_SIZE as u64);
        assert_eq!(t.read(), b"correct");
        assert_eq!(t.report_message(), "");
        assert_eq!(t.dropped_bytes(), 0);
        assert_eq!(t.read(), b"EOF");
    }

    #[test]
    fn error_joins_records() {
        // first(R1) last(R1) first(R2) last(R2) with the middle two lost:
        // first(R1) + last(R2) must not be returned as a record.
        let mut t = LogTest::new();
        t.write(&big_string("foo", BLOCK_SIZE));
        t.write(&big_string("bar", BLOCK_SIZE));
        t.write(b"correct");
        for offset in BLOCK_SIZE..2 * BLOCK_SIZE {
            t.set_byte(offset, b'x');
        }
        assert_eq!(t.read(), b"correct");
        assert_eq!(t.read(), b"EOF");
        let dropped = t.dropped_bytes();
        assert!(dropped <= 2 * BLOCK_SIZE + 100, "{dropped}");
        assert!(dropped >= 2 * BLOCK_SIZE, "{dropped}");
        assert!(t.report_message().contains("Corruption: checksum mismatch"));
        assert!(t
            .report_message()
            .contains("Corruption: error in middle of record"));
    }

    #[test]
    fn short_reads_are_reassembled() {
        let mut t = LogTest::new();
        let records: Vec<Vec<u8>> = (0..50)
            .map(|i| big_string(&format!("{i}:"), i * 3001))
            .collect();
        for r in &records {
            t.write(r);
        }
        let mut source = t.source();
        source.max_chunk = 777;
        let mut reader = Reader::new(Box::new(source), Some(Box::new(t.report.clone())), true, 0);
        let mut record = Vec::new();
        for r in &records {
            assert!(reader.read_record(&mut record));
            assert_eq!(&record, r);
        }
        assert!(!reader.read_record(&mut record));
        assert_eq!(t.dropped_bytes(), 0);
    }

    // Initial offsets, with LevelDB's record layout.

    const INITIAL_OFFSET_RECORD_SIZES: [usize; 6] = [
        10000, // two sizable records in the first block
        10000,
        2 * BLOCK_SIZE - 1000, // spans three blocks
        1,
        13716,                    // fills all but two bytes of block 3
        BLOCK_SIZE - HEADER_SIZE, // fills block 4 exactly
    ];

    const INITIAL_OFFSET_LAST_RECORD_OFFSETS: [u64; 6] = [
        0,
        (HEADER_SIZE + 10000) as u64,
        (2 * (HEADER_SIZE + 10000)) as u64,
        (2 * (HEADER_SIZE + 10000) + (2 * BLOCK_SIZE - 1000) + 3 * HEADER_SIZE) as u64,
        (2 * (HEADER_SIZE + 10000) + (2 * BLOCK_SIZE - 1000) + 3 * HEADER_SIZE + HEADER_SIZE + 1)
            as u64,
        (3 * BLOCK_SIZE) as u64,
    ];

    fn write_initial_offset_log(t: &mut LogTest) {
        for (i, &size) in INITIAL_OFFSET_RECORD_SIZES.iter().enumerate() {
            t.write(&vec![b'a' + i as u8; size]);
        }
    }

    fn check_offset_past_end_returns_no_records(offset_past_end: u64) {
        let mut t = LogTest::new();
        write_initial_offset_log(&mut t);
        let end = t.written_bytes() as u64;
        t.start_reading_at(end + offset_past_end);
        assert_eq!(t.read(), b"EOF");
        assert_eq!(t.read(), b"EOF");
    }

    fn check_initial_offset_record(initial_offset: u64, mut expected_index: usize) {
        let mut t = LogTest::new();
        write_initial_offset_log(&mut t);
        t.start_reading_at(initial_offset);
        assert!(expected_index < INITIAL_OFFSET_RECORD_SIZES.len());
        while expected_index < INITIAL_OFFSET_RECORD_SIZES.len() {
            let record = t.read();
            assert_eq!(record.len(), INITIAL_OFFSET_RECORD_SIZES[expected_index]);
            assert_eq!(
                t.reader.as_ref().unwrap().last_record_offset(),
                INITIAL_OFFSET_LAST_RECORD_OFFSETS[expected_index]
            );
            assert_eq!(record[0], b'a' + expected_index as u8);
            expected_index += 1;
        }
        assert_eq!(t.read(), b"EOF");
    }

    #[test]
    fn initial_offsets_from_leveldb() {
        check_initial_offset_record(0, 0); // ReadStart
        check_initial_offset_record(1, 1); // ReadSecondOneOff
        check_initial_offset_record(10000, 1); // ReadSecondTenThousand
        check_initial_offset_record(10007, 1); // ReadSecondStart
        check_initial_offset_record(10008, 2); // ReadThirdOneOff
        check_initial_offset_record(20014, 2); // ReadThirdStart
        check_initial_offset_record(20015, 3); // ReadFourthOneOff
        check_initial_offset_record(BLOCK_SIZE as u64 - 4, 3); // first block trailer
        check_initial_offset_record(BLOCK_SIZE as u64 + 1, 3); // middle block
        check_initial_offset_record(2 * BLOCK_SIZE as u64 + 1, 3); // last block
        check_initial_offset_record(
            (2 * (HEADER_SIZE + 1000) + (2 * BLOCK_SIZE - 1000) + 3 * HEADER_SIZE) as u64,
            3,
        ); // ReadFourthStart (LevelDB's own arithmetic)
        check_initial_offset_record(3 * BLOCK_SIZE as u64 - 3, 5); // into block padding
        check_offset_past_end_returns_no_records(0);
        check_offset_past_end_returns_no_records(5);
    }

    #[test]
    fn drops_before_initial_offset_are_not_reported() {
        let mut t = LogTest::new();
        t.write(b"foo");
        t.write(b"bar");
        t.write(&big_string(
            "x",
            BLOCK_SIZE - 2 * (HEADER_SIZE + 3) - HEADER_SIZE,
        ));
        assert_eq!(t.written_bytes(), BLOCK_SIZE); // block 0 is full
        t.write(b"next");
        t.increment_byte(0, 1); // "foo" fails its checksum: block 0 is dropped
        t.start_reading_at(HEADER_SIZE as u64 + 3); // start at "bar"
        assert_eq!(t.read(), b"next");
        assert_eq!(t.read(), b"EOF");
        // The drop began at offset 0, before the initial offset.
        assert_eq!(t.report_message(), "");
        assert_eq!(t.dropped_bytes(), 0);
    }

    #[test]
    fn fragments_of_a_record_begun_before_the_initial_offset_are_reported() {
        // LevelDB quirk, reproduced: a record skipped because it started
        // before the initial offset ends resyncing, so its later fragments
        // are reported as missing their start.
        let mut t = LogTest::new();
        write_initial_offset_log(&mut t);
        t.start_reading_at(20015);
        assert_eq!(t.read().len(), INITIAL_OFFSET_RECORD_SIZES[3]);
        let first = BLOCK_SIZE - 20014 - HEADER_SIZE;
        let middle = BLOCK_SIZE - HEADER_SIZE;
        let last = INITIAL_OFFSET_RECORD_SIZES[2] - first - middle;
        assert_eq!(t.dropped_bytes(), middle + last);
        assert_eq!(
            t.report_message(),
            "Corruption: missing start of fragmented record(1)\
             Corruption: missing start of fragmented record(2)"
        );
    }

    #[test]
    fn failed_skip_is_reported_and_ends_the_log() {
        let mut t = LogTest::new();
        t.write(b"foo");
        t.start_reading_at(3 * BLOCK_SIZE as u64);
        assert_eq!(t.read(), b"EOF");
        // The drop would start at offset 0, before the initial offset.
        assert_eq!(t.report_message(), "");
    }

    /// Where a record written at file length `len` actually starts.
    fn record_start(len: u64) -> u64 {
        let leftover = BLOCK_SIZE as u64 - len % BLOCK_SIZE as u64;
        if leftover < HEADER_SIZE as u64 {
            len + leftover
        } else {
            len
        }
    }

    /// Every initial offset near a record start or block boundary, and a
    /// stride of the rest: the records returned are exactly those starting
    /// at or after the offset, with the right `last_record_offset`.
    #[test]
    fn all_initial_offsets() {
        let mut t = LogTest::new();
        let mut starts = Vec::new();
        for (i, &size) in INITIAL_OFFSET_RECORD_SIZES.iter().enumerate() {
            starts.push(record_start(t.written_bytes() as u64));
            t.write(&vec![b'a' + i as u8; size]);
        }
        // A few records around the block 5 boundary with marginal trailers.
        for (i, size) in [BLOCK_SIZE - 2 * HEADER_SIZE - 1, 0, 5, 0]
            .into_iter()
            .enumerate()
        {
            starts.push(record_start(t.written_bytes() as u64));
            t.write(&vec![b'g' + i as u8; size]);
        }
        assert_eq!(&starts[..6], &INITIAL_OFFSET_LAST_RECORD_OFFSETS);
        let end = t.written_bytes() as u64;
        let data = t.contents.lock().unwrap().clone();

        let mut offsets: Vec<u64> = (0..end + 10).step_by(61).collect();
        for anchor in starts
            .iter()
            .copied()
            .chain((0..=end / BLOCK_SIZE as u64 + 1).map(|b| b * BLOCK_SIZE as u64))
        {
            offsets.extend(anchor.saturating_sub(8)..anchor + 9);
        }
        offsets.sort_unstable();
        offsets.dedup();

        let mut record = Vec::new();
        for initial_offset in offsets {
            let mut reader = Reader::new(
                Box::new(StringSource::new(data.clone())),
                None,
                true,
                initial_offset,
            );
            let mut got = Vec::new();
            while reader.read_record(&mut record) {
                got.push((
                    reader.last_record_offset(),
                    record[..record.len().min(1)].to_vec(),
                ));
            }
            let expected: Vec<(u64, Vec<u8>)> = starts
                .iter()
                .enumerate()
                .filter(|(_, &s)| s >= initial_offset)
                .map(|(i, &s)| {
                    let first = if i < 6 {
                        b'a' + i as u8
                    } else {
                        b'g' + (i - 6) as u8
                    };
                    let len = if i < 6 {
                        INITIAL_OFFSET_RECORD_SIZES[i]
                    } else {
                        [BLOCK_SIZE - 2 * HEADER_SIZE - 1, 0, 5, 0][i - 6]
                    };
                    (s, if len == 0 { vec![] } else { vec![first] })
                })
                .collect();
            assert_eq!(got, expected, "initial offset {initial_offset}");
        }
    }

    // Property tests.

    fn record_strategy() -> impl Strategy<Value = Vec<Vec<u8>>> {
        let size = prop_oneof![
            4 => 0usize..100,
            2 => 100usize..5000,
            1 => 5000usize..3 * BLOCK_SIZE,
            1 => (BLOCK_SIZE - 2 * HEADER_SIZE - 8)..(BLOCK_SIZE - 2 * HEADER_SIZE + 8),
        ];
        proptest::collection::vec(size, 0..20).prop_map(|sizes| {
            sizes
                .into_iter()
                .enumerate()
                .map(|(i, n)| {
                    // Distinct, self-identifying contents.
                    let tag = format!("<{i}>");
                    tag.bytes()
                        .chain((0..n).map(|j| (j * 31 + i * 7) as u8))
                        .take(n.max(tag.len()))
                        .collect()
                })
                .collect()
        })
    }

    fn write_log(records: &[Vec<u8>], reopen_at: usize) -> Vec<u8> {
        let contents = Arc::new(Mutex::new(Vec::new()));
        let dest = || {
            Box::new(SharedDest {
                contents: contents.clone(),
                flushes: Arc::new(Mutex::new(0)),
            })
        };
        let mut writer = Writer::new(dest());
        for (i, r) in records.iter().enumerate() {
            if i == reopen_at {
                let len = contents.lock().unwrap().len() as u64;
                writer = Writer::with_offset(dest(), len);
            }
            writer.add_record(r).unwrap();
        }
        let data = contents.lock().unwrap().clone();
        data
    }

    fn read_log(data: Vec<u8>, checksum: bool, max_chunk: usize) -> (Vec<Vec<u8>>, Report) {
        let report = ReportCollector::default();
        let mut source = StringSource::new(data);
        source.max_chunk = max_chunk;
        let mut reader = Reader::new(
            Box::new(source),
            Some(Box::new(report.clone())),
            checksum,
            0,
        );
        let mut out = Vec::new();
        let mut record = Vec::new();
        while reader.read_record(&mut record) {
            out.push(record.clone());
        }
        let r = std::mem::take(&mut *report.0.lock().unwrap());
        (out, r)
    }

    #[derive(Clone, Debug)]
    enum Damage {
        BitFlip(prop::sample::Index, u8),
        Truncate(prop::sample::Index),
        Garbage(prop::sample::Index, Vec<u8>),
        Overwrite(prop::sample::Index, Vec<u8>),
        Zeros(prop::sample::Index, usize),
    }

    fn damage_strategy() -> impl Strategy<Value = Damage> {
        let idx = any::<prop::sample::Index>;
        prop_oneof![
            4 => (idx(), 0u8..8).prop_map(|(i, b)| Damage::BitFlip(i, b)),
            1 => idx().prop_map(Damage::Truncate),
            2 => (idx(), proptest::collection::vec(any::<u8>(), 1..100)).prop_map(|(i, g)| Damage::Garbage(i, g)),
            2 => (idx(), proptest::collection::vec(any::<u8>(), 1..100)).prop_map(|(i, g)| Damage::Overwrite(i, g)),
            1 => (idx(), 1usize..2 * BLOCK_SIZE).prop_map(|(i, n)| Damage::Zeros(i, n)),
        ]
    }

    fn apply(data: &mut Vec<u8>, damage: &Damage) {
        if data.is_empty() {
            return;
        }
        match damage {
            Damage::BitFlip(i, bit) => {
                let i = i.index(data.len());
                data[i] ^= 1 << bit;
            }
            Damage::Truncate(i) => data.truncate(i.index(data.len())),
            Damage::Garbage(i, g) => {
                let i = i.index(data.len() + 1);
                data.splice(i..i, g.iter().copied());
            }
            Damage::Overwrite(i, g) => {
                let i = i.index(data.len());
                let end = (i + g.len()).min(data.len());
                data[i..end].copy_from_slice(&g[..end - i]);
            }
            Damage::Zeros(i, n) => {
                let i = i.index(data.len());
                let end = (i + n).min(data.len());
                data[i..end].fill(0);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        #[test]
        fn records_roundtrip(records in record_strategy(), reopen in any::<prop::sample::Index>(), chunk in prop_oneof![Just(usize::MAX), 1usize..5000]) {
            let data = write_log(&records, reopen.index(records.len() + 1));
            let (read, report) = read_log(data, true, chunk);
            prop_assert_eq!(report.message, "");
            prop_assert_eq!(report.dropped_bytes, 0);
            prop_assert_eq!(read, records);
        }

        #[test]
        fn damage_never_yields_unwritten_records(records in record_strategy(), damages in proptest::collection::vec(damage_strategy(), 1..4)) {
            let mut data = write_log(&records, usize::MAX);
            for d in &damages {
                apply(&mut data, d);
            }
            let (read, _) = read_log(data.clone(), true, usize::MAX);
            // What is returned is a subsequence of what was written.
            let mut next = 0;
            for r in &read {
                let pos = records[next..].iter().position(|w| w == r);
                prop_assert!(pos.is_some(), "returned a record never written ({} bytes)", r.len());
                next += pos.unwrap() + 1;
            }
            // Without checksums anything may come back, but nothing panics.
            let _ = read_log(data, false, 1000);
        }
    }

    /// One store into a simulated mapped log: bytes at an absolute offset,
    /// and whether it was a header commit (`store_ahead`).
    type Store = (usize, Vec<u8>, bool);

    /// A WritableFile that behaves like the mapped log (in-place writes into
    /// a zero-filled, preallocated region) and records every store, so a
    /// test can rebuild the file as a process killed after any store left it.
    struct StoreRecorder {
        stores: Arc<Mutex<Vec<Store>>>,
        end: usize,
        /// Memcpy is not atomic: split copies into single bytes, copied in
        /// reverse (so a cut copy can miss its first bytes too).
        split_copies: bool,
    }

    impl WritableFile for StoreRecorder {
        fn append(&mut self, data: &[u8]) -> Result<()> {
            self.stores
                .lock()
                .unwrap()
                .push((self.end, data.to_vec(), false));
            self.end += data.len();
            Ok(())
        }
        fn flush(&mut self) -> Result<()> {
            Ok(())
        }
        fn sync(&mut self) -> Result<()> {
            Ok(())
        }
        fn close(&mut self) -> Result<()> {
            Ok(())
        }
        fn reserve_ahead(&mut self, _len: usize) -> Result<bool> {
            Ok(true)
        }
        fn write_ahead(&mut self, at: usize, data: &[u8]) -> Result<()> {
            let mut stores = self.stores.lock().unwrap();
            if self.split_copies && data.len() <= 64 {
                for (i, &b) in data.iter().enumerate().rev() {
                    stores.push((self.end + at + i, vec![b], false));
                }
            } else {
                stores.push((self.end + at, data.to_vec(), false));
            }
            Ok(())
        }
        fn store_ahead(&mut self, at: usize, word: [u8; 4]) -> Result<()> {
            self.stores
                .lock()
                .unwrap()
                .push((self.end + at, word.to_vec(), true));
            Ok(())
        }
        fn advance(&mut self, n: usize) -> Result<()> {
            self.end += n;
            Ok(())
        }
    }

    /// The file after the first `n` stores, preallocated to `size` bytes.
    fn after_stores(stores: &[Store], n: usize, size: usize) -> Vec<u8> {
        let mut file = vec![0u8; size];
        for (at, bytes, _) in &stores[..n] {
            file[*at..*at + bytes.len()].copy_from_slice(bytes);
        }
        file
    }

    fn read_all(file: Vec<u8>) -> (Vec<Vec<u8>>, Report) {
        let report = ReportCollector::default();
        let mut reader = Reader::new(
            Box::new(StringSource::new(file)),
            Some(Box::new(report.clone())),
            true,
            0,
        );
        let mut records = Vec::new();
        let mut record = Vec::new();
        while reader.read_record(&mut record) {
            records.push(record.clone());
        }
        let r = std::mem::take(&mut *report.0.lock().unwrap());
        (records, r)
    }

    /// A process killed after any store of the crash-order writer leaves a
    /// log that LevelDB's reader logic (ours reproduces it) reads without
    /// reporting anything, to the last whole record — except between the
    /// header commits of one record spanning blocks, the window the writer
    /// documents. The records cross block boundaries and one spans three
    /// blocks; the preallocated region is zero-filled past the data.
    #[test]
    fn every_crash_point_of_the_in_place_writer_reads_clean() {
        for split_copies in [false, true] {
            let stores = Arc::new(Mutex::new(Vec::new()));
            let mut writer = Writer::new(Box::new(StoreRecorder {
                stores: stores.clone(),
                end: 0,
                split_copies,
            }));
            let mut records: Vec<Vec<u8>> = Vec::new();
            // Store count after each record is complete.
            let mut done_after = Vec::new();
            let mut state = 0x1234_5678u64;
            for i in 0..60 {
                let len = match i {
                    7 => 70_000,
                    13 => 0,
                    _ => 1 + skewed_len(&mut state, 13),
                };
                let rec = big_string(&format!("r{i}-"), len);
                writer.add_record(&rec).unwrap();
                records.push(rec);
                done_after.push(stores.lock().unwrap().len());
            }
            let stores = stores.lock().unwrap().clone();
            let size = (stores.iter().map(|(a, b, _)| a + b.len()).max().unwrap() / BLOCK_SIZE + 2)
                * BLOCK_SIZE;
            let mut windows = 0;
            for n in 0..=stores.len() {
                let whole = done_after.iter().filter(|&&d| d <= n).count();
                let (got, report) = read_all(after_stores(&stores, n, size));
                if report.dropped_bytes > 0 {
                    // Only between two header commits (of one record).
                    assert!(
                        n >= 1 && stores[n - 1].2 && stores.get(n).is_some_and(|s| s.2),
                        "crash after store {n}: {}",
                        report.message
                    );
                    assert_eq!(report.message, "Corruption: error in middle of record");
                    windows += 1;
                }
                assert_eq!(got.len(), whole, "crash after store {n}");
                assert!(got.iter().zip(&records).all(|(a, b)| a == b));
            }
            assert!(windows > 0 && windows < stores.len() / 20, "{windows}");
        }
    }

    #[test]
    fn torn_tails_and_damage_are_told_apart() {
        let mut t = LogTest::new();
        t.write(b"first");
        t.write(&big_string("x", 100));
        let whole = t.written_bytes();
        t.write(&big_string("torn", 300));
        let mut log = t.contents.lock().unwrap().clone();
        log.resize(2 * BLOCK_SIZE, 0);
        // A payload cut short, zeros after it: a torn tail.
        let mut torn = log.clone();
        torn[whole + HEADER_SIZE + 100..whole + HEADER_SIZE + 300].fill(0);
        assert!(is_torn_tail(&torn, whole));
        // The whole of it, zeros after: still only the last record.
        assert!(is_torn_tail(&log, whole));
        // Nothing but zeros, or the end of the file.
        assert!(is_torn_tail(&log, log.len()));
        assert!(is_torn_tail(&vec![0; BLOCK_SIZE], 0));
        // Something after the torn record: damage.
        let mut more = torn.clone();
        more[BLOCK_SIZE + 100] = 1;
        assert!(!is_torn_tail(&more, whole));
        // From an earlier record on, the records after it are data.
        assert!(!is_torn_tail(&log, 0));
        // A FIRST fragment filling its block continues into the next block.
        let mut t = LogTest::new();
        t.write(&big_string("big", BLOCK_SIZE + 500));
        let mut log = t.contents.lock().unwrap().clone();
        log.resize(3 * BLOCK_SIZE, 0);
        assert!(is_torn_tail(&log, 0));
        log[2 * BLOCK_SIZE + 10] = 1;
        assert!(!is_torn_tail(&log, 0));
    }
}
