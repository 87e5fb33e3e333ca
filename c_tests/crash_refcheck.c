/* The LevelDB 1.23 side of tests/crash_kill.rs, built against -lleveldb and
 * run as its own process on a copy of what a killed Strata writer left:
 *
 *   crash_refcheck DB
 *
 * Opens DB with paranoid_checks (so any corruption LevelDB's recovery
 * reports fails the open), reads everything with checksums verified, and
 * prints each entry as `hexkey<TAB>hexvalue`. Exits 3 with the error on
 * stderr if the open or the scan fails. */
#include <stdio.h>
#include <stdlib.h>

#include "leveldb/c.h"

static void hex(const char* p, size_t n) {
  for (size_t i = 0; i < n; i++) printf("%02x", (unsigned char)p[i]);
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: crash_refcheck DB\n");
    return 64;
  }
  leveldb_options_t* options = leveldb_options_create();
  leveldb_options_set_paranoid_checks(options, 1);
  char* err = NULL;
  leveldb_t* db = leveldb_open(options, argv[1], &err);
  if (err != NULL) {
    fprintf(stderr, "open: %s\n", err);
    return 3;
  }
  leveldb_readoptions_t* ro = leveldb_readoptions_create();
  leveldb_readoptions_set_verify_checksums(ro, 1);
  leveldb_iterator_t* it = leveldb_create_iterator(db, ro);
  for (leveldb_iter_seek_to_first(it); leveldb_iter_valid(it);
       leveldb_iter_next(it)) {
    size_t klen, vlen;
    const char* k = leveldb_iter_key(it, &klen);
    const char* v = leveldb_iter_value(it, &vlen);
    hex(k, klen);
    putchar('\t');
    hex(v, vlen);
    putchar('\n');
  }
  leveldb_iter_get_error(it, &err);
  if (err != NULL) {
    fprintf(stderr, "scan: %s\n", err);
    return 3;
  }
  leveldb_iter_destroy(it);
  leveldb_readoptions_destroy(ro);
  leveldb_close(db);
  leveldb_options_destroy(options);
  return 0;
}
