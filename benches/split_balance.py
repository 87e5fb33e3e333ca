#!/usr/bin/env python3
"""How evenly split compactions shared their work, from a database's LOG.

    benches/split_balance.py <db>/LOG

For every compaction the LOG says was split ("Compacting in N parts"), sums
the bytes of the tables each thread generated ("Generated table ...: K
keys, B bytes", tagged with the writing thread's id); the thread that
logged "Compacting in" is the background thread, which merges the first
part and also flushes memtables. Prints the number of split compactions,
the bytes the background thread and the helper threads wrote over the run,
and the largest part over the mean part (1.0 is an even split; the wall
time of a split compaction is set by its largest part): the median and mean
of that ratio per compaction, and sum(largest) / sum(mean) over the run,
for all split compactions and for those out of level 0.
"""
import collections
import re
import statistics
import sys


def parts_of(log_lines):
    """Yields (compaction line, bytes per thread, background thread id)."""
    compacting = ""
    current = None
    background = None
    for line in log_lines:
        fields = line.split(None, 2)
        if len(fields) < 3:
            continue
        thread, message = fields[1], fields[2]
        if message.startswith("Compacting in"):
            current = collections.defaultdict(int)
            background = thread
        elif message.startswith("Compacting "):
            compacting = message
        elif current is not None and message.startswith("Generated table"):
            m = re.search(r"keys, (\d+) bytes", message)
            if m:
                current[thread] += int(m.group(1))
        elif current is not None and message.startswith("Compacted"):
            yield compacting, current, background
            current = None


def main():
    with open(sys.argv[1], errors="replace") as f:
        runs = []
        for compacting, by_thread, background in parts_of(f.read().splitlines()):
            mine = by_thread.get(background, 0)
            others = [b for t, b in by_thread.items() if t != background]
            parts = [mine] + others
            runs.append((compacting, mine, sum(others), max(parts), sum(parts) / len(parts)))
    runs = [r for r in runs if r[4] > 0]
    if not runs:
        print("no split compactions")
        return
    ratios = [r[3] / r[4] for r in runs]
    print(f"{len(runs)} split compactions; background thread wrote {sum(r[1] for r in runs)} bytes, "
          f"helpers {sum(r[2] for r in runs)}")
    print(f"largest part / mean part: median {statistics.median(ratios):.3f}, "
          f"mean {statistics.mean(ratios):.3f}, "
          f"sum(largest)/sum(mean) {sum(r[3] for r in runs) / sum(r[4] for r in runs):.3f}")
    level0 = [r for r in runs if "@0 " in r[0]]
    if level0:
        print(f"out of level 0: {len(level0)}, sum(largest)/sum(mean) "
              f"{sum(r[3] for r in level0) / sum(r[4] for r in level0):.3f}")


if __name__ == "__main__":
    main()
