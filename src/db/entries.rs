//! The Rust-style scans of a database: [`DB::range`], [`DB::prefix`] and
//! [`DB::entries`] (and the same on a [`SnapshotView`](crate::SnapshotView))
//! return an [`Entries`], a `std::iter::Iterator` over owned `(key, value)`
//! pairs in the database's key order, double-ended, with `Result` items.
//!
//! Invariants:
//! * One read point (memtables, version and sequence number) is pinned when
//!   the `Entries` is made; its two cursors, one per end, are made from it
//!   only when that end is first asked for, so both see exactly the same
//!   entries however far apart in time they start.
//! * While the scan is not finished, every cursor that has started sits on
//!   the last entry it yielded. The front yields only keys ordered before
//!   the back's last key and the back only keys after the front's, so no
//!   entry comes out twice; the first end to run out of keys (past its
//!   bound, or onto the other end's last key) finishes the whole scan.
//! * The cursor's status is checked before every entry is yielded: an error
//!   the engine met while positioning (a damaged block it skipped, a file it
//!   could not open) comes out as an `Err` item in place of what follows
//!   it, and then the scan ends. Every `Ok` item before it is an entry a
//!   scan without errors yields at that place.

use std::cmp::Ordering;
use std::fmt;
use std::iter::FusedIterator;
use std::ops::{Bound, Range, RangeFrom, RangeFull, RangeInclusive, RangeTo, RangeToInclusive};

use super::read::PinnedReadPoint;
use super::{DbIterator, DB};
use crate::iterator::InternalIterator;
use crate::key::InternalKeyComparator;
use crate::options::ReadOptions;
use crate::status::Result;
use crate::table::BlockReadOptions;

/// Which keys a scan yields.
pub(crate) struct KeyRange {
    lower: Bound<Vec<u8>>,
    upper: Bound<Vec<u8>>,
    /// Keys must also start with this (prefix scans).
    prefix: Option<Vec<u8>>,
}

impl KeyRange {
    pub(crate) fn all() -> KeyRange {
        KeyRange {
            lower: Bound::Unbounded,
            upper: Bound::Unbounded,
            prefix: None,
        }
    }

    pub(crate) fn from_bounds(range: impl KeyBounds) -> KeyRange {
        let (lower, upper) = range.into_bounds();
        KeyRange {
            lower,
            upper,
            prefix: None,
        }
    }

    /// The keys starting with `prefix`. Under the bytewise order they are
    /// the range from `prefix` to its successor; under any other order they
    /// need not be contiguous, so the whole database is filtered.
    pub(crate) fn prefix(prefix: &[u8], bytewise: bool) -> KeyRange {
        if !bytewise {
            return KeyRange {
                prefix: Some(prefix.to_vec()),
                ..KeyRange::all()
            };
        }
        KeyRange {
            lower: Bound::Included(prefix.to_vec()),
            upper: match prefix_successor(prefix) {
                Some(limit) => Bound::Excluded(limit),
                None => Bound::Unbounded,
            },
            prefix: Some(prefix.to_vec()),
        }
    }
}

/// The smallest key after every key starting with `prefix` in bytewise
/// order: the prefix with its last byte below 0xff incremented and what
/// follows cut off; `None` when every byte is 0xff (or there are none).
fn prefix_successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let last = prefix.iter().rposition(|&b| b != 0xff)?;
    let mut limit = prefix[..=last].to_vec();
    limit[last] += 1;
    Some(limit)
}

