//! `leveldbutil dump` against LevelDB 1.23's own `DumpFile`, byte for byte.
//!
//! The reference side is `c_tests/dumpfile_ref.cc`, compiled here with the
//! system C++ compiler and linked with the system `-lleveldb`; it calls
//! `leveldb::DumpFile(Env::Default(), fname, &stdout_sink)` per argument,
//! exactly as LevelDB's `leveldbutil` does. Each side runs in its own
//! process (our library and the reference never share one), and for every
//! file we require identical stdout, identical stderr and the same exit
//! status.
//!
//! Files compared: every `.log`, `.ldb` and MANIFEST of every golden
//! database (copied to a temp dir first); files written by our own log
//! writer, write batches, version edits and table builder, covering the
//! printers' corner cases; the files of a database written by our engine;
//! a zstd table (against the reference's dump of the same entries stored
//! uncompressed: LevelDB 1.23 cannot read zstd); and damaged variants (bytes flipped, files cut short), which exercise the
//! corruption and error paths.
//!
//! The reference must be installed (libleveldb-dev, a C++ compiler): these
//! tests fail, never skip, without it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, OnceLock};

use leveldb::env::{default_env, Env};
use leveldb::key::{internal_key, InternalKeyComparator, ValueType};
use leveldb::log::Writer;
use leveldb::table::{InternalFilterPolicy, TableBuilder};
use leveldb::util::bloom::BloomFilterPolicy;
use leveldb::util::comparator::bytewise;
use leveldb::version::edit::VersionEdit;
use leveldb::write_batch::WriteBatch;
use leveldb::{CompressionType, Options, WriteOptions, DB};

#[path = "../../tests/support/mod.rs"]
mod support;

const USAGE: &str =
    "Usage: leveldbutil command...\n   dump files...         -- dump contents of specified files\n";

const GOLDEN_CASES: [&str; 5] = support::GOLDEN_CASES;

/// The reference dump program, built once per test run.
fn reference_tool() -> &'static Path {
    static TOOL: OnceLock<PathBuf> = OnceLock::new();
    TOOL.get_or_init(|| {
        let source = support::root().join("c_tests/dumpfile_ref.cc");
        let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dump_reference");
        std::fs::create_dir_all(&out_dir).unwrap();
        let exe = out_dir.join(format!("dumpfile_ref-{}", std::process::id()));
        let compiler = std::env::var("CXX").unwrap_or_else(|_| "c++".to_string());
        let output = Command::new(&compiler)
            .args(["-std=c++17", "-O1", "-Wall", "-Wextra", "-Werror", "-o"])
            .arg(&exe)
            .arg(&source)
            .arg("-lleveldb")
            .output()
            .unwrap_or_else(|e| {
                panic!("cannot run the C++ compiler `{compiler}` ({e}): install g++ (and libleveldb-dev)")
            });
        assert!(
            output.status.success(),
            "building the reference dump tool against -lleveldb failed (is libleveldb-dev \
             installed?):\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        exe
    })
}

fn run_reference(files: &[&Path]) -> Output {
    // No LD_LIBRARY_PATH: cargo's points into target/, where our own
    // libleveldb lives; the reference must load the system's.
    Command::new(reference_tool())
        .args(files)
        .env_remove("LD_LIBRARY_PATH")
        .output()
        .expect("run the reference dump tool")
}

fn run_ours(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leveldbutil"))
        .args(args)
        .output()
        .expect("run leveldbutil")
}

fn dump_ours(files: &[&Path]) -> Output {
    let mut args: Vec<&std::ffi::OsStr> = vec!["dump".as_ref()];
    args.extend(files.iter().map(|f| f.as_os_str()));
    run_ours(&args)
}

