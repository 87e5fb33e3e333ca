//! The database iterator (LevelDB's DBIter): turns the merged stream of
//! internal keys from memtables and tables into the user-visible sequence
//! of live keys as of one sequence number.
//!
//! Invariants: entries newer than the iterator's sequence are invisible; of
//! the visible entries for a user key only the newest counts, and a deletion
//! hides the key. Moving forward, the inner iterator sits on the entry
//! yielded; moving backward, it sits just before all entries of the yielded
//! key, whose key and value are copied into `saved_key`/`saved_value`. The
//! iterator owns (through `Arc`s) every memtable, table and version it reads,
//! so it stays valid while flushes and compactions replace files, and even
//! after the database is closed. Not thread-safe (one user at a time) but
//! `Send`.

use std::cmp::Ordering;
use std::sync::{Arc, Weak};

use crate::iterator::{EntrySlice, InternalIterator};
use crate::key::{
    append_internal_key, extract_user_key, parse_internal_key, InternalKeyComparator,
    SequenceNumber, ValueType, VALUE_TYPE_FOR_SEEK,
};
use crate::status::{Error, Result};
use crate::version::version::Version;
use crate::version::READ_BYTES_PERIOD;

use super::DbInner;

/// The error for an entry whose internal key does not parse.
fn corrupted_key() -> Error {
    Error::corruption("corrupted internal key in DBIter")
}

/// LevelDB's Park–Miller generator (util/random.h), for read sampling.
struct Random(u32);

impl Random {
    fn new(seed: u32) -> Random {
        let mut s = seed & 0x7fff_ffff;
        if s == 0 || s == 2_147_483_647 {
            s = 1;
        }
        Random(s)
    }
    fn next(&mut self) -> u32 {
        let product = u64::from(self.0) * 16807;
        let mut s = ((product >> 31) + (product & 0x7fff_ffff)) as u32;
        if s > 0x7fff_ffff {
            s -= 0x7fff_ffff;
        }
        self.0 = s;
        s
    }
    fn uniform(&mut self, n: u64) -> u64 {
        u64::from(self.next()) % n
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Forward,
    Reverse,
}

/// LevelDB's cursor over a database, from [`DB::iter`](crate::DB::iter):
/// it sees the database as of its creation (or its snapshot), moves both
/// ways through the [`Iterator`](crate::Iterator) trait and lends each key
/// and value in place. It keeps the files it reads alive, so it stays
/// usable while compactions replace them. `Send`, not `Sync`.
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// # let db = leveldb::DB::open(leveldb::Options { create_if_missing: true, ..Default::default() }, dir.path()).unwrap();
/// use leveldb::{Iterator as _, ReadOptions};
///
/// db.put(&Default::default(), b"k1", b"v1").unwrap();
/// let mut it = db.iter(&ReadOptions::new());
/// db.put(&Default::default(), b"k2", b"v2").unwrap(); // not seen by `it`
/// it.seek_to_first();
/// assert_eq!((it.key(), it.value()), (&b"k1"[..], &b"v1"[..]));
/// it.next();
/// assert!(!it.valid());
/// ```
pub struct DbIterator {
    /// Compares user keys (inline for the bytewise comparator).
    icmp: InternalKeyComparator,
    iter: Box<dyn InternalIterator>,
    sequence: SequenceNumber,
    status: Result<()>,
    saved_key: Vec<u8>,
    saved_value: Vec<u8>,
    direction: Direction,
    valid: bool,
    /// The user key and value of the entry yielded moving forward, set
    /// whenever the iterator becomes valid that way and read only then.
    /// Without them each `key()`/`value()` walks the whole iterator stack,
    /// and `value()` would be asked twice per entry (read sampling, then
    /// the caller). Invariant: while `valid && direction == Forward`, they
    /// are slices of `iter`'s current entry.
    entry_key: EntrySlice,
    entry_value: EntrySlice,
    /// Keeps the tables being read from deletion; also charged with read
    /// samples.
    version: Arc<Version>,
    /// The database, to schedule a compaction a read sample asks for.
    db: Weak<DbInner>,
    rnd: Random,
    bytes_until_read_sampling: u64,
}

impl DbIterator {
    pub(crate) fn new(
        icmp: InternalKeyComparator,
        iter: Box<dyn InternalIterator>,
        sequence: SequenceNumber,
        version: Arc<Version>,
        db: Weak<DbInner>,
        seed: u32,
    ) -> DbIterator {
        let mut rnd = Random::new(seed);
        let bytes_until_read_sampling = rnd.uniform(2 * READ_BYTES_PERIOD);
        DbIterator {
            icmp,
            iter,
            sequence,
            status: Ok(()),
            saved_key: Vec::new(),
            saved_value: Vec::new(),
            direction: Direction::Forward,
            valid: false,
            entry_key: EntrySlice::EMPTY,
            entry_value: EntrySlice::EMPTY,
            version,
            db,
            rnd,
            bytes_until_read_sampling,
        }
    }

