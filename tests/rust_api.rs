//! The Rust-style API against a `BTreeMap` model: `DB::range` (every kind
//! of bound), `DB::prefix`, `DB::entries`, walked from the front, the back
//! and both ends mixed, on databases spread over memtables and tables, and
//! the same on `SnapshotView`s taken midway; errors as iterator items when
//! a table is damaged; a comparator other than the bytewise one; and the
//! threads the types may cross.
//!
//! `STRATA_RUST_API_CASES` sets the number of random cases (default 64).

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use leveldb::env::mem::MemEnv;
use leveldb::{
    Comparator, Entries, Options, ReadOptions, SnapshotView, WriteBatch, WriteOptions, DB,
};
use proptest::prelude::*;

type Model = BTreeMap<Vec<u8>, Vec<u8>>;

/// Keys from a small alphabet (with 0x00 and 0xff), so that ranges,
/// prefixes and prefix successors (`"a\xff"` → `"b"`) meet many keys.
fn key() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![Just(0u8), Just(b'a'), Just(b'b'), Just(0xff)],
        0..4,
    )
}

#[derive(Clone, Debug)]
enum Op {
    Put(Vec<u8>, Vec<u8>),
    Delete(Vec<u8>),
    /// A batch of puts and deletes.
    Batch(Vec<(Vec<u8>, Option<Vec<u8>>)>),
    /// Moves the memtable into a table.
    Flush,
    /// Compacts everything down the levels.
    Compact,
}

fn op() -> impl Strategy<Value = Op> {
    let value = proptest::collection::vec(any::<u8>(), 0..6);
    prop_oneof![
        6 => (key(), value.clone()).prop_map(|(k, v)| Op::Put(k, v)),
        2 => key().prop_map(Op::Delete),
        1 => proptest::collection::vec((key(), proptest::option::of(value)), 0..4).prop_map(Op::Batch),
        1 => Just(Op::Flush),
        1 => Just(Op::Compact),
    ]
}

fn apply(db: &DB, model: &mut Model, op: &Op) {
    let w = WriteOptions::default();
    match op {
        Op::Put(k, v) => {
            db.put(&w, k, v).unwrap();
            model.insert(k.clone(), v.clone());
        }
        Op::Delete(k) => {
            db.delete(&w, k).unwrap();
            model.remove(k);
        }
        Op::Batch(ops) => {
            let mut batch = WriteBatch::new();
            for (k, v) in ops {
                match v {
                    Some(v) => {
                        batch.put(k, v);
                        model.insert(k.clone(), v.clone());
                    }
                    None => {
                        batch.delete(k);
                        model.remove(k);
                    }
                }
            }
            db.write(&w, &batch).unwrap();
        }
        Op::Flush => db.flush_memtable().unwrap(),
        Op::Compact => db.compact_range(None, None).unwrap(),
    }
}

/// What a scan asks for.
#[derive(Clone, Debug)]
enum Query {
    Range(Bound<Vec<u8>>, Bound<Vec<u8>>),
    Prefix(Vec<u8>),
    All,
}

fn bound() -> impl Strategy<Value = Bound<Vec<u8>>> {
    prop_oneof![
        1 => Just(Bound::Unbounded),
        2 => key().prop_map(Bound::Included),
        2 => key().prop_map(Bound::Excluded),
    ]
}

fn query() -> impl Strategy<Value = Query> {
    prop_oneof![
        4 => (bound(), bound()).prop_map(|(l, u)| Query::Range(l, u)),
        2 => key().prop_map(Query::Prefix),
        1 => Just(Query::All),
    ]
}

/// The model's answer to `query`, in key order.
fn expected(model: &Model, query: &Query) -> Vec<(Vec<u8>, Vec<u8>)> {
    let keep = |k: &Vec<u8>| match query {
        Query::All => true,
        Query::Prefix(p) => k.starts_with(p),
        Query::Range(lower, upper) => {
            let above = match lower {
                Bound::Unbounded => true,
                Bound::Included(l) => k >= l,
                Bound::Excluded(l) => k > l,
            };
            let below = match upper {
                Bound::Unbounded => true,
                Bound::Included(u) => k <= u,
                Bound::Excluded(u) => k < u,
            };
            above && below
        }
    };
    model
        .iter()
        .filter(|(k, _)| keep(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Anything that scans: the database now, or a snapshot view.
trait Scans {
    fn scan(&self, query: &Query) -> Entries<'_>;
}

impl Scans for DB {
    fn scan(&self, query: &Query) -> Entries<'_> {
        match query {
            Query::Range(l, u) => self.range((l.clone(), u.clone())),
            Query::Prefix(p) => self.prefix(p),
            Query::All => self.entries(),
        }
    }
}

impl Scans for SnapshotView<'_> {
    fn scan(&self, query: &Query) -> Entries<'_> {
        match query {
            Query::Range(l, u) => self.range((l.clone(), u.clone())),
            Query::Prefix(p) => self.prefix(p),
            Query::All => self.entries(),
        }
    }
}

