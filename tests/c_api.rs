//! Runs the C programs in c_tests/ (built with -Wall -Wextra -Werror
//! -std=c11), each in its own process: against our library and against
//! LevelDB 1.23, requiring identical transcripts; the Strata-only programs
//! (NULL arguments, the panic boundary) against ours; the main program under
//! valgrind; and the examples.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::*;

/// Builds `c_tests/<program>.c` against `library` into `out_dir`.
fn build(program: &str, library: Library, libs: &OurLibDir, out_dir: &Path) -> PathBuf {
    let exe = out_dir.join(format!("{program}-{library:?}"));
    compile_c(&[&format!("c_tests/{program}.c")], &exe, library, libs);
    exe
}

/// Runs `exe` with a fresh scratch directory (also its TEST_TMPDIR) and
/// returns its stdout.
fn run(exe: &Path, library: Library, libs: &OurLibDir, env: &[(&str, &str)]) -> String {
    let scratch = tempfile::tempdir().unwrap();
    let tmp = scratch.path().join("tmp");
    let mut cmd = command_for(exe, library, libs);
    cmd.arg(scratch.path()).env("TEST_TMPDIR", &tmp);
    for (k, v) in env {
        cmd.env(k, v);
    }
    String::from_utf8(check(&mut cmd).stdout).unwrap()
}

/// Line-by-line difference of two transcripts, for failure messages.
fn diff(ours: &str, reference: &str) -> String {
    let (a, b): (Vec<_>, Vec<_>) = (ours.lines().collect(), reference.lines().collect());
    let mut out = String::new();
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (a.get(i).copied(), b.get(i).copied());
        if x != y {
            out += &format!("line {}:\n  ours:      {x:?}\n  reference: {y:?}\n", i + 1);
        }
    }
    out
}

/// The program's transcript against ours must equal its transcript against
/// LevelDB 1.23, and end in PASS.
fn same_transcript(program: &str) {
    require_reference();
    let libs = OurLibDir::new();
    let bin = tempfile::tempdir().unwrap();
    let reference_exe = build(program, Library::Reference, &libs, bin.path());
    let our_exe = build(program, Library::Ours, &libs, bin.path());
    let reference = run(&reference_exe, Library::Reference, &libs, &[]);
    let ours = run(&our_exe, Library::Ours, &libs, &[]);
    assert!(
        reference.ends_with("PASS\n"),
        "reference run of {program}:\n{reference}"
    );
    assert!(
        ours == reference,
        "{program}: transcripts differ\n{}\n--- ours\n{ours}",
        diff(&ours, &reference)
    );
}

#[test]
fn c_test_phases_match_leveldb_1_23() {
    same_transcript("api_c_test");
}

#[test]
fn more_behaviour_matches_leveldb_1_23() {
    same_transcript("api_more");
}

/// One database shared by several C threads.
#[test]
fn threads_match_leveldb_1_23() {
    same_transcript("api_threads");
}

/// RepairDB beyond the c_test.c phase.
#[test]
fn repair_matches_leveldb_1_23() {
    same_transcript("api_repair");
}

/// NULL handles and buffers: LevelDB 1.23 crashes on them, so this program
/// runs against ours only.
#[test]
fn null_arguments_are_reported_or_ignored() {
    let libs = OurLibDir::new();
    let bin = tempfile::tempdir().unwrap();
    let exe = build("strata_null", Library::Ours, &libs, bin.path());
    let out = run(&exe, Library::Ours, &libs, &[]);
    assert!(out.ends_with("PASS\n"), "{out}");
}

/// Handles destroyed while the database uses their objects, iterators
/// outliving the database: LevelDB 1.23 forbids both, so Strata only.
#[test]
fn shared_objects_live_until_their_last_user() {
    let libs = OurLibDir::new();
    let bin = tempfile::tempdir().unwrap();
    let exe = build("strata_lifetimes", Library::Ours, &libs, bin.path());
    let out = run(&exe, Library::Ours, &libs, &[]);
    assert!(out.ends_with("PASS\n"), "{out}");
}

/// The functions strata_panic.c expects to panic (STRATA_TEST_PANIC).
const PANIC_TARGETS: &str = "leveldb_get,leveldb_property_value,leveldb_iter_valid,\
                             leveldb_writebatch_create,leveldb_minor_version,leveldb_write";

