//! A process that dies without closing its database loses none of the
//! writes it acknowledged. The POSIX env writes the log through a shared
//! mapping (src/env/posix.rs), so a record belongs to the kernel as soon as
//! the put returns, just as with LevelDB's `write(2)` per record. A dead
//! writer leaves its log with a zero-filled, preallocated tail; our recovery
//! and LevelDB 1.23's both read past it.

mod refprog;
mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use leveldb::{Options, WriteOptions, DB};

/// Set in the child process: the database it writes and then dies on.
const CHILD_ENV: &str = "STRATA_LOG_CRASH_CHILD";
/// Enough bytes (~2.6 MB of log) to cross several mapped chunks, few
/// enough to stay in the 4 MiB memtable, so everything lives in the log.
const KEYS: usize = 20_000;

fn key(i: usize) -> Vec<u8> {
    format!("key{:08}", i * 7919 % KEYS).into_bytes()
}

fn value(i: usize) -> Vec<u8> {
    format!("value-{i}-{}", "x".repeat(i % 200)).into_bytes()
}

/// What the child wrote: puts, then every tenth key deleted again.
fn expected() -> BTreeMap<Vec<u8>, Vec<u8>> {
    let mut model = BTreeMap::new();
    for i in 0..KEYS {
        model.insert(key(i), value(i));
    }
    for i in (0..KEYS).step_by(10) {
        model.remove(&key(i));
    }
    model
}

fn child(dir: &str) -> ! {
    let options = Options {
        create_if_missing: true,
        ..Options::default()
    };
    let db = DB::open(options, dir).unwrap();
    let wo = WriteOptions::default();
    for i in 0..KEYS {
        db.put(&wo, &key(i), &value(i)).unwrap();
    }
    for i in (0..KEYS).step_by(10) {
        db.delete(&wo, &key(i)).unwrap();
    }
    // Die without closing anything: exit runs no Rust destructors, so the
    // log is neither truncated nor closed and the LOCK is left to the kernel.
    std::process::exit(0);
}

fn log_files(dir: &Path) -> Vec<(String, u64)> {
    let mut logs: Vec<(String, u64)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".log"))
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (name, e.metadata().unwrap().len())
        })
        .collect();
    logs.sort();
    logs
}

#[test]
fn writes_survive_a_killed_process() {
    if let Ok(dir) = std::env::var(CHILD_ENV) {
        child(&dir);
    }
    support::require_reference();
    let tmp = tempfile::tempdir().unwrap();
    let db_dir = tmp.path().join("db");
    let status = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "writes_survive_a_killed_process",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, &db_dir)
        .status()
        .unwrap();
    assert!(status.success(), "child failed: {status}");

    // The log was left as the crash left it: preallocated past its records
    // to a chunk boundary (a multiple of the 32 KiB log block), zero-filled.
    let logs = log_files(&db_dir);
    assert_eq!(logs.len(), 1, "{logs:?}");
    let (name, size) = &logs[0];
    assert_eq!(size % 32_768, 0, "{name} is {size} bytes");
    let bytes = std::fs::read(db_dir.join(name)).unwrap();
    assert_eq!(bytes.last(), Some(&0), "{name} has no zero-filled tail");

    // LevelDB 1.23 recovers every acknowledged write (from a copy) ...
    let copy = tmp.path().join("copy");
    refprog::copy_dir(&db_dir, &copy);
    assert!(refprog::dump(&copy) == expected(), "LevelDB lost writes");

    // ... and so do we, twice (the second open reads the table the first
    // one's recovery wrote).
    for _ in 0..2 {
        let db = DB::open(Options::default(), db_dir.to_str().unwrap()).unwrap();
        assert!(refprog::scan(&db) == expected(), "Strata lost writes");
    }
}
