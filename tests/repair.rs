//! RepairDB: databases written by our engine (several flushes, overwrites,
//! deletions, a live log) are damaged in copies — MANIFEST removed, CURRENT
//! removed, a table truncated, bytes of a data block flipped — and repaired
//! by us and, on an identical copy, by LevelDB 1.23 (a C program in a
//! separate process); also a damaged log, and tables with the old `.sst`
//! names. Ours must open and hold every entry (a, b), or a
//! subset of what was ever written with never an invented value (c, d), and
//! at least everything LevelDB's repair recovers, with the same values; our
//! repaired directory must open in LevelDB with the same contents.

#![allow(clippy::field_reassign_with_default)]

mod refprog;
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use leveldb::{repair_db, Options, WriteBatch, WriteOptions, DB};
use refprog::{copy_dir, dump, dump_unchecked, scan, Entries};
use support::Rng;

/// What was written: the final state and every value each key ever had.
struct Written {
    model: Entries,
    history: BTreeMap<Vec<u8>, BTreeSet<Vec<u8>>>,
}

fn options() -> Options {
    let mut o = Options::default();
    o.create_if_missing = true;
    o.write_buffer_size = 64 << 10; // many flushes
    o
}

/// Writes a database with several level-0 and deeper tables, overwrites,
/// deletions (some of them in batches) and data left only in the log.
fn build(dir: &Path) -> Written {
    let mut written = Written {
        model: Entries::new(),
        history: BTreeMap::new(),
    };
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let wo = WriteOptions::default();
    for round in 0..3 {
        let db = DB::open(options(), dir.to_str().unwrap()).unwrap();
        for i in 0..4000u64 {
            let key = format!("key{:06}", rng.below(3000)).into_bytes();
            if rng.below(8) == 0 {
                let mut batch = WriteBatch::new();
                batch.delete(&key);
                batch.put(b"batch-marker", format!("{round}-{i}").as_bytes());
                db.write(&wo, &batch).unwrap();
                written.model.remove(&key);
                let v = format!("{round}-{i}").into_bytes();
                written
                    .history
                    .entry(b"batch-marker".to_vec())
                    .or_default()
                    .insert(v.clone());
                written.model.insert(b"batch-marker".to_vec(), v);
            } else {
                let len = 50 + rng.below(200) as usize;
                let mut v = format!("{round}:{i}:").into_bytes();
                while v.len() < len {
                    v.push(b'a' + (rng.below(26) as u8));
                }
                db.put(&wo, &key, &v).unwrap();
                written
                    .history
                    .entry(key.clone())
                    .or_default()
                    .insert(v.clone());
                written.model.insert(key, v);
            }
        }
        if round == 1 {
            db.compact_range(None, None).unwrap();
        }
        // Closing leaves the last memtable's writes in the log only.
    }
    written
}

fn files_named(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_str().unwrap().ends_with(suffix))
        .collect();
    v.sort();
    v
}

fn largest_table(dir: &Path) -> PathBuf {
    files_named(dir, ".ldb")
        .into_iter()
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .expect("a table")
}

enum Damage {
    RemoveManifest,
    RemoveCurrent,
    TruncateTable,
    FlipDataBlockBytes,
    /// Bytes flipped in the middle of the newest log.
    FlipLogBytes,
    /// Tables renamed to the pre-1.14 `.sst` suffix, MANIFEST removed.
    SstNamesWithoutManifest,
}

fn damage(dir: &Path, how: &Damage) {
    match how {
        Damage::RemoveManifest => {
            for m in files_named(dir, "") {
                if m.file_name()
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .starts_with("MANIFEST-")
                {
                    std::fs::remove_file(m).unwrap();
                }
            }
        }
        Damage::RemoveCurrent => std::fs::remove_file(dir.join("CURRENT")).unwrap(),
        Damage::TruncateTable => {
            let t = largest_table(dir);
            let len = std::fs::metadata(&t).unwrap().len();
            let f = std::fs::OpenOptions::new().write(true).open(&t).unwrap();
            f.set_len(len / 2).unwrap();
        }
        Damage::FlipDataBlockBytes => {
            // A third of the way in is inside the data blocks (the filter,
            // index and footer are at the end and small).
            let t = largest_table(dir);
            let mut bytes = std::fs::read(&t).unwrap();
            let at = bytes.len() / 3;
            for b in &mut bytes[at..at + 8] {
                *b ^= 0x5a;
            }
            std::fs::write(&t, bytes).unwrap();
        }
        Damage::FlipLogBytes => {
            let log = files_named(dir, ".log").pop().expect("a log");
            let mut bytes = std::fs::read(&log).unwrap();
            assert!(bytes.len() > 10_000, "the log holds too little to damage");
            let at = bytes.len() / 2;
            for b in &mut bytes[at..at + 16] {
                *b ^= 0xa5;
            }
            std::fs::write(&log, bytes).unwrap();
        }
        Damage::SstNamesWithoutManifest => {
            damage(dir, &Damage::RemoveManifest);
            for t in files_named(dir, ".ldb") {
                std::fs::rename(&t, t.with_extension("sst")).unwrap();
            }
        }
    }
}

