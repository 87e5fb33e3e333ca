/* Writes the larger golden databases with the real LevelDB 1.23.
 *
 * Usage: make_golden OUTDIR
 *
 * OUTDIR must exist and be empty. For each case below the program makes
 * OUTDIR/<case>/db (the database directory as LevelDB left it when closed),
 * OUTDIR/<case>/expected.tsv (every live entry in iteration order, one per
 * line, hex(key) TAB hex(value), read back through LevelDB's own iterator)
 * and OUTDIR/<case>/meta.txt (the entry count and the num-files-at-level and
 * sstables properties taken just before the last close).
 *
 * tests/support/mod.rs compiles this file against the system's -lleveldb
 * and runs it in its own process, never against our library: the files must
 * be what LevelDB 1.23 writes. The small cases that are cheap to keep
 * (log-only, reverse-comparator) are frozen in testdata/leveldb-1.23
 * instead.
 *
 * The data comes from a fixed xorshift generator, so the contents (and so
 * expected.tsv) are the same on every run. Some file numbers may differ
 * between runs, because LevelDB flushes and compacts in a background thread
 * while the first writes go in; the tests never depend on them. What the
 * tests do depend on is checked here before the program reports success,
 * so a LevelDB that behaved differently would fail loudly instead of
 * producing weaker data:
 *
 *   levels-snappy-bloom: level 0 empty, one table on level 1, tables on
 *     level 2, a non-empty live log, and four orphan tables (see
 *     make_levels_snappy_bloom).
 *   nocompress-smallblocks: exactly one table, on level 2, and an empty
 *     live log.
 *   big-values: no tables, and a log longer than three 32 KiB log
 *     blocks. */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <leveldb/c.h>

static void die(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("make_golden: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

/* LevelDB reports errors as malloc'd strings; any error here is fatal. */
static void ok(char* err, const char* what) {
  if (err != NULL) die("%s: %s", what, err);
}

static char* join(const char* a, const char* b) {
  size_t n = strlen(a) + strlen(b) + 2;
  char* s = malloc(n);
  if (s == NULL) die("out of memory");
  snprintf(s, n, "%s/%s", a, b);
  return s;
}

static void make_dir(const char* path) {
  if (mkdir(path, 0755) != 0) die("mkdir %s: %s", path, strerror(errno));
}

/* xorshift64 (13, 7, 17): the same sequence on every machine. */
static uint64_t rng_state;

static void seed(uint64_t s) { rng_state = (s * 0x9e3779b97f4a7c15ULL) | 1; }

static uint64_t next(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

static size_t below(size_t n) { return (size_t)(next() % n); }

/* A value of `len` bytes: about half random lowercase letters, then a run
 * of one repeated byte, so snappy has something to squeeze but not all. */
static char* make_value(size_t len) {
  char* v = malloc(len + 1);
  if (v == NULL) die("out of memory");
  size_t letters = len / 2 + (len >= 4 ? below(len / 4 + 1) : 0);
  if (letters > len) letters = len;
  for (size_t i = 0; i < letters; i++) v[i] = (char)('a' + below(26));
  char fill = (char)('a' + below(26));
  memset(v + letters, fill, len - letters);
  v[len] = '\0';
  return v;
}

static void put(leveldb_t* db, const char* key, size_t vlen) {
  char* err = NULL;
  char* v = make_value(vlen);
  leveldb_writeoptions_t* wo = leveldb_writeoptions_create();
  leveldb_put(db, wo, key, strlen(key), v, vlen, &err);
  ok(err, "put");
  leveldb_writeoptions_destroy(wo);
  free(v);
}

static void del(leveldb_t* db, const char* key) {
  char* err = NULL;
  leveldb_writeoptions_t* wo = leveldb_writeoptions_create();
  leveldb_delete(db, wo, key, strlen(key), &err);
  ok(err, "delete");
  leveldb_writeoptions_destroy(wo);
}

static void write_hex(FILE* f, const char* p, size_t n) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)p[i];
    fputc(digits[c >> 4], f);
    fputc(digits[c & 15], f);
  }
}

static long level_files(leveldb_t* db, int level) {
  char name[64];
  snprintf(name, sizeof name, "leveldb.num-files-at-level%d", level);
  char* v = leveldb_property_value(db, name);
  if (v == NULL) die("no property %s", name);
  long n = strtol(v, NULL, 10);
  leveldb_free(v);
  return n;
}

/* Writes expected.tsv and meta.txt of the open database `db` into
 * `case_dir`, as LevelDB itself iterates and reports it. Returns the entry
 * count. */
