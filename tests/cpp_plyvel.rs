//! A real C++ client: Debian's python3-plyvel (a binding over LevelDB's C++
//! API, linked against libleveldb.so.1d) runs plyvel 1.5.0's own test suite
//! through tests/plyvel/run.sh, once on the distro's LevelDB 1.23 and once
//! with our library first on LD_LIBRARY_PATH as libleveldb.so.1d. Each run
//! is its own set of processes. Every test must end the same way on both
//! (including any that fail on LevelDB itself, e.g. a permission test that
//! root passes through), and the run on ours must have loaded ours.
//!
//! Needs python3-plyvel, python3-pytest and one download of plyvel's
//! source distribution from the Python package index (kept in
//! target/plyvel/, checked against its SHA-256).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use support::*;

/// The suite's download directory is shared by the tests of this file:
/// they run it one at a time.
static SUITE: Mutex<()> = Mutex::new(());

/// One run's outcome: the library the binding mapped, the per-test
/// outcome lines, and the summary line.
struct Run {
    library: String,
    outcomes: Vec<String>,
    summary: String,
}

fn require_plyvel() {
    require_reference();
    let out = Command::new("/usr/bin/python3")
        .args(["-c", "import plyvel, pytest"])
        .env_remove("LD_LIBRARY_PATH")
        .output()
        .expect("run /usr/bin/python3");
    assert!(
        out.status.success(),
        "python3-plyvel and python3-pytest are needed: apt-get install -y python3-plyvel python3-pytest\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn work_dir() -> PathBuf {
    profile_dir()
        .parent()
        .expect("target/<profile> has a parent")
        .join("plyvel")
}

fn run_suite(libdir: Option<&Path>) -> Run {
    let _one_at_a_time = SUITE.lock().unwrap_or_else(|e| e.into_inner());
    let mut cmd = Command::new("bash");
    cmd.arg(root().join("tests/plyvel/run.sh")).arg(work_dir());
    if let Some(dir) = libdir {
        cmd.arg(dir);
    }
    let text = String::from_utf8(check(&mut cmd).stdout).unwrap();
    let mut run = Run {
        library: String::new(),
        outcomes: Vec::new(),
        summary: String::new(),
    };
    for line in text.lines() {
        if let Some(lib) = line.strip_prefix("library: ") {
            run.library = lib.to_string();
        } else if let Some(summary) = line.strip_prefix("summary: ") {
            run.summary = summary.to_string();
        } else {
            run.outcomes.push(line.to_string());
        }
    }
    assert!(!run.summary.is_empty(), "no summary from run.sh:\n{text}");
    run
}

/// The number of tests that passed, from a summary line.
fn passed(run: &Run) -> usize {
    run.summary
        .split(" passed")
        .next()
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("bad summary {:?}", run.summary))
}

/// The suite runs on LevelDB 1.23 and nearly all of it passes there (the
/// reference run is the yardstick of the comparison below).
#[test]
fn plyvel_suite_runs_on_leveldb_1_23() {
    require_plyvel();
    let reference = run_suite(None);
    assert!(
        Path::new(&reference.library).canonicalize().unwrap()
            == Path::new(REFERENCE_SO).canonicalize().unwrap(),
        "reference run loaded {}",
        reference.library
    );
    assert!(passed(&reference) >= 50, "{}", reference.summary);
}

/// plyvel's suite ends test by test the same on Strata as on LevelDB 1.23.
#[test]
fn plyvel_suite_matches_on_strata() {
    require_plyvel();
    let libs = OurLibDir::new();
    let reference = run_suite(None);
    let ours = run_suite(Some(libs.path()));
    assert!(
        Path::new(&ours.library)
            .canonicalize()
            .map(|p| p == our_so().canonicalize().unwrap())
            .unwrap_or(false),
        "the run on ours loaded {:?}",
        ours.library
    );
    assert_eq!(ours.summary, reference.summary);
    assert_eq!(ours.outcomes, reference.outcomes);
}
