//! Shared by the integration tests: where the golden data of LevelDB 1.23
//! is (frozen in `testdata/` or generated into `target/` by the real
//! LevelDB), where our library is, how to compile a C program against it
//! or against the reference LevelDB 1.23, and how to run it.
//!
//! Our library and the reference are never loaded into one process: every C
//! program runs in a child process linked to exactly one of them.
//!
//! Also the small deterministic generator the data-building tests share.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The system's LevelDB 1.23 shared library (libleveldb-dev).
pub const REFERENCE_SO: &str = "/usr/lib/x86_64-linux-gnu/libleveldb.so.1d";
/// The system's LevelDB 1.23 C header.
pub const REFERENCE_C_H: &str = "/usr/include/leveldb/c.h";

/// Which library a C program is built against and runs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Library {
    /// Our cdylib, linked through a temp dir holding `libleveldb.so{,.1}`.
    Ours,
    /// The distro's LevelDB 1.23 (`-lleveldb` from the system paths).
    Reference,
}

/// The root of the `strata` package (the repository). The `leveldbutil`
/// package's tests include this file too; their package lives one level
/// down, in `leveldbutil/`.
pub fn root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    if env!("CARGO_PKG_NAME") == "strata" {
        manifest.to_path_buf()
    } else {
        manifest
            .parent()
            .expect("leveldbutil/ is in the repository")
            .to_path_buf()
    }
}

/// `target/<profile>`: the test executable lives in its `deps/`.
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    exe.parent()
        .and_then(Path::parent)
        .expect("test executable is in target/<profile>/deps")
        .to_path_buf()
}

/// Our freshly built shared library.
pub fn our_so() -> PathBuf {
    let so = profile_dir().join("deps/libleveldb.so");
    assert!(
        so.exists(),
        "{} is missing: cargo builds it with the tests",
        so.display()
    );
    so
}

/// Our freshly built static library.
pub fn our_a() -> PathBuf {
    profile_dir().join("deps/libleveldb.a")
}

pub fn reference_installed() -> bool {
    Path::new(REFERENCE_SO).exists() && Path::new(REFERENCE_C_H).exists()
}

/// Fails loudly when the reference is missing: these tests must not be
/// skipped (CI installs libleveldb-dev; see .ci/run).
pub fn require_reference() {
    assert!(
        reference_installed(),
        "LevelDB 1.23 is not installed: apt-get install -y libleveldb-dev libsnappy-dev"
    );
}

/// The C compiler: $CC or `cc`.
pub fn cc() -> String {
    std::env::var("CC").unwrap_or_else(|_| "cc".to_string())
}

/// A directory holding links to our library under every name a program may
/// look for: `libleveldb.so` (for `-lleveldb` at link time),
/// `libleveldb.so.1` (our SONAME) and `libleveldb.so.1d` (the SONAME of
/// Debian's 1.23, for drop-in runs of binaries linked to the reference).
pub struct OurLibDir {
    pub dir: tempfile::TempDir,
}

