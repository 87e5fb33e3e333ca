/*
 * latency_histogram.h -- per-operation latencies for db_bench.c's
 * --histogram=1, cheap enough to record every operation.
 *
 * A latency in nanoseconds goes into one of a fixed set of log-linear
 * buckets: values below 2^SUB_BITS have a bucket each; above that every
 * power of two is split into 2^SUB_BITS equal buckets, so a bucket is never
 * wider than 1/2^SUB_BITS (about 3%) of the values it holds. Recording is a
 * count-leading-zeros, a shift and an increment; no allocation, no lock (one
 * histogram per thread, merged after the threads are joined). Percentiles
 * and counts above a threshold interpolate linearly inside the bucket that
 * holds them, over the part of it between the exact minimum and maximum,
 * which are kept apart from the buckets.
 *
 * Invariants: count == sum of buckets[]; min <= max whenever count > 0.
 */

#ifndef STRATA_BENCH_LATENCY_HISTOGRAM_H
#define STRATA_BENCH_LATENCY_HISTOGRAM_H

#include <stdint.h>
#include <string.h>

#define HIST_SUB_BITS 5
#define HIST_SUB (1 << HIST_SUB_BITS)
/* Groups: one for values below HIST_SUB, then one per bit position from
 * HIST_SUB_BITS to 63. */
#define HIST_BUCKETS ((64 - HIST_SUB_BITS + 1) * HIST_SUB)

typedef struct {
  uint64_t buckets[HIST_BUCKETS];
  uint64_t count;
  uint64_t min_ns, max_ns;
  double sum_ns;
} latency_histogram_t;

static inline void hist_clear(latency_histogram_t *h) {
  memset(h, 0, sizeof(*h));
  h->min_ns = UINT64_MAX;
}

static inline int hist_index(uint64_t ns) {
  if (ns < HIST_SUB) return (int)ns;
  int top_bit = 63 - __builtin_clzll(ns); /* >= HIST_SUB_BITS */
  int shift = top_bit - HIST_SUB_BITS;
  /* The top bit selects the group; the next HIST_SUB_BITS bits the bucket. */
  return (shift + 1) * HIST_SUB + (int)((ns >> shift) & (HIST_SUB - 1));
}

/* Smallest value bucket `index` holds, and how many consecutive values. */
static inline void hist_bucket_range(int index, uint64_t *lower, uint64_t *width) {
  int group = index / HIST_SUB;
  uint64_t sub = (uint64_t)(index % HIST_SUB);
  if (group == 0) {
    *lower = sub;
    *width = 1;
  } else {
    int shift = group - 1;
    *lower = ((uint64_t)HIST_SUB + sub) << shift;
    *width = (uint64_t)1 << shift;
  }
}

static inline void hist_add(latency_histogram_t *h, uint64_t ns) {
  h->buckets[hist_index(ns)]++;
  h->count++;
  h->sum_ns += (double)ns;
  if (ns < h->min_ns) h->min_ns = ns;
  if (ns > h->max_ns) h->max_ns = ns;
}

static inline void hist_merge(latency_histogram_t *into, const latency_histogram_t *from) {
  for (int i = 0; i < HIST_BUCKETS; i++) into->buckets[i] += from->buckets[i];
  into->count += from->count;
  into->sum_ns += from->sum_ns;
  if (from->min_ns < into->min_ns) into->min_ns = from->min_ns;
  if (from->max_ns > into->max_ns) into->max_ns = from->max_ns;
}

/* The values bucket `index` can hold given the recorded minimum and
 * maximum: [*lower, *lower + *width). Interpolating over this span rather
 * than the whole bucket keeps the first and last buckets honest. */
static inline void hist_bucket_span(const latency_histogram_t *h, int index, uint64_t *lower,
                                    uint64_t *width) {
  uint64_t lo, w;
  hist_bucket_range(index, &lo, &w);
  uint64_t hi = lo + w;
  if (lo < h->min_ns) lo = h->min_ns;
  if (h->max_ns < UINT64_MAX && hi > h->max_ns + 1) hi = h->max_ns + 1;
  *lower = lo;
  *width = hi > lo ? hi - lo : 1;
}

/* The latency (ns) below which `percent` of the recorded values fall. */
static inline double hist_percentile(const latency_histogram_t *h, double percent) {
  if (h->count == 0) return 0;
  double threshold = (double)h->count * percent / 100.0;
  double seen = 0;
  for (int i = 0; i < HIST_BUCKETS; i++) {
    if (h->buckets[i] == 0) continue;
    double in_bucket = (double)h->buckets[i];
    if (seen + in_bucket >= threshold) {
      uint64_t lower, width;
      hist_bucket_span(h, i, &lower, &width);
      double v = (double)lower + (double)width * (threshold - seen) / in_bucket;
      if (v < (double)h->min_ns) v = (double)h->min_ns;
      if (v > (double)h->max_ns) v = (double)h->max_ns;
      return v;
    }
    seen += in_bucket;
  }
  return (double)h->max_ns;
}

/* How many recorded values are at or above `ns`: whole buckets above it,
 * plus a linear share of the bucket it falls in (the interpolation
 * hist_percentile uses, so that hist_percentile(h, p) >= ns exactly when
 * this is at least (100 - p)% of the count). */
static inline double hist_count_at_least(const latency_histogram_t *h, uint64_t ns) {
  if (h->count == 0 || ns > h->max_ns) return 0;
  if (ns <= h->min_ns) return (double)h->count;
  double below = 0;
  for (int i = 0; i < HIST_BUCKETS; i++) {
    if (h->buckets[i] == 0) continue;
    uint64_t lower, width;
    hist_bucket_span(h, i, &lower, &width);
    if (lower + width <= ns) {
      below += (double)h->buckets[i];
    } else {
      if (lower < ns) below += (double)h->buckets[i] * (double)(ns - lower) / (double)width;
      break;
    }
  }
  return (double)h->count - below;
}

#endif /* STRATA_BENCH_LATENCY_HISTOGRAM_H */
