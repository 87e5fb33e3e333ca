//! A whole database made from the input, opened and fully read.
//!
//! Input: one mode byte, then up to four files separated by [`SEPARATOR`]:
//! CURRENT, MANIFEST-000001, 000002.log and 000003.ldb (a missing part
//! means a missing file). Mode bits: 0 paranoid checks, 1 verify
//! checksums on reads, 2 a bloom filter policy, 3 `reuse_logs`, 4 a manual
//! compaction of everything after the first read, 5 a 4 KiB block cache,
//! 6 the smallest write buffer (recovery flushes more often).
//! Properties: no panic (in the caller's thread or in background work),
//! no endless iteration; an open that succeeds leaves a database that,
//! after one acknowledged write and a close, opens again and holds that
//! write.

use std::sync::Arc;

use leveldb::env::mem::MemEnv;
use leveldb::env::{write_string_to_file, Env};
use leveldb::{
    BlockCache, BloomFilterPolicy, Iterator as _, Options, ReadOptions, WriteOptions, DB,
};

use super::common::{split, walk};

/// Between the files of an input.
pub const SEPARATOR: &[u8] = b"\n--file--\n";
/// The files an input holds, in order.
pub const FILES: [&str; 4] = ["CURRENT", "MANIFEST-000001", "000002.log", "000003.ldb"];

const DB_NAME: &str = "/db";
/// The key written after the first open and read after the reopen.
const MARKER: &[u8] = b"\xfe\xfefuzz-marker";

/// Joins files into one input with `mode` (the inverse of the split).
pub fn join(mode: u8, files: &[&[u8]]) -> Vec<u8> {
    let mut out = vec![mode];
    for (i, f) in files.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(SEPARATOR);
        }
        out.extend_from_slice(f);
    }
    out
}

fn options(mode: u8, env: &Arc<MemEnv>) -> Options {
    Options {
        env: Arc::clone(env) as Arc<dyn Env>,
        paranoid_checks: mode & 1 != 0,
        filter_policy: (mode & 4 != 0).then(|| Arc::new(BloomFilterPolicy::new(10)) as _),
        reuse_logs: mode & 8 != 0,
        block_cache: (mode & 32 != 0).then(|| Arc::new(BlockCache::new(4 << 10))),
        write_buffer_size: if mode & 64 != 0 { 64 << 10 } else { 4 << 20 },
        ..Options::default()
    }
}

/// Reads everything: both directions, point reads of what was seen,
/// properties and sizes. Returns whether the forward walk ended cleanly.
fn read_all(db: &DB, mode: u8, limit: usize) -> bool {
    let read = ReadOptions {
        verify_checksums: mode & 2 != 0,
        ..ReadOptions::new()
    };
    let mut it = db.iter(&read);
    let (forward, ok) = walk(&mut it, true, limit);
    let _ = walk(&mut it, false, limit);
    for (k, _) in forward.iter().take(64) {
        it.seek(k);
        let _ = db.get(&read, k);
    }
    drop(it);
    for p in [
        "leveldb.stats",
        "leveldb.sstables",
        "leveldb.approximate-memory-usage",
    ] {
        let _ = db.property(p);
    }
    let _ = db.approximate_sizes(&[(b"", b"\xff\xff\xff\xff")]);
    ok
}

pub fn run(input: &[u8]) {
    let Some((&mode, rest)) = input.split_first() else {
        return;
    };
    let env = MemEnv::new();
    for (name, bytes) in FILES.iter().zip(split(rest, SEPARATOR, FILES.len())) {
        write_string_to_file(&*env, bytes, &format!("{DB_NAME}/{name}"), false).unwrap();
    }
    // Entries come from the log and one table: each takes a few bytes.
    let limit = rest.len().saturating_mul(4) + 16;
    let Ok(db) = DB::open(options(mode, &env), DB_NAME) else {
        return;
    };
    read_all(&db, mode, limit);
    if mode & 16 != 0 {
        let _ = db.compact_range(None, None);
        read_all(&db, mode, limit);
    }
    // An acknowledged write must survive a close and reopen (unless the
    // database refused it, e.g. after a background error).
    let acknowledged = db
        .put(&WriteOptions { sync: true }, MARKER, b"acknowledged")
        .is_ok();
    drop(db);
    let db = match DB::open(options(mode, &env), DB_NAME) {
        Ok(db) => db,
        Err(e) => panic!("a database that opened does not reopen: {e}"),
    };
    read_all(&db, mode, limit);
    if acknowledged {
        let got = db.get(&ReadOptions::new(), MARKER);
        assert!(
            matches!(&got, Ok(Some(v)) if v == b"acknowledged"),
            "an acknowledged write is lost across a reopen: {got:?}"
        );
    }
}
