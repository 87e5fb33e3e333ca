//! Version edits: the records of a MANIFEST, each the difference between
//! one version of the file set and the next (`shared/spec/formats.md` §9).
//!
//! Invariants:
//! - `encode_to` writes fields in LevelDB 1.23's order (comparator, log
//!   number, prev log number, next file, last sequence, compact pointers in
//!   insertion order, deleted files sorted by (level, number), new files in
//!   insertion order), so our MANIFEST records are byte-identical to
//!   LevelDB's for the same edit, and `decode(encode(e)) == e`.
//! - `decode` accepts fields in any order (a field given twice keeps the
//!   last value; list fields accumulate), requires levels `< NUM_LEVELS` and
//!   non-empty internal keys, and never panics: bad input gives
//!   `Corruption: VersionEdit: <field>` with LevelDB's field names.
//! - `debug_string` is byte for byte LevelDB's `VersionEdit::DebugString`,
//!   which `leveldbutil dump` prints for MANIFEST records.
//!
//! Thread-safety: a `VersionEdit` is plain data. `FileMetaData` is shared
//! between versions; its only mutable part, `allowed_seeks`, is atomic.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use crate::key::debug_internal_key;
use crate::status::{Code, Error, Result};
use crate::util::coding::{
    get_length_prefixed_slice, get_varint32, get_varint64, put_length_prefixed_slice, put_varint32,
    put_varint64,
};

/// The number of levels in the LSM tree (LevelDB's `config::kNumLevels`).
pub const NUM_LEVELS: usize = 7;

/// Seeks a file may absorb before it is picked for compaction, until the
/// version set computes a size-based budget (LevelDB's default `1 << 30`).
pub const DEFAULT_ALLOWED_SEEKS: i64 = 1 << 30;

// Field tags (formats.md §9). Tag 8 (large-value references) is gone and
// decodes as an unknown tag.
const TAG_COMPARATOR: u32 = 1;
const TAG_LOG_NUMBER: u32 = 2;
const TAG_NEXT_FILE_NUMBER: u32 = 3;
const TAG_LAST_SEQUENCE: u32 = 4;
const TAG_COMPACT_POINTER: u32 = 5;
const TAG_DELETED_FILE: u32 = 6;
const TAG_NEW_FILE: u32 = 7;
const TAG_PREV_LOG_NUMBER: u32 = 9;

/// One table file of a version.
pub struct FileMetaData {
    pub number: u64,
    pub file_size: u64,
    /// Smallest internal key in the table.
    pub smallest: Vec<u8>,
    /// Largest internal key in the table.
    pub largest: Vec<u8>,
    /// Seeks left before a seek-triggered compaction (may go negative).
    pub allowed_seeks: AtomicI64,
    /// A Bloom filter (LevelDB's format, [`crate::util::bloom`]) of the
    /// table's user keys, kept in memory only: set on the tables this
    /// process wrote at levels 0 to [`crate::version::key_filter::MAX_LEVEL`]
    /// (by compactions; by memtable flushes down to
    /// [`crate::version::key_filter::FLUSH_MAX_LEVEL`]), so
    /// that a point lookup skips such a file that cannot hold its key
    /// without reading a block. Never written to the MANIFEST; versions
    /// drop it below that level, which bounds its memory by the size limits
    /// of the levels above.
    pub key_filter: Option<Arc<Vec<u8>>>,
}

impl FileMetaData {
    pub fn new(number: u64, file_size: u64, smallest: Vec<u8>, largest: Vec<u8>) -> FileMetaData {
        FileMetaData {
            number,
            file_size,
            smallest,
            largest,
            allowed_seeks: AtomicI64::new(DEFAULT_ALLOWED_SEEKS),
            key_filter: None,
        }
    }
}

impl Default for FileMetaData {
    fn default() -> FileMetaData {
        FileMetaData::new(0, 0, Vec::new(), Vec::new())
    }
}

