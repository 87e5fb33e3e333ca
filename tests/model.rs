//! Randomized model test: thousands of operations per seed against both the
//! database and a `BTreeMap`, checking every read — point reads, full scans
//! both ways, seeks with direction changes, reads at old snapshots — across
//! flushes, compactions and reopens.
//!
//! `STRATA_MODEL_SEEDS` sets the number of seeds (default 12),
//! `STRATA_MODEL_OPS` the operations per seed (default 3000),
//! `STRATA_MODEL_SEED` runs one given seed; `STRATA_MODEL_CRASH_SEEDS` sets
//! the seeds of the crash test (default 20), which cuts power (FaultEnv:
//! unsynced bytes dropped) after synced and unsynced writes.

#![allow(clippy::field_reassign_with_default)]

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use leveldb::env::mem::MemEnv;
use leveldb::env::Env;
use leveldb::{Iterator as _, Options, ReadOptions, Snapshot, WriteBatch, WriteOptions, DB};

type Model = BTreeMap<Vec<u8>, Vec<u8>>;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn random_key(rng: &mut Rng) -> Vec<u8> {
    let n = rng.below(600);
    let mut k = format!("k{n:05}").into_bytes();
    if rng.one_in(10) {
        // Some keys with binary suffixes and prefixes of others.
        k.push(rng.below(256) as u8);
    }
    if rng.one_in(50) {
        k.clear();
    }
    k
}

fn random_value(rng: &mut Rng, seq: u64) -> Vec<u8> {
    let len = match rng.below(20) {
        0 => 0,
        1 => 4000 + rng.below(20000) as usize,
        _ => rng.below(300) as usize,
    };
    let mut v = format!("{seq}:").into_bytes();
    let fill = b'a' + (seq % 26) as u8;
    v.resize(v.len() + len, fill);
    v
}

fn open(env: &Arc<dyn Env>, name: &str, rng: &mut Rng) -> DB {
    let mut o = Options::default();
    o.env = Arc::clone(env);
    o.create_if_missing = true;
    o.write_buffer_size = 64 << 10; // the minimum: flushes every few hundred ops
    o.max_file_size = 1 << 20;
    if rng.one_in(2) {
        o.filter_policy = Some(Arc::new(leveldb::util::bloom::BloomFilterPolicy::new(10)));
    }
    // Snappy (the default) half the time, else none or zstd: reopens mix
    // tables of every kind.
    match rng.below(6) {
        0 | 1 => o.compression = leveldb::CompressionType::None,
        2 => {
            o.compression = leveldb::CompressionType::Zstd;
            o.zstd_compression_level = rng.below(10) as i32 - 2;
        }
        _ => {}
    }
    if rng.one_in(3) {
        o.block_size = 1024;
        o.block_restart_interval = 1 + rng.below(16) as usize;
    }
    DB::open(o, name).expect("open")
}

fn check_scan(db: &DB, model: &Model, snapshot: Option<&Snapshot>, ctx: &str) {
    let mut ro = ReadOptions::new();
    ro.snapshot = snapshot.cloned();
    let mut it = db.iter(&ro);
    it.seek_to_first();
    let mut want = model.iter();
    while it.valid() {
        let (k, v) = want
            .next()
            .unwrap_or_else(|| panic!("{ctx}: extra key {:?}", it.key()));
        assert_eq!(it.key(), &k[..], "{ctx}: forward key");
        assert_eq!(it.value(), &v[..], "{ctx}: forward value of {k:?}");
        it.next();
    }
    it.status().unwrap();
    assert!(want.next().is_none(), "{ctx}: forward scan ended early");

    it.seek_to_last();
    let mut want = model.iter().rev();
    while it.valid() {
        let (k, v) = want
            .next()
            .unwrap_or_else(|| panic!("{ctx}: extra key back"));
        assert_eq!(it.key(), &k[..], "{ctx}: backward key");
        assert_eq!(it.value(), &v[..], "{ctx}: backward value");
        it.prev();
    }
    it.status().unwrap();
    assert!(want.next().is_none(), "{ctx}: backward scan ended early");
}

