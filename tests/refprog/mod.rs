//! A C program linked to the reference LevelDB 1.23, shared by the repair,
//! compaction and destroy tests. It always runs as a separate process (our
//! library and the reference are never loaded into one process). Modes:
//!
//! * `dump DB [nocheck]` — open (must exist) and print every entry as
//!   `hexkey\thexvalue` lines, reading with checksums verified (unless
//!   `nocheck`);
//! * `repair DB PARANOID` — `leveldb_repair_db` (paranoid_checks 0/1);
//! * `destroy DB` — `leveldb_destroy_db`, prints `OK` or the error;
//! * `fill DB N` — writes N pseudo-random 16-byte keys with 100-byte values
//!   (64 KiB write buffer), overwrites and deletes some, compacts a range and
//!   then everything, and leaves more writes in level 0 and the log;
//! * `write DB` — 4000 puts of values up to 200 KB (64 KiB write buffer),
//!   some deletes, then a batch with an empty key and a binary key: several
//!   flushes, level-0 tables and a live log, left as the reference leaves
//!   them.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const C_PROGRAM: &str = r#"
#include <leveldb/c.h>
#include <stdint.h>
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

static uint64_t rng_state = 88172645463325252ULL;
static uint64_t next_rand(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

static void random_bytes(char* out, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = (char)(next_rand() & 0xff);
}

/* Deterministic value of `len` bytes for index i. */
static char* make_value(int i, size_t len) {
  char* v = malloc(len + 1);
  for (size_t j = 0; j < len; j++) v[j] = (char)('a' + (i * 7 + j / 13) % 26);
  if (len > 0) v[0] = (char)(i & 0xff);
  return v;
}

int main(int argc, char** argv) {
  if (argc < 3) { fprintf(stderr, "usage: refprog MODE DB [ARG]\n"); return 1; }
  char* err = NULL;
  leveldb_options_t* o = leveldb_options_create();
  const char* mode = argv[1];
  const char* name = argv[2];
  if (strcmp(mode, "dump") == 0) {
    leveldb_t* db = leveldb_open(o, name, &err);
    if (err) die("open", err);
    leveldb_readoptions_t* ro = leveldb_readoptions_create();
    leveldb_readoptions_set_verify_checksums(ro, argc == 4 && strcmp(argv[3], "nocheck") == 0 ? 0 : 1);
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
  } else if (strcmp(mode, "repair") == 0 && argc == 4) {
    leveldb_options_set_paranoid_checks(o, atoi(argv[3]));
    leveldb_repair_db(o, name, &err);
    if (err) die("repair", err);
  } else if (strcmp(mode, "destroy") == 0) {
    leveldb_destroy_db(o, name, &err);
    printf("%s\n", err ? err : "OK");
  } else if (strcmp(mode, "fill") == 0 && argc == 4) {
    long n = atol(argv[3]);
    leveldb_options_set_create_if_missing(o, 1);
    leveldb_options_set_write_buffer_size(o, 64 << 10);
    leveldb_t* db = leveldb_open(o, name, &err);
    if (err) die("open", err);
    leveldb_writeoptions_t* wo = leveldb_writeoptions_create();
    char key[32], value[100];
    for (long i = 0; i < n; i++) {
      /* Keys from a space of n/2: about a third are overwritten. */
      uint64_t r = next_rand() % (uint64_t)(n / 2 + 1);
      memset(key, 0, sizeof key);
      snprintf(key, sizeof key, "%015llu", (unsigned long long)(r * 2654435761ULL % 1000000000000000ULL));
      random_bytes(value, sizeof value);
      if (i % 11 == 0) {
        leveldb_delete(db, wo, key, 16, &err);
      } else {
        leveldb_put(db, wo, key, 16, value, sizeof value, &err);
      }
      if (err) die("write", err);
      if (i == n / 2) {
        leveldb_compact_range(db, "2", 1, "6", 1);
      }
    }
    leveldb_compact_range(db, NULL, 0, NULL, 0);
    for (long i = 0; i < n / 20; i++) {
      snprintf(key, sizeof key, "tail%011ld", i);
      random_bytes(value, sizeof value);
      leveldb_put(db, wo, key, 16, value, sizeof value, &err);
      if (err) die("write", err);
    }
    leveldb_writeoptions_destroy(wo);
    leveldb_close(db);
  } else if (strcmp(mode, "write") == 0) {
    leveldb_options_set_create_if_missing(o, 1);
    leveldb_options_set_write_buffer_size(o, 64 << 10);
    leveldb_t* db = leveldb_open(o, name, &err);
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
    fprintf(stderr, "bad mode %s\n", mode);
    return 1;
  }
  leveldb_options_destroy(o);
  return 0;
}
"#;

pub type Entries = BTreeMap<Vec<u8>, Vec<u8>>;

/// The compiled reference program (built once per test binary run, in a
/// directory that lives as long as the process).
pub fn program() -> PathBuf {
    static EXE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    EXE.get_or_init(|| {
        assert!(
            Path::new("/usr/include/leveldb/c.h").exists(),
            "LevelDB 1.23 is not installed: apt-get install -y libleveldb-dev libsnappy-dev"
        );
        let dir = tempfile::tempdir().unwrap().keep();
        let src = dir.join("refprog.c");
        std::fs::write(&src, C_PROGRAM).unwrap();
        let exe = dir.join("refprog");
        let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
        let out = Command::new(cc)
            .args(["-std=c11", "-O1", "-Wall", "-Werror", "-o"])
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
    })
    .clone()
}

/// Runs the reference program; returns its stdout, failing the test if it
/// fails.
pub fn run(args: &[&str]) -> String {
    let out = Command::new(program())
        .args(args)
        .env_remove("LD_LIBRARY_PATH")
        .output()
        .expect("run reference program");
    assert!(
        out.status.success(),
        "reference {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// Every entry of the database at `db` as the reference reads it
/// (checksums verified).
pub fn dump(db: &Path) -> Entries {
    parse_dump(&run(&["dump", db.to_str().unwrap()]))
}

/// Every entry of the database at `db` as the reference reads it without
/// verifying checksums.
pub fn dump_unchecked(db: &Path) -> Entries {
    parse_dump(&run(&["dump", db.to_str().unwrap(), "nocheck"]))
}

fn parse_dump(out: &str) -> Entries {
    out.lines()
        .map(|line| {
            let (k, v) = line.split_once('\t').expect("hexkey\\thexvalue");
            (unhex(k), unhex(v))
        })
        .collect()
}

/// Copies the regular files of `from` into `to` (created).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// Every entry of our database.
pub fn scan(db: &leveldb::DB) -> Entries {
    use leveldb::Iterator as _;
    let mut it = db.iter(&leveldb::ReadOptions::new());
    it.seek_to_first();
    let mut out = Entries::new();
    while it.valid() {
        out.insert(it.key().to_vec(), it.value().to_vec());
        it.next();
    }
    it.status().unwrap();
    out
}
