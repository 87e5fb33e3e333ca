//! Power loss at every crash point of a randomized workload (issue 16 part
//! 3; LevelDB's `fault_injection_test`, RocksDB's crash test).
//!
//! The workload (`support/workload.rs`: puts, deletes, batches, some sync
//! writes, 64 KiB memtables so flushes and compactions run, reopens) runs on
//! a `FaultEnv` over a `MemEnv`, which models what a power cut keeps: each
//! file's bytes up to its last successful sync, and each directory's
//! entries as of its last sync (see `src/env/fault.rs`).
//!
//! - `every_call_is_a_crash_point`: one run records the crash image after
//!   every change of the durable state, so the image of a cut at *every*
//!   env call `k` is known. Each image is reopened with `paranoid_checks`
//!   on and off, and once more with every log padded with zeros after its
//!   durable bytes (what the preallocated mapped log leaves on disk). For
//!   every `k` the recovered contents must equal the state after some
//!   prefix of the writes (batches whole, values exact, no later write
//!   without the earlier ones) that includes every write acknowledged with
//!   `sync` before `k` and every write before an open that completed before
//!   `k`, and no write not yet started at `k`.
//! - `cut_power_and_keep_some_unsynced_bytes`: reruns the workload up to a
//!   cut at call `k` (every call after it fails with `IO error: ... power
//!   lost`, and the database is then dropped, which must neither panic nor
//!   hang), and keeps a random part of each file's unsynced bytes, as when
//!   some writeback happened before the cut; the same checks apply.
//!
//! `STRATA_FAULT_LONG=1` runs more seeds and longer workloads and reruns
//! at every call.

use std::sync::Arc;

use leveldb::env::fault::{
    load_image, zero_fill_logs, CrashOptions, FaultEnv, Image, OpKind, Writeback,
};
use leveldb::env::mem::MemEnv;
use leveldb::{Env, ReadOptions, WriteOptions, DB};

#[path = "support/workload.rs"]
mod workload;

use workload::{
    assert_no_failures, matching_prefixes, options, run, scan, OnError, Run, Step, Workload,
};

const NAME: &str = "/pl/db";

fn long() -> bool {
    std::env::var("STRATA_FAULT_LONG").is_ok_and(|v| v == "1")
}

/// The bounds a crash at call `k` puts on the number of writes recovered.
struct Bounds {
    /// (call count, writes that must be durable once it is passed), sorted.
    durable: Vec<(u64, usize)>,
    /// Per write, the call count before it started.
    starts: Vec<Option<u64>>,
}

impl Bounds {
    fn new(w: &Workload, r: &Run) -> Bounds {
        let mut durable: Vec<(u64, usize)> = r.opens.clone();
        for step in &w.steps {
            if let Step::Write { write, sync: true } = step {
                if let Some(ack) = r.outcomes[*write].ack {
                    durable.push((ack, write + 1));
                }
            }
        }
        durable.sort();
        let mut best = 0;
        for d in &mut durable {
            best = best.max(d.1);
            d.1 = best;
        }
        Bounds {
            durable,
            starts: r.outcomes.iter().map(|o| o.start).collect(),
        }
    }

    /// Writes that must be there after a cut at call `k` (call `k` not
    /// done).
    fn lower(&self, k: u64) -> usize {
        let i = self.durable.partition_point(|&(c, _)| c < k);
        if i == 0 {
            0
        } else {
            self.durable[i - 1].1
        }
    }

    /// Writes that may be there: those that had made a call before `k`.
    fn upper(&self, k: u64) -> usize {
        self.starts
            .partition_point(|s| s.is_some_and(|s| s + 1 < k))
    }
}

