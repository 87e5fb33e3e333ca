//! kill -9 at random moments loses no acknowledged write and never leaves a
//! database that does not open, with `paranoid_checks` — for us and for
//! LevelDB 1.23 reading what we left.
//!
//! A writer process (c_tests/crash_writer.c, C API, our library) writes
//! puts, deletes and batches into one database, journaling each
//! acknowledged operation, and is killed after 5-800 ms (log-uniform, so
//! many kills land in the open and its recovery); then the database is
//! opened with paranoid checks and compared with a model of the journaled
//! operations: it must equal the model, or the model plus the one operation
//! that may have been in flight — values exact, deletes applied, batches
//! whole, nothing else. Every few rounds LevelDB 1.23
//! (c_tests/crash_refcheck.c, its own process) opens a copy of what the
//! killed writer left, also with paranoid checks, and must see the same.
//! The next round's writer continues on the same database. Some rounds
//! sync every write, the others none (a killed process, unlike a power
//! cut, loses nothing the kernel has).
//!
//! `STRATA_CRASH_ROUNDS` sets the number of rounds (default 200, about a
//! minute), `STRATA_CRASH_SEED` the seed (printed, to replay a failure),
//! `STRATA_CRASH_REFERENCE_EVERY` how often LevelDB checks (default 5),
//! `STRATA_CRASH_KEEP` where to copy a database that fails a check.
//!
//! Also: the torn final record an older writer (header before payload)
//! left is read as the end of the log, and damage followed by records is
//! still corruption.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use leveldb::{Options, DB};
use support::{Library, OurLibDir, Rng};

type Entries = BTreeMap<Vec<u8>, Vec<u8>>;

const KEYS: u64 = 2000;
/// LevelDB 1.23 checks a copy every this many rounds (unless
/// `STRATA_CRASH_REFERENCE_EVERY` says otherwise).
const REFERENCE_EVERY: usize = 5;

fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Operation `i` as crash_writer.c's `make_op` builds it: its sub-operations
/// as (key, Some(value)) for a put and (key, None) for a delete.
fn op(seed: u64, i: u64) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
    let h = mix(seed ^ mix(i));
    let kind = h % 10;
    let batch = kind >= 8;
    let n = if batch { 2 + (h >> 8) % 6 } else { 1 };
    (0..n)
        .map(|s| {
            let hs = mix(h.wrapping_add(s + 1));
            let delete = kind == 6 || kind == 7 || (batch && (hs >> 20) % 4 == 0);
            let key = format!("k{:05}", hs % KEYS).into_bytes();
            if delete {
                return (key, None);
            }
            let filler = if (hs >> 32) % 50 == 0 {
                20_000 + (hs >> 40) % 30_000
            } else {
                (hs >> 40) % 300
            };
            let mut value = format!("v{i}.{s}.").into_bytes();
            value.extend((0..filler).map(|j| b'a' + ((j * 7 + i) % 26) as u8));
            (key, Some(value))
        })
        .collect()
}

fn apply(model: &mut Entries, seed: u64, i: u64) {
    for (key, value) in op(seed, i) {
        match value {
            Some(v) => model.insert(key, v),
            None => model.remove(&key),
        };
    }
}

/// Why `got` is neither `model` nor `model` plus operation `next`, or None.
fn mismatch(got: &Entries, model: &Entries, seed: u64, next: u64) -> Option<String> {
    if got == model {
        return None;
    }
    let mut with_next = model.clone();
    apply(&mut with_next, seed, next);
    if *got == with_next {
        return None;
    }
    let show = |k: &[u8], v: Option<&Vec<u8>>| {
        format!(
            "{} = {}",
            String::from_utf8_lossy(k),
            v.map(|v| String::from_utf8_lossy(&v[..v.len().min(24)]).into_owned())
                .unwrap_or_else(|| "(absent)".into())
        )
    };
    let keys: std::collections::BTreeSet<&Vec<u8>> = got.keys().chain(model.keys()).collect();
    let first = keys
        .into_iter()
        .find(|k| got.get(*k) != model.get(*k))
        .expect("the maps differ");
    Some(format!(
        "{} entries, acknowledged model {} (with op {next}: {}); first difference: got {}, model {}",
        got.len(),
        model.len(),
        with_next.len(),
        show(first, got.get(first)),
        show(first, model.get(first)),
    ))
}