/// Runs both dumps on `files`; describes the first difference, if any.
fn dump_difference(files: &[&Path]) -> Option<String> {
    let ours = dump_ours(files);
    let reference = run_reference(files);
    if ours.stdout != reference.stdout {
        let (a, b) = (&ours.stdout, &reference.stdout);
        let at = a.iter().zip(b.iter()).take_while(|(x, y)| x == y).count();
        let from = at.saturating_sub(300);
        return Some(format!(
            "stdout differs at byte {at} (ours {} bytes, reference {} bytes)\n\
             --- ours from byte {from}:\n{}\n--- reference from byte {from}:\n{}",
            a.len(),
            b.len(),
            String::from_utf8_lossy(&a[from..a.len().min(at + 300)]),
            String::from_utf8_lossy(&b[from..b.len().min(at + 300)]),
        ));
    }
    if ours.stderr != reference.stderr {
        return Some(format!(
            "stderr differs\n--- ours:\n{}--- reference:\n{}",
            String::from_utf8_lossy(&ours.stderr),
            String::from_utf8_lossy(&reference.stderr)
        ));
    }
    if ours.status.code() != reference.status.code() {
        return Some(format!(
            "exit status differs: ours {:?}, reference {:?}",
            ours.status.code(),
            reference.status.code()
        ));
    }
    None
}

/// Runs both dumps on `files` and requires identical results.
fn assert_same_dump(files: &[&Path]) {
    if let Some(difference) = dump_difference(files) {
        panic!("{files:?}: {difference}");
    }
}

/// A private copy of a golden database directory.
fn copy_golden(case: &str) -> tempfile::TempDir {
    let src = support::golden_case(case).join("db");
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&src).unwrap() {
        let entry = entry.unwrap();
        let to = dir.path().join(entry.file_name());
        std::fs::copy(entry.path(), &to).unwrap();
        // The golden files are read-only; the copies are ours to damage.
        let mut perms = std::fs::metadata(&to).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        std::fs::set_permissions(&to, perms).unwrap();
    }
    dir
}

fn is_dumpable(name: &str) -> bool {
    name.ends_with(".log")
        || name.ends_with(".ldb")
        || name.ends_with(".sst")
        || name.starts_with("MANIFEST-")
}

fn dumpable_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| is_dumpable(p.file_name().unwrap().to_str().unwrap()))
        .collect();
    files.sort();
    files
}

/// Damaged copies of `data`: single bytes flipped at spread-out places
/// (and at both ends), and cuts at several lengths.
fn damaged_variants(data: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut variants = Vec::new();
    let n = data.len();
    if n == 0 {
        return variants;
    }
    let mut positions: Vec<usize> = (0..12).map(|i| i * n / 12 + (i * 7) % 5).collect();
    // The last few hundred bytes hold the index and metaindex blocks and
    // the footer of a table, the last records of a log.
    positions.extend([0, n - 1, n.saturating_sub(9), n.saturating_sub(30)]);
    positions.extend([
        n.saturating_sub(60),
        n.saturating_sub(90),
        n.saturating_sub(200),
    ]);
    positions.sort();
    positions.dedup();
    for pos in positions.into_iter().filter(|&p| p < n) {
        let mut d = data.to_vec();
        d[pos] ^= 0x5a;
        variants.push((format!("byte {pos} flipped"), d));
    }
    for cut in [
        n / 3,
        n / 2,
        n - 1,
        n.saturating_sub(48),
        n.saturating_sub(100),
    ] {
        if cut < n {
            variants.push((format!("cut to {cut} bytes"), data[..cut].to_vec()));
        }
    }
    variants
}

/// Writes each damaged variant of `path` under a fresh name of the same
/// type in `dir` and compares the dumps.
fn assert_same_dump_of_damaged(path: &Path, dir: &Path, first_number: u64) {
    let data = std::fs::read(path).unwrap();
    let name = path.file_name().unwrap().to_str().unwrap();
    for (i, (what, damaged)) in damaged_variants(&data).into_iter().enumerate() {
        let number = first_number + i as u64;
        let new_name = if name.starts_with("MANIFEST-") {
            format!("MANIFEST-{number:06}")
        } else {
            let ext = name.rsplit('.').next().unwrap();
            format!("{number:06}.{ext}")
        };
        let target = dir.join(new_name);
        std::fs::write(&target, &damaged).unwrap();
        if let Some(difference) = dump_difference(&[&target]) {
            panic!("{name} with {what}: {difference}");
        }
        std::fs::remove_file(&target).unwrap();
    }
}

