/*
 * rocksdb_compat.h -- the part of LevelDB's C API (leveldb/c.h) that
 * db_bench.c calls, implemented over RocksDB's C API (rocksdb/c.h), so the
 * same db_bench.c builds a third time against RocksDB:
 *
 *   cc -std=c11 -O2 -pthread -DBENCH_ROCKSDB benches/db_bench.c -lrocksdb
 *
 * Where the two APIs have the same shape the LevelDB name is a macro for the
 * RocksDB one. Options differ in shape: LevelDB keeps block size, block
 * cache and filter policy in its Options, RocksDB in a separate
 * block-based-table options object handed to Options as a table factory, so
 * leveldb_options_t here holds both and leveldb_open joins them.
 *
 * Every RocksDB option whose default differs from LevelDB 1.23's is set to
 * LevelDB's value in leveldb_options_create/leveldb_readoptions_create; what
 * cannot be matched is listed in benches/RESULTS.md ("RocksDB as the third
 * library"). Ownership: RocksDB's set_filter_policy takes ownership of the
 * policy it is given, so leveldb_filterpolicy_t only records bits per key
 * and each open hands RocksDB a policy of its own; caches are shared
 * pointers inside RocksDB, so the caller's leveldb_cache_destroy is safe
 * while a database still uses the cache.
 */

#ifndef STRATA_BENCH_ROCKSDB_COMPAT_H
#define STRATA_BENCH_ROCKSDB_COMPAT_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* strdup, geteuid */
#endif

#include <rocksdb/c.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What db_bench.c prints and looks for in /proc/self/maps. */
#define BENCH_LIBRARY_NAME "RocksDB"
#define BENCH_LIBRARY_FILE "librocksdb"

/* RocksDB's C API has no version call (rocksdb/version.h is C++), but the
 * mapped file is named after the full version: librocksdb.so.7.8.3. */
static inline void bench_library_version(const char *mapped_path, char *out, size_t cap) {
  const char *so = strstr(mapped_path, ".so.");
  snprintf(out, cap, "%s", so != NULL ? so + 4 : "(unknown)");
}

/* ---- same shape: plain renames ---------------------------------------- */

typedef rocksdb_t leveldb_t;
typedef rocksdb_cache_t leveldb_cache_t;
typedef rocksdb_env_t leveldb_env_t;
typedef rocksdb_iterator_t leveldb_iterator_t;
typedef rocksdb_readoptions_t leveldb_readoptions_t;
typedef rocksdb_writebatch_t leveldb_writebatch_t;
typedef rocksdb_writeoptions_t leveldb_writeoptions_t;

#define leveldb_no_compression rocksdb_no_compression
#define leveldb_snappy_compression rocksdb_snappy_compression

#define leveldb_close rocksdb_close
#define leveldb_put rocksdb_put
#define leveldb_write rocksdb_write
#define leveldb_get rocksdb_get
#define leveldb_compact_range rocksdb_compact_range
#define leveldb_create_iterator rocksdb_create_iterator
#define leveldb_free rocksdb_free

#define leveldb_iter_destroy rocksdb_iter_destroy
#define leveldb_iter_valid rocksdb_iter_valid
#define leveldb_iter_seek_to_first rocksdb_iter_seek_to_first
#define leveldb_iter_seek_to_last rocksdb_iter_seek_to_last
#define leveldb_iter_seek rocksdb_iter_seek
#define leveldb_iter_next rocksdb_iter_next
#define leveldb_iter_prev rocksdb_iter_prev
#define leveldb_iter_key rocksdb_iter_key
#define leveldb_iter_value rocksdb_iter_value

#define leveldb_writebatch_create rocksdb_writebatch_create
#define leveldb_writebatch_destroy rocksdb_writebatch_destroy
#define leveldb_writebatch_clear rocksdb_writebatch_clear
#define leveldb_writebatch_put rocksdb_writebatch_put
#define leveldb_writebatch_delete rocksdb_writebatch_delete

#define leveldb_writeoptions_create rocksdb_writeoptions_create
#define leveldb_writeoptions_destroy rocksdb_writeoptions_destroy
#define leveldb_writeoptions_set_sync rocksdb_writeoptions_set_sync
#define leveldb_readoptions_destroy rocksdb_readoptions_destroy

