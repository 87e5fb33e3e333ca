/*
 * db_bench.c -- LevelDB's db_bench, rewritten in C11 on top of the C API
 * (leveldb/c.h) only, so one binary can measure any library that exports
 * LevelDB 1.23's C ABI: the distro libleveldb, or Strata put in its place
 * with LD_LIBRARY_PATH.
 *
 * What matches upstream's benchmarks/db_bench.cc (so numbers are comparable
 * with published db_bench runs):
 *   - flag names and defaults (--num=1000000, --value_size=100, ...);
 *   - key text: key_prefix bytes of 'a', then "%016d" of the key index;
 *   - random key indices: the Park-Miller "minimal standard" generator
 *     (multiplier 16807, modulus 2^31-1), one per thread, seeded
 *     1000 + (number of threads started so far, counting from 1), so the
 *     key sequences are the same as upstream's;
 *   - values: a pool of at least 1 MiB built from 100-byte pieces, each piece
 *     a run of int(100 * compression_ratio) random printable characters
 *     repeated to 100 bytes (so it compresses to about that fraction), drawn
 *     from the same generator seeded 301; values are consecutive slices of
 *     the pool, wrapping to the start when the next slice would run past it;
 *   - output: the header, one "%-12s : %11.3f micros/op;" line per workload
 *     with MB/s and/or a message, progress lines on stderr.
 *
 * Differences, all because only the C API is available: crc32c, snappycomp,
 * snappyuncomp, heapprofile, --comparisons and --reuse_logs are not offered,
 * and the default benchmark list leaves the first three out. --histogram=1
 * prints percentiles (P50, P99, P99.9, max) instead of upstream's bucket
 * table, from our own histogram (latency_histogram.h).
 * Values read by leveldb_get are copied into malloc'ed memory and freed (the
 * C API's contract), which costs the same for every library under test.
 *
 * Additions for side-by-side runs (benches/compare.sh):
 *   - stderr "Library:    <path>": the libleveldb this process actually
 *     mapped, read from /proc/self/maps, so a harness can prove what it ran;
 *   - stderr "RSS:        <name> <KiB>": the peak resident set during each
 *     workload (the kernel's high-water mark is reset before it starts);
 *   - stdout "PeakRSS:    <KiB> KiB" at exit: peak RSS of the whole run;
 *   - --compression=snappy|none (or 1|0): leveldb_options_set_compression;
 *   - stderr "Ops:        <name> threads=N ops=N seconds=S": operations of
 *     all threads and the wall time they took, for aggregate throughput;
 *   - stderr "IO:         <name> put_bytes=N write_bytes=N ...": bytes the
 *     workload handed to the library (keys + values written or deleted) and
 *     the growth of /proc/self/io's counters while it ran, for write
 *     amplification; "IO: whole-run ..." covers the process from the first
 *     workload to after the final close;
 *   - with --histogram=1, stderr "Latency:    <name> count=N p50=.. p99=..
 *     p99.9=.. max=.." (microseconds), and for readwhilewriting a second
 *     line "<name>/writes" for the writer thread's puts, which upstream
 *     neither times nor counts; then "Tail:       <name> ge10us=N ...
 *     ge1000us=N": how many operations took at least 10, 20, 30, 50, 100
 *     and 1000 microseconds (interpolated inside a bucket, as the
 *     percentiles are).
 *
 * Built with -DBENCH_ROCKSDB, it includes rocksdb_compat.h instead of
 * leveldb/c.h and measures RocksDB through the same code (see that header).
 */

#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#ifdef BENCH_ROCKSDB
#include "rocksdb_compat.h"
#else
#include <leveldb/c.h>
#define BENCH_LIBRARY_NAME "LevelDB"
#define BENCH_LIBRARY_FILE "libleveldb"
static void bench_library_version(const char *mapped_path, char *out, size_t cap) {
  (void)mapped_path;
  snprintf(out, cap, "%d.%d", leveldb_major_version(), leveldb_minor_version());
}
#endif

#include "latency_histogram.h"

/* ---- flags ------------------------------------------------------------ */

static const char *FLAGS_benchmarks =
    "fillseq,"
    "fillsync,"
    "fillrandom,"
    "overwrite,"
    "readrandom,"
    "readrandom," /* a second run lets compactions from the fills settle */
    "readseq,"
    "readreverse,"
    "compact,"
    "readrandom,"
    "readseq,"
    "readreverse,"
    "fill100K";
static int FLAGS_num = 1000000;
static int FLAGS_reads = -1; /* negative: as many as --num */
static int FLAGS_threads = 1;
static int FLAGS_value_size = 100;
static double FLAGS_compression_ratio = 0.5;
/* LevelDB 1.23's Options defaults; always passed explicitly. */
static int FLAGS_write_buffer_size = 4 << 20;
static int FLAGS_max_file_size = 2 << 20;
static int FLAGS_block_size = 4096;
static int FLAGS_open_files = 1000;
static int FLAGS_cache_size = -1; /* negative: the library's own 8 MiB cache */
static int FLAGS_bloom_bits = -1; /* negative: no filter policy */
static int FLAGS_key_prefix = 0;
static int FLAGS_use_existing_db = 0;
static int FLAGS_compression = 1; /* leveldb_snappy_compression, the default */
static int FLAGS_histogram = 0;
static const char *FLAGS_db = NULL;

/* ---- time and memory -------------------------------------------------- */

