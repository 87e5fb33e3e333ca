//! Runs scripts through `driver.c` and compares what the libraries answer.
//!
//! The driver is built once per test process against each library (the
//! shared `support` helpers: our headers and `libleveldb.so`, or the
//! system's LevelDB 1.23) and every run is a child process linked to
//! exactly one of them. Three runs make a check:
//!
//! - LevelDB 1.23 runs the whole script on its own directory: the oracle;
//! - Strata runs the whole script on another directory (mode A);
//! - one directory is handed over (mode B): each segment of the script
//!   (`script::segments`) runs in a fresh process of the library its
//!   annotation names, so each library reopens, reads, extends, repairs and
//!   compacts what the other wrote.
//!
//! Both outputs must equal the oracle's line for line, except that the
//! numbers of a `sizes` line (approximate sizes, which depend on where each
//! library cut its tables and how its compressor did) agree within a
//! tolerance (`size_slack`); and every read must answer what the model (`model.rs`)
//! expects. Where LevelDB alone answers a read otherwise than the model,
//! the finding is LevelDB's bug, not a failure. A process that fails adds a
//! line with its exit status.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::model;
use crate::script::{self, segments};
use crate::support::{command_for, compile_c, require_reference, Library, OurLibDir};

const DRIVER: &str = "tests/differential/driver.c";

/// The driver built against each library (in a temporary directory that
/// goes with this value).
pub struct Drivers {
    libs: OurLibDir,
    _bin: tempfile::TempDir,
    ours: PathBuf,
    reference: PathBuf,
}

impl Drivers {
    pub fn build() -> Drivers {
        require_reference();
        let libs = OurLibDir::new();
        let bin = tempfile::tempdir().unwrap();
        let ours = bin.path().join("driver-ours");
        let reference = bin.path().join("driver-leveldb");
        compile_c(&[DRIVER], &ours, Library::Ours, &libs);
        compile_c(&[DRIVER], &reference, Library::Reference, &libs);
        Drivers {
            libs,
            _bin: bin,
            ours,
            reference,
        }
    }

    /// Runs `lines` on the database in `dir` with `library`'s driver;
    /// returns its output, plus an `! exit ...` line (and its stderr) if it
    /// failed.
    pub fn run(&self, library: Library, dir: &Path, lines: &[String]) -> String {
        let exe = match library {
            Library::Ours => &self.ours,
            Library::Reference => &self.reference,
        };
        let mut child = command_for(exe, library, &self.libs)
            .arg(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", exe.display()));
        let mut input = lines.join("\n");
        input.push('\n');
        let mut stdin = child.stdin.take().unwrap();
        // Written from a thread: the driver's output may fill its pipe
        // before it has read all of the script.
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(input.as_bytes());
        });
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap();
        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
            text += &format!("! exit {} ({})\n", out.status, tail.join(" / "));
        }
        text
    }

    /// Runs the script's hand-over segments one after the other on `dir`,
    /// each in a fresh process of the library it names; the concatenated
    /// output.
    pub fn run_handed_over(&self, dir: &Path, lines: &[String]) -> String {
        let mut out = String::new();
        for (library, range) in segments(lines) {
            out += &self.run(library, dir, &lines[range]);
            if out.starts_with("! exit ") || out.contains("\n! exit ") {
                break;
            }
        }
        out
    }

    /// Runs the oracle and the given modes at once, each on its own
    /// directory.
    pub fn check(&self, lines: &[String], modes: &[Mode]) -> Checked {
        let scratch = tempfile::tempdir().unwrap();
        let scratch = scratch.path();
        std::thread::scope(|s| {
            let oracle = s.spawn(|| self.run(Library::Reference, &scratch.join("leveldb"), lines));
            let others: Vec<_> = modes
                .iter()
                .map(|&mode| {
                    s.spawn(move || {
                        let out = match mode {
                            Mode::Whole => self.run(Library::Ours, &scratch.join("strata"), lines),
                            Mode::HandOver => {
                                self.run_handed_over(&scratch.join("handover"), lines)
                            }
                        };
                        (mode, out)
                    })
                })
                .collect();
            let expected = model::expected(lines);
            let others: Vec<_> = others.into_iter().map(|h| h.join().unwrap()).collect();
            let oracle = oracle.join().unwrap();
            let whole = others
                .iter()
                .find(|(mode, _)| *mode == Mode::Whole)
                .map(|(_, out)| out.as_str());
            let findings = others
                .iter()
                .filter_map(|(mode, out)| compare(lines, *mode, &oracle, out, &expected, whole))
                .collect();
            Checked {
                oracle,
                others,
                findings,
            }
        })
    }
}

/// How the hand-overs of a script went: segments run, and how many of them
/// ran on the other library than the one before.
pub fn handover_counts(lines: &[String]) -> (usize, usize) {
    let segs = segments(lines);
    let switches = segs.windows(2).filter(|w| w[0].0 != w[1].0).count();
    (segs.len(), switches)
}

/// The two ways of running a script against the oracle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The whole script on Strata, in one process.
    Whole,
    /// The hand-over segments, each on the library it names.
    HandOver,
}

/// Who was wrong where the answers first part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Strata (whole or handed over) answered otherwise than LevelDB 1.23
    /// and the model does not side with it, or both libraries answered a
    /// read otherwise than the model: a failure.
    Disagreement,
    /// LevelDB 1.23 answered a read otherwise than the model and Strata as
    /// the model (or, handed over, LevelDB answered the read, wrong in its
    /// own run too, or Strata read LevelDB's wrong answer back from tables
    /// LevelDB wrote in the hand-over): a bug of LevelDB's that Strata does
    /// not share (README's differences list the known ones). Everything
    /// after it may differ.
    LevelDbWrong,
}

