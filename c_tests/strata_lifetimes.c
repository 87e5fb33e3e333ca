/* Strata's lifetime guarantees beyond LevelDB's (Strata only: LevelDB 1.23
 * would use freed memory here). The comparator, filter policy, cache and
 * env handles may be destroyed while a database still uses them: the
 * database keeps its own references, and a callback object's destructor
 * runs exactly once, when the last user is gone (here: leveldb_close). */
#include "common.h"

struct State {
  int destroyed;
  int compares;
};

static void Destroy(void* arg) { ((struct State*)arg)->destroyed++; }

static int Compare(void* arg, const char* a, size_t alen, const char* b, size_t blen) {
  ((struct State*)arg)->compares++;
  size_t n = alen < blen ? alen : blen;
  int r = memcmp(a, b, n);
  if (r == 0) r = (alen < blen) ? -1 : (alen > blen) ? 1 : 0;
  return r;
}
static const char* Name(void* arg) {
  (void)arg;
  return "strata.CountingComparator";
}

static char* CreateFilter(void* arg, const char* const* keys, const size_t* lens, int n,
                          size_t* len) {
  (void)arg, (void)keys, (void)lens, (void)n;
  *len = 1;
  char* f = malloc(1);
  f[0] = 'f';
  return f;
}
static uint8_t MayMatch(void* arg, const char* k, size_t kl, const char* f, size_t fl) {
  (void)arg, (void)k, (void)kl, (void)f, (void)fl;
  return 1;
}

int main(int argc, char** argv) {
  Init(argc, argv);
  char* err = NULL;
  char* name = Path("db");
  struct State cmp_state = {0, 0};
  struct State filter_state = {0, 0};

  StartPhase("handles destroyed while the database uses them");
  leveldb_comparator_t* cmp = leveldb_comparator_create(&cmp_state, Destroy, Compare, Name);
  leveldb_filterpolicy_t* filter =
      leveldb_filterpolicy_create(&filter_state, Destroy, CreateFilter, MayMatch, Name);
  leveldb_cache_t* cache = leveldb_cache_create_lru(1 << 20);
  leveldb_env_t* env = leveldb_create_default_env();
  leveldb_options_t* options = leveldb_options_create();
  leveldb_options_set_create_if_missing(options, 1);
  leveldb_options_set_comparator(options, cmp);
  leveldb_options_set_filter_policy(options, filter);
  leveldb_options_set_cache(options, cache);
  leveldb_options_set_env(options, env);
  leveldb_t* db = leveldb_open(options, name, &err);
  CHECK_NO_ERROR(err);
  leveldb_options_destroy(options);
  leveldb_comparator_destroy(cmp);
  leveldb_filterpolicy_destroy(filter);
  leveldb_cache_destroy(cache);
  leveldb_env_destroy(env);
  CHECK(cmp_state.destroyed == 0 && filter_state.destroyed == 0);
  printf("destructors not yet run\n");

  leveldb_readoptions_t* r = leveldb_readoptions_create();
  leveldb_writeoptions_t* w = leveldb_writeoptions_create();
  char key[16];
  for (int i = 0; i < 500; i++) {
    snprintf(key, sizeof key, "k%04d", i);
    leveldb_put(db, w, key, strlen(key), "v", 1, &err);
    CHECK_NO_ERROR(err);
  }
  leveldb_compact_range(db, NULL, 0, NULL, 0);
  CheckGet(db, r, "k0042", "v");
  CHECK(cmp_state.compares > 0);
  printf("database still uses the comparator\n");

  StartPhase("iterators and snapshots may outlive the database");
  const leveldb_snapshot_t* snap = leveldb_create_snapshot(db);
  leveldb_readoptions_set_snapshot(r, snap);
  leveldb_release_snapshot(db, snap); /* the read options keep it alive */
  leveldb_iterator_t* it = leveldb_create_iterator(db, r);
  leveldb_close(db);
  int count = 0;
  for (leveldb_iter_seek_to_first(it); leveldb_iter_valid(it); leveldb_iter_next(it)) count++;
  printf("iterator after close: %d entries\n", count);
  CHECK(cmp_state.destroyed == 0); /* the iterator still orders keys */
  leveldb_iter_destroy(it);
  leveldb_readoptions_destroy(r);
  leveldb_writeoptions_destroy(w);
  CHECK(cmp_state.destroyed == 1 && filter_state.destroyed == 1);
  printf("destructors ran once, after the last user\n");

  options = leveldb_options_create();
  leveldb_destroy_db(options, name, &err);
  CHECK_NO_ERROR(err);
  leveldb_options_destroy(options);
  free(name);
  printf("PASS\n");
  return 0;
}
