/* leveldb_repair_db, cross-checked against LevelDB 1.23, beyond the repair
 * phase of api_c_test.c: a custom comparator with data in tables and in the
 * log plus deletions, recovery of a database whose CURRENT file was lost, and
 * repair errors. */
#include "common.h"

#include <unistd.h>

static int CmpCompare(void* arg, const char* a, size_t alen, const char* b, size_t blen) {
  (void)arg;
  size_t n = (alen < blen) ? alen : blen;
  int r = memcmp(a, b, n);
  if (r == 0) r = (alen < blen) ? -1 : (alen > blen) ? 1 : 0;
  return r;
}
static const char* CmpName(void* arg) {
  (void)arg;
  return "foo";
}
static void CmpDestroy(void* arg) { (void)arg; }

static void Put(leveldb_t* db, const leveldb_writeoptions_t* w, const char* k, const char* v) {
  char* err = NULL;
  leveldb_put(db, w, k, strlen(k), v, strlen(v), &err);
  CHECK_NO_ERROR(err);
}

int main(int argc, char** argv) {
  Init(argc, argv);
  char* err = NULL;
  leveldb_readoptions_t* r = leveldb_readoptions_create();
  leveldb_writeoptions_t* w = leveldb_writeoptions_create();

  StartPhase("repair (c_test)");
  {
    leveldb_comparator_t* cmp = leveldb_comparator_create(NULL, CmpDestroy, CmpCompare, CmpName);
    char* name = Path("c_test_db");
    leveldb_options_t* options = leveldb_options_create();
    leveldb_options_set_comparator(options, cmp);
    leveldb_options_set_create_if_missing(options, 1);
    leveldb_options_set_error_if_exists(options, 1);
    leveldb_options_set_write_buffer_size(options, 100000);
    leveldb_options_set_paranoid_checks(options, 1);
    leveldb_options_set_block_size(options, 1024);
    leveldb_options_set_compression(options, leveldb_no_compression);
    leveldb_t* db = leveldb_open(options, name, &err);
    CHECK_NO_ERROR(err);
    Put(db, w, "foo", "hello");
    leveldb_compact_range(db, NULL, 0, NULL, 0);
    Put(db, w, "bar", "b");
    Put(db, w, "box", "c");
    leveldb_delete(db, w, "bar", 3, &err);
    CHECK_NO_ERROR(err);
    leveldb_delete(db, w, "foo", 3, &err);
    CHECK_NO_ERROR(err);
    leveldb_close(db);

    leveldb_options_set_create_if_missing(options, 0);
    leveldb_options_set_error_if_exists(options, 0);
    leveldb_repair_db(options, name, &err);
    CHECK_NO_ERROR(err);
    db = leveldb_open(options, name, &err);
    CHECK_NO_ERROR(err);
    CheckGet(db, r, "foo", NULL);
    CheckGet(db, r, "bar", NULL);
    CheckGet(db, r, "box", "c");
    leveldb_close(db);
    leveldb_destroy_db(options, name, &err);
    CHECK_NO_ERROR(err);
    leveldb_options_destroy(options);
    leveldb_comparator_destroy(cmp);
    free(name);
  }

  StartPhase("lost CURRENT");
  {
    char* name = Path("repair_db");
    leveldb_options_t* options = leveldb_options_create();
    leveldb_options_set_create_if_missing(options, 1);
    leveldb_t* db = leveldb_open(options, name, &err);
    CHECK_NO_ERROR(err);
    Put(db, w, "r1", "one");
    leveldb_compact_range(db, NULL, 0, NULL, 0);
    Put(db, w, "r2", "two");
    leveldb_close(db);
    /* Losing CURRENT makes the database unopenable until repaired. */
    char* current = Path("repair_db/CURRENT");
    CHECK(unlink(current) == 0);
    leveldb_options_set_create_if_missing(options, 0);
    CHECK(leveldb_open(options, name, &err) == NULL);
    ExpectError("without CURRENT", &err);
    leveldb_repair_db(options, name, &err);
    CHECK_NO_ERROR(err);
    db = leveldb_open(options, name, &err);
    CHECK_NO_ERROR(err);
    CheckGet(db, r, "r1", "one");
    CheckGet(db, r, "r2", "two");
    leveldb_iterator_t* it = leveldb_create_iterator(db, r);
    int count = 0;
    for (leveldb_iter_seek_to_first(it); leveldb_iter_valid(it); leveldb_iter_next(it)) count++;
    printf("entries after repair: %d\n", count);
    leveldb_iter_destroy(it);
    leveldb_close(db);

    leveldb_destroy_db(options, name, &err);
    CHECK_NO_ERROR(err);
    leveldb_options_destroy(options);
    free(current);
    free(name);
  }

  StartPhase("nothing to repair");
  {
    /* A directory without a database: RepairDB (which does not take the
     * LOCK) makes the directory and an empty database in it. */
    char* name = Path("never_created");
    leveldb_options_t* options = leveldb_options_create();
    leveldb_repair_db(options, name, &err);
    if (err != NULL) {
      ExpectError("repair empty", &err);
    } else {
      leveldb_t* db = leveldb_open(options, name, &err);
      if (err != NULL) {
        ExpectError("open after repair", &err);
      } else {
        CheckGet(db, r, "anything", NULL);
        leveldb_close(db);
      }
    }
    leveldb_destroy_db(options, name, &err);
    CHECK_NO_ERROR(err);
    leveldb_options_destroy(options);
    free(name);
  }

  leveldb_readoptions_destroy(r);
  leveldb_writeoptions_destroy(w);
  printf("PASS\n");
  return 0;
}
