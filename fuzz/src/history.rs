//! Inputs shaped like bugs found in LevelDB itself, built here from their
//! published descriptions (our own bytes, not the reporters' files):
//!
//! - google/leveldb#1318: a table of about a hundred bytes whose index
//!   block names a data block of ~2^56 bytes; LevelDB allocates the claimed
//!   size when an iterator reaches that entry.
//! - google/leveldb#1310: the same with a size of 2^64 - 5, which wraps
//!   `size + trailer` to 0 in LevelDB.
//! - google/leveldb#1311: a MANIFEST whose new-file entries carry 1-byte
//!   "internal keys"; LevelDB's comparator subtracts 8 from their length
//!   during recovery and crashes.
//!
//! Invariant: every function returns a complete input for the named
//! target (mode byte included), deterministic byte for byte.

use std::sync::{Arc, Mutex};

use leveldb::log::Writer;
use leveldb::table::block_builder::BlockBuilder;
use leveldb::table::format::{block_trailer, BlockHandle, Footer, NO_COMPRESSION};
use leveldb::util::coding::put_varint64;
use leveldb::version::edit::VersionEdit;

use super::common::Sink;

/// A table whose metaindex is empty and whose index holds one entry, for
/// key `k`, pointing at offset 0 with `size` bytes. Checksums are right,
/// so paranoid opens accept it too.
pub fn table_with_data_handle(size: u64) -> Vec<u8> {
    let mut file = Vec::new();
    let put_block = |file: &mut Vec<u8>, contents: &[u8]| {
        let handle = BlockHandle::new(file.len() as u64, contents.len() as u64);
        file.extend_from_slice(contents);
        file.extend_from_slice(&block_trailer(contents, NO_COMPRESSION));
        handle
    };
    let metaindex = put_block(&mut file, BlockBuilder::new(16).finish());
    let mut value = Vec::new();
    put_varint64(&mut value, 0);
    put_varint64(&mut value, size);
    let mut index = BlockBuilder::new(1);
    index.add(b"k\x01\x01\x00\x00\x00\x00\x00\x00", &value);
    let index = put_block(&mut file, index.finish());
    Footer {
        metaindex_handle: metaindex,
        index_handle: index,
    }
    .encode_to(&mut file);
    file
}

/// The `table` target's input for google/leveldb#1318 (mode: verify
/// checksums, internal-key order).
pub fn issue_1318_table() -> Vec<u8> {
    let mut input = vec![2 | 8];
    input.extend(table_with_data_handle(0x00fe_fbdf_ff5f_ffc5));
    input
}

/// The `table` target's input for google/leveldb#1310.
pub fn issue_1310_table() -> Vec<u8> {
    let mut input = vec![8];
    input.extend(table_with_data_handle(u64::MAX - 4));
    input
}

/// One MANIFEST record: two level-0 files whose smallest and largest keys
/// are one byte long, with the fields recovery requires.
pub fn issue_1311_edit() -> Vec<u8> {
    let mut edit = VersionEdit::new();
    edit.set_comparator_name("leveldb.BytewiseComparator");
    edit.set_log_number(2);
    edit.set_next_file(10);
    edit.set_last_sequence(5);
    edit.add_file(0, 7, 100, b"a", b"b");
    edit.add_file(0, 8, 100, b"a", b"c");
    edit.encode()
}

/// A MANIFEST log holding [`issue_1311_edit`].
pub fn issue_1311_manifest_file() -> Vec<u8> {
    let out = Arc::new(Mutex::new(Vec::new()));
    let mut w = Writer::new(Box::new(Sink(Arc::clone(&out))));
    w.add_record(&issue_1311_edit()).unwrap();
    drop(w);
    let bytes = out.lock().unwrap().clone();
    bytes
}

/// The `manifest` target's input for google/leveldb#1311.
pub fn issue_1311_manifest() -> Vec<u8> {
    let mut input = vec![0];
    input.extend(issue_1311_manifest_file());
    input
}

/// The `db` target's input for google/leveldb#1311: the MANIFEST in a
/// database directory.
pub fn issue_1311_db() -> Vec<u8> {
    super::db::join(0, &[b"MANIFEST-000001\n", &issue_1311_manifest_file()])
}

/// The `db` target's input for google/leveldb#1318: the table as file 3,
/// named by the MANIFEST at level 1.
pub fn issue_1318_db() -> Vec<u8> {
    let table = table_with_data_handle(0x00fe_fbdf_ff5f_ffc5);
    let mut edit = VersionEdit::new();
    edit.set_comparator_name("leveldb.BytewiseComparator");
    edit.set_log_number(2);
    edit.set_next_file(4);
    edit.set_last_sequence(10);
    edit.add_file(
        1,
        3,
        table.len() as u64,
        b"a\x01\x01\x00\x00\x00\x00\x00\x00",
        b"z\x01\x01\x00\x00\x00\x00\x00\x00",
    );
    let out = Arc::new(Mutex::new(Vec::new()));
    let mut w = Writer::new(Box::new(Sink(Arc::clone(&out))));
    w.add_record(&edit.encode()).unwrap();
    drop(w);
    let manifest = out.lock().unwrap().clone();
    super::db::join(0, &[b"MANIFEST-000001\n", &manifest, b"", &table])
}
