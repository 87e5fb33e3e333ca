/* A drop-in proof: built once against the distro's LevelDB 1.23 (system
 * header, -lleveldb), then run unchanged with and without Strata on
 * LD_LIBRARY_PATH (tests/dropin.rs).
 *
 *   dropin write DIR WRITER   writes 1000 keys and a note naming WRITER
 *   dropin read DIR           prints what it finds
 *
 * The first line of output names the libleveldb this process actually
 * mapped, read from /proc/self/maps. */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <leveldb/c.h>

static void Check(char* err, const char* what) {
  if (err != NULL) {
    fprintf(stderr, "%s: %s\n", what, err);
    exit(1);
  }
}

/* Prints "library: <path>" for the mapped file whose name has libleveldb. */
static void PrintLoadedLibrary(void) {
  FILE* maps = fopen("/proc/self/maps", "r");
  char line[4096];
  if (maps == NULL) {
    perror("/proc/self/maps");
    exit(1);
  }
  while (fgets(line, sizeof line, maps) != NULL) {
    char* path = strchr(line, '/');
    if (path != NULL && strstr(path, "libleveldb") != NULL) {
      printf("library: %s", path);
      fclose(maps);
      return;
    }
  }
  fclose(maps);
  printf("library: (none)\n");
}

int main(int argc, char** argv) {
  if (argc < 3 || (strcmp(argv[1], "write") == 0 && argc < 4)) {
    fprintf(stderr, "usage: %s write DIR WRITER | read DIR\n", argv[0]);
    return 2;
  }
  PrintLoadedLibrary();
  char* err = NULL;
  leveldb_options_t* options = leveldb_options_create();
  leveldb_options_set_create_if_missing(options, 1);
  leveldb_options_set_write_buffer_size(options, 64 << 10); /* several tables */
  leveldb_filterpolicy_t* bloom = leveldb_filterpolicy_create_bloom(10);
  leveldb_options_set_filter_policy(options, bloom);
  leveldb_t* db = leveldb_open(options, argv[2], &err);
  Check(err, "open");
  leveldb_readoptions_t* r = leveldb_readoptions_create();
  leveldb_writeoptions_t* w = leveldb_writeoptions_create();
  char key[64], val[128];

  if (strcmp(argv[1], "write") == 0) {
    for (int i = 0; i < 1000; i++) {
      snprintf(key, sizeof key, "key%04d", (i * 617) % 1000);
      snprintf(val, sizeof val, "value %d", (i * 617) % 1000);
      leveldb_put(db, w, key, strlen(key), val, strlen(val), &err);
      Check(err, "put");
    }
    for (int i = 0; i < 1000; i += 10) {
      snprintf(key, sizeof key, "key%04d", i);
      leveldb_delete(db, w, key, strlen(key), &err);
      Check(err, "delete");
    }
    leveldb_compact_range(db, "key0000", 7, "key0500", 7);
    leveldb_put(db, w, "writer", 6, argv[3], strlen(argv[3]), &err);
    Check(err, "put");
    printf("wrote\n");
  } else {
    size_t len;
    char* who = leveldb_get(db, r, "writer", 6, &len, &err);
    Check(err, "get");
    printf("writer: %.*s\n", who ? (int)len : 6, who ? who : "(none)");
    free(who);
    char* v = leveldb_get(db, r, "key0123", 7, &len, &err);
    Check(err, "get");
    printf("key0123: %.*s\n", v ? (int)len : 6, v ? v : "(none)");
    free(v);
    v = leveldb_get(db, r, "key0120", 7, &len, &err);
    Check(err, "get");
    printf("key0120: %s\n", v ? "present" : "(absent)");
    free(v);
    int count = 0;
    unsigned long hash = 0;
    leveldb_iterator_t* it = leveldb_create_iterator(db, r);
    for (leveldb_iter_seek_to_first(it); leveldb_iter_valid(it); leveldb_iter_next(it)) {
      size_t kl, vl;
      const char* k = leveldb_iter_key(it, &kl);
      const char* vv = leveldb_iter_value(it, &vl);
      if (kl == 6 && memcmp(k, "writer", 6) == 0) continue; /* differs by run */
      for (size_t j = 0; j < kl; j++) hash = hash * 131 + (unsigned char)k[j];
      for (size_t j = 0; j < vl; j++) hash = hash * 131 + (unsigned char)vv[j];
      count++;
    }
    leveldb_iter_get_error(it, &err);
    Check(err, "iterate");
    leveldb_iter_destroy(it);
    printf("entries: %d hash: %lu\n", count, hash);
  }
  leveldb_readoptions_destroy(r);
  leveldb_writeoptions_destroy(w);
  leveldb_close(db);
  leveldb_options_destroy(options);
  leveldb_filterpolicy_destroy(bloom);
  return 0;
}