impl OurLibDir {
    pub fn new() -> OurLibDir {
        let dir = tempfile::tempdir().unwrap();
        let so = our_so();
        for name in ["libleveldb.so", "libleveldb.so.1", "libleveldb.so.1d"] {
            std::os::unix::fs::symlink(&so, dir.path().join(name)).unwrap();
        }
        OurLibDir { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// Runs a command, failing the test with its output if it cannot start or
/// fails.
pub fn check(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The strict flags every C test program is built with.
pub const C_FLAGS: &[&str] = &[
    "-std=c11", "-Wall", "-Wextra", "-Werror", "-O1", "-g", "-pthread",
];

/// Compiles and links C sources (paths relative to the crate root) into
/// `out`, against our header and library or the reference ones.
pub fn compile_c(sources: &[&str], out: &Path, library: Library, libs: &OurLibDir) {
    let mut cmd = Command::new(cc());
    cmd.args(C_FLAGS).current_dir(root());
    cmd.arg("-Ic_tests");
    if library == Library::Ours {
        cmd.arg("-Iinclude").arg("-L").arg(libs.path());
    }
    cmd.args(sources).arg("-o").arg(out).arg("-lleveldb");
    check(&mut cmd);
}

/// A command running `exe` with the dynamic loader pointed at `library`.
pub fn command_for(exe: &Path, library: Library, libs: &OurLibDir) -> Command {
    let mut cmd = Command::new(exe);
    cmd.env_remove("STRATA_TEST_PANIC")
        .env("RUST_BACKTRACE", "0");
    match library {
        Library::Ours => cmd.env("LD_LIBRARY_PATH", libs.path()),
        Library::Reference => cmd.env_remove("LD_LIBRARY_PATH"),
    };
    cmd
}

/// The golden cases stored in the repository, under
/// `testdata/leveldb-1.23/` (see its README).
pub const FROZEN_CASES: [&str; 2] = ["log-only", "reverse-comparator"];

/// The golden cases `tests/golden/make_golden.c` writes at test time with
/// the real LevelDB 1.23.
pub const GENERATED_CASES: [&str; 3] = [
    "levels-snappy-bloom",
    "nocompress-smallblocks",
    "big-values",
];

/// Every golden case.
pub const GOLDEN_CASES: [&str; 5] = [
    "log-only",
    "big-values",
    "levels-snappy-bloom",
    "nocompress-smallblocks",
    "reverse-comparator",
];

/// The repository's frozen golden data: `testdata/leveldb-1.23`.
pub fn frozen_golden_root() -> PathBuf {
    root().join("testdata/leveldb-1.23")
}

/// The folder of one golden case (`db/`, `expected.tsv`, `meta.txt`):
/// frozen in the repository or generated for this test run. Nothing outside
/// the checkout and its target directory is ever looked at.
pub fn golden_case(case: &str) -> PathBuf {
    if FROZEN_CASES.contains(&case) {
        frozen_golden_root().join(case)
    } else if GENERATED_CASES.contains(&case) {
        generated_golden_root().join(case)
    } else {
        panic!("no golden case named {case:?}")
    }
}

/// The generator's source, relative to the crate root.
const GOLDEN_GENERATOR: &str = "tests/golden/make_golden.c";

/// Where the generated cases are: made on first use in this process, kept
/// in `target/tmp/golden-leveldb-1.23/<hash>/` for later runs, where
/// `<hash>` covers the generator's source and build flags, so an edited
/// generator gets a fresh directory.
///
/// Safe when several threads or test processes ask at once: threads share
/// one answer through the `OnceLock`, and each process that finds no
/// finished directory builds into a private work directory and renames the
/// result into place; rename(2) onto a non-empty directory fails, so the
/// first to finish wins, the others use its output, and no reader ever
/// sees a half-written case.
pub fn generated_golden_root() -> &'static Path {
    static ROOT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    ROOT.get_or_init(generate_golden)
}

/// FNV-1a, 64 bits: a stable fingerprint (std's hasher may change between
/// Rust releases).
fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for part in parts {
        for &b in *part {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        // Separates the parts, so moving bytes between them changes the
        // hash.
        hash = (hash ^ 0xff).wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

fn generate_golden() -> PathBuf {
    require_reference();
    let source = root().join(GOLDEN_GENERATOR);
    let text =
        std::fs::read(&source).unwrap_or_else(|e| panic!("cannot read {}: {e}", source.display()));
    let flags = C_FLAGS.join(" ");
    let name = format!("{:016x}", fnv1a(&[&text, flags.as_bytes()]));
    let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("golden-leveldb-1.23");
    let done = base.join(&name);
    if done.is_dir() {
        return done;
    }
    std::fs::create_dir_all(&base).unwrap();
    // Removed when dropped: holds the generator binary, and the output too
    // if another process finished first.
    let work = tempfile::Builder::new()
        .prefix(".work-")
        .tempdir_in(&base)
        .unwrap();
    let exe = work.path().join("make_golden");
    let out = work.path().join("out");
    std::fs::create_dir(&out).unwrap();
    check(
        Command::new(cc())
            .args(C_FLAGS)
            .arg(&source)
            .arg("-o")
            .arg(&exe)
            .arg("-lleveldb"),
    );
    // No LD_LIBRARY_PATH: cargo's points into target/, where our own
    // libleveldb lives; the generator must load the system's LevelDB.
    check(
        Command::new(&exe)
            .arg(&out)
            .env_remove("LD_LIBRARY_PATH")
            .env_remove("LD_PRELOAD"),
    );
    if let Err(e) = std::fs::rename(&out, &done) {
        assert!(
            done.is_dir(),
            "cannot move the golden data to {}: {e}",
            done.display()
        );
    }
    // Output of earlier versions of the generator is never used again.
    for entry in std::fs::read_dir(&base).unwrap().flatten() {
        let old = entry.file_name();
        let old = old.to_string_lossy();
        if old.len() == 16 && old != name && old.bytes().all(|b| b.is_ascii_hexdigit()) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    done
}

/// xorshift64 (13, 7, 17): deterministic test data, the same sequence for a
/// seed on every run and machine. The seed must not be zero.
pub struct Rng(pub u64);

impl Rng {
    /// A generator from any seed (mixed, and made odd so never zero).
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// Fills `out` with generated bytes, 8 per step, little-endian.
    pub fn fill(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(8) {
            let r = self.next().to_le_bytes();
            chunk.copy_from_slice(&r[..chunk.len()]);
        }
    }
}

// ---------------------------------------------------------------------------
// C++ programs (tests/cpp_*.rs): the same two-library discipline as the C
// ones, built with g++ -std=c++11 (LevelDB 1.23's own standard).

/// The directory holding the system's LevelDB 1.23 C++ headers.
pub const REFERENCE_INCLUDE: &str = "/usr/include/leveldb";

/// Fails loudly when the reference C++ headers are missing (same rule as
/// `require_reference`: these tests must not be skipped).
pub fn require_reference_cpp() {
    require_reference();
    assert!(
        Path::new(REFERENCE_INCLUDE).join("db.h").exists(),
        "LevelDB 1.23's C++ headers are not installed: apt-get install -y libleveldb-dev"
    );
}

/// The C++ compiler: $CXX or `g++`.
pub fn cxx() -> String {
    std::env::var("CXX").unwrap_or_else(|_| "g++".to_string())
}

/// The strict flags every C++ test program is built with.
pub const CXX_FLAGS: &[&str] = &[
    "-std=c++11",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-O1",
    "-g",
    "-pthread",
];

/// A g++ command with the strict flags, run from the crate root, reading
/// our headers (`-Iinclude`, and `-DSTRATA_EXPECT_OURS`) or the system's
/// (`-DSTRATA_EXPECT_SYSTEM`). Programs check the macro against
/// `STRATA_LEVELDB_HEADERS`, which only our export.h defines, so a build
/// that found the wrong headers fails to compile.
pub fn cxx_command(library: Library) -> Command {
    let mut cmd = Command::new(cxx());
    cmd.args(CXX_FLAGS).current_dir(root());
    match library {
        Library::Ours => cmd.args(["-Iinclude", "-DSTRATA_EXPECT_OURS"]),
        Library::Reference => cmd.arg("-DSTRATA_EXPECT_SYSTEM"),
    };
    cmd
}

/// Compiles and links C++ sources (paths relative to the crate root, or
/// absolute) into `out`, against our headers and library or the reference
/// ones.
pub fn compile_cpp(sources: &[&Path], out: &Path, library: Library, libs: &OurLibDir) {
    let mut cmd = cxx_command(library);
    cmd.arg("-Icpp_tests");
    if library == Library::Ours {
        cmd.arg("-L").arg(libs.path());
    }
    cmd.args(sources).arg("-o").arg(out).arg("-lleveldb");
    check(&mut cmd);
}

/// Runs a drop-in program whose first stdout line is `library: <path of
/// the libleveldb it mapped>`; returns that path and the rest of stdout.
pub fn run(exe: &Path, library: Library, libs: &OurLibDir, args: &[&str]) -> (PathBuf, String) {
    let out = check(command_for(exe, library, libs).args(args));
    let text = String::from_utf8(out.stdout).unwrap();
    let (first, rest) = text.split_once('\n').unwrap();
    let mapped = first
        .strip_prefix("library: ")
        .expect("first line names the library");
    (PathBuf::from(mapped.trim()), rest.to_string())
}

/// The real path of the library a run against `library` must map.
pub fn expected_library(library: Library) -> PathBuf {
    match library {
        Library::Ours => our_so().canonicalize().unwrap(),
        Library::Reference => Path::new(REFERENCE_SO).canonicalize().unwrap(),
    }
}
