//! Differential test against LevelDB 1.23: random operation scripts run
//! through the C API on Strata and, in separate processes, on LevelDB 1.23,
//! and every answer (values, not-found, iteration order, error texts,
//! properties' shapes, approximate sizes within a tolerance) must be equal;
//! then the same script with the database handed back and forth between
//! the libraries at its closes (docs/differential.md has the script format
//! and the modes).
//!
//! - `random_scripts_agree`: a fixed set of seeds (`CI_SEEDS`), each script
//!   run whole on each library and handed over. `STRATA_DIFF_SEED=N` runs
//!   that seed only, `STRATA_DIFF_OPS` sets the length of the scripts
//!   (100-3000 operations, drawn from the seed, by default);
//!   `STRATA_DIFF_SECS=S` is the long mode: random seeds for S seconds,
//!   then a report of runs, operations, hand-overs and seeds.
//!   `STRATA_DIFF_KEEP=DIR` writes each script and LevelDB's answers there.
//! - `regressions_agree`: every script in `tests/differential/regressions/`
//!   (each disagreement ever found, shrunk, and `tour.script`), both modes.
//!   `STRATA_DIFF_SCRIPT=PATH` replays that script instead and prints every
//!   answer.
//! - `documented_differences_hold`: every script in
//!   `tests/differential/differences/` ends in a read where LevelDB 1.23
//!   answers wrong (against the model) and Strata right: the bugs of
//!   LevelDB's that README lists as differences.
//!
//! Reads are also checked against a model (`model.rs`); where LevelDB alone
//! is wrong, the run counts as a LevelDB bug, not a failure, and is
//! compared no further. A failure (or a LevelDB bug) is shrunk
//! (`shrink.rs`) and saved as a ready-to-run script under
//! `target/tmp/differential-failures/`; the message prints it and the
//! commands to replay it and to keep it.

mod support;

#[path = "differential/generate.rs"]
mod generate;
#[path = "differential/model.rs"]
mod model;
#[path = "differential/runner.rs"]
mod runner;
#[path = "differential/script.rs"]
mod script;
#[path = "differential/shrink.rs"]
mod shrink;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use runner::{handover_counts, Drivers, Finding, Kind, Mode};

/// The seeds of every `cargo test` run.
const CI_SEEDS: std::ops::Range<u64> = 1..121;
/// Checks a shrink may spend (each runs up to three short processes).
const SHRINK_BUDGET: usize = 4000;

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| {
        v.parse()
            .unwrap_or_else(|_| panic!("{name} must be a number, not {v:?}"))
    })
}

/// What a set of runs executed.
#[derive(Default)]
struct Totals {
    runs: usize,
    operations: usize,
    segments: usize,
    handovers: usize,
    failures: Vec<String>,
    /// Runs cut short where LevelDB 1.23 answered wrong and Strata right.
    leveldb_wrong: Vec<String>,
}

impl Totals {
    fn summary(&self) -> String {
        format!(
            "{} scripts of {} operations in all, each run on LevelDB 1.23, on Strata and \
             handed over ({} operations executed), {} hand-over segments of which {} \
             switched library, {} disagreements, {} runs where LevelDB 1.23 alone answered \
             wrong",
            self.runs,
            self.operations,
            self.operations * 3,
            self.segments,
            self.handovers,
            self.failures.len(),
            self.leveldb_wrong.len()
        )
    }
}

/// Lines of the oracle's output that show a script the driver could not
/// run as meant: the generator must never write one.
fn malformed(oracle: &str) -> Option<&str> {
    oracle.lines().find(|l| {
        l.ends_with(" closed")
            || l.contains(" no iterator")
            || l.contains(" no snapshot")
            || l.contains("syntax error")
            || l.contains(" skipped")
            || l.starts_with("unknown operation")
            || l.starts_with("! exit")
    })
}