/// Walks `query` taking each item from the end `ends` says (true = front;
/// then from the front once `ends` runs out), checking every item and the
/// end of the scan against the model, and the borrowed and owned forms
/// against each other.
fn check_walk(source: &impl Scans, model: &Model, query: &Query, ends: &[bool]) {
    let mut want: std::collections::VecDeque<_> = expected(model, query).into();
    let mut scan = source.scan(query);
    let mut borrowed = source.scan(query);
    for step in 0.. {
        let front = ends.get(step).copied().unwrap_or(true);
        let (got, want_item) = if front {
            (scan.next(), want.pop_front())
        } else {
            (scan.next_back(), want.pop_back())
        };
        let got = got.map(|r| r.expect("no errors in a healthy database"));
        assert_eq!(got, want_item, "{query:?}, step {step}, front {front}");
        let lent = if front {
            borrowed.next_ref()
        } else {
            borrowed.next_back_ref()
        };
        let lent = lent.map(|r| r.map(|(k, v)| (k.to_vec(), v.to_vec())).unwrap());
        assert_eq!(lent, got, "borrowed and owned items differ");
        if got.is_none() {
            // Fused: both ends stay finished.
            assert!(scan.next().is_none() && scan.next_back().is_none());
            return;
        }
    }
}

fn memory_options(env: &Arc<MemEnv>) -> Options {
    Options {
        create_if_missing: true,
        env: Arc::clone(env) as _,
        ..Options::default()
    }
}