#define leveldb_cache_create_lru rocksdb_cache_create_lru
#define leveldb_cache_destroy rocksdb_cache_destroy

#define leveldb_create_default_env rocksdb_create_default_env
#define leveldb_env_destroy rocksdb_env_destroy

/* LevelDB's ReadOptions default to verify_checksums = false; RocksDB's to
 * true. */
static inline leveldb_readoptions_t *leveldb_readoptions_create(void) {
  rocksdb_readoptions_t *options = rocksdb_readoptions_create();
  rocksdb_readoptions_set_verify_checksums(options, 0);
  return options;
}

/* "leveldb.stats" -> "rocksdb.stats", "leveldb.sstables" -> ... */
static inline char *leveldb_property_value(leveldb_t *db, const char *name) {
  const char prefix[] = "leveldb.";
  if (strncmp(name, prefix, sizeof(prefix) - 1) != 0) return rocksdb_property_value(db, name);
  char renamed[256];
  snprintf(renamed, sizeof(renamed), "rocksdb.%s", name + sizeof(prefix) - 1);
  return rocksdb_property_value(db, renamed);
}

/* LevelDB's Env::GetTestDirectory: $TEST_TMPDIR, else a per-user directory
 * under /tmp, created if missing. The env argument is unused there too. */
static inline char *leveldb_env_get_test_directory(leveldb_env_t *env) {
  (void)env;
  char dir[4096];
  const char *from_env = getenv("TEST_TMPDIR");
  if (from_env != NULL && from_env[0] != '\0') {
    snprintf(dir, sizeof(dir), "%s", from_env);
  } else {
    snprintf(dir, sizeof(dir), "/tmp/rocksdbtest-%d", (int)geteuid());
  }
  mkdir(dir, 0755); /* an existing directory is fine */
  return strdup(dir); /* rocksdb_free is free() */
}

/* ---- filter policy: only the bits per key are kept -------------------- */

typedef struct {
  double bits_per_key;
} leveldb_filterpolicy_t;

static inline leveldb_filterpolicy_t *leveldb_filterpolicy_create_bloom(int bits_per_key) {
  leveldb_filterpolicy_t *policy = malloc(sizeof(*policy));
  if (policy != NULL) policy->bits_per_key = bits_per_key;
  return policy;
}

static inline void leveldb_filterpolicy_destroy(leveldb_filterpolicy_t *policy) { free(policy); }

/* ---- options: database options + table options ------------------------ */

typedef struct {
  rocksdb_options_t *db;
  rocksdb_block_based_table_options_t *table;
  int cache_set;     /* leveldb_options_set_cache was called */
  double bloom_bits; /* negative: no filter */
} leveldb_options_t;

/* LevelDB 1.23's defaults, set explicitly wherever RocksDB 7.8's differ
 * (RocksDB's own default in the comment). */
static inline leveldb_options_t *leveldb_options_create(void) {
  leveldb_options_t *o = malloc(sizeof(*o));
  if (o == NULL) return NULL;
  o->db = rocksdb_options_create();
  o->table = rocksdb_block_based_options_create();
  o->cache_set = 0;
  o->bloom_bits = -1;

  rocksdb_options_set_write_buffer_size(o->db, 4 << 20);       /* 64 MiB */
  rocksdb_options_set_max_write_buffer_number(o->db, 2);       /* same: 1 mutable + 1 immutable */
  rocksdb_options_set_max_open_files(o->db, 1000);             /* -1, unlimited */
  rocksdb_options_set_paranoid_checks(o->db, 0);               /* true */
  rocksdb_options_set_compression(o->db, rocksdb_snappy_compression); /* same when built in */
  rocksdb_options_set_target_file_size_base(o->db, 2 << 20);   /* 64 MiB */
  rocksdb_options_set_target_file_size_multiplier(o->db, 1);   /* same */
  rocksdb_options_set_max_bytes_for_level_base(o->db, 10 << 20); /* 256 MiB */
  rocksdb_options_set_max_bytes_for_level_multiplier(o->db, 10); /* same */
  rocksdb_options_set_level_compaction_dynamic_level_bytes(o->db, 0); /* same in 7.8 */
  rocksdb_options_set_num_levels(o->db, 7);                    /* same */
  rocksdb_options_set_level0_file_num_compaction_trigger(o->db, 4); /* same */
  rocksdb_options_set_level0_slowdown_writes_trigger(o->db, 8); /* 20 */
  rocksdb_options_set_level0_stop_writes_trigger(o->db, 12);   /* 36 */
  /* LevelDB has one background thread for flushes and compactions. One job
   * is the fewest RocksDB takes, and it still keeps one flush thread and
   * one compaction thread (as with its default of 2). */
  rocksdb_options_set_max_background_jobs(o->db, 1);           /* 2 */
  rocksdb_options_set_max_subcompactions(o->db, 1);            /* same */

  rocksdb_block_based_options_set_block_size(o->table, 4096);  /* same */
  rocksdb_block_based_options_set_block_restart_interval(o->table, 16); /* same */
  return o;
}

