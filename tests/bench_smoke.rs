//! Smoke test for `benches/db_bench.c`: it compiles with `-Wall -Wextra
//! -Werror` against the reference LevelDB 1.23, against Strata and against
//! RocksDB (through `benches/rocksdb_compat.h`) and runs every workload at a
//! tiny `--num`, so the side-by-side harness (`benches/compare.sh`) cannot rot
//! unnoticed. Each run is a separate process (we never load two libleveldbs
//! into one process) and must report the library it was linked to. Also
//! checked: the `--histogram=1` percentiles (against known distributions, in
//! a C program over `benches/latency_histogram.h`) and the machine-readable
//! `Ops:`, `IO:` and `Latency:` lines compare.sh reads (and `Tail:`).

use std::path::{Path, PathBuf};
use std::process::Command;

mod support;

/// Every workload db_bench offers, in an order where each finds the data it
/// needs; `stats` and `sstables` print properties instead of a timing line.
const WORKLOADS: &[&str] = &[
    "fillseq",
    "fillsync",
    "fillrandom",
    "overwrite",
    "readrandom",
    "readmissing",
    "readhot",
    "readseq",
    "readreverse",
    "seekrandom",
    "seekordered",
    "readrandomsmall",
    "readwhilewriting",
    "fillbatch",
    "deleteseq",
    "deleterandom",
    "fill100K",
    "compact",
    "open",
];

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// RocksDB's C API (Debian's librocksdb-dev, 7.8), which compare.sh
/// measures unless told `--no-rocksdb`.
const ROCKSDB_C_H: &str = "/usr/include/rocksdb/c.h";

/// Fails loudly when RocksDB is missing: CI installs it (see .ci/run).
fn require_rocksdb() {
    assert!(
        Path::new(ROCKSDB_C_H).exists(),
        "RocksDB is not installed: apt-get install -y librocksdb-dev"
    );
}

/// Compiles a C file of benches/ with the strict flags the harness uses;
/// `args` come after the source (defines, libraries).
fn compile_bench_c(file: &str, out: &Path, include_dir: &Path, args: &[&str]) {
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let source = manifest_dir().join("benches").join(file);
    let status = Command::new(&cc)
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-O2", "-pthread"])
        .arg(format!("-I{}", include_dir.display()))
        .arg(&source)
        .args(args)
        .arg("-o")
        .arg(out)
        .status()
        .unwrap_or_else(|e| panic!("cannot run {cc}: {e}"));
    assert!(status.success(), "compiling {} failed", source.display());
}

/// Compiles db_bench.c; `args` choose the library (`-lleveldb`, or
/// `-DBENCH_ROCKSDB -lrocksdb`).
fn compile_db_bench(out: &Path, include_dir: &Path, args: &[&str]) {
    compile_bench_c("db_bench.c", out, include_dir, args);
}

