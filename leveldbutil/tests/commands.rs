//! Every `leveldbutil` command (but `dump`, see dump.rs) against databases
//! written by LevelDB 1.23 (the golden cases of `tests/support`: frozen in
//! testdata/ or generated at test time by the real LevelDB), checked
//! against their recorded contents (`expected.tsv`, `meta.txt`).
//!
//! Also: the read-only commands leave every file of the directory
//! byte-identical (and create none); export and import round-trip any
//! bytes; every command refuses a database whose LOCK a LevelDB 1.23
//! process holds; `--help` works for every command; progress appears on a
//! terminal only.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

#[path = "../../tests/support/mod.rs"]
mod support;

/// The golden cases our default (bytewise) options open.
const BYTEWISE_CASES: [&str; 4] = [
    "log-only",
    "levels-snappy-bloom",
    "nocompress-smallblocks",
    "big-values",
];

type Entries = Vec<(Vec<u8>, Vec<u8>)>;

fn util(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leveldbutil"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run leveldbutil")
}

/// Runs a command that must succeed silently on stderr; its stdout.
fn ok(args: &[&str]) -> Vec<u8> {
    let out = util(args);
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{args:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn ok_text(args: &[&str]) -> String {
    String::from_utf8(ok(args)).unwrap()
}

/// Runs a command that must fail with status 1 and nothing on stdout; its
/// stderr.
fn fails(args: &[&str]) -> String {
    let out = util(args);
    assert_eq!(out.status.code(), Some(1), "{args:?} should fail");
    assert!(out.stdout.is_empty(), "{args:?}");
    String::from_utf8(out.stderr).unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn expected(case: &str) -> Entries {
    let text = std::fs::read_to_string(support::golden_case(case).join("expected.tsv")).unwrap();
    text.lines()
        .map(|line| {
            let (k, v) = line.split_once('\t').unwrap();
            (unhex(k), unhex(v))
        })
        .collect()
}

/// `scan --hex` output for `entries`.
fn hex_lines(entries: &[(Vec<u8>, Vec<u8>)]) -> String {
    entries
        .iter()
        .map(|(k, v)| format!("{}\t{}\n", hex(k), hex(v)))
        .collect()
}

/// `scan --hex` output parsed back.
fn parse_hex_scan(text: &str) -> Entries {
    text.lines()
        .map(|l| {
            let (k, v) = l.split_once('\t').unwrap();
            (unhex(k), unhex(v))
        })
        .collect()
}

/// A private, writable copy of a golden database; returns its path.
fn copy_case(case: &str, into: &Path) -> PathBuf {
    let db = into.join(case);
    std::fs::create_dir_all(&db).unwrap();
    for entry in std::fs::read_dir(support::golden_case(case).join("db")).unwrap() {
        let entry = entry.unwrap();
        let to = db.join(entry.file_name());
        std::fs::copy(entry.path(), &to).unwrap();
        let mut perms = std::fs::metadata(&to).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        std::fs::set_permissions(&to, perms).unwrap();
    }
    db
}

/// Every file of `dir` and its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The "sstables before close" section of a golden case's meta.txt.
fn meta(case: &str) -> (Vec<String>, String) {
    let text = std::fs::read_to_string(support::golden_case(case).join("meta.txt")).unwrap();
    let files = text
        .lines()
        .filter_map(|l| l.strip_prefix("files-at-level"))
        .map(|l| l.split_once(": ").unwrap().1.to_string())
        .collect();
    let sstables = text.split_once("sstables before close:\n").unwrap().1;
    (files, sstables.to_string())
}

#[test]
fn read_commands_show_golden_contents_and_change_nothing() {
    let scratch = tempfile::tempdir().unwrap();
    for case in BYTEWISE_CASES {
        let db_path = copy_case(case, scratch.path());
        let db = s(&db_path);
        let before = snapshot(&db_path);
        let entries = expected(case);
        let n = entries.len();
        assert!(n > 10, "{case}");

        // scan, forward and backward, whole and in ranges.
        assert_eq!(
            ok_text(&["scan", "--hex", db]),
            hex_lines(&entries),
            "{case}"
        );
        let reversed: Entries = entries.iter().rev().cloned().collect();
        assert_eq!(
            ok_text(&["scan", db, "--hex", "--reverse"]),
            hex_lines(&reversed)
        );
        assert_eq!(ok_text(&["scan", "--count", db]), format!("{n}\n"));
        let keys: String = entries[..5].iter().map(|(k, _)| hex(k) + "\n").collect();
        assert_eq!(
            ok_text(&["scan", "--hex", "--keys-only", "--limit", "5", db]),
            keys
        );
        let (from, to) = (&entries[n / 4].0, &entries[3 * n / 4].0);
        let inside: Entries = entries
            .iter()
            .filter(|(k, _)| k >= from && k < to)
            .cloned()
            .collect();
        let range = ["--hex", "--from", &hex(from), "--to", &hex(to)];
        let mut args = vec!["scan", db];
        args.extend(range);
        assert_eq!(ok_text(&args), hex_lines(&inside), "{case}");
        args.push("--reverse");
        let inside_reversed: Entries = inside.iter().rev().cloned().collect();
        assert_eq!(ok_text(&args), hex_lines(&inside_reversed), "{case}");
        args.extend(["--limit", "3"]);
        assert_eq!(ok_text(&args), hex_lines(&inside_reversed[..3]), "{case}");
        let middle = &entries[n / 2].0;
        let prefix = &middle[..middle.len().saturating_sub(2).max(1)];
        let with_prefix: Entries = entries
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .cloned()
            .collect();
        assert!(!with_prefix.is_empty());
        assert_eq!(
            ok_text(&["scan", "--hex", db, "--prefix", &hex(prefix)]),
            hex_lines(&with_prefix),
            "{case}"
        );
        // The default output is LevelDB's EscapeString, TAB-separated.
        let escaped: String = entries
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}\t{}\n",
                    leveldb::key::escape_bytes(k),
                    leveldb::key::escape_bytes(v)
                )
            })
            .collect();
        assert_eq!(ok_text(&["scan", db]), escaped);

        // get, in every encoding.
        for (key, value) in [&entries[0], &entries[n / 2], &entries[n - 1]] {
            assert_eq!(ok_text(&["get", "--hex", db, &hex(key)]), hex(value) + "\n");
            let escaped_key = leveldb::key::escape_bytes(key);
            if !escaped_key.contains('\\') || key.iter().all(|&b| b != b'\\') {
                assert_eq!(
                    ok_text(&["get", db, &escaped_key]),
                    leveldb::key::escape_bytes(value) + "\n"
                );
            }
            if !key.is_empty() && !key.contains(&0) {
                use std::os::unix::ffi::OsStrExt;
                let out = Command::new(env!("CARGO_BIN_EXE_leveldbutil"))
                    .args(["get", "--raw", db])
                    .arg(std::ffi::OsStr::from_bytes(key))
                    .output()
                    .unwrap();
                assert!(out.status.success());
                assert_eq!(&out.stdout, value);
            }
        }
        let missing = fails(&["get", db, "no such key\\x00"]);
        assert_eq!(missing, "leveldbutil: NotFound: no such key\\x00\n");

        // stats: LevelDB's own properties as it left the database.
        let stats = ok_text(&["stats", db]);
        let (files, sstables) = meta(case);
        for (level, count) in files.iter().enumerate() {
            let line = format!("leveldb.num-files-at-level{level}: {count}\n");
            assert!(stats.contains(&line), "{case}: {line}in\n{stats}");
        }
        assert!(
            stats.ends_with(&format!("leveldb.sstables:\n{sstables}")),
            "{case}: {stats}"
        );
        assert!(stats.contains("leveldb.stats:\n"));
        assert!(stats.contains("leveldb.approximate-memory-usage: "));

        // sizes: all of the tables' bytes, none of an empty range.
        let total: u64 = ok_text(&["sizes", db]).trim().parse().unwrap();
        let table_bytes: u64 = sstables
            .lines()
            .filter_map(|l| l.trim().split_once(':'))
            .map(|(_, rest)| rest.split('[').next().unwrap().parse::<u64>().unwrap())
            .sum();
        assert_eq!(total, table_bytes, "{case}");
        let empty: u64 = ok_text(&[
            "sizes",
            "--hex",
            db,
            "--from",
            &hex(from),
            "--to",
            &hex(from),
        ])
        .trim()
        .parse()
        .unwrap();
        assert_eq!(empty, 0);

        // verify: sound, every live file named.
        let report = ok_text(&["verify", db]);
        assert!(
            report.ends_with(" damaged\n") && report.contains(", 0 damaged"),
            "{report}"
        );
        for name in before.keys() {
            if name.ends_with(".ldb") || name.ends_with(".log") || name.starts_with("MANIFEST") {
                assert!(
                    report.contains(&format!("ok {name}: ")),
                    "{case}: {name}\n{report}"
                );
            }
        }

        // export: the entries, in the documented format.
        let file = scratch.path().join(format!("{case}.export"));
        ok(&["export", db, s(&file)]);
        let mut text = b"leveldbutil-export 1\n".to_vec();
        for (k, v) in &entries {
            text.extend(escape_field(k));
            text.push(b'\t');
            text.extend(escape_field(v));
            text.push(b'\n');
        }
        text.extend(format!("end {n}\n").into_bytes());
        assert!(
            std::fs::read(&file).unwrap() == text,
            "{case}: export differs"
        );
        assert!(ok(&["export", db, "-"]) == text);

        // Not one byte of the database changed, no file came or went.
        assert!(
            snapshot(&db_path) == before,
            "{case}: the directory changed"
        );
    }
}