static inline void leveldb_options_destroy(leveldb_options_t *o) {
  rocksdb_block_based_options_destroy(o->table);
  rocksdb_options_destroy(o->db);
  free(o);
}

static inline void leveldb_options_set_create_if_missing(leveldb_options_t *o, unsigned char v) {
  rocksdb_options_set_create_if_missing(o->db, v);
}

static inline void leveldb_options_set_write_buffer_size(leveldb_options_t *o, size_t v) {
  rocksdb_options_set_write_buffer_size(o->db, v);
}

/* LevelDB's max_file_size is the size at which compaction output files are
 * cut: RocksDB's target_file_size_base (with multiplier 1, every level). */
static inline void leveldb_options_set_max_file_size(leveldb_options_t *o, size_t v) {
  rocksdb_options_set_target_file_size_base(o->db, (uint64_t)v);
}

static inline void leveldb_options_set_max_open_files(leveldb_options_t *o, int v) {
  rocksdb_options_set_max_open_files(o->db, v);
}

static inline void leveldb_options_set_compression(leveldb_options_t *o, int v) {
  rocksdb_options_set_compression(o->db, v); /* 0 none, 1 snappy in both APIs */
}

static inline void leveldb_options_set_block_size(leveldb_options_t *o, size_t v) {
  rocksdb_block_based_options_set_block_size(o->table, v);
}

static inline void leveldb_options_set_cache(leveldb_options_t *o, leveldb_cache_t *cache) {
  rocksdb_block_based_options_set_block_cache(o->table, cache);
  o->cache_set = 1;
}

static inline void leveldb_options_set_filter_policy(leveldb_options_t *o,
                                                     leveldb_filterpolicy_t *policy) {
  o->bloom_bits = policy != NULL ? policy->bits_per_key : -1;
}

/* Joins the table options to the database options. Without a cache,
 * LevelDB creates an 8 MiB LRU block cache per open database; so does this
 * (RocksDB 7.8's implicit default is also 8 MiB, set here to not depend on
 * it). */
static inline void bench_rocksdb_apply_table_options(leveldb_options_t *o) {
  rocksdb_cache_t *own_cache = NULL;
  if (!o->cache_set) {
    own_cache = rocksdb_cache_create_lru(8 << 20);
    rocksdb_block_based_options_set_block_cache(o->table, own_cache);
  }
  if (o->bloom_bits >= 0) {
    /* Full (whole-table) filter: RocksDB 7 has no per-block filters. */
    rocksdb_block_based_options_set_filter_policy(
        o->table, rocksdb_filterpolicy_create_bloom_full(o->bloom_bits));
  }
  rocksdb_options_set_block_based_table_factory(o->db, o->table);
  if (own_cache != NULL) rocksdb_cache_destroy(own_cache); /* the factory holds it */
}

static inline leveldb_t *leveldb_open(leveldb_options_t *o, const char *name, char **errptr) {
  bench_rocksdb_apply_table_options(o);
  return rocksdb_open(o->db, name, errptr);
}

static inline void leveldb_destroy_db(leveldb_options_t *o, const char *name, char **errptr) {
  rocksdb_destroy_db(o->db, name, errptr);
}

#endif /* STRATA_BENCH_ROCKSDB_COMPAT_H */
