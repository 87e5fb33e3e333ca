/* One leveldb_t shared by several threads (c.h allows it): each thread
 * writes its own keys with single puts and batches, reads them back, and
 * scans with its own iterator while the others write; afterwards the main
 * thread checks everything. The transcript only holds totals, which do not
 * depend on scheduling. Cross-checked against LevelDB 1.23. */
#include "common.h"

#include <pthread.h>

enum { kThreads = 4, kKeysPerThread = 1500 };

static leveldb_t* g_db;
static leveldb_readoptions_t* g_read;
static leveldb_writeoptions_t* g_write;

static void* Worker(void* arg) {
  int id = (int)(intptr_t)arg;
  char key[32], val[32];
  char* err = NULL;
  leveldb_writebatch_t* batch = leveldb_writebatch_create();
  for (int i = 0; i < kKeysPerThread; i++) {
    snprintf(key, sizeof key, "t%d-%05d", id, i);
    snprintf(val, sizeof val, "v%d-%d", id, i);
    if (i % 3 == 0) {
      leveldb_writebatch_put(batch, key, strlen(key), val, strlen(val));
      if (i % 30 == 0) {
        leveldb_write(g_db, g_write, batch, &err);
        CHECK_NO_ERROR(err);
        leveldb_writebatch_clear(batch);
      }
    } else {
      leveldb_put(g_db, g_write, key, strlen(key), val, strlen(val), &err);
      CHECK_NO_ERROR(err);
    }
    if (i % 97 == 0 && i % 3 != 0) {
      size_t len;
      char* got = leveldb_get(g_db, g_read, key, strlen(key), &len, &err);
      CHECK_NO_ERROR(err);
      CheckEqual(val, got, len);
      free(got);
    }
  }
  leveldb_write(g_db, g_write, batch, &err);
  CHECK_NO_ERROR(err);
  leveldb_writebatch_destroy(batch);

  /* A scan of this thread's own keys while the others may still write. */
  char prefix[8];
  snprintf(prefix, sizeof prefix, "t%d-", id);
  leveldb_iterator_t* it = leveldb_create_iterator(g_db, g_read);
  int seen = 0;
  for (leveldb_iter_seek(it, prefix, strlen(prefix)); leveldb_iter_valid(it);
       leveldb_iter_next(it)) {
    size_t kl;
    const char* k = leveldb_iter_key(it, &kl);
    if (kl < strlen(prefix) || memcmp(k, prefix, strlen(prefix)) != 0) break;
    seen++;
  }
  leveldb_iter_get_error(it, &err);
  CHECK_NO_ERROR(err);
  leveldb_iter_destroy(it);
  CHECK(seen == kKeysPerThread);
  return NULL;
}

int main(int argc, char** argv) {
  Init(argc, argv);
  char* err = NULL;
  char* name = Path("threads_db");
  leveldb_options_t* options = leveldb_options_create();
  leveldb_options_set_create_if_missing(options, 1);
  leveldb_options_set_write_buffer_size(options, 32 << 10); /* many flushes */
  g_db = leveldb_open(options, name, &err);
  CHECK_NO_ERROR(err);
  g_read = leveldb_readoptions_create();
  g_write = leveldb_writeoptions_create();

  StartPhase("concurrent writers");
  pthread_t threads[kThreads];
  for (int t = 0; t < kThreads; t++) {
    CHECK(pthread_create(&threads[t], NULL, Worker, (void*)(intptr_t)t) == 0);
  }
  for (int t = 0; t < kThreads; t++) {
    CHECK(pthread_join(threads[t], NULL) == 0);
  }
  printf("%d threads joined\n", kThreads);

  StartPhase("check");
  leveldb_iterator_t* it = leveldb_create_iterator(g_db, g_read);
  int count = 0;
  for (leveldb_iter_seek_to_first(it); leveldb_iter_valid(it); leveldb_iter_next(it)) count++;
  leveldb_iter_destroy(it);
  printf("entries: %d\n", count);
  CheckGet(g_db, g_read, "t0-00000", "v0-0");
  CheckGet(g_db, g_read, "t3-01499", "v3-1499");
  leveldb_close(g_db);
  g_db = leveldb_open(options, name, &err);
  CHECK_NO_ERROR(err);
  CheckGet(g_db, g_read, "t2-00777", "v2-777");
  leveldb_close(g_db);
  leveldb_destroy_db(options, name, &err);
  CHECK_NO_ERROR(err);
  leveldb_readoptions_destroy(g_read);
  leveldb_writeoptions_destroy(g_write);
  leveldb_options_destroy(options);
  free(name);
  printf("PASS\n");
  return 0;
}