/// The export format's field encoding, written out independently.
fn escape_field(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for &b in bytes {
        if (0x20..=0x7e).contains(&b) && b != b'\\' {
            out.push(b);
        } else {
            out.extend(format!("\\x{b:02x}").into_bytes());
        }
    }
    out
}

#[test]
fn levels_case_reports_its_orphans_and_damage() {
    let scratch = tempfile::tempdir().unwrap();
    let db_path = copy_case("levels-snappy-bloom", scratch.path());
    let db = s(&db_path);
    let report = ok_text(&["verify", db]);
    let orphans = report
        .matches("note: not named by the MANIFEST: not part of the database")
        .count();
    assert_eq!(orphans, 4, "{report}");
    // The level-1 table, as the MANIFEST records it.
    let (_, sstables) = meta("levels-snappy-bloom");
    let level1 = sstables.split("--- level 1 ---\n").nth(1).unwrap();
    let number: u64 = level1.trim().split(':').next().unwrap().parse().unwrap();
    let name = format!("{number:06}.ldb");
    let path = db_path.join(&name);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[100] ^= 0x01;
    std::fs::write(&path, bytes).unwrap();
    let out = util(&["verify", db]);
    assert_eq!(out.status.code(), Some(1));
    let report = String::from_utf8(out.stdout).unwrap();
    let line = report
        .lines()
        .find(|l| l.starts_with(&format!("DAMAGED {name}: table at level 1, ")))
        .unwrap_or_else(|| panic!("{report}"));
    assert!(line.contains("'user:00000062' @ 3008 : 1"), "{line}");
    assert!(
        report.contains("\n  damage: at entry 0: Corruption: block checksum mismatch\n"),
        "{report}"
    );
    assert!(report.ends_with("1 damaged\n"), "{report}");
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        format!("leveldbutil: {db}: 1 damaged file\n")
    );
}