/// Seeks to `target`, then walks a random mix of next/prev, each step
/// checked against the model.
fn check_walk(db: &DB, model: &Model, rng: &mut Rng, snapshot: Option<&Snapshot>, ctx: &str) {
    let mut ro = ReadOptions::new();
    ro.snapshot = snapshot.cloned();
    let mut it = db.iter(&ro);
    let target = random_key(rng);
    it.seek(&target);
    let mut pos: Option<Vec<u8>> = model
        .range::<Vec<u8>, _>((Bound::Included(&target), Bound::Unbounded))
        .next()
        .map(|(k, _)| k.clone());
    for _ in 0..12 {
        match &pos {
            None => {
                assert!(
                    !it.valid(),
                    "{ctx}: iterator should be exhausted after seek/move"
                );
                return;
            }
            Some(k) => {
                assert!(it.valid(), "{ctx}: iterator ended, model at {k:?}");
                assert_eq!(it.key(), &k[..], "{ctx}: walk key");
                assert_eq!(it.value(), &model[k][..], "{ctx}: walk value");
            }
        }
        let k = pos.clone().unwrap();
        if rng.one_in(2) {
            it.next();
            pos = model
                .range::<Vec<u8>, _>((Bound::Excluded(&k), Bound::Unbounded))
                .next()
                .map(|(k, _)| k.clone());
        } else {
            it.prev();
            pos = model
                .range::<Vec<u8>, _>((Bound::Unbounded, Bound::Excluded(&k)))
                .next_back()
                .map(|(k, _)| k.clone());
        }
    }
}

fn run_seed(seed: u64, ops: usize) {
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let dir = tempfile::tempdir().unwrap();
    // Alternate between the real file system and the in-memory one.
    let (env, name): (Arc<dyn Env>, String) = if seed % 2 == 0 {
        (
            leveldb::env::default_env(),
            dir.path().join("db").to_str().unwrap().to_string(),
        )
    } else {
        (MemEnv::new() as Arc<dyn Env>, "/model/db".to_string())
    };
    let mut db = open(&env, &name, &mut rng);
    let mut model = Model::new();
    let mut snapshots: Vec<(Snapshot, Model)> = Vec::new();
    let mut seq = 0u64;
    let wo = WriteOptions::default();
    for op in 0..ops {
        let ctx = format!("seed {seed} op {op}");
        seq += 1;
        match rng.below(100) {
            0..=44 => {
                let k = random_key(&mut rng);
                let v = random_value(&mut rng, seq);
                db.put(&wo, &k, &v).unwrap();
                model.insert(k, v);
            }
            45..=54 => {
                let k = random_key(&mut rng);
                db.delete(&wo, &k).unwrap();
                model.remove(&k);
            }
            55..=62 => {
                let mut batch = WriteBatch::new();
                for _ in 0..1 + rng.below(10) {
                    let k = random_key(&mut rng);
                    if rng.one_in(3) {
                        batch.delete(&k);
                        model.remove(&k);
                    } else {
                        let v = random_value(&mut rng, seq);
                        batch.put(&k, &v);
                        model.insert(k, v);
                    }
                }
                let sync = WriteOptions {
                    sync: rng.one_in(20),
                };
                db.write(&sync, &batch).unwrap();
            }
            63..=80 => {
                let k = random_key(&mut rng);
                let got = db.get(&ReadOptions::new(), &k).unwrap();
                assert_eq!(got.as_ref(), model.get(&k), "{ctx}: get {k:?}");
            }
            81..=86 => check_walk(&db, &model, &mut rng, None, &ctx),
            87..=88 => check_scan(&db, &model, None, &ctx),
            89..=91 => {
                if snapshots.len() < 4 {
                    snapshots.push((db.snapshot(), model.clone()));
                } else {
                    let i = rng.below(snapshots.len() as u64) as usize;
                    snapshots.swap_remove(i);
                }
            }
            92..=95 => {
                if !snapshots.is_empty() {
                    let i = rng.below(snapshots.len() as u64) as usize;
                    let (snap, old) = &snapshots[i];
                    let mut ro = ReadOptions::new();
                    ro.snapshot = Some(snap.clone());
                    for _ in 0..10 {
                        let k = random_key(&mut rng);
                        let got = db.get(&ro, &k).unwrap();
                        assert_eq!(got.as_ref(), old.get(&k), "{ctx}: snapshot get {k:?}");
                    }
                    if rng.one_in(4) {
                        check_scan(&db, old, Some(snap), &ctx);
                    } else {
                        check_walk(&db, old, &mut rng, Some(snap), &ctx);
                    }
                }
            }
            96 => {
                if rng.one_in(3) {
                    db.compact_range(None, None).unwrap();
                } else {
                    let a = random_key(&mut rng);
                    let b = random_key(&mut rng);
                    let (a, b) = if a <= b { (a, b) } else { (b, a) };
                    db.compact_range(Some(&a), Some(&b)).unwrap();
                }
            }
            _ => {
                // Reopen: snapshots do not survive it.
                snapshots.clear();
                drop(db);
                db = open(&env, &name, &mut rng);
                check_scan(&db, &model, None, &format!("{ctx} after reopen"));
            }
        }
    }
    check_scan(&db, &model, None, &format!("seed {seed} final"));
    let tables: usize = (0..7)
        .map(|l| {
            db.property(&format!("leveldb.num-files-at-level{l}"))
                .unwrap()
                .parse::<usize>()
                .unwrap()
        })
        .sum();
    assert!(tables > 0, "seed {seed}: no table was ever written");
    if std::env::var_os("STRATA_MODEL_VERBOSE").is_some() {
        eprintln!("seed {seed}:\n{}", db.property("leveldb.stats").unwrap());
    }
    drop(db);
    let db = open(&env, &name, &mut rng);
    check_scan(&db, &model, None, &format!("seed {seed} final reopen"));
}