static long record_contents(leveldb_t* db, const char* case_dir) {
  char* tsv_path = join(case_dir, "expected.tsv");
  FILE* tsv = fopen(tsv_path, "w");
  if (tsv == NULL) die("create %s: %s", tsv_path, strerror(errno));
  leveldb_readoptions_t* ro = leveldb_readoptions_create();
  leveldb_readoptions_set_verify_checksums(ro, 1);
  leveldb_iterator_t* it = leveldb_create_iterator(db, ro);
  long entries = 0;
  for (leveldb_iter_seek_to_first(it); leveldb_iter_valid(it);
       leveldb_iter_next(it)) {
    size_t kn, vn;
    const char* k = leveldb_iter_key(it, &kn);
    const char* v = leveldb_iter_value(it, &vn);
    write_hex(tsv, k, kn);
    fputc('\t', tsv);
    write_hex(tsv, v, vn);
    fputc('\n', tsv);
    entries++;
  }
  char* err = NULL;
  leveldb_iter_get_error(it, &err);
  ok(err, "iterate");
  leveldb_iter_destroy(it);
  leveldb_readoptions_destroy(ro);
  if (fclose(tsv) != 0) die("write %s", tsv_path);
  free(tsv_path);

  char* meta_path = join(case_dir, "meta.txt");
  FILE* meta = fopen(meta_path, "w");
  if (meta == NULL) die("create %s: %s", meta_path, strerror(errno));
  fprintf(meta, "entries: %ld\n", entries);
  for (int level = 0; level < 7; level++)
    fprintf(meta, "files-at-level%d: %ld\n", level, level_files(db, level));
  char* tables = leveldb_property_value(db, "leveldb.sstables");
  if (tables == NULL) die("no property leveldb.sstables");
  fprintf(meta, "sstables before close:\n%s", tables);
  leveldb_free(tables);
  if (fclose(meta) != 0) die("write %s", meta_path);
  free(meta_path);
  return entries;
}

static int has_suffix(const char* s, const char* suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Counts the files of `dir` named *`suffix`; with `total` non-NULL, adds
 * up their sizes. */
static int count_files(const char* dir, const char* suffix, long* total) {
  DIR* d = opendir(dir);
  if (d == NULL) die("opendir %s: %s", dir, strerror(errno));
  int n = 0;
  if (total != NULL) *total = 0;
  for (struct dirent* e; (e = readdir(d)) != NULL;) {
    if (!has_suffix(e->d_name, suffix)) continue;
    n++;
    if (total != NULL) {
      char* p = join(dir, e->d_name);
      struct stat st;
      if (stat(p, &st) != 0) die("stat %s", p);
      *total += (long)st.st_size;
      free(p);
    }
  }
  closedir(d);
  return n;
}

/* Copies `from` to `to`; returns 0 if `from` does not exist. */
static int copy_file(const char* from, const char* to) {
  FILE* in = fopen(from, "rb");
  if (in == NULL) {
    if (errno == ENOENT) return 0;
    die("open %s: %s", from, strerror(errno));
  }
  FILE* out = fopen(to, "wb");
  if (out == NULL) die("create %s: %s", to, strerror(errno));
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, in)) > 0)
    if (fwrite(buf, 1, n, out) != n) die("write %s", to);
  if (ferror(in)) die("read %s", from);
  fclose(in);
  if (fclose(out) != 0) die("write %s", to);
  return 1;
}

/* Copies every *.ldb of `from` into `to`. LevelDB must be idle, so that
 * every table is complete. */
static void stash_tables(const char* from, const char* to) {
  DIR* d = opendir(from);
  if (d == NULL) die("opendir %s: %s", from, strerror(errno));
  for (struct dirent* e; (e = readdir(d)) != NULL;) {
    if (!has_suffix(e->d_name, ".ldb")) continue;
    char* a = join(from, e->d_name);
    char* b = join(to, e->d_name);
    copy_file(a, b);
    free(a);
    free(b);
  }
  closedir(d);
}

/* Puts back into `db_dir` each stashed table that LevelDB has since deleted
 * as obsolete: real LevelDB tables that the MANIFEST no longer names, as a
 * crash between a compaction's commit and its clean-up leaves them. Returns
 * how many it put back. */
static int restore_orphans(const char* stash, const char* db_dir) {
  DIR* d = opendir(stash);
  if (d == NULL) die("opendir %s: %s", stash, strerror(errno));
  int restored = 0;
  for (struct dirent* e; (e = readdir(d)) != NULL;) {
    if (!has_suffix(e->d_name, ".ldb")) continue;
    char* a = join(stash, e->d_name);
    char* b = join(db_dir, e->d_name);
    struct stat st;
    if (stat(b, &st) != 0) {
      copy_file(a, b);
      restored++;
    }
    if (remove(a) != 0) die("remove %s", a);
    free(a);
    free(b);
  }
  closedir(d);
  return restored;
}

