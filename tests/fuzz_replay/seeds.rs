//! Builds the seed corpora of `fuzz/seeds/<target>/` from the golden
//! databases of LevelDB 1.23 and (re)writes the LevelDB-history inputs of
//! `fuzz/regressions/<target>/` (other regressions there are kept). Run
//! by hand (an ignored test); the files are committed, so nothing here
//! runs in CI.
//!
//! Invariant: the output is small (each target's corpus stays under about
//! 300 KB and 50 files) and deterministic: real blocks, tables, records and
//! logs of LevelDB 1.23 (cut down where whole files are large), plus small
//! tables and databases rebuilt by Strata from the golden entries (tables
//! with zstd blocks among them, which LevelDB 1.23 cannot write).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use leveldb::env::{default_env, RandomAccessFile};
use leveldb::key::InternalKeyComparator;
use leveldb::log::{Reader, Writer};
use leveldb::table::block_builder::BlockBuilder;
use leveldb::table::format::{
    read_block, BlockHandle, CompressionType, Footer, FOOTER_ENCODED_LENGTH,
};
use leveldb::table::{BlockReadOptions, InternalFilterPolicy, Table, TableBuilder, TableOptions};
use leveldb::util::comparator::bytewise;
use leveldb::version::edit::VersionEdit;
use leveldb::{BloomFilterPolicy, FilterPolicy, Iterator as _};

use crate::bodies::common::{walk, Bytes, Entry, Sink};
use crate::bodies::{current, db, history};

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The raw (uncompressed) blocks of a golden table: (index, metaindex,
/// filter if any, data blocks in order).
struct Blocks {
    index: Vec<u8>,
    metaindex: Vec<u8>,
    filter: Option<Vec<u8>>,
    data: Vec<Vec<u8>>,
}

fn blocks(file: &[u8], max_data: usize) -> Blocks {
    let f = Bytes {
        data: file.to_vec(),
        mapped: false,
    };
    let size = file.len() as u64;
    let footer = Footer::decode(&file[file.len() - FOOTER_ENCODED_LENGTH..]).unwrap();
    let index = read_block(&f, size, true, &footer.index_handle).unwrap();
    let metaindex = read_block(&f, size, true, &footer.metaindex_handle).unwrap();
    let meta = Arc::new(leveldb::table::Block::new(metaindex.clone()));
    let mut it = meta.iter(bytewise());
    it.seek_to_first();
    let filter = it.valid().then(|| {
        read_block(
            &f,
            size,
            true,
            &BlockHandle::decode_from(&mut it.value()).unwrap(),
        )
        .unwrap()
    });
    let idx = Arc::new(leveldb::table::Block::new(index.clone()));
    let mut it = idx.iter(bytewise());
    it.seek_to_first();
    let mut data = Vec::new();
    while it.valid() && data.len() < max_data {
        let h = BlockHandle::decode_from(&mut it.value()).unwrap();
        data.push(read_block(&f, size, true, &h).unwrap());
        it.next();
    }
    Blocks {
        index,
        metaindex,
        filter,
        data,
    }
}

/// The first `n` entries of a golden table (internal keys).
fn entries(file: &[u8], n: usize) -> Vec<Entry> {
    let size = file.len() as u64;
    let f: Arc<dyn RandomAccessFile> = Arc::new(Bytes {
        data: file.to_vec(),
        mapped: false,
    });
    let table = Table::open(&TableOptions::default(), f, size).unwrap();
    let (all, ok) = walk(
        &mut *table.iter(&BlockReadOptions::default()),
        true,
        usize::MAX,
    );
    assert!(ok);
    all.into_iter().take(n).collect()
}

fn internal_options(filter: bool, compression: CompressionType, block_size: usize) -> TableOptions {
    let icmp = InternalKeyComparator::new(bytewise());
    TableOptions {
        comparator: Arc::new(icmp),
        filter_policy: filter.then(|| {
            Arc::new(InternalFilterPolicy::new(Arc::new(BloomFilterPolicy::new(
                10,
            )))) as Arc<dyn FilterPolicy>
        }),
        block_size,
        block_restart_interval: 4,
        compression,
        ..TableOptions::default()
    }
}

fn build_table(options: &TableOptions, entries: &[Entry]) -> Vec<u8> {
    let out = Arc::new(Mutex::new(Vec::new()));
    let mut b = TableBuilder::new(options, Box::new(Sink(Arc::clone(&out))));
    for (k, v) in entries {
        b.add(k, v);
    }
    b.finish().unwrap();
    drop(b);
    let bytes = out.lock().unwrap().clone();
    bytes
}

/// The records of a log file, at most `n` of at most `max_len` bytes.
fn records(path: &Path, n: usize, max_len: usize) -> Vec<Vec<u8>> {
    let file = default_env()
        .new_sequential_file(path.to_str().unwrap())
        .unwrap();
    let mut reader = Reader::new(file, None, true, 0);
    let mut out = Vec::new();
    let mut rec = Vec::new();
    while out.len() < n && reader.read_record(&mut rec) {
        if rec.len() <= max_len {
            out.push(rec.clone());
        }
    }
    out
}

fn log_of(records: &[Vec<u8>]) -> Vec<u8> {
    let out = Arc::new(Mutex::new(Vec::new()));
    let mut w = Writer::new(Box::new(Sink(Arc::clone(&out))));
    for r in records {
        w.add_record(r).unwrap();
    }
    drop(w);
    let bytes = out.lock().unwrap().clone();
    bytes
}

fn with_mode(mode: u8, data: &[u8]) -> Vec<u8> {
    let mut v = vec![mode];
    v.extend_from_slice(data);
    v
}

/// A MANIFEST for the `db` target's layout: log 2, next file 4, and table
/// 3 at `level` when given (size, smallest, largest).
fn manifest(last_sequence: u64, table: Option<(usize, u64, &[u8], &[u8])>) -> Vec<u8> {
    let mut edit = VersionEdit::new();
    edit.set_comparator_name("leveldb.BytewiseComparator");
    edit.set_log_number(2);
    edit.set_next_file(4);
    edit.set_last_sequence(last_sequence);
    if let Some((level, size, smallest, largest)) = table {
        edit.add_file(level, 3, size, smallest, largest);
    }
    log_of(&[edit.encode()])
}

struct Out<'a> {
    root: &'a Path,
    total: usize,
}

