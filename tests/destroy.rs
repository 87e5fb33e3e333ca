//! destroy_db removes exactly the files LevelDB 1.23's DestroyDB removes —
//! logs, tables (.ldb and .sst), MANIFEST-*, CURRENT, LOCK, LOG, LOG.old,
//! *.dbtmp — and the directory when that leaves it empty; anything else
//! (and then the directory) stays. Every case is run on two identical
//! directories, one destroyed by us and one by LevelDB (a C program in a
//! separate process), and the results compared.

#![allow(clippy::field_reassign_with_default)]

mod refprog;

use std::collections::BTreeSet;
use std::path::Path;

use leveldb::{destroy_db, Options, WriteOptions, DB};

/// Names a database directory holds.
const DB_FILES: &[&str] = &[
    "000003.log",
    "000012.log",
    "000005.ldb",
    "000007.sst",
    "MANIFEST-000002",
    "MANIFEST-000010",
    "CURRENT",
    "LOCK",
    "LOG",
    "LOG.old",
    "000009.dbtmp",
];

/// Names LevelDB does not recognise as database files.
const OTHER_FILES: &[&str] = &[
    "notes.txt",
    "MANIFEST",
    "MANIFEST-",
    "MANIFEST-12x",
    "000005.ldb.bak",
    "12x.log",
    ".log",
    "LOG.older",
    "CURRENT.tmp",
    "18446744073709551616.log", // overflows u64
];

/// Everything under `dir`, relative, directories marked with a slash; None
/// if `dir` is gone.
fn listing(dir: &Path) -> Option<BTreeSet<String>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeSet<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let rel = e
                .path()
                .strip_prefix(base)
                .unwrap()
                .to_str()
                .unwrap()
                .to_string();
            if e.file_type().unwrap().is_dir() {
                out.insert(format!("{rel}/"));
                walk(base, &e.path(), out);
            } else {
                out.insert(rel);
            }
        }
    }
    if !dir.exists() {
        return None;
    }
    let mut out = BTreeSet::new();
    walk(dir, dir, &mut out);
    Some(out)
}

fn make(dir: &Path, files: &[&str], subdirs: &[&str]) {
    std::fs::create_dir_all(dir).unwrap();
    for f in files {
        std::fs::write(dir.join(f), f.as_bytes()).unwrap();
    }
    for d in subdirs {
        std::fs::create_dir_all(dir.join(d)).unwrap();
        std::fs::write(dir.join(d).join("000001.ldb"), b"x").unwrap();
    }
}

fn status_string(r: leveldb::Result<()>) -> String {
    match r {
        Ok(()) => "OK".to_string(),
        Err(e) => e.to_string(),
    }
}

/// Destroys `ours` with our destroy_db and `reference` with LevelDB's;
/// returns (our status, LevelDB's status, what is left of each).
fn destroy_both(ours: &Path, reference: &Path) -> [(String, Option<BTreeSet<String>>); 2] {
    let ours_status = status_string(destroy_db(ours.to_str().unwrap(), &Options::default()));
    let reference_status = refprog::run(&["destroy", reference.to_str().unwrap()])
        .trim_end()
        .to_string();
    [
        (ours_status, listing(ours)),
        (reference_status, listing(reference)),
    ]
}

fn check_same(files: &[&str], subdirs: &[&str]) -> (String, Option<BTreeSet<String>>) {
    let tmp = tempfile::tempdir().unwrap();
    let ours = tmp.path().join("x");
    let reference = tmp.path().join("y");
    make(&ours, files, subdirs);
    make(&reference, files, subdirs);
    let [a, b] = destroy_both(&ours, &reference);
    // Statuses name the directory: compare them with it abstracted away.
    let a_status = a.0.replace(ours.to_str().unwrap(), "<db>");
    let b_status = b.0.replace(reference.to_str().unwrap(), "<db>");
    assert_eq!(
        a_status, b_status,
        "status differs for {files:?} {subdirs:?}"
    );
    assert_eq!(a.1, b.1, "files left differ for {files:?} {subdirs:?}");
    (a_status, a.1)
}

#[test]
fn only_database_files_everything_goes() {
    let (status, left) = check_same(DB_FILES, &[]);
    assert_eq!(status, "OK");
    assert_eq!(left, None, "the emptied directory is removed");
}

#[test]
fn other_files_and_directories_stay() {
    let mut all: Vec<&str> = DB_FILES.to_vec();
    all.extend_from_slice(OTHER_FILES);
    let (status, left) = check_same(&all, &["lost", "sub"]);
    assert_eq!(status, "OK");
    let left = left.expect("directory kept");
    let mut expected: BTreeSet<String> = OTHER_FILES.iter().map(|s| s.to_string()).collect();
    for d in ["lost", "sub"] {
        expected.insert(format!("{d}/"));
        expected.insert(format!("{d}/000001.ldb"));
    }
    assert_eq!(left, expected);
}

#[test]
fn one_other_file_keeps_the_directory() {
    let (status, left) = check_same(&["000004.ldb", "CURRENT", "keep.me"], &[]);
    assert_eq!(status, "OK");
    assert_eq!(left.unwrap(), BTreeSet::from(["keep.me".to_string()]));
}

#[test]
fn empty_and_missing_directories() {
    let (status, left) = check_same(&[], &[]);
    assert_eq!(status, "OK");
    assert_eq!(left, None);
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("missing");
    assert_eq!(
        status_string(destroy_db(missing.to_str().unwrap(), &Options::default())),
        "OK"
    );
    let reference = refprog::run(&["destroy", missing.to_str().unwrap()]);
    assert_eq!(reference.trim_end(), "OK");
    assert!(!missing.exists());
}

#[test]
fn a_directory_with_a_database_name_is_an_error_in_both() {
    // "000006.log" is a directory: removing it as a file fails; the error
    // is reported and everything else still goes.
    let (status, left) = check_same(&["000005.ldb", "CURRENT"], &["000006.log"]);
    assert!(status.starts_with("IO error: "), "{status}");
    assert_eq!(
        left.unwrap(),
        BTreeSet::from([
            "000006.log/".to_string(),
            "000006.log/000001.ldb".to_string()
        ])
    );
}

#[test]
fn real_database_destroyed_and_open_one_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let name = tmp.path().join("db");
    let mut o = Options::default();
    o.create_if_missing = true;
    o.write_buffer_size = 64 << 10;
    let db = DB::open(o.clone(), name.to_str().unwrap()).unwrap();
    for i in 0..3000u32 {
        db.put(&WriteOptions::default(), &i.to_be_bytes(), &[7u8; 100])
            .unwrap();
    }
    // Let background work settle first: a flush or compaction finishing
    // between the two listings below added a table to the second one (2
    // runs of 40 beside two busy CPUs; once in a CI run).
    db.compact_range(None, None).unwrap();
    // Open in this process: the LOCK is held, nothing is removed.
    let before = listing(&name).unwrap();
    let err = destroy_db(name.to_str().unwrap(), &o).unwrap_err();
    assert!(err.to_string().contains("lock"), "{err}");
    assert_eq!(listing(&name).unwrap(), before);
    drop(db);
    destroy_db(name.to_str().unwrap(), &o).unwrap();
    assert!(!name.exists());
}
