/* Behaviour beyond LevelDB's c_test.c, cross-checked against LevelDB 1.23:
 * exact error texts, the errptr convention, empty and binary values,
 * iteration both ways over many keys, iterator and snapshot isolation,
 * write batch append, a custom (reverse) comparator and comparator
 * mismatch, filter policy callbacks, properties, approximate sizes, compact
 * ranges, destroy edge cases, caches, env and versions. (Repair: see
 * api_repair.c.) */
#include "common.h"

#include <unistd.h>

static leveldb_options_t* NewOptions(int create_if_missing) {
  leveldb_options_t* options = leveldb_options_create();
  CHECK(options != NULL);
  leveldb_options_set_create_if_missing(options, (uint8_t)create_if_missing);
  return options;
}

static leveldb_t* OpenOk(const leveldb_options_t* options, const char* name) {
  char* err = NULL;
  leveldb_t* db = leveldb_open(options, name, &err);
  CHECK_NO_ERROR(err);
  CHECK(db != NULL);
  return db;
}

static void Put(leveldb_t* db, const leveldb_writeoptions_t* w, const char* k, const char* v) {
  char* err = NULL;
  leveldb_put(db, w, k, strlen(k), v, strlen(v), &err);
  CHECK_NO_ERROR(err);
}

/* Prints the iterator's current key (or value) as "label: bytes". */
static void PrintKey(const char* label, const leveldb_iterator_t* it) {
  size_t len = 0;
  const char* k = leveldb_iter_key(it, &len);
  PrintBytes(label, k, len);
}
static void PrintValue(const char* label, const leveldb_iterator_t* it) {
  size_t len = 0;
  const char* v = leveldb_iter_value(it, &len);
  PrintBytes(label, v, len);
}

/* LevelDB 1.23 calls destructors unconditionally: never pass NULL. */
static void NoDestroy(void* arg) { (void)arg; }

/* ---- a reverse-order comparator ---- */
static int RevCompare(void* arg, const char* a, size_t alen, const char* b, size_t blen) {
  (void)arg;
  size_t n = alen < blen ? alen : blen;
  int r = memcmp(a, b, n);
  if (r == 0) r = (alen < blen) ? -1 : (alen > blen) ? 1 : 0;
  return -r;
}
static const char* RevName(void* arg) {
  (void)arg;
  return "strata.ReverseComparator";
}

/* ---- a filter policy that records what it was given ---- */
struct FilterLog {
  int create_calls;
  int keys_seen;
  int bad_keys;
  int match_calls;
};
static char* LogCreate(void* arg, const char* const* keys, const size_t* lens, int n,
                       size_t* out_len) {
  struct FilterLog* log = (struct FilterLog*)arg;
  log->create_calls++;
  for (int i = 0; i < n; i++) {
    log->keys_seen++;
    /* User keys only: "fkNNN", never with LevelDB's 8-byte internal suffix. */
    if (lens[i] != 5 || memcmp(keys[i], "fk", 2) != 0) log->bad_keys++;
  }
  *out_len = 3;
  char* f = malloc(3);
  memcpy(f, "all", 3);
  return f;
}
static uint8_t LogMatch(void* arg, const char* key, size_t len, const char* filter,
                        size_t filter_len) {
  struct FilterLog* log = (struct FilterLog*)arg;
  log->match_calls++;
  CHECK(filter_len == 3 && memcmp(filter, "all", 3) == 0);
  /* "fk" keys may match; everything else is declared absent. */
  return len >= 2 && memcmp(key, "fk", 2) == 0;
}
static const char* LogName(void* arg) {
  (void)arg;
  return "strata.LogFilter";
}

/* ---- write batch printer ---- */
static void PrintPut(void* state, const char* k, size_t klen, const char* v, size_t vlen) {
  (*(int*)state)++;
  PrintBytes("  put key", k, klen);
  PrintBytes("  put val", v, vlen);
}
static void PrintDel(void* state, const char* k, size_t klen) {
  (*(int*)state)++;
  PrintBytes("  delete", k, klen);
}