    /// Charges `bytes_read` (the current entry) to read sampling: about one read per
    /// READ_BYTES_PERIOD bytes is sampled, so that files reads keep passing
    /// through several levels for get compacted.
    #[inline]
    fn charge_read(&mut self, bytes_read: u64) {
        if self.bytes_until_read_sampling >= bytes_read {
            self.bytes_until_read_sampling -= bytes_read;
            return;
        }
        self.sample_reads(bytes_read);
    }

    #[cold]
    fn sample_reads(&mut self, bytes_read: u64) {
        while self.bytes_until_read_sampling < bytes_read {
            self.bytes_until_read_sampling += self.rnd.uniform(2 * READ_BYTES_PERIOD);
            if self.version.record_read_sample(self.iter.key()) {
                if let Some(db) = self.db.upgrade() {
                    let mut guard = db.state.lock();
                    db.maybe_schedule_compaction(&mut guard);
                }
            }
        }
        self.bytes_until_read_sampling -= bytes_read;
    }

    fn clear_saved_value(&mut self) {
        if self.saved_value.capacity() > 1_048_576 {
            self.saved_value = Vec::new();
        } else {
            self.saved_value.clear();
        }
    }

    /// Advances to the next visible entry, starting at the current one.
    /// With `skipping`, entries for user keys `<= saved_key` are hidden.
    fn find_next_user_entry(&mut self, mut skipping: bool) {
        debug_assert!(self.iter.valid());
        debug_assert!(self.direction == Direction::Forward);
        loop {
            // key() walks the whole iterator stack: fetch it once per entry.
            let ikey = self.iter.key();
            let value = self.iter.value();
            let bytes_read = (ikey.len() + value.len()) as u64;
            let visible = match parse_internal_key(ikey) {
                None => {
                    self.status = Err(corrupted_key());
                    false
                }
                Some(entry) if entry.sequence <= self.sequence => match entry.value_type {
                    ValueType::Deletion => {
                        // Hide every older entry of this key.
                        self.saved_key.clear();
                        self.saved_key.extend_from_slice(entry.user_key);
                        skipping = true;
                        false
                    }
                    ValueType::Value => {
                        let hidden = skipping
                            && self.icmp.compare_user(entry.user_key, &self.saved_key)
                                != Ordering::Greater;
                        if !hidden {
                            self.entry_key = EntrySlice::new(entry.user_key);
                            self.entry_value = EntrySlice::new(value);
                        }
                        !hidden
                    }
                },
                Some(_) => false, // newer than this iterator's snapshot
            };
            self.charge_read(bytes_read);
            if visible {
                self.valid = true;
                self.saved_key.clear();
                return;
            }
            self.iter.next();
            if !self.iter.valid() {
                break;
            }
        }
        self.saved_key.clear();
        self.valid = false;
    }

