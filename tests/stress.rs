//! Stress: writer threads (puts, deletes, multi-key batches), reader threads
//! (point reads, iterator walks in both directions, snapshots) and a thread
//! calling `compact_range` run at once on one database, for a bounded time
//! (`STRATA_STRESS_SECS`, 6 by default; more on demand), with the database
//! closed and reopened between phases. Checked against a model:
//!
//! - each writer owns its keys (prefix `w<t>/`) and logs every operation
//!   it had acknowledged; values name their writer, key and operation
//!   number, so a value from anywhere else is caught;
//! - every snapshot, read with a full iteration, must show for each writer
//!   exactly the state after some prefix of that writer's acknowledged
//!   operations (so batches are atomic and nothing goes back in time);
//!   forward and backward walks of one snapshot agree, and a point read at
//!   that snapshot agrees with the walk;
//! - after each phase and reopen, the database equals the model exactly.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use leveldb::{Iterator as _, Options, ReadOptions, WriteBatch, WriteOptions, DB};

mod support;
use support::Rng;

const WRITERS: usize = 3;
const READERS: usize = 2;
const KEYS_PER_WRITER: u64 = 60;

fn key(writer: usize, k: u64) -> Vec<u8> {
    format!("w{writer}/{k:03}").into_bytes()
}

/// The value of operation `op` of `writer` on key `k`: long enough to span
/// blocks now and then, and self-describing.
fn value(writer: usize, k: u64, op: usize) -> Vec<u8> {
    let mut v = format!("w{writer}/{k:03}/op{op}/").into_bytes();
    let len = (op * 131 + k as usize * 17) % 3000;
    v.resize(v.len() + len, b'a' + (op % 26) as u8);
    v
}

/// One acknowledged write of a writer: its key changes, in order.
type Write = Vec<(u64, Option<Vec<u8>>)>;

/// The state of one writer's keys after its first `n` writes.
fn state_after(history: &[Write], n: usize) -> BTreeMap<u64, Vec<u8>> {
    let mut state = BTreeMap::new();
    for write in &history[..n] {
        for (k, v) in write {
            match v {
                Some(v) => state.insert(*k, v.clone()),
                None => state.remove(k),
            };
        }
    }
    state
}

/// Splits a full view of the database into the writers' key spaces.
fn by_writer(entries: &[(Vec<u8>, Vec<u8>)]) -> Vec<BTreeMap<u64, Vec<u8>>> {
    let mut out = vec![BTreeMap::new(); WRITERS];
    for (k, v) in entries {
        let text = std::str::from_utf8(k).expect("keys are text");
        let (w, k) = text[1..].split_once('/').expect("key shape");
        let (w, k): (usize, u64) = (w.parse().unwrap(), k.parse().unwrap());
        assert!(w < WRITERS, "key of no writer: {text}");
        out[w].insert(k, v.clone());
    }
    out
}

fn scan(db: &DB, options: &ReadOptions) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut it = db.iter(options);
    let mut forward = Vec::new();
    it.seek_to_first();
    while it.valid() {
        forward.push((it.key().to_vec(), it.value().to_vec()));
        it.next();
    }
    it.status().unwrap();
    let mut backward = Vec::new();
    it.seek_to_last();
    while it.valid() {
        backward.push((it.key().to_vec(), it.value().to_vec()));
        it.prev();
    }
    it.status().unwrap();
    backward.reverse();
    assert!(forward == backward, "forward and backward walks differ");
    forward
}

