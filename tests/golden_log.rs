//! Golden logs: the write-ahead logs and MANIFESTs that the reference
//! LevelDB 1.23 left in the golden cases' `db/` (see `tests/support`), read through our
//! log `Reader` (via the POSIX env) and `WriteBatch::iterate`.
//!
//! What is checked, for every golden database (each copied to a temp dir
//! first, as the testdata README asks):
//! * every record of every `.log` and MANIFEST reads with no corruption
//!   reported, and every `.log` record is a well-formed batch whose sequence
//!   follows on from the previous batch's;
//! * re-writing the same records with our `Writer` gives the file back byte
//!   for byte (proof that the writer's framing is LevelDB's);
//! * the state replayed from the logs agrees with `expected.tsv`: equal to it
//!   where all the data is in the logs (no tables), and otherwise every key
//!   the logs touch last has the expected value or is absent if deleted.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use leveldb::env::{default_env, WritableFile};
use leveldb::log::{Reader, Reporter, Writer};
use leveldb::write_batch::{WriteBatch, WriteBatchHandler, HEADER_SIZE};
use leveldb::{Error, Result};

mod support;

const CASES: [&str; 5] = support::GOLDEN_CASES;

/// A private copy of a golden database directory.
fn copy_db(case: &str) -> tempfile::TempDir {
    let src = support::golden_case(case).join("db");
    let dir = tempfile::tempdir().expect("tempdir");
    for entry in std::fs::read_dir(&src).expect("read golden db dir") {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).expect("copy golden file");
    }
    dir
}