impl Out<'_> {
    fn put(&mut self, kind: &str, target: &str, name: &str, bytes: &[u8]) {
        let dir = self.root.join(kind).join(target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), bytes).unwrap();
        self.total += bytes.len();
    }
}

/// `case_dir` names the folder of a golden case (`support::golden_case`).
pub fn generate(case_dir: &dyn Fn(&str) -> PathBuf, fuzz: &Path) {
    // Regressions found by fuzzing are kept; only the seeds are rebuilt.
    let _ = std::fs::remove_dir_all(fuzz.join("seeds"));
    let mut out = Out {
        root: fuzz,
        total: 0,
    };
    // Files are named by kind, not number: the larger cases are written
    // afresh by LevelDB 1.23 on each machine. `*.ldb` is the largest table,
    // `*.log` the newest log, `MANIFEST` the MANIFEST.
    let g = |case: &str, file: &str| pick(&case_dir(case).join("db"), file);
    let snappy_table = read(&g("levels-snappy-bloom", "*.ldb"));
    let plain_table = read(&g("nocompress-smallblocks", "*.ldb"));
    let reverse_table = read(&g("reverse-comparator", "*.ldb"));

    // block: real blocks of LevelDB 1.23 tables.
    let b = blocks(&snappy_table, 3);
    out.put("seeds", "block", "snappy-index", &with_mode(1, &b.index));
    out.put(
        "seeds",
        "block",
        "snappy-metaindex",
        &with_mode(0, &b.metaindex),
    );
    out.put(
        "seeds",
        "block",
        "bloom-filter",
        &with_mode(0, b.filter.as_ref().unwrap()),
    );
    for (i, d) in b.data.iter().enumerate() {
        out.put(
            "seeds",
            "block",
            &format!("snappy-data-{i}"),
            &with_mode(1 | (i as u8) << 2, d),
        );
    }
    let b = blocks(&plain_table, 3);
    for (i, d) in b.data.iter().enumerate() {
        out.put(
            "seeds",
            "block",
            &format!("restart4-data-{i}"),
            &with_mode(1 | 6, d),
        );
    }
    let b = blocks(&reverse_table, 1);
    out.put(
        "seeds",
        "block",
        "reverse-data-0",
        &with_mode(0, &b.data[0]),
    );
    out.put(
        "seeds",
        "block",
        "empty",
        &with_mode(0, BlockBuilder::new(16).finish()),
    );

    // table: a real snappy+bloom table, small rebuilt ones, an empty one.
    out.put(
        "seeds",
        "table",
        "golden-snappy-bloom",
        &with_mode(4 | 8 | 64, &snappy_table),
    );
    out.put(
        "seeds",
        "table",
        "golden-snappy-bloom-mapped-paranoid",
        &with_mode(1 | 2 | 4 | 8 | 32, &snappy_table),
    );
    let small = entries(&plain_table, 40);
    let plain = build_table(&internal_options(true, CompressionType::None, 1024), &small);
    out.put(
        "seeds",
        "table",
        "rebuilt-plain-bloom",
        &with_mode(4 | 8 | 16, &plain),
    );
    let snappy = build_table(
        &internal_options(false, CompressionType::Snappy, 512),
        &small[..20],
    );
    out.put(
        "seeds",
        "table",
        "rebuilt-snappy",
        &with_mode(8 | 64 | 2, &snappy),
    );
    // Zstd blocks (type 2): data, index and metaindex blocks as LevelDB's
    // later releases write them; read mapped and with checksums too.
    let zstd = build_table(&internal_options(true, CompressionType::Zstd, 512), &small);
    out.put(
        "seeds",
        "table",
        "rebuilt-zstd-bloom",
        &with_mode(4 | 8 | 128, &zstd),
    );
    out.put(
        "seeds",
        "table",
        "rebuilt-zstd-mapped-verified",
        &with_mode(1 | 2 | 8 | 32 | 128, &zstd),
    );
    let bytewise_small: Vec<Entry> = small[..10].to_vec();
    let bw = build_table(
        &TableOptions {
            block_size: 256,
            compression: CompressionType::None,
            ..TableOptions::default()
        },
        &bytewise_small,
    );
    out.put("seeds", "table", "rebuilt-bytewise", &with_mode(0, &bw));
    out.put(
        "seeds",
        "table",
        "empty",
        &with_mode(
            8,
            &build_table(&internal_options(true, CompressionType::None, 1024), &[]),
        ),
    );
    out.put(
        "regressions",
        "table",
        "leveldb-1318-huge-data-block",
        &history::issue_1318_table(),
    );
    out.put(
        "regressions",
        "table",
        "leveldb-1310-wrapping-block-size",
        &history::issue_1310_table(),
    );

    // version_edit and manifest: the golden MANIFESTs and their records.
    let mut edits = Vec::new();
    for case in [
        "levels-snappy-bloom",
        "nocompress-smallblocks",
        "reverse-comparator",
        "log-only",
    ] {
        let path = g(case, "MANIFEST");
        let bytes = read(&path);
        out.put(
            "seeds",
            "manifest",
            &format!("golden-{case}"),
            &with_mode(0, &bytes),
        );
        edits.extend(records(&path, 1000, 4096));
    }
    out.put(
        "seeds",
        "manifest",
        "golden-nocompress-reuse",
        &with_mode(1, &read(&g("nocompress-smallblocks", "MANIFEST"))),
    );
    edits.sort();
    edits.dedup();
    let step = edits.len().div_ceil(30).max(1);
    for (i, e) in edits.iter().step_by(step).enumerate() {
        out.put("seeds", "version_edit", &format!("golden-{i:02}"), e);
    }
    out.put(
        "regressions",
        "version_edit",
        "leveldb-1311-short-key",
        &history::issue_1311_edit(),
    );
    out.put(
        "regressions",
        "manifest",
        "leveldb-1311-short-key",
        &history::issue_1311_manifest(),
    );

    // log_reader: golden logs (cut to a few blocks), in each mode.
    let levels_log = read(&g("levels-snappy-bloom", "*.log"));
    let reverse_log = read(&g("reverse-comparator", "*.log"));
    let only_log = read(&g("log-only", "*.log"));
    let big_log = read(&g("big-values", "*.log"));
    out.put("seeds", "log_reader", "levels", &with_mode(0, &levels_log));
    out.put(
        "seeds",
        "log_reader",
        "reverse",
        &with_mode(0, &reverse_log),
    );
    out.put(
        "seeds",
        "log_reader",
        "log-only-40k",
        &with_mode(0, &only_log[..40 << 10]),
    );
    out.put(
        "seeds",
        "log_reader",
        "big-values-70k",
        &with_mode(0, &big_log[..70 << 10]),
    );
    out.put(
        "seeds",
        "log_reader",
        "levels-nochecksum",
        &with_mode(1, &levels_log),
    );
    let mut offset = vec![2, 0x10, 0x00, 0x00];
    offset.extend_from_slice(&levels_log);
    out.put("seeds", "log_reader", "levels-offset", &offset);
    out.put(
        "seeds",
        "log_reader",
        "manifest-shortreads",
        &with_mode(4 | 7 << 3, &read(&g("reverse-comparator", "MANIFEST"))),
    );

    // write_batch: records of the golden logs.
    let mut batches = records(&g("log-only", "*.log"), 12, 8192);
    batches.extend(records(&g("levels-snappy-bloom", "*.log"), 6, 8192));
    batches.extend(records(&g("reverse-comparator", "*.log"), 4, 8192));
    for (i, r) in batches.iter().enumerate() {
        out.put("seeds", "write_batch", &format!("golden-{i:02}"), r);
    }

    // current: the right name and near misses.
    let valid = current::valid_current();
    out.put("seeds", "current", "valid", &valid);
    out.put("seeds", "current", "no-newline", &valid[..valid.len() - 1]);
    out.put(
        "seeds",
        "current",
        "golden",
        &read(&g("log-only", "CURRENT")),
    );
    out.put("seeds", "current", "empty", b"");
    out.put(
        "seeds",
        "current",
        "crlf",
        &[&valid[..valid.len() - 1], b"\r\n"].concat(),
    );

    // db: small databases in the target's layout.
    let only_records = records(&g("log-only", "*.log"), 30, 4096);
    out.put(
        "seeds",
        "db",
        "log-only",
        &db::join(
            0,
            &[
                b"MANIFEST-000001\n",
                &manifest(0, None),
                &log_of(&only_records),
            ],
        ),
    );
    let table = build_table(
        &internal_options(true, CompressionType::Snappy, 1024),
        &small,
    );
    let (smallest, largest) = (&small[0].0, &small[small.len() - 1].0);
    let levels_records = records(&g("levels-snappy-bloom", "*.log"), 8, 4096);
    let m = manifest(60_000, Some((1, table.len() as u64, smallest, largest)));
    let files: [&[u8]; 4] = [b"MANIFEST-000001\n", &m, &log_of(&levels_records), &table];
    out.put("seeds", "db", "table-and-log", &db::join(4, &files));
    out.put(
        "seeds",
        "db",
        "table-and-log-paranoid-compact",
        &db::join(1 | 2 | 4 | 16 | 32, &files),
    );
    let m0 = manifest(60_000, Some((0, table.len() as u64, smallest, largest)));
    out.put(
        "seeds",
        "db",
        "level0-table-small-buffer",
        &db::join(8 | 64, &[b"MANIFEST-000001\n", &m0, b"", &table]),
    );
    let rev = read(&g("reverse-comparator", "MANIFEST"));
    out.put(
        "seeds",
        "db",
        "wrong-comparator",
        &db::join(0, &[b"MANIFEST-000001\n", &rev]),
    );
    out.put(
        "regressions",
        "db",
        "leveldb-1311-short-key",
        &history::issue_1311_db(),
    );
    out.put(
        "regressions",
        "db",
        "leveldb-1318-huge-data-block",
        &history::issue_1318_db(),
    );
    eprintln!("wrote {} bytes of seeds", out.total);
}

/// The file of `dir` that `kind` names: `CURRENT`, `MANIFEST` (the one
/// there is), `*.ldb` (the largest table) or `*.log` (the newest log).
fn pick(dir: &Path, kind: &str) -> PathBuf {
    if kind == "CURRENT" {
        return dir.join(kind);
    }
    let mut names: Vec<(u64, u64, PathBuf)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            match kind {
                "MANIFEST" => name.starts_with("MANIFEST-"),
                "*.ldb" => name.ends_with(".ldb"),
                _ => name.ends_with(".log"),
            }
        })
        .map(|p| {
            let size = std::fs::metadata(&p).unwrap().len();
            let name = p.file_name().unwrap().to_str().unwrap().to_string();
            let digits: String = name.chars().filter(char::is_ascii_digit).collect();
            (size, digits.parse().unwrap_or(0), p)
        })
        .collect();
    match kind {
        "*.ldb" => names.sort_by_key(|n| n.0),
        _ => names.sort_by_key(|n| n.1),
    }
    names
        .pop()
        .unwrap_or_else(|| panic!("no {kind} in {}", dir.display()))
        .2
}
