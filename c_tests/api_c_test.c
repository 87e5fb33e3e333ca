/* LevelDB's own C API test (db/c_test.c), phase by phase, in our words:
 * open/put/get/delete, compaction, write batches and their iteration,
 * iterators both ways, approximate sizes, properties, snapshots, repair,
 * custom comparator, filter policies (callbacks and bloom), leveldb_free,
 * destroy. Run against Strata and against LevelDB 1.23; the transcripts must
 * match. */
#include "common.h"

/* ---- a comparator in C: bytewise, with its own name ---- */

static int g_cmp_destroyed = 0;

static void CmpDestroy(void* arg) {
  (void)arg;
  g_cmp_destroyed++;
}

static int CmpCompare(void* arg, const char* a, size_t alen, const char* b, size_t blen) {
  (void)arg;
  size_t n = (alen < blen) ? alen : blen;
  int r = memcmp(a, b, n);
  if (r == 0) {
    if (alen < blen) {
      r = -1;
    } else if (alen > blen) {
      r = +1;
    }
  }
  return r;
}

static const char* CmpName(void* arg) {
  (void)arg;
  return "foo";
}

/* ---- a filter policy in C that answers what the test tells it ---- */

static uint8_t g_fake_filter_result = 1;
static int g_filter_destroyed = 0;

static void FilterDestroy(void* arg) {
  (void)arg;
  g_filter_destroyed++;
}

static const char* FilterName(void* arg) {
  (void)arg;
  return "TestFilter";
}

static char* FilterCreate(void* arg, const char* const* key_array, const size_t* key_length_array,
                          int num_keys, size_t* filter_length) {
  (void)arg;
  (void)key_array;
  (void)key_length_array;
  CHECK(num_keys > 0);
  *filter_length = 4;
  char* result = malloc(4);
  memcpy(result, "fake", 4);
  return result;
}

static uint8_t FilterKeyMatch(void* arg, const char* key, size_t length, const char* filter,
                              size_t filter_length) {
  (void)arg;
  (void)key;
  (void)length;
  CHECK(filter_length == 4);
  CHECK(memcmp(filter, "fake", 4) == 0);
  return g_fake_filter_result;
}

/* ---- write batch iteration callbacks ---- */

static void CheckPut(void* ptr, const char* k, size_t klen, const char* v, size_t vlen) {
  int* state = (int*)ptr;
  CHECK(*state < 2);
  switch (*state) {
    case 0:
      CheckEqual("bar", k, klen);
      CheckEqual("b", v, vlen);
      break;
    case 1:
      CheckEqual("box", k, klen);
      CheckEqual("c", v, vlen);
      break;
  }
  PrintBytes("batch put", k, klen);
  (*state)++;
}

static void CheckDel(void* ptr, const char* k, size_t klen) {
  int* state = (int*)ptr;
  CHECK(*state == 2);
  CheckEqual("bar", k, klen);
  PrintBytes("batch delete", k, klen);
  (*state)++;
}