/// Runs seed `seed`'s script in both modes, adding to `totals`; a
/// disagreement is shrunk, saved and described in `totals.failures`.
fn run_seed(drivers: &Drivers, seed: u64, ops: usize, totals: &mut Totals) {
    let lines = generate::generate(seed, ops);
    let checked = drivers.check(&lines, &[Mode::Whole, Mode::HandOver]);
    if let Ok(dir) = std::env::var("STRATA_DIFF_KEEP") {
        let dir = Path::new(&dir);
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(
            dir.join(format!("seed-{seed}.script")),
            lines.join("\n") + "\n",
        )
        .unwrap();
        std::fs::write(dir.join(format!("seed-{seed}.leveldb")), &checked.oracle).unwrap();
        for (mode, out) in &checked.others {
            std::fs::write(dir.join(format!("seed-{seed}.{mode:?}")), out).unwrap();
        }
    }
    if let Some(bad) = malformed(&checked.oracle) {
        panic!("seed {seed}: the generator wrote a script LevelDB could not run as meant: {bad}");
    }
    let (segments, handovers) = handover_counts(&lines);
    totals.runs += 1;
    totals.operations += script::operations(&lines).len();
    totals.segments += segments;
    totals.handovers += handovers;
    for found in &checked.findings {
        let report = shrink_and_save(drivers, &format!("seed-{seed}"), &lines, found);
        eprintln!("differential: seed {seed}:\n{report}");
        match found.kind {
            Kind::Disagreement => totals.failures.push(report),
            Kind::LevelDbWrong => totals.leveldb_wrong.push(format!("seed {seed}: {found}")),
        }
    }
}

/// Whether `candidate` still gives a finding like `found` (same kind, same
/// mode, same operation).
fn finds_again(drivers: &Drivers, candidate: &[String], found: &Finding) -> bool {
    drivers
        .check(candidate, &[found.mode])
        .findings
        .iter()
        .any(|f| {
            f.kind == found.kind
                && script::op_name(&f.operation) == script::op_name(&found.operation)
        })
}

/// Shrinks a script with a finding, saves it and says how to replay and
/// keep it. The shrink stops after `SHRINK_BUDGET` checks or
/// `STRATA_DIFF_SHRINK_SECS` seconds (600), keeping what it has.
fn shrink_and_save(drivers: &Drivers, name: &str, lines: &[String], found: &Finding) -> String {
    // Nothing after the operation can matter.
    let prefix: Vec<String> = script::operations(lines)
        .into_iter()
        .take(found.index + 1)
        .map(str::to_string)
        .collect();
    let deadline =
        Instant::now() + Duration::from_secs(env_u64("STRATA_DIFF_SHRINK_SECS").unwrap_or(600));
    // The same finding at the same kind of operation, so that the shrink
    // does not wander onto another; twice, so that a candidate that
    // disagrees only now and then (a timing-dependent answer) does not
    // steer it.
    let fails = |candidate: &[String]| {
        Instant::now() < deadline && (0..2).all(|_| finds_again(drivers, candidate, found))
    };
    if !fails(&prefix) {
        return format!(
            "{found}\n\nFLAKY: the script ({name}) did not give this twice more in a row; \
             not shrunk. The generator must not write operations whose answer depends on \
             timing."
        );
    }
    let (small, checks) = shrink::shrink(&prefix, fails, SHRINK_BUDGET);
    let now = drivers
        .check(&small, &[found.mode])
        .findings
        .into_iter()
        .next();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("differential-failures");
    std::fs::create_dir_all(&dir).unwrap();
    let (mode, folder) = match (found.mode, found.kind) {
        (Mode::Whole, Kind::Disagreement) => ("whole", "regressions"),
        (Mode::HandOver, Kind::Disagreement) => ("handover", "regressions"),
        (_, Kind::LevelDbWrong) => ("leveldb-wrong", "differences"),
    };
    let path = dir.join(format!("{name}-{mode}.script"));
    let mut text = format!(
        "# Found by tests/differential.rs ({name}, {mode}), shrunk from {} to {} operations.\n",
        script::operations(lines).len(),
        small.len()
    );
    if let Some(f) = &now {
        for l in f.to_string().lines() {
            text += &format!("# {l}\n");
        }
    }
    text += &(small.join("\n") + "\n");
    std::fs::write(&path, &text).unwrap();
    format!(
        "{found}\n\nShrunk in {checks} checks to {} operations ({}):\n{text}\n\
         Replay: STRATA_DIFF_SCRIPT={} cargo test --release --test differential regressions_agree -- --nocapture\n\
         Keep:   cp {} tests/differential/{folder}/<what-it-shows>.script",
        small.len(),
        now.map_or("no longer found: flaky?".to_string(), |f| f.to_string()),
        path.display(),
        path.display(),
    )
}

