//! The randomized write workload of the fault tests (`tests/power_loss.rs`,
//! `tests/io_faults.rs`) and the checks of what a database recovered.
//!
//! A workload is a fixed list of steps drawn from a seed: puts, deletes and
//! batches (some with `sync`), reopens and whole-range compactions, with a
//! 64 KiB write buffer so memtables flush and level 0 compacts. Every value
//! names the write that stored it and its key, so a value that is wrong or
//! stored by another write cannot pass for a right one.
//!
//! Invariants of the checks: the recovered state is compared, key by key,
//! with the state after the first `m` writes; `matching_prefixes` gives every
//! such `m`, so "some prefix in `[lower, upper]`" decides prefix
//! consistency, including the atomicity of batches.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use leveldb::{Env, Iterator as _, Options, ReadOptions, WriteBatch, WriteOptions, DB};

/// A database's contents.
pub type State = BTreeMap<Vec<u8>, Vec<u8>>;

/// One write: keys with a value to put or `None` to delete.
pub type Write = Vec<(Vec<u8>, Option<Vec<u8>>)>;

/// xorshift64*: small, seeded, the same everywhere.
pub struct Rng(pub u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }
}

#[derive(Clone, Debug)]
pub enum Step {
    /// A `put`, a `delete` (one entry) or a batch (several).
    Write { write: usize, sync: bool },
    /// Close and open the database again.
    Reopen,
    /// `compact_range(None, None)`.
    Compact,
}

pub struct Workload {
    pub steps: Vec<Step>,
    pub writes: Vec<Write>,
}

fn key(i: u64) -> Vec<u8> {
    format!("key{i:05}").into_bytes()
}

/// A value naming its write and key, padded to `len` with a pattern.
fn value(write: usize, key: &[u8], len: usize) -> Vec<u8> {
    let mut v = format!("w{write}:{}:", String::from_utf8_lossy(key)).into_bytes();
    let mut x = write as u64 * 31 + len as u64;
    while v.len() < len {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        v.push(b'a' + (x >> 59) as u8);
    }
    v
}

impl Workload {
    /// `writes` writes over `keys` keys, with about one reopen and one
    /// compaction per `writes / 3` steps.
    pub fn generate(seed: u64, writes: usize, keys: u64) -> Workload {
        let mut rng = Rng::new(seed);
        let mut steps = Vec::new();
        let mut all = Vec::new();
        let every = (writes as u64 / 3).max(2);
        while all.len() < writes {
            if rng.one_in(every) {
                steps.push(Step::Reopen);
            } else if rng.one_in(every) {
                steps.push(Step::Compact);
            }
            let id = all.len();
            let n = if rng.one_in(4) { 2 + rng.below(6) } else { 1 };
            let mut w = Write::new();
            for _ in 0..n {
                let k = key(rng.below(keys));
                if rng.one_in(6) {
                    w.push((k, None));
                } else {
                    // Mostly small, sometimes large values (up to 3 KiB).
                    let len = if rng.one_in(8) {
                        1000 + rng.below(2000)
                    } else {
                        20 + rng.below(400)
                    } as usize;
                    let v = value(id, &k, len);
                    w.push((k, Some(v)));
                }
            }
            all.push(w);
            steps.push(Step::Write {
                write: id,
                sync: rng.one_in(8),
            });
        }
        Workload { steps, writes: all }
    }
}

/// The options every run uses: small memtables and files, so flushes and
/// compactions happen within a few hundred writes.
pub fn options(env: &Arc<dyn Env>, paranoid: bool) -> Options {
    Options {
        env: Arc::clone(env),
        create_if_missing: true,
        paranoid_checks: paranoid,
        write_buffer_size: 64 << 10,
        max_file_size: 1 << 20,
        block_size: 1024,
        ..Options::default()
    }
}

/// What happened to each write of a run.
#[derive(Clone, Copy, Debug, Default)]
pub struct Outcome {
    /// The env's call count just before the write started (`None`: never
    /// started).
    pub start: Option<u64>,
    /// The call count when it returned `Ok` (`None`: failed or not run).
    pub ack: Option<u64>,
    pub failed: bool,
}

/// The record of one run.
#[derive(Debug, Default)]
pub struct Run {
    pub outcomes: Vec<Outcome>,
    /// Call counts at which an open completed, with the writes done before
    /// it: a completed open has made all of them durable.
    pub opens: Vec<(u64, usize)>,
    /// Every error the run saw, with the step it came from.
    pub errors: Vec<(String, leveldb::Error)>,
}

/// How a run reacts to errors.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum OnError {
    /// Stop at the first error (a power cut: nothing later can succeed).
    Stop,
    /// Keep going: later writes are tried too, a failed reopen is retried
    /// at the next reopen step.
    Continue,
}

/// Runs `w` on `env` at `name`, counting calls with `calls`.
pub fn run(
    w: &Workload,
    env: &Arc<dyn Env>,
    name: &str,
    calls: &dyn Fn() -> u64,
    on_error: OnError,
) -> Run {
    run_with(w, env, name, calls, on_error, false)
}