/// Opens `image` and checks it against crash points `ks`; returns the
/// recovered state or a description of the failure.
fn check_image(
    w: &Workload,
    bounds: &Bounds,
    image: &Image,
    ks: std::ops::RangeInclusive<u64>,
    paranoid: bool,
    write_after: bool,
) -> Result<usize, String> {
    let mem: Arc<dyn Env> = MemEnv::new();
    load_image(&*mem, image).map_err(|e| format!("load image: {e}"))?;
    let db = DB::open(options(&mem, paranoid), NAME).map_err(|e| format!("open: {e}"))?;
    let state = scan(&db).map_err(|e| format!("scan: {e}"))?;
    let matches = matching_prefixes(&w.writes, &state);
    let Some(&first) = matches.first() else {
        return Err(format!(
            "recovered state is no prefix of the writes: {}",
            workload::describe_difference(&w.writes, bounds.upper(*ks.end()), &state)
        ));
    };
    for k in ks {
        let (lo, hi) = (bounds.lower(k), bounds.upper(k));
        let i = matches.partition_point(|&m| m < lo);
        if i == matches.len() || matches[i] > hi {
            return Err(format!(
                "crash at call {k}: recovered the first {matches:?} writes, must be in [{lo}, {hi}]: {}",
                workload::describe_difference(&w.writes, lo.max(first), &state)
            ));
        }
    }
    if write_after {
        // The recovered database must take writes and keep them.
        db.put(&WriteOptions { sync: true }, b"zz-after", b"crash")
            .map_err(|e| format!("write after recovery: {e}"))?;
        drop(db);
        let db =
            DB::open(options(&mem, paranoid), NAME).map_err(|e| format!("second open: {e}"))?;
        let got = db
            .get(&ReadOptions::new(), b"zz-after")
            .map_err(|e| format!("get after second open: {e}"))?;
        if got.as_deref() != Some(&b"crash"[..]) {
            return Err("a write after recovery was lost by a clean reopen".into());
        }
    }
    Ok(matches[0])
}

#[test]
fn every_call_is_a_crash_point() {
    let (seeds, writes) = if long() { (40, 3000) } else { (10, 1200) };
    let mut failures = Vec::new();
    let (mut points, mut images_total, mut opens) = (0u64, 0usize, 0usize);
    for seed in 0..seeds {
        let w = Workload::generate(seed, writes, 400);
        let fault = FaultEnv::new(MemEnv::new() as Arc<dyn Env>);
        fault.record_images(true);
        let env: Arc<dyn Env> = fault.clone();
        let calls = || fault.calls_seen();
        let r = run(&w, &env, NAME, &calls, OnError::Stop);
        assert!(r.errors.is_empty(), "seed {seed}: {:?}", r.errors);
        let total = fault.calls_seen();
        let images = fault.take_recorded_images();
        let bounds = Bounds::new(&w, &r);
        images_total += images.len();
        for (i, (at, image)) in images.iter().enumerate() {
            // A cut at call k leaves the last image recorded before k.
            let lo = at + 1;
            let hi = images.get(i + 1).map_or(total + 1, |n| n.0);
            if lo > hi {
                continue;
            }
            points += hi - lo + 1;
            let mut padded = image.clone();
            zero_fill_logs(&mut padded);
            let variants = [
                (image, true, "paranoid"),
                (image, false, "not paranoid"),
                (&padded, true, "paranoid, logs zero-filled"),
            ];
            for (img, paranoid, what) in variants {
                opens += 1;
                if let Err(e) = check_image(&w, &bounds, img, lo..=hi, paranoid, i % 8 == 0) {
                    failures.push(format!("seed {seed}, calls {lo}..={hi} ({what}): {e}"));
                }
            }
        }
        println!(
            "seed {seed}: {} writes, {total} env calls, {} durable states",
            w.writes.len(),
            images.len()
        );
    }
    println!(
        "power loss: {points} crash points ({images_total} distinct images) checked by {opens} \
         recoveries; {} failures",
        failures.len()
    );
    assert_no_failures(&failures);
}

#[test]
fn cut_power_and_keep_some_unsynced_bytes() {
    cut_power_and_check(|k| CrashOptions {
        zero_fill_logs: false,
        writeback: Writeback::InOrder(k),
    });
}