/// Runs writers, readers and a compactor on `db` for `time`; returns each
/// writer's acknowledged history and the snapshots the readers took.
fn phase(
    db: &Arc<DB>,
    seed: u64,
    time: Duration,
    histories: &Arc<Vec<Mutex<Vec<Write>>>>,
) -> Vec<Vec<BTreeMap<u64, Vec<u8>>>> {
    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut threads = Vec::new();
    for w in 0..WRITERS {
        let (db, stop, histories) = (Arc::clone(db), Arc::clone(&stop), Arc::clone(histories));
        threads.push(std::thread::spawn(move || {
            let mut rng = Rng::new(seed ^ ((w as u64 + 1) * 7919));
            while !stop.load(Ordering::Relaxed) {
                let mut history = histories[w].lock().unwrap();
                let op = history.len();
                let mut write: Write = Vec::new();
                let mut batch = WriteBatch::new();
                for _ in 0..1 + rng.below(4) {
                    let k = rng.below(KEYS_PER_WRITER);
                    if rng.below(4) == 0 {
                        batch.delete(&key(w, k));
                        write.push((k, None));
                    } else {
                        let v = value(w, k, op);
                        batch.put(&key(w, k), &v);
                        write.push((k, Some(v)));
                    }
                }
                let options = WriteOptions {
                    sync: rng.below(50) == 0,
                };
                db.write(&options, &batch).unwrap();
                history.push(write);
            }
        }));
    }
    for r in 0..READERS {
        let (db, stop, seen) = (Arc::clone(db), Arc::clone(&stop), Arc::clone(&seen));
        threads.push(std::thread::spawn(move || {
            let mut rng = Rng::new(seed ^ 0xabcd ^ r as u64);
            while !stop.load(Ordering::Relaxed) {
                let options = ReadOptions {
                    snapshot: Some(db.snapshot()),
                    ..ReadOptions::new()
                };
                let view = scan(&db, &options);
                // A point read at the snapshot agrees with the walk.
                let w = rng.below(WRITERS as u64) as usize;
                let k = key(w, rng.below(KEYS_PER_WRITER));
                let walked = view
                    .iter()
                    .find(|(key, _)| *key == k)
                    .map(|(_, v)| v.clone());
                assert_eq!(db.get(&options, &k).unwrap(), walked, "get vs walk");
                seen.lock().unwrap().push(by_writer(&view));
                // Enough snapshots to interleave with every kind of write
                // and compaction, few enough to check quickly.
                std::thread::sleep(Duration::from_millis(2 + rng.below(8)));
            }
        }));
    }
    {
        let (db, stop) = (Arc::clone(db), Arc::clone(&stop));
        threads.push(std::thread::spawn(move || {
            let mut rng = Rng::new(seed ^ 0x5eed);
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(50 + rng.below(200)));
                if rng.below(3) == 0 {
                    db.compact_range(None, None).unwrap();
                } else {
                    let w = rng.below(WRITERS as u64) as usize;
                    let a = rng.below(KEYS_PER_WRITER);
                    let b = a + rng.below(KEYS_PER_WRITER - a);
                    db.compact_range(Some(&key(w, a)), Some(&key(w, b)))
                        .unwrap();
                }
            }
        }));
    }
    std::thread::sleep(time);
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().expect("a stress thread failed");
    }
    Arc::try_unwrap(seen).unwrap().into_inner().unwrap()
}

/// Every snapshot shows, for each writer, its state after some prefix of
/// its acknowledged writes.
fn check_snapshots(seen: &[Vec<BTreeMap<u64, Vec<u8>>>], histories: &[Vec<Write>]) -> usize {
    for view in seen {
        for (w, observed) in view.iter().enumerate() {
            let history = &histories[w];
            // The newest operation number visible bounds the prefix below.
            let newest = observed
                .values()
                .map(|v| {
                    let text = std::str::from_utf8(&v[..v.len().min(24)]).unwrap_or("");
                    let op = text.split('/').nth(2).expect("value shape");
                    op.trim_start_matches("op")
                        .parse::<usize>()
                        .expect("op number")
                })
                .max();
            let from = newest.map_or(0, |op| op + 1);
            let mut state = state_after(history, from.min(history.len()));
            let mut n = from;
            loop {
                if state == *observed {
                    break;
                }
                assert!(
                    n < history.len(),
                    "writer {w}: a snapshot matches no prefix of its writes (from {from})"
                );
                for (k, v) in &history[n] {
                    match v {
                        Some(v) => state.insert(*k, v.clone()),
                        None => state.remove(k),
                    };
                }
                n += 1;
            }
        }
    }
    seen.len()
}

#[test]
fn concurrent_writers_readers_snapshots_compactions_and_reopens() {
    let secs: u64 = std::env::var("STRATA_STRESS_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(6);
    let seed: u64 = std::env::var("STRATA_STRESS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x57e55);
    let dir = tempfile::tempdir().unwrap();
    let name = dir.path().join("db").to_str().unwrap().to_string();
    let options = Options {
        create_if_missing: true,
        write_buffer_size: 64 << 10,
        max_file_size: 64 << 10,
        ..Options::default()
    };
    let histories: Arc<Vec<Mutex<Vec<Write>>>> =
        Arc::new((0..WRITERS).map(|_| Mutex::new(Vec::new())).collect());
    let phases = 3;
    let mut snapshots = 0;
    let started = Instant::now();
    for p in 0..phases {
        let db = Arc::new(DB::open(options.clone(), &name).unwrap());
        let seen = phase(
            &db,
            seed + p,
            Duration::from_millis(secs * 1000 / phases),
            &histories,
        );
        let done: Vec<Vec<Write>> = histories
            .iter()
            .map(|h| h.lock().unwrap().clone())
            .collect();
        snapshots += check_snapshots(&seen, &done);
        // Everything acknowledged is there, and nothing else, before and
        // after a reopen.
        let want: Vec<_> = done.iter().map(|h| state_after(h, h.len())).collect();
        assert!(
            by_writer(&scan(&db, &ReadOptions::new())) == want,
            "phase {p}: db != model"
        );
        drop(Arc::try_unwrap(db).expect("no other users"));
        let db = DB::open(options.clone(), &name).unwrap();
        assert!(
            by_writer(&scan(&db, &ReadOptions::new())) == want,
            "phase {p}: reopened db != model"
        );
    }
    let writes: usize = histories.iter().map(|h| h.lock().unwrap().len()).sum();
    eprintln!(
        "stress: {writes} writes, {snapshots} snapshots checked, {phases} reopens in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(
        writes > 100 && snapshots > 3,
        "too little work to mean anything"
    );
}