/// Runs db_bench on a fresh database in `dir`; returns (stdout, stderr).
fn run_db_bench(
    binary: &Path,
    dir: &Path,
    library_path: Option<&Path>,
    args: &[&str],
) -> (String, String) {
    let mut command = Command::new(binary);
    command.env_remove("LD_LIBRARY_PATH");
    if let Some(path) = library_path {
        command.env("LD_LIBRARY_PATH", path);
    }
    let output = command
        .args(args)
        .arg(format!("--db={}", dir.join("db").display()))
        .output()
        .expect("db_bench runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "db_bench {args:?} exited with {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    (stdout, stderr)
}

/// Runs `benchmarks` with two threads sharing the handle, a Bloom filter,
/// an explicit cache and no compression; returns stdout.
fn run_with_options(
    binary: &Path,
    dir: &Path,
    library_path: Option<&Path>,
    benchmarks: &str,
) -> String {
    let benchmarks = format!("--benchmarks={benchmarks}");
    let args = [
        "--num=1000",
        "--threads=2",
        "--bloom_bits=10",
        "--cache_size=1048576",
        "--compression=none",
        &benchmarks,
    ];
    run_db_bench(binary, dir, library_path, &args).0
}

/// The library path db_bench read from its own /proc/self/maps.
fn loaded_library(stderr: &str) -> &str {
    stderr
        .lines()
        .find_map(|line| line.strip_prefix("Library:"))
        .map(str::trim)
        .expect("db_bench prints the loaded library")
}

/// What the `stats` workload prints: the heading of each library's stats
/// property.
const LEVELDB_STATS_HEADING: &str = "Compactions";
const ROCKSDB_STATS_HEADING: &str = "Compaction Stats";

fn assert_all_workloads_reported(stdout: &str, stderr: &str, stats_heading: &str) {
    for header in ["Keys:       16 bytes each", "Entries:    1000", "PeakRSS:"] {
        assert!(stdout.contains(header), "missing {header:?} in:\n{stdout}");
    }
    for name in WORKLOADS {
        let prefix = format!("{name:<12} : ");
        assert!(
            stdout
                .lines()
                .any(|line| line.starts_with(&prefix) && line.contains(" micros/op;")),
            "no result line for {name} in:\n{stdout}"
        );
        assert!(
            stderr.contains(&format!("RSS:        {name} ")),
            "no RSS line for {name} in:\n{stderr}"
        );
    }
    // "stats" prints the leveldb.stats property (rocksdb.stats for RocksDB).
    assert!(
        stdout.contains(stats_heading),
        "no stats property in:\n{stdout}"
    );
    assert!(
        stdout.contains("--- level 0 ---"),
        "no leveldb.sstables in:\n{stdout}"
    );
    // fillsync and fill100K run num/1000 ops and say so.
    assert!(
        stdout.contains("(1 ops)"),
        "no op count message in:\n{stdout}"
    );
}

fn workload_flag() -> String {
    format!("--benchmarks={},stats,sstables", WORKLOADS.join(","))
}

#[test]
fn db_bench_runs_every_workload_against_reference_leveldb() {
    let dir = tempfile::tempdir().unwrap();
    let binary = dir.path().join("db_bench_ref");
    compile_db_bench(&binary, Path::new("/usr/include"), &["-lleveldb"]);

    let benchmarks = workload_flag();
    let (stdout, stderr) = run_db_bench(&binary, dir.path(), None, &["--num=1000", &benchmarks]);
    assert_all_workloads_reported(&stdout, &stderr, LEVELDB_STATS_HEADING);
    let library = loaded_library(&stderr);
    assert!(
        library.contains("libleveldb.so") && !library.starts_with(dir.path().to_str().unwrap()),
        "reference run loaded {library}"
    );

    let stdout = run_with_options(
        &binary,
        dir.path(),
        None,
        "fillrandom,readrandom,seekrandom,readseq",
    );
    assert!(stdout.contains("readrandom   : "), "{stdout}");
}

#[test]
fn db_bench_rejects_unknown_flags_and_names_unknown_workloads() {
    let dir = tempfile::tempdir().unwrap();
    let binary = dir.path().join("db_bench_ref");
    compile_db_bench(&binary, Path::new("/usr/include"), &["-lleveldb"]);

    let bad = Command::new(&binary)
        .arg("--no_such_flag=1")
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("Invalid flag '--no_such_flag=1'"));

    let (_, stderr) = run_db_bench(
        &binary,
        dir.path(),
        None,
        &["--num=10", "--benchmarks=fillseq,nosuchbench"],
    );
    assert!(
        stderr.contains("unknown benchmark 'nosuchbench'"),
        "{stderr}"
    );
}

#[test]
fn db_bench_runs_every_workload_against_strata() {
    let dir = tempfile::tempdir().unwrap();
    let ours = support::OurLibDir::new();
    let libdir = ours.path().to_path_buf();
    let benchmarks = workload_flag();
    // Every workload reports, and the loader resolved the link in the
    // library dir to our build.
    let every_workload_runs_on_ours = |binary: &Path| {
        let (stdout, stderr) = run_db_bench(
            binary,
            dir.path(),
            Some(&libdir),
            &["--num=1000", &benchmarks],
        );
        assert_all_workloads_reported(&stdout, &stderr, LEVELDB_STATS_HEADING);
        assert_eq!(
            std::fs::canonicalize(loaded_library(&stderr)).unwrap(),
            std::fs::canonicalize(support::our_so()).unwrap()
        );
    };

    // Built against our header and library.
    let binary = dir.path().join("db_bench_ours");
    let link_dir = format!("-L{}", libdir.display());
    compile_db_bench(
        &binary,
        &manifest_dir().join("include"),
        &[&link_dir, "-lleveldb"],
    );
    every_workload_runs_on_ours(&binary);

    // The binary built against the distro library, with ours dropped in: what
    // benches/compare.sh measures.
    let reference_binary = dir.path().join("db_bench_ref");
    compile_db_bench(&reference_binary, Path::new("/usr/include"), &["-lleveldb"]);
    every_workload_runs_on_ours(&reference_binary);

    let stdout = run_with_options(
        &reference_binary,
        dir.path(),
        Some(&libdir),
        "fillrandom,overwrite,readrandom,readhot,seekrandom,readseq,readreverse,readwhilewriting,deleterandom",
    );
    assert!(stdout.contains("readwhilewriting : "), "{stdout}");
}

#[test]
fn db_bench_runs_every_workload_against_rocksdb() {
    require_rocksdb();
    let dir = tempfile::tempdir().unwrap();
    let binary = dir.path().join("db_bench_rocksdb");
    compile_db_bench(
        &binary,
        Path::new("/usr/include"),
        &["-DBENCH_ROCKSDB", "-lrocksdb"],
    );

    let benchmarks = workload_flag();
    let (stdout, stderr) = run_db_bench(&binary, dir.path(), None, &["--num=1000", &benchmarks]);
    assert_all_workloads_reported(&stdout, &stderr, ROCKSDB_STATS_HEADING);
    let library = loaded_library(&stderr);
    assert!(
        library.contains("librocksdb.so"),
        "RocksDB run loaded {library}"
    );
    assert!(stderr.contains("RocksDB:    version "), "{stderr}");
    // The key sequences are seeded, so a correct mapping finds exactly what
    // LevelDB finds in every workload that reports it.
    let reference = dir.path().join("db_bench_ref");
    compile_db_bench(&reference, Path::new("/usr/include"), &["-lleveldb"]);
    let (reference_stdout, _) =
        run_db_bench(&reference, dir.path(), None, &["--num=1000", &benchmarks]);
    assert_eq!(found_counts(&stdout), found_counts(&reference_stdout));

    // For RocksDB these are the options the mapping header turns into
    // table options.
    let stdout = run_with_options(
        &binary,
        dir.path(),
        None,
        "fillrandom,readrandom,seekrandom,readseq,readwhilewriting",
    );
    assert!(stdout.contains("readwhilewriting : "), "{stdout}");
    // The options RocksDB wrote down are the ones asked for.
    let options_file = std::fs::read_dir(dir.path().join("db"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("OPTIONS-")
        })
        .max()
        .expect("RocksDB writes an OPTIONS file");
    let options = std::fs::read_to_string(options_file).unwrap();
    for setting in [
        "write_buffer_size=4194304",
        "target_file_size_base=2097152",
        "max_bytes_for_level_base=10485760",
        "level0_slowdown_writes_trigger=8",
        "level0_stop_writes_trigger=12",
        "max_open_files=1000",
        "paranoid_checks=false",
        "compression=kNoCompression",
        "block_size=4096",
        "filter_policy=bloomfilter",
    ] {
        assert!(
            options.lines().any(|l| l.trim() == setting),
            "{setting} not in RocksDB's OPTIONS file"
        );
    }
}

/// The "(X of Y found)" results of a run, by workload, except
/// readwhilewriting's, which depend on how far its writer got.
fn found_counts(stdout: &str) -> Vec<(String, String)> {
    let counts: Vec<(String, String)> = stdout
        .lines()
        .filter(|l| l.ends_with(" found)") && !l.starts_with("readwhilewriting"))
        .map(|l| {
            let name = l.split_whitespace().next().unwrap().to_string();
            (name, l[l.rfind('(').unwrap()..].to_string())
        })
        .collect();
    assert!(counts.len() >= 4, "too few lookups reported in\n{stdout}");
    counts
}

/// `key=value` fields of the stderr line `<tag> <name> k=v ...` (progress
/// reports end in '\r', not '\n').
fn tagged_fields<'a>(stderr: &'a str, tag: &str, name: &str) -> Vec<(&'a str, &'a str)> {
    let line = stderr
        .split(['\n', '\r'])
        .find(|l| {
            l.strip_prefix(tag)
                .map(|rest| rest.split_whitespace().next() == Some(name))
                .unwrap_or(false)
        })
        .unwrap_or_else(|| panic!("no {tag} line for {name} in:\n{stderr}"));
    line.split_whitespace()
        .filter_map(|f| f.split_once('='))
        .collect()
}