static leveldb_t* open_db(leveldb_options_t* o, const char* path) {
  char* err = NULL;
  leveldb_t* db = leveldb_open(o, path, &err);
  ok(err, path);
  return db;
}

/* Random puts (one in twenty a delete) of keys user:<8 digits> drawn from
 * [first, first + span). */
static void random_writes(leveldb_t* db, int ops, size_t first, size_t span) {
  char key[32];
  for (int i = 0; i < ops; i++) {
    snprintf(key, sizeof key, "user:%08zu", first + below(span));
    if (below(20) == 0)
      del(db, key);
    else
      put(db, key, 100 + below(200));
  }
}

/* Turns the memtable into a table and returns when that is done: a
 * compaction of a key range that holds nothing ("~" sorts after every key
 * used here) flushes the memtable and compacts nothing else. */
static void flush(leveldb_t* db) { leveldb_compact_range(db, "~", 1, "~", 1); }

/* write_buffer_size 64 KiB, snappy, a bloom filter of 10 bits per key.
 *
 * The file layout is steered so that LevelDB is idle whenever the program
 * copies tables or closes the database (a close during a background
 * compaction would leave a half-written table behind); every step that
 * moves tables is a leveldb_compact_range, which returns only when its
 * work, and any compaction running before it, is done.
 *
 *   1. Random writes over the lower keys user:00000000-00005999 fill many
 *      memtables (LevelDB flushes and compacts on its own meanwhile); a
 *      full compaction then leaves every table on level 2.
 *   2. Four small rounds of writes, each well below the write buffer and
 *      flushed by flush(): the first touches a few lower keys as well as
 *      upper ones (user:00006000-00011999), so its table overlaps level 2
 *      and LevelDB places it on level 1; the next three overlap that one
 *      and land on level 0. Three level-0 files stay below the trigger of
 *      an automatic compaction.
 *   3. Copies of all these tables are set aside, then a compaction of the
 *      upper key range merges level 0 and level 1 into a new level-1
 *      table. Level 2 ends below that range, so it is left alone. The
 *      merged tables are now obsolete and LevelDB deletes them.
 *   4. A last round of writes (some as multi-entry batches) stays in the
 *      memtable and so in the live log; the database is read back and
 *      closed.
 *   5. The set-aside tables that LevelDB deleted are put back as orphans. */
static void make_levels_snappy_bloom(const char* out) {
  char* case_dir = join(out, "levels-snappy-bloom");
  char* db_dir = join(case_dir, "db");
  char* stash = join(out, "levels-snappy-bloom.stash");
  make_dir(case_dir);
  make_dir(stash);

  leveldb_options_t* o = leveldb_options_create();
  leveldb_options_set_create_if_missing(o, 1);
  leveldb_options_set_write_buffer_size(o, 64 << 10);
  leveldb_options_set_compression(o, leveldb_snappy_compression);
  leveldb_filterpolicy_t* bloom = leveldb_filterpolicy_create_bloom(10);
  leveldb_options_set_filter_policy(o, bloom);

  seed(2);
  leveldb_t* db = open_db(o, db_dir);

  /* 1 */
  random_writes(db, 3000, 0, 6000);
  leveldb_compact_range(db, NULL, 0, NULL, 0);
  if (level_files(db, 2) < 1 || level_files(db, 0) + level_files(db, 1) != 0)
    die("levels-snappy-bloom: the full compaction did not end on level 2");

  /* 2 */
  random_writes(db, 20, 0, 6000);
  random_writes(db, 130, 6000, 6000);
  flush(db);
  for (int round = 0; round < 3; round++) {
    random_writes(db, 150, 6000, 6000);
    flush(db);
  }
  if (level_files(db, 0) != 3 || level_files(db, 1) != 1)
    die("levels-snappy-bloom: wanted 3 tables on level 0 and 1 on level 1 "
        "before the merge, got %ld and %ld",
        level_files(db, 0), level_files(db, 1));

  /* 3 */
  stash_tables(db_dir, stash);
  const char* upper_begin = "user:00006000";
  const char* upper_end = "user:00012000";
  leveldb_compact_range(db, upper_begin, strlen(upper_begin), upper_end,
                        strlen(upper_end));

  /* 4 */
  random_writes(db, 60, 0, 12000);
  leveldb_writeoptions_t* wo = leveldb_writeoptions_create();
  for (int b = 0; b < 10; b++) {
    leveldb_writebatch_t* batch = leveldb_writebatch_create();
    for (int i = 0; i < 6; i++) {
      char key[32];
      snprintf(key, sizeof key, "user:%08zu", below(12000));
      if (i == 5) {
        leveldb_writebatch_delete(batch, key, strlen(key));
      } else {
        size_t vlen = 50 + below(100);
        char* v = make_value(vlen);
        leveldb_writebatch_put(batch, key, strlen(key), v, vlen);
        free(v);
      }
    }
    char* err = NULL;
    leveldb_write(db, wo, batch, &err);
    ok(err, "write batch");
    leveldb_writebatch_destroy(batch);
  }
  leveldb_writeoptions_destroy(wo);
  record_contents(db, case_dir);
  long l0 = level_files(db, 0), l1 = level_files(db, 1),
       l2 = level_files(db, 2);
  leveldb_close(db);
  leveldb_options_destroy(o);
  leveldb_filterpolicy_destroy(bloom);

  /* 5 */
  int orphans = restore_orphans(stash, db_dir);
  if (rmdir(stash) != 0) die("rmdir %s: %s", stash, strerror(errno));
  long log_bytes;
  count_files(db_dir, ".log", &log_bytes);
  if (l0 != 0 || l1 != 1 || l2 < 1 || orphans != 4 || log_bytes <= 0)
    die("levels-snappy-bloom: wanted level 0 empty, one table on level 1, "
        "tables on level 2, 4 orphan tables and a live log; got %ld, %ld, "
        "%ld, %d orphans, a log of %ld bytes",
        l0, l1, l2, orphans, log_bytes);
  free(stash);
  free(db_dir);
  free(case_dir);
}