/// Known to fail at this commit: a torn last record of a mapped log
/// followed by the zeros of its preallocated chunk (some unsynced pages
/// written back, the rest never) is reported as corruption, so the open
/// fails with `paranoid_checks` (issue 16 part 1, being fixed on another
/// branch in `src/log/` and `src/db/open.rs`).
#[test]
fn cut_power_with_torn_zero_filled_logs() {
    cut_power_and_check(|k| CrashOptions {
        zero_fill_logs: true,
        writeback: Writeback::InOrder(k),
    });
}

/// Reruns workloads with the power cut at sampled calls (every call in
/// long mode) and checks each crash image `crash(k)` describes.
fn cut_power_and_check(crash: impl Fn(u64) -> CrashOptions) {
    let (seeds, writes, samples) = if long() {
        (8, 800, u64::MAX)
    } else {
        (4, 400, 300)
    };
    let mut failures = Vec::new();
    let mut cuts = 0;
    for seed in 100..100 + seeds {
        let w = Workload::generate(seed, writes, 150);
        let total = {
            let fault = FaultEnv::new(MemEnv::new() as Arc<dyn Env>);
            let env: Arc<dyn Env> = fault.clone();
            let r = run(&w, &env, NAME, &|| fault.calls_seen(), OnError::Stop);
            assert!(r.errors.is_empty(), "seed {seed}: {:?}", r.errors);
            fault.calls_seen()
        };
        let stride = (total / samples.min(total)).max(1);
        let mut k = 1 + seed % stride;
        while k <= total {
            cuts += 1;
            let fault = FaultEnv::new(MemEnv::new() as Arc<dyn Env>);
            fault.cut_power_at_call(k);
            let env: Arc<dyn Env> = fault.clone();
            let r = run(&w, &env, NAME, &|| fault.calls_seen(), OnError::Stop);
            // The database has been dropped: nothing panicked or hung.
            for (what, e) in &r.errors {
                if !fault.power_is_off() || !e.to_string().starts_with("IO error: ") {
                    failures.push(format!("seed {seed}, cut at {k}: {what}: unexpected {e}"));
                }
            }
            let image = fault.crash_image(crash(k)).expect("crash image");
            let bounds = Bounds::new(&w, &r);
            if let Err(e) = check_image(&w, &bounds, &image, k..=k, k % 2 == 0, k % 16 == 1) {
                failures.push(format!("seed {seed}, cut at call {k}: {e}"));
            }
            k += stride;
        }
        println!("seed {seed}: {total} env calls");
    }
    println!(
        "power cuts with partial writeback ({:?}): {cuts} reruns; {} failures",
        crash(0),
        failures.len()
    );
    assert_no_failures(&failures);
}

/// Regression: a sync write to a log created by a memtable switch was
/// acknowledged while the log's directory entry was not durable and the
/// previous log's unsynced writes were not either; a power cut then lost
/// it and every write since the last sync (found by the sweep above).
#[test]
fn sync_write_after_a_log_switch_survives_with_all_before_it() {
    let fault = FaultEnv::new(MemEnv::new() as Arc<dyn Env>);
    let env: Arc<dyn Env> = fault.clone();
    let db = DB::open(options(&env, true), NAME).unwrap();
    let logs = || {
        env.get_children(NAME)
            .unwrap()
            .into_iter()
            .filter(|n| n.ends_with(".log"))
            .count()
    };
    let first_logs = logs();
    let value = vec![b'v'; 1000];
    let mut n = 0;
    // Unsynced writes until the memtable switches to a new log.
    while logs() == first_logs {
        db.put(
            &WriteOptions::default(),
            format!("k{n:05}").as_bytes(),
            &value,
        )
        .unwrap();
        n += 1;
        assert!(n < 10_000, "no log switch");
    }
    db.put(&WriteOptions { sync: true }, b"synced", b"yes")
        .unwrap();
    // Power cut right after the sync write returned.
    let image = fault.crash_image(CrashOptions::default()).unwrap();
    drop(db);
    let mem: Arc<dyn Env> = MemEnv::new();
    load_image(&*mem, &image).unwrap();
    let db = DB::open(options(&mem, true), NAME).unwrap();
    let ro = ReadOptions::new();
    assert_eq!(
        db.get(&ro, b"synced").unwrap().as_deref(),
        Some(&b"yes"[..])
    );
    for i in 0..n {
        let k = format!("k{i:05}");
        assert!(
            db.get(&ro, k.as_bytes()).unwrap().is_some(),
            "{k} of {n} lost"
        );
    }
}