fn repair_ours(dir: &Path, paranoid: bool) {
    let mut o = Options::default();
    o.paranoid_checks = paranoid;
    repair_db(dir.to_str().unwrap(), &o).unwrap();
}

fn repair_reference(dir: &Path, paranoid: bool) {
    refprog::run(&[
        "repair",
        dir.to_str().unwrap(),
        if paranoid { "1" } else { "0" },
    ]);
}

fn open_and_scan(dir: &Path) -> Entries {
    let db = DB::open(Options::default(), dir.to_str().unwrap()).unwrap();
    scan(&db)
}

/// Damages two copies of a fresh database the same way, repairs one with
/// ours and one with LevelDB; returns (written, ours, reference, our dir).
fn repair_both(how: Damage, paranoid: bool) -> (Written, Entries, Entries, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let original = tmp.path().join("db");
    let written = build(&original);
    let ours_dir = tmp.path().join("ours");
    let reference_dir = tmp.path().join("reference");
    copy_dir(&original, &ours_dir);
    damage(&ours_dir, &how);
    copy_dir(&ours_dir, &reference_dir);

    repair_ours(&ours_dir, paranoid);
    // Keep the repair's info log: opening the database rotates it away.
    std::fs::copy(ours_dir.join("LOG"), tmp.path().join("repair.LOG")).unwrap();
    repair_reference(&reference_dir, paranoid);
    let ours = open_and_scan(&ours_dir);
    // Without paranoid checks a flipped byte may go unnoticed by either
    // repair, and then only reads that skip checksums get through.
    let reference_dump = if paranoid { dump } else { dump_unchecked };
    let reference = reference_dump(&reference_dir);
    // What we repaired reads the same in LevelDB.
    assert!(
        reference_dump(&ours_dir) == ours,
        "LevelDB reads our repaired database differently"
    );
    (written, ours, reference, tmp)
}

/// Every entry recovered is a value its key once had; everything LevelDB
/// recovered we recovered too, with the same value.
fn check_partial(written: &Written, ours: &Entries, reference: &Entries) {
    eprintln!(
        "written {} live keys; ours recovered {}, LevelDB {}",
        written.model.len(),
        ours.len(),
        reference.len()
    );
    for (k, v) in ours {
        assert!(
            written.history.get(k).is_some_and(|h| h.contains(v)),
            "key {:?}: recovered a value never written",
            String::from_utf8_lossy(k)
        );
    }
    for (k, v) in reference {
        assert_eq!(
            ours.get(k),
            Some(v),
            "key {:?}: LevelDB's repair recovered it, ours did not (or differently)",
            String::from_utf8_lossy(k)
        );
    }
}

fn lost_files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir.join("lost"))
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn manifest_removed_everything_recovered() {
    let (written, ours, reference, tmp) = repair_both(Damage::RemoveManifest, false);
    assert!(ours == written.model, "our repair lost or changed entries");
    assert!(reference == written.model, "LevelDB's repair differs");
    // The log was converted and archived; the info log says so.
    let lost = lost_files(&tmp.path().join("ours"));
    assert!(lost.iter().any(|f| f.ends_with(".log")), "{lost:?}");
    let log = std::fs::read_to_string(tmp.path().join("repair.LOG")).unwrap();
    assert!(log.contains("**** Repaired leveldb"), "{log}");
    assert!(log.contains("ops saved to Table #"), "{log}");
}

#[test]
fn current_removed_everything_recovered() {
    let (written, ours, reference, tmp) = repair_both(Damage::RemoveCurrent, false);
    assert!(ours == written.model, "our repair lost or changed entries");
    assert!(reference == written.model, "LevelDB's repair differs");
    // The old MANIFEST went to lost/.
    let lost = lost_files(&tmp.path().join("ours"));
    assert!(lost.iter().any(|f| f.starts_with("MANIFEST-")), "{lost:?}");
}

