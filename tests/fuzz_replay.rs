//! The fuzz targets on stable Rust: every corpus and regression file of
//! `fuzz/` replayed through the same bodies the libFuzzer binaries run
//! (`fuzz/src`, included here as a module), then a bounded deterministic
//! mutation pass over every target, then LevelDB's own history
//! (google/leveldb #1318, #1310, #1311) as named tests.
//!
//! Invariants: a body signals a bug only by panicking; a panic anywhere in
//! the process during a run (including the database's background thread,
//! whose panics the engine catches and turns into a background error) and
//! any single allocation over [`MAX_ALLOCATION`] fail the test, naming the
//! input, which is also written under `target/fuzz-failures/` to be
//! replayed with `cargo +nightly fuzz run <target> <file>`. Tests here run
//! one at a time (they share the panic and allocation counters).

use std::alloc::{GlobalAlloc, Layout, System};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod bodies;

#[path = "fuzz_replay/seeds.rs"]
mod seeds;
mod support;

/// The largest single allocation a run may make: far above anything the
/// small inputs here justify, far below what a trusted length field could
/// ask for (LevelDB #1318 asked for 2^56 bytes).
const MAX_ALLOCATION: usize = 64 << 20;

/// Counts the largest allocation requested since the last reset.
struct Watch;

static LARGEST: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; the
// wrapper only records sizes in an atomic.
unsafe impl GlobalAlloc for Watch {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's contract for `alloc` is passed on as is.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        // SAFETY: as for `alloc`; `ptr` and `layout` are the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Watch = Watch;

/// Panics anywhere in the process since the hook was installed.
static PANICS: AtomicUsize = AtomicUsize::new(0);
/// One test at a time: the counters are process-wide.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.fetch_add(1, Ordering::SeqCst);
            default(info);
        }));
    });
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn fuzz_dir() -> PathBuf {
    support::root().join("fuzz")
}

/// Runs `body` on `input`; on a panic or an oversized allocation, saves the
/// input and returns what went wrong. Returns the largest allocation.
fn run_one(target: &str, body: fn(&[u8]), input: &[u8]) -> Result<usize, String> {
    let panics = PANICS.load(Ordering::SeqCst);
    LARGEST.store(0, Ordering::Relaxed);
    let outcome = catch_unwind(AssertUnwindSafe(|| body(input)));
    let largest = LARGEST.load(Ordering::Relaxed);
    let problem = if outcome.is_err() {
        Some("panicked".to_string())
    } else if PANICS.load(Ordering::SeqCst) != panics {
        Some("panicked in another thread".to_string())
    } else if largest > MAX_ALLOCATION {
        Some(format!("allocated {largest} bytes at once"))
    } else {
        None
    };
    match problem {
        None => Ok(largest),
        Some(p) => {
            let dir = support::root().join("target/fuzz-failures");
            let _ = std::fs::create_dir_all(&dir);
            let file = dir.join(format!("{target}-{:016x}", fnv(input)));
            let _ = std::fs::write(&file, input);
            Err(format!(
                "{target}: {p} on input saved as {}",
                file.display()
            ))
        }
    }
}

fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// The files of `fuzz/<kind>/<target>/`, sorted by name.
fn inputs(kind: &str, target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = fuzz_dir().join(kind).join(target);
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

#[test]
fn every_target_has_a_seed_corpus() {
    for (target, _) in bodies::TARGETS {
        let n = inputs("seeds", target).len();
        assert!(n >= 3, "fuzz/seeds/{target} holds {n} files");
    }
}

#[test]
fn corpora_and_regressions_replay_cleanly() {
    let _serial = serial();
    let mut failures = Vec::new();
    for (target, body) in bodies::TARGETS {
        for kind in ["seeds", "regressions"] {
            for (path, bytes) in inputs(kind, target) {
                if let Err(e) = run_one(target, *body, &bytes) {
                    failures.push(format!("{}: {e}", path.display()));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Bytes that often sit on boundaries of length and count fields.
const INTERESTING: [u8; 8] = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff, 0x08, 0x10];

/// One to four mutations of `input`: bit flips, byte sets, insertions,
/// deletions, truncations, duplicated ranges, large varints, splices with
/// another corpus file (`other`), a new mode byte, boundary fixed32s.
fn mutate(rng: &mut Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut data = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = data.len();
        match rng.below(10) {
            0 if len > 0 => {
                let i = rng.below(len);
                data[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                data[i] = INTERESTING[rng.below(INTERESTING.len())];
            }
            2 => {
                let i = rng.below(len + 1);
                let n = 1 + rng.below(8);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                data.splice(i..i, bytes);
            }
            3 if len > 0 => {
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(64));
                data.drain(i..i + n);
            }
            4 if len > 1 => data.truncate(rng.below(len)),
            5 if len > 0 => {
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(256));
                let copy = data[i..i + n].to_vec();
                let at = rng.below(len + 1);
                data.splice(at..at, copy);
            }
            6 => {
                // A varint64 of a large or boundary value.
                let v = [u64::MAX, u64::MAX - 4, 1 << 32, 1 << 56, 0x7fff_ffff][rng.below(5)];
                let mut varint = Vec::new();
                leveldb::util::coding::put_varint64(&mut varint, v);
                let i = rng.below(len + 1);
                let end = (i + varint.len()).min(len);
                data.splice(i..end, varint);
            }
            7 if !other.is_empty() => {
                let cut = rng.below(len + 1);
                let from = rng.below(other.len());
                data.truncate(cut);
                data.extend_from_slice(&other[from..]);
            }
            8 if len > 0 => {
                // Most targets read a mode byte first.
                data[0] = rng.next() as u8;
            }
            _ if len > 0 => {
                // A little-endian fixed32 set to a boundary value.
                let i = rng.below(len);
                let v: u32 = [0, 1, u32::MAX, 0x8000_0000, 0xffff][rng.below(5)];
                let end = (i + 4).min(len);
                let bytes = v.to_le_bytes();
                data[i..end].copy_from_slice(&bytes[..end - i]);
            }
            _ => data.push(rng.next() as u8),
        }
    }
    data
}

/// Executions per target and the time each may take, whichever ends first.
const EXECUTIONS: usize = 20_000;
const TIME_PER_TARGET: Duration = Duration::from_millis(2200);

#[test]
fn bounded_mutation_pass_over_every_target() {
    let _serial = serial();
    let mut failures = Vec::new();
    let mut report = Vec::new();
    for (target, body) in bodies::TARGETS {
        let mut seeds: Vec<Vec<u8>> = inputs("seeds", target)
            .into_iter()
            .chain(inputs("regressions", target))
            .map(|(_, b)| b)
            .collect();
        assert!(!seeds.is_empty(), "no seeds for {target}");
        // The seed is the target's name, so every run mutates alike.
        let mut rng = Rng(fnv(target.as_bytes()) | 1);
        let start = Instant::now();
        let mut runs = 0;
        while runs < EXECUTIONS && start.elapsed() < TIME_PER_TARGET {
            let a = rng.below(seeds.len());
            let b = rng.below(seeds.len());
            let input = mutate(&mut rng, &seeds[a], &seeds[b]);
            runs += 1;
            match run_one(target, *body, &input) {
                Ok(_) => {
                    // Keep some mutants as seeds so mutations stack.
                    if rng.below(16) == 0 && seeds.len() < 256 {
                        seeds.push(input);
                    }
                }
                Err(e) => {
                    failures.push(e);
                    break;
                }
            }
        }
        report.push(format!("{target}: {runs} runs in {:?}", start.elapsed()));
    }
    eprintln!("{}", report.join("\n"));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// google/leveldb#1318: a table of about a hundred bytes whose index names
/// a data block of ~2^56 bytes. Strata opens it, and reading reports the
/// block as truncated without allocating anything near its claimed size.
#[test]
fn leveldb_1318_table_claiming_a_huge_block() {
    let _serial = serial();
    let input = bodies::history::issue_1318_table();
    assert!(input.len() < 120, "{} bytes", input.len());
    let largest = run_one("table", bodies::table::run, &input).unwrap();
    assert!(largest < 1 << 20, "largest allocation {largest}");

    // The same through the public table API, with the error checked.
    use leveldb::table::{BlockReadOptions, Table, TableOptions};
    use leveldb::Iterator as _;
    let file = bodies::history::table_with_data_handle(0x00fe_fbdf_ff5f_ffc5);
    let size = file.len() as u64;
    for mapped in [false, true] {
        let f = std::sync::Arc::new(bodies::common::Bytes {
            data: file.clone(),
            mapped,
        });
        let options = TableOptions {
            paranoid_checks: true,
            ..TableOptions::default()
        };
        let table = Table::open(&options, f, size).expect("footer and index are sound");
        let mut it = table.iter(&BlockReadOptions::default());
        it.seek_to_first();
        assert!(!it.valid());
        let err = it.status().unwrap_err();
        assert!(err.is_corruption(), "{err}");
        assert_eq!(err.to_string(), "Corruption: truncated block read");
    }
    // As a database's table: the read fails, the process survives.
    let largest = run_one("db", bodies::db::run, &bodies::history::issue_1318_db()).unwrap();
    assert!(largest < MAX_ALLOCATION);
}

/// google/leveldb#1310: a block size of 2^64 - 5 (LevelDB's size plus
/// trailer wraps to 0).
#[test]
fn leveldb_1310_block_size_that_wraps() {
    let _serial = serial();
    let largest = run_one(
        "table",
        bodies::table::run,
        &bodies::history::issue_1310_table(),
    )
    .unwrap();
    assert!(largest < 1 << 20, "largest allocation {largest}");
}

/// google/leveldb#1311: MANIFEST new-file entries with 1-byte keys. The
/// edit decodes (as in LevelDB 1.23, whose dump shows such keys), but
/// recovery refuses it as corrupt before any such key is compared.
#[test]
fn leveldb_1311_manifest_key_shorter_than_8_bytes() {
    let _serial = serial();
    use leveldb::version::edit::VersionEdit;
    let edit = VersionEdit::decode(&bodies::history::issue_1311_edit()).unwrap();
    assert_eq!(edit.new_files[0].1.smallest, b"a");
    run_one(
        "manifest",
        bodies::manifest::run,
        &bodies::history::issue_1311_manifest(),
    )
    .unwrap();
    run_one("db", bodies::db::run, &bodies::history::issue_1311_db()).unwrap();

    // Opened as a database directly: a corruption error, not a crash.
    use leveldb::env::{mem::MemEnv, write_string_to_file, Env};
    let env = MemEnv::new();
    write_string_to_file(&*env, b"MANIFEST-000001\n", "/d/CURRENT", false).unwrap();
    let manifest = bodies::history::issue_1311_manifest_file();
    write_string_to_file(&*env, &manifest, "/d/MANIFEST-000001", false).unwrap();
    let options = leveldb::Options {
        env: env as std::sync::Arc<dyn Env>,
        ..Default::default()
    };
    let err = leveldb::DB::open(options, "/d").expect_err("refused");
    assert_eq!(err.to_string(), "Corruption: VersionEdit: new-file entry");
}

/// Rewrites the seed corpora from the golden databases of LevelDB 1.23
/// (`support::golden_case`: frozen or generated at test time) and the regression
/// inputs. Run by hand: `cargo test --release --test fuzz_replay --
/// --ignored regenerate_seed_corpora`.
#[test]
#[ignore]
fn regenerate_seed_corpora() {
    seeds::generate(&support::golden_case, &fuzz_dir());
}

/// With `reuse_logs`, a database whose newest log or MANIFEST ends in a
/// torn record (a crash mid-append) used to be appended to after the torn
/// bytes: the next open then failed (paranoid) or dropped the block with
/// the new, acknowledged writes. Found by the `db` and `manifest` targets.
#[test]
fn reuse_logs_never_appends_after_a_torn_record() {
    use leveldb::env::{mem::MemEnv, read_file_to_vec, write_string_to_file, Env};
    use leveldb::{Options, ReadOptions, WriteOptions, DB};
    use std::sync::Arc;

    let _serial = serial();
    for torn in ["log", "MANIFEST"] {
        let env = MemEnv::new();
        let options = |paranoid_checks| Options {
            env: Arc::clone(&env) as Arc<dyn Env>,
            create_if_missing: true,
            reuse_logs: true,
            paranoid_checks,
            ..Options::default()
        };
        let sync = WriteOptions { sync: true };
        let db = DB::open(options(false), "/r").unwrap();
        for i in 0..50u32 {
            db.put(&sync, format!("old{i}").as_bytes(), b"v").unwrap();
        }
        drop(db);
        // Tear the file: the start of one more record, cut in its payload.
        let name = env
            .get_children("/r")
            .unwrap()
            .into_iter()
            .find(|n| n.ends_with(torn) || n.starts_with(torn))
            .unwrap();
        let path = format!("/r/{name}");
        let mut bytes = read_file_to_vec(&*env, &path).unwrap();
        bytes.extend_from_slice(&[0x12, 0x34, 0x56, 0x78, 100, 0, 1, b'x', b'y']);
        write_string_to_file(&*env, &bytes, &path, false).unwrap();

        let db = DB::open(options(false), "/r").unwrap();
        db.put(&sync, b"new", b"acknowledged").unwrap();
        if torn == "MANIFEST" {
            // A flush and compactions: edits appended to the MANIFEST.
            db.compact_range(None, None).unwrap();
        }
        db.put(&sync, b"newer", b"acknowledged").unwrap();
        drop(db);
        let db = DB::open(options(true), "/r")
            .unwrap_or_else(|e| panic!("torn {torn}: the paranoid reopen fails: {e}"));
        for key in [&b"new"[..], b"newer", b"old0", b"old49"] {
            let got = db.get(&ReadOptions::new(), key).unwrap();
            assert!(got.is_some(), "torn {torn}: {key:?} is lost");
        }
    }
}