/// A range of keys for [`DB::range`] and [`SnapshotView::range`](crate::SnapshotView::range):
/// every standard range over byte-string-like keys (`&[u8]`, `[u8; N]`,
/// `Vec<u8>`, `&str`, `String`, anything `AsRef<[u8]>`), so `a..b`,
/// `a..=b`, `a..`, `..b`, `..=b`, `..`, and a pair of [`Bound`]s.
///
/// Implement it for a range type of your own to scan with it.
///
/// ```
/// use std::ops::Bound;
/// use leveldb::KeyBounds;
///
/// assert_eq!(
///     (b"a"..b"c").into_bounds(),
///     (Bound::Included(b"a".to_vec()), Bound::Excluded(b"c".to_vec()))
/// );
/// assert_eq!((..).into_bounds(), (Bound::Unbounded, Bound::Unbounded));
/// assert_eq!(
///     (Bound::Excluded("k"), Bound::Unbounded).into_bounds(),
///     (Bound::Excluded(b"k".to_vec()), Bound::Unbounded)
/// );
/// ```
pub trait KeyBounds {
    /// The lower and upper bound, with the keys copied out.
    fn into_bounds(self) -> (Bound<Vec<u8>>, Bound<Vec<u8>>);
}

fn owned_bound<K: AsRef<[u8]>>(bound: Bound<K>) -> Bound<Vec<u8>> {
    bound.map(|k| k.as_ref().to_vec())
}

impl<K: AsRef<[u8]>> KeyBounds for Range<K> {
    fn into_bounds(self) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
        (
            Bound::Included(self.start.as_ref().to_vec()),
            Bound::Excluded(self.end.as_ref().to_vec()),
        )
    }
}

impl<K: AsRef<[u8]>> KeyBounds for RangeInclusive<K> {
    fn into_bounds(self) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
        let (start, end) = self.into_inner();
        (
            Bound::Included(start.as_ref().to_vec()),
            Bound::Included(end.as_ref().to_vec()),
        )
    }
}

impl<K: AsRef<[u8]>> KeyBounds for RangeFrom<K> {
    fn into_bounds(self) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
        (
            Bound::Included(self.start.as_ref().to_vec()),
            Bound::Unbounded,
        )
    }
}

impl<K: AsRef<[u8]>> KeyBounds for RangeTo<K> {
    fn into_bounds(self) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
        (
            Bound::Unbounded,
            Bound::Excluded(self.end.as_ref().to_vec()),
        )
    }
}

impl<K: AsRef<[u8]>> KeyBounds for RangeToInclusive<K> {
    fn into_bounds(self) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
        (
            Bound::Unbounded,
            Bound::Included(self.end.as_ref().to_vec()),
        )
    }
}

impl KeyBounds for RangeFull {
    fn into_bounds(self) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
        (Bound::Unbounded, Bound::Unbounded)
    }
}

impl<K: AsRef<[u8]>> KeyBounds for (Bound<K>, Bound<K>) {
    fn into_bounds(self) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
        (owned_bound(self.0), owned_bound(self.1))
    }
}

/// The key range with the database's comparator, split from the cursors
/// so that both can be borrowed at once.
struct Bounds {
    icmp: InternalKeyComparator,
    range: KeyRange,
}

impl Bounds {
    fn compare(&self, a: &[u8], b: &[u8]) -> Ordering {
        self.icmp.compare_user(a, b)
    }

    fn above_lower(&self, key: &[u8]) -> bool {
        match &self.range.lower {
            Bound::Unbounded => true,
            Bound::Included(k) => self.compare(key, k) != Ordering::Less,
            Bound::Excluded(k) => self.compare(key, k) == Ordering::Greater,
        }
    }

    fn below_upper(&self, key: &[u8]) -> bool {
        match &self.range.upper {
            Bound::Unbounded => true,
            Bound::Included(k) => self.compare(key, k) != Ordering::Greater,
            Bound::Excluded(k) => self.compare(key, k) == Ordering::Less,
        }
    }

    fn has_prefix(&self, key: &[u8]) -> bool {
        self.range
            .prefix
            .as_deref()
            .map_or(true, |p| key.starts_with(p))
    }

    /// Puts a new front cursor on the first key at or past the lower bound.
    fn seek_front(&self, cursor: &mut DbIterator) {
        match &self.range.lower {
            Bound::Unbounded => cursor.seek_to_first(),
            Bound::Included(k) => cursor.seek(k),
            Bound::Excluded(k) => {
                cursor.seek(k);
                if cursor.valid() && self.compare(cursor.key(), k) == Ordering::Equal {
                    cursor.next();
                }
            }
        }
    }