#[test]
fn truncated_table_dropped_rest_recovered() {
    let (written, ours, reference, tmp) = repair_both(Damage::TruncateTable, false);
    check_partial(&written, &ours, &reference);
    assert!(!ours.is_empty() && ours.len() < written.model.len() + 10);
    // The unreadable table was archived.
    let lost = lost_files(&tmp.path().join("ours"));
    assert!(lost.iter().any(|f| f.ends_with(".ldb")), "{lost:?}");
}

#[test]
fn flipped_bytes_with_checksums_keep_the_clean_blocks() {
    let (written, ours, reference, tmp) = repair_both(Damage::FlipDataBlockBytes, true);
    check_partial(&written, &ours, &reference);
    // Only the bad block is lost: the table was rewritten, not dropped.
    let log = std::fs::read_to_string(tmp.path().join("repair.LOG")).unwrap();
    assert!(log.contains("entries repaired"), "{log}");
    let missing = written
        .model
        .keys()
        .filter(|k| !ours.contains_key(*k))
        .count();
    assert!(missing < 200, "{missing} keys lost for one bad block");
}

#[test]
fn flipped_bytes_without_checksums_match_leveldb() {
    // Without checksums a flip may go unnoticed (in both implementations);
    // what matters is that we recover what LevelDB recovers.
    let (_written, ours, reference, _tmp) = repair_both(Damage::FlipDataBlockBytes, false);
    for (k, v) in &reference {
        assert_eq!(ours.get(k), Some(v), "key {:?}", String::from_utf8_lossy(k));
    }
}

#[test]
fn repair_of_an_empty_or_missing_directory() {
    let tmp = tempfile::tempdir().unwrap();
    // A missing directory gets created (with its info log), then repaired
    // into an empty database, as LevelDB does.
    let missing = tmp.path().join("missing");
    repair_ours(&missing, false);
    assert!(open_and_scan(&missing).is_empty());
    // With an info log given, nothing is created: no files is an error.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let mut o = Options::default();
    o.info_log = Some(std::sync::Arc::new(NullLogger));
    let err = repair_db(empty.to_str().unwrap(), &o).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("IO error: {}: repair found no files", empty.display())
    );
}

struct NullLogger;
impl leveldb::env::Logger for NullLogger {
    fn log(&self, _: &str) {}
}

#[test]
fn repair_of_an_open_database_fails_on_the_lock() {
    let tmp = tempfile::tempdir().unwrap();
    let name = tmp.path().join("db");
    let db = DB::open(options(), name.to_str().unwrap()).unwrap();
    db.put(&WriteOptions::default(), b"k", b"v").unwrap();
    assert!(repair_db(name.to_str().unwrap(), &Options::default()).is_err());
    drop(db);
    repair_db(name.to_str().unwrap(), &Options::default()).unwrap();
    assert_eq!(open_and_scan(&name).get(&b"k"[..]).unwrap(), b"v");
}

#[test]
fn damaged_log_keeps_what_leveldb_keeps() {
    // The log is read without checksums by both repairs: a damaged record
    // is dropped when it no longer parses (or kept as is when it does), the
    // same way in both.
    let (written, ours, reference, _tmp) = repair_both(Damage::FlipLogBytes, false);
    assert!(
        ours == reference,
        "our repair of a damaged log differs from LevelDB's"
    );
    assert!(ours.len() > written.model.len() / 2);
    // The damage did reach the data (a record dropped or changed).
    assert!(ours != written.model);
}

#[test]
fn sst_tables_without_manifest_everything_recovered() {
    let (written, ours, reference, tmp) = repair_both(Damage::SstNamesWithoutManifest, false);
    assert!(ours == written.model, "our repair lost or changed entries");
    assert!(reference == written.model, "LevelDB's repair differs");
    // No table went to lost/ that LevelDB's repair kept. (Closing the
    // database can interrupt a compaction, whose unfinished output stays on
    // disk until the next open, in LevelDB as here; both repairs archive
    // that file as "not an sstable".)
    let lost_tables = |dir: &str| -> Vec<String> {
        lost_files(&tmp.path().join(dir))
            .into_iter()
            .filter(|f| f.ends_with(".sst") || f.ends_with(".ldb"))
            .collect()
    };
    assert_eq!(
        lost_tables("ours"),
        lost_tables("reference"),
        "{}",
        std::fs::read_to_string(tmp.path().join("repair.LOG")).unwrap_or_default()
    );
}