int main(int argc, char** argv) {
  Init(argc, argv);
  char* err = NULL;
  leveldb_t* db;

  StartPhase("create_objects");
  leveldb_comparator_t* cmp = leveldb_comparator_create(NULL, CmpDestroy, CmpCompare, CmpName);
  leveldb_env_t* env = leveldb_create_default_env();
  leveldb_cache_t* cache = leveldb_cache_create_lru(100000);
  char* dbname = Path("c_test_db");

  leveldb_options_t* options = leveldb_options_create();
  leveldb_options_set_comparator(options, cmp);
  leveldb_options_set_error_if_exists(options, 1);
  leveldb_options_set_cache(options, cache);
  leveldb_options_set_env(options, env);
  leveldb_options_set_info_log(options, NULL);
  leveldb_options_set_write_buffer_size(options, 100000);
  leveldb_options_set_paranoid_checks(options, 1);
  leveldb_options_set_max_open_files(options, 10);
  leveldb_options_set_block_size(options, 1024);
  leveldb_options_set_block_restart_interval(options, 8);
  leveldb_options_set_max_file_size(options, 3 << 20);
  leveldb_options_set_compression(options, leveldb_no_compression);

  leveldb_readoptions_t* roptions = leveldb_readoptions_create();
  leveldb_readoptions_set_verify_checksums(roptions, 1);
  leveldb_readoptions_set_fill_cache(roptions, 0);

  leveldb_writeoptions_t* woptions = leveldb_writeoptions_create();
  leveldb_writeoptions_set_sync(woptions, 1);
  CHECK(cmp && env && cache && options && roptions && woptions);

  StartPhase("destroy");
  leveldb_destroy_db(options, dbname, &err);
  CHECK_NO_ERROR(err);

  StartPhase("open_error");
  db = leveldb_open(options, dbname, &err);
  CHECK(db == NULL);
  ExpectError("open error", &err);

  StartPhase("leveldb_free");
  db = leveldb_open(options, dbname, &err);
  CHECK(db == NULL);
  CHECK(err != NULL);
  leveldb_free(err);
  err = NULL;

  StartPhase("open");
  leveldb_options_set_create_if_missing(options, 1);
  db = leveldb_open(options, dbname, &err);
  CHECK_NO_ERROR(err);
  CHECK(db != NULL);
  CheckGet(db, roptions, "foo", NULL);

  StartPhase("put");
  leveldb_put(db, woptions, "foo", 3, "hello", 5, &err);
  CHECK_NO_ERROR(err);
  CheckGet(db, roptions, "foo", "hello");

  StartPhase("compactall");
  leveldb_compact_range(db, NULL, 0, NULL, 0);
  CheckGet(db, roptions, "foo", "hello");

  StartPhase("compactrange");
  leveldb_compact_range(db, "a", 1, "z", 1);
  CheckGet(db, roptions, "foo", "hello");

  StartPhase("writebatch");
  {
    leveldb_writebatch_t* wb = leveldb_writebatch_create();
    leveldb_writebatch_put(wb, "foo", 3, "a", 1);
    leveldb_writebatch_clear(wb);
    leveldb_writebatch_put(wb, "bar", 3, "b", 1);
    leveldb_writebatch_put(wb, "box", 3, "c", 1);
    leveldb_writebatch_delete(wb, "bar", 3);
    leveldb_write(db, woptions, wb, &err);
    CHECK_NO_ERROR(err);
    CheckGet(db, roptions, "foo", "hello");
    CheckGet(db, roptions, "bar", NULL);
    CheckGet(db, roptions, "box", "c");
    int pos = 0;
    leveldb_writebatch_iterate(wb, &pos, CheckPut, CheckDel);
    CHECK(pos == 3);
    leveldb_writebatch_destroy(wb);
  }

  StartPhase("iter");
  {
    leveldb_iterator_t* iter = leveldb_create_iterator(db, roptions);
    CHECK(!leveldb_iter_valid(iter));
    leveldb_iter_seek_to_first(iter);
    CHECK(leveldb_iter_valid(iter));
    CheckIter(iter, "box", "c");
    leveldb_iter_next(iter);
    CheckIter(iter, "foo", "hello");
    leveldb_iter_prev(iter);
    CheckIter(iter, "box", "c");
    leveldb_iter_prev(iter);
    CHECK(!leveldb_iter_valid(iter));
    leveldb_iter_seek_to_last(iter);
    CheckIter(iter, "foo", "hello");
    leveldb_iter_seek(iter, "b", 1);
    CheckIter(iter, "box", "c");
    leveldb_iter_get_error(iter, &err);
    CHECK_NO_ERROR(err);
    leveldb_iter_destroy(iter);
  }

  StartPhase("approximate_sizes");
  {
    int i;
    const int n = 20000;
    char keybuf[100];
    char valbuf[100];
    char midkey[100];
    uint64_t sizes[2];
    snprintf(midkey, sizeof(midkey), "k%020d", n / 2);
    const char* start[2] = {"a", midkey};
    size_t start_len[2] = {1, 21};
    const char* limit[2] = {midkey, "z"};
    size_t limit_len[2] = {21, 1};
    leveldb_writeoptions_set_sync(woptions, 0);
    for (i = 0; i < n; i++) {
      snprintf(keybuf, sizeof(keybuf), "k%020d", i);
      snprintf(valbuf, sizeof(valbuf), "v%020d", i);
      leveldb_put(db, woptions, keybuf, strlen(keybuf), valbuf, strlen(valbuf), &err);
      CHECK_NO_ERROR(err);
    }
    leveldb_approximate_sizes(db, 2, start, start_len, limit, limit_len, sizes);
    CHECK(sizes[0] > 0);
    CHECK(sizes[1] > 0);
    printf("approximate sizes > 0\n");
    for (i = 0; i < n; i++) {
      snprintf(keybuf, sizeof(keybuf), "k%020d", i);
      leveldb_delete(db, woptions, keybuf, strlen(keybuf), &err);
      CHECK_NO_ERROR(err);
    }
    leveldb_writeoptions_set_sync(woptions, 1);
  }

  StartPhase("property");
  {
    char* prop = leveldb_property_value(db, "nosuchprop");
    CHECK(prop == NULL);
    printf("nosuchprop: (null)\n");
    prop = leveldb_property_value(db, "leveldb.stats");
    CHECK(prop != NULL);
    printf("leveldb.stats: present\n");
    leveldb_free(prop);
  }

  StartPhase("snapshot");
  {
    const leveldb_snapshot_t* snap = leveldb_create_snapshot(db);
    leveldb_delete(db, woptions, "foo", 3, &err);
    CHECK_NO_ERROR(err);
    leveldb_readoptions_set_snapshot(roptions, snap);
    CheckGet(db, roptions, "foo", "hello");
    leveldb_readoptions_set_snapshot(roptions, NULL);
    CheckGet(db, roptions, "foo", NULL);
    leveldb_release_snapshot(db, snap);
  }

  StartPhase("repair");
  {
    leveldb_close(db);
    leveldb_options_set_create_if_missing(options, 0);
    leveldb_options_set_error_if_exists(options, 0);
    leveldb_repair_db(options, dbname, &err);
    CHECK_NO_ERROR(err);
    db = leveldb_open(options, dbname, &err);
    CHECK_NO_ERROR(err);
    CheckGet(db, roptions, "foo", NULL);
    CheckGet(db, roptions, "bar", NULL);
    CheckGet(db, roptions, "box", "c");
    leveldb_options_set_create_if_missing(options, 1);
    leveldb_options_set_error_if_exists(options, 1);
  }

  StartPhase("filter");
  for (int run = 0; run < 2; run++) {
    /* First run uses the callback policy, second the built-in bloom. */
    CHECK_NO_ERROR(err);
    leveldb_filterpolicy_t* policy;
    if (run == 0) {
      policy = leveldb_filterpolicy_create(NULL, FilterDestroy, FilterCreate, FilterKeyMatch,
                                           FilterName);
    } else {
      policy = leveldb_filterpolicy_create_bloom(10);
    }
    printf("filter run %d\n", run);

    /* Create a new database */
    leveldb_close(db);
    leveldb_destroy_db(options, dbname, &err);
    leveldb_options_set_filter_policy(options, policy);
    db = leveldb_open(options, dbname, &err);
    CHECK_NO_ERROR(err);
    leveldb_put(db, woptions, "foo", 3, "foovalue", 8, &err);
    CHECK_NO_ERROR(err);
    leveldb_put(db, woptions, "bar", 3, "barvalue", 8, &err);
    CHECK_NO_ERROR(err);
    leveldb_compact_range(db, NULL, 0, NULL, 0);

    g_fake_filter_result = 1;
    CheckGet(db, roptions, "foo", "foovalue");
    CheckGet(db, roptions, "bar", "barvalue");
    if (run == 0) {
      /* Must not find the keys: the filter says they are absent. */
      g_fake_filter_result = 0;
      CheckGet(db, roptions, "foo", NULL);
      CheckGet(db, roptions, "bar", NULL);
      g_fake_filter_result = 1;
      CheckGet(db, roptions, "foo", "foovalue");
      CheckGet(db, roptions, "bar", "barvalue");
    }
    leveldb_options_set_filter_policy(options, NULL);
    leveldb_filterpolicy_destroy(policy);
  }

  StartPhase("cleanup");
  leveldb_close(db);
  leveldb_options_destroy(options);
  leveldb_readoptions_destroy(roptions);
  leveldb_writeoptions_destroy(woptions);
  leveldb_comparator_destroy(cmp);
  leveldb_cache_destroy(cache);
  leveldb_env_destroy(env);
  /* Every destructor ran exactly once, once nothing used its object. */
  CHECK(g_cmp_destroyed == 1);
  CHECK(g_filter_destroyed == 1);
  printf("destructors ran once\n");
  free(dbname);

  printf("PASS\n");
  return 0;
}