impl Clone for FileMetaData {
    fn clone(&self) -> FileMetaData {
        FileMetaData {
            number: self.number,
            file_size: self.file_size,
            smallest: self.smallest.clone(),
            largest: self.largest.clone(),
            allowed_seeks: AtomicI64::new(self.allowed_seeks.load(Ordering::Relaxed)),
            key_filter: self.key_filter.clone(),
        }
    }
}

/// Equality of what a MANIFEST records; the run-time seek budget and key
/// filter are not part of it.
impl PartialEq for FileMetaData {
    fn eq(&self, other: &FileMetaData) -> bool {
        self.number == other.number
            && self.file_size == other.file_size
            && self.smallest == other.smallest
            && self.largest == other.largest
    }
}

impl Eq for FileMetaData {}

impl fmt::Debug for FileMetaData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileMetaData")
            .field("number", &self.number)
            .field("file_size", &self.file_size)
            .field("smallest", &debug_internal_key(&self.smallest))
            .field("largest", &debug_internal_key(&self.largest))
            .field("allowed_seeks", &self.allowed_seeks.load(Ordering::Relaxed))
            .finish()
    }
}

/// The changes from one version to the next, as recorded in the MANIFEST.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VersionEdit {
    /// Name of the user comparator (written in a new MANIFEST's first record).
    pub comparator: Option<String>,
    /// Logs older than this number are no longer needed.
    pub log_number: Option<u64>,
    /// Legacy: the log being compacted when the edit was made (0 = none).
    pub prev_log_number: Option<u64>,
    pub next_file_number: Option<u64>,
    pub last_sequence: Option<u64>,
    /// Where the next size compaction of a level starts (internal keys).
    pub compact_pointers: Vec<(usize, Vec<u8>)>,
    /// (level, file number) pairs removed.
    pub deleted_files: BTreeSet<(usize, u64)>,
    /// Files added, with their levels.
    pub new_files: Vec<(usize, FileMetaData)>,
}

impl VersionEdit {
    pub fn new() -> VersionEdit {
        VersionEdit::default()
    }

    /// Resets every field to unset/empty.
    pub fn clear(&mut self) {
        *self = VersionEdit::default();
    }

    pub fn set_comparator_name(&mut self, name: &str) {
        self.comparator = Some(name.to_string());
    }

    pub fn set_log_number(&mut self, number: u64) {
        self.log_number = Some(number);
    }

    pub fn set_prev_log_number(&mut self, number: u64) {
        self.prev_log_number = Some(number);
    }

    pub fn set_next_file(&mut self, number: u64) {
        self.next_file_number = Some(number);
    }

    pub fn set_last_sequence(&mut self, sequence: u64) {
        self.last_sequence = Some(sequence);
    }

    pub fn set_compact_pointer(&mut self, level: usize, key: &[u8]) {
        self.compact_pointers.push((level, key.to_vec()));
    }

    /// Adds the table `number` to `level`; `smallest` and `largest` are its
    /// first and last internal keys.
    pub fn add_file(
        &mut self,
        level: usize,
        number: u64,
        file_size: u64,
        smallest: &[u8],
        largest: &[u8],
    ) {
        self.new_files.push((
            level,
            FileMetaData::new(number, file_size, smallest.to_vec(), largest.to_vec()),
        ));
    }

    /// Records a new table at `level` with all its metadata, including a
    /// key filter the version keeps in memory.
    pub fn add_file_meta(&mut self, level: usize, meta: FileMetaData) {
        self.new_files.push((level, meta));
    }

    /// Records that table `number` leaves `level`.
    pub fn remove_file(&mut self, level: usize, number: u64) {
        self.deleted_files.insert((level, number));
    }

