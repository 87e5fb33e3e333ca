//! LevelDB 1.23's C++ API on Strata, at the source and the binary level.
//!
//! - `examples/hello.cpp` (the first program of a LevelDB user) builds
//!   against our headers and library and runs.
//! - The binary drop-in: `cpp/tests/dropin.cc` is compiled and linked once
//!   against the system's headers and Debian's `libleveldb.so.1d`, then run
//!   as built and with our library first on `LD_LIBRARY_PATH` under that
//!   name. Each run reports from /proc/self/maps which library it mapped;
//!   databases (bytewise and with a C++ comparator subclass, a shared LRU
//!   cache, the bloom policy and a C++ logger) written by either are read by
//!   the other with the same transcript.
//!
//! Our library and the reference never share a process.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::*;

const CXX_FLAGS: &[&str] = &["-std=c++11", "-Wall", "-Wextra", "-Werror", "-O1", "-g"];

fn cxx() -> String {
    std::env::var("CXX").unwrap_or_else(|_| "c++".to_string())
}

/// `examples/hello.cpp` built against our headers and library, in `dir`.
fn build_hello_cpp(libs: &OurLibDir, dir: &Path) -> PathBuf {
    let exe = dir.join("hello_cpp");
    check(
        Command::new(cxx())
            .current_dir(root())
            .args(CXX_FLAGS)
            .args(["-Iinclude", "examples/hello.cpp", "-o"])
            .arg(&exe)
            .arg("-L")
            .arg(libs.path())
            .arg("-lleveldb"),
    );
    exe
}

#[test]
fn hello_cpp_builds_against_our_headers_and_runs() {
    let libs = OurLibDir::new();
    let bin = tempfile::tempdir().unwrap();
    let exe = build_hello_cpp(&libs, bin.path());
    let scratch = tempfile::tempdir().unwrap();
    let out = check(command_for(&exe, Library::Ours, &libs).arg(scratch.path().join("db")));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "aaa => 000\nget aaa = 000\n"
    );
    // What it wrote is a LevelDB database: the LOG names its creation.
    let log = std::fs::read_to_string(scratch.path().join("db/LOG")).unwrap();
    assert!(log.contains("Creating DB"), "{log}");
}

/// `writer` writes the databases, `reader` reads them, each in its own
/// process of the same binary; returns the reader's transcript.
fn write_then_read(exe: &Path, libs: &OurLibDir, writer: Library, reader: Library) -> String {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("dbs");
    let db = db.to_str().unwrap();
    let name = format!("{writer:?}");
    let (mapped, out) = run(exe, writer, libs, &["write", db, &name]);
    assert_eq!(mapped, expected_library(writer), "{writer:?} writer mapped");
    assert_eq!(
        out, "[bytewise]\nlogged: yes\n[reverse]\nlogged: yes\ndone\n",
        "{writer:?} writer"
    );
    let (mapped, out) = run(exe, reader, libs, &["read", db]);
    assert_eq!(mapped, expected_library(reader), "{reader:?} reader mapped");
    assert!(out.contains(&format!("writer: {name}\n")), "{out}");
    out.replace(&name, "WRITER")
}

#[test]
fn unmodified_cpp_binary_runs_on_either_library_and_shares_data() {
    require_reference();
    let libs = OurLibDir::new();
    let bin = tempfile::tempdir().unwrap();
    let exe = bin.path().join("cpp_dropin");
    // Built against the reference only: system headers, system -lleveldb.
    check(
        Command::new(cxx())
            .current_dir(root())
            .args(CXX_FLAGS)
            .args(["cpp/tests/dropin.cc", "-o"])
            .arg(&exe)
            .arg("-lleveldb"),
    );
    let ldd = check(Command::new("ldd").arg(&exe));
    assert!(
        String::from_utf8_lossy(&ldd.stdout).contains("libleveldb.so.1d"),
        "the program must need Debian's libleveldb.so.1d"
    );

    let reference_to_reference =
        write_then_read(&exe, &libs, Library::Reference, Library::Reference);
    let reference_to_ours = write_then_read(&exe, &libs, Library::Reference, Library::Ours);
    let ours_to_reference = write_then_read(&exe, &libs, Library::Ours, Library::Reference);
    let ours_to_ours = write_then_read(&exe, &libs, Library::Ours, Library::Ours);
    assert_eq!(reference_to_ours, reference_to_reference);
    assert_eq!(ours_to_reference, reference_to_reference);
    assert_eq!(ours_to_ours, reference_to_reference);
    for expected in [
        "entries: 901 first: key000001 last: writer ",
        "entries: 901 first: writer last: key000001 ",
        "deleted: NotFound: \n",
        "seek: key000501\n",
        "seek: key000499\n",
        "property known: 1 unknown: 0\n",
        "sized: yes\n",
    ] {
        assert!(
            reference_to_reference.contains(expected),
            "{expected:?} in {reference_to_reference}"
        );
    }
}