#[test]
fn model_random_ops() {
    let ops = env_usize("STRATA_MODEL_OPS", 3000);
    if let Ok(seed) = std::env::var("STRATA_MODEL_SEED") {
        run_seed(seed.parse().expect("seed"), ops);
        return;
    }
    let seeds = env_usize("STRATA_MODEL_SEEDS", 12) as u64;
    // Two threads of seeds: the suite runs on two cores.
    let half = seeds.div_ceil(2);
    let other = std::thread::spawn(move || {
        for seed in half..seeds {
            run_seed(seed, ops);
        }
    });
    for seed in 0..half {
        run_seed(seed, ops);
    }
    other.join().expect("second half of the seeds");
}

/// Crash rounds: synced writes, then a few unsynced ones, then a "power
/// cut" (everything not synced is dropped) and a reopen. Every synced write
/// must survive, and the unsynced tail may survive only as a prefix.
fn run_crash_seed(seed: u64) {
    use leveldb::env::fault::FaultEnv;
    let mut rng = Rng(seed.wrapping_mul(0xd1b5_4a32_d192_ed03) | 1);
    let fault = FaultEnv::new(MemEnv::new() as Arc<dyn Env>);
    let env: Arc<dyn Env> = fault.clone();
    let name = "/crash/db";
    let mut db = open(&env, name, &mut rng);
    let mut model = Model::new();
    let mut seq = 0u64;
    let synced = WriteOptions { sync: true };
    let unsynced = WriteOptions::default();
    for round in 0..6 {
        for _ in 0..250 {
            seq += 1;
            let k = random_key(&mut rng);
            if rng.one_in(5) {
                db.delete(&synced, &k).unwrap();
                model.remove(&k);
            } else {
                let v = random_value(&mut rng, seq);
                db.put(&synced, &k, &v).unwrap();
                model.insert(k, v);
            }
        }
        let mut tail: Vec<(Vec<u8>, Option<Vec<u8>>)> = Vec::new();
        for _ in 0..rng.below(15) {
            seq += 1;
            let k = random_key(&mut rng);
            let v = (!rng.one_in(4)).then(|| random_value(&mut rng, seq));
            match &v {
                Some(v) => db.put(&unsynced, &k, v).unwrap(),
                None => db.delete(&unsynced, &k).unwrap(),
            }
            tail.push((k, v));
        }
        drop(db);
        fault.drop_unsynced_data().unwrap();
        db = open(&env, name, &mut rng);
        let mut it = db.iter(&ReadOptions::new());
        it.seek_to_first();
        let mut got = Model::new();
        while it.valid() {
            got.insert(it.key().to_vec(), it.value().to_vec());
            it.next();
        }
        it.status().unwrap();
        drop(it);
        // The state must be the synced state plus some prefix of the tail.
        let mut candidate = model.clone();
        let mut matched = candidate == got;
        for (k, v) in &tail {
            if matched {
                break;
            }
            match v {
                Some(v) => candidate.insert(k.clone(), v.clone()),
                None => candidate.remove(k),
            };
            matched = candidate == got;
        }
        assert!(
            matched,
            "seed {seed} round {round}: recovered state is not the synced state plus a prefix \
             of the unsynced writes ({} keys recovered, {} synced)",
            got.len(),
            model.len()
        );
        model = got;
    }
}

#[test]
fn model_crash_recovery() {
    let seeds = env_usize("STRATA_MODEL_CRASH_SEEDS", 20) as u64;
    for seed in 0..seeds {
        run_crash_seed(seed);
    }
}
