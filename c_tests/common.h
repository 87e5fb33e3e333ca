/* Shared helpers of the C test programs.
 *
 * Every program takes one argument, a scratch directory of its own, and
 * prints a transcript on stdout: phase names, values, error texts (with the
 * scratch directory replaced by "$DIR" so runs in different directories
 * compare equal). tests/c_api.rs runs each program against Strata and
 * against LevelDB 1.23 and requires identical transcripts, so only print
 * what both must agree on; check everything else (sizes, statistics) with
 * CHECK and print only that it held. A failed CHECK prints the location on
 * stderr and exits with status 1. */
#ifndef STRATA_C_TESTS_COMMON_H_
#define STRATA_C_TESTS_COMMON_H_

#define _POSIX_C_SOURCE 200809L

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leveldb/c.h"

static const char* g_dir = "";
static const char* g_phase = "(start)";

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: phase %s: CHECK failed: %s\n", __FILE__,         \
              __LINE__, g_phase, #cond);                                       \
      exit(1);                                                                 \
    }                                                                          \
  } while (0)

#define CHECK_NO_ERROR(err)                                                    \
  do {                                                                         \
    if ((err) != NULL) {                                                       \
      fprintf(stderr, "%s:%d: phase %s: unexpected error: %s\n", __FILE__,     \
              __LINE__, g_phase, (err));                                       \
      exit(1);                                                                 \
    }                                                                          \
  } while (0)

/* Reads the scratch directory from argv[1]. */
static inline void Init(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s SCRATCH_DIR\n", argv[0]);
    exit(2);
  }
  g_dir = argv[1];
  setvbuf(stdout, NULL, _IOLBF, 0);
}

static inline void StartPhase(const char* name) {
  g_phase = name;
  printf("== %s\n", name);
}

/* A malloc'ed path "<scratch dir>/<name>". */
static inline char* Path(const char* name) {
  size_t n = strlen(g_dir) + 1 + strlen(name) + 1;
  char* p = (char*)malloc(n);
  CHECK(p != NULL);
  snprintf(p, n, "%s/%s", g_dir, name);
  return p;
}

/* Prints "label: text" with every occurrence of the scratch directory
 * replaced by "$DIR". */
static inline void PrintText(const char* label, const char* text) {
  size_t dir_len = strlen(g_dir);
  printf("%s: ", label);
  while (*text) {
    if (dir_len > 0 && strncmp(text, g_dir, dir_len) == 0) {
      fputs("$DIR", stdout);
      text += dir_len;
    } else {
      putchar(*text++);
    }
  }
  putchar('\n');
}

/* Prints "label: bytes" with non-printable bytes as \xNN. */
static inline void PrintBytes(const char* label, const char* p, size_t n) {
  printf("%s: ", label);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)p[i];
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      putchar(c);
    } else {
      printf("\\x%02x", c);
    }
  }
  putchar('\n');
}

/* Expects *err to hold an error: prints it as "label: <error>" and frees it
 * with plain free() (c.h promises malloc'ed messages). */
static inline void ExpectError(const char* label, char** err) {
  CHECK(*err != NULL);
  PrintText(label, *err);
  free(*err);
  *err = NULL;
}

/* Checks that (v, n) equals the C string `expected`, or is absent (v NULL)
 * when `expected` is NULL. */
static inline void CheckEqual(const char* expected, const char* v, size_t n) {
  if (expected == NULL) {
    CHECK(v == NULL);
  } else {
    CHECK(v != NULL);
    CHECK(n == strlen(expected));
    CHECK(memcmp(expected, v, n) == 0);
  }
}

/* leveldb_get of `key`, checked against `expected` (NULL: absent) and
 * printed as "get <key>: <value or (absent)>". */
static inline void CheckGet(leveldb_t* db, const leveldb_readoptions_t* options,
                            const char* key, const char* expected) {
  char* err = NULL;
  size_t val_len = 12345;
  char* val = leveldb_get(db, options, key, strlen(key), &val_len, &err);
  CHECK_NO_ERROR(err);
  CheckEqual(expected, val, val_len);
  if (val == NULL) {
    CHECK(val_len == 0);
    printf("get %s: (absent)\n", key);
  } else {
    char label[256];
    snprintf(label, sizeof(label), "get %s", key);
    PrintBytes(label, val, val_len);
  }
  free(val);
}

/* Checks the iterator's current entry against (key, val) and prints it. */
static inline void CheckIter(leveldb_iterator_t* iter, const char* key, const char* val) {
  size_t len = 0;
  const char* str = leveldb_iter_key(iter, &len);
  CheckEqual(key, str, len);
  str = leveldb_iter_value(iter, &len);
  CheckEqual(val, str, len);
  printf("iter at %s=%s\n", key, val);
}

#endif /* STRATA_C_TESTS_COMMON_H_ */
