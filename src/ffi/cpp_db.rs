//! `leveldb::DB` and what hangs off it for the C++ layer: open, the write
//! and read paths, iterators, snapshots, properties, sizes, compactions,
//! `DestroyDB` and `RepairDB`. Ownership and panics follow `cpp_bridge`'s
//! invariants.

#![allow(clippy::missing_safety_doc)]

use std::os::raw::{c_int, c_void};

use super::cpp_bridge::*;
use super::cpp_options::*;
use super::engine::{destroy_db, repair_db, WriteBatch, DB};
use crate::iterator::InternalIterator;
use crate::options::{ReadOptions, WriteOptions};
use crate::snapshot::Snapshot;

/// Opens a database. On success stores a new database in `*out`, owned by
/// the caller and freed with `strata_cpp_db_close`. `options` and `name`
/// are borrowed for the call; objects named by the options must outlive
/// the database.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_db_open(
    options: *const CppOptions,
    name: *const u8,
    name_len: usize,
    out: *mut *mut DB,
) -> CppStatus {
    guard!("strata_cpp_db_open", {
        // SAFETY: live options and name; out writable.
        unsafe {
            *out = std::ptr::null_mut();
            let options = engine_options(&*options);
            let name = match path(name, name_len) {
                Ok(n) => n,
                Err(e) => return CppStatus::from_result(Err(e)),
            };
            match DB::open(options, name) {
                Ok(db) => {
                    *out = Box::into_raw(Box::new(db));
                    CppStatus::ok()
                }
                Err(e) => CppStatus::from_result(Err(e)),
            }
        }
    })
}

/// Closes a database (waits for its background work). NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_db_close(db: *mut DB) {
    guard!("strata_cpp_db_close", {
        if !db.is_null() {
            // SAFETY: a database from strata_cpp_db_open, freed once.
            drop(unsafe { Box::from_raw(db) });
        }
    })
}

/// `DB::Put`. Buffers borrowed for the call.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_db_put(
    db: *const DB,
    sync: u8,
    key: *const u8,
    key_len: usize,
    value: *const u8,
    value_len: usize,
) -> CppStatus {
    guard!("strata_cpp_db_put", {
        // SAFETY: a live database; buffers readable for their lengths.
        let (db, key, value) = unsafe { (&*db, bytes(key, key_len), bytes(value, value_len)) };
        CppStatus::from_result(db.put(&WriteOptions { sync: sync != 0 }, key, value))
    })
}

/// `DB::Delete`.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_db_delete(
    db: *const DB,
    sync: u8,
    key: *const u8,
    key_len: usize,
) -> CppStatus {
    guard!("strata_cpp_db_delete", {
        // SAFETY: a live database; key readable.
        let (db, key) = unsafe { (&*db, bytes(key, key_len)) };
        CppStatus::from_result(db.delete(&WriteOptions { sync: sync != 0 }, key))
    })
}

/// `DB::Write`: `rep` is a `WriteBatch`'s representation (LevelDB's
/// format), copied; NULL writes an empty batch (LevelDB's `Write(o,
/// nullptr)`).
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_db_write(
    db: *const DB,
    sync: u8,
    rep: *const u8,
    rep_len: usize,
) -> CppStatus {
    guard!("strata_cpp_db_write", {
        let mut batch = WriteBatch::new();
        if !rep.is_null() {
            // SAFETY: rep readable for rep_len bytes.
            batch.set_contents(unsafe { bytes(rep, rep_len) });
        }
        // SAFETY: a live database.
        let db = unsafe { &*db };
        CppStatus::from_result(db.write(&WriteOptions { sync: sync != 0 }, &batch))
    })
}