#[test]
fn golden_files_dump_identically() {
    for case in GOLDEN_CASES {
        let dir = copy_golden(case);
        let files = dumpable_files(dir.path());
        assert!(
            files
                .iter()
                .any(|f| f.to_str().unwrap().contains("MANIFEST-")),
            "{case}: no MANIFEST"
        );
        for file in &files {
            assert_same_dump(&[file]);
        }
    }
}

#[test]
fn damaged_golden_files_dump_identically() {
    // One of each kind is enough to reach every error path; the big files
    // would only add time. The generated cases' file numbers depend on
    // LevelDB's background timing, so files are picked by kind: for each
    // case, the newest file of every kind listed.
    for (case, kinds) in [
        ("log-only", &[".log", "MANIFEST-"][..]),
        ("nocompress-smallblocks", &[".ldb"][..]),
        ("levels-snappy-bloom", &[".ldb", "MANIFEST-"][..]),
    ] {
        let dir = copy_golden(case);
        let files = dumpable_files(dir.path());
        let scratch = tempfile::tempdir().unwrap();
        for kind in kinds {
            let newest = files
                .iter()
                .filter(|f| {
                    let name = f.file_name().unwrap().to_str().unwrap();
                    name.ends_with(kind) || name.starts_with(kind)
                })
                .max()
                .unwrap_or_else(|| panic!("{case}: no {kind} file"));
            assert_same_dump_of_damaged(newest, scratch.path(), 900_000);
        }
    }
}

/// A batch's raw representation with the given header and body.
fn raw_batch(sequence: u64, count: u32, body: &[u8]) -> Vec<u8> {
    let mut rep = sequence.to_le_bytes().to_vec();
    rep.extend_from_slice(&count.to_le_bytes());
    rep.extend_from_slice(body);
    rep
}

fn write_log(env: &dyn Env, path: &str, records: &[Vec<u8>]) {
    let mut writer = Writer::new(env.new_writable_file(path).unwrap());
    for r in records {
        writer.add_record(r).unwrap();
    }
    writer.file_mut().close().unwrap();
}

fn our_log_records() -> Vec<Vec<u8>> {
    let mut records = Vec::new();
    let mut b = WriteBatch::new();
    b.set_sequence(1);
    b.put(b"key", b"value");
    records.push(b.contents().to_vec());

    let mut b = WriteBatch::new();
    b.set_sequence(2);
    b.put(b"", b"");
    let every_byte: Vec<u8> = (0..=255u8).collect();
    b.put(b"\x00\xff\x7f ~'\\", &every_byte);
    b.delete(b"key");
    b.delete(b"");
    records.push(b.contents().to_vec());

    // Empty batch (exactly the header), and records too small to be one.
    records.push(WriteBatch::new().contents().to_vec());
    records.push(Vec::new());
    records.push(b"short".to_vec());
    records.push(vec![0u8; 11]);

    // A batch spanning several 32 KiB blocks.
    let mut b = WriteBatch::new();
    b.set_sequence(u64::MAX >> 8);
    b.put(b"big", &vec![b'x'; 100_000]);
    records.push(b.contents().to_vec());

    // Malformed batches: wrong count (ops printed first), unknown tag,
    // truncated Put and Delete.
    let mut good = WriteBatch::new();
    good.put(b"a", b"1");
    let ops = good.contents()[12..].to_vec();
    records.push(raw_batch(10, 3, &ops));
    records.push(raw_batch(11, 1, &[7, 1, b'a']));
    records.push(raw_batch(12, 1, &[1, 5, b'a']));
    records.push(raw_batch(13, 1, &[0, 9]));
    records.push(raw_batch(14, 0, &ops));
    records
}

