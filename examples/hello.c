/* Strata from C: open a database, write, read, iterate, close.
 *
 *   cc -Iinclude examples/hello.c -Ltarget/release -lleveldb -o target/hello
 *   LD_LIBRARY_PATH=target/release target/hello [DB_DIR]
 *
 * The same source builds unchanged against LevelDB 1.23 (-lleveldb with the
 * system headers). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leveldb/c.h"

/* Prints the error, frees it, and stops. */
static void die_on_error(char* err, const char* what) {
  if (err != NULL) {
    fprintf(stderr, "%s: %s\n", what, err);
    leveldb_free(err);
    exit(1);
  }
}

int main(int argc, char** argv) {
  const char* path = argc > 1 ? argv[1] : "/tmp/strata-hello-db";
  char* err = NULL;

  printf("LevelDB API %d.%d\n", leveldb_major_version(), leveldb_minor_version());

  leveldb_options_t* options = leveldb_options_create();
  leveldb_options_set_create_if_missing(options, 1);
  leveldb_t* db = leveldb_open(options, path, &err);
  die_on_error(err, "open");

  leveldb_writeoptions_t* wopts = leveldb_writeoptions_create();
  leveldb_readoptions_t* ropts = leveldb_readoptions_create();

  /* Single writes, and an atomic batch. */
  leveldb_put(db, wopts, "hello", 5, "world", 5, &err);
  die_on_error(err, "put");
  leveldb_writebatch_t* batch = leveldb_writebatch_create();
  leveldb_writebatch_put(batch, "apple", 5, "red", 3);
  leveldb_writebatch_put(batch, "banana", 6, "yellow", 6);
  leveldb_writebatch_delete(batch, "cherry", 6);
  leveldb_write(db, wopts, batch, &err);
  die_on_error(err, "write");
  leveldb_writebatch_destroy(batch);

  /* A read: the value is malloc'ed, not NUL-terminated, ours to free. */
  size_t len = 0;
  char* value = leveldb_get(db, ropts, "hello", 5, &len, &err);
  die_on_error(err, "get");
  if (value == NULL) {
    fprintf(stderr, "hello: not found\n");
    return 1;
  }
  printf("hello = %.*s\n", (int)len, value);
  leveldb_free(value);

  /* Every entry in key order; key/value pointers live until the next move. */
  leveldb_iterator_t* it = leveldb_create_iterator(db, ropts);
  for (leveldb_iter_seek_to_first(it); leveldb_iter_valid(it); leveldb_iter_next(it)) {
    size_t klen, vlen;
    const char* k = leveldb_iter_key(it, &klen);
    const char* v = leveldb_iter_value(it, &vlen);
    printf("  %.*s -> %.*s\n", (int)klen, k, (int)vlen, v);
  }
  leveldb_iter_get_error(it, &err);
  die_on_error(err, "iterate");
  leveldb_iter_destroy(it);

  leveldb_readoptions_destroy(ropts);
  leveldb_writeoptions_destroy(wopts);
  leveldb_close(db);
  leveldb_destroy_db(options, path, &err);
  die_on_error(err, "destroy");
  leveldb_options_destroy(options);
  return 0;
}