/// `DB::Get`: when found, assigns the value to the `std::string*` `value`
/// (one copy, from where the engine stores it) and sets `*found = 1`;
/// absent: `*found = 0`, OK status.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_db_get(
    db: *const DB,
    options: *const CppReadOptions,
    key: *const u8,
    key_len: usize,
    value: *mut c_void,
    found: *mut u8,
) -> CppStatus {
    guard!("strata_cpp_db_get", {
        // SAFETY: live database, options and std::string; found writable.
        unsafe {
            *found = 0;
            let db = &*db;
            let key = bytes(key, key_len);
            let options = if (*options).snapshot.is_null()
                && (*options).verify_checksums == 0
                && (*options).fill_cache != 0
            {
                None
            } else {
                Some(read_options(options))
            };
            let default;
            let options = match &options {
                Some(o) => o,
                None => {
                    default = ReadOptions::new();
                    &default
                }
            };
            let assign = callbacks().string_assign;
            match db.get_with(options, key, |v| assign(value, v.as_ptr(), v.len())) {
                Ok(Some(())) => {
                    *found = 1;
                    CppStatus::ok()
                }
                Ok(None) => CppStatus::ok(),
                Err(e) => CppStatus::from_result(Err(e)),
            }
        }
    })
}

/// The state of an iterator after a move, for the C++ layer to answer
/// `Valid()`, `key()` and `value()` without calling back. The slices point
/// into the iterator and are valid until its next move or free.
#[repr(C)]
pub struct CppEntry {
    pub key: RawSlice,
    pub value: RawSlice,
    pub valid: u8,
}

/// An iterator handed to C++.
pub type CppIter = Box<dyn InternalIterator>;

/// `DB::NewIterator`: a new iterator, unpositioned, owned by the caller
/// (free with `strata_cpp_iter_free`, before the database is closed).
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_db_iter(
    db: *const DB,
    options: *const CppReadOptions,
) -> *mut CppIter {
    guard!("strata_cpp_db_iter", {
        // SAFETY: live database and options.
        let iter: CppIter = unsafe { Box::new((*db).iter(&read_options(options))) };
        Box::into_raw(Box::new(iter))
    })
}

pub(crate) fn fill_entry(iter: &dyn InternalIterator, entry: &mut CppEntry) {
    if iter.valid() {
        entry.key = RawSlice::of(iter.key());
        entry.value = RawSlice::of(iter.value());
        entry.valid = 1;
    } else {
        entry.key = RawSlice::of(&[]);
        entry.value = RawSlice::of(&[]);
        entry.valid = 0;
    }
}

/// Runs one move of an iterator and refreshes `*entry`.
///
/// # Safety
/// `iter` live and not used elsewhere meanwhile; `entry` writable.
unsafe fn iter_move(
    iter: *mut CppIter,
    entry: *mut CppEntry,
    step: impl FnOnce(&mut dyn InternalIterator),
) {
    // SAFETY: caller contract.
    let (iter, entry) = unsafe { (&mut **iter, &mut *entry) };
    step(&mut *iter);
    fill_entry(&*iter, entry);
}

/// `Iterator::SeekToFirst`.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_iter_seek_to_first(iter: *mut CppIter, entry: *mut CppEntry) {
    guard!("strata_cpp_iter_seek_to_first", {
        // SAFETY: forwarded caller contract.
        unsafe { iter_move(iter, entry, |it| it.seek_to_first()) }
    })
}

/// `Iterator::SeekToLast`.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_iter_seek_to_last(iter: *mut CppIter, entry: *mut CppEntry) {
    guard!("strata_cpp_iter_seek_to_last", {
        // SAFETY: forwarded caller contract.
        unsafe { iter_move(iter, entry, |it| it.seek_to_last()) }
    })
}

/// `Iterator::Seek(target)`; `target` borrowed for the call.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_iter_seek(
    iter: *mut CppIter,
    target: *const u8,
    target_len: usize,
    entry: *mut CppEntry,
) {
    guard!("strata_cpp_iter_seek", {
        // SAFETY: forwarded caller contract; target readable.
        unsafe {
            let target = bytes(target, target_len);
            iter_move(iter, entry, |it| it.seek(target))
        }
    })
}

/// `Iterator::Next` (no-op when not valid).
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_iter_next(iter: *mut CppIter, entry: *mut CppEntry) {
    guard!("strata_cpp_iter_next", {
        // SAFETY: forwarded caller contract.
        unsafe {
            iter_move(iter, entry, |it| {
                if it.valid() {
                    it.next()
                }
            })
        }
    })
}

/// `Iterator::Prev` (no-op when not valid).
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_iter_prev(iter: *mut CppIter, entry: *mut CppEntry) {
    guard!("strata_cpp_iter_prev", {
        // SAFETY: forwarded caller contract.
        unsafe {
            iter_move(iter, entry, |it| {
                if it.valid() {
                    it.prev()
                }
            })
        }
    })
}