    /// Appends the MANIFEST record for this edit to `dst`.
    pub fn encode_to(&self, dst: &mut Vec<u8>) {
        if let Some(name) = &self.comparator {
            put_varint32(dst, TAG_COMPARATOR);
            put_length_prefixed_slice(dst, name.as_bytes());
        }
        for (tag, value) in [
            (TAG_LOG_NUMBER, self.log_number),
            (TAG_PREV_LOG_NUMBER, self.prev_log_number),
            (TAG_NEXT_FILE_NUMBER, self.next_file_number),
            (TAG_LAST_SEQUENCE, self.last_sequence),
        ] {
            if let Some(value) = value {
                put_varint32(dst, tag);
                put_varint64(dst, value);
            }
        }
        for (level, key) in &self.compact_pointers {
            put_varint32(dst, TAG_COMPACT_POINTER);
            put_varint32(dst, *level as u32);
            put_length_prefixed_slice(dst, key);
        }
        for &(level, number) in &self.deleted_files {
            put_varint32(dst, TAG_DELETED_FILE);
            put_varint32(dst, level as u32);
            put_varint64(dst, number);
        }
        for (level, f) in &self.new_files {
            put_varint32(dst, TAG_NEW_FILE);
            put_varint32(dst, *level as u32);
            put_varint64(dst, f.number);
            put_varint64(dst, f.file_size);
            put_length_prefixed_slice(dst, &f.smallest);
            put_length_prefixed_slice(dst, &f.largest);
        }
    }

    /// The encoded record as a new vector.
    pub fn encode(&self) -> Vec<u8> {
        let mut dst = Vec::new();
        self.encode_to(&mut dst);
        dst
    }

    /// Parses a MANIFEST record.
    pub fn decode(src: &[u8]) -> Result<VersionEdit> {
        let mut edit = VersionEdit::new();
        let mut input = src;
        while let Some(tag) = get_varint32(&mut input) {
            edit.decode_field(tag, &mut input)
                .map_err(|field| Error::with_detail(Code::Corruption, "VersionEdit", field))?;
        }
        if !input.is_empty() {
            // Bytes remain but do not form a varint tag.
            return Err(Error::with_detail(
                Code::Corruption,
                "VersionEdit",
                "invalid tag",
            ));
        }
        Ok(edit)
    }

    /// Decodes the fields of one tag; on failure, LevelDB's name for it.
    fn decode_field(
        &mut self,
        tag: u32,
        input: &mut &[u8],
    ) -> std::result::Result<(), &'static str> {
        match tag {
            TAG_COMPARATOR => {
                let name = get_length_prefixed_slice(input).ok_or("comparator name")?;
                // LevelDB keeps the raw bytes; names are ASCII in practice.
                self.comparator = Some(String::from_utf8_lossy(name).into_owned());
            }
            TAG_LOG_NUMBER => self.log_number = Some(get_varint64(input).ok_or("log number")?),
            TAG_PREV_LOG_NUMBER => {
                self.prev_log_number = Some(get_varint64(input).ok_or("previous log number")?)
            }
            TAG_NEXT_FILE_NUMBER => {
                self.next_file_number = Some(get_varint64(input).ok_or("next file number")?)
            }
            TAG_LAST_SEQUENCE => {
                self.last_sequence = Some(get_varint64(input).ok_or("last sequence number")?)
            }
            TAG_COMPACT_POINTER => {
                let field = "compaction pointer";
                let level = get_level(input).ok_or(field)?;
                let key = get_internal_key(input).ok_or(field)?;
                self.compact_pointers.push((level, key));
            }
            TAG_DELETED_FILE => {
                let field = "deleted file";
                let level = get_level(input).ok_or(field)?;
                let number = get_varint64(input).ok_or(field)?;
                self.deleted_files.insert((level, number));
            }
            TAG_NEW_FILE => {
                let field = "new-file entry";
                let level = get_level(input).ok_or(field)?;
                let number = get_varint64(input).ok_or(field)?;
                let file_size = get_varint64(input).ok_or(field)?;
                let smallest = get_internal_key(input).ok_or(field)?;
                let largest = get_internal_key(input).ok_or(field)?;
                self.new_files.push((
                    level,
                    FileMetaData::new(number, file_size, smallest, largest),
                ));
            }
            _ => return Err("unknown tag"),
        }
        Ok(())
    }

    /// LevelDB's `VersionEdit::DebugString()`, exactly.
    pub fn debug_string(&self) -> String {
        let mut r = String::from("VersionEdit {");
        if let Some(name) = &self.comparator {
            r.push_str("\n  Comparator: ");
            r.push_str(name);
        }
        for (label, value) in [
            ("LogNumber", self.log_number),
            ("PrevLogNumber", self.prev_log_number),
            ("NextFile", self.next_file_number),
            ("LastSeq", self.last_sequence),
        ] {
            if let Some(value) = value {
                r.push_str(&format!("\n  {label}: {value}"));
            }
        }
        for (level, key) in &self.compact_pointers {
            r.push_str(&format!(
                "\n  CompactPointer: {level} {}",
                debug_internal_key(key)
            ));
        }
        for (level, number) in &self.deleted_files {
            r.push_str(&format!("\n  RemoveFile: {level} {number}"));
        }
        for (level, f) in &self.new_files {
            r.push_str(&format!(
                "\n  AddFile: {level} {} {} {} .. {}",
                f.number,
                f.file_size,
                debug_internal_key(&f.smallest),
                debug_internal_key(&f.largest)
            ));
        }
        r.push_str("\n}\n");
        r
    }
}