    /// Puts a new back cursor on the last key at or before the upper bound.
    fn seek_back(&self, cursor: &mut DbIterator) {
        let (Bound::Included(k) | Bound::Excluded(k)) = &self.range.upper else {
            cursor.seek_to_last();
            return;
        };
        cursor.seek(k);
        if !cursor.valid() {
            // Every key is before the bound (or the seek failed: the
            // status check before the first item reports that).
            cursor.seek_to_last();
        } else if matches!(self.range.upper, Bound::Excluded(_))
            || self.compare(cursor.key(), k) == Ordering::Greater
        {
            cursor.prev();
        }
    }
}

/// One end of a scan.
#[derive(Clone, Copy)]
enum End {
    /// Walks up from the lower bound (`next`).
    Front,
    /// Walks down from the upper bound (`next_back`).
    Back,
}

impl End {
    fn advance(self, cursor: &mut DbIterator) {
        match self {
            End::Front => cursor.next(),
            End::Back => cursor.prev(),
        }
    }

    /// How this end's keys compare with the other end's while the two
    /// have not met.
    fn toward_other(self) -> Ordering {
        match self {
            End::Front => Ordering::Less,
            End::Back => Ordering::Greater,
        }
    }
}

/// Where a step of one end left the scan.
enum Step {
    /// The end's cursor sits on the entry to yield.
    Entry,
    /// The scan is over (and `done` is set).
    Finished,
    /// The engine reported an error (and `done` is set).
    Failed(crate::Error),
}

/// A scan of a database: an iterator over `(key, value)` pairs in key
/// order, from [`DB::range`], [`DB::prefix`], [`DB::entries`] or the same
/// methods of a [`SnapshotView`](crate::SnapshotView).
///
/// * **Consistent**: the scan sees the database as it was when the
///   `Entries` was made (or at its snapshot); later writes do not show.
/// * **Double-ended**: [`next_back`](DoubleEndedIterator::next_back) walks
///   from the end, so `.rev()` scans in descending order; the two ends may
///   be mixed and never yield an entry twice.
/// * **Errors** are items: a read error (a damaged block, an unreadable
///   file) comes out as one `Err` item where the entries it kept from view
///   would have been, after which the iterator yields `None`. Every `Ok`
///   item is an entry a scan without errors yields in that place.
/// * **Owned items**: each item copies its key and value into two
///   `Vec<u8>`. To look at entries in place, without allocating, step with
///   [`next_ref`](Entries::next_ref) / [`next_back_ref`](Entries::next_back_ref),
///   or use the LevelDB-style cursor of [`DB::iter`].
/// * `Send` (it may move to another thread) but not `Sync`; it borrows the
///   database, so it cannot outlive it.
///
/// Nothing is read until the first item is asked for, so
/// [`fill_cache`](Entries::fill_cache) and
/// [`verify_checksums`](Entries::verify_checksums) set how it reads.
///
/// ```
/// # fn main() -> Result<(), leveldb::Error> {
/// # let dir = tempfile::tempdir().unwrap();
/// use leveldb::{Options, WriteOptions, DB};
///
/// let db = DB::open(Options { create_if_missing: true, ..Options::default() }, dir.path())?;
/// for (k, v) in [("apple", "1"), ("banana", "2"), ("cherry", "3"), ("date", "4")] {
///     db.put(&WriteOptions::default(), k.as_bytes(), v.as_bytes())?;
/// }
///
/// // Keys from "b" (included) to "d" (excluded), in order.
/// let keys: Vec<Vec<u8>> = db.range("b".."d").keys().collect::<Result<_, _>>()?;
/// assert_eq!(keys, [b"banana".to_vec(), b"cherry".to_vec()]);
///
/// // The same range backwards, stopping early.
/// let (last, _) = db.range("b".."d").next_back().unwrap()?;
/// assert_eq!(last, b"cherry");
///
/// // Every entry, with `?` on each item.
/// for entry in db.entries() {
///     let (key, value) = entry?;
///     assert_eq!(value.len(), 1, "{key:?}");
/// }
/// # Ok(())
/// # }
/// ```
///
/// It is `Send`, not `Sync`:
///
/// ```compile_fail
/// fn shared<T: Sync>(_: &T) {}
/// # let dir = tempfile::tempdir().unwrap();
/// # let options = leveldb::Options { create_if_missing: true, ..Default::default() };
/// let db = leveldb::DB::open(options, dir.path()).unwrap();
/// shared(&db.entries());
/// ```
pub struct Entries<'db> {
    db: &'db DB,
    point: PinnedReadPoint,
    reads: BlockReadOptions,
    bounds: Bounds,
    /// The cursor of the front end, made at its first step.
    front: Option<DbIterator>,
    /// The cursor of the back end, made at its first step.
    back: Option<DbIterator>,
    done: bool,
}