/// `Iterator::status()`: a new status owned by the caller.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_iter_status(iter: *const CppIter) -> CppStatus {
    guard!("strata_cpp_iter_status", {
        // SAFETY: a live iterator.
        CppStatus::from_result(unsafe { (**iter).status() })
    })
}

/// Frees an iterator; NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_iter_free(iter: *mut CppIter) {
    guard!("strata_cpp_iter_free", {
        if !iter.is_null() {
            // SAFETY: from strata_cpp_db_iter / iter_into_raw, freed once.
            drop(unsafe { Box::from_raw(iter) });
        }
    })
}

/// `DB::GetSnapshot`: owned by the caller, freed (released) with
/// `strata_cpp_snapshot_free`.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_db_snapshot(db: *const DB) -> *mut Snapshot {
    guard!("strata_cpp_db_snapshot", {
        // SAFETY: a live database.
        Box::into_raw(Box::new(unsafe { (*db).snapshot() }))
    })
}

/// `DB::ReleaseSnapshot`; NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_snapshot_free(snapshot: *mut Snapshot) {
    guard!("strata_cpp_snapshot_free", {
        if !snapshot.is_null() {
            // SAFETY: from strata_cpp_db_snapshot, freed once.
            drop(unsafe { Box::from_raw(snapshot) });
        }
    })
}

/// `DB::GetProperty`: 1 and the value assigned to the `std::string*`
/// `value` if the property is known, else 0.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_db_property(
    db: *const DB,
    name: *const u8,
    name_len: usize,
    value: *mut c_void,
) -> u8 {
    guard!("strata_cpp_db_property", {
        // SAFETY: live database, name readable, value a live std::string.
        unsafe {
            let Ok(name) = std::str::from_utf8(bytes(name, name_len)) else {
                return 0;
            };
            match (*db).property(name) {
                Some(v) => {
                    (callbacks().string_assign)(value, v.as_ptr(), v.len());
                    1
                }
                None => 0,
            }
        }
    })
}

/// `DB::GetApproximateSizes`: `ranges` holds `2 * n` slices (start, limit
/// of each range, as `leveldb::Range` lays them out); `sizes` receives `n`.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_db_sizes(
    db: *const DB,
    ranges: *const RawSlice,
    n: c_int,
    sizes: *mut u64,
) {
    guard!("strata_cpp_db_sizes", {
        let n = usize::try_from(n).unwrap_or(0);
        if n == 0 {
            return;
        }
        // SAFETY: ranges readable for 2n slices, each readable; sizes
        // writable for n; a live database.
        unsafe {
            let raw = std::slice::from_raw_parts(ranges, 2 * n);
            let pairs: Vec<(&[u8], &[u8])> = raw
                .chunks_exact(2)
                .map(|p| (bytes(p[0].data, p[0].len), bytes(p[1].data, p[1].len)))
                .collect();
            let out = std::slice::from_raw_parts_mut(sizes, n);
            for (o, s) in out.iter_mut().zip((*db).approximate_sizes(&pairs)) {
                *o = s;
            }
        }
    })
}

/// `DB::CompactRange`: a NULL bound is unbounded.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_db_compact(
    db: *const DB,
    begin: *const RawSlice,
    end: *const RawSlice,
) {
    guard!("strata_cpp_db_compact", {
        // SAFETY: live database; bounds NULL or readable slices.
        unsafe {
            let begin = begin.as_ref().map(|s| bytes(s.data, s.len));
            let end = end.as_ref().map(|s| bytes(s.data, s.len));
            let _ = (*db).compact_range(begin, end);
        }
    })
}

/// `DestroyDB` (`repair` = 0) or `RepairDB` (`repair` = 1).
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_db_destroy_or_repair(
    options: *const CppOptions,
    name: *const u8,
    name_len: usize,
    repair: u8,
) -> CppStatus {
    guard!("strata_cpp_db_destroy_or_repair", {
        // SAFETY: live options and name.
        unsafe {
            let options = engine_options(&*options);
            let result = path(name, name_len).and_then(|name| {
                if repair != 0 {
                    repair_db(name, &options)
                } else {
                    destroy_db(name, &options)
                }
            });
            CppStatus::from_result(result)
        }
    })
}
