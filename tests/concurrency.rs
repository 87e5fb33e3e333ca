//! Readers and iterators running while one writer writes and flushes and
//! compactions replace files: every value read is whole and belongs to its
//! key, reads never go back in time, a write acknowledged before a read
//! began is visible to it, and an iterator at a snapshot is repeatable.

#![allow(clippy::field_reassign_with_default)]

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use leveldb::{Iterator as _, Options, ReadOptions, WriteBatch, WriteOptions, DB};

const KEYS: usize = 200;

fn key(i: usize) -> Vec<u8> {
    format!("key{i:04}").into_bytes()
}

/// `key/version/` then filler derived from both, so a torn or misplaced
/// value is detected.
fn value(i: usize, version: u64) -> Vec<u8> {
    let mut v = format!("key{i:04}/{version}/").into_bytes();
    let len = 200 + (version as usize * 37 + i) % 1500;
    let fill = b'a' + ((version as usize + i) % 26) as u8;
    v.resize(v.len() + len, fill);
    v
}

/// Checks `v` is a well-formed value of key `i`; returns its version.
fn parse(i: usize, v: &[u8]) -> u64 {
    let text = std::str::from_utf8(&v[..v.len().min(40)]).unwrap_or("");
    let mut parts = text.splitn(3, '/');
    let k = parts.next().unwrap();
    assert_eq!(k.as_bytes(), &key(i)[..], "value of another key");
    let version: u64 = parts.next().unwrap().parse().expect("version");
    assert!(
        v == &value(i, version)[..],
        "torn value for key {i} v{version}"
    );
    version
}

fn key_index(k: &[u8]) -> usize {
    std::str::from_utf8(&k[3..]).unwrap().parse().unwrap()
}

#[test]
fn readers_and_iterators_during_writes() {
    let dir = tempfile::tempdir().unwrap();
    let name = dir.path().join("db").to_str().unwrap().to_string();
    let mut o = Options::default();
    o.create_if_missing = true;
    o.write_buffer_size = 64 << 10;
    let db = Arc::new(DB::open(o, &name).unwrap());
    // committed[i] = the newest version of key i whose write has returned.
    let committed: Arc<Vec<AtomicU64>> = Arc::new((0..KEYS).map(|_| AtomicU64::new(0)).collect());
    let stop = Arc::new(AtomicBool::new(false));

    let mut handles = Vec::new();
    for r in 0..3 {
        let (db, committed, stop) = (Arc::clone(&db), Arc::clone(&committed), Arc::clone(&stop));
        handles.push(std::thread::spawn(move || {
            let mut last_seen = vec![0u64; KEYS];
            let mut n = 0usize;
            let mut reads = 0u64;
            while !stop.load(Ordering::Acquire) {
                n = n.wrapping_mul(31).wrapping_add(17 + r);
                let i = n % KEYS;
                let floor = committed[i].load(Ordering::Acquire);
                let got = db.get(&ReadOptions::new(), &key(i)).unwrap();
                let version = got.map(|v| parse(i, &v)).unwrap_or(0);
                assert!(
                    version >= floor,
                    "key {i}: read v{version} after v{floor} was acknowledged"
                );
                assert!(version >= last_seen[i], "key {i}: went back in time");
                last_seen[i] = version;
                reads += 1;
            }
            assert!(reads > 0);
        }));
    }
    for _ in 0..2 {
        let (db, committed, stop) = (Arc::clone(&db), Arc::clone(&committed), Arc::clone(&stop));
        handles.push(std::thread::spawn(move || {
            let mut scans = 0;
            while !stop.load(Ordering::Acquire) || scans == 0 {
                let floors: Vec<u64> = committed
                    .iter()
                    .map(|c| c.load(Ordering::Acquire))
                    .collect();
                let snap = db.snapshot();
                let mut ro = ReadOptions::new();
                ro.snapshot = Some(snap.clone());
                let mut first = Vec::new();
                let mut it = db.iter(&ro);
                it.seek_to_first();
                let mut prev: Option<Vec<u8>> = None;
                while it.valid() {
                    let i = key_index(it.key());
                    let version = parse(i, it.value());
                    assert!(version >= floors[i], "scan missed an acknowledged write");
                    if let Some(p) = &prev {
                        assert!(p.as_slice() < it.key(), "keys out of order");
                    }
                    prev = Some(it.key().to_vec());
                    first.push((i, version));
                    it.next();
                }
                it.status().unwrap();
                // The same snapshot read backwards gives the same entries.
                let mut back = Vec::new();
                it.seek_to_last();
                while it.valid() {
                    back.push((key_index(it.key()), parse(key_index(it.key()), it.value())));
                    it.prev();
                }
                back.reverse();
                assert_eq!(first, back, "snapshot iteration not repeatable");
                scans += 1;
            }
        }));
    }

    // The writer: puts, batches and deletes-then-reputs, acknowledged in
    // `committed` only after the write returns.
    let mut version = 0u64;
    let wo = WriteOptions::default();
    for round in 0..6000usize {
        version += 1;
        let i = (round * 7919) % KEYS;
        if round % 10 == 0 {
            let mut batch = WriteBatch::new();
            let j = (i + 1) % KEYS;
            batch.put(&key(i), &value(i, version));
            batch.put(&key(j), &value(j, version));
            db.write(&wo, &batch).unwrap();
            committed[i].store(version, Ordering::Release);
            committed[j].store(version, Ordering::Release);
        } else {
            db.put(&wo, &key(i), &value(i, version)).unwrap();
            committed[i].store(version, Ordering::Release);
        }
    }
    stop.store(true, Ordering::Release);
    for h in handles {
        h.join().expect("reader thread");
    }
    let files: usize = (0..7)
        .map(|l| {
            db.property(&format!("leveldb.num-files-at-level{l}"))
                .unwrap()
                .parse::<usize>()
                .unwrap()
        })
        .sum();
    assert!(files > 0, "the test should have flushed tables");
}