/// A panic provoked inside the library (the STRATA_TEST_PANIC hook) comes
/// back to C as an error / NULL / 0, and the program keeps running.
#[test]
fn panics_stop_at_the_c_boundary() {
    let libs = OurLibDir::new();
    let bin = tempfile::tempdir().unwrap();
    let exe = build("strata_panic", Library::Ours, &libs, bin.path());
    let targets = "leveldb_get,leveldb_property_value,leveldb_iter_valid,\
                   leveldb_writebatch_create,leveldb_minor_version,leveldb_write";
    let out = run(
        &exe,
        Library::Ours,
        &libs,
        &[("STRATA_TEST_PANIC", targets)],
    );
    assert!(out.ends_with("PASS\n"), "{out}");
}

/// Runs `program` against our library under valgrind: no invalid access,
/// no definite leak (release build). `env` is passed to the program.
fn valgrind_clean(program: &str, env: &[(&str, &str)]) {
    let libs = OurLibDir::new();
    let bin = tempfile::tempdir().unwrap();
    let exe = build(program, Library::Ours, &libs, bin.path());
    let scratch = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(VALGRIND);
    cmd.args([
        "--quiet",
        "--leak-check=full",
        // valgrind runs one thread at a time, and its default lock lets a
        // thread that spins (readers looping until the writers finish)
        // take it back again and again: the writers starved for minutes.
        "--fair-sched=yes",
        "--errors-for-leak-kinds=definite",
        "--error-exitcode=1",
    ])
    .arg(&exe)
    .arg(scratch.path())
    .env("LD_LIBRARY_PATH", libs.path())
    .env("TEST_TMPDIR", scratch.path().join("tmp"))
    .env("RUST_BACKTRACE", "0")
    .envs(env.iter().copied());
    let out = check(&mut cmd);
    assert!(
        String::from_utf8_lossy(&out.stdout).ends_with("PASS\n"),
        "{program}"
    );
}

const VALGRIND: &str = "/usr/bin/valgrind";

fn have_valgrind() -> bool {
    let present = Path::new(VALGRIND).exists();
    if !present {
        eprintln!("valgrind not installed: skipping");
    }
    present
}

/// The main C test under valgrind (skipped only where valgrind is not
/// installed; CI installs it).
#[test]
fn c_test_is_clean_under_valgrind() {
    if have_valgrind() {
        valgrind_clean("api_c_test", &[]);
    }
}

/// Every other C program under valgrind too, including the panic path
/// (a caught panic must not leak the error message or the body's state).
#[test]
fn other_c_programs_are_clean_under_valgrind() {
    if !have_valgrind() {
        return;
    }
    let runs: Vec<_> = [
        ("api_more", ""),
        ("api_repair", ""),
        ("strata_null", ""),
        ("strata_lifetimes", ""),
        ("strata_panic", PANIC_TARGETS),
    ]
    .into_iter()
    .map(|(program, panics)| {
        std::thread::spawn(move || {
            let env: Vec<(&str, &str)> = if panics.is_empty() {
                Vec::new()
            } else {
                vec![("STRATA_TEST_PANIC", panics)]
            };
            valgrind_clean(program, &env)
        })
    })
    .collect();
    for run in runs {
        run.join().unwrap();
    }
}

/// examples/hello.c and examples/hello.cpp build against our header and
/// library and run.
#[test]
fn examples_build_and_run() {
    let libs = OurLibDir::new();
    let bin = tempfile::tempdir().unwrap();
    for (source, compiler, std) in [
        ("examples/hello.c", cc(), "-std=c11"),
        ("examples/hello_c_api.cpp", "c++".to_string(), "-std=c++17"),
    ] {
        let exe = bin.path().join(source.replace(['/', '.'], "_"));
        let mut cmd = Command::new(compiler);
        cmd.current_dir(root())
            .args([
                std,
                "-Wall",
                "-Wextra",
                "-Werror",
                "-Iinclude",
                source,
                "-o",
            ])
            .arg(&exe)
            .arg("-L")
            .arg(libs.path())
            .arg("-lleveldb");
        check(&mut cmd);
        let scratch = tempfile::tempdir().unwrap();
        let out =
            check(command_for(&exe, Library::Ours, &libs).arg(scratch.path().join("hello_db")));
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("hello = world"), "{source}: {text}");
    }
}