fn our_manifest_records() -> Vec<Vec<u8>> {
    let mut records = Vec::new();
    let mut e = VersionEdit::new();
    e.set_comparator_name("leveldb.BytewiseComparator");
    e.set_log_number(0);
    e.set_next_file(2);
    e.set_last_sequence(0);
    records.push(e.encode());

    let mut e = VersionEdit::new();
    e.set_log_number(12);
    e.set_prev_log_number(0);
    e.set_next_file(15);
    e.set_last_sequence(1 << 40);
    e.set_compact_pointer(1, &internal_key(b"m\x00id", 77, ValueType::Value));
    e.remove_file(2, 9);
    e.remove_file(0, 11);
    e.add_file(
        1,
        13,
        123_456,
        &internal_key(b"a", 5, ValueType::Value),
        &internal_key(b"z\xff", 6, ValueType::Deletion),
    );
    // A key that is not a valid internal key prints as "(bad)...".
    e.add_file(6, 14, 1, b"\x01bad", b"\x02\x03");
    records.push(e.encode());

    // An empty edit, and records that fail to decode.
    records.push(Vec::new());
    records.push(vec![8, 0]);
    records.push(vec![7, 0, 1]);
    records.push(vec![2, 1, 0x80]);
    records
}

/// Builds a table of `entries` (already in order) with `options`.
fn write_table(env: &dyn Env, path: &str, options: &Options, entries: &[(Vec<u8>, Vec<u8>)]) {
    let mut builder = TableBuilder::new(
        &options.table_options(),
        env.new_writable_file(path).unwrap(),
    );
    for (k, v) in entries {
        builder.add(k, v);
    }
    builder.finish().unwrap();
    builder.file_mut().sync().unwrap();
    builder.file_mut().close().unwrap();
}

fn db_table_options(compression: CompressionType, block_size: usize, restart: usize) -> Options {
    Options {
        comparator: Arc::new(InternalKeyComparator::new(bytewise())),
        filter_policy: Some(Arc::new(InternalFilterPolicy::new(Arc::new(
            BloomFilterPolicy::new(10),
        )))),
        compression,
        block_size,
        block_restart_interval: restart,
        ..Options::default()
    }
}

/// DB-style table entries: internal keys, both types, binary user keys.
fn db_entries() -> Vec<(Vec<u8>, Vec<u8>)> {
    (0..2000u32)
        .map(|i| {
            let user = format!("user{:05}\x01", i / 2);
            let seq = 10_000 - u64::from(i % 2);
            let t = if i % 7 == 3 {
                ValueType::Deletion
            } else {
                ValueType::Value
            };
            let value = if t == ValueType::Deletion {
                Vec::new()
            } else {
                format!("{i:08}").repeat((i % 13) as usize).into_bytes()
            };
            (internal_key(user.as_bytes(), seq, t), value)
        })
        .collect()
}

