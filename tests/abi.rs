//! The shape of the shared library: its header is current and means what
//! LevelDB 1.23's c.h means, it exports exactly LevelDB 1.23's functions,
//! its SONAME is LevelDB's, the static-link line in the README is complete,
//! and the install script lays out a usable prefix.

mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use support::*;

#[test]
fn checked_in_header_is_current() {
    let generated = std::fs::read_to_string(concat!(env!("OUT_DIR"), "/c.h")).unwrap();
    let checked_in =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("include/leveldb/c.h"))
            .unwrap();
    assert!(
        generated == checked_in,
        "include/leveldb/c.h is stale: refresh it with `STRATA_BLESS_HEADER=1 cargo build` and commit it"
    );
}

/// The 16 opaque types of LevelDB 1.23's c.h, each as a `typedef struct`.
#[test]
fn header_declares_the_sixteen_opaque_types() {
    let header = std::fs::read_to_string(root().join("include/leveldb/c.h")).unwrap();
    let names = [
        "leveldb_t",
        "leveldb_cache_t",
        "leveldb_comparator_t",
        "leveldb_env_t",
        "leveldb_filelock_t",
        "leveldb_filterpolicy_t",
        "leveldb_iterator_t",
        "leveldb_logger_t",
        "leveldb_options_t",
        "leveldb_randomfile_t",
        "leveldb_readoptions_t",
        "leveldb_seqfile_t",
        "leveldb_snapshot_t",
        "leveldb_writablefile_t",
        "leveldb_writebatch_t",
        "leveldb_writeoptions_t",
    ];
    for name in names {
        assert!(
            header.contains(&format!("typedef struct {name} {name};")),
            "c.h lacks `typedef struct {name} {name};`"
        );
    }
    assert_eq!(header.matches("typedef struct").count(), 16);
    assert!(header.contains("leveldb_no_compression = 0"));
    assert!(header.contains("leveldb_snappy_compression = 1"));
}

/// Compiles c_tests/header_conformance.c: our c.h, then 1.23's; a prototype
/// that differs is a "conflicting types" error under -Werror.
#[test]
fn header_is_equivalent_to_leveldb_1_23() {
    require_reference();
    let out = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(cc());
    cmd.current_dir(root())
        .args([
            "-std=c11",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-pedantic",
            "-Iinclude",
        ])
        .arg(format!("-DSYSTEM_LEVELDB_C_H=\"{REFERENCE_C_H}\""))
        .args(["-c", "c_tests/header_conformance.c", "-o"])
        .arg(out.path().join("conformance.o"));
    check(&mut cmd);
}

/// Defined dynamic symbols of a shared library, by `nm -D --defined-only`:
/// (type letter, name) pairs.
fn dynamic_symbols(lib: &Path) -> Vec<(char, String)> {
    let out = check(Command::new("nm").args(["-D", "--defined-only"]).arg(lib));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|line| {
            let mut parts = line.split_whitespace().rev();
            let name = parts.next()?;
            let kind = parts.next()?.chars().next()?;
            Some((kind, name.to_string()))
        })
        .collect()
}

fn is_function(kind: char) -> bool {
    matches!(kind, 'T' | 'W' | 'i')
}

#[test]
fn exports_exactly_the_68_functions_of_leveldb_1_23() {
    require_reference();
    let reference: BTreeSet<String> = dynamic_symbols(Path::new(REFERENCE_SO))
        .into_iter()
        .filter(|(kind, name)| is_function(*kind) && name.starts_with("leveldb_"))
        .map(|(_, name)| name)
        .collect();
    assert_eq!(reference.len(), 68, "the reference exports 68 C functions");

    let ours = dynamic_symbols(&our_so());
    let our_functions: BTreeSet<String> = ours
        .iter()
        .filter(|(kind, _)| is_function(*kind))
        .map(|(_, name)| name.clone())
        .collect();
    let missing: Vec<_> = reference.difference(&our_functions).collect();
    let extra: Vec<_> = our_functions.difference(&reference).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "exported functions differ from LevelDB 1.23: missing {missing:?}, extra {extra:?}"
    );
    // No global data either: only the 68 functions are ours to export.
    let other: Vec<_> = ours
        .iter()
        .filter(|(kind, _)| !is_function(*kind))
        .collect();
    assert!(
        other.is_empty(),
        "unexpected exported non-function symbols: {other:?}"
    );
}

#[test]
fn soname_is_libleveldb_so_1() {
    let out = check(Command::new("objdump").arg("-p").arg(our_so()));
    let text = String::from_utf8(out.stdout).unwrap();
    let soname = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("SONAME"))
        .map(str::trim);
    assert_eq!(soname, Some("libleveldb.so.1"));
}
