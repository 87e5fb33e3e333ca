/* The panic boundary, seen from C (Strata only). tests/c_api.rs runs this
 * with STRATA_TEST_PANIC naming leveldb_get, leveldb_write,
 * leveldb_property_value, leveldb_iter_valid, leveldb_writebatch_create and
 * leveldb_minor_version: each of those panics inside the library on
 * purpose. The panic must come back as an error through errptr (replacing
 * the old message) or as the return type's fallback (NULL, 0), and the
 * program and its database must keep working. */
#include "common.h"

int main(int argc, char** argv) {
  Init(argc, argv);
  char* err = NULL;
  char* name = Path("db");
  leveldb_options_t* options = leveldb_options_create();
  leveldb_options_set_create_if_missing(options, 1);
  leveldb_readoptions_t* r = leveldb_readoptions_create();
  leveldb_writeoptions_t* w = leveldb_writeoptions_create();
  leveldb_t* db = leveldb_open(options, name, &err);
  CHECK_NO_ERROR(err);
  leveldb_put(db, w, "k", 1, "v", 1, &err);
  CHECK_NO_ERROR(err);

  StartPhase("errptr functions report the panic");
  leveldb_open(options, name, &err); /* LOCK held: an ordinary error first */
  CHECK(err != NULL);
  size_t len = 9;
  char* v = leveldb_get(db, r, "k", 1, &len, &err);
  CHECK(v == NULL && len == 0);
  CHECK(strstr(err, "IO error: internal panic in leveldb_get") == err);
  ExpectError("get", &err);
  leveldb_write(db, w, NULL, &err);
  CHECK(strstr(err, "IO error: internal panic in leveldb_write") == err);
  ExpectError("write", &err);

  StartPhase("other functions return their fallback");
  CHECK(leveldb_property_value(db, "leveldb.stats") == NULL);
  CHECK(leveldb_writebatch_create() == NULL);
  CHECK(leveldb_minor_version() == 0);
  CHECK(leveldb_major_version() == 1); /* not targeted */
  leveldb_iterator_t* it = leveldb_create_iterator(db, r);
  leveldb_iter_seek_to_first(it);
  CHECK(leveldb_iter_valid(it) == 0);
  size_t kl = 0;
  const char* k = leveldb_iter_key(it, &kl); /* the iterator itself is fine */
  CheckEqual("k", k, kl);
  leveldb_iter_destroy(it);
  printf("NULL / 0 returned\n");

  StartPhase("the database keeps working");
  leveldb_put(db, w, "k2", 2, "v2", 2, &err);
  CHECK_NO_ERROR(err);
  leveldb_delete(db, w, "k", 1, &err);
  CHECK_NO_ERROR(err);
  leveldb_close(db);
  db = leveldb_open(options, name, &err);
  CHECK_NO_ERROR(err);
  it = leveldb_create_iterator(db, r);
  leveldb_iter_seek_to_first(it);
  k = leveldb_iter_key(it, &kl);
  CheckEqual("k2", k, kl);
  leveldb_iter_destroy(it);
  leveldb_close(db);
  leveldb_destroy_db(options, name, &err);
  CHECK_NO_ERROR(err);
  leveldb_options_destroy(options);
  leveldb_readoptions_destroy(r);
  leveldb_writeoptions_destroy(w);
  free(name);
  printf("PASS\n");
  return 0;
}