/// Writes logs, MANIFESTs and tables with our own writers into `dir`.
fn write_our_files(dir: &str) {
    let env = default_env();
    write_log(&*env, &format!("{dir}/000007.log"), &our_log_records());
    write_log(&*env, &format!("{dir}/000008.log"), &[]);
    write_log(
        &*env,
        &format!("{dir}/MANIFEST-000005"),
        &our_manifest_records(),
    );

    let entries = db_entries();
    write_table(
        &*env,
        &format!("{dir}/000010.ldb"),
        &db_table_options(CompressionType::Snappy, 1024, 16),
        &entries,
    );
    write_table(
        &*env,
        &format!("{dir}/000011.sst"),
        &db_table_options(CompressionType::None, 4096, 1),
        &entries,
    );
    write_table(
        &*env,
        &format!("{dir}/000012.ldb"),
        &db_table_options(CompressionType::Snappy, 4096, 16),
        &[],
    );
    // Keys that are not internal keys: too short, or a type byte past 1.
    let bad: Vec<(Vec<u8>, Vec<u8>)> = vec![
        (b"".to_vec(), b"empty key".to_vec()),
        (b"short".to_vec(), b"v".to_vec()),
        (internal_key(b"ok", 1, ValueType::Value), b"fine".to_vec()),
        (
            b"type2\x02\x01\x00\x00\x00\x00\x00\x00".to_vec(),
            b"\x00\xff".to_vec(),
        ),
    ];
    let bytewise_options = Options {
        compression: CompressionType::None,
        ..Options::default()
    };
    write_table(&*env, &format!("{dir}/000013.ldb"), &bytewise_options, &bad);
}

/// A zstd table, which LevelDB 1.23 cannot read, dumps as its contents
/// (LevelDB's later releases read it through `Table` like any other):
/// exactly what LevelDB 1.23 prints for the same entries stored without
/// compression.
#[test]
fn zstd_tables_dump_as_their_contents() {
    let dir = tempfile::tempdir().unwrap();
    let env = default_env();
    let path = |name: &str| dir.path().join(name);
    let entries = db_entries();
    let mut zstd = db_table_options(CompressionType::Zstd, 1024, 16);
    zstd.zstd_compression_level = 5;
    write_table(&*env, path("000020.ldb").to_str().unwrap(), &zstd, &entries);
    let plain = db_table_options(CompressionType::None, 1024, 16);
    write_table(
        &*env,
        path("000021.ldb").to_str().unwrap(),
        &plain,
        &entries,
    );
    let (zstd_size, plain_size) = (
        std::fs::metadata(path("000020.ldb")).unwrap().len(),
        std::fs::metadata(path("000021.ldb")).unwrap().len(),
    );
    assert!(zstd_size < plain_size / 3, "{zstd_size} vs {plain_size}");

    let ours = dump_ours(&[&path("000020.ldb")]);
    let reference = run_reference(&[&path("000021.ldb")]);
    assert!(ours.status.success() && reference.status.success());
    assert!(ours.stdout.len() > 50_000);
    assert!(ours.stdout == reference.stdout, "zstd dump differs");
    assert_eq!(ours.stderr, reference.stderr);

    // LevelDB 1.23 itself stops at the first zstd block.
    let by_leveldb = run_reference(&[&path("000020.ldb")]);
    let text = String::from_utf8_lossy(&by_leveldb.stdout).to_string()
        + &String::from_utf8_lossy(&by_leveldb.stderr);
    assert!(text.contains("Corruption: bad block type"), "{text}");
}

#[test]
fn files_from_our_writers_dump_identically() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().to_str().unwrap();
    write_our_files(db);
    let files = dumpable_files(dir.path());
    assert_eq!(files.len(), 7);
    for file in &files {
        assert_same_dump(&[file]);
    }
    // All in one run too: output concatenates in argument order.
    let all: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    assert_same_dump(&all);
}

/// A database written by our engine: a MANIFEST with many edits, tables on
/// several levels (snappy, bloom filter), a live log with puts, deletes and
/// batches.
#[test]
fn files_of_a_database_we_wrote_dump_identically() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("db");
    let db_name = db_path.to_str().unwrap();
    let options = Options {
        create_if_missing: true,
        write_buffer_size: 64 << 10,
        filter_policy: Some(Arc::new(BloomFilterPolicy::new(10))),
        ..Options::default()
    };
    {
        let db = DB::open(options, db_name).unwrap();
        let w = WriteOptions::default();
        for i in 0..3000u32 {
            let key = format!("key{:06}", (i * 7919) % 2000);
            let value = format!("{i:}-").repeat(1 + (i % 40) as usize);
            db.put(&w, key.as_bytes(), value.as_bytes()).unwrap();
            if i % 11 == 0 {
                db.delete(&w, format!("key{:06}", i % 2000).as_bytes())
                    .unwrap();
            }
            if i == 1500 {
                db.compact_range(None, None).unwrap();
            }
        }
        let mut batch = WriteBatch::new();
        batch.put(b"\x00binary\xff", b"");
        batch.delete(b"key000001");
        db.write(&w, &batch).unwrap();
    }
    let files = dumpable_files(&db_path);
    for kind in [".log", ".ldb", "MANIFEST-"] {
        assert!(
            files.iter().any(|f| f.to_str().unwrap().contains(kind)),
            "no {kind} file in {files:?}"
        );
    }
    for file in &files {
        assert_same_dump(&[file]);
    }
}

