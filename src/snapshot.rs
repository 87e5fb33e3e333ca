//! Snapshots: pinned sequence numbers that reads can be made at.
//!
//! Invariants: a [`Snapshot`] keeps its sequence number registered in its
//! [`SnapshotList`] until the last clone is dropped; compaction never drops
//! an entry that some registered snapshot can still see. Thread-safe.

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::key::SequenceNumber;

/// The live snapshots of one database: a multiset of sequence numbers.
#[derive(Default)]
pub struct SnapshotList {
    live: Mutex<BTreeMap<SequenceNumber, usize>>,
}

impl SnapshotList {
    pub fn new() -> Arc<SnapshotList> {
        Arc::new(SnapshotList::default())
    }

    /// Registers a snapshot at `sequence`.
    pub fn acquire(self: &Arc<Self>, sequence: SequenceNumber) -> Snapshot {
        *self.live.lock().entry(sequence).or_insert(0) += 1;
        Snapshot(Arc::new(SnapshotHandle {
            sequence,
            list: Arc::clone(self),
        }))
    }

    /// The oldest live snapshot's sequence, if any.
    pub fn oldest(&self) -> Option<SequenceNumber> {
        self.live.lock().keys().next().copied()
    }

    pub fn is_empty(&self) -> bool {
        self.live.lock().is_empty()
    }
}

struct SnapshotHandle {
    sequence: SequenceNumber,
    list: Arc<SnapshotList>,
}

impl Drop for SnapshotHandle {
    fn drop(&mut self) {
        let mut live = self.list.live.lock();
        if let Some(count) = live.get_mut(&self.sequence) {
            *count -= 1;
            if *count == 0 {
                live.remove(&self.sequence);
            }
        }
    }
}

/// A snapshot of a database (LevelDB's `Snapshot`), from
/// [`DB::snapshot`](crate::DB::snapshot): reads given it in
/// [`ReadOptions::snapshot`](crate::ReadOptions::snapshot) see the
/// database as it was when it was taken. Released when the last clone is
/// dropped. It does not borrow the database (the C and C++ APIs hold it
/// that way); [`SnapshotView`](crate::SnapshotView) is the borrowing form
/// with reads of its own. `Send + Sync`.
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// # let db = leveldb::DB::open(leveldb::Options { create_if_missing: true, ..Default::default() }, dir.path()).unwrap();
/// use leveldb::ReadOptions;
///
/// let snapshot = db.snapshot();
/// db.put(&Default::default(), b"k", b"v").unwrap();
/// let then = ReadOptions { snapshot: Some(snapshot.clone()), ..ReadOptions::new() };
/// assert_eq!(db.get(&then, b"k").unwrap(), None);
/// assert!(snapshot.sequence() < db.snapshot().sequence());
/// ```
#[derive(Clone)]
pub struct Snapshot(Arc<SnapshotHandle>);

impl Snapshot {
    /// The sequence number the snapshot reads at: the number of the last
    /// write it sees.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let db = leveldb::DB::open(leveldb::Options { create_if_missing: true, ..Default::default() }, dir.path()).unwrap();
    /// let before = db.snapshot().sequence();
    /// db.put(&Default::default(), b"k", b"v").unwrap();
    /// assert_eq!(db.snapshot().sequence(), before + 1);
    /// ```
    pub fn sequence(&self) -> SequenceNumber {
        self.0.sequence
    }

    /// Whether this snapshot was taken from the database owning `list`.
    #[doc(hidden)]
    pub fn belongs_to(&self, list: &Arc<SnapshotList>) -> bool {
        Arc::ptr_eq(&self.0.list, list)
    }
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Snapshot({})", self.0.sequence)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oldest_tracks_live_snapshots() {
        let list = SnapshotList::new();
        assert_eq!(list.oldest(), None);
        let a = list.acquire(5);
        let b = list.acquire(3);
        let b2 = b.clone();
        let c = list.acquire(3);
        assert_eq!(list.oldest(), Some(3));
        drop(b);
        drop(b2);
        assert_eq!(list.oldest(), Some(3), "c still holds 3");
        drop(c);
        assert_eq!(list.oldest(), Some(5));
        assert!(a.belongs_to(&list));
        drop(a);
        assert!(list.is_empty());
    }
}