impl<'db> Entries<'db> {
    /// A scan of `range` in `db` as of `options` (its snapshot, or now).
    pub(crate) fn new(db: &'db DB, options: &ReadOptions, range: KeyRange) -> Entries<'db> {
        Entries {
            db,
            point: db.inner.pin_read_point(options),
            reads: options.block_reads(),
            bounds: Bounds {
                icmp: db.inner.icmp.clone(),
                range,
            },
            front: None,
            back: None,
            done: false,
        }
    }

    /// Whether the table blocks this scan reads go into the block cache
    /// (default `true`, as [`ReadOptions::fill_cache`]). A bulk scan that
    /// should not push the working set out of the cache turns it off.
    /// Applies to what the scan reads after the call: set it before
    /// iterating.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let db = leveldb::DB::open(leveldb::Options { create_if_missing: true, ..Default::default() }, dir.path()).unwrap();
    /// let count = db.entries().fill_cache(false).count();
    /// assert_eq!(count, 0);
    /// ```
    pub fn fill_cache(mut self, fill: bool) -> Entries<'db> {
        self.reads.fill_cache = fill;
        self
    }

    /// Whether every table block this scan reads has its checksum verified
    /// (default `false`, as [`ReadOptions::verify_checksums`]); a block
    /// that fails is an `Err` item. Applies to what the scan reads after
    /// the call: set it before iterating.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let db = leveldb::DB::open(leveldb::Options { create_if_missing: true, ..Default::default() }, dir.path()).unwrap();
    /// for entry in db.prefix("user:").verify_checksums(true) {
    ///     let (_key, _value) = entry.expect("no damaged block");
    /// }
    /// ```
    pub fn verify_checksums(mut self, verify: bool) -> Entries<'db> {
        self.reads.verify_checksums = verify;
        self
    }

    /// The next entry from the front, borrowed from the scan instead of
    /// copied: the slices live until the next call on the scan. The same
    /// sequence as [`next`](Iterator::next), without its two allocations.
    ///
    /// ```
    /// # fn main() -> Result<(), leveldb::Error> {
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let db = leveldb::DB::open(leveldb::Options { create_if_missing: true, ..Default::default() }, dir.path())?;
    /// # db.put(&Default::default(), b"log:1", b"boot")?;
    /// # db.put(&Default::default(), b"log:2", b"ready")?;
    /// let mut bytes = 0;
    /// let mut scan = db.prefix("log:");
    /// while let Some(entry) = scan.next_ref() {
    ///     let (key, value) = entry?;
    ///     bytes += key.len() + value.len();
    /// }
    /// assert_eq!(bytes, 19);
    /// # Ok(())
    /// # }
    /// ```
    #[allow(clippy::type_complexity)]
    pub fn next_ref(&mut self) -> Option<Result<(&[u8], &[u8])>> {
        let step = self.step(End::Front);
        self.entry(step, End::Front)
    }

    /// The next entry from the back, borrowed: as
    /// [`next_ref`](Entries::next_ref) for
    /// [`next_back`](DoubleEndedIterator::next_back).
    ///
    /// ```
    /// # fn main() -> Result<(), leveldb::Error> {
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let db = leveldb::DB::open(leveldb::Options { create_if_missing: true, ..Default::default() }, dir.path())?;
    /// # db.put(&Default::default(), b"a", b"1")?;
    /// # db.put(&Default::default(), b"b", b"2")?;
    /// let mut scan = db.entries();
    /// let (key, _) = scan.next_back_ref().unwrap()?;
    /// assert_eq!(key, b"b");
    /// # Ok(())
    /// # }
    /// ```
    #[allow(clippy::type_complexity)]
    pub fn next_back_ref(&mut self) -> Option<Result<(&[u8], &[u8])>> {
        let step = self.step(End::Back);
        self.entry(step, End::Back)
    }

    /// Only the keys of this scan (values are not copied).
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let db = leveldb::DB::open(leveldb::Options { create_if_missing: true, ..Default::default() }, dir.path()).unwrap();
    /// # db.put(&Default::default(), b"k", b"v").unwrap();
    /// let keys: Vec<Vec<u8>> = db.entries().keys().map(Result::unwrap).collect();
    /// assert_eq!(keys, [b"k".to_vec()]);
    /// ```
    pub fn keys(self) -> Keys<'db> {
        Keys(self)
    }

    /// Only the values of this scan (keys are not copied).
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let db = leveldb::DB::open(leveldb::Options { create_if_missing: true, ..Default::default() }, dir.path()).unwrap();
    /// # db.put(&Default::default(), b"k", b"v").unwrap();
    /// let values: Vec<Vec<u8>> = db.entries().values().map(Result::unwrap).collect();
    /// assert_eq!(values, [b"v".to_vec()]);
    /// ```
    pub fn values(self) -> Values<'db> {
        Values(self)
    }

    /// The current entry of one end after a step.
    #[allow(clippy::type_complexity)]
    fn entry(&self, step: Step, end: End) -> Option<Result<(&[u8], &[u8])>> {
        match step {
            Step::Finished => None,
            Step::Failed(e) => Some(Err(e)),
            Step::Entry => {
                let cursor = match end {
                    End::Front => &self.front,
                    End::Back => &self.back,
                };
                let cursor = cursor.as_ref().expect("a stepped end has a cursor");
                Some(Ok((cursor.key(), cursor.value())))
            }
        }
    }

    /// Moves one end to its next entry.
    fn step(&mut self, end: End) -> Step {
        let Entries {
            db,
            point,
            reads,
            bounds,
            front,
            back,
            done,
        } = self;
        if *done {
            return Step::Finished;
        }
        let (mine, other) = match end {
            End::Front => (front, &*back),
            End::Back => (back, &*front),
        };
        let cursor = match mine {
            Some(cursor) => {
                end.advance(cursor);
                cursor
            }
            None => {
                let cursor = mine.insert(db.inner.iterator_at(point, reads));
                match end {
                    End::Front => bounds.seek_front(cursor),
                    End::Back => bounds.seek_back(cursor),
                }
                cursor
            }
        };
        loop {
            if let Err(e) = cursor.status() {
                *done = true;
                return Step::Failed(e);
            }
            if !cursor.valid() {
                break;
            }
            let key = cursor.key();
            // This end may only yield keys strictly on its side of the
            // other end's last key.
            let met_other = other
                .as_ref()
                .is_some_and(|o| bounds.compare(key, o.key()) != end.toward_other());
            let in_range = match end {
                End::Front => bounds.below_upper(key),
                End::Back => bounds.above_lower(key),
            };
            if met_other || !in_range {
                break;
            }
            if bounds.has_prefix(key) {
                return Step::Entry;
            }
            end.advance(cursor);
        }
        *done = true;
        Step::Finished
    }
}