#[test]
fn concurrent_writers_group_commit() {
    let dir = tempfile::tempdir().unwrap();
    let name = dir.path().join("db").to_str().unwrap().to_string();
    let mut o = Options::default();
    o.create_if_missing = true;
    o.write_buffer_size = 64 << 10;
    let db = Arc::new(DB::open(o.clone(), &name).unwrap());
    let mut handles = Vec::new();
    for t in 0..4usize {
        let db = Arc::clone(&db);
        handles.push(std::thread::spawn(move || {
            for n in 0..1500usize {
                let k = format!("t{t}-{n:05}");
                let wo = WriteOptions { sync: n % 500 == 0 };
                db.put(&wo, k.as_bytes(), k.repeat(10).as_bytes()).unwrap();
            }
        }));
    }
    for h in handles {
        h.join().unwrap();
    }
    let check = |db: &DB| {
        for t in 0..4usize {
            for n in (0..1500usize).step_by(7) {
                let k = format!("t{t}-{n:05}");
                assert_eq!(
                    db.get(&ReadOptions::new(), k.as_bytes()).unwrap(),
                    Some(k.repeat(10).into_bytes())
                );
            }
        }
        let mut it = db.iter(&ReadOptions::new());
        it.seek_to_first();
        let mut count = 0;
        while it.valid() {
            count += 1;
            it.next();
        }
        assert_eq!(count, 6000);
    };
    check(&db);
    drop(db);
    let db = DB::open(o, &name).unwrap();
    check(&db);
}

/// Writers that sync and writers that do not take different paths into the
/// log (a mutex for the latter, the group-commit queue for the former):
/// whatever the mix, a write is visible once acknowledged, and a snapshot
/// never shows a thread's later write without all of its earlier ones.
#[test]
fn mixed_sync_writers_keep_each_threads_order_visible() {
    const THREADS: usize = 4;
    const WRITES: u64 = 3000;
    let dir = tempfile::tempdir().unwrap();
    let name = dir.path().join("db").to_str().unwrap().to_string();
    let mut o = Options::default();
    o.create_if_missing = true;
    o.write_buffer_size = 32 << 10; // many memtable switches under the writers
    let db = Arc::new(DB::open(o, &name).unwrap());
    let acked: Arc<Vec<AtomicU64>> = Arc::new((0..THREADS).map(|_| AtomicU64::new(0)).collect());
    let done = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for t in 0..THREADS {
        let (db, acked) = (Arc::clone(&db), Arc::clone(&acked));
        writers.push(std::thread::spawn(move || {
            for n in 1..=WRITES {
                // Thread 0 always syncs, thread 1 never, the others now and then.
                let sync = match t {
                    0 => true,
                    1 => false,
                    _ => n % 7 == 0,
                };
                let k = format!("t{t}-{n:06}");
                db.put(&WriteOptions { sync }, k.as_bytes(), b"v").unwrap();
                acked[t].store(n, Ordering::Release);
                // Read-your-write, from the writing thread itself.
                assert!(db.get(&ReadOptions::new(), k.as_bytes()).unwrap().is_some());
            }
        }));
    }
    let reader = {
        let (db, acked, done) = (Arc::clone(&db), Arc::clone(&acked), Arc::clone(&done));
        std::thread::spawn(move || {
            let mut rounds = 0;
            while !done.load(Ordering::Acquire) || rounds < 3 {
                rounds += 1;
                let floor: Vec<u64> = acked.iter().map(|a| a.load(Ordering::Acquire)).collect();
                let mut seen = [0u64; THREADS];
                let mut it = db.iter(&ReadOptions::new());
                it.seek_to_first();
                while it.valid() {
                    let k = std::str::from_utf8(it.key()).unwrap();
                    let (t, n) = k[1..].split_once('-').unwrap();
                    let (t, n): (usize, u64) = (t.parse().unwrap(), n.parse().unwrap());
                    // Keys of one thread come in order: no gap before `n`.
                    assert_eq!(n, seen[t] + 1, "{k} visible without its predecessor");
                    seen[t] = n;
                    it.next();
                }
                for t in 0..THREADS {
                    assert!(
                        seen[t] >= floor[t],
                        "acknowledged write t{t}-{} not visible",
                        floor[t]
                    );
                }
            }
        })
    };
    for w in writers {
        w.join().unwrap();
    }
    done.store(true, Ordering::Release);
    reader.join().unwrap();
}
