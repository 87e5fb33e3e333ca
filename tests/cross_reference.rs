//! Cross-checks against the reference LevelDB 1.23 (libleveldb-dev), always
//! in a separate process: a database written by us (several flushes,
//! level-0 tables, a live log, deletions, values up to 1 MiB) is read
//! completely by a C program linked to the reference library, and a
//! database written by that program opens in ours with every entry.

#![allow(clippy::field_reassign_with_default)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use leveldb::{Iterator as _, Options, ReadOptions, WriteBatch, WriteOptions, DB};

const C_PROGRAM: &str = r#"
#include <leveldb/c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put_hex(const char* p, size_t n) {
  for (size_t i = 0; i < n; i++) printf("%02x", (unsigned char)p[i]);
}

static void die(const char* what, char* err) {
  fprintf(stderr, "%s: %s\n", what, err);
  exit(2);
}

/* Deterministic value of `len` bytes for index i. */
static char* make_value(int i, size_t len) {
  char* v = malloc(len + 1);
  for (size_t j = 0; j < len; j++) v[j] = (char)('a' + (i * 7 + j / 13) % 26);
  if (len > 0) v[0] = (char)(i & 0xff);
  return v;
}

int main(int argc, char** argv) {
  if (argc != 3) { fprintf(stderr, "usage: xref dump|write DB\n"); return 1; }
  char* err = NULL;
  leveldb_options_t* o = leveldb_options_create();
  if (strcmp(argv[1], "dump") == 0) {
    leveldb_t* db = leveldb_open(o, argv[2], &err);
    if (err) die("open", err);
    leveldb_readoptions_t* ro = leveldb_readoptions_create();
    leveldb_readoptions_set_verify_checksums(ro, 1);
    leveldb_iterator_t* it = leveldb_create_iterator(db, ro);
    for (leveldb_iter_seek_to_first(it); leveldb_iter_valid(it); leveldb_iter_next(it)) {
      size_t kl, vl;
      const char* k = leveldb_iter_key(it, &kl);
      const char* v = leveldb_iter_value(it, &vl);
      put_hex(k, kl); printf("\t"); put_hex(v, vl); printf("\n");
    }
    leveldb_iter_get_error(it, &err);
    if (err) die("iterate", err);
    leveldb_iter_destroy(it);
    leveldb_readoptions_destroy(ro);
    leveldb_close(db);
  } else if (strcmp(argv[1], "write") == 0) {
    leveldb_options_set_create_if_missing(o, 1);
    leveldb_options_set_write_buffer_size(o, 64 << 10);
    leveldb_t* db = leveldb_open(o, argv[2], &err);
    if (err) die("open", err);
    leveldb_writeoptions_t* wo = leveldb_writeoptions_create();
    char key[32];
    for (int i = 0; i < 4000; i++) {
      snprintf(key, sizeof key, "ref%06d", (i * 7919) % 4000);
      size_t len = (size_t)((i * 131) % 700);
      if (i % 997 == 0) len = 200000 + (size_t)i;
      char* v = make_value(i, len);
      leveldb_put(db, wo, key, strlen(key), v, len, &err);
      if (err) die("put", err);
      free(v);
      if (i % 13 == 0) {
        snprintf(key, sizeof key, "ref%06d", (i * 31) % 4000);
        leveldb_delete(db, wo, key, strlen(key), &err);
        if (err) die("delete", err);
      }
    }
    leveldb_writebatch_t* b = leveldb_writebatch_create();
    leveldb_writebatch_put(b, "", 0, "empty key", 9);
    leveldb_writebatch_put(b, "bin\0\xff", 5, "\0\0", 2);
    leveldb_writebatch_delete(b, "ref000010", 9);
    leveldb_write(db, wo, b, &err);
    if (err) die("write", err);
    leveldb_writebatch_destroy(b);
    leveldb_writeoptions_destroy(wo);
    leveldb_close(db);
  } else {
    return 1;
  }
  leveldb_options_destroy(o);
  return 0;
}
"#;

fn reference_program(dir: &Path) -> PathBuf {
    assert!(
        Path::new("/usr/include/leveldb/c.h").exists(),
        "the reference LevelDB is not installed: `apt-get install libleveldb-dev` \
         (this test must run against it)"
    );
    let src = dir.join("xref.c");
    std::fs::write(&src, C_PROGRAM).unwrap();
    let exe = dir.join("xref");
    let out = Command::new("cc")
        .args(["-O1", "-Wall", "-o"])
        .arg(&exe)
        .arg(&src)
        .arg("-lleveldb")
        .output()
        .expect("run cc");
    assert!(
        out.status.success(),
        "compiling the reference program failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    exe
}

fn run(exe: &Path, mode: &str, db: &str) -> String {
    let out = Command::new(exe)
        .args([mode, db])
        .env_remove("LD_LIBRARY_PATH")
        .output()
        .expect("run reference program");
    assert!(
        out.status.success(),
        "reference {mode} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn lines_of(entries: impl Iterator<Item = (Vec<u8>, Vec<u8>)>) -> String {
    entries
        .map(|(k, v)| format!("{}\t{}\n", hex(&k), hex(&v)))
        .collect()
}

fn scan(db: &DB) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut it = db.iter(&ReadOptions::new());
    it.seek_to_first();
    let mut out = Vec::new();
    while it.valid() {
        out.push((it.key().to_vec(), it.value().to_vec()));
        it.next();
    }
    it.status().unwrap();
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

#[test]
fn reference_reads_what_we_write() {
    let dir = tempfile::tempdir().unwrap();
    let exe = reference_program(dir.path());
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
        assert!(scan(&db) == model.clone().into_iter().collect::<Vec<_>>());
    }
    let want = lines_of(model.clone().into_iter());
    let got = run(&exe, "dump", &name);
    assert_eq!(
        got.lines().count(),
        model.len(),
        "entry count seen by the reference"
    );
    assert!(
        got == want,
        "the reference library reads different contents"
    );
    // And we still read the database the reference library has rewritten.
    let db = DB::open(Options::default(), &name).unwrap();
    assert!(scan(&db) == model.into_iter().collect::<Vec<_>>());
}

#[test]
fn we_read_what_reference_writes() {
    let dir = tempfile::tempdir().unwrap();
    let exe = reference_program(dir.path());
    let name = dir.path().join("theirs");
    let name_str = name.to_str().unwrap().to_string();
    run(&exe, "write", &name_str);
    // The reference rewrites a database it opens, so it dumps a copy.
    let copy = dir.path().join("copy");
    copy_dir(&name, &copy);
    let want = run(&exe, "dump", copy.to_str().unwrap());
    assert!(want.lines().count() > 1000);

    for round in 0..2 {
        let db = DB::open(Options::default(), &name_str).unwrap();
        let entries = scan(&db);
        let got = lines_of(entries.clone().into_iter());
        assert!(got == want, "round {round}: we read different contents");
        for (k, v) in entries.iter().step_by(13) {
            assert_eq!(db.get(&ReadOptions::new(), k).unwrap().as_ref(), Some(v));
        }
    }
}