/// Copies a borrowed entry into the owned item of the iterators.
fn owned<T>(
    entry: Option<Result<(&[u8], &[u8])>>,
    part: impl FnOnce(&[u8], &[u8]) -> T,
) -> Option<Result<T>> {
    entry.map(|r| r.map(|(k, v)| part(k, v)))
}

impl Iterator for Entries<'_> {
    type Item = Result<(Vec<u8>, Vec<u8>)>;

    fn next(&mut self) -> Option<Self::Item> {
        owned(self.next_ref(), |k, v| (k.to_vec(), v.to_vec()))
    }
}

impl DoubleEndedIterator for Entries<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        owned(self.next_back_ref(), |k, v| (k.to_vec(), v.to_vec()))
    }
}

impl FusedIterator for Entries<'_> {}

impl fmt::Debug for Entries<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let range = &self.bounds.range;
        f.debug_struct("Entries")
            .field("lower", &range.lower)
            .field("upper", &range.upper)
            .field("prefix", &range.prefix)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

/// The keys of a scan, from [`Entries::keys`]: an iterator over
/// `Result<Vec<u8>>`, double-ended, with the same order, consistency and
/// error items as [`Entries`].
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// # let db = leveldb::DB::open(leveldb::Options { create_if_missing: true, ..Default::default() }, dir.path()).unwrap();
/// # for k in ["a", "b", "c"] { db.put(&Default::default(), k.as_bytes(), b"").unwrap(); }
/// let newest_first: Vec<Vec<u8>> = db.entries().keys().rev().map(Result::unwrap).collect();
/// assert_eq!(newest_first, [b"c".to_vec(), b"b".to_vec(), b"a".to_vec()]);
/// ```
#[derive(Debug)]
pub struct Keys<'db>(Entries<'db>);

