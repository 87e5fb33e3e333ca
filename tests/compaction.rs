//! Compaction acceptance: with default options, a fill of N random 16-byte
//! keys with 100-byte values never lets level 0 grow past 12 files and
//! settles with every level within its size limit; overwriting every key
//! twice and compacting everything costs at most 1.2× the table bytes of the
//! same live data written once; deleting everything and compacting leaves a
//! few kilobytes. Plus a model test with compactions forced through several
//! levels while snapshots are held and the database is reopened, and
//! cross-checks with LevelDB 1.23 (a C program in a separate process) in both
//! directions.
//!
//! N is 400,000 by default (seconds in release mode on two cores);
//! `STRATA_FULL_COMPACTION_TEST=1` runs the 2,000,000 keys and
//! prints the figures; `STRATA_COMPACTION_KEYS` sets any N.

#![allow(clippy::field_reassign_with_default)]

mod refprog;
mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use leveldb::{Iterator as _, Options, ReadOptions, Snapshot, WriteBatch, WriteOptions, DB};
use refprog::{dump, scan, Entries};
use support::Rng;

const NUM_LEVELS: usize = 7;

/// LevelDB's MaxBytesForLevel for L ≥ 1: 10 MiB × 10^(L−1).
fn max_bytes_for_level(level: usize) -> f64 {
    10.0 * 1048576.0 * 10f64.powi(level as i32 - 1)
}

fn num_keys() -> usize {
    if let Some(n) = std::env::var("STRATA_COMPACTION_KEYS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return n;
    }
    if std::env::var_os("STRATA_FULL_COMPACTION_TEST").is_some_and(|v| v == "1") {
        2_000_000
    } else {
        400_000
    }
}

/// The 100-byte value key `i` has in `round` (random bytes: incompressible,
/// so sizes on disk are about the data's).
fn value(i: usize, round: u64) -> [u8; 100] {
    let mut v = [0u8; 100];
    Rng::new((i as u64) << 8 | round).fill(&mut v);
    v
}

fn random_keys(n: usize, seed: u64) -> Vec<[u8; 16]> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| {
            let mut k = [0u8; 16];
            rng.fill(&mut k);
            k
        })
        .collect()
}

fn files_at_level(db: &DB, level: usize) -> usize {
    db.property(&format!("leveldb.num-files-at-level{level}"))
        .expect("num-files-at-level property")
        .parse()
        .unwrap()
}

/// Bytes of table files per level, from `leveldb.sstables`
/// (` <number>:<size>[...]` lines under `--- level <L> ---`).
fn bytes_per_level(db: &DB) -> [u64; NUM_LEVELS] {
    let text = db.property("leveldb.sstables").expect("sstables property");
    let mut out = [0u64; NUM_LEVELS];
    let mut level = 0;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("--- level ") {
            level = rest.trim_end_matches(" ---").parse().unwrap();
        } else if let Some((_, rest)) = line.trim_start().split_once(':') {
            let size: u64 = rest.split('[').next().unwrap().parse().unwrap();
            out[level] += size;
        }
    }
    out
}

/// How many compactions the info LOG of the database in `dir` reports.
fn compactions_logged(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("LOG"))
        .unwrap()
        .matches("Compacted ")
        .count()
}

/// Closes `db` and checks that LevelDB 1.23, in a process of its own,
/// reads exactly `expected` from `dir`.
fn assert_leveldb_reads(db: DB, dir: &Path, expected: &Entries) {
    drop(db);
    let reference = dump(dir);
    assert_eq!(reference.len(), expected.len());
    assert!(
        reference == *expected,
        "LevelDB reads our database differently"
    );
}