fn unhex(s: &str) -> Vec<u8> {
    assert!(s.len() % 2 == 0, "odd hex {s:?}");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn expected(case: &str) -> BTreeMap<Vec<u8>, Vec<u8>> {
    let text = std::fs::read_to_string(support::golden_case(case).join("expected.tsv"))
        .expect("expected.tsv");
    text.lines()
        .map(|line| {
            let (k, v) = line.split_once('\t').expect("key TAB value");
            (unhex(k), unhex(v))
        })
        .collect()
}

/// Collects what the reader reports.
#[derive(Clone, Default)]
struct Corruptions(Arc<Mutex<Vec<(usize, String)>>>);

impl Reporter for Corruptions {
    fn corruption(&mut self, bytes: usize, reason: &Error) {
        self.0.lock().unwrap().push((bytes, reason.to_string()));
    }
}

/// Applies batches in order; `None` marks a key deleted.
#[derive(Default)]
struct Replay {
    state: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl WriteBatchHandler for Replay {
    fn put(&mut self, key: &[u8], value: &[u8]) {
        self.state.insert(key.to_vec(), Some(value.to_vec()));
    }
    fn delete(&mut self, key: &[u8]) {
        self.state.insert(key.to_vec(), None);
    }
}

/// A WritableFile collecting bytes in memory.
struct VecFile(Arc<Mutex<Vec<u8>>>);

impl WritableFile for VecFile {
    fn append(&mut self, data: &[u8]) -> Result<()> {
        self.0.lock().unwrap().extend_from_slice(data);
        Ok(())
    }
    fn flush(&mut self) -> Result<()> {
        Ok(())
    }
    fn sync(&mut self) -> Result<()> {
        Ok(())
    }
    fn close(&mut self) -> Result<()> {
        Ok(())
    }
}

/// Reads every record of the log at `path`, asserting that nothing is
/// reported and that our writer reproduces the file from the records.
fn read_all_records(path: &Path) -> Vec<Vec<u8>> {
    let env = default_env();
    let file = env
        .new_sequential_file(path.to_str().unwrap())
        .expect("open log");
    let corruptions = Corruptions::default();
    let mut reader = Reader::new(file, Some(Box::new(corruptions.clone())), true, 0);
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut previous_offset = None;
    while reader.read_record(&mut record) {
        let offset = reader.last_record_offset();
        assert!(
            previous_offset.map_or(true, |p| offset > p),
            "{}: record offsets must increase",
            path.display()
        );
        previous_offset = Some(offset);
        records.push(record.clone());
    }
    assert_eq!(
        *corruptions.0.lock().unwrap(),
        Vec::<(usize, String)>::new(),
        "{}: corruption reported",
        path.display()
    );

    let rewritten = Arc::new(Mutex::new(Vec::new()));
    let mut writer = Writer::new(Box::new(VecFile(rewritten.clone())));
    for r in &records {
        writer.add_record(r).unwrap();
    }
    let original = std::fs::read(path).unwrap();
    let rewritten = rewritten.lock().unwrap();
    assert!(
        *rewritten == original,
        "{}: our writer's bytes differ from LevelDB's ({} vs {} bytes)",
        path.display(),
        rewritten.len(),
        original.len()
    );
    records
}

/// Files in `dir` whose names satisfy `pick`, in file-number order.
fn files(dir: &Path, pick: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| pick(n))
        .collect();
    names.sort_by_key(|n| {
        let digits: String = n.chars().filter(char::is_ascii_digit).collect();
        digits.parse::<u64>().unwrap_or(0)
    });
    names.into_iter().map(|n| dir.join(n)).collect()
}

fn is_log(name: &str) -> bool {
    name.strip_suffix(".log")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Replays all `.log` files of `dir` in order.
fn replay_logs(dir: &Path) -> (Replay, usize) {
    let mut replay = Replay::default();
    let mut batches = 0;
    for log in files(dir, is_log) {
        let mut next_sequence: Option<u64> = None;
        let mut batch = WriteBatch::new();
        for record in read_all_records(&log) {
            assert!(
                record.len() >= HEADER_SIZE,
                "{}: log record too small",
                log.display()
            );
            batch.set_contents(&record);
            if let Some(expected) = next_sequence {
                assert_eq!(
                    batch.sequence(),
                    expected,
                    "{}: sequence gap",
                    log.display()
                );
            }
            next_sequence = Some(batch.sequence() + u64::from(batch.count()));
            batch
                .iterate(&mut replay)
                .unwrap_or_else(|e| panic!("{}: {e}", log.display()));
            batches += 1;
        }
    }
    (replay, batches)
}

fn has_tables(dir: &Path) -> bool {
    !files(dir, |n| n.ends_with(".ldb") || n.ends_with(".sst")).is_empty()
}

/// Replays `case` and checks it against expected.tsv; returns whether the
/// logs held everything (and so were compared for equality), and how many
/// keys the logs touched.
fn check_case(case: &str) -> (bool, usize) {
    let db = copy_db(case);
    let (replay, _) = replay_logs(db.path());
    let touched = replay.state.len();
    let expected = expected(case);
    if has_tables(db.path()) {
        for (key, value) in &replay.state {
            assert_eq!(
                expected.get(key),
                value.as_ref(),
                "{case}: key {key:02x?} last written in the log"
            );
        }
        (false, touched)
    } else {
        let live: BTreeMap<Vec<u8>, Vec<u8>> = replay
            .state
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect();
        assert_eq!(live.len(), expected.len(), "{case}: entry count");
        assert!(
            live == expected,
            "{case}: replayed state differs from expected.tsv"
        );
        (true, touched)
    }
}

#[test]
fn log_only_replays_to_expected() {
    let db = copy_db("log-only");
    let (replay, batches) = replay_logs(db.path());
    assert!(batches > 0);
    // The case exercises deletions: some keys end deleted.
    assert!(replay.state.values().any(Option::is_none));
    assert_eq!(check_case("log-only"), (true, replay.state.len()));
}

#[test]
fn big_values_replay_to_expected() {
    let db = copy_db("big-values");
    let logs = files(db.path(), is_log);
    assert!(!logs.is_empty());
    // Values of 20-170 KB: records are fragmented over many blocks.
    let records: Vec<Vec<u8>> = logs.iter().flat_map(|l| read_all_records(l)).collect();
    assert!(records
        .iter()
        .any(|r| r.len() > 3 * leveldb::log::BLOCK_SIZE));
    let tables = has_tables(db.path());
    assert_eq!(check_case("big-values").0, !tables);
}

#[test]
fn live_logs_of_databases_with_tables_agree_with_expected() {
    // Both have a non-empty live log; nocompress-smallblocks's is empty.
    for case in ["levels-snappy-bloom", "reverse-comparator"] {
        let (complete, touched) = check_case(case);
        assert!(
            !complete && touched > 0,
            "{case}: {touched} keys in its log"
        );
    }
    assert_eq!(check_case("nocompress-smallblocks"), (false, 0));
}

#[test]
fn manifests_read_cleanly_and_rewrite_identically() {
    for case in CASES {
        let db = copy_db(case);
        let manifests = files(db.path(), |n| n.starts_with("MANIFEST-"));
        assert!(!manifests.is_empty(), "{case}: no MANIFEST");
        for m in manifests {
            let records = read_all_records(&m);
            assert!(!records.is_empty(), "{}: empty MANIFEST", m.display());
        }
    }
}
