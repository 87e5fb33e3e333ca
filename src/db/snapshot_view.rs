//! [`SnapshotView`]: a snapshot of a database tied to a borrow of it, with
//! the database's reads (get, range, prefix, entries) made at the snapshot.
//!
//! Invariant: the view holds a registered [`Snapshot`], so compactions keep
//! every entry it can see for as long as it (or a clone) lives, and it
//! borrows the [`DB`], so it cannot outlive the database. Scans made from
//! it pin their own read point and may outlive the view itself (not the
//! database).

use super::entries::{Entries, KeyBounds, KeyRange};
use super::DB;
use crate::options::ReadOptions;
use crate::snapshot::Snapshot;
use crate::status::Result;

/// A frozen view of a database: every read through it sees the database as
/// it was when [`DB::snapshot_view`] made it, whatever is written since.
///
/// The view borrows the database (`SnapshotView<'db>`), so the compiler
/// rejects a view that outlives it; the snapshot is released when the view
/// and its clones are dropped. The low-level handle, for
/// [`ReadOptions::snapshot`] and [`DB::iter`], is
/// [`snapshot`](SnapshotView::snapshot). `Send + Sync`: threads may share
/// one view.
///
/// ```
/// # fn main() -> Result<(), leveldb::Error> {
/// # let dir = tempfile::tempdir().unwrap();
/// use leveldb::{Options, WriteOptions, DB};
///
/// let db = DB::open(Options { create_if_missing: true, ..Options::default() }, dir.path())?;
/// let w = WriteOptions::default();
/// db.put(&w, b"a", b"1")?;
///
/// let view = db.snapshot_view();
/// db.put(&w, b"a", b"2")?;
/// db.put(&w, b"b", b"3")?;
///
/// assert_eq!(view.get(b"a")?, Some(b"1".to_vec()));
/// assert_eq!(view.get(b"b")?, None);
/// assert_eq!(view.entries().count(), 1);
/// assert_eq!(db.entries().count(), 2);
/// # Ok(())
/// # }
/// ```
///
/// A view cannot outlive its database:
///
/// ```compile_fail
/// # let dir = tempfile::tempdir().unwrap();
/// # let options = leveldb::Options { create_if_missing: true, ..Default::default() };
/// let db = leveldb::DB::open(options, dir.path()).unwrap();
/// let view = db.snapshot_view();
/// drop(db); // error: `db` is still borrowed by `view`
/// view.get(b"a").unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct SnapshotView<'db> {
    db: &'db DB,
    snapshot: Snapshot,
}

impl DB {
    /// A [`SnapshotView`] of the database as it is now.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let db = leveldb::DB::open(leveldb::Options { create_if_missing: true, ..Default::default() }, dir.path()).unwrap();
    /// let before = db.snapshot_view();
    /// db.put(&Default::default(), b"k", b"v").unwrap();
    /// assert_eq!(before.get(b"k").unwrap(), None);
    /// ```
    pub fn snapshot_view(&self) -> SnapshotView<'_> {
        SnapshotView {
            db: self,
            snapshot: self.snapshot(),
        }
    }
}

impl<'db> SnapshotView<'db> {
    /// The value of `key` in the view, `None` if absent.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let db = leveldb::DB::open(leveldb::Options { create_if_missing: true, ..Default::default() }, dir.path()).unwrap();
    /// db.put(&Default::default(), b"k", b"v").unwrap();
    /// let view = db.snapshot_view();
    /// db.delete(&Default::default(), b"k").unwrap();
    /// assert_eq!(view.get("k").unwrap(), Some(b"v".to_vec()));
    /// ```
    pub fn get(&self, key: impl AsRef<[u8]>) -> Result<Option<Vec<u8>>> {
        self.db.get(&self.read_options(), key.as_ref())
    }

    /// The entries of the view whose keys lie in `range`, in key order: as
    /// [`DB::range`], at the snapshot.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let db = leveldb::DB::open(leveldb::Options { create_if_missing: true, ..Default::default() }, dir.path()).unwrap();
    /// db.put(&Default::default(), b"b", b"").unwrap();
    /// let view = db.snapshot_view();
    /// db.put(&Default::default(), b"c", b"").unwrap();
    /// assert_eq!(view.range("a".."z").count(), 1);
    /// ```
    pub fn range(&self, range: impl KeyBounds) -> Entries<'db> {
        Entries::new(self.db, &self.read_options(), KeyRange::from_bounds(range))
    }

    /// The entries of the view whose keys start with `prefix`: as
    /// [`DB::prefix`], at the snapshot.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let db = leveldb::DB::open(leveldb::Options { create_if_missing: true, ..Default::default() }, dir.path()).unwrap();
    /// db.put(&Default::default(), b"job:1", b"queued").unwrap();
    /// let view = db.snapshot_view();
    /// db.put(&Default::default(), b"job:1", b"done").unwrap();
    /// let (_, state) = view.prefix("job:").next().unwrap().unwrap();
    /// assert_eq!(state, b"queued");
    /// ```
    pub fn prefix(&self, prefix: impl AsRef<[u8]>) -> Entries<'db> {
        let bytewise = self.db.inner.icmp.user_comparator().is_bytewise();
        Entries::new(
            self.db,
            &self.read_options(),
            KeyRange::prefix(prefix.as_ref(), bytewise),
        )
    }

    /// Every entry of the view, in key order: as [`DB::entries`], at the
    /// snapshot.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let db = leveldb::DB::open(leveldb::Options { create_if_missing: true, ..Default::default() }, dir.path()).unwrap();
    /// let empty = db.snapshot_view();
    /// db.put(&Default::default(), b"k", b"v").unwrap();
    /// assert_eq!(empty.entries().next().transpose().unwrap(), None);
    /// ```
    pub fn entries(&self) -> Entries<'db> {
        Entries::new(self.db, &self.read_options(), KeyRange::all())
    }

    /// Default [`ReadOptions`] reading at this view's snapshot, for
    /// [`DB::iter`] and [`DB::get_with`].
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let db = leveldb::DB::open(leveldb::Options { create_if_missing: true, ..Default::default() }, dir.path()).unwrap();
    /// use leveldb::Iterator as _;
    ///
    /// let view = db.snapshot_view();
    /// db.put(&Default::default(), b"k", b"v").unwrap();
    /// let mut cursor = db.iter(&view.read_options());
    /// cursor.seek_to_first();
    /// assert!(!cursor.valid());
    /// ```
    pub fn read_options(&self) -> ReadOptions {
        ReadOptions {
            snapshot: Some(self.snapshot.clone()),
            ..ReadOptions::new()
        }
    }

    /// The low-level snapshot handle of this view (LevelDB's `Snapshot`).
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let db = leveldb::DB::open(leveldb::Options { create_if_missing: true, ..Default::default() }, dir.path()).unwrap();
    /// let view = db.snapshot_view();
    /// let options = leveldb::ReadOptions { snapshot: Some(view.snapshot().clone()), fill_cache: false, ..Default::default() };
    /// assert_eq!(db.get(&options, b"k").unwrap(), None);
    /// ```
    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    /// The database this view reads.
    ///
    /// ```
    /// # let dir = tempfile::tempdir().unwrap();
    /// # let db = leveldb::DB::open(leveldb::Options { create_if_missing: true, ..Default::default() }, dir.path()).unwrap();
    /// let view = db.snapshot_view();
    /// assert!(std::ptr::eq(view.db(), &db));
    /// ```
    pub fn db(&self) -> &'db DB {
        self.db
    }
}