fn level_summary(db: &DB) -> String {
    let bytes = bytes_per_level(db);
    (0..NUM_LEVELS)
        .filter(|&l| files_at_level(db, l) > 0)
        .map(|l| {
            format!(
                "L{l}: {} files {:.1} MiB",
                files_at_level(db, l),
                bytes[l] as f64 / 1048576.0
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// True when no level wants a size compaction (LevelDB's score < 1
/// everywhere).
fn settled(db: &DB) -> bool {
    let bytes = bytes_per_level(db);
    files_at_level(db, 0) < 4
        && (1..NUM_LEVELS - 1).all(|l| (bytes[l] as f64) < max_bytes_for_level(l))
}

/// Waits for background compactions to bring every level within its limit.
fn wait_until_settled(db: &DB, timeout: Duration) -> Duration {
    let start = Instant::now();
    while !settled(db) {
        assert!(
            start.elapsed() < timeout,
            "compactions did not settle within {timeout:?}: {}",
            level_summary(db)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    start.elapsed()
}

fn table_bytes_on_disk(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_str().unwrap();
            name.ends_with(".ldb") || name.ends_with(".sst")
        })
        .map(|e| e.metadata().unwrap().len())
        .sum()
}

fn default_options() -> Options {
    let mut o = Options::default();
    o.create_if_missing = true;
    o
}

/// Writes `keys[i]` → value(i, round) for every key, sampling the number of
/// level-0 files as it goes; returns the largest sample.
fn write_all(db: &DB, keys: &[[u8; 16]], round: u64) -> usize {
    let wo = WriteOptions::default();
    let mut max_l0 = 0;
    for (i, k) in keys.iter().enumerate() {
        db.put(&wo, k, &value(i, round)).unwrap();
        if i % 500 == 0 {
            max_l0 = max_l0.max(files_at_level(db, 0));
        }
    }
    max_l0.max(files_at_level(db, 0))
}

#[test]
fn fill_overwrite_and_delete_keep_levels_and_space_in_bounds() {
    let n = num_keys();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("db");
    let keys = random_keys(n, 1);
    let db = DB::open(default_options(), dir.to_str().unwrap()).unwrap();

    // Fill.
    let start = Instant::now();
    let max_l0 = write_all(&db, &keys, 0);
    let fill_time = start.elapsed();
    assert!(
        max_l0 <= 12,
        "level 0 reached {max_l0} files during the fill"
    );
    let settle_time = wait_until_settled(&db, Duration::from_secs(600));
    eprintln!(
        "fill {n} keys: {fill_time:.2?} (+{settle_time:.2?} to settle), max L0 files {max_l0}; {}; {:.1} MiB of tables on disk",
        level_summary(&db),
        table_bytes_on_disk(&dir) as f64 / 1048576.0
    );
    eprintln!("{}", db.property("leveldb.stats").unwrap());
    let bytes = bytes_per_level(&db);
    for (level, &b) in bytes.iter().enumerate().skip(1) {
        assert!(
            (b as f64) <= max_bytes_for_level(level),
            "level {level} holds {b} bytes after settling"
        );
    }

    // Overwrite every key twice, then compact everything.
    let start = Instant::now();
    let max_l0 = write_all(&db, &keys, 1).max(write_all(&db, &keys, 2));
    let overwrite_time = start.elapsed();
    assert!(
        max_l0 <= 12,
        "level 0 reached {max_l0} files while overwriting"
    );
    let start = Instant::now();
    db.compact_range(None, None).unwrap();
    let compact_time = start.elapsed();
    let overwritten_bytes = table_bytes_on_disk(&dir);
    eprintln!(
        "overwrite twice: {overwrite_time:.2?}; compact_range: {compact_time:.2?}; {}; {:.1} MiB of tables on disk",
        level_summary(&db),
        overwritten_bytes as f64 / 1048576.0
    );
    eprintln!("{}", db.property("leveldb.stats").unwrap());
    // Spot-check the values are the last round's.
    let ro = ReadOptions::new();
    for i in (0..n).step_by(n / 1000 + 1) {
        assert_eq!(
            db.get(&ro, &keys[i]).unwrap().as_deref(),
            Some(&value(i, 2)[..])
        );
    }

    // The same live data written once and compacted.
    let once_dir = tmp.path().join("once");
    let once_bytes = {
        let once = DB::open(default_options(), once_dir.to_str().unwrap()).unwrap();
        write_all(&once, &keys, 2);
        once.compact_range(None, None).unwrap();
        table_bytes_on_disk(&once_dir)
    };
    eprintln!(
        "written once and compacted: {:.1} MiB of tables; ratio {:.3}",
        once_bytes as f64 / 1048576.0,
        overwritten_bytes as f64 / once_bytes as f64
    );
    assert!(
        overwritten_bytes as f64 <= 1.2 * once_bytes as f64,
        "{overwritten_bytes} table bytes after overwrites vs {once_bytes} written once"
    );

    // Delete everything and compact.
    let start = Instant::now();
    let wo = WriteOptions::default();
    for k in &keys {
        db.delete(&wo, k).unwrap();
    }
    db.compact_range(None, None).unwrap();
    let left = table_bytes_on_disk(&dir);
    eprintln!(
        "delete all + compact_range: {:.2?}; {} bytes of tables left ({})",
        start.elapsed(),
        left,
        level_summary(&db)
    );
    assert!(
        left <= 16 << 10,
        "{left} bytes of tables after deleting everything"
    );
    let mut it = db.iter(&ro);
    it.seek_to_first();
    assert!(!it.valid(), "entries left after deleting everything");
}

/// Model test with compactions forced: the smallest write buffer and file
/// size, keys in disjoint ranges (so flushes land on levels 1 and 2 and
/// compactions run through several levels), snapshots held while the
/// database compacts, and reopens.
#[test]
fn model_with_forced_compactions_snapshots_and_reopens() {
    type Model = BTreeMap<Vec<u8>, Vec<u8>>;
    let tmp = tempfile::tempdir().unwrap();
    let name = tmp.path().join("db");
    let name = name.to_str().unwrap();
    let mut o = default_options();
    o.write_buffer_size = 64 << 10;
    o.max_file_size = 1 << 20; // the minimum LevelDB allows
    o.filter_policy = Some(Arc::new(leveldb::util::bloom::BloomFilterPolicy::new(10)));
    let mut db = DB::open(o.clone(), name).unwrap();
    let mut model = Model::new();
    let mut snapshots: Vec<(Snapshot, Model)> = Vec::new();
    let mut rng = Rng::new(42);
    let wo = WriteOptions::default();
    let check = |db: &DB, model: &Model, snapshot: Option<&Snapshot>, ctx: &str| {
        let mut ro = ReadOptions::new();
        ro.snapshot = snapshot.cloned();
        let mut it = db.iter(&ro);
        it.seek_to_first();
        let mut expected = model.iter();
        while it.valid() {
            let (k, v) = expected
                .next()
                .unwrap_or_else(|| panic!("{ctx}: extra key"));
            assert_eq!((it.key(), it.value()), (&k[..], &v[..]), "{ctx}");
            it.next();
        }
        it.status().unwrap();
        assert!(expected.next().is_none(), "{ctx}: missing keys");
    };
    let mut deepest = 0;
    for step in 0..60u64 {
        // Each step writes a burst into one of 8 key ranges: fresh ranges
        // get flushed below level 0; revisited ones overlap and compact.
        let range = rng.below(8);
        let mut batch = WriteBatch::new();
        for i in 0..2500u64 {
            let k = format!("r{range}-{:06}", rng.below(20_000)).into_bytes();
            if rng.below(6) == 0 {
                batch.delete(&k);
                model.remove(&k);
            } else {
                let mut v = vec![0u8; 60 + rng.below(120) as usize];
                rng.fill(&mut v);
                v[..8].copy_from_slice(&(step * 10_000 + i).to_be_bytes());
                batch.put(&k, &v);
                model.insert(k, v);
            }
            if batch.count() >= 50 {
                db.write(&wo, &batch).unwrap();
                batch.clear();
            }
        }
        db.write(&wo, &batch).unwrap();
        match step % 10 {
            2 | 6 => {
                if snapshots.len() >= 3 {
                    snapshots.remove(0);
                }
                snapshots.push((db.snapshot(), model.clone()));
            }
            4 => {
                let a = format!("r{}", rng.below(8));
                let b = format!("r{}", rng.below(8));
                let (a, b) = if a <= b { (a, b) } else { (b, a) };
                db.compact_range(Some(a.as_bytes()), Some(format!("{b}~").as_bytes()))
                    .unwrap();
            }
            8 => db.compact_range(None, None).unwrap(),
            9 if step % 20 == 19 => {
                snapshots.clear();
                drop(db);
                db = DB::open(o.clone(), name).unwrap();
            }
            _ => {}
        }
        deepest = deepest.max(
            (0..NUM_LEVELS)
                .rev()
                .find(|&l| files_at_level(&db, l) > 0)
                .unwrap_or(0),
        );
        let ctx = format!("step {step}");
        check(&db, &model, None, &ctx);
        for (s, m) in &snapshots {
            check(&db, m, Some(s), &format!("{ctx} at a snapshot"));
        }
        for _ in 0..50 {
            let k = format!("r{}-{:06}", rng.below(8), rng.below(20_000)).into_bytes();
            assert_eq!(
                db.get(&ReadOptions::new(), &k).unwrap().as_ref(),
                model.get(&k),
                "{ctx}"
            );
        }
    }
    assert!(deepest >= 2, "compactions never reached level 2");
    drop(snapshots);
    drop(db);
    let db = DB::open(o, name).unwrap();
    check(&db, &model, None, "final reopen");
}

/// A database that went through heavy compaction (several levels, many
/// files, deletions) reads the same in LevelDB 1.23.
#[test]
fn heavily_compacted_database_opens_in_leveldb() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("db");
    let mut o = default_options();
    o.write_buffer_size = 256 << 10;
    let n = 150_000;
    let keys = random_keys(n, 7);
    let db = DB::open(o, dir.to_str().unwrap()).unwrap();
    let wo = WriteOptions::default();
    for (i, k) in keys.iter().enumerate() {
        db.put(&wo, k, &value(i, 0)).unwrap();
        if i % 7 == 3 {
            db.delete(&wo, &keys[i / 2]).unwrap();
        }
    }
    wait_until_settled(&db, Duration::from_secs(300));
    // Some recent writes stay in level 0 and the log.
    for (i, k) in keys.iter().enumerate().take(3000) {
        db.put(&wo, k, &value(i, 1)).unwrap();
    }
    let levels = (1..NUM_LEVELS)
        .filter(|&l| files_at_level(&db, l) > 0)
        .count();
    let files: usize = (0..NUM_LEVELS).map(|l| files_at_level(&db, l)).sum();
    // (An L1→L2 compaction may take all of level 1 along, as LevelDB's
    // input expansion does, so level 1 may be empty at this point.)
    let deepest = (0..NUM_LEVELS)
        .rev()
        .find(|&l| files_at_level(&db, l) > 0)
        .unwrap();
    let compactions = compactions_logged(&dir);
    assert!(
        levels >= 1 && deepest >= 2 && files >= 8 && compactions >= 3,
        "not heavily compacted ({compactions} compactions): {}",
        level_summary(&db)
    );
    let ours = scan(&db);
    assert_leveldb_reads(db, &dir, &ours);
}

/// Several ascending streams of keys written in bursts (time series from
/// several sources): level-0 tables hold a run of each stream, and their
/// compactions write most blocks from the stored bytes they read. The
/// database reads the same to us and to LevelDB 1.23, after the automatic
/// compactions and after a full manual one.
#[test]
fn streams_compacted_from_stored_blocks_read_the_same_in_leveldb() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("db");
    let mut o = default_options();
    o.write_buffer_size = 256 << 10;
    let db = DB::open(o, dir.to_str().unwrap()).unwrap();
    let wo = WriteOptions::default();
    let mut rng = Rng::new(11);
    let mut model = BTreeMap::new();
    let mut counters = [0u64; 6];
    let mut written = 0;
    while written < 120_000 {
        let stream = rng.below(counters.len() as u64) as usize;
        for _ in 0..1 + rng.below(1500) {
            let key = format!("{stream:04}{:012}", counters[stream]).into_bytes();
            counters[stream] += 1;
            // Half random, half repeated: snappy keeps the blocks compressed.
            let mut value = [0u8; 100];
            rng.fill(&mut value[..50]);
            value.copy_within(..50, 50);
            db.put(&wo, &key, &value).unwrap();
            model.insert(key, value.to_vec());
            written += 1;
        }
    }
    wait_until_settled(&db, Duration::from_secs(300));
    let compactions = compactions_logged(&dir);
    assert!(
        compactions >= 3,
        "{compactions} compactions: {}",
        level_summary(&db)
    );
    assert!(
        scan(&db) == model,
        "our reads differ after the automatic compactions"
    );
    db.compact_range(None, None).unwrap();
    assert!(
        scan(&db) == model,
        "our reads differ after a full compaction"
    );
    assert_leveldb_reads(db, &dir, &model);
}

/// A database written and compacted (leveldb_compact_range) by LevelDB 1.23
/// opens in ours with every entry.
#[test]
fn leveldb_compacted_database_opens_in_ours() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("db");
    refprog::run(&["fill", dir.to_str().unwrap(), "150000"]);
    let reference: Entries = dump(&dir);
    assert!(reference.len() > 50_000);
    let db = DB::open(Options::default(), dir.to_str().unwrap()).unwrap();
    let levels = (1..NUM_LEVELS)
        .filter(|&l| files_at_level(&db, l) > 0)
        .count();
    assert!(levels >= 1, "{}", level_summary(&db));
    let ours = scan(&db);
    assert_eq!(ours.len(), reference.len());
    assert!(ours == reference, "we read LevelDB's database differently");
    // Point reads agree too.
    let ro = ReadOptions::new();
    for (k, v) in reference.iter().step_by(97) {
        assert_eq!(db.get(&ro, k).unwrap().as_ref(), Some(v));
    }
    // And it keeps working: compact everything, reopen, same contents.
    db.compact_range(None, None).unwrap();
    drop(db);
    let db = DB::open(Options::default(), dir.to_str().unwrap()).unwrap();
    assert!(scan(&db) == reference);
}
