//! The shape of the shared library: its header is current and means what
//! LevelDB 1.23's c.h means, it exports exactly LevelDB 1.23's functions,
//! its SONAME is LevelDB's, the static-link line in docs/c-api.md is complete,
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

/// The C++ symbols we export: `cpp/exported-symbols.txt`, mangled.
fn cpp_export_list() -> BTreeSet<String> {
    std::fs::read_to_string(root().join("cpp/exported-symbols.txt"))
        .unwrap()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// Our shared library exports LevelDB 1.23's 68 C functions and the C++
/// symbols of `cpp/exported-symbols.txt`, and nothing else: no Rust symbol,
/// no internal `strata_cpp_*` bridge function, no C++ helper class.
#[test]
fn exports_exactly_the_c_functions_and_the_cpp_list() {
    require_reference();
    let reference: BTreeSet<String> = dynamic_symbols(Path::new(REFERENCE_SO))
        .into_iter()
        .filter(|(kind, name)| is_function(*kind) && name.starts_with("leveldb_"))
        .map(|(_, name)| name)
        .collect();
    assert_eq!(reference.len(), 68, "the reference exports 68 C functions");
    let cpp = cpp_export_list();
    assert_eq!(cpp.len(), 164, "cpp/exported-symbols.txt lists 164 symbols");

    let ours = dynamic_symbols(&our_so());
    let c_functions: BTreeSet<String> = ours
        .iter()
        .filter(|(kind, name)| is_function(*kind) && name.starts_with("leveldb_"))
        .map(|(_, name)| name.clone())
        .collect();
    let missing: Vec<_> = reference.difference(&c_functions).collect();
    let extra: Vec<_> = c_functions.difference(&reference).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "exported C functions differ from LevelDB 1.23: missing {missing:?}, extra {extra:?}"
    );
    let others: BTreeSet<String> = ours
        .iter()
        .filter(|(_, name)| !name.starts_with("leveldb_"))
        .map(|(_, name)| name.clone())
        .collect();
    let missing: Vec<_> = cpp.difference(&others).collect();
    let extra: Vec<_> = others.difference(&cpp).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "exported C++ symbols differ from cpp/exported-symbols.txt: missing {missing:?}, extra {extra:?}"
    );
    // C functions are functions; nothing else of ours is data except the
    // C++ vtables and typeinfo objects.
    for (kind, name) in &ours {
        if name.starts_with("leveldb_") {
            assert!(is_function(*kind), "{name} is exported as {kind}");
        } else if !is_function(*kind) {
            assert!(
                name.starts_with("_ZTV") || name.starts_with("_ZTI") || name.starts_with("_ZTS"),
                "unexpected exported data symbol {name} ({kind})"
            );
        }
    }
}

/// The `leveldb::` symbols of a library, as (demangled, mangled) pairs:
/// `nm -D --defined-only` run plain and with `-C` (same order), keeping the
/// symbols whose demangled name mentions `leveldb::`. The mangled half
/// keeps constructor/destructor variants (C1/C2, D0/D1/D2) apart.
fn leveldb_cpp_symbols(lib: &Path) -> BTreeSet<(String, String)> {
    let names = |demangle: bool| -> Vec<String> {
        let mut cmd = Command::new("nm");
        cmd.args(["-D", "--defined-only", "--format=posix"]);
        if demangle {
            cmd.arg("-C");
        }
        let out = check(cmd.arg(lib));
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|line| {
                // posix format: "<name> <type> <value> [<size>]"; a
                // demangled name has spaces, so cut fields off the right.
                let fields: Vec<&str> = line.split(' ').collect();
                let keep = if fields.len() >= 4 && fields[fields.len() - 3].len() == 1 {
                    fields.len() - 3
                } else {
                    fields.len() - 2
                };
                fields[..keep].join(" ")
            })
            .collect()
    };
    let (mangled, demangled) = (names(false), names(true));
    assert_eq!(mangled.len(), demangled.len());
    demangled
        .into_iter()
        .zip(mangled)
        .filter(|(d, _)| d.contains("leveldb::"))
        .collect()
}

/// The six private members of `Table` / `TableBuilder` that Debian exports
/// but no caller can name (their parameters are internal types); a
/// compatible library need not export them, and ours does not.
const PRIVATE_TABLE_MEMBERS: [&str; 6] = [
    "leveldb::Table::ReadMeta(",
    "leveldb::Table::ReadFilter(",
    "leveldb::Table::BlockReader(",
    "leveldb::Table::InternalGet(",
    "leveldb::TableBuilder::WriteBlock(",
    "leveldb::TableBuilder::WriteRawBlock(",
];