/// [`run`], opening with `paranoid_checks` set to `paranoid`.
pub fn run_with(
    w: &Workload,
    env: &Arc<dyn Env>,
    name: &str,
    calls: &dyn Fn() -> u64,
    on_error: OnError,
    paranoid: bool,
) -> Run {
    let mut r = Run {
        outcomes: vec![Outcome::default(); w.writes.len()],
        ..Run::default()
    };
    let mut db = match DB::open(options(env, paranoid), name) {
        Ok(db) => {
            r.opens.push((calls(), 0));
            Some(db)
        }
        Err(e) => {
            r.errors.push(("open".into(), e));
            None
        }
    };
    if db.is_none() && on_error == OnError::Stop {
        return r;
    }
    let mut done = 0;
    for step in &w.steps {
        match step {
            Step::Write { write, sync } => {
                let Some(d) = &db else { continue };
                let mut batch = WriteBatch::new();
                for (k, v) in &w.writes[*write] {
                    match v {
                        Some(v) => batch.put(k, v),
                        None => batch.delete(k),
                    }
                }
                let o = &mut r.outcomes[*write];
                o.start = Some(calls());
                let res = if w.writes[*write].len() == 1 {
                    let (k, v) = &w.writes[*write][0];
                    let wo = WriteOptions { sync: *sync };
                    match v {
                        Some(v) => d.put(&wo, k, v),
                        None => d.delete(&wo, k),
                    }
                } else {
                    d.write(&WriteOptions { sync: *sync }, &batch)
                };
                done = write + 1;
                match res {
                    Ok(()) => o.ack = Some(calls()),
                    Err(e) => {
                        o.failed = true;
                        r.errors.push((format!("write {write}"), e));
                        if on_error == OnError::Stop {
                            return r;
                        }
                    }
                }
            }
            Step::Reopen => {
                drop(db.take());
                match DB::open(options(env, paranoid), name) {
                    Ok(d) => {
                        r.opens.push((calls(), done));
                        db = Some(d);
                    }
                    Err(e) => {
                        r.errors.push(("reopen".into(), e));
                        if on_error == OnError::Stop {
                            return r;
                        }
                    }
                }
            }
            Step::Compact => {
                let Some(d) = &db else { continue };
                if let Err(e) = d.compact_range(None, None) {
                    r.errors.push(("compact".into(), e));
                    if on_error == OnError::Stop {
                        return r;
                    }
                }
            }
        }
    }
    r
}

/// The whole contents of `db`, by a forward scan; `Err` if the scan fails.
pub fn scan(db: &DB) -> Result<State, leveldb::Error> {
    let mut it = db.iter(&ReadOptions::new());
    it.seek_to_first();
    let mut s = State::new();
    while it.valid() {
        s.insert(it.key().to_vec(), it.value().to_vec());
        it.next();
    }
    it.status()?;
    Ok(s)
}

/// Every `m` such that applying the first `m` writes to an empty database
/// gives `state`, in increasing order.
pub fn matching_prefixes(writes: &[Write], state: &State) -> Vec<usize> {
    let mut model: HashMap<&[u8], &[u8]> = HashMap::new();
    let mismatch = |model: &HashMap<&[u8], &[u8]>, k: &[u8]| -> bool {
        model.get(k).copied() != state.get(k).map(Vec::as_slice)
    };
    let mut diff = state.len();
    let mut out = Vec::new();
    if diff == 0 {
        out.push(0);
    }
    for (i, w) in writes.iter().enumerate() {
        for (k, v) in w {
            let before = mismatch(&model, k);
            match v {
                Some(v) => model.insert(k, v),
                None => model.remove(k.as_slice()),
            };
            let after = mismatch(&model, k);
            diff = diff + usize::from(after) - usize::from(before);
        }
        if diff == 0 {
            out.push(i + 1);
        }
    }
    out
}

/// A short description of how `state` differs from the first `m` writes.
pub fn describe_difference(writes: &[Write], m: usize, state: &State) -> String {
    let mut model = State::new();
    for w in &writes[..m] {
        for (k, v) in w {
            match v {
                Some(v) => model.insert(k.clone(), v.clone()),
                None => model.remove(k),
            };
        }
    }
    let show = |v: Option<&Vec<u8>>| {
        v.map_or("<absent>".to_string(), |v| {
            String::from_utf8_lossy(&v[..v.len().min(24)]).into_owned()
        })
    };
    let mut out = Vec::new();
    for k in model.keys().chain(state.keys()) {
        if model.get(k) != state.get(k) && out.len() < 6 {
            out.push(format!(
                "{}: expected {} got {}",
                String::from_utf8_lossy(k),
                show(model.get(k)),
                show(state.get(k))
            ));
        }
    }
    out.dedup();
    format!(
        "{} keys; first differences vs {m} writes: {}",
        state.len(),
        out.join("; ")
    )
}

/// Fails with the count and the first 20 of `failures`, if there are any.
pub fn assert_no_failures(failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures[..failures.len().min(20)].join("\n")
    );
}