fn field(fields: &[(&str, &str)], key: &str) -> f64 {
    let value = fields
        .iter()
        .find(|(k, _)| *k == key)
        .unwrap_or_else(|| panic!("no {key} in {fields:?}"))
        .1;
    value.parse().unwrap()
}

/// --histogram=1, `Ops:` and `IO:`: counts agree with what the workloads
/// did (each of --threads threads does --num operations, as upstream's
/// db_bench), percentiles are ordered, and bytes put are exact.
#[test]
fn db_bench_reports_latency_ops_and_io_lines() {
    let dir = tempfile::tempdir().unwrap();
    let binary = dir.path().join("db_bench_ref");
    compile_db_bench(&binary, Path::new("/usr/include"), &["-lleveldb"]);
    let (stdout, stderr) = run_db_bench(
        &binary,
        dir.path(),
        None,
        &[
            "--num=2000",
            "--threads=2",
            "--histogram=1",
            "--benchmarks=fillrandom,readrandom,readwhilewriting,compact",
        ],
    );
    // Still exactly one timing line per workload for harnesses to read.
    assert_eq!(stdout.matches(" micros/op;").count(), 4, "{stdout}");
    let entry = 16.0 + 100.0;
    for (name, ops) in [("fillrandom", 4000.0), ("readrandom", 4000.0)] {
        let latency = tagged_fields(&stderr, "Latency:", name);
        assert_eq!(field(&latency, "count"), ops, "{stderr}");
        let stats: Vec<f64> = ["p50", "p99", "p99.9", "max"]
            .iter()
            .map(|k| field(&latency, k))
            .collect();
        assert!(stats[0] > 0.0, "{stderr}");
        assert!(stats.windows(2).all(|w| w[0] <= w[1]), "{stats:?}");
        // The tail counts agree with the percentiles they come from: none
        // above the maximum, fewer for each higher threshold, and at least
        // 0.1% of the operations at or above p99.9 (one off for rounding).
        let tail = tagged_fields(&stderr, "Tail:", name);
        let mut previous = ops;
        for us in [10.0, 20.0, 30.0, 50.0, 100.0, 1000.0] {
            let at_least = field(&tail, &format!("ge{us}us"));
            assert!(at_least <= previous, "{stderr}");
            if us > stats[3] {
                assert_eq!(at_least, 0.0, "{stderr}");
            }
            if us <= stats[2] {
                assert!(at_least + 1.0 >= ops / 1000.0, "{us} µs: {stderr}");
            } else {
                assert!(at_least <= ops / 1000.0 + 1.0, "{us} µs: {stderr}");
            }
            previous = at_least;
        }
        let op_counts = tagged_fields(&stderr, "Ops:", name);
        assert_eq!(field(&op_counts, "ops"), ops);
        assert_eq!(field(&op_counts, "threads"), 2.0);
        assert!(field(&op_counts, "seconds") > 0.0);
    }
    let fill_io = tagged_fields(&stderr, "IO:", "fillrandom");
    assert_eq!(field(&fill_io, "put_bytes"), 4000.0 * entry);
    assert!(field(&fill_io, "write_bytes") >= 0.0, "{stderr}");
    assert_eq!(
        field(&tagged_fields(&stderr, "IO:", "readrandom"), "put_bytes"),
        0.0
    );
    // readwhilewriting: two readers are timed; the writer's puts are timed
    // apart, one latency per put, and counted as bytes put.
    let readers = tagged_fields(&stderr, "Latency:", "readwhilewriting");
    assert_eq!(field(&readers, "count"), 4000.0);
    let writer_put = field(
        &tagged_fields(&stderr, "IO:", "readwhilewriting"),
        "put_bytes",
    );
    let writes = if writer_put > 0.0 {
        field(
            &tagged_fields(&stderr, "Latency:", "readwhilewriting/writes"),
            "count",
        )
    } else {
        0.0
    };
    assert_eq!(writes * entry, writer_put, "{stderr}");
    // The whole run's bytes put add up.
    let whole = tagged_fields(&stderr, "IO:", "whole-run");
    assert_eq!(field(&whole, "put_bytes"), 4000.0 * entry + writer_put);
}