/// Where the answers first part: the operation and every answer.
#[derive(Debug, Clone)]
pub struct Finding {
    pub kind: Kind,
    pub mode: Mode,
    /// Index of the operation (0-based, among operation lines).
    pub index: usize,
    pub operation: String,
    pub leveldb: String,
    pub strata: String,
    pub model: Option<String>,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:?} ({:?} mode), operation {}: {}\n  LevelDB 1.23: {}\n  Strata:       {}",
            self.kind,
            self.mode,
            self.index + 1,
            self.operation,
            self.leveldb,
            self.strata
        )?;
        if let Some(m) = &self.model {
            write!(f, "\n  model:        {m}")?;
        }
        Ok(())
    }
}

/// What a check found: the outputs, and per mode where answers part.
pub struct Checked {
    pub oracle: String,
    pub others: Vec<(Mode, String)>,
    pub findings: Vec<Finding>,
}

/// The first operation where `strata` disagrees with `leveldb`, or either
/// with the model's `expected` line. `whole` is Strata's run of the whole
/// script, when there is one, for judging a hand-over's answers.
pub fn compare(
    lines: &[String],
    mode: Mode,
    leveldb: &str,
    strata: &str,
    expected: &[Option<String>],
    whole: Option<&str>,
) -> Option<Finding> {
    let ops = script::operations(lines);
    let slack = size_slack(&ops);
    let libraries = script::library_of_operations(lines);
    let (a, b): (Vec<&str>, Vec<&str>) = (leveldb.lines().collect(), strata.lines().collect());
    let whole: Option<Vec<&str>> = whole.map(|w| w.lines().collect());
    (0..a.len().max(b.len())).find_map(|i| {
        let (x, y) = (a.get(i).copied(), b.get(i).copied());
        let m = expected.get(i).and_then(Option::as_deref);
        let agree = matches!((x, y), (Some(x), Some(y)) if lines_agree(x, y, slack));
        if agree && m.map_or(true, |m| x == Some(m)) {
            return None;
        }
        // LevelDB alone is wrong; or, handed over, LevelDB answered this
        // read wrong in both runs (its compactions in the hand-over, on
        // tables either library wrote, can bring a deleted key back too);
        // or, handed over, Strata read back the same wrong answer from a
        // database LevelDB had opened (and so could compact) earlier in the
        // hand-over, while Strata's own whole run, where it is known,
        // answered as the model: the wrong entry is in LevelDB's tables.
        let leveldb_read = mode == Mode::HandOver && libraries.get(i) == Some(&Library::Reference);
        let read_leveldb_tables = mode == Mode::HandOver
            && y == x
            && libraries[..i.min(libraries.len())].contains(&Library::Reference)
            && whole.as_ref().map_or(true, |w| w.get(i).copied() == m);
        let kind = if m.is_some() && x != m && (y == m || leveldb_read || read_leveldb_tables) {
            Kind::LevelDbWrong
        } else {
            Kind::Disagreement
        };
        Some(Finding {
            kind,
            mode,
            index: i,
            operation: ops
                .get(i)
                .map_or("(after the end)", |o| script::body(o))
                .to_string(),
            leveldb: x.unwrap_or("(nothing)").to_string(),
            strata: y.unwrap_or("(nothing)").to_string(),
            model: m.map(str::to_string),
        })
    })
}

/// Equal, or `sizes` lines whose level-0 counts are equal and whose sizes
/// differ by at most a quarter of the larger plus `slack`.
fn lines_agree(leveldb: &str, strata: &str, slack: u64) -> bool {
    if leveldb == strata {
        return true;
    }
    let (Some(a), Some(b)) = (
        leveldb.strip_prefix("sizes "),
        strata.strip_prefix("sizes "),
    ) else {
        return false;
    };
    let (a, b): (Vec<&str>, Vec<&str>) = (a.split(' ').collect(), b.split(' ').collect());
    a.len() == b.len()
        && a[0] == b[0]
        && a[1..]
            .iter()
            .zip(&b[1..])
            .all(|(x, y)| match (x.parse::<u64>(), y.parse::<u64>()) {
                (Ok(x), Ok(y)) => x.abs_diff(y) <= (x.max(y) / 4).saturating_add(slack),
                _ => false,
            })
}

/// How far approximate sizes may differ beyond a quarter: an approximate
/// size counts whole blocks and tables, and the libraries cut tables at
/// other places (compression, and which old versions a compaction could
/// drop yet, differ), so a range end may land on either side of a block
/// holding the largest value: twice the largest value and block size in
/// the script, plus 16 KiB. Unbounded when the opens of the script switch
/// compression on and off: a whole-range compaction rewrites only the
/// tables it has to, so how much is stored compressed depends on where
/// each library had put its tables (LevelDB alone differs from run to run).
fn size_slack(ops: &[&str]) -> u64 {
    let mut largest = 0u64;
    let mut compression = None;
    for op in ops {
        for t in script::body(op).split(' ') {
            if let Some(c) = t.strip_prefix("comp=") {
                if compression.is_some_and(|before| before != c) {
                    return u64::MAX;
                }
                compression = Some(c);
            }
            let n = t
                .strip_prefix('*')
                .and_then(|g| g.split_once('.'))
                .map(|(len, _)| len)
                .or_else(|| t.strip_prefix("block="))
                .and_then(|n| n.parse::<u64>().ok());
            largest = largest.max(n.unwrap_or(t.len() as u64));
        }
    }
    2 * (largest + 4096) + (16 << 10)
}
