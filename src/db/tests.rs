//! Open errors (LevelDB's texts, nothing changed on disk), recovery rules,
//! obsolete-file removal, background errors and `destroy_db`.

#![allow(clippy::field_reassign_with_default)]

use std::sync::Arc;

use super::*;
use crate::env::fault::FaultEnv;
use crate::iterator::InternalIterator;
use crate::status::Code;
use crate::util::comparator::Comparator;

fn temp_db() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let name = dir.path().join("db").to_str().unwrap().to_string();
    (dir, name)
}

fn create_opts() -> Options {
    let mut o = Options::default();
    o.create_if_missing = true;
    o
}

fn open_err(o: Options, name: &str) -> Error {
    match DB::open(o, name) {
        Ok(_) => panic!("open of {name} should fail"),
        Err(e) => e,
    }
}

/// Files of the db dir with contents, ignoring the info log and LOCK
/// (which every open, even a failing one, touches as LevelDB's does).
fn snapshot_dir(name: &str) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(name)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| {
            let n = e.file_name().into_string().unwrap();
            !n.starts_with("LOG") && n != "LOCK"
        })
        .map(|e| {
            (
                e.file_name().into_string().unwrap(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

fn file_names(name: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(name)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

fn fill(db: &DB, n: usize, tag: &str) {
    for i in 0..n {
        db.put(
            &WriteOptions::default(),
            format!("key{i:05}").as_bytes(),
            format!("{tag}{i}").repeat(20).as_bytes(),
        )
        .unwrap();
    }
}

fn scan(db: &DB) -> Vec<(Vec<u8>, Vec<u8>)> {
    scan_with(db, &ReadOptions::new())
}

/// Every entry `db` shows under `options` (a snapshot, say), in order.
fn scan_with(db: &DB, options: &ReadOptions) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut it = db.iter(options);
    it.seek_to_first();
    let mut out = Vec::new();
    while it.valid() {
        out.push((it.key().to_vec(), it.value().to_vec()));
        it.next();
    }
    it.status().unwrap();
    out
}

/// A database's contents as an ordered map, for model tests.
type Model = std::collections::BTreeMap<Vec<u8>, Vec<u8>>;

/// A seeded xorshift generator: each call returns a number below its
/// argument.
fn xorshift(mut seed: u64) -> impl FnMut(u64) -> u64 {
    move |n| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    }
}

/// Asserts that `db`, read at each snapshot of `snapshots` and then at the
/// latest state, shows what that snapshot's model and `latest` hold.
fn check_views(db: &DB, snapshots: &[(Snapshot, Model)], latest: &Model, ctx: &str) {
    let views = snapshots
        .iter()
        .map(|(s, m)| (Some(s), m))
        .chain(std::iter::once((None, latest)));
    for (i, (snap, want)) in views.enumerate() {
        let mut ro = ReadOptions::new();
        ro.snapshot = snap.cloned();
        let got = scan_with(db, &ro);
        let want: Vec<(Vec<u8>, Vec<u8>)> =
            want.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        assert!(
            got == want,
            "{ctx}, view {i} of {}: {} entries, want {}",
            snapshots.len() + 1,
            got.len(),
            want.len()
        );
    }
}

#[test]
fn missing_db_without_create_if_missing() {
    let (_d, name) = temp_db();
    let e = open_err(Options::default(), &name);
    assert_eq!(
        e.to_string(),
        format!("Invalid argument: {name}: does not exist (create_if_missing is false)")
    );
    assert!(!std::path::Path::new(&format!("{name}/CURRENT")).exists());
}

#[test]
fn error_if_exists_and_second_open() {
    let (_d, name) = temp_db();
    let db = DB::open(create_opts(), &name).unwrap();
    db.put(&WriteOptions::default(), b"a", b"1").unwrap();
    let e = open_err(create_opts(), &name);
    assert_eq!(
        e.to_string(),
        format!("IO error: lock {name}/LOCK: already held by process")
    );
    drop(db);
    let before = snapshot_dir(&name);
    let mut o = create_opts();
    o.error_if_exists = true;
    let e = open_err(o, &name);
    assert_eq!(
        e.to_string(),
        format!("Invalid argument: {name}: exists (error_if_exists is true)")
    );
    assert!(
        snapshot_dir(&name) == before,
        "a refused open changed files"
    );
    // Reopens fine afterwards (the lock was released).
    let db = DB::open(Options::default(), &name).unwrap();
    assert_eq!(
        db.get(&ReadOptions::new(), b"a").unwrap(),
        Some(b"1".to_vec())
    );
}

#[test]
fn damaged_current_and_manifest() {
    let (_d, name) = temp_db();
    {
        let db = DB::open(create_opts(), &name).unwrap();
        fill(&db, 100, "v");
        db.flush_memtable().unwrap();
    }
    let current_path = format!("{name}/CURRENT");
    let current = std::fs::read_to_string(&current_path).unwrap();
    let manifest = current.trim_end().to_string();

    // CURRENT without its newline.
    std::fs::write(&current_path, manifest.as_bytes()).unwrap();
    let before = snapshot_dir(&name);
    let e = open_err(Options::default(), &name);
    assert_eq!(
        e.to_string(),
        "Corruption: CURRENT file does not end with newline"
    );
    assert!(snapshot_dir(&name) == before);

    // CURRENT naming a missing MANIFEST.
    std::fs::write(&current_path, "MANIFEST-999999\n").unwrap();
    let before = snapshot_dir(&name);
    let e = open_err(Options::default(), &name);
    assert!(
        e.to_string().starts_with(&format!(
            "Corruption: CURRENT points to a non-existent file: NotFound: {name}/MANIFEST-999999"
        )),
        "{e}"
    );
    assert!(snapshot_dir(&name) == before);

    // Missing CURRENT: the database looks absent.
    std::fs::remove_file(&current_path).unwrap();
    let e = open_err(Options::default(), &name);
    assert!(e.is_invalid_argument(), "{e}");

    // A MANIFEST without the required fields.
    std::fs::write(&current_path, format!("{manifest}\n")).unwrap();
    let manifest_path = format!("{name}/{manifest}");
    let good_manifest = std::fs::read(&manifest_path).unwrap();
    {
        let env = crate::env::default_env();
        let file = env.new_writable_file(&manifest_path).unwrap();
        let mut w = log::Writer::new(file);
        let edit = VersionEdit {
            comparator: Some("leveldb.BytewiseComparator".into()),
            ..Default::default()
        };
        let mut rec = Vec::new();
        edit.encode_to(&mut rec);
        w.add_record(&rec).unwrap();
        w.file_mut().close().unwrap();
    }
    let before = snapshot_dir(&name);
    let e = open_err(Options::default(), &name);
    assert_eq!(
        e.to_string(),
        "Corruption: no meta-nextfile entry in descriptor"
    );
    assert!(snapshot_dir(&name) == before);

    // A MANIFEST record that does not decode.
    let mut bad = good_manifest.clone();
    let last = bad.len() - 1;
    bad[last] ^= 0xff; // checksum mismatch in the last record
    std::fs::write(&manifest_path, &bad).unwrap();
    let e = open_err(Options::default(), &name);
    assert!(e.is_corruption(), "{e}");

    // Restored, it opens with every entry.
    std::fs::write(&manifest_path, &good_manifest).unwrap();
    let db = DB::open(Options::default(), &name).unwrap();
    assert_eq!(scan(&db).len(), 100);
}

#[test]
fn missing_table_is_reported() {
    let (_d, name) = temp_db();
    {
        let db = DB::open(create_opts(), &name).unwrap();
        fill(&db, 100, "v");
        db.flush_memtable().unwrap();
    }
    let table = file_names(&name)
        .into_iter()
        .find(|n| n.ends_with(".ldb"))
        .unwrap();
    std::fs::remove_file(format!("{name}/{table}")).unwrap();
    let e = open_err(Options::default(), &name);
    assert_eq!(
        e.to_string(),
        format!("Corruption: 1 missing files; e.g.: {name}/{table}")
    );
}

#[test]
fn sst_names_are_read_too() {
    let (_d, name) = temp_db();
    {
        let db = DB::open(create_opts(), &name).unwrap();
        fill(&db, 100, "v");
        db.flush_memtable().unwrap();
    }
    for n in file_names(&name) {
        if let Some(stem) = n.strip_suffix(".ldb") {
            std::fs::rename(format!("{name}/{n}"), format!("{name}/{stem}.sst")).unwrap();
        }
    }
    let db = DB::open(Options::default(), &name).unwrap();
    assert_eq!(scan(&db).len(), 100);
}

#[test]
fn paranoid_checks_decide_about_damaged_logs() {
    let (_d, name) = temp_db();
    {
        let db = DB::open(create_opts(), &name).unwrap();
        fill(&db, 50, "v");
    }
    let log_name = file_names(&name)
        .into_iter()
        .find(|n| n.ends_with(".log"))
        .unwrap();
    let path = format!("{name}/{log_name}");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[20] ^= 0x55; // inside the first record
    std::fs::write(&path, &bytes).unwrap();

    let backup = tempfile::tempdir().unwrap();
    for n in file_names(&name) {
        std::fs::copy(format!("{name}/{n}"), backup.path().join(&n)).unwrap();
    }

    let mut paranoid = Options::default();
    paranoid.paranoid_checks = true;
    let e = open_err(paranoid, &name);
    assert_eq!(e.to_string(), "Corruption: checksum mismatch");

    // Without paranoid checks the damaged block is skipped and reported.
    let db = DB::open(Options::default(), &name).unwrap();
    let log = std::fs::read_to_string(format!("{name}/LOG")).unwrap();
    assert!(
        log.contains(&format!("(ignoring error) {path}: dropping")),
        "{log}"
    );
    let _ = scan(&db);
}

#[test]
fn recovery_flushes_and_obsolete_files_go() {
    let (_d, name) = temp_db();
    let mut o = create_opts();
    o.write_buffer_size = 64 << 10;
    {
        let db = DB::open(o.clone(), &name).unwrap();
        fill(&db, 3000, "a");
        fill(&db, 3000, "b");
        db.delete(&WriteOptions::default(), b"key00007").unwrap();
    }
    // An orphan table no MANIFEST names, and an old log, are removed.
    std::fs::write(format!("{name}/999990.ldb"), b"junk").unwrap();
    std::fs::write(format!("{name}/000001.log"), b"").unwrap();
    let db = DB::open(o.clone(), &name).unwrap();
    let names = file_names(&name);
    assert!(!names.contains(&"999990.ldb".to_string()), "{names:?}");
    assert!(!names.contains(&"000001.log".to_string()), "{names:?}");
    assert_eq!(names.iter().filter(|n| n.ends_with(".log")).count(), 1);
    assert_eq!(
        names.iter().filter(|n| n.starts_with("MANIFEST-")).count(),
        1
    );
    assert!(names.contains(&"LOG.old".to_string()));
    let all = scan(&db);
    assert_eq!(all.len(), 2999);
    assert!(all.iter().all(|(_, v)| v.starts_with(b"b")));
    assert_eq!(db.get(&ReadOptions::new(), b"key00007").unwrap(), None);
}

#[test]
fn iterators_outlive_compactions_and_the_db() {
    let (_d, name) = temp_db();
    let mut o = create_opts();
    o.write_buffer_size = 64 << 10;
    let db = DB::open(o, &name).unwrap();
    fill(&db, 2000, "a");
    // Into tables below level 0: the iterator opens those only when it
    // reaches them, so they must still be on disk then.
    db.compact_range(None, None).unwrap();
    let tables_before: Vec<String> = file_names(&name)
        .into_iter()
        .filter(|n| n.ends_with(".ldb"))
        .collect();
    assert!(!tables_before.is_empty());
    let snap = db.snapshot();
    let mut ro = ReadOptions::new();
    ro.snapshot = Some(snap);
    let mut it = db.iter(&ro);
    fill(&db, 2000, "b");
    db.compact_range(None, None).unwrap();
    for i in 0..2000 {
        db.delete(&WriteOptions::default(), format!("key{i:05}").as_bytes())
            .unwrap();
    }
    db.compact_range(None, None).unwrap();
    assert_eq!(scan(&db).len(), 0);
    let now = file_names(&name);
    for t in &tables_before {
        assert!(now.contains(t), "{t} deleted while an iterator uses it");
    }
    drop(db);
    // The iterator still sees its snapshot: its tables were kept.
    it.seek_to_first();
    let mut n = 0;
    while it.valid() {
        assert!(it.value().starts_with(b"a"));
        n += 1;
        it.next();
    }
    it.status().unwrap();
    assert_eq!(n, 2000);
    drop(it);
    // Unreferenced now: the next open removes them.
    let _db = DB::open(Options::default(), &name).unwrap();
    let now = file_names(&name);
    for t in &tables_before {
        assert!(!now.contains(t), "{t} left behind");
    }
}

#[test]
fn properties() {
    let (_d, name) = temp_db();
    let db = DB::open(create_opts(), &name).unwrap();
    fill(&db, 100, "v");
    db.flush_memtable().unwrap();
    let total: usize = (0..7)
        .map(|l| {
            db.property(&format!("leveldb.num-files-at-level{l}"))
                .unwrap()
                .parse::<usize>()
                .unwrap()
        })
        .sum();
    assert_eq!(total, 1);
    assert_eq!(db.property("leveldb.num-files-at-level7"), None);
    assert_eq!(db.property("leveldb.num-files-at-level1x"), None);
    assert_eq!(db.property("leveldb.nope"), None);
    assert_eq!(db.property("num-files-at-level0"), None);
    let sst = db.property("leveldb.sstables").unwrap();
    assert!(sst.starts_with("--- level 0 ---\n"), "{sst}");
    assert!(
        sst.contains("['key00000' @ 1 : 1 .. 'key00099' @ 100 : 1]"),
        "{sst}"
    );
    assert!(db
        .property("leveldb.stats")
        .unwrap()
        .contains("Compactions"));
    let mem: u64 = db
        .property("leveldb.approximate-memory-usage")
        .unwrap()
        .parse()
        .unwrap();
    assert!(mem > 0);
    let sizes = db.approximate_sizes(&[(b"key00000", b"key00099"), (b"z", b"zz")]);
    assert!(sizes[0] > 0 && sizes[1] == 0, "{sizes:?}");
}

#[test]
fn background_errors_are_sticky() {
    let (_d, name) = temp_db();
    let fault = FaultEnv::new(crate::env::default_env());
    let mut o = create_opts();
    o.env = fault.clone();
    let db = DB::open(o, &name).unwrap();
    fill(&db, 10, "v");
    // Fail every write to table files: the flush fails.
    fault.set_filter(Some(Arc::new(|p: &str| p.ends_with(".ldb"))));
    fault.fail_all_writes(true);
    assert!(db.flush_memtable().is_err());
    let e = db.put(&WriteOptions::default(), b"x", b"y").unwrap_err();
    assert!(e.is_io_error(), "{e}");
    fault.fail_all_writes(false);
    let e2 = db.put(&WriteOptions::default(), b"x", b"y").unwrap_err();
    assert_eq!(e, e2, "the first background error stays");
    // Data written before the error is still readable.
    assert!(db.get(&ReadOptions::new(), b"key00003").unwrap().is_some());
}

/// Regression (found by `tests/io_faults.rs`): after a failed MANIFEST
/// write, a compaction that had flushed the memtable midway appended its
/// own edit after the cut-short record, and the database no longer opened
/// ("checksum mismatch"). No edit is written once a background error is set.
#[test]
fn no_manifest_edit_after_a_background_error() {
    let env = FaultEnv::new(crate::env::mem::MemEnv::new());
    let mut o = create_opts();
    o.env = env.clone();
    let db = DB::open(o, "/mem/db").unwrap();
    fill(&db, 10, "v");
    let current = crate::env::read_file_to_vec(&*env, "/mem/db/CURRENT").unwrap();
    let manifest = format!("/mem/db/{}", String::from_utf8(current).unwrap().trim_end());
    let size = env.get_file_size(&manifest).unwrap();
    let mut guard = db.inner.state.lock();
    guard.bg_error = Some(Error::io_error("an earlier MANIFEST write failed"));
    let mut edit = crate::version::edit::VersionEdit::default();
    let e = db.inner.log_and_apply(&mut guard, &mut edit).unwrap_err();
    assert_eq!(e.to_string(), "IO error: an earlier MANIFEST write failed");
    drop(guard);
    assert_eq!(env.get_file_size(&manifest).unwrap(), size);
}

#[test]
fn destroy_removes_db_files_only() {
    let (_d, name) = temp_db();
    {
        let db = DB::open(create_opts(), &name).unwrap();
        fill(&db, 100, "v");
        db.flush_memtable().unwrap();
        // Not while open.
        assert!(destroy_db(&name, &Options::default()).is_err());
    }
    destroy_db(&name, &Options::default()).unwrap();
    assert!(!std::path::Path::new(&name).exists());

    let db = DB::open(create_opts(), &name).unwrap();
    drop(db);
    std::fs::write(format!("{name}/keep.txt"), b"x").unwrap();
    destroy_db(&name, &Options::default()).unwrap();
    assert_eq!(file_names(&name), vec!["keep.txt".to_string()]);
    // A missing directory is fine.
    destroy_db(format!("{name}-nope"), &Options::default()).unwrap();
}

#[test]
fn reuse_logs_keeps_log_and_manifest() {
    let (_d, name) = temp_db();
    let mut o = create_opts();
    o.reuse_logs = true;
    {
        let db = DB::open(o.clone(), &name).unwrap();
        fill(&db, 100, "v");
    }
    let data_files = || -> Vec<String> {
        file_names(&name)
            .into_iter()
            .filter(|n| !n.starts_with("LOG"))
            .collect()
    };
    let before = data_files();
    {
        let db = DB::open(o.clone(), &name).unwrap();
        assert_eq!(scan(&db).len(), 100);
        db.put(&WriteOptions::default(), b"zz", b"after").unwrap();
        assert_eq!(data_files(), before, "log and MANIFEST reused");
    }
    let db = DB::open(Options::default(), &name).unwrap();
    assert_eq!(scan(&db).len(), 101);
    let log = std::fs::read_to_string(format!("{name}/LOG.old")).unwrap();
    assert!(log.contains("Reusing old log"), "{log}");
    assert!(log.contains("Reusing MANIFEST"), "{log}");
}

#[test]
fn read_sampling_does_not_disturb_scans() {
    let (_d, name) = temp_db();
    let mut o = create_opts();
    o.write_buffer_size = 64 << 10;
    let db = DB::open(o, &name).unwrap();
    for round in 0..4 {
        fill(&db, 1500, &format!("r{round}"));
        db.flush_memtable().unwrap();
    }
    for _ in 0..5 {
        let all = scan(&db);
        assert_eq!(all.len(), 1500);
        assert!(all.iter().all(|(_, v)| v.starts_with(b"r3")));
    }
}

#[test]
fn repair_rebuilds_a_lost_manifest() {
    let (_d, name) = temp_db();
    let mut o = create_opts();
    o.write_buffer_size = 64 << 10;
    {
        let db = DB::open(o.clone(), &name).unwrap();
        fill(&db, 3000, "a");
        db.delete(&WriteOptions::default(), b"key02005").unwrap();
        fill(&db, 10, "b"); // stays in the live log
    }
    for n in file_names(&name) {
        if n.starts_with("MANIFEST-") || n == "CURRENT" {
            std::fs::remove_file(format!("{name}/{n}")).unwrap();
        }
    }
    assert!(DB::open(Options::default(), &name).is_err());
    repair_db(&name, &Options::default()).unwrap();
    let lost = file_names(&format!("{name}/lost"));
    assert!(lost.iter().any(|n| n.ends_with(".log")), "{lost:?}");
    let log = std::fs::read_to_string(format!("{name}/LOG")).unwrap();
    assert!(log.contains("**** Repaired leveldb"), "{log}");

    let db = DB::open(Options::default(), &name).unwrap();
    let all = scan(&db);
    assert_eq!(all.len(), 2999);
    assert_eq!(db.get(&ReadOptions::new(), b"key02005").unwrap(), None);
    assert!(db
        .get(&ReadOptions::new(), b"key00003")
        .unwrap()
        .unwrap()
        .starts_with(b"b3"));
    // New writes after repair get fresh sequence numbers.
    db.put(&WriteOptions::default(), b"key00003", b"new")
        .unwrap();
    drop(db);
    let db = DB::open(Options::default(), &name).unwrap();
    assert_eq!(
        db.get(&ReadOptions::new(), b"key00003").unwrap(),
        Some(b"new".to_vec())
    );
}

#[test]
fn repair_errors_and_damaged_tables() {
    let (_d, name) = temp_db();
    std::fs::create_dir_all(&name).unwrap();
    // An empty directory: nothing to repair (the info log is not a file
    // repair counts, but it is created first, as in LevelDB).
    let mut o = Options::default();
    o.info_log = Some(Arc::new(NullLogger));
    let e = repair_db(&name, &o).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("IO error: {name}: repair found no files")
    );

    {
        let mut o = create_opts();
        o.compression = crate::options::CompressionType::None;
        let db = DB::open(o, &name).unwrap();
        fill(&db, 2000, "v");
        db.flush_memtable().unwrap();
    }
    let table = file_names(&name)
        .into_iter()
        .find(|n| n.ends_with(".ldb"))
        .unwrap();
    let path = format!("{name}/{table}");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[100] ^= 0xff; // damage the first data block
    std::fs::write(&path, &bytes).unwrap();
    let mut paranoid = Options::default();
    paranoid.paranoid_checks = true;
    repair_db(&name, &paranoid).unwrap();
    let db = DB::open(Options::default(), &name).unwrap();
    let n = scan(&db).len();
    assert!(n > 1500 && n < 2000, "{n} entries survive");
}

struct NullLogger;
impl Logger for NullLogger {
    fn log(&self, _message: &str) {}
}

#[test]
fn flushed_memtables_go_as_deep_as_level_two() {
    let (_d, name) = temp_db();
    let db = DB::open(create_opts(), &name).unwrap();
    let files_at = |level: usize| -> String {
        db.property(&format!("leveldb.num-files-at-level{level}"))
            .unwrap()
    };
    let wo = WriteOptions::default();
    db.put(&wo, b"a", b"1").unwrap();
    db.put(&wo, b"c", b"1").unwrap();
    db.flush_memtable().unwrap();
    assert_eq!(
        (files_at(0), files_at(1), files_at(2)),
        ("0".into(), "0".into(), "1".into())
    );
    db.put(&wo, b"b", b"2").unwrap();
    db.flush_memtable().unwrap();
    assert_eq!(
        (files_at(0), files_at(1), files_at(2)),
        ("0".into(), "1".into(), "1".into())
    );
    db.put(&wo, b"b", b"3").unwrap();
    db.flush_memtable().unwrap();
    assert_eq!(
        (files_at(0), files_at(1), files_at(2)),
        ("1".into(), "1".into(), "1".into())
    );
    // Disjoint from everything: straight to level 2 again.
    db.put(&wo, b"x", b"4").unwrap();
    db.flush_memtable().unwrap();
    assert_eq!(files_at(2), "2");
    assert_eq!(
        db.get(&ReadOptions::new(), b"b").unwrap(),
        Some(b"3".to_vec())
    );
}

/// LevelDB's GetEncountersEmptyLevel: gets that consult more than one file
/// charge the first one a seek; when its allowed seeks run out it is
/// compacted even though no level is over its size limit.
#[test]
fn gets_through_several_files_trigger_a_seek_compaction() {
    let (_d, name) = temp_db();
    let db = DB::open(create_opts(), &name).unwrap();
    let files_at = |level: usize| -> String {
        db.property(&format!("leveldb.num-files-at-level{level}"))
            .unwrap()
    };
    let wo = WriteOptions::default();
    // Three flushes of the same range land at levels 2, 1 and 0.
    for _ in 0..3 {
        db.put(&wo, b"a", b"begin").unwrap();
        db.put(&wo, b"z", b"end").unwrap();
        db.flush_memtable().unwrap();
    }
    assert_eq!(
        (files_at(0), files_at(1), files_at(2)),
        ("1".into(), "1".into(), "1".into())
    );
    // Each miss reads the level-0 file, then the level-1 one: 100 seeks
    // (the minimum allowance) exhaust the level-0 file.
    let ro = ReadOptions::new();
    for _ in 0..1000 {
        assert_eq!(db.get(&ro, b"missing").unwrap(), None);
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while files_at(0) != "0" {
        assert!(
            std::time::Instant::now() < deadline,
            "no seek compaction: {}",
            db.property("leveldb.sstables").unwrap()
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    // The gets cached a view of the version before the compaction; it must
    // not have kept the compacted tables from being deleted. The version is
    // installed before the obsolete files are unlinked (with the mutex
    // released), so the unlinking may still be under way: wait for it.
    loop {
        let live: usize = (0..NUM_LEVELS)
            .map(|l| files_at(l).parse::<usize>().unwrap())
            .sum();
        let names = file_names(&name);
        let on_disk = names.iter().filter(|n| n.ends_with(".ldb")).count();
        if on_disk == live {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{on_disk} tables on disk, {live} live: {names:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(db.get(&ro, b"a").unwrap(), Some(b"begin".to_vec()));
    assert_eq!(db.get(&ro, b"z").unwrap(), Some(b"end".to_vec()));
}

/// Tables of levels 0 to `key_filter::MAX_LEVEL` written by this process
/// (flushes only down to `key_filter::FLUSH_MAX_LEVEL`) carry an in-memory
/// key filter; lookups through it find every key and its
/// newest value, and miss the rest. Deeper levels drop it, and so do tables
/// under a comparator that may call different bytes equal.
#[test]
fn key_filters_find_every_key() {
    let (_d, name) = temp_db();
    let mut o = create_opts();
    // Values large enough that a compaction of the level-0 files writes
    // more than one output (max_file_size is at least 1 MiB).
    o.compression = crate::options::CompressionType::None;
    let pad = "-".repeat(4000);
    let db = DB::open(o, &name).unwrap();
    let wo = WriteOptions::default();
    let ro = ReadOptions::new();
    // Overlapping flushes: the first two land at levels 2 and 1, the rest
    // at level 0 (fewer than the four that trigger a compaction).
    let mut model = std::collections::BTreeMap::new();
    for round in 0..5u32 {
        for i in (round..600).step_by(3) {
            let (k, v) = (format!("k{i:04}"), format!("v{round}-{i}{pad}"));
            db.put(&wo, k.as_bytes(), v.as_bytes()).unwrap();
            model.insert(k, v);
        }
        db.put(&wo, b"k9999", format!("last{round}").as_bytes())
            .unwrap();
        model.insert("k9999".to_string(), format!("last{round}"));
        db.flush_memtable().unwrap();
    }
    let filtered = |db: &DB| -> Vec<(usize, bool)> {
        let state = db.inner.state.lock();
        let current = state.versions.current();
        (0..NUM_LEVELS)
            .flat_map(|l| {
                current
                    .files(l)
                    .iter()
                    .map(move |f| (l, f.key_filter.is_some()))
            })
            .collect()
    };
    // A flush placed at level 2 keeps none (key_filter::FLUSH_MAX_LEVEL).
    let expected = [(0, true), (0, true), (0, true), (1, true), (2, false)];
    assert_eq!(filtered(&db), expected);
    let check_all = |db: &DB| {
        for (k, v) in &model {
            let got = db.get(&ro, k.as_bytes()).unwrap();
            assert_eq!(got.as_deref(), Some(v.as_bytes()), "{k}");
            let missing = format!("{k}x");
            assert_eq!(db.get(&ro, missing.as_bytes()).unwrap(), None);
        }
    };
    check_all(&db);
    // A compaction into level 1 gives each output a filter of its own.
    db.inner.manual_compaction(0, None, None).unwrap();
    let after = filtered(&db);
    assert!(
        after.iter().all(|&(l, f)| l > 0 && (f || l == 2)),
        "{after:?}"
    );
    assert!(
        after.iter().filter(|&&(l, _)| l == 1).count() >= 2,
        "{after:?}"
    );
    check_all(&db);
    // Compaction outputs into level 2 are filtered.
    db.inner.manual_compaction(1, None, None).unwrap();
    let after = filtered(&db);
    assert!(after.iter().all(|&(l, f)| l == 2 && f), "{after:?}");
    assert!(after.len() >= 2, "{after:?}");
    check_all(&db);
    // Below key_filter::MAX_LEVEL, none keeps one.
    assert_eq!(crate::version::key_filter::MAX_LEVEL, 2);
    db.inner.manual_compaction(2, None, None).unwrap();
    let after = filtered(&db);
    assert!(after.iter().all(|&(l, f)| l == 3 && !f), "{after:?}");
    check_all(&db);
}

#[test]
fn no_key_filters_under_a_custom_comparator() {
    struct Reverse;
    impl Comparator for Reverse {
        fn compare(&self, a: &[u8], b: &[u8]) -> std::cmp::Ordering {
            b.cmp(a)
        }
        fn name(&self) -> &str {
            "test.Reverse"
        }
        fn find_shortest_separator(&self, _start: &mut Vec<u8>, _limit: &[u8]) {}
        fn find_short_successor(&self, _key: &mut Vec<u8>) {}
    }
    let (_d, name) = temp_db();
    let mut o = create_opts();
    o.comparator = Arc::new(Reverse);
    let db = DB::open(o, &name).unwrap();
    db.put(&WriteOptions::default(), b"a", b"1").unwrap();
    db.flush_memtable().unwrap();
    let state = db.inner.state.lock();
    let files: Vec<_> = (0..NUM_LEVELS)
        .flat_map(|l| state.versions.current().files(l).to_vec())
        .collect();
    assert_eq!(files.len(), 1);
    assert!(files[0].key_filter.is_none());
}

/// An iterator made while the memtable is empty reads the tables alone
/// (no merge); it must still see exactly the database as of its creation
/// in both directions, and later iterators must see later writes, which
/// land in that memtable.
#[test]
fn iterators_over_an_empty_memtable_see_their_point_in_time() {
    let (_d, name) = temp_db();
    let db = DB::open(create_opts(), &name).unwrap();
    fill(&db, 200, "v");
    db.compact_range(None, None).unwrap();
    let before = scan(&db);
    assert_eq!(before.len(), 200);
    let mut it = db.iter(&ReadOptions::new());
    let wo = WriteOptions::default();
    db.put(&wo, b"key00050x", b"new").unwrap();
    db.delete(&wo, b"key00010").unwrap();
    db.put(&wo, b"key00020", b"changed").unwrap();
    // Forward, backward and after seeks, the iterator shows `before`.
    it.seek_to_first();
    let mut forward = Vec::new();
    while it.valid() {
        forward.push((it.key().to_vec(), it.value().to_vec()));
        it.next();
    }
    assert_eq!(forward, before);
    it.seek_to_last();
    let mut backward = Vec::new();
    while it.valid() {
        backward.push((it.key().to_vec(), it.value().to_vec()));
        it.prev();
    }
    backward.reverse();
    assert_eq!(backward, before);
    it.seek(b"key00050");
    it.next();
    assert_eq!(it.key(), b"key00051");
    it.prev();
    it.prev();
    assert_eq!(it.key(), b"key00049");
    it.status().unwrap();
    // A new iterator merges the memtable in.
    let after = scan(&db);
    assert_eq!(after.len(), 200);
    assert!(after.iter().any(|(k, v)| k == b"key00050x" && v == b"new"));
    assert!(after.iter().all(|(k, _)| k != b"key00010"));
    assert!(after
        .iter()
        .any(|(k, v)| k == b"key00020" && v == b"changed"));
}

/// A filter policy that panics when a table is built (on the named thread
/// only, if one is given; elsewhere it builds an empty filter): filters are
/// only made by flushes and compactions, so the panic happens in
/// background work.
struct PanickingFilter {
    only_on_thread: Option<&'static str>,
}

impl crate::filter::FilterPolicy for PanickingFilter {
    fn name(&self) -> &str {
        "strata.test.PanickingFilter"
    }
    fn create_filter(&self, _keys: &[&[u8]], _dst: &mut Vec<u8>) {
        let here = std::thread::current();
        if self
            .only_on_thread
            .map_or(true, |name| here.name() == Some(name))
        {
            panic!("filter exploded");
        }
    }
    fn key_may_match(&self, _key: &[u8], _filter: &[u8]) -> bool {
        true
    }
}

#[test]
fn panic_in_background_work_becomes_a_sticky_error() {
    let (_dir, name) = temp_db();
    let mut o = create_opts();
    o.filter_policy = Some(Arc::new(PanickingFilter {
        only_on_thread: None,
    }));
    let db = DB::open(o, &name).unwrap();
    db.put(&WriteOptions::default(), b"k", b"v").unwrap();
    // The flush panics on the background thread; the caller gets an error
    // instead of waiting forever for the flush to finish.
    let e = db.flush_memtable().unwrap_err();
    assert_eq!(e.code(), Code::IoError, "{e}");
    assert!(e.to_string().contains("filter exploded"), "{e}");
    // Every later write fails with the same error, as after an I/O error.
    let w = db.put(&WriteOptions::default(), b"k2", b"v2").unwrap_err();
    assert!(w.to_string().contains("panic in background work"), "{w}");
    // Reads of what the memtable holds still work.
    assert_eq!(
        db.get(&ReadOptions::new(), b"k").unwrap(),
        Some(b"v".to_vec())
    );
    // Close returns (it used to wait forever on the background slot), and
    // the database reopens with its write intact.
    drop(db);
    let db = DB::open(create_opts(), &name).unwrap();
    assert_eq!(
        db.get(&ReadOptions::new(), b"k").unwrap(),
        Some(b"v".to_vec())
    );
}

/// Lookups and seeks in levels of many files, where the version narrows
/// its file search with the files' key words (a level of eight files or
/// more) and tables narrow theirs with the index search, agree with a
/// model: keys that share a long prefix and differ past eight bytes of it,
/// and targets between, before and after them.
#[test]
fn lookups_and_seeks_in_levels_of_many_files() {
    let (_d, name) = temp_db();
    let db = DB::open(create_opts(), &name).unwrap();
    let key = |i: u64| format!("user-000000000000{:08}", i * 7).into_bytes();
    let mut model = std::collections::BTreeMap::new();
    // Incompressible values, so that 24 MB of them fill a dozen tables.
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for i in 0..80_000u64 {
        let v: Vec<u8> = (0..300)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect();
        db.put(&WriteOptions::default(), &key(i), &v).unwrap();
        model.insert(key(i), v);
    }
    db.compact_range(None, None).unwrap();
    let files: usize = (1..7)
        .map(|level| {
            db.property(&format!("leveldb.num-files-at-level{level}"))
                .unwrap()
                .parse::<usize>()
                .unwrap()
        })
        .max()
        .unwrap();
    assert!(files >= 8, "a level of at least eight files: {files}");

    let ro = ReadOptions::new();
    let mut it = db.iter(&ro);
    for probe in (0..80_000u64 * 7 + 20).step_by(997) {
        // Exact keys, keys between them, and their prefixes.
        let target = format!("user-000000000000{probe:08}").into_bytes();
        for t in [&target[..], &target[..target.len() - 3], &target[..10]] {
            assert_eq!(db.get(&ro, t).unwrap(), model.get(t).cloned(), "get {t:?}");
            it.seek(t);
            match model.range(t.to_vec()..).next() {
                Some((k, v)) => {
                    assert!(it.valid(), "seek {t:?}");
                    assert_eq!((it.key(), it.value()), (&k[..], &v[..]));
                }
                None => assert!(!it.valid(), "seek {t:?} past the end"),
            }
        }
    }
    it.status().unwrap();
}

/// Compactions split into key ranges, merged on threads of their own, keep
/// what one merge keeps: each key's newest value, every version a live
/// snapshot sees, no deleted key. The split threshold is lowered so that
/// this small database splits most of its compactions; the info log shows
/// that some did.
#[test]
fn split_compactions_keep_what_one_merge_keeps() {
    let (_dir, name) = temp_db();
    let mut o = create_opts();
    o.write_buffer_size = 64 << 10;
    o.max_file_size = 1 << 20;
    // Uncompressed, so that these few megabytes make several tables a level.
    o.compression = crate::CompressionType::None;
    let db = DB::open(o, &name).unwrap();
    db.inner
        .min_compaction_part_bytes
        .store(1, std::sync::atomic::Ordering::Relaxed);

    let mut rand = xorshift(0x2545_f491_4f6c_dd1d);
    let wo = WriteOptions::default();
    let mut model = Model::new();
    let mut snapshots: Vec<(Snapshot, Model)> = Vec::new();
    for round in 0..24u64 {
        for op in 0..2500u64 {
            let key = format!("key{:06}", rand(12_000)).into_bytes();
            if rand(8) == 0 {
                db.delete(&wo, &key).unwrap();
                model.remove(&key);
            } else {
                let len = 100 + rand(300) as usize;
                let mut value = format!("{round}.{op}:").into_bytes();
                value.resize(len, b'a' + (op % 26) as u8);
                db.put(&wo, &key, &value).unwrap();
                model.insert(key, value);
            }
        }
        match rand(4) {
            0 if snapshots.len() < 3 => snapshots.push((db.snapshot(), model.clone())),
            1 if !snapshots.is_empty() => {
                let i = rand(snapshots.len() as u64) as usize;
                snapshots.swap_remove(i);
            }
            _ => {}
        }
        if round % 6 == 5 {
            db.compact_range(None, None).unwrap();
        }
        check_views(&db, &snapshots, &model, &format!("round {round}"));
    }
    // Parts never overlap: each level below 0 still holds disjoint tables.
    {
        let state = db.inner.state.lock();
        let current = state.versions.current();
        for (level, files) in current.files.iter().enumerate().skip(1) {
            for pair in files.windows(2) {
                assert_eq!(
                    db.inner.icmp.compare(&pair[0].largest, &pair[1].smallest),
                    std::cmp::Ordering::Less,
                    "level {level}: tables #{} and #{} overlap",
                    pair[0].number,
                    pair[1].number
                );
            }
        }
    }
    let split = std::fs::read_to_string(format!("{name}/LOG"))
        .unwrap()
        .matches("Compacting in ")
        .count();
    assert!(split > 0, "no compaction was split");
    drop(snapshots);
    drop(db);
    let db = DB::open(create_opts(), &name).unwrap();
    check_views(&db, &[], &model, "after reopen");
}

/// A panic in a compaction part's thread ends that compaction with a
/// sticky error: the background thread, which waits for the parts, does
/// not wait forever (the part counts itself out as it unwinds), close
/// returns, and nothing written is lost.
#[test]
fn a_panicking_compaction_part_fails_the_compaction_without_hanging() {
    let (_dir, name) = temp_db();
    // A hang is the failure this test looks for: the work runs on a thread
    // of its own, given two minutes (it takes well under a second).
    let (done, finished) = std::sync::mpsc::channel();
    let db_name = name.clone();
    std::thread::spawn(move || {
        let model = write_until_a_part_panics(&db_name);
        let _ = done.send(model);
    });
    let model = match finished.recv_timeout(std::time::Duration::from_secs(120)) {
        Ok(model) => model,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("the database hung after a compaction part panicked")
        }
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            panic!("the writing thread failed (its panic is printed above)")
        }
    };

    let db = DB::open(create_opts(), &name).unwrap();
    let got = scan(&db);
    let want: Vec<(Vec<u8>, Vec<u8>)> = model.into_iter().collect();
    assert!(got == want, "{} entries, want {}", got.len(), want.len());
}

/// Writes until a split compaction's part panics (see `PanickingFilter`),
/// checks the error, closes the database and returns what was
/// acknowledged.
fn write_until_a_part_panics(name: &str) -> Model {
    let mut o = create_opts();
    o.write_buffer_size = 64 << 10;
    o.max_file_size = 256 << 10;
    o.compression = crate::CompressionType::None;
    o.filter_policy = Some(Arc::new(PanickingFilter {
        only_on_thread: Some("leveldb-compact"),
    }));
    let db = DB::open(o, name).unwrap();
    db.inner
        .min_compaction_part_bytes
        .store(1, std::sync::atomic::Ordering::Relaxed);
    let wo = WriteOptions::default();
    let mut model = std::collections::BTreeMap::new();
    let mut failed = None;
    'fill: for round in 0..40u32 {
        for i in 0..2000u32 {
            let key = format!("key{:06}", (i * 7919 + round * 104_729) % 30_000).into_bytes();
            let value = format!("{round}.{i}").repeat(20).into_bytes();
            match db.put(&wo, &key, &value) {
                Ok(()) => {
                    model.insert(key, value);
                }
                Err(e) => {
                    failed = Some(e);
                    break 'fill;
                }
            }
        }
    }
    let e = match failed {
        Some(e) => e,
        // Writes may have outrun the first split compaction: a full one
        // forces it, and its error must come back.
        None => db
            .compact_range(None, None)
            .and_then(|()| db.put(&wo, b"after", b"compaction"))
            .unwrap_err(),
    };
    assert!(e.to_string().contains("panicked"), "{e}");
    let later = db.put(&wo, b"later", b"write").unwrap_err();
    assert_eq!(later.code(), e.code(), "{later}");
    drop(db);
    model
}

/// Entries in every table of the current version, level by level.
fn table_entries(db: &DB) -> Vec<Vec<usize>> {
    let files = db.inner.state.lock().versions.current().files.clone();
    files
        .iter()
        .map(|level| {
            level
                .iter()
                .map(|f| {
                    let mut it = db.inner.table_cache.iter(
                        &crate::table::BlockReadOptions::default(),
                        f.number,
                        f.file_size,
                    );
                    it.seek_to_first();
                    let mut n = 0;
                    while it.valid() {
                        n += 1;
                        it.next();
                    }
                    it.status().unwrap();
                    n
                })
                .collect()
        })
        .collect()
}

#[test]
fn a_flush_leaves_out_entries_no_snapshot_can_see() {
    let (_dir, name) = temp_db();
    let db = DB::open(create_opts(), &name).unwrap();
    let wo = WriteOptions::default();
    let put = |i: u32| db.put(&wo, b"hot", format!("v{i}").as_bytes()).unwrap();
    // One key written over and over: only its newest entry is flushed.
    (0..3000).for_each(put);
    db.flush_memtable().unwrap();
    let total = |db: &DB| table_entries(db).iter().flatten().sum::<usize>();
    assert_eq!(total(&db), 1);

    // A snapshot keeps the entry it reads and every newer one (compaction's
    // rule: entries between the snapshot and the newest are kept too).
    (0..1000).for_each(put);
    let snap = db.snapshot();
    (1000..3000).for_each(put);
    db.flush_memtable().unwrap();
    assert_eq!(total(&db), 1 + 2001);
    let mut ro = ReadOptions::new();
    ro.snapshot = Some(snap.clone());
    assert_eq!(db.get(&ro, b"hot").unwrap().unwrap(), b"v999");

    // A deletion is the newest entry, so it stays and hides the rest.
    drop((snap, ro));
    (0..100).for_each(put);
    db.delete(&wo, b"hot").unwrap();
    db.flush_memtable().unwrap();
    assert_eq!(total(&db), 1 + 2001 + 1);
    assert_eq!(db.get(&ReadOptions::new(), b"hot").unwrap(), None);
    drop(db);
    let db = DB::open(create_opts(), &name).unwrap();
    assert_eq!(db.get(&ReadOptions::new(), b"hot").unwrap(), None);
}

/// Few keys written over many times, snapshots taken and released at
/// random points while memtables fill, flushes at random points: every
/// snapshot and the latest view read what a model says, before and after
/// a reopen.
#[test]
fn flushes_that_leave_out_shadowed_entries_keep_every_snapshot_whole() {
    let (_dir, name) = temp_db();
    let db = DB::open(create_opts(), &name).unwrap();
    let mut rand = xorshift(0x9e37_79b9_7f4a_7c15);
    let wo = WriteOptions::default();
    let mut model = Model::new();
    let mut snapshots: Vec<(Snapshot, Model)> = Vec::new();
    for op in 0..20_000u64 {
        let key = format!("k{:02}", rand(40)).into_bytes();
        if rand(6) == 0 {
            db.delete(&wo, &key).unwrap();
            model.remove(&key);
        } else {
            let value = format!("{op}").into_bytes();
            db.put(&wo, &key, &value).unwrap();
            model.insert(key, value);
        }
        match rand(400) {
            0 | 1 if snapshots.len() < 4 => snapshots.push((db.snapshot(), model.clone())),
            2 if !snapshots.is_empty() => {
                let i = rand(snapshots.len() as u64) as usize;
                snapshots.swap_remove(i);
            }
            3..=5 => {
                db.flush_memtable().unwrap();
                check_views(&db, &snapshots, &model, &format!("op {op}"));
            }
            _ => {}
        }
    }
    db.flush_memtable().unwrap();
    check_views(&db, &snapshots, &model, "the end");
    drop(snapshots);
    drop(db);
    let db = DB::open(create_opts(), &name).unwrap();
    check_views(&db, &[], &model, "after reopen");
}

/// The background thread gives freed heap memory back to the system when it
/// goes idle after a compaction that merged tables, and not after flushes
/// or moves alone (the writer reuses a flushed memtable's memory).
#[test]
fn idle_after_a_merge_and_only_then_freed_memory_goes_back() {
    let (_d, name) = temp_db();
    let db = DB::open(create_opts(), &name).unwrap();
    // Read once the background thread is idle (waiting as `DB::drop`
    // does); it counts a release under the mutex in the same hold that
    // marks it idle.
    let releases = || {
        let mut guard = db.inner.state.lock();
        while guard.bg_scheduled {
            db.inner.bg_cv.wait(&mut guard);
        }
        guard.memory_releases
    };
    let wo = WriteOptions::default();
    // Disjoint key ranges: every flush goes down a level unmerged.
    for round in 0..3 {
        for i in 0..200 {
            db.put(&wo, format!("r{round}-{i:04}").as_bytes(), &[b'v'; 100])
                .unwrap();
        }
        db.flush_memtable().unwrap();
    }
    assert_eq!(releases(), 0, "no merge yet");
    // The same keys again, flushed three times, then merged.
    for _ in 0..3 {
        for i in 0..200 {
            db.put(&wo, format!("r1-{i:04}").as_bytes(), &[b'w'; 100])
                .unwrap();
        }
        db.flush_memtable().unwrap();
    }
    db.compact_range(None, None).unwrap();
    let after_merge = releases();
    assert!(after_merge >= 1, "a merge ended with the thread idle");
    // More flushes alone release nothing more.
    for round in 3..5 {
        db.put(&wo, format!("r{round}").as_bytes(), b"v").unwrap();
        db.flush_memtable().unwrap();
    }
    assert_eq!(releases(), after_merge);
    assert_eq!(
        db.get(&ReadOptions::new(), b"r1-0007").unwrap(),
        Some(vec![b'w'; 100])
    );
}
