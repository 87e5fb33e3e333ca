//! Shared by the integration tests: where the golden data of LevelDB 1.23
//! is, where our library is, how to compile a C program against it or
//! against the reference LevelDB 1.23, and how to run it.
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

/// The crate root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
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

/// `shared/testdata/leveldb-1.23` beside the checkout (or one of its
/// ancestors), or the directory named by `STRATA_TESTDATA`. Fails loudly
/// when missing: the golden tests must never be skipped.
pub fn golden_root() -> PathBuf {
    if let Some(dir) = std::env::var_os("STRATA_TESTDATA") {
        return PathBuf::from(dir);
    }
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for ancestor in manifest.ancestors() {
        let candidate = ancestor.join("shared/testdata/leveldb-1.23");
        if candidate.is_dir() {
            return candidate;
        }
    }
    panic!(
        "golden data shared/testdata/leveldb-1.23 not found beside {}; set STRATA_TESTDATA",
        manifest.display()
    );
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
