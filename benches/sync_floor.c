/* benches/sync_floor.c -- what one durable small write costs on this disk.
 *
 *   cc -O2 -Wall -Wextra -o sync_floor benches/sync_floor.c
 *   ./sync_floor [DIR] [WRITES]        (defaults: target, 2000)
 *
 * fillsync makes every write durable before it returns, so its cost per
 * write is bounded below by what the device takes for one synced write of
 * a log record. This program measures that floor with nothing else going
 * on: WRITES records of 116 bytes (db_bench's 16-byte key and 100-byte
 * value) appended to a fresh file in DIR, each made durable before the
 * next, in each of the ways a log can be written:
 *
 *   append      write(2) past the end, then fdatasync: LevelDB 1.23's log.
 *               Each sync also commits the file's new size to the journal.
 *   reserved    pwrite into space reserved with posix_fallocate, then
 *               fdatasync: the size does not change (Strata's log writes
 *               through a mapping of such space; see the next mode).
 *   mapped      a store into a shared mapping of reserved space, then
 *               fdatasync: Strata's log.
 *   zeroed      pwrite into space zero-filled and synced beforehand, then
 *               fdatasync: no extent changes state either.
 *   direct      O_DIRECT, rewriting the 4 KiB page that holds the record
 *               with pwritev2(RWF_DSYNC), in zero-filled space: no page
 *               cache, and a write the device may complete with FUA.
 *
 * Prints microseconds per durable write for each ("n/a" for direct where
 * the file system refuses O_DIRECT). The modes run in turn,
 * ROUNDS times, so that a passing load on a shared machine shows up as
 * spread within a mode rather than as a difference between modes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

enum { RECORD = 116, PAGE = 4096, ROUNDS = 3 };
static const size_t kSpace = 4u << 20; /* room for 36 000 records */

static void die(const char *what) {
  fprintf(stderr, "sync_floor: %s: %s\n", what, strerror(errno));
  exit(1);
}

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static void zero_fill(int fd) {
  char *zeros = calloc(1, kSpace);
  if (zeros == NULL) die("calloc");
  if (pwrite(fd, zeros, kSpace, 0) != (ssize_t)kSpace) die("pwrite zeros");
  if (fdatasync(fd) != 0) die("fdatasync zeros");
  free(zeros);
}

/* One mode: returns microseconds per durable write, or -1 where the file
 * system refuses O_DIRECT (tmpfs, for one). */
static double run(const char *mode, const char *path, int writes) {
  unlink(path);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) die(path);
  char record[RECORD];
  memset(record, 'r', sizeof record);
  char *map = NULL;
  char *page = NULL;
  int append = strcmp(mode, "append") == 0;
  int direct = strcmp(mode, "direct") == 0;

  if (strcmp(mode, "reserved") == 0 || strcmp(mode, "mapped") == 0) {
    int rc = posix_fallocate(fd, 0, (off_t)kSpace);
    if (rc != 0) {
      errno = rc;
      die("posix_fallocate");
    }
  }
  if (strcmp(mode, "zeroed") == 0 || direct) zero_fill(fd);
  if (strcmp(mode, "mapped") == 0) {
    map = mmap(NULL, kSpace, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) die("mmap");
  }
  if (direct) {
    close(fd);
    fd = open(path, O_RDWR | O_DIRECT);
    if (fd < 0 && errno == EINVAL) {
      unlink(path);
      return -1;
    }
    if (fd < 0) die("open O_DIRECT");
    if (posix_memalign((void **)&page, PAGE, PAGE) != 0) die("posix_memalign");
    memset(page, 0, PAGE);
  }

  double start = now_us();
  size_t offset = 0;
  size_t image_start = 0;
  for (int i = 0; i < writes; i++) {
    if (append) {
      if (write(fd, record, RECORD) != RECORD) die("write");
    } else if (map != NULL) {
      memcpy(map + offset, record, RECORD);
    } else if (direct) {
      /* `page` is the image of the page at `image_start`, holding every
       * record written into that page so far. */
      if (offset / PAGE * PAGE != image_start) {
        image_start = offset / PAGE * PAGE;
        memset(page, 0, PAGE);
      }
      size_t room = image_start + PAGE - offset;
      size_t first = room < RECORD ? room : RECORD;
      memcpy(page + (offset - image_start), record, first);
      struct iovec v = {page, PAGE};
      if (first < RECORD) {
        /* The record crosses into the next page: this one is complete. */
        if (pwritev2(fd, &v, 1, (off_t)image_start, RWF_DSYNC) != PAGE) die("pwritev2");
        image_start += PAGE;
        memset(page, 0, PAGE);
        memcpy(page, record + first, RECORD - first);
      }
      if (pwritev2(fd, &v, 1, (off_t)image_start, RWF_DSYNC) != PAGE) die("pwritev2");
    } else {
      if (pwrite(fd, record, RECORD, (off_t)offset) != RECORD) die("pwrite");
    }
    offset += RECORD;
    if (!direct && fdatasync(fd) != 0) die("fdatasync");
  }
  double per_write = (now_us() - start) / writes;

  if (map != NULL) munmap(map, kSpace);
  free(page);
  close(fd);
  unlink(path);
  return per_write;
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : "target";
  int writes = argc > 2 ? atoi(argv[2]) : 2000;
  if (writes <= 0 || (size_t)writes * RECORD > kSpace - PAGE) {
    fprintf(stderr, "sync_floor: WRITES must be 1..%zu\n", (kSpace - PAGE) / RECORD);
    return 2;
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/sync_floor.tmp", dir);

  static const char *const kModes[] = {"append", "reserved", "mapped", "zeroed", "direct"};
  enum { MODES = sizeof kModes / sizeof kModes[0] };
  double us[MODES][ROUNDS];
  for (int r = 0; r < ROUNDS; r++)
    for (int m = 0; m < MODES; m++) us[m][r] = run(kModes[m], path, writes);

  printf("durable %d-byte writes, %d per run, %d rounds, in %s (µs per write)\n", RECORD,
         writes, ROUNDS, dir);
  for (int m = 0; m < MODES; m++) {
    printf("%-9s", kModes[m]);
    for (int r = 0; r < ROUNDS; r++) {
      if (us[m][r] < 0)
        printf("      n/a");
      else
        printf(" %8.1f", us[m][r]);
    }
    printf("\n");
  }
  return 0;
}
