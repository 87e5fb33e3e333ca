/* Strata's NULL policy (LevelDB 1.23 itself crashes on these, so this
 * program runs against Strata only): a NULL handle, or a NULL buffer with a
 * non-zero length, is reported as "Invalid argument: ..." through errptr,
 * or ignored where nothing can be reported; destroying NULL is a no-op. */
#include "common.h"

static void ExpectInvalid(const char* label, char** err) {
  CHECK(*err != NULL);
  CHECK(strncmp(*err, "Invalid argument: ", 18) == 0);
  ExpectError(label, err);
}

static void Put(void* s, const char* k, size_t kl, const char* v, size_t vl) {
  (void)k, (void)kl, (void)v, (void)vl;
  (*(int*)s)++;
}

static int Compare(void* s, const char* a, size_t al, const char* b, size_t bl) {
  (void)s, (void)a, (void)al, (void)b, (void)bl;
  return 0;
}
static const char* Name(void* s) {
  (void)s;
  return "x";
}

int main(int argc, char** argv) {
  Init(argc, argv);
  char* err = NULL;
  char* name = Path("db");
  leveldb_options_t* options = leveldb_options_create();
  leveldb_options_set_create_if_missing(options, 1);
  leveldb_readoptions_t* r = leveldb_readoptions_create();
  leveldb_writeoptions_t* w = leveldb_writeoptions_create();

  StartPhase("open");
  CHECK(leveldb_open(NULL, name, &err) == NULL);
  ExpectInvalid("open NULL options", &err);
  CHECK(leveldb_open(options, NULL, &err) == NULL);
  ExpectInvalid("open NULL name", &err);
  /* NULL comparator / env on options restore the defaults. */
  leveldb_options_set_comparator(options, NULL);
  leveldb_options_set_env(options, NULL);
  leveldb_options_set_cache(options, NULL);
  leveldb_options_set_filter_policy(options, NULL);
  leveldb_options_set_info_log(options, NULL);
  leveldb_t* db = leveldb_open(options, name, &err);
  CHECK_NO_ERROR(err);

  StartPhase("writes");
  leveldb_put(NULL, w, "k", 1, "v", 1, &err);
  ExpectInvalid("put NULL db", &err);
  leveldb_put(db, NULL, "k", 1, "v", 1, &err);
  ExpectInvalid("put NULL options", &err);
  leveldb_put(db, w, NULL, 1, "v", 1, &err);
  ExpectInvalid("put NULL key", &err);
  leveldb_put(db, w, "k", 1, NULL, 1, &err);
  ExpectInvalid("put NULL value", &err);
  leveldb_put(db, w, NULL, 0, NULL, 0, &err); /* (NULL, 0) is the empty slice */
  CHECK_NO_ERROR(err);
  leveldb_put(db, w, NULL, 1, "v", 1, NULL); /* NULL errptr: dropped, no crash */
  leveldb_delete(NULL, w, "k", 1, &err);
  ExpectInvalid("delete NULL db", &err);
  leveldb_delete(db, w, NULL, 2, &err);
  ExpectInvalid("delete NULL key", &err);
  leveldb_write(db, w, NULL, &err);
  ExpectInvalid("write NULL batch", &err);

  StartPhase("reads");
  size_t len = 7;
  CHECK(leveldb_get(NULL, r, "k", 1, &len, &err) == NULL);
  CHECK(len == 0);
  ExpectInvalid("get NULL db", &err);
  CHECK(leveldb_get(db, r, NULL, 1, &len, &err) == NULL);
  ExpectInvalid("get NULL key", &err);
  CHECK(leveldb_get(db, r, "k", 1, NULL, &err) == NULL);
  ExpectInvalid("get NULL vallen", &err);
  char* v = leveldb_get(db, r, NULL, 0, &len, &err);
  CHECK_NO_ERROR(err);
  CHECK(v != NULL && len == 0); /* the empty key written above */
  leveldb_free(v);
  CHECK(leveldb_property_value(NULL, "leveldb.stats") == NULL);
  CHECK(leveldb_property_value(db, NULL) == NULL);
  CHECK(leveldb_create_iterator(NULL, r) == NULL);
  CHECK(leveldb_create_iterator(db, NULL) == NULL);
  CHECK(leveldb_create_snapshot(NULL) == NULL);
  leveldb_release_snapshot(db, NULL);
  leveldb_release_snapshot(NULL, NULL);
  uint64_t sizes[2] = {5, 5};
  const char* keys[2] = {"a", NULL};
  size_t lens[2] = {1, 1};
  leveldb_approximate_sizes(db, 2, keys, lens, keys, lens, sizes);
  CHECK(sizes[0] == 0 && sizes[1] == 0);
  leveldb_approximate_sizes(db, 2, NULL, NULL, NULL, NULL, sizes);
  leveldb_approximate_sizes(NULL, 2, keys, lens, keys, lens, sizes);
  leveldb_approximate_sizes(db, 1, keys, lens, keys, lens, NULL);
  leveldb_compact_range(NULL, NULL, 0, NULL, 0);
  leveldb_compact_range(db, NULL, 5, NULL, 5); /* NULL means unbounded */
  printf("NULL reads: NULL, 0 or nothing\n");

  StartPhase("iterators");
  CHECK(leveldb_iter_valid(NULL) == 0);
  leveldb_iter_seek_to_first(NULL);
  leveldb_iter_seek_to_last(NULL);
  leveldb_iter_seek(NULL, "a", 1);
  leveldb_iter_next(NULL);
  leveldb_iter_prev(NULL);
  len = 3;
  CHECK(leveldb_iter_key(NULL, &len) == NULL && len == 0);
  CHECK(leveldb_iter_value(NULL, NULL) == NULL);
  leveldb_iter_get_error(NULL, &err);
  ExpectInvalid("iter_get_error NULL iter", &err);
  leveldb_iterator_t* it = leveldb_create_iterator(db, r);
  /* Unpositioned: no entry, moves are no-ops (LevelDB asserts). */
  len = 3;
  CHECK(leveldb_iter_key(it, &len) == NULL && len == 0);
  CHECK(leveldb_iter_value(it, &len) == NULL && len == 0);
  leveldb_iter_next(it);
  leveldb_iter_prev(it);
  leveldb_iter_seek(it, NULL, 4); /* ignored */
  CHECK(!leveldb_iter_valid(it));
  leveldb_iter_seek(it, NULL, 0);
  CHECK(leveldb_iter_valid(it));
  leveldb_iter_destroy(it);
  printf("NULL iterators: ignored\n");

  StartPhase("batches");
  leveldb_writebatch_t* b = leveldb_writebatch_create();
  leveldb_writebatch_put(NULL, "k", 1, "v", 1);
  leveldb_writebatch_put(b, NULL, 1, "v", 1);
  leveldb_writebatch_put(b, "k", 1, NULL, 1);
  leveldb_writebatch_delete(b, NULL, 1);
  leveldb_writebatch_delete(NULL, "k", 1);
  leveldb_writebatch_clear(NULL);
  leveldb_writebatch_append(NULL, b);
  leveldb_writebatch_append(b, NULL);
  int n = 0;
  leveldb_writebatch_iterate(b, &n, Put, NULL);
  CHECK(n == 0);
  leveldb_writebatch_put(b, "k", 1, "v", 1);
  leveldb_writebatch_delete(b, "k", 1);
  leveldb_writebatch_iterate(b, &n, Put, NULL); /* NULL callback: skipped */
  CHECK(n == 1);
  leveldb_writebatch_iterate(NULL, &n, Put, NULL);
  leveldb_writebatch_destroy(b);
  printf("NULL batches: ignored\n");

  StartPhase("objects");
  CHECK(leveldb_comparator_create(NULL, NULL, NULL, Name) == NULL);
  CHECK(leveldb_comparator_create(NULL, NULL, Compare, NULL) == NULL);
  CHECK(leveldb_filterpolicy_create(NULL, NULL, NULL, NULL, Name) == NULL);
  CHECK(leveldb_env_get_test_directory(NULL) == NULL);
  leveldb_options_set_create_if_missing(NULL, 1);
  leveldb_options_set_error_if_exists(NULL, 1);
  leveldb_options_set_paranoid_checks(NULL, 1);
  leveldb_options_set_write_buffer_size(NULL, 1);
  leveldb_options_set_max_open_files(NULL, 1);
  leveldb_options_set_block_size(NULL, 1);
  leveldb_options_set_block_restart_interval(NULL, 1);
  leveldb_options_set_max_file_size(NULL, 1);
  leveldb_options_set_compression(NULL, 1);
  leveldb_options_set_comparator(NULL, NULL);
  leveldb_options_set_filter_policy(NULL, NULL);
  leveldb_options_set_env(NULL, NULL);
  leveldb_options_set_cache(NULL, NULL);
  leveldb_options_set_info_log(NULL, NULL);
  leveldb_readoptions_set_verify_checksums(NULL, 1);
  leveldb_readoptions_set_fill_cache(NULL, 1);
  leveldb_readoptions_set_snapshot(NULL, NULL);
  leveldb_writeoptions_set_sync(NULL, 1);
  leveldb_destroy_db(NULL, name, &err);
  ExpectInvalid("destroy NULL options", &err);
  leveldb_destroy_db(options, NULL, &err);
  ExpectInvalid("destroy NULL name", &err);
  leveldb_repair_db(NULL, name, &err);
  ExpectInvalid("repair NULL options", &err);
  leveldb_repair_db(options, NULL, &err);
  ExpectInvalid("repair NULL name", &err);

  StartPhase("destroy NULL");
  leveldb_close(NULL);
  leveldb_iter_destroy(NULL);
  leveldb_writebatch_destroy(NULL);
  leveldb_options_destroy(NULL);
  leveldb_readoptions_destroy(NULL);
  leveldb_writeoptions_destroy(NULL);
  leveldb_comparator_destroy(NULL);
  leveldb_filterpolicy_destroy(NULL);
  leveldb_cache_destroy(NULL);
  leveldb_env_destroy(NULL);
  leveldb_free(NULL);
  printf("all no-ops\n");

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