fn options() -> Options {
    Options {
        create_if_missing: true,
        paranoid_checks: true,
        write_buffer_size: 1 << 20,
        max_file_size: 256 << 10,
        ..Options::default()
    }
}

fn scan(db: &DB) -> Entries {
    use leveldb::Iterator as _;
    let mut it = db.iter(&leveldb::ReadOptions {
        verify_checksums: true,
        ..leveldb::ReadOptions::new()
    });
    it.seek_to_first();
    let mut out = Entries::new();
    while it.valid() {
        out.insert(it.key().to_vec(), it.value().to_vec());
        it.next();
    }
    it.status().unwrap();
    out
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// LevelDB 1.23's view (its own process, paranoid open) of a copy of `db`.
fn reference_view(refcheck: &Path, db: &Path, copy: &Path) -> Result<Entries, String> {
    let _ = std::fs::remove_dir_all(copy);
    std::fs::create_dir_all(copy).unwrap();
    for entry in std::fs::read_dir(db).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), copy.join(entry.file_name())).unwrap();
        }
    }
    let out = Command::new(refcheck)
        .arg(copy)
        .env_remove("LD_LIBRARY_PATH")
        .output()
        .unwrap();
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let (k, v) = line.split_once('\t').expect("hexkey\\thexvalue");
            (unhex(k), unhex(v))
        })
        .collect())
}

/// The acknowledged operation numbers the writer journaled.
fn journaled(journal: &Path) -> Vec<u64> {
    let bytes = std::fs::read(journal).unwrap_or_default();
    // A kill mid-write(2) could leave a partial number: not acknowledged.
    bytes
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

fn log_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect()
}

/// Copies a database that failed a check to `STRATA_CRASH_KEEP`, if set.
fn keep_for_inspection(db: &Path) {
    if let Some(keep) = std::env::var_os("STRATA_CRASH_KEEP") {
        let keep = Path::new(&keep);
        let _ = std::fs::remove_dir_all(keep);
        std::fs::create_dir_all(keep).unwrap();
        for entry in std::fs::read_dir(db).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), keep.join(entry.file_name())).unwrap();
        }
        eprintln!("crash_kill: the database is kept in {}", keep.display());
    }
}