int main(int argc, char** argv) {
  Init(argc, argv);
  char* err = NULL;
  leveldb_writeoptions_t* w = leveldb_writeoptions_create();
  leveldb_readoptions_t* r = leveldb_readoptions_create();

  StartPhase("version");
  printf("%d.%d\n", leveldb_major_version(), leveldb_minor_version());

  StartPhase("open errors");
  {
    char* name = Path("errors_db");
    leveldb_options_t* options = NewOptions(0);
    CHECK(leveldb_open(options, name, &err) == NULL);
    ExpectError("missing", &err);

    leveldb_options_set_create_if_missing(options, 1);
    leveldb_t* db = OpenOk(options, name);

    /* A second open in the same process finds the LOCK held. */
    CHECK(leveldb_open(options, name, &err) == NULL);
    ExpectError("locked", &err);
    /* So does destroying an open database. */
    leveldb_destroy_db(options, name, &err);
    ExpectError("destroy locked", &err);
    leveldb_close(db);

    leveldb_options_set_error_if_exists(options, 1);
    CHECK(leveldb_open(options, name, &err) == NULL);
    ExpectError("exists", &err);
    leveldb_options_set_error_if_exists(options, 0);

    /* errptr: a failing call frees the old message and stores a new one
     * (valgrind checks the old one is not leaked); a succeeding call leaves
     * it untouched. */
    leveldb_options_set_error_if_exists(options, 1);
    CHECK(leveldb_open(options, name, &err) == NULL);
    char* first = err;
    CHECK(first != NULL);
    leveldb_options_set_create_if_missing(options, 0);
    leveldb_options_set_error_if_exists(options, 0);
    char* other = Path("no_such_db");
    CHECK(leveldb_open(options, other, &err) == NULL);
    ExpectError("replaced", &err);
    err = strdup("sentinel");
    db = leveldb_open(options, name, &err);
    CHECK(db != NULL);
    CHECK(strcmp(err, "sentinel") == 0);
    Put(db, w, "k", "v");
    leveldb_put(db, w, "k", 1, "v", 1, &err);
    size_t len;
    char* v = leveldb_get(db, r, "absent", 6, &len, &err);
    CHECK(v == NULL && len == 0);
    CHECK(strcmp(err, "sentinel") == 0);
    printf("errptr untouched on success and on absent keys\n");
    free(err);
    err = NULL;
    leveldb_close(db);
    free(other);

    /* Destroying a database that does not exist is not an error. */
    other = Path("never_created");
    leveldb_destroy_db(options, other, &err);
    CHECK_NO_ERROR(err);
    printf("destroy missing: ok\n");
    free(other);

    leveldb_destroy_db(options, name, &err);
    CHECK_NO_ERROR(err);
    leveldb_options_destroy(options);
    free(name);
  }

  StartPhase("values");
  {
    char* name = Path("values_db");
    leveldb_options_t* options = NewOptions(1);
    leveldb_t* db = OpenOk(options, name);
    size_t len = 99;

    /* An empty value is found: non-NULL pointer, length 0. */
    leveldb_put(db, w, "empty", 5, "", 0, &err);
    CHECK_NO_ERROR(err);
    char* v = leveldb_get(db, r, "empty", 5, &len, &err);
    CHECK_NO_ERROR(err);
    CHECK(v != NULL && len == 0);
    printf("empty value: found, length 0\n");
    leveldb_free(v);

    /* An empty key works like any other. */
    leveldb_put(db, w, "", 0, "empty key", 9, &err);
    CHECK_NO_ERROR(err);
    v = leveldb_get(db, r, "", 0, &len, &err);
    CHECK_NO_ERROR(err);
    PrintBytes("empty key", v, len);
    free(v);

    /* Keys and values are bytes: embedded NULs and high bytes survive. */
    const char bkey[] = {'a', 0, 'b', (char)0xff};
    const char bval[] = {0, 1, 2, (char)0x80, 0};
    leveldb_put(db, w, bkey, sizeof bkey, bval, sizeof bval, &err);
    CHECK_NO_ERROR(err);
    v = leveldb_get(db, r, bkey, sizeof bkey, &len, &err);
    CHECK_NO_ERROR(err);
    PrintBytes("binary", v, len);
    free(v);
    v = leveldb_get(db, r, bkey, 2, &len, &err); /* a prefix is another key */
    CHECK(v == NULL);

    /* A 100 KB value. */
    size_t big_len = 100000;
    char* big = malloc(big_len);
    for (size_t i = 0; i < big_len; i++) big[i] = (char)('a' + i % 26);
    leveldb_put(db, w, "big", 3, big, big_len, &err);
    CHECK_NO_ERROR(err);
    v = leveldb_get(db, r, "big", 3, &len, &err);
    CHECK_NO_ERROR(err);
    CHECK(len == big_len && memcmp(v, big, big_len) == 0);
    printf("big value: %zu bytes\n", len);
    free(v);
    free(big);

    /* Delete, including of a missing key. */
    leveldb_delete(db, w, "empty", 5, &err);
    leveldb_delete(db, w, "never", 5, &err);
    CHECK_NO_ERROR(err);
    CheckGet(db, r, "empty", NULL);

    /* Values survive close and reopen (log recovery). */
    leveldb_close(db);
    db = OpenOk(options, name);
    v = leveldb_get(db, r, bkey, sizeof bkey, &len, &err);
    CHECK_NO_ERROR(err);
    PrintBytes("binary after reopen", v, len);
    free(v);
    CheckGet(db, r, "empty", NULL);
    leveldb_close(db);
    leveldb_destroy_db(options, name, &err);
    CHECK_NO_ERROR(err);
    leveldb_options_destroy(options);
    free(name);
  }

  StartPhase("iteration");
  {
    char* name = Path("iter_db");
    leveldb_options_t* options = NewOptions(1);
    leveldb_options_set_write_buffer_size(options, 64 << 10);
    leveldb_t* db = OpenOk(options, name);

    leveldb_iterator_t* it = leveldb_create_iterator(db, r);
    leveldb_iter_seek_to_first(it);
    CHECK(!leveldb_iter_valid(it));
    leveldb_iter_seek_to_last(it);
    CHECK(!leveldb_iter_valid(it));
    leveldb_iter_seek(it, "x", 1);
    CHECK(!leveldb_iter_valid(it));
    leveldb_iter_destroy(it);
    printf("empty database: never valid\n");

    /* 3000 keys written in a scrambled order, updated and partly deleted,
     * across memtable flushes. */
    char key[32], val[32];
    for (int i = 0; i < 3000; i++) {
      int k = (i * 7919) % 3000;
      snprintf(key, sizeof key, "key%05d", k);
      snprintf(val, sizeof val, "value%d", k);
      Put(db, w, key, val);
    }
    for (int k = 0; k < 3000; k += 3) {
      snprintf(key, sizeof key, "key%05d", k);
      leveldb_delete(db, w, key, strlen(key), &err);
      CHECK_NO_ERROR(err);
    }
    for (int k = 1; k < 3000; k += 3) {
      snprintf(key, sizeof key, "key%05d", k);
      snprintf(val, sizeof val, "new%d", k);
      Put(db, w, key, val);
    }

    /* A snapshot and an iterator taken now must not see later writes. */
    const leveldb_snapshot_t* snap = leveldb_create_snapshot(db);
    it = leveldb_create_iterator(db, r);
    Put(db, w, "key00000", "late");
    Put(db, w, "zzz", "late");
    leveldb_delete(db, w, "key00001", 8, &err);
    CHECK_NO_ERROR(err);

    unsigned long sum = 0;
    int count = 0;
    char prev[32] = "";
    for (leveldb_iter_seek_to_first(it); leveldb_iter_valid(it); leveldb_iter_next(it)) {
      size_t kl, vl;
      const char* k = leveldb_iter_key(it, &kl);
      const char* v = leveldb_iter_value(it, &vl);
      CHECK(kl < sizeof prev);
      CHECK(strlen(prev) == 0 || memcmp(prev, k, kl) < 0);
      memcpy(prev, k, kl);
      prev[kl] = 0;
      for (size_t j = 0; j < vl; j++) sum = sum * 31 + (unsigned char)v[j];
      if (count < 3) PrintBytes("forward", k, kl);
      count++;
    }
    printf("forward: %d entries, value hash %lu\n", count, sum);
    leveldb_iter_get_error(it, &err);
    CHECK_NO_ERROR(err);

    count = 0;
    for (leveldb_iter_seek_to_last(it); leveldb_iter_valid(it); leveldb_iter_prev(it)) {
      size_t kl;
      const char* k = leveldb_iter_key(it, &kl);
      if (count < 3) PrintBytes("backward", k, kl);
      count++;
    }
    printf("backward: %d entries\n", count);

    /* Seek lands on the first key >= target; direction changes work. */
    leveldb_iter_seek(it, "key01500", 8);
    PrintKey("seek key01500", it);
    PrintValue("  value", it);
    leveldb_iter_prev(it);
    PrintKey("  prev", it);
    leveldb_iter_next(it);
    leveldb_iter_next(it);
    PrintKey("  next next", it);
    leveldb_iter_seek(it, "key014995", 9);
    PrintKey("seek key014995", it);
    leveldb_iter_seek(it, "zz", 2);
    printf("seek past the end: valid=%d\n", leveldb_iter_valid(it));
    leveldb_iter_seek(it, "", 0);
    PrintKey("seek empty", it);
    leveldb_iter_destroy(it);

    /* Reads at the snapshot, then at the latest state. */
    leveldb_readoptions_t* at_snap = leveldb_readoptions_create();
    leveldb_readoptions_set_snapshot(at_snap, snap);
    CheckGet(db, at_snap, "key00000", NULL);
    CheckGet(db, at_snap, "key00001", "new1");
    CheckGet(db, at_snap, "zzz", NULL);
    CheckGet(db, r, "key00000", "late");
    CheckGet(db, r, "key00001", NULL);
    CheckGet(db, r, "key00002", "value2");
    it = leveldb_create_iterator(db, at_snap);
    leveldb_iter_seek_to_last(it);
    PrintKey("last at snapshot", it);
    leveldb_iter_destroy(it);
    leveldb_readoptions_destroy(at_snap);
    leveldb_release_snapshot(db, snap);

    /* Everything again after compaction and reopen. */
    leveldb_compact_range(db, NULL, 0, NULL, 0);
    leveldb_close(db);
    db = OpenOk(options, name);
    it = leveldb_create_iterator(db, r);
    count = 0;
    for (leveldb_iter_seek_to_first(it); leveldb_iter_valid(it); leveldb_iter_next(it)) count++;
    printf("after compaction and reopen: %d entries\n", count);
    leveldb_iter_destroy(it);

    StartPhase("properties");
    char* p = leveldb_property_value(db, "leveldb.num-files-at-level0");
    CHECK(p != NULL);
    leveldb_free(p);
    long files = 0;
    for (int level = 0; level < 7; level++) {
      char prop[64];
      snprintf(prop, sizeof prop, "leveldb.num-files-at-level%d", level);
      p = leveldb_property_value(db, prop);
      CHECK(p != NULL);
      files += atol(p);
      free(p);
    }
    CHECK(files >= 1);
    printf("table files: at least one\n");
    const char* unknown[] = {"leveldb.num-files-at-level7", "leveldb.num-files-at-levelx",
                             "leveldb.nosuch", "num-files-at-level0", ""};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
      p = leveldb_property_value(db, unknown[i]);
      printf("property '%s': %s\n", unknown[i], p ? p : "(null)");
      free(p);
    }
    p = leveldb_property_value(db, "leveldb.stats");
    CHECK(p != NULL);
    /* The header lines of the stats table are fixed text. */
    char* line_end = strchr(p, '\n');
    CHECK(line_end != NULL);
    line_end = strchr(line_end + 1, '\n');
    CHECK(line_end != NULL);
    line_end = strchr(line_end + 1, '\n');
    CHECK(line_end != NULL);
    *line_end = 0;
    printf("stats header:\n%s\n", p);
    free(p);
    p = leveldb_property_value(db, "leveldb.sstables");
    CHECK(p != NULL && strstr(p, "--- level 0 ---") == p);
    printf("sstables: starts with level 0\n");
    free(p);
    p = leveldb_property_value(db, "leveldb.approximate-memory-usage");
    CHECK(p != NULL && atol(p) > 0);
    printf("approximate-memory-usage: positive\n");
    free(p);

    StartPhase("approximate sizes");
    {
      const char* starts[3] = {"a", "key01000", "zzzz"};
      size_t start_lens[3] = {1, 8, 4};
      const char* limits[3] = {"z", "key02000", "zzzzz"};
      size_t limit_lens[3] = {1, 8, 5};
      uint64_t sizes[3] = {7, 7, 7};
      leveldb_approximate_sizes(db, 3, starts, start_lens, limits, limit_lens, sizes);
      CHECK(sizes[0] > 20000 && sizes[0] < 200000);
      CHECK(sizes[1] > 0 && sizes[1] < sizes[0]);
      CHECK(sizes[2] == 0);
      printf("sizes in range\n");
      leveldb_approximate_sizes(db, 0, starts, start_lens, limits, limit_lens, sizes);
      CHECK(sizes[2] == 0);
    }

    StartPhase("compact ranges");
    leveldb_compact_range(db, "key01000", 8, NULL, 0);
    leveldb_compact_range(db, NULL, 0, "key01000", 8);
    leveldb_compact_range(db, "b", 1, "a", 1);
    CheckGet(db, r, "key02998", "new2998");
    CheckGet(db, r, "key02999", "value2999");
    leveldb_close(db);
    leveldb_destroy_db(options, name, &err);
    CHECK_NO_ERROR(err);
    leveldb_options_destroy(options);
    free(name);
  }

  StartPhase("write batches");
  {
    leveldb_writebatch_t* a = leveldb_writebatch_create();
    leveldb_writebatch_t* b = leveldb_writebatch_create();
    int n = 0;
    leveldb_writebatch_iterate(a, &n, PrintPut, PrintDel);
    printf("empty batch: %d records\n", n);
    leveldb_writebatch_put(a, "k1", 2, "v1", 2);
    leveldb_writebatch_delete(a, "k0", 2);
    leveldb_writebatch_put(b, "k2", 2, "", 0);
    leveldb_writebatch_put(b, "k1", 2, "v1b", 3);
    leveldb_writebatch_append(a, b);
    printf("a after append:\n");
    n = 0;
    leveldb_writebatch_iterate(a, &n, PrintPut, PrintDel);
    printf("%d records\n", n);
    printf("b unchanged:\n");
    n = 0;
    leveldb_writebatch_iterate(b, &n, PrintPut, PrintDel);
    printf("%d records\n", n);
    leveldb_writebatch_append(b, b);
    n = 0;
    leveldb_writebatch_iterate(b, &n, PrintPut, PrintDel);
    printf("b appended to itself: %d records\n", n);

    char* name = Path("batch_db");
    leveldb_options_t* options = NewOptions(1);
    leveldb_t* db = OpenOk(options, name);
    Put(db, w, "k0", "old");
    leveldb_write(db, w, a, &err);
    CHECK_NO_ERROR(err);
    CheckGet(db, r, "k0", NULL);
    CheckGet(db, r, "k1", "v1b");
    CheckGet(db, r, "k2", "");
    /* Writing does not consume the batch: it can be written again. */
    n = 0;
    leveldb_writebatch_iterate(a, &n, PrintPut, PrintDel);
    printf("a after write: %d records\n", n);
    leveldb_writebatch_clear(a);
    n = 0;
    leveldb_writebatch_iterate(a, &n, PrintPut, PrintDel);
    printf("a after clear: %d records\n", n);
    leveldb_write(db, w, a, &err); /* an empty batch is fine */
    CHECK_NO_ERROR(err);
    leveldb_writebatch_destroy(a);
    leveldb_writebatch_destroy(b);
    leveldb_close(db);
    leveldb_destroy_db(options, name, &err);
    CHECK_NO_ERROR(err);
    leveldb_options_destroy(options);
    free(name);
  }

  StartPhase("comparator");
  {
    char* name = Path("rev_db");
    leveldb_comparator_t* rev = leveldb_comparator_create(NULL, NoDestroy, RevCompare, RevName);
    leveldb_options_t* options = NewOptions(1);
    leveldb_options_set_comparator(options, rev);
    leveldb_t* db = OpenOk(options, name);
    Put(db, w, "a", "1");
    Put(db, w, "c", "3");
    Put(db, w, "b", "2");
    leveldb_compact_range(db, NULL, 0, NULL, 0);
    Put(db, w, "bb", "22");
    leveldb_iterator_t* it = leveldb_create_iterator(db, r);
    for (leveldb_iter_seek_to_first(it); leveldb_iter_valid(it); leveldb_iter_next(it)) {
      size_t kl;
      const char* k = leveldb_iter_key(it, &kl);
      PrintBytes("reverse order", k, kl);
    }
    leveldb_iter_seek(it, "bz", 2);
    PrintKey("seek bz", it);
    leveldb_iter_destroy(it);
    leveldb_close(db);

    /* The name is stored: reopening with another order is refused. */
    leveldb_options_t* plain = NewOptions(0);
    CHECK(leveldb_open(plain, name, &err) == NULL);
    ExpectError("other comparator", &err);
    /* Reopening with the same name works. */
    db = OpenOk(options, name);
    CheckGet(db, r, "bb", "22");
    leveldb_close(db);
    leveldb_destroy_db(options, name, &err);
    CHECK_NO_ERROR(err);
    leveldb_options_destroy(plain);
    leveldb_options_destroy(options);
    leveldb_comparator_destroy(rev);

    /* And a database made with the default order refuses a custom one. */
    leveldb_options_t* defaults = NewOptions(1);
    db = OpenOk(defaults, name);
    leveldb_close(db);
    rev = leveldb_comparator_create(NULL, NoDestroy, RevCompare, RevName);
    leveldb_options_set_comparator(defaults, rev);
    CHECK(leveldb_open(defaults, name, &err) == NULL);
    ExpectError("custom on bytewise", &err);
    leveldb_destroy_db(defaults, name, &err);
    CHECK_NO_ERROR(err);
    leveldb_options_destroy(defaults);
    leveldb_comparator_destroy(rev);
    free(name);
  }

  StartPhase("filter policy");
  {
    char* name = Path("filter_db");
    struct FilterLog log = {0, 0, 0, 0};
    leveldb_filterpolicy_t* policy =
        leveldb_filterpolicy_create(&log, NoDestroy, LogCreate, LogMatch, LogName);
    leveldb_options_t* options = NewOptions(1);
    leveldb_options_set_filter_policy(options, policy);
    leveldb_t* db = OpenOk(options, name);
    char key[16];
    for (int i = 0; i < 200; i++) {
      snprintf(key, sizeof key, "fk%03d", i);
      Put(db, w, key, "v");
    }
    leveldb_compact_range(db, NULL, 0, NULL, 0);
    CHECK(log.create_calls > 0);
    CHECK(log.keys_seen >= 200);
    CHECK(log.bad_keys == 0);
    printf("create_filter saw user keys only\n");
    CheckGet(db, r, "fk007", "v");
    CHECK(log.match_calls > 0);
    /* The filter says "absent" for other keys: the read is answered without
     * the block. (fk-prefixed keys that were never written are absent too.) */
    CheckGet(db, r, "fk999", NULL);
    CheckGet(db, r, "other", NULL);
    leveldb_close(db);

    /* Tables written with a filter are readable without one, and by the
     * bloom filter policy (its name differs, so the stored filter is just
     * not used). */
    leveldb_options_set_filter_policy(options, NULL);
    db = OpenOk(options, name);
    CheckGet(db, r, "fk123", "v");
    leveldb_close(db);
    leveldb_filterpolicy_t* bloom = leveldb_filterpolicy_create_bloom(10);
    leveldb_options_set_filter_policy(options, bloom);
    db = OpenOk(options, name);
    CheckGet(db, r, "fk124", "v");
    CheckGet(db, r, "fk1240", NULL);
    leveldb_close(db);
    leveldb_destroy_db(options, name, &err);
    CHECK_NO_ERROR(err);
    leveldb_options_destroy(options);
    leveldb_filterpolicy_destroy(policy);
    leveldb_filterpolicy_destroy(bloom);
    free(name);
  }

  StartPhase("options and caches");
  {
    char* name = Path("opts_db");
    leveldb_cache_t* cache = leveldb_cache_create_lru(0);
    leveldb_env_t* env = leveldb_create_default_env();
    leveldb_options_t* options = NewOptions(1);
    leveldb_options_set_cache(options, cache);
    leveldb_options_set_env(options, env);
    leveldb_options_set_paranoid_checks(options, 1);
    leveldb_options_set_max_open_files(options, -5);
    leveldb_options_set_write_buffer_size(options, 1);
    leveldb_options_set_block_size(options, 1);
    leveldb_options_set_block_restart_interval(options, 1);
    leveldb_options_set_max_file_size(options, 1);
    leveldb_options_set_compression(options, leveldb_snappy_compression);
    leveldb_t* db = OpenOk(options, name);
    char key[16];
    for (int i = 0; i < 500; i++) {
      snprintf(key, sizeof key, "o%04d", i);
      Put(db, w, key, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    }
    leveldb_compact_range(db, NULL, 0, NULL, 0);
    leveldb_readoptions_t* ro = leveldb_readoptions_create();
    leveldb_readoptions_set_verify_checksums(ro, 1);
    leveldb_readoptions_set_fill_cache(ro, 1);
    CheckGet(db, ro, "o0250", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    CheckGet(db, ro, "o0250", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    leveldb_readoptions_destroy(ro);
    /* The caller may destroy its handles while the database still uses the
     * objects: LevelDB forbids it, Strata keeps them alive. Only the order
     * allowed by both is exercised here. */
    leveldb_close(db);
    leveldb_destroy_db(options, name, &err);
    CHECK_NO_ERROR(err);
    leveldb_options_destroy(options);
    leveldb_cache_destroy(cache);
    leveldb_env_destroy(env);
    free(name);
  }

  StartPhase("env test directory");
  {
    leveldb_env_t* env = leveldb_create_default_env();
    char* dir = leveldb_env_get_test_directory(env);
    CHECK(dir != NULL);
    PrintText("TEST_TMPDIR set", dir);
    CHECK(access(dir, F_OK) == 0); /* it was created */
    leveldb_free(dir);
    setenv("TEST_TMPDIR", "", 1);
    dir = leveldb_env_get_test_directory(env);
    char expected[64];
    snprintf(expected, sizeof expected, "/tmp/leveldbtest-%d", (int)geteuid());
    CHECK(dir != NULL && strcmp(dir, expected) == 0);
    printf("TEST_TMPDIR empty: /tmp/leveldbtest-<euid>\n");
    leveldb_free(dir);
    leveldb_env_destroy(env);
  }

  StartPhase("free");
  leveldb_free(NULL);
  printf("leveldb_free(NULL): ok\n");

  leveldb_readoptions_destroy(r);
  leveldb_writeoptions_destroy(w);
  printf("PASS\n");
  return 0;
}
