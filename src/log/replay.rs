//! Reading a whole log from start to end: the one loop behind the recovery
//! of the write-ahead log, the replay of the MANIFEST and the conversion of
//! logs by repair.
//!
//! Invariants: records reach `on_record` in log order; every corruption the
//! reader finds reaches `on_corruption` before the record read after it, so
//! a caller that stops at the first corruption (paranoid recovery, the
//! MANIFEST) never applies a record that follows damage; a record shorter
//! than `min_record_len` is reported as a corruption and skipped, never
//! passed on.

use std::sync::Arc;

use parking_lot::Mutex;

use super::{Reader, Reporter};
use crate::env::SequentialFile;
use crate::status::{Error, Result};

/// How a replay ended.
pub struct Replayed {
    /// `Ok` when the whole log was read, or the first error a callback
    /// returned.
    pub status: Result<()>,
    /// Whether `status` is a corruption found while looking for a record
    /// after the last one (damage at the very end of the log, where a
    /// crashed writer leaves its torn last record).
    pub stopped_at_end: bool,
    /// File offset just past the last whole record read.
    pub end_of_last_record: u64,
    /// Whole records read.
    pub records: u64,
}

/// Reads every record of `file` (verifying checksums if `checksum`), passing
/// each corruption to `on_corruption` and each record, with the file offset
/// where it starts, to `on_record`. An
/// error from either callback stops the replay and becomes its status.
pub fn replay(
    file: Box<dyn SequentialFile>,
    checksum: bool,
    min_record_len: usize,
    on_corruption: &mut dyn FnMut(usize, &Error) -> Result<()>,
    on_record: &mut dyn FnMut(u64, &[u8]) -> Result<()>,
) -> Replayed {
    // The reader owns its reporter; the reporter only queues what it is
    // told, and this loop hands the queue to `on_corruption` between reads.
    let drops: Arc<Mutex<Vec<(usize, Error)>>> = Arc::default();
    let mut reader = Reader::new(file, Some(Box::new(Queue(Arc::clone(&drops)))), checksum, 0);
    let mut record = Vec::new();
    let mut replayed = Replayed {
        status: Ok(()),
        stopped_at_end: false,
        end_of_last_record: 0,
        records: 0,
    };
    loop {
        let more = reader.read_record(&mut record);
        let found: Vec<(usize, Error)> = std::mem::take(&mut *drops.lock());
        for (bytes, reason) in &found {
            if let Err(e) = on_corruption(*bytes, reason) {
                replayed.status = Err(e);
                replayed.stopped_at_end = !more;
                return replayed;
            }
        }
        if !more {
            return replayed;
        }
        replayed.end_of_last_record = reader.end_of_last_record();
        replayed.records += 1;
        let result = if record.len() < min_record_len {
            on_corruption(record.len(), &Error::corruption("log record too small"))
        } else {
            on_record(reader.last_record_offset(), &record)
        };
        if let Err(e) = result {
            replayed.status = Err(e);
            return replayed;
        }
    }
}

/// Queues the reader's corruption reports for the replay loop.
struct Queue(Arc<Mutex<Vec<(usize, Error)>>>);

impl Reporter for Queue {
    fn corruption(&mut self, bytes: usize, reason: &Error) {
        self.0.lock().push((bytes, reason.clone()));
    }
}