#[test]
fn kill_9_loses_no_acknowledged_write() {
    support::require_reference();
    let rounds: usize = std::env::var("STRATA_CRASH_ROUNDS")
        .ok()
        .map(|s| s.parse().expect("STRATA_CRASH_ROUNDS is a number"))
        .unwrap_or(200);
    let seed: u64 = std::env::var("STRATA_CRASH_SEED")
        .ok()
        .map(|s| s.parse().expect("STRATA_CRASH_SEED is a number"))
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    let reference_every: usize = std::env::var("STRATA_CRASH_REFERENCE_EVERY")
        .ok()
        .map(|s| s.parse().expect("STRATA_CRASH_REFERENCE_EVERY is a number"))
        .unwrap_or(REFERENCE_EVERY)
        .max(1);
    eprintln!("crash_kill: {rounds} rounds, STRATA_CRASH_SEED={seed}");

    let libs = OurLibDir::new();
    let tmp = tempfile::tempdir().unwrap();
    let writer = tmp.path().join("crash_writer");
    support::compile_c(&["c_tests/crash_writer.c"], &writer, Library::Ours, &libs);
    let refcheck = tmp.path().join("crash_refcheck");
    support::compile_c(
        &["c_tests/crash_refcheck.c"],
        &refcheck,
        Library::Reference,
        &libs,
    );
    let db_dir = tmp.path().join("db");
    let db_name = db_dir.to_str().unwrap().to_string();
    let journal = tmp.path().join("journal");
    let stderr_path = tmp.path().join("writer.stderr");
    let copy = tmp.path().join("reference-copy");

    let mut rng = Rng::new(seed);
    let mut model = Entries::new();
    let mut next_op = 0u64;
    let mut created = false;
    let (mut acked, mut sync_rounds, mut reference_checks, mut idle_rounds) = (0, 0, 0, 0);
    let mut max_level1_files = 0u64;
    let started = Instant::now();
    for round in 0..rounds {
        let sync = round % 3 == 2;
        sync_rounds += usize::from(sync);
        // Log-uniform in [5, 800] ms.
        let delay_ms =
            (5.0f64 * 160f64.powf(rng.below(1 << 20) as f64 / f64::from(1 << 20))).round() as u64;
        let _ = std::fs::remove_file(&journal);
        let mut child = support::command_for(&writer, Library::Ours, &libs)
            .arg(&db_dir)
            .arg(&journal)
            .arg(next_op.to_string())
            .arg(if sync { "1" } else { "0" })
            .arg(seed.to_string())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr_path).unwrap())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "round {round} (seed {seed}): the writer stopped by itself ({status}): {}",
                std::fs::read_to_string(&stderr_path).unwrap_or_default()
            );
        }
        child.kill().unwrap();
        child.wait().unwrap();

        let ops = journaled(&journal);
        for (k, &id) in ops.iter().enumerate() {
            assert_eq!(id, next_op + k as u64, "journal out of order");
        }
        let first_unacked = next_op + ops.len() as u64;
        let context = format!(
            "round {round} (seed {seed}, killed after {delay_ms} ms, sync {sync}, ops {next_op}..{first_unacked} acknowledged)"
        );
        created |= db_dir.join("CURRENT").exists();
        if !created {
            // Killed before the database existed: nothing to check yet.
            assert!(ops.is_empty(), "{context}: writes without a database");
            idle_rounds += 1;
            continue;
        }
        let mut model_now = model.clone();
        for id in next_op..first_unacked {
            apply(&mut model_now, seed, id);
        }

        if round % reference_every == 0 {
            reference_checks += 1;
            let seen = reference_view(&refcheck, &db_dir, &copy).unwrap_or_else(|e| {
                keep_for_inspection(&db_dir);
                panic!("{context}: LevelDB 1.23 cannot open what the writer left: {e}")
            });
            if let Some(why) = mismatch(&seen, &model_now, seed, first_unacked) {
                panic!("{context}: LevelDB 1.23 reads the wrong data: {why}");
            }
        }

        let db = DB::open(options(), &db_name).unwrap_or_else(|e| {
            keep_for_inspection(&db_dir);
            panic!("{context}: paranoid open fails: {e}")
        });
        let got = scan(&db);
        if let Some(why) = mismatch(&got, &model_now, seed, first_unacked) {
            panic!("{context}: {why}");
        }
        let level1: u64 = db
            .property("leveldb.num-files-at-level1")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        max_level1_files = max_level1_files.max(level1);
        drop(db);

        acked += ops.len();
        idle_rounds += usize::from(ops.is_empty());
        model = model_now;
        next_op = first_unacked;
    }
    eprintln!(
        "crash_kill: {rounds} rounds in {:.1} s: {acked} acknowledged operations checked, \
         {sync_rounds} synced rounds, {idle_rounds} rounds killed before a first write, \
         {reference_checks} LevelDB 1.23 checks, up to {max_level1_files} level-1 tables",
        started.elapsed().as_secs_f64()
    );
    // The rounds did what they are for: many writes, and compactions.
    assert!(acked > rounds * 10, "only {acked} writes acknowledged");
    if rounds >= 100 {
        assert!(max_level1_files > 0, "no compaction ever reached level 1");
    }
    assert!(!log_files(&db_dir).is_empty());
}

/// One FULL physical record holding `payload`.
fn full_record(payload: &[u8]) -> Vec<u8> {
    use leveldb::util::crc;
    let checksum = crc::mask(crc::extend(crc::value(&[1]), payload));
    let mut record = checksum.to_le_bytes().to_vec();
    record.extend_from_slice(&(payload.len() as u16).to_le_bytes());
    record.push(1); // FULL
    record.extend_from_slice(payload);
    record
}

/// A log as an older writer (header first) could leave it when killed:
/// whole records, then one whose header is written but whose payload is
/// cut after `keep` bytes, then the zero-filled rest of a 64 KiB chunk.
fn torn_log(records: &[Vec<u8>], torn: &[u8], keep: usize) -> Vec<u8> {
    let mut log: Vec<u8> = records.iter().flat_map(|r| full_record(r)).collect();
    let start = log.len();
    log.extend_from_slice(&full_record(torn));
    log[start + 7 + keep..].fill(0);
    log.resize(64 << 10, 0);
    log
}

/// A write batch record putting `key` = `value` at `sequence`.
fn batch_record(sequence: u64, key: &[u8], value: &[u8]) -> Vec<u8> {
    let mut batch = leveldb::WriteBatch::new();
    batch.put(key, value);
    batch.set_sequence(sequence);
    batch.contents().to_vec()
}