/// A level number, which must name one of the [`NUM_LEVELS`] levels.
fn get_level(input: &mut &[u8]) -> Option<usize> {
    let level = get_varint32(input)? as usize;
    (level < NUM_LEVELS).then_some(level)
}

/// A length-prefixed internal key, which must not be empty.
fn get_internal_key(input: &mut &[u8]) -> Option<Vec<u8>> {
    let key = get_length_prefixed_slice(input)?;
    (!key.is_empty()).then(|| key.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::{internal_key, ValueType, MAX_SEQUENCE};
    use proptest::prelude::*;

    fn assert_round_trip(edit: &VersionEdit) {
        let encoded = edit.encode();
        let parsed = VersionEdit::decode(&encoded).unwrap();
        assert_eq!(&parsed, edit);
        assert_eq!(parsed.encode(), encoded);
    }

    /// LevelDB's version_edit_test EncodeDecode, plus the debug text.
    #[test]
    fn encode_decode_as_version_edit_test() {
        const BIG: u64 = 1 << 50;
        let mut edit = VersionEdit::new();
        for i in 0..4u64 {
            assert_round_trip(&edit);
            edit.add_file(
                3,
                BIG + 300 + i,
                BIG + 400 + i,
                &internal_key(b"foo", BIG + 500 + i, ValueType::Value),
                &internal_key(b"zoo", BIG + 600 + i, ValueType::Deletion),
            );
            edit.remove_file(4, BIG + 700 + i);
            edit.set_compact_pointer(
                i as usize,
                &internal_key(b"x", BIG + 900 + i, ValueType::Value),
            );
        }
        edit.set_comparator_name("foo");
        edit.set_log_number(BIG + 100);
        edit.set_next_file(BIG + 200);
        edit.set_last_sequence(BIG + 1000);
        assert_round_trip(&edit);
    }

    #[test]
    fn debug_string_matches_leveldb() {
        let mut edit = VersionEdit::new();
        assert_eq!(edit.debug_string(), "VersionEdit {\n}\n");
        edit.set_comparator_name("leveldb.BytewiseComparator");
        edit.set_log_number(3);
        edit.set_prev_log_number(0);
        edit.set_next_file(7);
        edit.set_last_sequence(42);
        edit.set_compact_pointer(1, &internal_key(b"k\x01", 5, ValueType::Value));
        edit.remove_file(2, 9);
        edit.remove_file(1, 10);
        edit.add_file(
            0,
            6,
            1234,
            &internal_key(b"a", 1, ValueType::Value),
            &internal_key(b"\xff", 2, ValueType::Deletion),
        );
        edit.add_file(
            1,
            8,
            1,
            b"bad",
            &internal_key(b"", MAX_SEQUENCE, ValueType::Value),
        );
        assert_eq!(
            edit.debug_string(),
            "VersionEdit {\n  Comparator: leveldb.BytewiseComparator\n  LogNumber: 3\n  \
             PrevLogNumber: 0\n  NextFile: 7\n  LastSeq: 42\n  \
             CompactPointer: 1 'k\\x01' @ 5 : 1\n  RemoveFile: 1 10\n  RemoveFile: 2 9\n  \
             AddFile: 0 6 1234 'a' @ 1 : 1 .. '\\xff' @ 2 : 0\n  \
             AddFile: 1 8 1 (bad)bad .. '' @ 72057594037927935 : 1\n}\n"
        );
    }

    #[test]
    fn encoding_is_leveldbs_byte_for_byte() {
        // NewDB's first MANIFEST record (formats.md §9).
        let mut edit = VersionEdit::new();
        edit.set_comparator_name("leveldb.BytewiseComparator");
        edit.set_log_number(0);
        edit.set_next_file(2);
        edit.set_last_sequence(0);
        let mut expected = vec![1u8, 26];
        expected.extend_from_slice(b"leveldb.BytewiseComparator");
        expected.extend_from_slice(&[2, 0, 3, 2, 4, 0]);
        assert_eq!(edit.encode(), expected);

        // Order: prev log number right after log number; deleted files
        // sorted whatever the insertion order.
        let mut edit = VersionEdit::new();
        edit.remove_file(3, 1);
        edit.remove_file(0, 2);
        edit.set_last_sequence(1);
        edit.set_prev_log_number(5);
        edit.set_log_number(6);
        assert_eq!(edit.encode(), vec![2, 6, 9, 5, 4, 1, 6, 0, 2, 6, 3, 1]);
    }

    #[test]
    fn decode_errors_have_leveldbs_texts() {
        let cases: &[(&[u8], &str)] = &[
            (&[1, 5, b'a'], "comparator name"),
            (&[2], "log number"),
            (&[9, 0x80], "previous log number"),
            (&[3], "next file number"),
            (&[4, 0xff], "last sequence number"),
            (&[5, 7, 1, b'k'], "compaction pointer"),
            (&[5, 0, 0], "compaction pointer"),
            (&[6, 7, 1], "deleted file"),
            (&[6, 0], "deleted file"),
            (&[7, 0, 1, 2, 1, b'a'], "new-file entry"),
            (&[7, 0, 1, 2, 1, b'a', 0], "new-file entry"),
            (&[7, 9, 1, 2, 1, b'a', 1, b'b'], "new-file entry"),
            (&[8, 0], "unknown tag"),
            (&[0], "unknown tag"),
            (&[2, 1, 0x80], "invalid tag"),
            (&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff], "invalid tag"),
        ];
        for (input, field) in cases {
            let err = VersionEdit::decode(input).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("Corruption: VersionEdit: {field}"),
                "{input:?}"
            );
        }
        // Empty input is an empty edit; fields may come in any order and a
        // repeated scalar keeps the last value.
        assert_eq!(VersionEdit::decode(&[]).unwrap(), VersionEdit::new());
        let edit = VersionEdit::decode(&[4, 9, 2, 1, 2, 3]).unwrap();
        assert_eq!((edit.log_number, edit.last_sequence), (Some(3), Some(9)));
    }

    #[test]
    fn file_metadata_defaults_and_clone() {
        let f = FileMetaData::default();
        assert_eq!(f.allowed_seeks.load(Ordering::Relaxed), 1 << 30);
        f.allowed_seeks.store(5, Ordering::Relaxed);
        let g = f.clone();
        assert_eq!(g.allowed_seeks.load(Ordering::Relaxed), 5);
        g.allowed_seeks.fetch_sub(1, Ordering::Relaxed);
        assert_eq!(f.allowed_seeks.load(Ordering::Relaxed), 5);
        assert_eq!(f, g);
        assert!(format!("{f:?}").contains("allowed_seeks: 5"));
    }

    fn arb_key() -> impl Strategy<Value = Vec<u8>> {
        (
            proptest::collection::vec(any::<u8>(), 0..12),
            0..=MAX_SEQUENCE,
            any::<bool>(),
        )
            .prop_map(|(user, seq, del)| {
                let t = if del {
                    ValueType::Deletion
                } else {
                    ValueType::Value
                };
                internal_key(&user, seq, t)
            })
    }

    fn arb_edit() -> impl Strategy<Value = VersionEdit> {
        (
            proptest::option::of("[ -~]{0,30}"),
            proptest::option::of(any::<u64>()),
            proptest::option::of(any::<u64>()),
            proptest::option::of(any::<u64>()),
            proptest::option::of(any::<u64>()),
            proptest::collection::vec((0..NUM_LEVELS, arb_key()), 0..4),
            proptest::collection::btree_set((0..NUM_LEVELS, any::<u64>()), 0..5),
            proptest::collection::vec(
                (
                    0..NUM_LEVELS,
                    any::<u64>(),
                    any::<u64>(),
                    arb_key(),
                    arb_key(),
                ),
                0..5,
            ),
        )
            .prop_map(|(cmp, log, prev, next, last, cps, deleted, added)| {
                let mut e = VersionEdit::new();
                e.comparator = cmp;
                e.log_number = log;
                e.prev_log_number = prev;
                e.next_file_number = next;
                e.last_sequence = last;
                e.compact_pointers = cps;
                e.deleted_files = deleted;
                for (level, n, size, s, l) in added {
                    e.add_file(level, n, size, &s, &l);
                }
                e
            })
    }

    proptest! {
        #[test]
        fn round_trip(edit in arb_edit()) {
            let encoded = edit.encode();
            let parsed = VersionEdit::decode(&encoded).unwrap();
            prop_assert_eq!(&parsed, &edit);
            prop_assert_eq!(parsed.encode(), encoded);
            prop_assert_eq!(parsed.debug_string(), edit.debug_string());
        }

        /// A cut record either fails cleanly or, when the cut fell between
        /// fields, decodes to exactly the fields before the cut.
        #[test]
        fn truncation_never_panics(edit in arb_edit(), cut in any::<prop::sample::Index>()) {
            let encoded = edit.encode();
            if !encoded.is_empty() {
                let cut = cut.index(encoded.len());
                match VersionEdit::decode(&encoded[..cut]) {
                    Ok(prefix) => prop_assert_eq!(prefix.encode(), &encoded[..cut]),
                    Err(e) => prop_assert!(e.is_corruption()),
                }
            }
        }

        #[test]
        fn bit_flips_never_panic(edit in arb_edit(), at in any::<prop::sample::Index>(), bit in 0u8..8) {
            let mut encoded = edit.encode();
            if !encoded.is_empty() {
                let i = at.index(encoded.len());
                encoded[i] ^= 1 << bit;
                if let Err(e) = VersionEdit::decode(&encoded) {
                    prop_assert!(e.message().starts_with("VersionEdit: "));
                }
            }
        }

        #[test]
        fn splices_and_garbage_never_panic(
            a in arb_edit(),
            b in arb_edit(),
            i in any::<prop::sample::Index>(),
            j in any::<prop::sample::Index>(),
            garbage in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            let ea = a.encode();
            let eb = b.encode();
            let mut spliced = ea[..i.index(ea.len() + 1)].to_vec();
            spliced.extend_from_slice(&eb[j.index(eb.len() + 1)..]);
            for input in [&spliced, &garbage] {
                if let Err(e) = VersionEdit::decode(input) {
                    prop_assert!(e.is_corruption());
                }
            }
            // Two whole records concatenated decode as their union.
            let mut both = ea.clone();
            both.extend_from_slice(&eb);
            prop_assert!(VersionEdit::decode(&both).is_ok());
        }
    }
}