/// `cpp/tests/plugins.cc` (a counting `EnvWrapper`, `NewMemEnv`, a
/// `Logger`, `RegisterCleanup`, a batch `Handler`, `Status` texts,
/// `TableBuilder`/`Table` with a caller's comparator and filter policy,
/// `DestroyDB`/`RepairDB`), built once against
/// Debian's LevelDB, prints the same transcript on either library; built
/// against our headers and library it prints it too.
#[test]
fn plugged_in_objects_behave_as_in_leveldb() {
    require_reference();
    let libs = OurLibDir::new();
    let bin = tempfile::tempdir().unwrap();
    let exe = bin.path().join("plugins");
    check(
        Command::new(cxx())
            .current_dir(root())
            .args(CXX_FLAGS)
            .args(["cpp/tests/plugins.cc", "-o"])
            .arg(&exe)
            .arg("-lleveldb"),
    );
    let ours_exe = bin.path().join("plugins_ours");
    check(
        Command::new(cxx())
            .current_dir(root())
            .args(CXX_FLAGS)
            .args(["-Iinclude", "cpp/tests/plugins.cc", "-o"])
            .arg(&ours_exe)
            .arg("-L")
            .arg(libs.path())
            .arg("-lleveldb"),
    );
    let transcript = |exe: &Path, library: Library| {
        let dir = tempfile::tempdir().unwrap();
        let out = check(command_for(exe, library, &libs).arg(dir.path()));
        String::from_utf8(out.stdout).unwrap()
    };
    let reference = transcript(&exe, Library::Reference);
    assert!(reference.ends_with("done\n"), "{reference}");
    assert!(
        reference.contains("cleanup 1 a\ncleanup 3 c\ncleanup 2 b\n"),
        "{reference}"
    );
    assert!(
        reference.contains("mem on disk: 0 in env: 1\n"),
        "{reference}"
    );
    assert_eq!(transcript(&exe, Library::Ours), reference);
    assert_eq!(transcript(&ours_exe, Library::Ours), reference);
}

/// `leveldb::DumpFile`, called by an unmodified binary (the reference dump
/// tool `c_tests/dumpfile_ref.cc`, linked to Debian's LevelDB), prints the
/// same bytes and errors on our library as on LevelDB 1.23 for the log,
/// MANIFEST and table files of a database, and for a file it cannot dump.
#[test]
fn dump_file_matches_leveldb_1_23() {
    require_reference();
    let libs = OurLibDir::new();
    let bin = tempfile::tempdir().unwrap();
    let dropin = bin.path().join("cpp_dropin");
    let dump = bin.path().join("dumpfile_ref");
    for (source, exe) in [
        ("cpp/tests/dropin.cc", &dropin),
        ("c_tests/dumpfile_ref.cc", &dump),
    ] {
        check(
            Command::new(cxx())
                .current_dir(root())
                .args(CXX_FLAGS)
                .arg(source)
                .arg("-o")
                .arg(exe)
                .arg("-lleveldb"),
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let dbs = dir.path().join("dbs");
    run(
        &dropin,
        Library::Reference,
        &libs,
        &["write", dbs.to_str().unwrap(), "x"],
    );
    let db = dbs.join("bytewise");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&db)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            name.ends_with(".ldb") || name.ends_with(".log") || name.starts_with("MANIFEST-")
        })
        .collect();
    files.sort();
    assert!(files.len() >= 3, "{files:?}");
    files.push(db.join("LOG"));
    let output = |library: Library| {
        let out = command_for(&dump, library, &libs)
            .args(&files)
            .output()
            .unwrap();
        (out.status.code(), out.stdout, out.stderr)
    };
    let reference = output(Library::Reference);
    assert!(
        String::from_utf8_lossy(&reference.2).contains("not a dump-able file type"),
        "{reference:?}"
    );
    assert!(reference.1.len() > 10_000);
    assert_eq!(output(Library::Ours), reference);
}