impl Iterator for Keys<'_> {
    type Item = Result<Vec<u8>>;

    fn next(&mut self) -> Option<Self::Item> {
        owned(self.0.next_ref(), |k, _| k.to_vec())
    }
}

impl DoubleEndedIterator for Keys<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        owned(self.0.next_back_ref(), |k, _| k.to_vec())
    }
}

impl FusedIterator for Keys<'_> {}

/// The values of a scan, from [`Entries::values`]: an iterator over
/// `Result<Vec<u8>>` in key order, double-ended, with the same consistency
/// and error items as [`Entries`].
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// # let db = leveldb::DB::open(leveldb::Options { create_if_missing: true, ..Default::default() }, dir.path()).unwrap();
/// # db.put(&Default::default(), b"n:1", b"5").unwrap();
/// # db.put(&Default::default(), b"n:2", b"7").unwrap();
/// let total: u32 = db
///     .prefix("n:")
///     .values()
///     .map(|v| std::str::from_utf8(&v.unwrap()).unwrap().parse::<u32>().unwrap())
///     .sum();
/// assert_eq!(total, 12);
/// ```
#[derive(Debug)]
pub struct Values<'db>(Entries<'db>);

impl Iterator for Values<'_> {
    type Item = Result<Vec<u8>>;

    fn next(&mut self) -> Option<Self::Item> {
        owned(self.0.next_ref(), |_, v| v.to_vec())
    }
}

impl DoubleEndedIterator for Values<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        owned(self.0.next_back_ref(), |_, v| v.to_vec())
    }
}

impl FusedIterator for Values<'_> {}

