//! Smoke test for `benches/db_bench.c`: it compiles with `-Wall -Wextra
//! -Werror` against the reference LevelDB 1.23 and runs every workload at a
//! tiny `--num`, so the side-by-side harness (`benches/compare.sh`) cannot rot
//! unnoticed. Each run is a separate process (we never load two libleveldbs
//! into one process) and must report the library it was linked to.

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

/// Compiles db_bench.c with the strict flags the harness uses.
fn compile_db_bench(out: &Path, include_dir: &Path, link_args: &[&str]) {
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let source = manifest_dir().join("benches/db_bench.c");
    let status = Command::new(&cc)
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-O2", "-pthread"])
        .arg(format!("-I{}", include_dir.display()))
        .arg(&source)
        .args(link_args)
        .arg("-o")
        .arg(out)
        .status()
        .unwrap_or_else(|e| panic!("cannot run {cc}: {e}"));
    assert!(status.success(), "compiling {} failed", source.display());
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

/// The library path db_bench read from its own /proc/self/maps.
fn loaded_library(stderr: &str) -> &str {
    stderr
        .lines()
        .find_map(|line| line.strip_prefix("Library:"))
        .map(str::trim)
        .expect("db_bench prints the loaded library")
}

fn assert_all_workloads_reported(stdout: &str, stderr: &str) {
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
    // "stats" prints the leveldb.stats property, which has this heading.
    assert!(
        stdout.contains("Compactions"),
        "no leveldb.stats in:\n{stdout}"
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
    assert_all_workloads_reported(&stdout, &stderr);
    let library = loaded_library(&stderr);
    assert!(
        library.contains("libleveldb.so") && !library.starts_with(dir.path().to_str().unwrap()),
        "reference run loaded {library}"
    );

    // Several threads, bloom filter and an explicit cache, uncompressed.
    let (stdout, _) = run_db_bench(
        &binary,
        dir.path(),
        None,
        &[
            "--num=1000",
            "--threads=2",
            "--bloom_bits=10",
            "--cache_size=1048576",
            "--compression=none",
            "--benchmarks=fillrandom,readrandom,seekrandom,readseq",
        ],
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
        assert_all_workloads_reported(&stdout, &stderr);
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

    // Two threads sharing the handle, with a filter and an explicit cache.
    let (stdout, _) = run_db_bench(
        &reference_binary,
        dir.path(),
        Some(&libdir),
        &[
            "--num=1000",
            "--threads=2",
            "--bloom_bits=10",
            "--cache_size=1048576",
            "--benchmarks=fillrandom,overwrite,readrandom,readhot,seekrandom,readseq,readreverse,readwhilewriting,deleterandom",
        ],
    );
    assert!(stdout.contains("readwhilewriting : "), "{stdout}");
}

/// benches/compare.sh itself, on our built library (STRATA_CDYLIB, so no
/// nested cargo build), one tiny round: with --prefill both sides read a copy
/// of one LevelDB-filled database and so find every key.
#[test]
fn compare_script_prints_a_side_by_side_table() {
    support::require_reference();
    let tmp = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| -> String {
        let out = Command::new("sh")
            .arg(manifest_dir().join("benches/compare.sh"))
            .args(["--rounds=1", "--num=2000", "--keep"])
            .args(extra)
            .env("STRATA_CDYLIB", support::our_so())
            .env("BENCH_TMPDIR", tmp.path())
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
    let row = |table: &str, name: &str| -> Vec<String> {
        let line = table
            .lines()
            .find(|l| l.starts_with(&format!("| {name} |")))
            .unwrap_or_else(|| panic!("no {name} row in\n{table}"));
        line.split('|').map(|c| c.trim().to_string()).collect()
    };

    let table = run(&["--benchmarks=fillrandom,readrandom"]);
    for name in ["fillrandom", "readrandom"] {
        let cells = row(&table, name);
        // Both sides timed and a speedup computed.
        assert!(cells[2].parse::<f64>().unwrap() > 0.0, "{table}");
        assert!(cells[3].parse::<f64>().unwrap() > 0.0, "{table}");
        assert!(cells[4].ends_with('×'), "{table}");
    }

    let table = run(&["--prefill", "--benchmarks=readrandom,readseq"]);
    assert!(table.contains("--prefill"), "{table}");
    row(&table, "readseq");
    // The raw outputs were kept: every lookup found its key on both sides.
    let kept: Vec<PathBuf> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let found = kept
        .iter()
        .flat_map(|dir| ["out.ref.1", "out.ours.1"].map(|f| dir.join(f)))
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .filter(|out| out.contains("(2000 of 2000 found)"))
        .count();
    assert_eq!(found, 2, "prefilled runs should find every key");
}