/// The length of seed `seed`'s script: 100 to 3000 operations, so some
/// runs are short and some build deep levels.
fn script_len(seed: u64) -> usize {
    100 + (seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 40) as usize % 2900
}

#[test]
fn random_scripts_agree() {
    let drivers = Drivers::build();
    let ops = env_u64("STRATA_DIFF_OPS").map(|n| n as usize);
    let len = |seed| ops.unwrap_or(script_len(seed));
    let mut totals = Totals::default();
    if let Some(secs) = env_u64("STRATA_DIFF_SECS") {
        long_mode(&drivers, Duration::from_secs(secs), &len, &mut totals);
    } else if let Some(seed) = env_u64("STRATA_DIFF_SEED") {
        run_seed(&drivers, seed, len(seed), &mut totals);
    } else {
        for seed in CI_SEEDS {
            run_seed(&drivers, seed, len(seed), &mut totals);
        }
    }
    eprintln!("differential: {}", totals.summary());
    for wrong in &totals.leveldb_wrong {
        eprintln!("differential: LevelDB 1.23 alone answered wrong: {wrong}");
    }
    assert!(
        totals.failures.is_empty(),
        "{}\n\n{}",
        totals.summary(),
        totals.failures.join("\n\n")
    );
}

/// Random seeds (consecutive from `STRATA_DIFF_SEED` or the clock) for
/// `secs`; reports every minute, and goes on after a disagreement.
fn long_mode(drivers: &Drivers, secs: Duration, len: &dyn Fn(u64) -> usize, totals: &mut Totals) {
    let first = env_u64("STRATA_DIFF_SEED").unwrap_or_else(|| {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap();
        t.as_secs() * 1000 + u64::from(t.subsec_millis())
    });
    let start = Instant::now();
    let mut last_report = start;
    let mut seed = first;
    while start.elapsed() < secs {
        run_seed(drivers, seed, len(seed), totals);
        seed += 1;
        if last_report.elapsed() > Duration::from_secs(60) {
            last_report = Instant::now();
            eprintln!(
                "differential: {}s, seeds {first}..={}: {}",
                start.elapsed().as_secs(),
                seed - 1,
                totals.summary()
            );
        }
    }
    eprintln!(
        "differential long mode: {}s, seeds {first}..={}",
        start.elapsed().as_secs(),
        seed - 1
    );
}

/// The `.script` files of `tests/differential/<folder>/`, sorted.
fn scripts_in(folder: &str) -> Vec<PathBuf> {
    let dir = support::root().join("tests/differential").join(folder);
    let mut scripts: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "script"))
        .collect();
    scripts.sort();
    scripts
}