/// The histogram's bucketing and percentiles, in C against known inputs.
#[test]
fn latency_histogram_percentiles_match_known_distributions() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("check.c");
    std::fs::write(&source, HISTOGRAM_CHECK_C).unwrap();
    let binary = dir.path().join("check");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let status = Command::new(&cc)
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-O2"])
        .arg(format!("-I{}", manifest_dir().join("benches").display()))
        .arg(&source)
        .arg("-o")
        .arg(&binary)
        .status()
        .unwrap();
    assert!(status.success(), "compiling the histogram check failed");
    let out = Command::new(&binary).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

const HISTOGRAM_CHECK_C: &str = r#"
#include "latency_histogram.h"
#include <stdio.h>
#include <stdlib.h>

static int failures;
#define CHECK(cond, ...) do { if (!(cond)) { printf(__VA_ARGS__); printf("\n"); failures++; } } while (0)

static int near(double got, double want, double rel) {
  double d = got - want;
  if (d < 0) d = -d;
  return d <= rel * want;
}

static latency_histogram_t a, b, whole;

int main(void) {
  /* Every value lies in the bucket its index names; indices never go
   * backwards and never skip a bucket. */
  int last = -1;
  for (uint64_t v = 0; v < 3000000; v++) {
    int i = hist_index(v);
    uint64_t lower, width;
    hist_bucket_range(i, &lower, &width);
    CHECK(lower <= v && v < lower + width, "%llu outside bucket %d", (unsigned long long)v, i);
    CHECK(i == last || i == last + 1, "index jumps from %d to %d at %llu", last, i,
          (unsigned long long)v);
    if (v >= HIST_SUB) CHECK(width * HIST_SUB <= v, "bucket %d too wide for %llu", i, (unsigned long long)v);
    last = i;
  }
  CHECK(hist_index(UINT64_MAX) == HIST_BUCKETS - 1, "last index %d", hist_index(UINT64_MAX));

  /* Uniform 1..100000 ns, split over two histograms and merged. */
  hist_clear(&a);
  hist_clear(&b);
  hist_clear(&whole);
  for (uint64_t v = 1; v <= 100000; v++) {
    hist_add(v % 2 ? &a : &b, v);
    hist_add(&whole, v);
  }
  hist_merge(&a, &b);
  CHECK(a.count == 100000 && a.min_ns == 1 && a.max_ns == 100000, "merged count/min/max");
  CHECK(memcmp(a.buckets, whole.buckets, sizeof(a.buckets)) == 0, "merge differs");
  const double want[][2] = {{50, 50000}, {99, 99000}, {99.9, 99900}, {100, 100000}};
  for (int k = 0; k < 4; k++) {
    double got = hist_percentile(&a, want[k][0]);
    CHECK(near(got, want[k][1], 1.0 / HIST_SUB), "P%g = %f, want %f", want[k][0], got, want[k][1]);
  }
  /* Values at or above a threshold: exact for uniform values up to the
   * unit step (the interpolation inside a bucket is linear). */
  const uint64_t thresholds[] = {1, 31, 1000, 10000, 50000, 99000, 100000};
  for (int k = 0; k < 7; k++) {
    double got = hist_count_at_least(&a, thresholds[k]);
    double want = 100001.0 - (double)thresholds[k];
    CHECK(got >= want - 1 && got <= want + 1, "at least %llu: %f, want %f",
          (unsigned long long)thresholds[k], got, want);
  }
  CHECK(hist_count_at_least(&a, 100001) == 0, "above max");

  /* One slow op in 500 fast ones: P99.9 and max see it, P50 and P99 not. */
  hist_clear(&a);
  for (int k = 0; k < 499; k++) hist_add(&a, 1000);
  hist_add(&a, 5000000);
  CHECK(near(hist_percentile(&a, 50), 1000, 1.0 / HIST_SUB), "spike P50 %f", hist_percentile(&a, 50));
  CHECK(near(hist_percentile(&a, 99), 1000, 1.0 / HIST_SUB), "spike P99 %f", hist_percentile(&a, 99));
  CHECK(near(hist_percentile(&a, 99.9), 5000000, 1.0 / HIST_SUB), "spike P99.9 %f",
        hist_percentile(&a, 99.9));
  CHECK(hist_percentile(&a, 100) == 5000000, "spike max %f", hist_percentile(&a, 100));
  CHECK(a.max_ns == 5000000, "max_ns");
  CHECK(hist_count_at_least(&a, 2000) == 1, "spike tail %f", hist_count_at_least(&a, 2000));
  CHECK(hist_count_at_least(&a, 1000) == 500, "spike all %f", hist_count_at_least(&a, 1000));

  /* An empty histogram reports zeros. */
  hist_clear(&a);
  CHECK(hist_percentile(&a, 99) == 0, "empty P99");
  CHECK(hist_count_at_least(&a, 0) == 0, "empty tail");
  return failures == 0 ? 0 : 1;
}
"#;