#[test]
fn write_commands_on_golden_databases() {
    let scratch = tempfile::tempdir().unwrap();
    for case in BYTEWISE_CASES {
        let db_path = copy_case(case, scratch.path());
        let db = s(&db_path);
        let mut model: BTreeMap<Vec<u8>, Vec<u8>> = expected(case).into_iter().collect();
        let scan = || parse_hex_scan(&ok_text(&["scan", "--hex", db]));
        let model_entries =
            |m: &BTreeMap<Vec<u8>, Vec<u8>>| -> Entries { m.clone().into_iter().collect() };

        ok(&["put", db, "new\\x00key", "v\\xff\\x01"]);
        model.insert(b"new\x00key".to_vec(), b"v\xff\x01".to_vec());
        ok(&["put", "--hex", db, "00", ""]);
        model.insert(vec![0], Vec::new());
        let first = model.keys().nth(3).unwrap().clone();
        ok(&["delete", "--hex", db, &hex(&first)]);
        model.remove(&first);
        ok(&["delete", db, "never there"]);
        assert_eq!(scan(), model_entries(&model), "{case}");

        // compact: everything ends up below level 0, contents unchanged.
        ok(&["compact", db]);
        assert_eq!(scan(), model_entries(&model), "{case}");
        let stats = ok_text(&["stats", db]);
        assert!(
            stats.contains("leveldb.num-files-at-level0: 0\n"),
            "{stats}"
        );
        let (a, b) = (model.keys().nth(1).unwrap(), model.keys().nth(5).unwrap());
        ok(&["compact", "--hex", db, "--from", &hex(a), "--to", &hex(b)]);
        assert_eq!(scan(), model_entries(&model), "{case}");

        // export, then import into a new database and into this one.
        let file = scratch.path().join(format!("{case}.export"));
        ok(&["export", db, s(&file)]);
        let copy = scratch.path().join(format!("{case}-imported"));
        ok(&["import", s(&copy), s(&file)]);
        assert_eq!(
            parse_hex_scan(&ok_text(&["scan", "--hex", s(&copy)])),
            model_entries(&model)
        );
        ok(&["import", db, s(&file)]);
        assert_eq!(scan(), model_entries(&model), "{case}");

        // repair keeps every entry.
        ok(&["repair", db]);
        assert_eq!(scan(), model_entries(&model), "{case}");
        assert!(ok_text(&["verify", db]).contains(", 0 damaged\n"));

        // destroy removes every file of the database; what repair set
        // aside in lost/ stays (LevelDB's DestroyDB leaves it too), and so
        // does the directory then.
        ok(&["destroy", db]);
        let left: Vec<String> = std::fs::read_dir(&db_path)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(left, ["lost"], "{case}");
        let err = fails(&["destroy", db]);
        assert!(
            err.contains("not a LevelDB database (no CURRENT file)"),
            "{err}"
        );
        let err = fails(&["scan", db]);
        assert!(err.contains("does not exist"), "{err}");
        let err = fails(&["verify", db]);
        assert!(err.contains("does not exist"), "{err}");
        assert_eq!(
            std::fs::read_dir(&db_path).unwrap().count(),
            1,
            "a read created a file"
        );
        std::fs::remove_dir_all(&db_path).unwrap();
        let err = fails(&["get", db, "k"]);
        assert!(err.contains("does not exist"), "{err}");
        assert!(!db_path.exists(), "a read must not create the database");
    }
}