    /// Moves back to the newest visible entry of the previous live user
    /// key, leaving the inner iterator just before that key's entries.
    fn find_prev_user_entry(&mut self) {
        debug_assert!(self.direction == Direction::Reverse);
        let mut value_type = ValueType::Deletion;
        if self.iter.valid() {
            loop {
                let ikey = self.iter.key();
                let bytes_read = (ikey.len() + self.iter.value().len()) as u64;
                let parsed = parse_internal_key(ikey).map(|p| (p.sequence, p.value_type));
                self.charge_read(bytes_read);
                if parsed.is_none() {
                    self.status = Err(corrupted_key());
                }
                if let Some((sequence, this_type)) = parsed {
                    if sequence <= self.sequence {
                        let user_key = extract_user_key(self.iter.key());
                        if value_type != ValueType::Deletion
                            && self.icmp.compare_user(user_key, &self.saved_key) == Ordering::Less
                        {
                            // A live value of a later key is already saved.
                            break;
                        }
                        value_type = this_type;
                        if value_type == ValueType::Deletion {
                            self.saved_key.clear();
                            self.clear_saved_value();
                        } else {
                            self.saved_key.clear();
                            self.saved_key.extend_from_slice(user_key);
                            let raw_value = self.iter.value();
                            if self.saved_value.capacity() > raw_value.len() + 1_048_576 {
                                self.saved_value = Vec::new();
                            }
                            self.saved_value.clear();
                            self.saved_value.extend_from_slice(raw_value);
                        }
                    }
                }
                self.iter.prev();
                if !self.iter.valid() {
                    break;
                }
            }
        }
        if value_type == ValueType::Deletion {
            self.valid = false;
            self.saved_key.clear();
            self.clear_saved_value();
            self.direction = Direction::Forward;
        } else {
            self.valid = true;
        }
    }
}

impl InternalIterator for DbIterator {
    fn valid(&self) -> bool {
        self.valid
    }

    fn seek_to_first(&mut self) {
        self.direction = Direction::Forward;
        self.clear_saved_value();
        self.iter.seek_to_first();
        if self.iter.valid() {
            self.find_next_user_entry(false);
        } else {
            self.valid = false;
        }
    }

    fn seek_to_last(&mut self) {
        self.direction = Direction::Reverse;
        self.clear_saved_value();
        self.iter.seek_to_last();
        self.find_prev_user_entry();
    }

    fn seek(&mut self, target: &[u8]) {
        self.direction = Direction::Forward;
        self.clear_saved_value();
        self.saved_key.clear();
        append_internal_key(
            &mut self.saved_key,
            target,
            self.sequence,
            VALUE_TYPE_FOR_SEEK,
        );
        self.iter.seek(&self.saved_key);
        if self.iter.valid() {
            self.find_next_user_entry(false);
        } else {
            self.valid = false;
        }
    }

    fn next(&mut self) {
        assert!(self.valid, "next() on an invalid iterator");
        if self.direction == Direction::Reverse {
            self.direction = Direction::Forward;
            // The inner iterator is just before the entries of key(): step
            // into them; saved_key already holds the key to skip.
            if !self.iter.valid() {
                self.iter.seek_to_first();
            } else {
                self.iter.next();
            }
            if !self.iter.valid() {
                self.valid = false;
                self.saved_key.clear();
                return;
            }
        } else {
            self.saved_key.clear();
            self.saved_key
                .extend_from_slice(extract_user_key(self.iter.key()));
            self.iter.next();
            if !self.iter.valid() {
                self.valid = false;
                self.saved_key.clear();
                return;
            }
        }
        self.find_next_user_entry(true);
    }

    fn prev(&mut self) {
        assert!(self.valid, "prev() on an invalid iterator");
        if self.direction == Direction::Forward {
            // The inner iterator is at the current entry: back up past all
            // entries of this user key, then scan backwards as usual.
            self.saved_key.clear();
            self.saved_key
                .extend_from_slice(extract_user_key(self.iter.key()));
            loop {
                self.iter.prev();
                if !self.iter.valid() {
                    self.valid = false;
                    self.saved_key.clear();
                    self.clear_saved_value();
                    return;
                }
                if self
                    .icmp
                    .compare_user(extract_user_key(self.iter.key()), &self.saved_key)
                    == Ordering::Less
                {
                    break;
                }
            }
            self.direction = Direction::Reverse;
        }
        self.find_prev_user_entry();
    }

    fn key(&self) -> &[u8] {
        assert!(self.valid, "key() on an invalid iterator");
        match self.direction {
            // SAFETY: valid and forward, so `entry_key` is a slice of the
            // inner iterator's current entry (see the field's invariant),
            // which stays until `self` is mutably borrowed.
            Direction::Forward => unsafe { self.entry_key.get() },
            Direction::Reverse => &self.saved_key,
        }
    }

    fn value(&self) -> &[u8] {
        assert!(self.valid, "value() on an invalid iterator");
        match self.direction {
            // SAFETY: as in `key()`.
            Direction::Forward => unsafe { self.entry_value.get() },
            Direction::Reverse => &self.saved_value,
        }
    }

    fn status(&self) -> Result<()> {
        self.status.clone()?;
        self.iter.status()
    }
}