/// Demangled, our `leveldb::` exports are Debian's LevelDB 1.23's: the same
/// functions, vtables and typeinfo, minus the six private table members.
#[test]
fn cpp_exports_match_leveldb_1_23_demangled() {
    require_reference();
    let all = leveldb_cpp_symbols(Path::new(REFERENCE_SO));
    assert_eq!(
        all.len(),
        170,
        "Debian's 1.23 exports 170 leveldb:: symbols"
    );
    let reference: BTreeSet<(String, String)> = all
        .into_iter()
        .filter(|(name, _)| !PRIVATE_TABLE_MEMBERS.iter().any(|p| name.starts_with(p)))
        .collect();
    assert_eq!(reference.len(), 164, "{reference:#?}");
    let ours = leveldb_cpp_symbols(&our_so());
    let missing: Vec<_> = reference.difference(&ours).collect();
    let extra: Vec<_> = ours.difference(&reference).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "leveldb:: exports differ from LevelDB 1.23: missing {missing:#?}, extra {extra:#?}"
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

/// The `-l` flags of docs/c-api.md's static link line.
fn readme_static_line() -> String {
    let readme = std::fs::read_to_string(root().join("docs/c-api.md")).unwrap();
    readme
        .lines()
        .find(|l| l.starts_with("cc ") && l.contains("libleveldb.a"))
        .expect("docs/c-api.md has a static link line")
        .to_string()
}

fn l_flags(text: &str) -> Vec<String> {
    text.split_whitespace()
        .filter(|w| w.starts_with("-l"))
        .map(str::to_string)
        .collect()
}

/// docs/c-api.md's static link line names exactly the native libraries rustc
/// says a Rust staticlib needs. Our dependencies add none, so rustc's answer
/// for an empty staticlib is the answer for ours (checked in seconds rather
/// than by rebuilding the crate).
#[test]
fn readme_static_link_line_matches_rustc() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("empty.rs");
    std::fs::write(&src, "").unwrap();
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let out = check(
        Command::new(rustc)
            .args([
                "--edition",
                "2021",
                "--crate-type",
                "staticlib",
                "--print",
                "native-static-libs",
                "-o",
            ])
            .arg(dir.path().join("libempty.a"))
            .arg(&src),
    );
    let notes = String::from_utf8_lossy(&out.stderr).into_owned();
    let native = notes
        .lines()
        .find_map(|l| {
            l.split_once("native-static-libs:")
                .map(|(_, libs)| libs.to_string())
        })
        .expect("rustc prints native-static-libs");
    assert_eq!(
        l_flags(&readme_static_line()),
        l_flags(&native),
        "docs/c-api.md vs rustc"
    );
    let pc = std::fs::read_to_string(root().join("leveldb.pc.in")).unwrap();
    let private = pc.lines().find(|l| l.starts_with("Libs.private:")).unwrap();
    assert_eq!(l_flags(private), l_flags(&native), "leveldb.pc.in vs rustc");
}

/// docs/c-api.md's static link line, run: examples/hello.c linked with our
/// libleveldb.a and those libraries works without any shared libleveldb.
#[test]
fn readme_static_link_line_builds_a_working_program() {
    let dir = tempfile::tempdir().unwrap();
    let exe = dir.path().join("hello_static");
    let line = readme_static_line();
    let mut words = line.split_whitespace().map(|w| match w {
        "target/release/libleveldb.a" => our_a().to_str().unwrap().to_string(),
        "target/hello_static" => exe.to_str().unwrap().to_string(),
        other => other.to_string(),
    });
    let compiler = words.next().unwrap();
    let args: Vec<String> = words.collect();
    assert!(
        args.iter().any(|a| a.ends_with("deps/libleveldb.a")),
        "{line}"
    );
    check(Command::new(compiler).current_dir(root()).args(&args));
    let ldd = check(Command::new("ldd").arg(&exe));
    assert!(!String::from_utf8_lossy(&ldd.stdout).contains("libleveldb"));
    let out = check(Command::new(&exe).arg(dir.path().join("db")));
    assert!(String::from_utf8_lossy(&out.stdout).contains("hello = world"));
}

/// scripts/install.sh lays out the shared library with its links, the
/// static library, the headers and leveldb.pc; a program builds from the
/// prefix with pkg-config and runs on the installed library.
#[test]
fn install_script_lays_out_a_usable_prefix() {
    let prefix = tempfile::tempdir().unwrap();
    let p = prefix.path();
    check(
        Command::new("sh")
            .arg(root().join("scripts/install.sh"))
            .arg(p)
            .env("STRATA_LIB_DIR", our_so().parent().unwrap()),
    );
    let lib = p.join("lib");
    let link = |name: &str| std::fs::read_link(lib.join(name)).unwrap();
    assert_eq!(link("libleveldb.so.1"), Path::new("libleveldb.so.1.23.0"));
    assert_eq!(link("libleveldb.so"), Path::new("libleveldb.so.1"));
    assert_eq!(
        std::fs::read(lib.join("libleveldb.so.1.23.0")).unwrap(),
        std::fs::read(our_so()).unwrap()
    );
    assert!(lib.join("libleveldb.a").is_file());
    for h in ["c.h", "export.h"] {
        assert_eq!(
            std::fs::read(p.join("include/leveldb").join(h)).unwrap(),
            std::fs::read(root().join("include/leveldb").join(h)).unwrap()
        );
    }

    let pc_dir = lib.join("pkgconfig");
    let flags = check(
        Command::new("pkg-config")
            .args(["--cflags", "--libs", "leveldb"])
            .env("PKG_CONFIG_PATH", &pc_dir)
            .env("PKG_CONFIG_LIBDIR", &pc_dir),
    );
    let flags = String::from_utf8(flags.stdout).unwrap();
    assert!(
        flags.contains(&format!("-I{}", p.join("include").display())),
        "{flags}"
    );
    let exe = p.join("hello");
    check(
        Command::new(cc())
            .current_dir(root())
            .args(["-std=c11", "-Wall", "-Werror", "examples/hello.c", "-o"])
            .arg(&exe)
            .args(flags.split_whitespace()),
    );
    let out = check(
        Command::new(&exe)
            .arg(p.join("db"))
            .env("LD_LIBRARY_PATH", &lib),
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("hello = world"));
    let ldd = check(Command::new("ldd").arg(&exe).env("LD_LIBRARY_PATH", &lib));
    let ldd = String::from_utf8_lossy(&ldd.stdout).into_owned();
    assert!(
        ldd.contains(&format!(
            "libleveldb.so.1 => {}",
            lib.join("libleveldb.so.1").display()
        )),
        "{ldd}"
    );
}