#[test]
fn damaged_files_from_our_writers_dump_identically() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().to_str().unwrap();
    write_our_files(db);
    let scratch = tempfile::tempdir().unwrap();
    for name in ["000007.log", "MANIFEST-000005", "000010.ldb", "000011.sst"] {
        assert_same_dump_of_damaged(&dir.path().join(name), scratch.path(), 800_000);
    }
}

#[test]
fn errors_and_exit_codes_match() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("LOCK"), b"").unwrap();
    std::fs::write(d.join("CURRENT"), b"MANIFEST-000001\n").unwrap();
    std::fs::write(d.join("notes.txt"), b"hello").unwrap();
    std::fs::write(d.join("000001.dbtmp"), b"").unwrap();
    std::fs::write(d.join("000002.ldb"), b"too short").unwrap();
    std::fs::write(d.join("000003.ldb"), vec![0u8; 100]).unwrap();
    std::fs::write(d.join("000004.log"), b"").unwrap();
    let cases = [
        "LOCK",
        "CURRENT",
        "LOG",
        "notes.txt",
        "x.log",
        "000001.dbtmp",
        "000002.ldb",
        "000003.ldb",
        "000004.log",
        "000099.log",
        "MANIFEST-000099",
        "000099.ldb",
    ];
    for name in cases {
        assert_same_dump(&[&d.join(name)]);
    }
    // A mix: the good files still dump, errors go to stderr, exit 1.
    let mixed: Vec<PathBuf> = ["000004.log", "LOCK", "000099.ldb", "000004.log"]
        .iter()
        .map(|n| d.join(n))
        .collect();
    let mixed: Vec<&Path> = mixed.iter().map(PathBuf::as_path).collect();
    assert_same_dump(&mixed);
    let out = dump_ours(&mixed);
    assert_eq!(out.status.code(), Some(1));
    // Base names without a directory work too.
    let out = Command::new(env!("CARGO_BIN_EXE_leveldbutil"))
        .args(["dump", "000004.log"])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(out.status.success() && out.stdout.is_empty());
}

#[test]
fn usage_and_exit_codes() {
    for args in [
        &[][..],
        &["list"][..],
        &["Dump", "x"][..],
        &["--bogus", "dump"][..],
    ] {
        let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_ref()).collect();
        let out = run_ours(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(out.stdout.is_empty());
        assert_eq!(String::from_utf8_lossy(&out.stderr), USAGE);
    }
    // `dump` with no files has nothing to fail.
    let out = run_ours(&["dump".as_ref()]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
    // A file name starting with '-' is a file, as in LevelDB.
    let dir = tempfile::tempdir().unwrap();
    let name = "-000004.log";
    std::fs::write(dir.path().join(name), b"").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_leveldbutil"))
        .args(["dump", name])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let reference = Command::new(reference_tool())
        .arg(name)
        .current_dir(dir.path())
        .env_remove("LD_LIBRARY_PATH")
        .output()
        .unwrap();
    assert_eq!(
        (out.stdout, out.stderr, out.status.code()),
        (reference.stdout, reference.stderr, reference.status.code())
    );
}
