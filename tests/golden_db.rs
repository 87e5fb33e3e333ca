//! Databases written by the reference LevelDB 1.23 (the golden cases of
//! `tests/support`: frozen in testdata/ or generated at test time) open in
//! ours and show exactly their recorded contents, forward, backward and by
//! point reads, before and after a reopen; a database is refused with
//! LevelDB's error when opened with the wrong comparator.

#![allow(clippy::field_reassign_with_default)]

use std::cmp::Ordering;
use std::path::Path;
use std::sync::Arc;

use leveldb::util::bloom::BloomFilterPolicy;
use leveldb::{Comparator, CompressionType, Iterator as _, Options, ReadOptions, DB};

mod support;

/// Reverse bytewise order, named as the golden database's comparator.
struct ReverseBytewise;

impl Comparator for ReverseBytewise {
    fn compare(&self, a: &[u8], b: &[u8]) -> Ordering {
        b.cmp(a)
    }
    fn name(&self) -> &str {
        "golden.ReverseBytewise"
    }
    fn find_shortest_separator(&self, _start: &mut Vec<u8>, _limit: &[u8]) {}
    fn find_short_successor(&self, _key: &mut Vec<u8>) {}
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn expected(case: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    let text = std::fs::read_to_string(support::golden_case(case).join("expected.tsv"))
        .expect("expected.tsv");
    text.lines()
        .map(|line| {
            let (k, v) = line.split_once('\t').expect("key TAB value");
            (unhex(k), unhex(v))
        })
        .collect()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

/// A private copy of a golden database (opening writes to the directory).
fn copy_case(case: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    copy_dir(&support::golden_case(case).join("db"), &db);
    let name = db.to_str().unwrap().to_string();
    (dir, name)
}

fn options_for(case: &str) -> Options {
    let mut o = Options::default();
    match case {
        "levels-snappy-bloom" => {
            o.write_buffer_size = 64 << 10;
            o.compression = CompressionType::Snappy;
            o.filter_policy = Some(Arc::new(BloomFilterPolicy::new(10)));
        }
        "nocompress-smallblocks" => {
            o.compression = CompressionType::None;
            o.block_size = 1024;
            o.block_restart_interval = 4;
        }
        "reverse-comparator" => {
            o.write_buffer_size = 64 << 10;
            o.comparator = Arc::new(ReverseBytewise);
        }
        _ => {}
    }
    o
}

fn check_contents(db: &DB, want: &[(Vec<u8>, Vec<u8>)], case: &str) {
    let mut it = db.iter(&ReadOptions::new());
    it.seek_to_first();
    let mut got = Vec::with_capacity(want.len());
    while it.valid() {
        got.push((it.key().to_vec(), it.value().to_vec()));
        it.next();
    }
    it.status().unwrap();
    assert_eq!(got.len(), want.len(), "{case}: forward entry count");
    assert!(got == want, "{case}: forward iteration differs");

    it.seek_to_last();
    let mut back = Vec::with_capacity(want.len());
    while it.valid() {
        back.push((it.key().to_vec(), it.value().to_vec()));
        it.prev();
    }
    it.status().unwrap();
    back.reverse();
    assert!(back == want, "{case}: backward iteration differs");

    for (k, v) in want {
        let value = db.get(&ReadOptions::new(), k).unwrap();
        assert_eq!(value.as_deref(), Some(&v[..]), "{case}: get {k:x?}");
    }
    // Seeks land on the key itself.
    for (k, v) in want.iter().step_by(97) {
        it.seek(k);
        assert!(it.valid());
        assert_eq!((it.key(), it.value()), (&k[..], &v[..]), "{case}: seek");
    }
}

fn run_case(case: &str) {
    let want = expected(case);
    let (_dir, name) = copy_case(case);
    {
        let db = DB::open(options_for(case), &name).unwrap_or_else(|e| panic!("{case}: {e}"));
        check_contents(&db, &want, case);
    }
    let db = DB::open(options_for(case), &name).unwrap();
    check_contents(&db, &want, case);
}

#[test]
fn log_only() {
    run_case("log-only");
}

#[test]
fn levels_snappy_bloom() {
    run_case("levels-snappy-bloom");
}

#[test]
fn nocompress_smallblocks() {
    run_case("nocompress-smallblocks");
}

#[test]
fn big_values() {
    run_case("big-values");
}

#[test]
fn reverse_comparator() {
    run_case("reverse-comparator");
}

fn listing(dir: &str) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| {
            let n = e.file_name().into_string().unwrap();
            // Opening (even failing) rotates the info log and creates LOCK,
            // as LevelDB does.
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

#[test]
fn reverse_comparator_refuses_bytewise() {
    let (_dir, name) = copy_case("reverse-comparator");
    let before = listing(&name);
    let err = match DB::open(Options::default(), &name) {
        Ok(_) => panic!("opened with the wrong comparator"),
        Err(e) => e,
    };
    assert!(err.is_invalid_argument());
    assert_eq!(
        err.to_string(),
        "Invalid argument: golden.ReverseBytewise does not match existing comparator : leveldb.BytewiseComparator"
    );
    assert!(listing(&name) == before, "a refused open changed the files");
    // Still opens with the right comparator afterwards.
    let db = DB::open(options_for("reverse-comparator"), &name).unwrap();
    check_contents(&db, &expected("reverse-comparator"), "reverse-comparator");
}

#[test]
fn every_golden_case_is_present() {
    assert!(support::frozen_golden_root().join("README.md").exists());
    for case in support::GOLDEN_CASES {
        let dir = support::golden_case(case);
        assert!(dir.join("db/CURRENT").is_file(), "{case}: no db/CURRENT");
        assert!(!expected(case).is_empty(), "{case}: empty expected.tsv");
        let meta = std::fs::read_to_string(dir.join("meta.txt")).unwrap();
        assert_eq!(
            meta.lines().next(),
            Some(format!("entries: {}", expected(case).len()).as_str()),
            "{case}: meta.txt's count"
        );
    }
}