#[test]
fn export_import_round_trips_any_bytes() {
    let scratch = tempfile::tempdir().unwrap();
    let source = scratch.path().join("source");
    let mut rng = support::Rng::new(19);
    let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
    let every: Vec<u8> = (0..=255).collect();
    for (k, v) in [
        (&b""[..], &b"empty key"[..]),
        (b"empty value", b""),
        (b"new\nline", b"tab\there\r\n"),
        (b"\x00", b"\x00\x00"),
        (b"\xff\xfe\x80", &every[..]),
        (b"back\\slash \\x41", b"\\"),
        (b"end 3", b"leveldbutil-export 1"),
    ] {
        model.insert(k.to_vec(), v.to_vec());
    }
    for _ in 0..300 {
        let mut k = vec![0u8; rng.below(12) as usize];
        rng.fill(&mut k);
        let mut v = vec![0u8; rng.below(300) as usize];
        rng.fill(&mut v);
        model.insert(k, v);
    }
    {
        let options = leveldb::Options {
            create_if_missing: true,
            ..leveldb::Options::default()
        };
        let db = leveldb::DB::open(options, s(&source)).unwrap();
        for (k, v) in &model {
            db.put(&leveldb::WriteOptions::default(), k, v).unwrap();
        }
    }
    let exported = ok(&["export", s(&source), "-"]);
    assert_eq!(
        exported.iter().filter(|&&b| b == b'\n').count(),
        model.len() + 2,
        "one line per entry"
    );
    // Import from stdin.
    let target = scratch.path().join("target");
    let mut child = Command::new(env!("CARGO_BIN_EXE_leveldbutil"))
        .args(["import", s(&target), "-"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&exported).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let entries: Entries = model.clone().into_iter().collect();
    assert_eq!(
        parse_hex_scan(&ok_text(&["scan", "--hex", s(&target)])),
        entries
    );
    assert!(ok(&["export", s(&target), "-"]) == exported);

    // A damaged file imports nothing.
    let cut = scratch.path().join("cut");
    let lines: Vec<&[u8]> = exported.split_inclusive(|&b| b == b'\n').collect();
    std::fs::write(&cut, lines[..lines.len() - 1].concat()).unwrap();
    let fresh = scratch.path().join("fresh");
    let err = fails(&["import", s(&fresh), s(&cut)]);
    assert!(err.contains("without its 'end' line"), "{err}");
    assert!(!fresh.exists());
}

/// The lock holder, built once against the system's LevelDB 1.23.
fn lock_holder() -> &'static Path {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(|| {
        support::require_reference();
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("leveldbutil-tests");
        std::fs::create_dir_all(&dir).unwrap();
        let exe = dir.join(format!("lock_holder-{}", std::process::id()));
        support::check(
            Command::new(support::cc())
                .args(support::C_FLAGS)
                .arg(support::root().join("leveldbutil/tests/c/lock_holder.c"))
                .arg("-o")
                .arg(&exe)
                .arg("-lleveldb"),
        );
        exe
    })
}

