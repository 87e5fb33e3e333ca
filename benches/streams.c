/* benches/streams.c -- several ascending streams of keys written into one
 * database: what compactions cost when level-0 tables hold runs.
 *
 *   cc -O2 -Wall -Wextra -o streams benches/streams.c -lleveldb
 *   LD_LIBRARY_PATH=<dir with libleveldb.so.1> ./streams DB [STREAMS] [ENTRIES]
 *                                      (defaults: 8 streams, 2000000 entries)
 *
 * Time series, logs from several sources, per-user append-only records:
 * each source's keys ascend (key = source number, then a counter), and the
 * sources take turns in bursts of 1-2000 writes. Each 4 MiB memtable then
 * holds a run of every stream; the level-0 tables it becomes all span
 * nearly the whole key space, so each level-0 compaction merges them with
 * the level-1 tables they overlap, although most of their blocks are runs
 * that no other table interrupts. db_bench has no such workload
 * (`--threads=N fillseq` writes the same keys from every thread).
 *
 * Writes 100-byte values (half compressible, as db_bench's), without sync,
 * then closes the database, and prints one line: microseconds per write,
 * the whole process's CPU time (all threads: the writer's, flushes' and
 * compactions'), and bytes the process wrote (/proc/self/io write_bytes)
 * over bytes put. Bursts and values come from a fixed seed, so every run
 * writes the same entries in the same order.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <leveldb/c.h>

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint32_t next_random(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (uint32_t)(rng_state >> 16);
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_seconds(void) {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return (double)usage.ru_utime.tv_sec + (double)usage.ru_utime.tv_usec / 1e6 +
         (double)usage.ru_stime.tv_sec + (double)usage.ru_stime.tv_usec / 1e6;
}

static long long write_bytes(void) {
  FILE *f = fopen("/proc/self/io", "r");
  char line[128];
  long long value = -1;
  if (f == NULL) return -1;
  while (fgets(line, sizeof line, f) != NULL) {
    if (sscanf(line, "write_bytes: %lld", &value) == 1) break;
  }
  fclose(f);
  return value;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s DB [STREAMS] [ENTRIES]\n", argv[0]);
    return 2;
  }
  const char *path = argv[1];
  int streams = argc > 2 ? atoi(argv[2]) : 8;
  long entries = argc > 3 ? atol(argv[3]) : 2000000;
  if (streams < 1 || streams > 1000 || entries < 1) {
    fprintf(stderr, "bad STREAMS or ENTRIES\n");
    return 2;
  }

  char *err = NULL;
  leveldb_options_t *options = leveldb_options_create();
  leveldb_options_set_create_if_missing(options, 1);
  leveldb_options_set_error_if_exists(options, 1);
  leveldb_t *db = leveldb_open(options, path, &err);
  if (err != NULL) {
    fprintf(stderr, "open: %s\n", err);
    return 1;
  }
  leveldb_writeoptions_t *write_options = leveldb_writeoptions_create();

  /* db_bench's values: 50 random bytes repeated once. */
  char pool[1 << 16];
  for (size_t i = 0; i < sizeof pool; i++) pool[i] = (char)(' ' + next_random() % 95);
  char value[100];
  long *counters = calloc((size_t)streams, sizeof *counters);
  long long put = 0;
  long long written_before = write_bytes();
  double cpu_before = cpu_seconds();
  double start = now_seconds();
  long done = 0;
  while (done < entries) {
    int stream = (int)(next_random() % (uint32_t)streams);
    long burst = 1 + (long)(next_random() % 2000);
    for (long i = 0; i < burst && done < entries; i++, done++) {
      char key[32];
      int key_len = snprintf(key, sizeof key, "%04d%012ld", stream, counters[stream]++);
      size_t at = next_random() % (sizeof pool - 50);
      memcpy(value, pool + at, 50);
      memcpy(value + 50, pool + at, 50);
      leveldb_put(db, write_options, key, (size_t)key_len, value, sizeof value, &err);
      if (err != NULL) {
        fprintf(stderr, "put: %s\n", err);
        return 1;
      }
      put += key_len + (long long)sizeof value;
    }
  }
  leveldb_close(db);
  double seconds = now_seconds() - start;
  double cpu = cpu_seconds() - cpu_before;
  long long written = write_bytes() - written_before;

  printf("streams=%d entries=%ld micros/op=%.3f cpu_s=%.2f write_amplification=%.2f\n", streams,
         entries, seconds * 1e6 / (double)entries, cpu, (double)written / (double)put);
  leveldb_writeoptions_destroy(write_options);
  leveldb_options_destroy(options);
  free(counters);
  return 0;
}
