/* Holds a database open, and so its LOCK, until its stdin is closed: the
 * "other process" of leveldbutil's lock tests. Built against the system's
 * LevelDB 1.23 (-lleveldb).
 *
 * Usage: lock_holder DBDIR
 * Prints "locked" on stdout once the database is open. */
#include <stdio.h>

#include <leveldb/c.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: lock_holder DBDIR\n");
    return 2;
  }
  leveldb_options_t* options = leveldb_options_create();
  char* err = NULL;
  leveldb_t* db = leveldb_open(options, argv[1], &err);
  if (err != NULL) {
    fprintf(stderr, "lock_holder: open %s: %s\n", argv[1], err);
    leveldb_free(err);
    return 1;
  }
  printf("locked\n");
  fflush(stdout);
  while (getchar() != EOF) {
  }
  leveldb_close(db);
  leveldb_options_destroy(options);
  return 0;
}
