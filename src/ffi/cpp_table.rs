//! Tables for the C++ layer: `leveldb::Table` (open a table file, iterate
//! it, approximate offsets) and `leveldb::TableBuilder`, over the engine's
//! table reader and builder.
//!
//! Ownership: the file given to `strata_cpp_table_open` /
//! `strata_cpp_builder_new` is the caller's C++ object, borrowed for the
//! life of the table / builder (LevelDB's contract: the caller deletes it
//! afterwards, and closes a written one itself). Tables and builders are
//! boxed and owned by the C++ caller until their `*_free`.

use std::os::raw::c_void;
use std::sync::Arc;

use super::cpp_bridge::*;
use super::cpp_db::CppIter;
use super::cpp_env::{borrowed_random_file, borrowed_writable_file};
use super::cpp_options::*;

use crate::table::builder::TableBuilder;
use crate::table::{BlockReadOptions, Table};

/// Opens the table held in the C++ `RandomAccessFile*` `file` (`size`
/// bytes); the table goes to `*out`.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_table_open(
    options: *const CppOptions,
    file: *mut c_void,
    size: u64,
    out: *mut *mut Arc<Table>,
) -> CppStatus {
    guard!("strata_cpp_table_open", {
        // SAFETY: live options, file and out.
        unsafe {
            *out = std::ptr::null_mut();
            let options = engine_options(&*options);
            match Table::open(&options.table_options(), borrowed_random_file(file), size) {
                Ok(table) => {
                    *out = Box::into_raw(Box::new(table));
                    CppStatus::ok()
                }
                Err(e) => CppStatus::from_result(Err(e)),
            }
        }
    })
}

/// `Table::NewIterator`: an iterator over the table's entries as stored,
/// owned by the caller (`strata_cpp_iter_free`); it keeps the table alive.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_table_iter(
    table: *const Arc<Table>,
    options: *const CppReadOptions,
) -> *mut CppIter {
    guard!("strata_cpp_table_iter", {
        // SAFETY: live table and options.
        unsafe {
            let o = &*options;
            let read = BlockReadOptions {
                verify_checksums: o.verify_checksums != 0,
                fill_cache: o.fill_cache != 0,
            };
            let iter: CppIter = (*table).iter(&read);
            Box::into_raw(Box::new(iter))
        }
    })
}

/// `Table::ApproximateOffsetOf`.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_table_offset(
    table: *const Arc<Table>,
    key: *const u8,
    key_len: usize,
) -> u64 {
    guard!("strata_cpp_table_offset", {
        // SAFETY: live table; key readable.
        unsafe { (*table).approximate_offset_of(bytes(key, key_len)) }
    })
}

/// Frees a table; NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_table_free(table: *mut Arc<Table>) {
    guard!("strata_cpp_table_free", {
        if !table.is_null() {
            // SAFETY: from strata_cpp_table_open, freed once.
            drop(unsafe { Box::from_raw(table) });
        }
    })
}

/// A new builder writing to the C++ `WritableFile*` `file`.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_builder_new(
    options: *const CppOptions,
    file: *mut c_void,
) -> *mut TableBuilder {
    guard!("strata_cpp_builder_new", {
        // SAFETY: live options and file.
        unsafe {
            let options = engine_options(&*options);
            let mut builder =
                TableBuilder::new(&options.table_options(), borrowed_writable_file(file));
            // LevelDB flushes the caller's file after every data block.
            builder.set_flush_file_per_block(true);
            Box::into_raw(Box::new(builder))
        }
    })
}

/// `TableBuilder::ChangeOptions` once the C++ side has checked that the
/// comparator is the same: later blocks use `options`.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_builder_change(
    builder: *mut TableBuilder,
    options: *const CppOptions,
) {
    guard!("strata_cpp_builder_change", {
        // SAFETY: a live builder and live options.
        unsafe {
            let options = engine_options(&*options);
            (*builder).change_options(&options.table_options());
        }
    })
}

/// `TableBuilder::Add` (keys in increasing order).
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_builder_add(
    builder: *mut TableBuilder,
    key: *const u8,
    key_len: usize,
    value: *const u8,
    value_len: usize,
) {
    guard!("strata_cpp_builder_add", {
        // SAFETY: a live builder; buffers readable.
        unsafe { (*builder).add(bytes(key, key_len), bytes(value, value_len)) }
    })
}

/// `status()` (0), `Finish()` (1), `Abandon()` (2, OK status) or `Flush()`
/// (3, OK status).
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_builder_op(builder: *mut TableBuilder, op: u8) -> CppStatus {
    guard!("strata_cpp_builder_op", {
        // SAFETY: a live builder.
        let builder = unsafe { &mut *builder };
        CppStatus::from_result(match op {
            0 => builder.status(),
            1 => builder.finish(),
            3 => {
                builder.flush_block();
                Ok(())
            }
            _ => {
                builder.abandon();
                Ok(())
            }
        })
    })
}

/// `NumEntries()` (0) or `FileSize()` (1).
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_builder_count(builder: *const TableBuilder, what: u8) -> u64 {
    guard!("strata_cpp_builder_count", {
        // SAFETY: a live builder.
        let builder = unsafe { &*builder };
        if what == 0 {
            builder.num_entries()
        } else {
            builder.file_size()
        }
    })
}

/// Frees a builder; NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn strata_cpp_builder_free(builder: *mut TableBuilder) {
    guard!("strata_cpp_builder_free", {
        if !builder.is_null() {
            // SAFETY: from strata_cpp_builder_new, freed once.
            drop(unsafe { Box::from_raw(builder) });
        }
    })
}