impl DB {
    /// The entries whose keys lie in `range`, in key order (the database's
    /// comparator's), as they are now. `range` is any standard range of
    /// byte-string-like keys (see [`KeyBounds`]): `a..b`, `a..=b`, `a..`,
    /// `..b`, `..`, or a pair of [`Bound`]s. An empty or inverted range
    /// yields nothing (it does not panic).
    ///
    /// ```
    /// # fn main() -> Result<(), leveldb::Error> {
    /// # let dir = tempfile::tempdir().unwrap();
    /// use std::ops::Bound;
    /// use leveldb::{Options, WriteOptions, DB};
    ///
    /// let db = DB::open(Options { create_if_missing: true, ..Options::default() }, dir.path())?;
    /// for k in [b"k1", b"k2", b"k3", b"k4"] {
    ///     db.put(&WriteOptions::default(), k, b"")?;
    /// }
    /// let keys = |scan: leveldb::Entries| -> Vec<Vec<u8>> { scan.keys().map(Result::unwrap).collect() };
    ///
    /// assert_eq!(keys(db.range(b"k2"..b"k4")), [b"k2".to_vec(), b"k3".to_vec()]);
    /// assert_eq!(keys(db.range("k2"..="k4")).len(), 3);
    /// assert_eq!(keys(db.range(b"k3".to_vec()..)).len(), 2);
    /// assert_eq!(keys(db.range(..&b"k2"[..])), [b"k1".to_vec()]);
    /// assert_eq!(keys(db.range(..)).len(), 4);
    /// assert_eq!(keys(db.range(b"k4"..b"k1")).len(), 0);
    /// let after_k1 = (Bound::Excluded("k1"), Bound::Unbounded);
    /// let backwards: Vec<Vec<u8>> = db.range(after_k1).rev().map(|e| e.unwrap().0).collect();
    /// assert_eq!(backwards, [b"k4".to_vec(), b"k3".to_vec(), b"k2".to_vec()]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn range(&self, range: impl KeyBounds) -> Entries<'_> {
        Entries::new(self, &ReadOptions::new(), KeyRange::from_bounds(range))
    }

    /// The entries whose keys start with `prefix`, in key order, as they
    /// are now. With the default (bytewise) comparator this reads just
    /// that part of the database; with any other comparator, where such
    /// keys need not be adjacent, it reads the whole database and keeps
    /// the matching keys.
    ///
    /// ```
    /// # fn main() -> Result<(), leveldb::Error> {
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let db = leveldb::DB::open(leveldb::Options { create_if_missing: true, ..Default::default() }, dir.path())?;
    /// let w = leveldb::WriteOptions::default();
    /// db.put(&w, b"user:1", b"ada")?;
    /// db.put(&w, b"user:2", b"grace")?;
    /// db.put(&w, b"users", b"not a user")?;
    /// let names: Vec<Vec<u8>> = db.prefix("user:").values().collect::<Result<_, _>>()?;
    /// assert_eq!(names, [b"ada".to_vec(), b"grace".to_vec()]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn prefix(&self, prefix: impl AsRef<[u8]>) -> Entries<'_> {
        let bytewise = self.inner.icmp.user_comparator().is_bytewise();
        Entries::new(
            self,
            &ReadOptions::new(),
            KeyRange::prefix(prefix.as_ref(), bytewise),
        )
    }

    /// Every entry of the database, in key order, as it is now.
    ///
    /// ```
    /// # fn main() -> Result<(), leveldb::Error> {
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let db = leveldb::DB::open(leveldb::Options { create_if_missing: true, ..Default::default() }, dir.path())?;
    /// db.put(&Default::default(), b"b", b"2")?;
    /// db.put(&Default::default(), b"a", b"1")?;
    /// let all: Vec<(Vec<u8>, Vec<u8>)> = db.entries().collect::<Result<_, _>>()?;
    /// assert_eq!(all, [(b"a".to_vec(), b"1".to_vec()), (b"b".to_vec(), b"2".to_vec())]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn entries(&self) -> Entries<'_> {
        Entries::new(self, &ReadOptions::new(), KeyRange::all())
    }
}

#[cfg(test)]
mod tests {
    use super::prefix_successor;

    #[test]
    fn prefix_successor_increments_the_last_byte_below_0xff() {
        assert_eq!(prefix_successor(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_successor(b"a\xff\xff"), Some(b"b".to_vec()));
        assert_eq!(prefix_successor(b"\xff\xff"), None);
        assert_eq!(prefix_successor(b""), None);
    }
}