fn cases() -> u32 {
    std::env::var("STRATA_RUST_API_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    /// Ranges, prefixes and full scans, from either end or both, against
    /// the model, now and at a snapshot view taken halfway through the
    /// writes (read after the rest, and after a compaction).
    #[test]
    fn scans_match_the_model(
        ops in proptest::collection::vec(op(), 0..60),
        queries in proptest::collection::vec(
            (query(), proptest::collection::vec(any::<bool>(), 0..12)),
            1..8,
        ),
    ) {
        let env = MemEnv::new();
        let db = DB::open(memory_options(&env), "/db").unwrap();
        let mut model = Model::new();
        let half = ops.len() / 2;
        for op in &ops[..half] {
            apply(&db, &mut model, op);
        }
        let view = db.snapshot_view();
        let frozen = model.clone();
        for op in &ops[half..] {
            apply(&db, &mut model, op);
        }
        for (query, ends) in &queries {
            check_walk(&db, &model, query, ends);
            check_walk(&view, &frozen, query, ends);
        }
        db.compact_range(None, None).unwrap();
        for (query, ends) in &queries {
            check_walk(&view, &frozen, query, ends);
        }
        for (k, v) in &frozen {
            prop_assert_eq!(view.get(k).unwrap(), Some(v.clone()));
        }
    }
}

/// A scan made before writes sees none of them, from either end, even if
/// its second end starts after a compaction dropped what it sees from the
/// database's current files.
#[test]
fn a_scan_is_a_snapshot_of_both_ends() {
    let env = MemEnv::new();
    let db = DB::open(memory_options(&env), "/db").unwrap();
    let w = WriteOptions::default();
    for i in 0..100u32 {
        db.put(&w, format!("{i:03}").as_bytes(), b"old").unwrap();
    }
    let mut scan = db.range("010".."090");
    assert_eq!(scan.next().unwrap().unwrap().0, b"010");
    for i in 0..100u32 {
        db.put(&w, format!("{i:03}").as_bytes(), b"new").unwrap();
    }
    db.delete(&w, b"089").unwrap();
    db.compact_range(None, None).unwrap();
    let (last, value) = scan.next_back().unwrap().unwrap();
    assert_eq!(
        (last.as_slice(), value.as_slice()),
        (&b"089"[..], &b"old"[..])
    );
    let rest: Vec<_> = scan.map(Result::unwrap).collect();
    assert_eq!(rest.len(), 78, "011..=088");
    assert!(rest.iter().all(|(_, v)| v == b"old"));
}

/// A comparator that orders keys backwards.
struct Reverse;

impl Comparator for Reverse {
    fn compare(&self, a: &[u8], b: &[u8]) -> std::cmp::Ordering {
        b.cmp(a)
    }
    fn name(&self) -> &str {
        "test.Reverse"
    }
    fn find_shortest_separator(&self, _start: &mut Vec<u8>, _limit: &[u8]) {}
    fn find_short_successor(&self, _key: &mut Vec<u8>) {}
}

/// Under another comparator, ranges follow its order and prefix scans
/// still find every key with the prefix (which are not adjacent there).
#[test]
fn other_comparators_order_ranges_and_filter_prefixes() {
    let env = MemEnv::new();
    let options = Options {
        comparator: Arc::new(Reverse),
        ..memory_options(&env)
    };
    let db = DB::open(options, "/db").unwrap();
    for k in ["a", "ab", "abc", "b", "ba", "c"] {
        db.put(&WriteOptions::default(), k.as_bytes(), b"").unwrap();
    }
    db.flush_memtable().unwrap();
    fn keys(scan: impl Iterator<Item = leveldb::Result<(Vec<u8>, Vec<u8>)>>) -> Vec<String> {
        scan.map(|e| String::from_utf8(e.unwrap().0).unwrap())
            .collect()
    }
    assert_eq!(keys(db.entries()), ["c", "ba", "b", "abc", "ab", "a"]);
    // "c" > "b" in this order's terms means c comes first: the range from
    // "ba" to "ab" holds the keys between them in the reverse order.
    assert_eq!(keys(db.range("ba".."ab")), ["ba", "b", "abc"]);
    assert_eq!(keys(db.prefix("a")), ["abc", "ab", "a"]);
    assert_eq!(keys(db.prefix("b").rev()), ["b", "ba"]);
}

/// Damage in the middle of a table: the scan yields the entries before
/// the damaged block, then one `Err`, then nothing, from either end.
#[test]
fn errors_are_items_and_end_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    let options = Options {
        create_if_missing: true,
        compression: leveldb::CompressionType::None,
        ..Options::default()
    };
    let db = DB::open(options.clone(), dir.path()).unwrap();
    let model: Model = (0..2000u32)
        .map(|i| (format!("key{i:05}").into_bytes(), vec![b'v'; 100]))
        .collect();
    for (k, v) in &model {
        db.put(&WriteOptions::default(), k, v).unwrap();
    }
    db.compact_range(None, None).unwrap();
    drop(db);
    // One table of ~230 KiB of 4 KiB blocks: flip a byte in its middle.
    let table = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "ldb"))
        .expect("a table");
    let mut bytes = std::fs::read(&table).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(&table, bytes).unwrap();

    let db = DB::open(options, dir.path()).unwrap();
    let all: Vec<_> = model.into_iter().collect();
    for reverse in [false, true] {
        let scan = db.entries().verify_checksums(true);
        let items: Vec<_> = if reverse {
            scan.rev().collect()
        } else {
            scan.collect()
        };
        let (last, good) = items.split_last().unwrap();
        let err = last.as_ref().expect_err("the damage is reported");
        assert!(err.is_corruption(), "{err}");
        assert!(
            good.len() > 100 && good.len() < all.len() - 100,
            "{}",
            good.len()
        );
        let good: Vec<_> = good.iter().map(|r| r.clone().unwrap()).collect();
        let expected = if reverse {
            all.iter()
                .rev()
                .take(good.len())
                .cloned()
                .collect::<Vec<_>>()
        } else {
            all[..good.len()].to_vec()
        };
        assert_eq!(good, expected, "entries before the damage, in order");
    }
    // Without checksum verification the damaged block fails to parse or
    // reads wrong; either way the scan must not run on silently past a
    // block it could not read.
    let mut n = 0;
    for item in db.entries() {
        match item {
            Ok(_) => n += 1,
            Err(e) => {
                assert!(e.is_corruption(), "{e}");
                break;
            }
        }
    }
    assert!(n <= 2000);
}

/// The database, a snapshot view and errors cross threads; a scan moves to
/// another thread.
#[test]
fn types_cross_threads() {
    let env = MemEnv::new();
    let db = DB::open(memory_options(&env), "/db").unwrap();
    for i in 0..50u8 {
        db.put(&WriteOptions::default(), &[i], &[i]).unwrap();
    }
    let view = db.snapshot_view();
    std::thread::scope(|s| {
        for t in 0..4u8 {
            let (db, view) = (&db, &view);
            s.spawn(move || {
                db.put(&WriteOptions::default(), &[100 + t], b"").unwrap();
                assert_eq!(view.entries().count(), 50);
            });
        }
        let scan = db.range(b"\x10"..b"\x20");
        let moved = s.spawn(move || scan.count());
        assert_eq!(moved.join().unwrap(), 16);
    });
    assert_eq!(db.entries().count(), 54);
    let missing = Options {
        create_if_missing: false,
        ..memory_options(&env)
    };
    let err = DB::open(missing, "/missing").unwrap_err();
    let boxed: Box<dyn std::error::Error + Send + Sync> =
        std::thread::spawn(move || err.into()).join().unwrap();
    assert_eq!(
        boxed.to_string(),
        "Invalid argument: /missing: does not exist (create_if_missing is false)"
    );
    let _ = ReadOptions::default();
}