/// Builds a database whose only data is log 000003.log = `log`.
fn database_with_log(log: &[u8]) -> (tempfile::TempDir, String) {
    let tmp = tempfile::tempdir().unwrap();
    let name = tmp.path().join("db").to_str().unwrap().to_string();
    drop(DB::open(options(), &name).unwrap());
    let logs = log_files(Path::new(&name));
    assert_eq!(logs.len(), 1);
    std::fs::write(&logs[0], log).unwrap();
    (tmp, name)
}

#[test]
fn a_torn_final_record_is_the_end_of_the_log() {
    support::require_reference();
    let records: Vec<Vec<u8>> = (1..=20)
        .map(|i| batch_record(i, format!("key{i:02}").as_bytes(), &[b'v'; 100]))
        .collect();
    let torn = batch_record(21, b"key21", &[b'w'; 400]);
    let (_tmp, name) = database_with_log(&torn_log(&records, &torn, 150));
    let tmp = tempfile::tempdir().unwrap();
    let refcheck = tmp.path().join("crash_refcheck");
    let libs = OurLibDir::new();
    support::compile_c(
        &["c_tests/crash_refcheck.c"],
        &refcheck,
        Library::Reference,
        &libs,
    );
    // LevelDB 1.23 refuses this layout (the bug) ...
    let refused = reference_view(&refcheck, Path::new(&name), &tmp.path().join("copy"));
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.contains("Corruption: checksum mismatch")),
        "{refused:?}"
    );

    let db = DB::open(options(), &name).expect("a torn final record is not corruption");
    let got = scan(&db);
    assert_eq!(got.len(), 20);
    assert!(!got.contains_key(b"key21".as_slice()));
    drop(db);
    // ... but our recovery moved the records into a table and dropped the
    // torn log, so after it LevelDB 1.23 opens the database too, paranoid.
    let seen = reference_view(&refcheck, Path::new(&name), &tmp.path().join("copy")).unwrap();
    assert!(seen == got);
}

/// What the crash-order writer leaves when killed before a record's commit
/// store: the payload and the checksum in place, length and type still
/// zero. LevelDB 1.23 (paranoid) and we both read it as the end of the log,
/// straight from the killed writer's files.
#[test]
fn an_uncommitted_record_is_the_end_of_the_log_for_leveldb_too() {
    support::require_reference();
    let records: Vec<Vec<u8>> = (1..=20)
        .map(|i| batch_record(i, format!("key{i:02}").as_bytes(), &[b'v'; 100]))
        .collect();
    let pending = batch_record(21, b"key21", &[b'w'; 400]);
    let mut log = torn_log(&records, &pending, pending.len());
    let start = records.iter().map(|r| r.len() + 7).sum::<usize>();
    log[start + 4..start + 7].fill(0);
    let (_tmp, name) = database_with_log(&log);

    let tmp = tempfile::tempdir().unwrap();
    let refcheck = tmp.path().join("crash_refcheck");
    let libs = OurLibDir::new();
    support::compile_c(
        &["c_tests/crash_refcheck.c"],
        &refcheck,
        Library::Reference,
        &libs,
    );
    let seen = reference_view(&refcheck, Path::new(&name), &tmp.path().join("copy"))
        .expect("LevelDB 1.23 opens it with paranoid checks");
    let db = DB::open(options(), &name).unwrap();
    let got = scan(&db);
    assert_eq!(got.len(), 20);
    assert!(seen == got);
}

#[test]
fn damage_followed_by_records_is_still_corruption() {
    let records: Vec<Vec<u8>> = (1..=20)
        .map(|i| batch_record(i, format!("key{i:02}").as_bytes(), &[b'v'; 100]))
        .collect();
    let torn = batch_record(21, b"key21", &[b'w'; 400]);
    let mut log = torn_log(&records, &torn, 150);
    // A record further on, in the next block: what came before was no torn
    // final record.
    let later = full_record(&batch_record(22, b"key22", b"x"));
    log[32 << 10..(32 << 10) + later.len()].copy_from_slice(&later);
    let (_tmp, name) = database_with_log(&log);
    let e = DB::open(options(), &name).expect_err("damage must be reported");
    assert_eq!(e.to_string(), "Corruption: checksum mismatch");
    // Without paranoid checks it is skipped, and the later record read.
    let db = DB::open(
        Options {
            paranoid_checks: false,
            ..options()
        },
        &name,
    )
    .unwrap();
    let got = scan(&db);
    assert_eq!(got.len(), 21);
    assert!(got.contains_key(b"key22".as_slice()));
}