/* No compression, block_size 1024, block_restart_interval 4. Everything is
 * written into the memtable (far below the 4 MB write buffer); the full
 * compaction then switches to a new, empty log and writes the memtable as
 * one table, which goes straight to level 2 because nothing overlaps it. */
static void make_nocompress_smallblocks(const char* out) {
  char* case_dir = join(out, "nocompress-smallblocks");
  char* db_dir = join(case_dir, "db");
  make_dir(case_dir);

  leveldb_options_t* o = leveldb_options_create();
  leveldb_options_set_create_if_missing(o, 1);
  leveldb_options_set_compression(o, leveldb_no_compression);
  leveldb_options_set_block_size(o, 1024);
  leveldb_options_set_block_restart_interval(o, 4);

  seed(3);
  char key[32];
  leveldb_t* db = open_db(o, db_dir);
  for (int i = 0; i < 3000; i++) {
    snprintf(key, sizeof key, "k%05d/%zu", i, below(1000));
    put(db, key, 20 + below(200));
  }
  leveldb_compact_range(db, NULL, 0, NULL, 0);
  record_contents(db, case_dir);
  long l2 = level_files(db, 2);
  leveldb_close(db);
  leveldb_options_destroy(o);

  long log_bytes;
  int tables = count_files(db_dir, ".ldb", NULL);
  count_files(db_dir, ".log", &log_bytes);
  if (tables != 1 || l2 != 1 || log_bytes != 0)
    die("nocompress-smallblocks: wanted one table on level 2 and an empty "
        "log; got %d tables, %ld on level 2, a log of %ld bytes",
        tables, l2, log_bytes);
  free(db_dir);
  free(case_dir);
}

/* Default options; values of 20 to 170 KB, so log records are fragmented
 * over many 32 KiB blocks. Their total stays far below the 4 MB write
 * buffer, so everything is in the log. One key is overwritten and one
 * deleted. */
static void make_big_values(const char* out) {
  char* case_dir = join(out, "big-values");
  char* db_dir = join(case_dir, "db");
  make_dir(case_dir);

  leveldb_options_t* o = leveldb_options_create();
  leveldb_options_set_create_if_missing(o, 1);

  seed(4);
  char key[32];
  leveldb_t* db = open_db(o, db_dir);
  for (int i = 0; i < 12; i++) {
    snprintf(key, sizeof key, "big%03d", i);
    /* The first is the largest: a record over five blocks long. */
    put(db, key, i == 0 ? 170000 : 20000 + below(150000));
  }
  put(db, "big003", 45000);
  del(db, "big007");
  record_contents(db, case_dir);
  leveldb_close(db);
  leveldb_options_destroy(o);

  long log_bytes;
  int tables = count_files(db_dir, ".ldb", NULL);
  count_files(db_dir, ".log", &log_bytes);
  if (tables != 0 || log_bytes < 3 * 32768)
    die("big-values: wanted no tables and a long log; got %d tables, a log "
        "of %ld bytes",
        tables, log_bytes);
  free(db_dir);
  free(case_dir);
}

int main(int argc, char** argv) {
  if (argc != 2) die("usage: make_golden OUTDIR");
  if (leveldb_major_version() != 1 || leveldb_minor_version() != 23)
    die("linked to LevelDB %d.%d, not 1.23", leveldb_major_version(),
        leveldb_minor_version());
  make_levels_snappy_bloom(argv[1]);
  make_nocompress_smallblocks(argv[1]);
  make_big_values(argv[1]);
  return 0;
}