/// Regression: a version edit appended to the MANIFEST could reach the disk
/// (by writeback, or with the sync failing) while the directory entry of
/// the table it adds was not yet durable; after a power cut the database
/// did not open ("missing files"). The directory is now synced before the
/// edit is appended.
#[test]
fn manifest_edit_never_names_a_table_without_a_durable_entry() {
    let fault = FaultEnv::new(MemEnv::new() as Arc<dyn Env>);
    let env: Arc<dyn Env> = fault.clone();
    let db = DB::open(options(&env, true), NAME).unwrap();
    for i in 0..100 {
        db.put(
            &WriteOptions::default(),
            format!("k{i:03}").as_bytes(),
            b"v",
        )
        .unwrap();
    }
    // The flush writes and syncs its table, appends the edit to the
    // MANIFEST, and fails to sync it.
    fault.set_filter(Some(Arc::new(|p: &str| p.contains("MANIFEST"))));
    fault.inject(OpKind::Sync, 1, libc::EIO, false);
    let err = db.flush_memtable().unwrap_err();
    assert!(err.to_string().starts_with("IO error: "), "{err}");
    // Power cut with every written byte written back.
    let image = fault
        .crash_image(CrashOptions {
            zero_fill_logs: false,
            writeback: Writeback::All,
        })
        .unwrap();
    drop(db);
    let mem: Arc<dyn Env> = MemEnv::new();
    load_image(&*mem, &image).unwrap();
    let db = DB::open(options(&mem, true), NAME).unwrap();
    assert_eq!(scan(&db).unwrap().len(), 100);
}

/// Power cuts over the POSIX env in a temp dir (real files, renames and
/// directory syncs, mapped logs): each cut's image keeps the synced bytes
/// only, with every log padded with zeros as its preallocated chunk leaves
/// it, and is recovered like the others.
#[test]
fn power_cuts_over_the_posix_env() {
    let cuts = if long() { 300 } else { 30 };
    let w = Workload::generate(200, 300, 100);
    let dir = tempfile::tempdir().unwrap();
    let name = format!("{}/db", dir.path().to_str().unwrap());
    let posix = leveldb::env::default_env();
    let total = {
        let fault = FaultEnv::new(Arc::clone(&posix));
        let env: Arc<dyn Env> = fault.clone();
        let r = run(&w, &env, &name, &|| fault.calls_seen(), OnError::Stop);
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        fault.calls_seen()
    };
    let mut failures = Vec::new();
    let stride = (total / cuts).max(1);
    let mut k = 1;
    let mut done = 0;
    while k <= total {
        let _ = std::fs::remove_dir_all(&name);
        let fault = FaultEnv::new(Arc::clone(&posix));
        fault.cut_power_at_call(k);
        let env: Arc<dyn Env> = fault.clone();
        let r = run(&w, &env, &name, &|| fault.calls_seen(), OnError::Stop);
        let image = fault
            .crash_image(CrashOptions {
                zero_fill_logs: true,
                writeback: Writeback::None,
            })
            .unwrap();
        // The same files under the name the checks use.
        let image: Image = image
            .into_iter()
            .map(|(p, d)| (format!("{NAME}{}", &p[name.len()..]), d))
            .collect();
        let bounds = Bounds::new(&w, &r);
        if let Err(e) = check_image(&w, &bounds, &image, k..=k, true, false) {
            failures.push(format!("cut at call {k}: {e}"));
        }
        done += 1;
        k += stride;
    }
    println!(
        "posix env: {done} power cuts of {total} calls; {} failures",
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
