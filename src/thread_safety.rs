//! Compile-time proof of which public types may cross threads, so that a
//! change that loses `Send` or `Sync` (a `Cell`, an `Rc`, a raw pointer in
//! a field) fails the build instead of a user's.
//!
//! Why each is sound:
//! * `DB` is `Send + Sync` (LevelDB's `DB` is safe for concurrent use
//!   without external locking): its state is behind one mutex; the writer
//!   at the head of the queue alone appends to the log and the memtable;
//!   readers hold `Arc`s of immutable versions and of memtables, whose
//!   skiplist (`memtable::skiplist`, with its own `unsafe impl`s and their
//!   `SAFETY` comments) is built for one writer and lock-free readers; the
//!   table cache and block cache are sharded behind mutexes; user
//!   callbacks (`Comparator`, `FilterPolicy`, `Env`, `Logger`) are required
//!   to be `Send + Sync` by their traits.
//! * `SnapshotView`, `Snapshot`, `Options`, `ReadOptions`, `WriteOptions`,
//!   `WriteBatch`, `BlockCache`, `Error` are `Send + Sync`: plain data,
//!   `Arc`s of `Send + Sync` values, or (the snapshot list) a mutex.
//! * `Entries`, `Keys`, `Values` and `DbIterator` are `Send` but not
//!   `Sync`: a cursor has one user at a time (`InternalIterator: Send`),
//!   and moving it moves the memory its lent slices point into.

use crate::{
    BlockCache, DbIterator, Entries, Error, Keys, Options, ReadOptions, Snapshot, SnapshotView,
    Values, WriteBatch, WriteOptions, DB,
};

const fn send_and_sync<T: Send + Sync>() {}
const fn send<T: Send>() {}

const _: () = {
    send_and_sync::<DB>();
    send_and_sync::<SnapshotView<'static>>();
    send_and_sync::<Snapshot>();
    send_and_sync::<Options>();
    send_and_sync::<ReadOptions>();
    send_and_sync::<WriteOptions>();
    send_and_sync::<WriteBatch>();
    send_and_sync::<BlockCache>();
    send_and_sync::<Error>();
    send::<Entries<'static>>();
    send::<Keys<'static>>();
    send::<Values<'static>>();
    send::<DbIterator>();
};
