//! Drop-in replacement, proven with an unmodified binary: c_tests/dropin.c is
//! compiled and linked once against the distro's LevelDB 1.23, then run as
//! built and with LD_LIBRARY_PATH pointing at a directory where our library
//! is both `libleveldb.so.1` and `libleveldb.so.1d`. Each run reports from
//! /proc/self/maps which library it mapped; data written by either is read
//! by the other.

mod support;

use std::path::Path;

use support::*;

/// `writer` writes a database, `reader` reads it, each in its own process of
/// the same binary; returns the reader's transcript.
fn write_then_read(exe: &Path, libs: &OurLibDir, writer: Library, reader: Library) -> String {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let db = db.to_str().unwrap();
    let name = format!("{writer:?}");
    let (mapped, out) = run(exe, writer, libs, &["write", db, &name]);
    assert_eq!(
        mapped,
        expected_library(writer),
        "the {writer:?} run mapped the wrong library"
    );
    assert_eq!(out, "wrote\n");
    let (mapped, out) = run(exe, reader, libs, &["read", db]);
    assert_eq!(
        mapped,
        expected_library(reader),
        "the {reader:?} run mapped the wrong library"
    );
    assert!(out.starts_with(&format!("writer: {name}\n")), "{out}");
    out.replace(&name, "WRITER")
}

#[test]
fn unmodified_binary_runs_on_either_library_and_shares_data() {
    require_reference();
    let libs = OurLibDir::new();
    let bin = tempfile::tempdir().unwrap();
    let exe = bin.path().join("dropin");
    // Linked against the reference only: system header, system -lleveldb.
    compile_c(&["c_tests/dropin.c"], &exe, Library::Reference, &libs);

    let reference_to_ours = write_then_read(&exe, &libs, Library::Reference, Library::Ours);
    let ours_to_reference = write_then_read(&exe, &libs, Library::Ours, Library::Reference);
    let reference_to_reference =
        write_then_read(&exe, &libs, Library::Reference, Library::Reference);
    assert_eq!(reference_to_ours, reference_to_reference);
    assert_eq!(ours_to_reference, reference_to_reference);
    assert!(
        reference_to_reference.contains("entries: 900 "),
        "{reference_to_reference}"
    );
}
