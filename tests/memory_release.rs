//! Closing a database gives the heap memory it freed back to the operating
//! system (not in LevelDB 1.23, where a process keeps the resident set its
//! largest database reached). Alone in its own test binary, so no other
//! test's allocations move the process's resident set meanwhile.

#![cfg(all(target_os = "linux", target_env = "gnu"))]

use leveldb::{Options, WriteOptions, DB};

/// The process's resident anonymous memory, KiB (/proc/self/status).
fn rss_anon_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("RssAnon:"))
        .expect("RssAnon in /proc/self/status");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn closing_a_database_returns_its_memtables_memory() {
    let dir = tempfile::tempdir().unwrap();
    let before_open = rss_anon_kib();
    let db = DB::open(
        Options {
            create_if_missing: true,
            // Big memtables, so that what they hold dwarfs the noise.
            write_buffer_size: 48 << 20,
            ..Default::default()
        },
        dir.path(),
    )
    .unwrap();
    let value = vec![b'v'; 1000];
    // 40 MiB: all of it in the memtable's 4 KiB arena blocks on the heap.
    for i in 0..40_000u32 {
        db.put(
            &WriteOptions::default(),
            format!("key{i:08}").as_bytes(),
            &value,
        )
        .unwrap();
    }
    let open = rss_anon_kib();
    assert!(
        open > before_open + 30_000,
        "the memtable should be resident: {before_open} KiB before, {open} KiB open"
    );
    drop(db);
    let closed = rss_anon_kib();
    let held = open - before_open;
    assert!(
        closed < before_open + held / 4,
        "{before_open} KiB before open, {open} KiB open, {closed} KiB after close"
    );
}
