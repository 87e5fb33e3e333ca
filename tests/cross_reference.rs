//! Cross-checks against the reference LevelDB 1.23 (libleveldb-dev), always
//! in a separate process: a database written by us (several flushes,
//! level-0 tables, a live log, deletions, values up to 1 MiB) is read
//! completely by a C program linked to the reference library
//! (`tests/refprog`), and a database written by that program opens in ours
//! with every entry.

#![allow(clippy::field_reassign_with_default)]

mod refprog;

use std::collections::BTreeMap;
use std::path::Path;

use leveldb::{Options, ReadOptions, WriteBatch, WriteOptions, DB};

use refprog::{copy_dir, dump, scan};

#[test]
fn reference_reads_what_we_write() {
    let dir = tempfile::tempdir().unwrap();
    let name = dir.path().join("ours").to_str().unwrap().to_string();
    let mut model = BTreeMap::new();
    {
        let mut o = Options::default();
        o.create_if_missing = true;
        o.write_buffer_size = 64 << 10;
        let db = DB::open(o, &name).unwrap();
        let wo = WriteOptions::default();
        for i in 0..5000u32 {
            let k = format!("key{:06}", (i * 7919) % 5000).into_bytes();
            let len = match i % 1000 {
                0 => 1 << 20, // 1 MiB
                500 => 300_000,
                _ => ((i * 131) % 900) as usize,
            };
            let v: Vec<u8> = (0..len).map(|j| (i as usize * 7 + j / 11) as u8).collect();
            db.put(&wo, &k, &v).unwrap();
            model.insert(k, v);
            if i % 9 == 0 {
                let d = format!("key{:06}", (i * 31) % 5000).into_bytes();
                db.delete(&wo, &d).unwrap();
                model.remove(&d);
            }
        }
        let mut batch = WriteBatch::new();
        batch.put(b"", b"empty key");
        batch.put(b"bin\x00\xff", b"");
        batch.delete(b"key000001");
        model.insert(b"".to_vec(), b"empty key".to_vec());
        model.insert(b"bin\x00\xff".to_vec(), b"".to_vec());
        model.remove(b"key000001".as_slice());
        db.write(&wo, &batch).unwrap();
        let l0: usize = db
            .property("leveldb.num-files-at-level0")
            .unwrap()
            .parse()
            .unwrap();
        let tables: usize = (0..7)
            .map(|l| {
                db.property(&format!("leveldb.num-files-at-level{l}"))
                    .unwrap()
                    .parse::<usize>()
                    .unwrap()
            })
            .sum();
        assert!(tables >= 2, "expected several flushed tables");
        let _ = l0;
        assert!(scan(&db) == model);
    }
    let got = dump(Path::new(&name));
    assert_eq!(got.len(), model.len(), "entry count seen by the reference");
    assert!(
        got == model,
        "the reference library reads different contents"
    );
    // And we still read the database the reference library has rewritten.
    let db = DB::open(Options::default(), &name).unwrap();
    assert!(scan(&db) == model);
}

#[test]
fn we_read_what_reference_writes() {
    let dir = tempfile::tempdir().unwrap();
    let name = dir.path().join("theirs");
    let name_str = name.to_str().unwrap().to_string();
    refprog::run(&["write", &name_str]);
    // The reference rewrites a database it opens, so it dumps a copy.
    let copy = dir.path().join("copy");
    copy_dir(&name, &copy);
    let want = dump(&copy);
    assert!(want.len() > 1000);

    for round in 0..2 {
        let db = DB::open(Options::default(), &name_str).unwrap();
        let entries = scan(&db);
        assert!(entries == want, "round {round}: we read different contents");
        for (k, v) in entries.iter().step_by(13) {
            assert_eq!(db.get(&ReadOptions::new(), k).unwrap().as_ref(), Some(v));
        }
    }
}

/// Values of a block size and more fill blocks alone, and our compactions
/// write such blocks from their stored bytes rather than compressing them
/// again: the reference reads every value of a database compacted that way
/// (several times over, at several levels), and so do we, checksums on.
#[test]
fn reference_reads_large_values_our_compactions_copied() {
    let dir = tempfile::tempdir().unwrap();
    let name = dir.path().join("large").to_str().unwrap().to_string();
    let mut model = BTreeMap::new();
    {
        let mut o = Options::default();
        o.create_if_missing = true;
        o.paranoid_checks = true;
        o.write_buffer_size = 256 << 10;
        o.max_file_size = 512 << 10;
        let db = DB::open(o, &name).unwrap();
        let wo = WriteOptions::default();
        let mut state = 0x9e37_79b9u32;
        for i in 0..1500u32 {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let k = format!("large{:04}", state % 400).into_bytes();
            // 4 to 40 KB, a random half of each repeated: snappy keeps the
            // blocks compressed.
            let len = 4_000 + (state as usize >> 8) % 36_000;
            let half: Vec<u8> = (0..len / 2)
                .map(|j| (state as usize).wrapping_mul(j + 1).rotate_left(7) as u8)
                .collect();
            let v = [&half[..], &half[..]].concat();
            db.put(&wo, &k, &v).unwrap();
            model.insert(k, v);
            if i % 500 == 499 {
                db.compact_range(None, None).unwrap();
            }
        }
        db.compact_range(None, None).unwrap();
        assert!(scan(&db) == model);
    }
    let got = dump(Path::new(&name));
    assert_eq!(got.len(), model.len(), "entry count seen by the reference");
    assert!(got == model, "the reference library reads different values");
    let mut o = Options::default();
    o.paranoid_checks = true;
    let db = DB::open(o, &name).unwrap();
    let mut ro = ReadOptions::new();
    ro.verify_checksums = true;
    for (k, v) in &model {
        assert_eq!(db.get(&ro, k).unwrap().as_ref(), Some(v));
    }
}