/// The C++ programs run clean under valgrind on our library: no invalid
/// access, no use of uninitialised memory, no definite leak (process-wide
/// objects such as the background thread are "still reachable" by design).
#[test]
fn cpp_programs_are_valgrind_clean_on_ours() {
    require_reference();
    let valgrind = Command::new("valgrind").arg("--version").output();
    assert!(
        valgrind.is_ok_and(|o| o.status.success()),
        "valgrind is not installed: apt-get install -y valgrind"
    );
    let libs = OurLibDir::new();
    let bin = tempfile::tempdir().unwrap();
    // Each program takes a directory first (dropin: after its mode); a
    // trailing extra argument is ignored by the others.
    for (source, args) in [
        ("cpp/tests/plugins.cc", &[][..]),
        ("cpp/tests/dropin.cc", &["write"][..]),
        ("examples/hello.cpp", &[][..]),
    ] {
        let exe = bin.path().join(source.replace(['/', '.'], "_"));
        check(
            Command::new(cxx())
                .current_dir(root())
                .args(CXX_FLAGS)
                .args(["-Iinclude", source, "-o"])
                .arg(&exe)
                .arg("-L")
                .arg(libs.path())
                .arg("-lleveldb"),
        );
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("db");
        let mut valgrind = Command::new("valgrind");
        valgrind
            .args([
                "--error-exitcode=9",
                "--leak-check=full",
                // valgrind runs one thread at a time, and its default lock lets a
                // thread that spins (readers looping until the writers finish)
                // take it back again and again: the writers starved for minutes.
                "--fair-sched=yes",
                "--errors-for-leak-kinds=definite",
                "-q",
            ])
            .arg(&exe)
            .args(args)
            .arg(&db)
            .arg("writer")
            .env("LD_LIBRARY_PATH", libs.path())
            .env_remove("STRATA_TEST_PANIC");
        check(&mut valgrind);
    }
}

/// A C++ program links statically with libleveldb.a: the C++ layer is in
/// the archive, and the runtime libraries are rustc's list plus -lstdc++.
#[test]
fn hello_cpp_links_statically() {
    let dir = tempfile::tempdir().unwrap();
    let exe = dir.path().join("hello_static");
    check(
        Command::new(cxx())
            .current_dir(root())
            .args(["-std=c++11", "-Iinclude", "examples/hello.cpp"])
            .arg(our_a())
            .args([
                "-lstdc++",
                "-lgcc_s",
                "-lutil",
                "-lrt",
                "-lpthread",
                "-lm",
                "-ldl",
                "-lc",
                "-o",
            ])
            .arg(&exe),
    );
    let ldd = check(Command::new("ldd").arg(&exe));
    assert!(!String::from_utf8_lossy(&ldd.stdout).contains("libleveldb"));
    let out = check(Command::new(&exe).arg(dir.path().join("db")));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "aaa => 000\nget aaa = 000\n"
    );
}

/// A panic inside the engine never unwinds into C++: a bridge function made
/// to panic (STRATA_TEST_PANIC) turns into an `IO error` status that the
/// C++ caller sees, and the program goes on to exit normally.
#[test]
fn a_panic_becomes_a_status_in_cpp() {
    let libs = OurLibDir::new();
    let bin = tempfile::tempdir().unwrap();
    let exe = build_hello_cpp(&libs, bin.path());
    let scratch = tempfile::tempdir().unwrap();
    let out = command_for(&exe, Library::Ours, &libs)
        .env("STRATA_TEST_PANIC", "strata_cpp_db_put")
        .arg(scratch.path().join("db"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "put: IO error: internal panic in strata_cpp_db_put: \
             STRATA_TEST_PANIC requested a panic in strata_cpp_db_put"
        ),
        "{stderr}"
    );
}
