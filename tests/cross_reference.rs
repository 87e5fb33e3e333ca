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