static double now_micros(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static uint64_t now_nanos(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The write counters of /proc/self/io, which cover every thread of the
 * process: write_bytes is what the process caused to be sent to storage
 * (counted when a page is dirtied, by write(2) or through a shared
 * mapping), cancelled_write_bytes what it then spared by truncating or
 * deleting dirty pages, wchar what it passed to write-like system calls. */
typedef struct {
  long long write_bytes, cancelled_write_bytes, wchar;
} io_counters_t;

/* All -1 where /proc/self/io cannot be read. */
static io_counters_t read_io_counters(void) {
  io_counters_t io = {-1, -1, -1};
  FILE *f = fopen("/proc/self/io", "r");
  if (f == NULL) return io;
  char line[256];
  while (fgets(line, sizeof(line), f) != NULL) {
    char *colon = strchr(line, ':');
    if (colon == NULL) continue;
    long long value = strtoll(colon + 1, NULL, 10);
    *colon = '\0';
    if (strcmp(line, "write_bytes") == 0) io.write_bytes = value;
    else if (strcmp(line, "cancelled_write_bytes") == 0) io.cancelled_write_bytes = value;
    else if (strcmp(line, "wchar") == 0) io.wchar = value;
  }
  fclose(f);
  return io;
}

/* Bytes every workload handed to the library to write, for "IO: whole-run". */
static long long g_total_put_bytes;

/* stderr "IO: <name> ..." with the counters' growth since `before`. */
static void report_io(const char *name, long long put_bytes, io_counters_t before) {
  io_counters_t after = read_io_counters();
  if (after.write_bytes < 0 || before.write_bytes < 0) {
    fprintf(stderr, "IO:         %s put_bytes=%lld (no /proc/self/io)\n", name, put_bytes);
    return;
  }
  fprintf(stderr, "IO:         %s put_bytes=%lld write_bytes=%lld cancelled_write_bytes=%lld wchar=%lld\n",
          name, put_bytes, after.write_bytes - before.write_bytes,
          after.cancelled_write_bytes - before.cancelled_write_bytes, after.wchar - before.wchar);
}

/* Resets the kernel's resident-set high-water mark (VmHWM) to the current
 * RSS, so the next read measures one workload. Silently does nothing where
 * /proc/self/clear_refs is unavailable; the reading is then cumulative. */
static void reset_peak_rss(void) {
  FILE *f = fopen("/proc/self/clear_refs", "w");
  if (f != NULL) {
    fputs("5", f);
    fclose(f);
  }
}

/* Largest VmHWM seen so far, across the per-workload resets. */
static long g_max_rss_kib;

/* VmHWM in KiB, or -1 if /proc/self/status cannot be read. */
static long peak_rss_kib(void) {
  FILE *f = fopen("/proc/self/status", "r");
  if (f == NULL) return -1;
  char line[256];
  long kib = -1;
  while (fgets(line, sizeof(line), f) != NULL) {
    if (strncmp(line, "VmHWM:", 6) == 0) {
      kib = strtol(line + 6, NULL, 10);
      break;
    }
  }
  fclose(f);
  if (kib > g_max_rss_kib) g_max_rss_kib = kib;
  return kib;
}

/* Writes the path of the mapped library under test (the first file in
 * /proc/self/maps named BENCH_LIBRARY_FILE*) into out, or "(unknown)". */
static void loaded_library_path(char *out, size_t cap) {
  snprintf(out, cap, "(unknown)");
  FILE *f = fopen("/proc/self/maps", "r");
  if (f == NULL) return;
  char line[4096];
  while (fgets(line, sizeof(line), f) != NULL) {
    char *path = strchr(line, '/');
    if (path == NULL) continue;
    char *base = strrchr(path, '/') + 1;
    if (strncmp(base, BENCH_LIBRARY_FILE, strlen(BENCH_LIBRARY_FILE)) == 0) {
      path[strcspn(path, "\n")] = '\0';
      snprintf(out, cap, "%s", path);
      break;
    }
  }
  fclose(f);
}

/* ---- LevelDB's Random ------------------------------------------------- */

/* Park-Miller minimal standard generator: seed = seed * 16807 mod (2^31-1),
 * computed without division as LevelDB's util/random.h does. */
typedef struct {
  uint32_t seed;
} random_t;

static void random_init(random_t *r, uint32_t s) {
  r->seed = s & 0x7fffffffu;
  /* 0 and 2^31-1 are fixed points of the recurrence; avoid them. */
  if (r->seed == 0 || r->seed == 2147483647u) r->seed = 1;
}

static uint32_t random_next(random_t *r) {
  const uint32_t M = 2147483647u;
  const uint64_t A = 16807;
  uint64_t product = (uint64_t)r->seed * A;
  /* (x << 31) mod M == x, so fold the high bits onto the low 31 bits. */
  r->seed = (uint32_t)((product >> 31) + (product & M));
  if (r->seed > M) r->seed -= M;
  return r->seed;
}

static uint32_t random_uniform(random_t *r, int n) {
  return random_next(r) % (uint32_t)n;
}

/* ---- value generator ------------------------------------------------- */

static char *g_pool;
static size_t g_pool_len;

/* Builds the shared pool once; every generator reads the same bytes, as
 * every upstream RandomGenerator (seeded 301) would produce them. */
static void build_value_pool(void) {
  size_t want = 1048576;
  if ((size_t)FLAGS_value_size + 1 > want) want = (size_t)FLAGS_value_size + 1;
  if (100000 + 1 > want) want = 100000 + 1; /* fill100K */
  g_pool = malloc(want + 100);
  if (g_pool == NULL) {
    fprintf(stderr, "out of memory\n");
    exit(1);
  }
  random_t rnd;
  random_init(&rnd, 301);
  int raw = (int)(100 * FLAGS_compression_ratio);
  if (raw < 1) raw = 1;
  if (raw > 100) raw = 100;
  char chunk[100];
  g_pool_len = 0;
  while (g_pool_len < want) {
    for (int i = 0; i < raw; i++) chunk[i] = (char)(' ' + random_uniform(&rnd, 95));
    for (int i = 0; i < 100; i++) g_pool[g_pool_len + (size_t)i] = chunk[i % raw];
    g_pool_len += 100;
  }
}

typedef struct {
  size_t pos;
} valuegen_t;

static const char *valuegen_next(valuegen_t *g, size_t len) {
  if (g->pos + len > g_pool_len) g->pos = 0;
  g->pos += len;
  return g_pool + g->pos - len;
}

/* ---- keys ---------------------------------------------------------- */

typedef struct {
  char buf[1024];
} keybuf_t;

static void keybuf_init(keybuf_t *k) { memset(k->buf, 'a', (size_t)FLAGS_key_prefix); }

static void keybuf_set(keybuf_t *k, int index) {
  snprintf(k->buf + FLAGS_key_prefix, sizeof(k->buf) - (size_t)FLAGS_key_prefix, "%016d",
           index);
}

static size_t keybuf_len(void) { return (size_t)FLAGS_key_prefix + 16; }

/* ---- per-thread statistics -------------------------------------------- */

typedef struct {
  double start, finish, seconds;
  int done, next_report;
  int64_t bytes;
  char message[256];
  /* --histogram=1: the time between one op's end and the next one's, as
   * upstream measures it (so the first op counts from stats_start). */
  uint64_t last_op_ns;
  latency_histogram_t hist;
} stats_t;

static void stats_start(stats_t *s) {
  s->next_report = 100;
  s->done = 0;
  s->bytes = 0;
  s->seconds = 0;
  s->message[0] = '\0';
  s->start = s->finish = now_micros();
  if (FLAGS_histogram) {
    hist_clear(&s->hist);
    s->last_op_ns = now_nanos();
  }
}

static void stats_stop(stats_t *s) {
  s->finish = now_micros();
  s->seconds = (s->finish - s->start) * 1e-6;
}

static void append_with_space(char *dst, size_t cap, const char *msg) {
  if (msg[0] == '\0') return;
  size_t len = strlen(dst);
  snprintf(dst + len, cap - len, "%s%s", len > 0 ? " " : "", msg);
}

static void stats_add_message(stats_t *s, const char *msg) {
  append_with_space(s->message, sizeof(s->message), msg);
}

static void stats_merge(stats_t *s, const stats_t *other) {
  s->done += other->done;
  s->bytes += other->bytes;
  s->seconds += other->seconds;
  if (other->start < s->start) s->start = other->start;
  if (other->finish > s->finish) s->finish = other->finish;
  if (s->message[0] == '\0') memcpy(s->message, other->message, sizeof(s->message));
  if (FLAGS_histogram) hist_merge(&s->hist, &other->hist);
}

static void stats_finished_single_op(stats_t *s) {
  if (FLAGS_histogram) {
    uint64_t now = now_nanos();
    hist_add(&s->hist, now - s->last_op_ns);
    s->last_op_ns = now;
  }
  s->done++;
  if (s->done >= s->next_report) {
    if (s->next_report < 1000) s->next_report += 100;
    else if (s->next_report < 5000) s->next_report += 500;
    else if (s->next_report < 10000) s->next_report += 1000;
    else if (s->next_report < 50000) s->next_report += 5000;
    else if (s->next_report < 100000) s->next_report += 10000;
    else if (s->next_report < 500000) s->next_report += 50000;
    else s->next_report += 100000;
    fprintf(stderr, "... finished %d ops%30s\r", s->done, "");
    fflush(stderr);
  }
}

static void stats_report(stats_t *s, const char *name) {
  if (s->done < 1) s->done = 1; /* workloads like compact count no ops */
  char extra[512] = "";
  if (s->bytes > 0) {
    /* The rate uses wall time, not the sum of per-thread times. */
    double elapsed = (s->finish - s->start) * 1e-6;
    snprintf(extra, sizeof(extra), "%6.1f MB/s", ((double)s->bytes / 1048576.0) / elapsed);
  }
  append_with_space(extra, sizeof(extra), s->message);
  fprintf(stdout, "%-12s : %11.3f micros/op;%s%s\n", name, s->seconds * 1e6 / s->done,
          extra[0] == '\0' ? "" : " ", extra);
  fflush(stdout);
}

/* --histogram=1: a readable summary on stdout (which never contains
 * "micros/op;", so harnesses keep one timing line per workload) and a
 * "Latency:" line on stderr for harnesses, both in microseconds. */
static void report_latency(const latency_histogram_t *h, const char *name) {
  if (h->count == 0) return;
  double p50 = hist_percentile(h, 50) / 1e3, p99 = hist_percentile(h, 99) / 1e3;
  double p999 = hist_percentile(h, 99.9) / 1e3, max = (double)h->max_ns / 1e3;
  double mean = h->sum_ns / (double)h->count / 1e3;
  fprintf(stdout,
          "%-12s   latency (us): count %llu  mean %.3f  P50 %.3f  P99 %.3f  P99.9 %.3f  "
          "max %.3f\n",
          name, (unsigned long long)h->count, mean, p50, p99, p999, max);
  fflush(stdout);
  fprintf(stderr,
          "Latency:    %s count=%llu mean=%.3f p50=%.3f p99=%.3f p99.9=%.3f max=%.3f\n", name,
          (unsigned long long)h->count, mean, p50, p99, p999, max);
  /* Which slow operations make up the tail: p99.9 moves only when the
   * count of operations above it does. */
  static const unsigned tail_us[] = {10, 20, 30, 50, 100, 1000};
  fprintf(stderr, "Tail:       %s", name);
  for (size_t i = 0; i < sizeof tail_us / sizeof tail_us[0]; i++)
    fprintf(stderr, " ge%uus=%.0f", tail_us[i], hist_count_at_least(h, (uint64_t)tail_us[i] * 1000));
  fprintf(stderr, "\n");
}

/* ---- benchmark state ---------------------------------------------------- */

typedef struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int total;
  int num_initialized;
  int num_done;
  int start;
} shared_t;

typedef struct {
  int tid;
  random_t rand;
  stats_t stats;
  shared_t *shared;
  /* Key and value bytes written or deleted, including puts that stats do
   * not count (readwhilewriting's writer). */
  long long put_bytes;
  /* readwhilewriting's writer, with --histogram=1: each put's latency. */
  latency_histogram_t write_hist;
} thread_state_t;

typedef void (*method_t)(thread_state_t *);

static leveldb_t *g_db;
static leveldb_cache_t *g_cache;
static leveldb_filterpolicy_t *g_filter;
static leveldb_readoptions_t *g_read_options;
static leveldb_writeoptions_t *g_write_options;
static int g_num;
static int g_reads;
static int g_value_size;
static int g_entries_per_batch;
static int g_total_thread_count;

static void die_on_error(const char *what, char *err) {
  if (err != NULL) {
    fprintf(stderr, "%s error: %s\n", what, err);
    exit(1);
  }
}

static void destroy_db(void) {
  leveldb_options_t *options = leveldb_options_create();
  char *err = NULL;
  leveldb_destroy_db(options, FLAGS_db, &err);
  leveldb_free(err); /* a missing database is fine */
  leveldb_options_destroy(options);
}

static void open_db(void) {
  leveldb_options_t *options = leveldb_options_create();
  leveldb_options_set_create_if_missing(options, (uint8_t)!FLAGS_use_existing_db);
  if (g_cache != NULL) leveldb_options_set_cache(options, g_cache);
  leveldb_options_set_write_buffer_size(options, (size_t)FLAGS_write_buffer_size);
  leveldb_options_set_max_file_size(options, (size_t)FLAGS_max_file_size);
  leveldb_options_set_block_size(options, (size_t)FLAGS_block_size);
  leveldb_options_set_max_open_files(options, FLAGS_open_files);
  if (g_filter != NULL) leveldb_options_set_filter_policy(options, g_filter);
  leveldb_options_set_compression(options, FLAGS_compression);
  char *err = NULL;
  g_db = leveldb_open(options, FLAGS_db, &err);
  if (err != NULL) {
    fprintf(stderr, "open error: %s\n", err);
    exit(1);
  }
  leveldb_options_destroy(options);
}

static void close_db(void) {
  if (g_db != NULL) leveldb_close(g_db);
  g_db = NULL;
}

/* ---- workloads --------------------------------------------------------- */

static void do_write(thread_state_t *thread, int seq) {
  if (g_num != FLAGS_num) {
    char msg[100];
    snprintf(msg, sizeof(msg), "(%d ops)", g_num);
    stats_add_message(&thread->stats, msg);
  }
  valuegen_t gen = {0};
  leveldb_writebatch_t *batch = leveldb_writebatch_create();
  keybuf_t key;
  keybuf_init(&key);
  int64_t bytes = 0;
  for (int i = 0; i < g_num; i += g_entries_per_batch) {
    leveldb_writebatch_clear(batch);
    for (int j = 0; j < g_entries_per_batch; j++) {
      int k = seq ? i + j : (int)random_uniform(&thread->rand, FLAGS_num);
      keybuf_set(&key, k);
      leveldb_writebatch_put(batch, key.buf, keybuf_len(),
                             valuegen_next(&gen, (size_t)g_value_size), (size_t)g_value_size);
      bytes += g_value_size + (int64_t)keybuf_len();
      stats_finished_single_op(&thread->stats);
    }
    char *err = NULL;
    leveldb_write(g_db, g_write_options, batch, &err);
    die_on_error("put", err);
  }
  leveldb_writebatch_destroy(batch);
  thread->stats.bytes += bytes;
  thread->put_bytes += bytes;
}

static void write_seq(thread_state_t *t) { do_write(t, 1); }
static void write_random(thread_state_t *t) { do_write(t, 0); }

static void read_sequential(thread_state_t *thread) {
  leveldb_iterator_t *iter = leveldb_create_iterator(g_db, g_read_options);
  int64_t bytes = 0;
  int i = 0;
  for (leveldb_iter_seek_to_first(iter); i < g_reads && leveldb_iter_valid(iter);
       leveldb_iter_next(iter)) {
    size_t klen, vlen;
    leveldb_iter_key(iter, &klen);
    leveldb_iter_value(iter, &vlen);
    bytes += (int64_t)(klen + vlen);
    stats_finished_single_op(&thread->stats);
    ++i;
  }
  leveldb_iter_destroy(iter);
  thread->stats.bytes += bytes;
}

static void read_reverse(thread_state_t *thread) {
  leveldb_iterator_t *iter = leveldb_create_iterator(g_db, g_read_options);
  int64_t bytes = 0;
  int i = 0;
  for (leveldb_iter_seek_to_last(iter); i < g_reads && leveldb_iter_valid(iter);
       leveldb_iter_prev(iter)) {
    size_t klen, vlen;
    leveldb_iter_key(iter, &klen);
    leveldb_iter_value(iter, &vlen);
    bytes += (int64_t)(klen + vlen);
    stats_finished_single_op(&thread->stats);
    ++i;
  }
  leveldb_iter_destroy(iter);
  thread->stats.bytes += bytes;
}

/* One point lookup; returns 1 when the key was found (status OK). */
static int get_one(const char *key, size_t klen) {
  size_t vlen = 0;
  char *err = NULL;
  char *value = leveldb_get(g_db, g_read_options, key, klen, &vlen, &err);
  int found = err == NULL && value != NULL;
  leveldb_free(value);
  leveldb_free(err);
  return found;
}

static void read_random(thread_state_t *thread) {
  keybuf_t key;
  keybuf_init(&key);
  int found = 0;
  for (int i = 0; i < g_reads; i++) {
    keybuf_set(&key, (int)random_uniform(&thread->rand, FLAGS_num));
    found += get_one(key.buf, keybuf_len());
    stats_finished_single_op(&thread->stats);
  }
  char msg[100];
  snprintf(msg, sizeof(msg), "(%d of %d found)", found, g_num);
  stats_add_message(&thread->stats, msg);
}

static void read_missing(thread_state_t *thread) {
  keybuf_t key;
  keybuf_init(&key);
  for (int i = 0; i < g_reads; i++) {
    keybuf_set(&key, (int)random_uniform(&thread->rand, FLAGS_num));
    /* Dropping the last digit gives a key that was never written. */
    get_one(key.buf, keybuf_len() - 1);
    stats_finished_single_op(&thread->stats);
  }
}

static void read_hot(thread_state_t *thread) {
  keybuf_t key;
  keybuf_init(&key);
  const int range = (FLAGS_num + 99) / 100;
  for (int i = 0; i < g_reads; i++) {
    keybuf_set(&key, (int)random_uniform(&thread->rand, range));
    get_one(key.buf, keybuf_len());
    stats_finished_single_op(&thread->stats);
  }
}

/* Returns 1 when the iterator sits exactly on key. */
static int iter_at(const leveldb_iterator_t *iter, const char *key, size_t klen) {
  if (!leveldb_iter_valid(iter)) return 0;
  size_t len;
  const char *k = leveldb_iter_key(iter, &len);
  return len == klen && memcmp(k, key, klen) == 0;
}

static void seek_random(thread_state_t *thread) {
  keybuf_t key;
  keybuf_init(&key);
  int found = 0;
  for (int i = 0; i < g_reads; i++) {
    leveldb_iterator_t *iter = leveldb_create_iterator(g_db, g_read_options);
    keybuf_set(&key, (int)random_uniform(&thread->rand, FLAGS_num));
    leveldb_iter_seek(iter, key.buf, keybuf_len());
    found += iter_at(iter, key.buf, keybuf_len());
    leveldb_iter_destroy(iter);
    stats_finished_single_op(&thread->stats);
  }
  char msg[100];
  snprintf(msg, sizeof(msg), "(%d of %d found)", found, g_num);
  stats_add_message(&thread->stats, msg);
}

static void seek_ordered(thread_state_t *thread) {
  keybuf_t key;
  keybuf_init(&key);
  leveldb_iterator_t *iter = leveldb_create_iterator(g_db, g_read_options);
  int found = 0;
  int k = 0;
  for (int i = 0; i < g_reads; i++) {
    k = (k + (int)random_uniform(&thread->rand, 100)) % FLAGS_num;
    keybuf_set(&key, k);
    leveldb_iter_seek(iter, key.buf, keybuf_len());
    found += iter_at(iter, key.buf, keybuf_len());
    stats_finished_single_op(&thread->stats);
  }
  leveldb_iter_destroy(iter);
  char msg[100];
  snprintf(msg, sizeof(msg), "(%d of %d found)", found, g_num);
  stats_add_message(&thread->stats, msg);
}

static void do_delete(thread_state_t *thread, int seq) {
  leveldb_writebatch_t *batch = leveldb_writebatch_create();
  keybuf_t key;
  keybuf_init(&key);
  for (int i = 0; i < g_num; i += g_entries_per_batch) {
    leveldb_writebatch_clear(batch);
    for (int j = 0; j < g_entries_per_batch; j++) {
      int k = seq ? i + j : (int)random_uniform(&thread->rand, FLAGS_num);
      keybuf_set(&key, k);
      leveldb_writebatch_delete(batch, key.buf, keybuf_len());
      thread->put_bytes += (long long)keybuf_len();
      stats_finished_single_op(&thread->stats);
    }
    char *err = NULL;
    leveldb_write(g_db, g_write_options, batch, &err);
    die_on_error("del", err);
  }
  leveldb_writebatch_destroy(batch);
}

static void delete_seq(thread_state_t *t) { do_delete(t, 1); }
static void delete_random(thread_state_t *t) { do_delete(t, 0); }

static void read_while_writing(thread_state_t *thread) {
  if (thread->tid > 0) {
    read_random(thread);
    return;
  }
  /* Thread 0 writes until every reader has finished; its time is not
   * counted, but with --histogram=1 each put's latency is recorded apart. */
  valuegen_t gen = {0};
  keybuf_t key;
  keybuf_init(&key);
  if (FLAGS_histogram) hist_clear(&thread->write_hist);
  for (;;) {
    pthread_mutex_lock(&thread->shared->mu);
    int others_done = thread->shared->num_done + 1 >= thread->shared->num_initialized;
    pthread_mutex_unlock(&thread->shared->mu);
    if (others_done) break;
    keybuf_set(&key, (int)random_uniform(&thread->rand, FLAGS_num));
    char *err = NULL;
    uint64_t begin = FLAGS_histogram ? now_nanos() : 0;
    leveldb_put(g_db, g_write_options, key.buf, keybuf_len(),
                valuegen_next(&gen, (size_t)g_value_size), (size_t)g_value_size, &err);
    if (FLAGS_histogram) hist_add(&thread->write_hist, now_nanos() - begin);
    die_on_error("put", err);
    thread->put_bytes += (long long)keybuf_len() + g_value_size;
  }
  stats_start(&thread->stats);
}

static void open_bench(thread_state_t *thread) {
  for (int i = 0; i < g_num; i++) {
    close_db();
    open_db();
    stats_finished_single_op(&thread->stats);
  }
}

static void compact(thread_state_t *thread) {
  (void)thread;
  leveldb_compact_range(g_db, NULL, 0, NULL, 0);
}

static void print_property(const char *name) {
  char *value = leveldb_property_value(g_db, name);
  fprintf(stdout, "\n%s\n", value != NULL ? value : "(failed)");
  leveldb_free(value);
  fflush(stdout);
}

/* ---- running threads ---------------------------------------------------- */

typedef struct {
  shared_t *shared;
  thread_state_t *thread;
  method_t method;
} thread_arg_t;

static void *thread_body(void *v) {
  thread_arg_t *arg = v;
  shared_t *shared = arg->shared;
  pthread_mutex_lock(&shared->mu);
  shared->num_initialized++;
  if (shared->num_initialized >= shared->total) pthread_cond_broadcast(&shared->cv);
  while (!shared->start) pthread_cond_wait(&shared->cv, &shared->mu);
  pthread_mutex_unlock(&shared->mu);

  stats_start(&arg->thread->stats);
  arg->method(arg->thread);
  stats_stop(&arg->thread->stats);

  pthread_mutex_lock(&shared->mu);
  shared->num_done++;
  if (shared->num_done >= shared->total) pthread_cond_broadcast(&shared->cv);
  pthread_mutex_unlock(&shared->mu);
  return NULL;
}

static void run_benchmark(int n, const char *name, method_t method) {
  shared_t shared;
  pthread_mutex_init(&shared.mu, NULL);
  pthread_cond_init(&shared.cv, NULL);
  shared.total = n;
  shared.num_initialized = 0;
  shared.num_done = 0;
  shared.start = 0;

  thread_arg_t *args = calloc((size_t)n, sizeof(*args));
  thread_state_t *states = calloc((size_t)n, sizeof(*states));
  pthread_t *tids = calloc((size_t)n, sizeof(*tids));
  if (args == NULL || states == NULL || tids == NULL) {
    fprintf(stderr, "out of memory\n");
    exit(1);
  }
  reset_peak_rss();
  io_counters_t io_before = read_io_counters();
  for (int i = 0; i < n; i++) {
    ++g_total_thread_count;
    /* Seeds depend only on how many threads ran before, as upstream's do,
     * so reruns of the same benchmark list see the same keys. */
    states[i].tid = i;
    random_init(&states[i].rand, (uint32_t)(1000 + g_total_thread_count));
    states[i].shared = &shared;
    stats_start(&states[i].stats);
    args[i].shared = &shared;
    args[i].thread = &states[i];
    args[i].method = method;
    if (pthread_create(&tids[i], NULL, thread_body, &args[i]) != 0) {
      fprintf(stderr, "cannot start thread\n");
      exit(1);
    }
  }

  pthread_mutex_lock(&shared.mu);
  while (shared.num_initialized < n) pthread_cond_wait(&shared.cv, &shared.mu);
  shared.start = 1;
  pthread_cond_broadcast(&shared.cv);
  while (shared.num_done < n) pthread_cond_wait(&shared.cv, &shared.mu);
  pthread_mutex_unlock(&shared.mu);
  for (int i = 0; i < n; i++) pthread_join(tids[i], NULL);

  long long put_bytes = 0;
  for (int i = 0; i < n; i++) put_bytes += states[i].put_bytes;
  g_total_put_bytes += put_bytes;
  report_io(name, put_bytes, io_before);
  for (int i = 1; i < n; i++) stats_merge(&states[0].stats, &states[i].stats);
  stats_t *all = &states[0].stats;
  stats_report(all, name);
  fprintf(stderr, "RSS:        %s %ld\n", name, peak_rss_kib());
  fprintf(stderr, "Ops:        %s threads=%d ops=%d seconds=%.6f\n", name, n, all->done,
          (all->finish - all->start) * 1e-6);
  if (FLAGS_histogram) {
    report_latency(&all->hist, name);
    if (method == read_while_writing) {
      char writes[300];
      snprintf(writes, sizeof(writes), "%s/writes", name);
      report_latency(&states[0].write_hist, writes);
    }
  }

  pthread_cond_destroy(&shared.cv);
  pthread_mutex_destroy(&shared.mu);
  free(tids);
  free(states);
  free(args);
}

/* ---- header ------------------------------------------------------------ */

static char *trim(char *s) {
  while (isspace((unsigned char)*s)) s++;
  size_t len = strlen(s);
  while (len > 0 && isspace((unsigned char)s[len - 1])) s[--len] = '\0';
  return s;
}

static void print_environment(void) {
  char lib[4096];
  loaded_library_path(lib, sizeof(lib));
  char version[64];
  bench_library_version(lib, version, sizeof(version));
  fprintf(stderr, "%-11s version %s\n", BENCH_LIBRARY_NAME ":", version);
  fprintf(stderr, "Library:    %s\n", lib);
  time_t now = time(NULL);
  fprintf(stderr, "Date:       %s", ctime(&now)); /* ctime ends in '\n' */
  FILE *cpuinfo = fopen("/proc/cpuinfo", "r");
  if (cpuinfo != NULL) {
    char line[1000];
    int num_cpus = 0;
    char cpu_type[1000] = "";
    char cache_size[1000] = "";
    while (fgets(line, sizeof(line), cpuinfo) != NULL) {
      char *sep = strchr(line, ':');
      if (sep == NULL) continue;
      *sep = '\0';
      char *key = trim(line);
      char *val = trim(sep + 1);
      if (strcmp(key, "model name") == 0) {
        ++num_cpus;
        snprintf(cpu_type, sizeof(cpu_type), "%s", val);
      } else if (strcmp(key, "cache size") == 0) {
        snprintf(cache_size, sizeof(cache_size), "%s", val);
      }
    }
    fclose(cpuinfo);
    fprintf(stderr, "CPU:        %d * %s\n", num_cpus, cpu_type);
    fprintf(stderr, "CPUCache:   %s\n", cache_size);
  }
}

static void print_header(void) {
  const int key_size = 16 + FLAGS_key_prefix;
  print_environment();
  fprintf(stdout, "Keys:       %d bytes each\n", key_size);
  fprintf(stdout, "Values:     %d bytes each (%d bytes after compression)\n", FLAGS_value_size,
          (int)(FLAGS_value_size * FLAGS_compression_ratio + 0.5));
  fprintf(stdout, "Entries:    %d\n", g_num);
  fprintf(stdout, "RawSize:    %.1f MB (estimated)\n",
          ((double)((int64_t)(key_size + FLAGS_value_size) * g_num) / 1048576.0));
  fprintf(stdout, "FileSize:   %.1f MB (estimated)\n",
          ((key_size + FLAGS_value_size * FLAGS_compression_ratio) * g_num) / 1048576.0);
#if defined(__GNUC__) && !defined(__OPTIMIZE__)
  fprintf(stdout, "WARNING: Optimization is disabled: benchmarks unnecessarily slow\n");
#endif
  fprintf(stdout, "------------------------------------------------\n");
  fflush(stdout);
}

/* ---- main ---------------------------------------------------------------- */

static void run(void) {
  print_header();
  open_db();

  const char *benchmarks = FLAGS_benchmarks;
  while (benchmarks != NULL) {
    char name[256];
    const char *sep = strchr(benchmarks, ',');
    size_t len = sep == NULL ? strlen(benchmarks) : (size_t)(sep - benchmarks);
    if (len >= sizeof(name)) len = sizeof(name) - 1;
    memcpy(name, benchmarks, len);
    name[len] = '\0';
    benchmarks = sep == NULL ? NULL : sep + 1;

    /* Reset what a previous workload may have overridden. */
    g_num = FLAGS_num;
    g_reads = FLAGS_reads < 0 ? FLAGS_num : FLAGS_reads;
    g_value_size = FLAGS_value_size;
    g_entries_per_batch = 1;
    leveldb_writeoptions_set_sync(g_write_options, 0);

    method_t method = NULL;
    int fresh_db = 0;
    int num_threads = FLAGS_threads;

    if (strcmp(name, "open") == 0) {
      method = open_bench;
      /* Reopening swaps the one shared handle: never from two threads. */
      num_threads = 1;
      g_num /= 10000;
      if (g_num < 1) g_num = 1;
    } else if (strcmp(name, "fillseq") == 0) {
      fresh_db = 1;
      method = write_seq;
    } else if (strcmp(name, "fillbatch") == 0) {
      fresh_db = 1;
      g_entries_per_batch = 1000;
      method = write_seq;
    } else if (strcmp(name, "fillrandom") == 0) {
      fresh_db = 1;
      method = write_random;
    } else if (strcmp(name, "overwrite") == 0) {
      method = write_random;
    } else if (strcmp(name, "fillsync") == 0) {
      fresh_db = 1;
      g_num /= 1000;
      leveldb_writeoptions_set_sync(g_write_options, 1);
      method = write_random;
    } else if (strcmp(name, "fill100K") == 0) {
      fresh_db = 1;
      g_num /= 1000;
      g_value_size = 100 * 1000;
      method = write_random;
    } else if (strcmp(name, "readseq") == 0) {
      method = read_sequential;
    } else if (strcmp(name, "readreverse") == 0) {
      method = read_reverse;
    } else if (strcmp(name, "readrandom") == 0) {
      method = read_random;
    } else if (strcmp(name, "readmissing") == 0) {
      method = read_missing;
    } else if (strcmp(name, "seekrandom") == 0) {
      method = seek_random;
    } else if (strcmp(name, "seekordered") == 0) {
      method = seek_ordered;
    } else if (strcmp(name, "readhot") == 0) {
      method = read_hot;
    } else if (strcmp(name, "readrandomsmall") == 0) {
      g_reads /= 1000;
      method = read_random;
    } else if (strcmp(name, "deleteseq") == 0) {
      method = delete_seq;
    } else if (strcmp(name, "deleterandom") == 0) {
      method = delete_random;
    } else if (strcmp(name, "readwhilewriting") == 0) {
      num_threads++; /* one extra thread writes */
      method = read_while_writing;
    } else if (strcmp(name, "compact") == 0) {
      method = compact;
    } else if (strcmp(name, "stats") == 0) {
      print_property("leveldb.stats");
    } else if (strcmp(name, "sstables") == 0) {
      print_property("leveldb.sstables");
    } else if (name[0] != '\0') {
      fprintf(stderr, "unknown benchmark '%s'\n", name);
    }

    if (fresh_db) {
      if (FLAGS_use_existing_db) {
        fprintf(stdout, "%-12s : skipped (--use_existing_db is true)\n", name);
        method = NULL;
      } else {
        close_db();
        destroy_db();
        open_db();
      }
    }

    if (method != NULL) run_benchmark(num_threads, name, method);
  }
}

/* Parses "--name=<int>" exactly (no trailing junk). */
static int int_flag(const char *arg, const char *name, int *out) {
  size_t n = strlen(name);
  if (strncmp(arg, name, n) != 0) return 0;
  const char *v = arg + n;
  char *end;
  long value = strtol(v, &end, 10);
  if (end == v || *end != '\0') return 0;
  *out = (int)value;
  return 1;
}

static int double_flag(const char *arg, const char *name, double *out) {
  size_t n = strlen(name);
  if (strncmp(arg, name, n) != 0) return 0;
  const char *v = arg + n;
  char *end;
  double value = strtod(v, &end);
  if (end == v || *end != '\0') return 0;
  *out = value;
  return 1;
}

static int bool_flag(const char *arg, const char *name, int *out) {
  int v;
  if (!int_flag(arg, name, &v) || (v != 0 && v != 1)) return 0;
  *out = v;
  return 1;
}

int main(int argc, char **argv) {
  char default_db[4096];
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strncmp(a, "--benchmarks=", 13) == 0) {
      FLAGS_benchmarks = a + 13;
    } else if (double_flag(a, "--compression_ratio=", &FLAGS_compression_ratio)) {
    } else if (strcmp(a, "--compression=snappy") == 0 || strcmp(a, "--compression=1") == 0) {
      FLAGS_compression = 1;
    } else if (strcmp(a, "--compression=none") == 0 || strcmp(a, "--compression=0") == 0) {
      FLAGS_compression = 0;
    } else if (bool_flag(a, "--use_existing_db=", &FLAGS_use_existing_db)) {
    } else if (bool_flag(a, "--histogram=", &FLAGS_histogram)) {
    } else if (int_flag(a, "--num=", &FLAGS_num)) {
    } else if (int_flag(a, "--reads=", &FLAGS_reads)) {
    } else if (int_flag(a, "--threads=", &FLAGS_threads)) {
    } else if (int_flag(a, "--value_size=", &FLAGS_value_size)) {
    } else if (int_flag(a, "--write_buffer_size=", &FLAGS_write_buffer_size)) {
    } else if (int_flag(a, "--max_file_size=", &FLAGS_max_file_size)) {
    } else if (int_flag(a, "--block_size=", &FLAGS_block_size)) {
    } else if (int_flag(a, "--key_prefix=", &FLAGS_key_prefix)) {
    } else if (int_flag(a, "--cache_size=", &FLAGS_cache_size)) {
    } else if (int_flag(a, "--bloom_bits=", &FLAGS_bloom_bits)) {
    } else if (int_flag(a, "--open_files=", &FLAGS_open_files)) {
    } else if (strncmp(a, "--db=", 5) == 0) {
      FLAGS_db = a + 5;
    } else {
      fprintf(stderr, "Invalid flag '%s'\n", a);
      exit(1);
    }
  }
  if (FLAGS_threads < 1 || FLAGS_value_size < 0 || FLAGS_key_prefix < 0 ||
      FLAGS_key_prefix > 1000 || FLAGS_num < 0) {
    fprintf(stderr, "flag out of range\n");
    exit(1);
  }

  if (FLAGS_db == NULL) {
    /* Upstream's default: <test directory>/dbbench. */
    leveldb_env_t *env = leveldb_create_default_env();
    char *dir = leveldb_env_get_test_directory(env);
    snprintf(default_db, sizeof(default_db), "%s/dbbench", dir != NULL ? dir : "/tmp");
    leveldb_free(dir);
    leveldb_env_destroy(env);
    FLAGS_db = default_db;
  }

  g_num = FLAGS_num;
  g_reads = FLAGS_reads < 0 ? FLAGS_num : FLAGS_reads;
  if (FLAGS_cache_size >= 0) g_cache = leveldb_cache_create_lru((size_t)FLAGS_cache_size);
  if (FLAGS_bloom_bits >= 0) g_filter = leveldb_filterpolicy_create_bloom(FLAGS_bloom_bits);
  g_read_options = leveldb_readoptions_create();
  g_write_options = leveldb_writeoptions_create();
  build_value_pool();
  if (!FLAGS_use_existing_db) destroy_db();

  io_counters_t io_start = read_io_counters();
  run();

  close_db();
  report_io("whole-run", g_total_put_bytes, io_start);
  if (g_cache != NULL) leveldb_cache_destroy(g_cache);
  if (g_filter != NULL) leveldb_filterpolicy_destroy(g_filter);
  leveldb_readoptions_destroy(g_read_options);
  leveldb_writeoptions_destroy(g_write_options);
  free(g_pool);

  /* VmHWM was reset before each workload, so the whole-run peak is the
   * largest reading; getrusage covers systems without those resets. */
  peak_rss_kib();
  struct rusage usage;
  if (getrusage(RUSAGE_SELF, &usage) == 0 && usage.ru_maxrss > g_max_rss_kib) {
    g_max_rss_kib = usage.ru_maxrss;
  }
  fprintf(stdout, "PeakRSS:    %ld KiB\n", g_max_rss_kib);
  return 0;
}