#[test]
fn every_command_refuses_a_database_locked_by_another_process() {
    let scratch = tempfile::tempdir().unwrap();
    let db_path = copy_case("levels-snappy-bloom", scratch.path());
    let db = s(&db_path);
    let export = scratch.path().join("export");
    ok(&["export", db, s(&export)]);
    let mut holder = Command::new(lock_holder())
        .arg(db)
        .env_remove("LD_LIBRARY_PATH")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(holder.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line, "locked\n", "the holder did not open the database");
    let before = snapshot(&db_path);
    let e = s(&export);
    let commands: [&[&str]; 14] = [
        &["get", db, "k"],
        &["put", db, "k", "v"],
        &["delete", db, "k"],
        &["scan", db],
        &["scan", "--count", db],
        &["stats", db],
        &["sizes", db],
        &["compact", db],
        &["repair", db],
        &["destroy", db],
        &["verify", db],
        &["export", db, "-"],
        &["import", db, e],
        &["scan", "--reverse", "--hex", db],
    ];
    let said = format!(
        "leveldbutil: {db}: the database is locked by another process (IO error: lock {db}/LOCK: "
    );
    for args in commands {
        let err = fails(args);
        assert!(err.starts_with(&said), "{args:?}: {err}");
    }
    // Nothing was touched, not even the holder's LOG.
    assert!(snapshot(&db_path) == before);
    // dump reads single files without the lock.
    let manifest = before.keys().find(|n| n.starts_with("MANIFEST-")).unwrap();
    let dumped = ok(&["dump", s(&db_path.join(manifest))]);
    assert!(dumped.starts_with(b"--- offset 0; "));

    drop(holder.stdin.take());
    assert!(holder.wait().unwrap().success());
    assert_eq!(
        ok_text(&["scan", "--hex", db]),
        hex_lines(&expected("levels-snappy-bloom"))
    );
}

#[test]
fn a_foreign_comparator_is_refused_but_verified() {
    let scratch = tempfile::tempdir().unwrap();
    let db_path = copy_case("reverse-comparator", scratch.path());
    let db = s(&db_path);
    let before = snapshot(&db_path);
    let err = fails(&["scan", db]);
    assert_eq!(
        err,
        "leveldbutil: Invalid argument: golden.ReverseBytewise does not match existing \
         comparator : leveldb.BytewiseComparator\n"
    );
    let report = ok_text(&["verify", db]);
    assert!(
        report
            .contains("note: comparator golden.ReverseBytewise is not leveldb.BytewiseComparator"),
        "{report}"
    );
    assert!(report.contains(", 0 damaged\n"));
    assert!(snapshot(&db_path) == before);
}

#[test]
fn help_for_every_command_and_usage_errors() {
    let commands = [
        "dump", "get", "put", "delete", "scan", "stats", "sizes", "compact", "repair", "destroy",
        "verify", "export", "import",
    ];
    let help = ok_text(&["--help"]);
    for c in commands {
        assert!(help.contains(&format!("\n  {c} ")), "{c} in\n{help}");
        let text = ok_text(&[c, "--help"]);
        assert!(text.contains(&format!("Usage: leveldbutil {c}")), "{text}");
        let text = ok_text(&["help", c]);
        assert!(text.contains(&format!("Usage: leveldbutil {c}")), "{text}");
    }
    assert!(ok_text(&["scan", "--help"]).contains("--keys-only"));
    // Wrong arguments: status 1 and a usage line, as LevelDB's tool.
    for args in [
        &["get"][..],
        &["scan", "db", "--limit", "x"],
        &["get", "--hex", "--raw", "d", "k"],
    ] {
        let err = fails(args);
        assert!(err.starts_with("error: "), "{args:?}: {err}");
        assert!(err.contains("--help"), "{args:?}: {err}");
    }
    let err = fails(&["get", "--hex", "/nonexistent", "abc"]);
    assert_eq!(
        err,
        "leveldbutil: KEY 'abc' is not hex (two digits per byte)\n"
    );
}

#[test]
fn progress_shows_on_a_terminal_only() {
    let scratch = tempfile::tempdir().unwrap();
    let db_path = copy_case("levels-snappy-bloom", scratch.path());
    let db = s(&db_path);
    // Piped: nothing but the result (checked by `ok` for every command).
    ok(&["verify", db]);
    // On a terminal (script(1) gives the command a pseudo-terminal): a
    // bar, erased at the end.
    let bin = env!("CARGO_BIN_EXE_leveldbutil");
    let out = Command::new("script")
        .args([
            "-qec",
            &format!("{bin} verify {db} > /dev/null"),
            "/dev/null",
        ])
        .stdin(Stdio::null())
        .output()
        .expect("script(1), from util-linux");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("verifying"),
        "no progress on a terminal: {text:?}"
    );
}
