/* Zstd tables through the C API: `leveldb_options_set_compression` with
 * the int given (2 is zstd), run by tests/zstd_tables.rs, which looks at
 * the block types of the tables written.
 *
 *   strata_zstd DIR write COMPRESSION   destroys DIR, writes 3000 entries
 *                                       with that compression, compacts
 *   strata_zstd DIR read                reopens DIR (default options) and
 *                                       checks every entry
 *
 * `read` prints "read N" and "PASS", or the first error; it also runs
 * against LevelDB 1.23, which must fail on a zstd database. */
#include "common.h"

enum { kEntries = 3000 };

static void Key(int i, char* buf, size_t n) { snprintf(buf, n, "key%06d", i); }

/* A compressible value of a few hundred bytes, different for each i. */
static size_t Value(int i, char* buf, size_t n) {
  size_t len = 0;
  for (int r = 0; r < 3 + i % 11; r++) {
    int w = snprintf(buf + len, n - len, "value %d, word %d of the zstd test; ", i, r);
    CHECK(w > 0 && (size_t)w < n - len);
    len += (size_t)w;
  }
  return len;
}

static int Write(const char* dir, int compression) {
  char* err = NULL;
  leveldb_options_t* options = leveldb_options_create();
  leveldb_destroy_db(options, dir, &err);
  CHECK_NO_ERROR(err);
  leveldb_options_set_create_if_missing(options, 1);
  leveldb_options_set_compression(options, compression);
  leveldb_options_set_write_buffer_size(options, 64 << 10);
  leveldb_options_set_block_size(options, 2048);
  leveldb_t* db = leveldb_open(options, dir, &err);
  CHECK_NO_ERROR(err);
  leveldb_writeoptions_t* w = leveldb_writeoptions_create();
  char key[32], value[1024];
  for (int i = 0; i < kEntries; i++) {
    Key(i, key, sizeof key);
    size_t n = Value(i, value, sizeof value);
    leveldb_put(db, w, key, strlen(key), value, n, &err);
    CHECK_NO_ERROR(err);
  }
  leveldb_compact_range(db, NULL, 0, NULL, 0);
  leveldb_writeoptions_destroy(w);
  leveldb_close(db);
  leveldb_options_destroy(options);
  printf("wrote %d\n", kEntries);
  return 0;
}

static int Read(const char* dir) {
  char* err = NULL;
  leveldb_options_t* options = leveldb_options_create();
  leveldb_t* db = leveldb_open(options, dir, &err);
  CHECK_NO_ERROR(err);
  leveldb_readoptions_t* r = leveldb_readoptions_create();
  leveldb_readoptions_set_verify_checksums(r, 1);
  char key[32], value[1024];
  int ok = 1;
  for (int i = 0; i < kEntries && ok; i++) {
    Key(i, key, sizeof key);
    size_t n = Value(i, value, sizeof value);
    size_t got_len = 0;
    char* got = leveldb_get(db, r, key, strlen(key), &got_len, &err);
    if (err != NULL) {
      PrintText("error", err);
      leveldb_free(err);
      err = NULL;
      ok = 0;
    } else {
      CHECK(got != NULL && got_len == n && memcmp(got, value, n) == 0);
      leveldb_free(got);
    }
  }
  if (ok) {
    printf("read %d\n", kEntries);
    printf("PASS\n");
  }
  leveldb_readoptions_destroy(r);
  leveldb_close(db);
  leveldb_options_destroy(options);
  return 0;
}

int main(int argc, char** argv) {
  Init(argc, argv);
  if (argc == 4 && strcmp(argv[2], "write") == 0) return Write(argv[1], atoi(argv[3]));
  if (argc == 3 && strcmp(argv[2], "read") == 0) return Read(argv[1]);
  fprintf(stderr, "usage: %s DIR write COMPRESSION | DIR read\n", argv[0]);
  return 2;
}