fn read_script(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn regressions_agree() {
    if let Ok(path) = std::env::var("STRATA_DIFF_SCRIPT") {
        return replay(Path::new(&path));
    }
    let scripts = scripts_in("regressions");
    assert!(scripts.iter().any(|p| p.ends_with("tour.script")));
    let drivers = Drivers::build();
    let mut failures = Vec::new();
    for path in &scripts {
        let lines = read_script(path);
        for f in drivers
            .check(&lines, &[Mode::Whole, Mode::HandOver])
            .findings
        {
            failures.push(format!("{}: {f}", path.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Each documented bug of LevelDB 1.23 still shows, and Strata still
/// answers right: every operation agrees but the last, a read where
/// LevelDB's answer is not the model's and Strata's is.
#[test]
fn documented_differences_hold() {
    let scripts = scripts_in("differences");
    assert!(!scripts.is_empty());
    let drivers = Drivers::build();
    for path in &scripts {
        let lines = read_script(path);
        let last = script::operations(&lines).len() - 1;
        let checked = drivers.check(&lines, &[Mode::Whole, Mode::HandOver]);
        let whole: Vec<_> = checked
            .findings
            .iter()
            .filter(|f| f.mode == Mode::Whole)
            .collect();
        match whole.as_slice() {
            [f] if f.kind == Kind::LevelDbWrong && f.index == last => {}
            other => panic!(
                "{}: expected LevelDB 1.23 alone to answer the last operation wrong, found {other:#?}",
                path.display()
            ),
        }
        // Handed over, the answer may be LevelDB's wrong one where LevelDB
        // wrote the tables read, but never a disagreement.
        if let Some(f) = checked
            .findings
            .iter()
            .find(|f| f.mode == Mode::HandOver && f.kind == Kind::Disagreement)
        {
            panic!("{}: handed over: {f}", path.display());
        }
    }
}

/// Prints every answer of the three runs of one script and the model's,
/// then fails on a finding.
fn replay(path: &Path) {
    let lines = read_script(path);
    let drivers = Drivers::build();
    let checked = drivers.check(&lines, &[Mode::Whole, Mode::HandOver]);
    let (leveldb, strata, handed) = (&checked.oracle, &checked.others[0].1, &checked.others[1].1);
    let ops = script::operations(&lines);
    let expected = model::expected(&lines);
    let (l, s, h): (Vec<&str>, Vec<&str>, Vec<&str>) = (
        leveldb.lines().collect(),
        strata.lines().collect(),
        handed.lines().collect(),
    );
    for i in 0..l.len().max(s.len()).max(h.len()) {
        println!("{:>4} {}", i + 1, ops.get(i).copied().unwrap_or("(end)"));
        println!("     LevelDB 1.23: {}", l.get(i).unwrap_or(&""));
        println!("     Strata:       {}", s.get(i).unwrap_or(&""));
        println!("     handed over:  {}", h.get(i).unwrap_or(&""));
        if let Some(Some(m)) = expected.get(i) {
            println!("     model:        {m}");
        }
    }
    let findings: Vec<String> = checked.findings.iter().map(|f| f.to_string()).collect();
    assert!(findings.is_empty(), "{}", findings.join("\n"));
}

/// The shrinker keeps exactly what a failure needs: here a put and a get of
/// one key among noise, with its value emptied and its flag dropped.
#[test]
fn shrinking_keeps_only_what_fails() {
    let mut lines: Vec<String> = (0..200).map(|i| format!("put 'k{i} *100.{i}")).collect();
    lines.insert(50, "put 'needle *500.1 +sync".to_string());
    lines.insert(150, "get 'needle".to_string());
    let fails = |s: &[String]| {
        let put = s.iter().position(|l| l.starts_with("put 'needle"));
        let get = s.iter().position(|l| l == "get 'needle");
        matches!((put, get), (Some(p), Some(g)) if p < g)
    };
    let (small, _) = shrink::shrink(&lines, fails, 10_000);
    assert_eq!(small, ["put 'needle '", "get 'needle"]);
}

/// Hand-over segments start at each operation on a closed database, and
/// run on the library the annotation names.
#[test]
fn segments_cut_where_the_database_is_closed() {
    let lines: Vec<String> = [
        "open | leveldb",
        "put 'a 'b",
        "badopen exists",
        "close",
        "repair | ours",
        "open | leveldb",
        "close",
        "destroy",
    ]
    .iter()
    .map(|l| l.to_string())
    .collect();
    use support::Library::{Ours, Reference};
    assert_eq!(
        script::segments(&lines),
        [
            (Reference, 0..4),
            (Ours, 4..5),
            (Reference, 5..7),
            (Ours, 7..8)
        ]
    );
}