/// benches/compare.sh itself, on our built library (STRATA_CDYLIB, so no
/// nested cargo build), one tiny round each: three libraries with a
/// --threads list and --histogram=1 (every table filled in), two with
/// --no-rocksdb, and --prefill, where every library reads a copy of a
/// settled database and so finds every key.
#[test]
fn compare_script_prints_side_by_side_tables() {
    support::require_reference();
    require_rocksdb();
    let tmp = tempfile::tempdir().unwrap();
    // One tiny round with `extra`, its raw outputs kept under `dir`.
    let run_in = |dir: &Path, extra: &[&str]| -> String {
        let out = Command::new("sh")
            .arg(manifest_dir().join("benches/compare.sh"))
            .args(["--rounds=1", "--num=2000", "--keep"])
            .args(extra)
            .env("STRATA_CDYLIB", support::our_so())
            .env("BENCH_TMPDIR", dir)
            .env("BENCH_SETTLE", "0")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "compare.sh {extra:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let run = |extra: &[&str]| run_in(tmp.path(), extra);
    // The cells of the first row starting with `lead` at or after the line
    // starting with `heading`.
    let row = |output: &str, heading: &str, lead: &str| -> Vec<String> {
        let line = output
            .lines()
            .skip_while(|l| !l.starts_with(heading))
            .find(|l| l.starts_with(lead))
            .unwrap_or_else(|| panic!("no {lead:?} row after {heading:?} in\n{output}"));
        line.split('|').map(|c| c.trim().to_string()).collect()
    };
    let positive = |cell: &str, output: &str| {
        assert!(cell.parse::<f64>().unwrap() > 0.0, "{cell:?} in\n{output}");
    };

    let output = run(&[
        "--threads=1,2",
        "--histogram=1",
        "--benchmarks=fillrandom,readrandom",
    ]);
    for threads in ["1", "2"] {
        for name in ["fillrandom", "readrandom"] {
            let lead = format!("| {name} | {threads} |");
            // Three libraries timed, Strata's speedup over each.
            let cells = row(&output, "| workload | threads |", &lead);
            (3..6).for_each(|c| positive(&cells[c], &output));
            assert!(
                cells[6].ends_with('×') && cells[7].ends_with('×'),
                "{output}"
            );
            let cells = row(&output, "Aggregate throughput", &lead);
            (3..6).for_each(|c| positive(&cells[c], &output));
            assert!(
                cells[6].ends_with('×') && cells[7].ends_with('×'),
                "{output}"
            );
            let cells = row(&output, "Latency per operation", &format!("{lead} p99.9 |"));
            (4..7).for_each(|c| positive(&cells[c], &output));
            // The tail counts: whole operations, fewer at each higher
            // threshold, at most all of them.
            let count_rows: Vec<Vec<String>> = ["10 µs", "30 µs", "1 ms"]
                .iter()
                .map(|t| {
                    row(
                        &output,
                        "Latency per operation",
                        &format!("{lead} ops ≥ {t} |"),
                    )
                })
                .collect();
            let all = 2000.0 * threads.parse::<f64>().unwrap();
            for c in 4..7 {
                let counts: Vec<f64> = count_rows
                    .iter()
                    .map(|r| r[c].parse::<f64>().expect("a count"))
                    .collect();
                assert!(counts[0] <= all, "{output}");
                assert!(
                    counts.windows(2).all(|w| w[1] <= w[0]),
                    "{counts:?} in\n{output}"
                );
            }
        }
        // Write amplification: a number for each library (write_bytes can
        // be 0 where the temp dir is a tmpfs).
        let cells = row(
            &output,
            "Write amplification",
            &format!("| fillrandom | {threads} |"),
        );
        for cell in &cells[3..6] {
            assert!(cell.parse::<f64>().is_ok(), "{cell:?} in\n{output}");
        }
    }

    let output = run(&["--no-rocksdb", "--benchmarks=fillrandom,readrandom"]);
    assert!(!output.contains("RocksDB µs/op"), "{output}");
    for name in ["fillrandom", "readrandom"] {
        let cells = row(&output, "| workload |", &format!("| {name} |"));
        positive(&cells[2], &output);
        positive(&cells[3], &output);
        assert!(cells[4].ends_with('×'), "{output}");
    }

    let output = run(&["--prefill", "--benchmarks=readrandom,readseq"]);
    assert!(output.contains("--prefill"), "{output}");
    row(&output, "| workload |", "| readseq |");
    // The raw outputs were kept: every lookup found its key, in each library.
    let kept: Vec<PathBuf> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let found = kept
        .iter()
        .flat_map(|dir| ["out.ref.1.1", "out.ours.1.1", "out.rocks.1.1"].map(|f| dir.join(f)))
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .filter(|out| out.contains("(2000 of 2000 found)"))
        .count();
    assert_eq!(found, 3, "prefilled runs should find every key");

    // --split-num: --num is the total, so two threads write 1000 each and
    // the step does the same 2000 writes as one thread (db_bench's `Ops:`
    // line counts all threads).
    // (A directory of its own: the runs above kept outputs of the same names.)
    let fresh = tempfile::tempdir().unwrap();
    let output = run_in(
        fresh.path(),
        &[
            "--no-rocksdb",
            "--threads=1,2",
            "--split-num",
            "--benchmarks=fillrandom",
        ],
    );
    row(&output, "Aggregate throughput", "| fillrandom | 2 |");
    let ops: Vec<String> = std::fs::read_dir(fresh.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .flat_map(|dir| ["err.ours.1.1", "err.ours.2.1"].map(|f| dir.join(f)))
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .flat_map(|err| {
            err.lines()
                .filter(|l| l.starts_with("Ops:"))
                .map(|l| l.split_whitespace().skip(2).collect::<Vec<_>>().join(" "))
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(
        ops.iter().filter(|o| o.contains("ops=2000 ")).count(),
        2,
        "both steps should make 2000 writes: {ops:?}"
    );
    assert!(ops.iter().any(|o| o.starts_with("threads=2 ")), "{ops:?}");
}

/// `benches/sync_floor.c` (the disk's floor for one durable write, which
/// RESULTS.md quotes for fillsync) compiles warning-free, times all five
/// ways of writing a log, cleans up its file and refuses a bad count.
#[test]
fn sync_floor_times_every_mode() {
    let dir = tempfile::tempdir().unwrap();
    let binary = dir.path().join("sync_floor");
    compile_bench_c(
        "sync_floor.c",
        &binary,
        &manifest_dir().join("include"),
        &[],
    );
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();

    let output = Command::new(&binary)
        .arg(&work)
        .arg("30")
        .output()
        .expect("sync_floor runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "sync_floor failed: {output:?}");
    for mode in ["append", "reserved", "mapped", "zeroed", "direct"] {
        let line = stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(mode))
            .unwrap_or_else(|| panic!("no {mode} row in:\n{stdout}"));
        let cells: Vec<&str> = line.split_whitespace().skip(1).collect();
        assert_eq!(cells.len(), 3, "three rounds per mode: {line}");
        for cell in cells {
            // Only O_DIRECT may be refused by the file system.
            if cell == "n/a" && mode == "direct" {
                continue;
            }
            let us: f64 = cell.parse().unwrap_or_else(|_| panic!("{line}"));
            assert!(us > 0.0, "{line}");
        }
    }
    let left: Vec<_> = std::fs::read_dir(&work).unwrap().collect();
    assert!(left.is_empty(), "sync_floor left files behind: {left:?}");

    let refused = Command::new(&binary).arg(&work).arg("0").output().unwrap();
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
}

/// `benches/streams.c` (several ascending streams written in bursts, which
/// RESULTS.md measures) compiles warning-free against our header, runs on
/// our library, reports its one line, and leaves a database holding every
/// stream's keys from 0 up without a gap.
#[test]
fn streams_writes_every_stream_without_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let ours = support::OurLibDir::new();
    let binary = dir.path().join("streams");
    let link_dir = format!("-L{}", ours.path().display());
    compile_bench_c(
        "streams.c",
        &binary,
        &manifest_dir().join("include"),
        &[&link_dir, "-lleveldb"],
    );
    let db_path = dir.path().join("db");
    let output = Command::new(&binary)
        .env("LD_LIBRARY_PATH", ours.path())
        .arg(&db_path)
        .args(["5", "60000"])
        .output()
        .expect("streams runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "streams failed: {output:?}");
    let field = |name: &str| -> f64 {
        stdout
            .split_whitespace()
            .find_map(|f| f.strip_prefix(name)?.strip_prefix('='))
            .unwrap_or_else(|| panic!("no {name} in {stdout}"))
            .parse()
            .unwrap()
    };
    assert_eq!(field("streams"), 5.0);
    assert_eq!(field("entries"), 60000.0);
    assert!(
        field("micros/op") > 0.0 && field("cpu_s") >= 0.0,
        "{stdout}"
    );
    assert!(field("write_amplification") >= 0.0, "{stdout}");

    use leveldb::Iterator as _;
    let db = leveldb::DB::open(leveldb::Options::default(), db_path.to_str().unwrap()).unwrap();
    let mut it = db.iter(&leveldb::ReadOptions::new());
    let mut next = [0u64; 5];
    it.seek_to_first();
    while it.valid() {
        let key = std::str::from_utf8(it.key()).unwrap().to_string();
        let (stream, counter) = key.split_at(4);
        let stream: usize = stream.parse().unwrap();
        assert_eq!(counter.parse::<u64>().unwrap(), next[stream], "{key}");
        next[stream] += 1;
        assert_eq!(it.value().len(), 100);
        it.next();
    }
    assert_eq!(next.iter().sum::<u64>(), 60000, "{next:?}");
    // A second run refuses to write into an existing database.
    let again = Command::new(&binary)
        .env("LD_LIBRARY_PATH", ours.path())
        .arg(&db_path)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1), "{again:?}");
}
