/* The writer of tests/crash_kill.rs: writes through the C API until it is
 * killed (kill -9 at a random moment, often while opening).
 *
 *   crash_writer DB JOURNAL FIRST_OP SYNC SEED
 *
 * Opens DB (paranoid_checks, 1 MiB write buffer and 256 KiB tables, so
 * flushes and compactions run every few rounds while most of the time goes
 * to writing: a small buffer stalls the writer on compactions, and kills
 * then rarely land in a log write) and executes operations FIRST_OP,
 * FIRST_OP + 1, ... for ever. Operation i is a pure function of (SEED, i),
 * the same function as `op` in tests/crash_kill.rs: a put, a delete, or a
 * batch of 2-7 puts and deletes; values name their operation and are up to
 * 300 bytes, with a rare 20-50 KB one so records span log blocks. With SYNC
 * set every write is synced. After each acknowledged write the operation's
 * number is appended to JOURNAL (8 bytes, little-endian) with write(2), so it
 * survives the kill: the checker knows every acknowledged operation, and at
 * most the one after the last journaled may be in flight.
 *
 * Exits non-zero (which fails the test) only when an open or a write fails. */
#define _POSIX_C_SOURCE 200809L

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "leveldb/c.h"

enum { kKeys = 2000, kMaxSubOps = 8 };

static uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

typedef struct {
  int is_delete;
  char key[16];
  size_t key_len;
  char* value;
  size_t value_len;
} SubOp;

/* Operation `i`: returns the number of sub-operations written to `ops`
 * (1 for a single put or delete); sets *batch for a batch. */
static int make_op(uint64_t seed, uint64_t i, SubOp* ops, int* batch) {
  uint64_t h = mix(seed ^ mix(i));
  unsigned kind = (unsigned)(h % 10);
  int n = 1;
  *batch = kind >= 8;
  if (*batch) n = 2 + (int)((h >> 8) % 6);
  for (int s = 0; s < n; s++) {
    uint64_t hs = mix(h + (uint64_t)s + 1);
    SubOp* op = &ops[s];
    op->is_delete = (kind == 6 || kind == 7) || (*batch && (hs >> 20) % 4 == 0);
    op->key_len = (size_t)snprintf(op->key, sizeof op->key, "k%05u",
                                   (unsigned)(hs % kKeys));
    size_t filler = (hs >> 32) % 50 == 0 ? 20000 + (size_t)((hs >> 40) % 30000)
                                          : (size_t)((hs >> 40) % 300);
    char head[48];
    int head_len = snprintf(head, sizeof head, "v%llu.%d.",
                            (unsigned long long)i, s);
    op->value_len = (size_t)head_len + filler;
    op->value = malloc(op->value_len);
    if (op->value == NULL) abort();
    memcpy(op->value, head, (size_t)head_len);
    for (size_t j = 0; j < filler; j++)
      op->value[(size_t)head_len + j] = (char)('a' + (j * 7 + i) % 26);
  }
  return n;
}

static void fail(const char* what, char* err) {
  fprintf(stderr, "crash_writer: %s: %s\n", what, err ? err : "?");
  leveldb_free(err);
  exit(2);
}

int main(int argc, char** argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: crash_writer DB JOURNAL FIRST_OP SYNC SEED\n");
    return 64;
  }
  const char* db_path = argv[1];
  uint64_t first = strtoull(argv[3], NULL, 10);
  int sync = atoi(argv[4]);
  uint64_t seed = strtoull(argv[5], NULL, 10);
  int journal = open(argv[2], O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (journal < 0) {
    perror("crash_writer: journal");
    return 2;
  }

  leveldb_options_t* options = leveldb_options_create();
  leveldb_options_set_create_if_missing(options, 1);
  leveldb_options_set_paranoid_checks(options, 1);
  leveldb_options_set_write_buffer_size(options, 1 << 20);
  leveldb_options_set_max_file_size(options, 256 << 10);
  char* err = NULL;
  leveldb_t* db = leveldb_open(options, db_path, &err);
  if (err != NULL) fail("open", err);

  leveldb_writeoptions_t* wo = leveldb_writeoptions_create();
  leveldb_writeoptions_set_sync(wo, (unsigned char)sync);
  leveldb_writebatch_t* wb = leveldb_writebatch_create();
  SubOp ops[kMaxSubOps];
  for (uint64_t i = first;; i++) {
    int batch;
    int n = make_op(seed, i, ops, &batch);
    if (batch) {
      leveldb_writebatch_clear(wb);
      for (int s = 0; s < n; s++) {
        if (ops[s].is_delete)
          leveldb_writebatch_delete(wb, ops[s].key, ops[s].key_len);
        else
          leveldb_writebatch_put(wb, ops[s].key, ops[s].key_len, ops[s].value,
                                 ops[s].value_len);
      }
      leveldb_write(db, wo, wb, &err);
    } else if (ops[0].is_delete) {
      leveldb_delete(db, wo, ops[0].key, ops[0].key_len, &err);
    } else {
      leveldb_put(db, wo, ops[0].key, ops[0].key_len, ops[0].value,
                  ops[0].value_len, &err);
    }
    if (err != NULL) fail("write", err);
    for (int s = 0; s < n; s++) free(ops[s].value);
    unsigned char id[8];
    for (int b = 0; b < 8; b++) id[b] = (unsigned char)(i >> (8 * b));
    if (write(journal, id, sizeof id) != (ssize_t)sizeof id) {
      perror("crash_writer: journal write");
      return 2;
    }
  }
}
