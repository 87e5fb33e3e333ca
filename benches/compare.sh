#!/bin/sh
# benches/compare.sh -- LevelDB 1.23, Strata and RocksDB, side by side.
#
#   benches/compare.sh [--rounds=N] [--keep] [--prefill] [--no-rocksdb]
#                      [--num=N[,N...]] [--threads=N[,N...]] [--split-num]
#                      [db_bench flags...]
#
# Builds benches/db_bench.c twice: against the distro LevelDB (-lleveldb) and
# against the distro RocksDB (-DBENCH_ROCKSDB -lrocksdb, through
# benches/rocksdb_compat.h); builds Strata's cdylib (cargo build --release).
# The LevelDB binary measures both LevelDB and Strata: for Strata it runs
# with LD_LIBRARY_PATH pointing at a temp dir holding our library as
# libleveldb.so.1 and libleveldb.so.1d (the SONAME the distro binary asks
# for). Each round runs LevelDB, Strata, RocksDB in turn, N rounds (default
# 3), each on a fresh database in a temp dir on the repository's disk. Every
# process reports which library it mapped; the run stops if that is not the
# one it was meant to measure.
#
# RocksDB is measured unless --no-rocksdb is given; without that flag a
# missing librocksdb-dev is an error, never a silently shorter table.
#
# --num and --threads take comma-separated lists (1M, 4M, 16M and 1K are
# accepted for 1000000, ...); every combination is one step, measured for
# all rounds before the next, and the tables gain an "entries" or "threads"
# column when a list has more than one value.
#
# Tables (medians over rounds): per workload each library's micros/op, the
# speedups of Strata (LevelDB micros/op / Strata micros/op and RocksDB's /
# Strata's: above 1, Strata is faster), MB/s and peak RSS during the
# workload; with --threads, aggregate throughput (operations of all threads
# over wall time); with db_bench's --histogram=1, latency percentiles and
# how many operations took at least 10 µs, 30 µs and 1 ms; and
# write amplification (bytes the process wrote, /proc/self/io write_bytes,
# over key + value bytes the workload put) of every workload that writes.
#
# db_bench's --num counts each thread's operations, so --threads=4 does four
# times the work of --threads=1. --split-num makes --num the total instead:
# each of T threads gets num/T, so every row of a step makes the same
# number of operations. (db_bench draws each thread's keys from 0..num/T
# then, so threads write over one another's keys: the same writes, not the
# same database.)
#
# --prefill measures reads on a settled database: per --num, one database
# is filled once by LevelDB (fillrandom, then compact, with the pass-through
# flags) and one by RocksDB (its own format), and every round starts from a
# copy with --use_existing_db=1; Strata reads the LevelDB-made copy (the
# same format).
# Without it reads follow the round's own writes and so also measure how
# much compaction work those writes left running.
#
# db_bench flags pass through (--benchmarks, --value_size, --cache_size,
# --bloom_bits, --compression, --histogram, --reads, ...) to all three
# libraries alike; --db is chosen here. Before each run the harness syncs
# and waits BENCH_SETTLE seconds (default 2): a run right after another
# could otherwise find the kernel still writing that run's files back.
# Environment: CC (default cc), BENCH_TMPDIR (parent of the temp dir,
# default <repo>/target), STRATA_CDYLIB (measure this file as "ours" instead
# of building; for testing the harness).
set -eu

all_args="$*"
rounds=3
keep=0
prefill=0
rocksdb=1
nums=1000000
threads_list=1
threads_given=0
split_num=0
for arg in "$@"; do
  case "$arg" in
    --rounds=*) rounds=${arg#--rounds=} ;;
    --keep) keep=1 ;;
    --prefill) prefill=1 ;;
    --no-rocksdb) rocksdb=0 ;;
    --num=*) nums=${arg#--num=} ;;
    --threads=*) threads_list=${arg#--threads=}; threads_given=1 ;;
    --split-num) split_num=1 ;;
  esac
done
# Drop our own options (and the lists, passed per step), keep db_bench's.
for arg in "$@"; do
  shift
  case "$arg" in
    --rounds=* | --keep | --prefill | --no-rocksdb | --num=* | --threads=* | --split-num) ;;
    *) set -- "$@" "$arg" ;;
  esac
done

# "1M,4M" -> "1000000 4000000"; anything but digits and a K/M suffix fails.
expand_list() {
  for item in $(echo "$1" | tr ',' ' '); do
    case "$item" in
      *[!0-9KM]* | "" | [KM]*) echo "bad list item '$item' in '$1'" >&2; return 1 ;;
      *M) echo "${item%M}000000" ;;
      *K) echo "${item%K}000" ;;
      *) echo "$item" ;;
    esac
  done
}
nums=$(expand_list "$nums")
threads_list=$(expand_list "$threads_list")

settle=${BENCH_SETTLE:-2}
root=$(cd "$(dirname "$0")/.." && pwd)
cc=${CC:-cc}
target_dir=${CARGO_TARGET_DIR:-$root/target}
parent=${BENCH_TMPDIR:-$target_dir}
mkdir -p "$parent"
work=$(mktemp -d "$parent/bench-compare.XXXXXX")
if [ "$keep" = 0 ]; then
  trap 'rm -rf "$work"' EXIT
fi

if [ -n "${STRATA_CDYLIB:-}" ]; then
  ours_lib=$STRATA_CDYLIB # lets the harness itself be tested with any library
else
  echo "# building Strata (cargo build --release) and db_bench" >&2
  (cd "$root" && cargo build --release --lib --quiet)
  ours_lib="$target_dir/release/libleveldb.so"
fi
mkdir "$work/ours"
cp "$ours_lib" "$work/ours/libleveldb.so.1"
cp "$ours_lib" "$work/ours/libleveldb.so.1d"
cflags="-std=c11 -Wall -Wextra -Werror -O2 -pthread"
# shellcheck disable=SC2086 # cflags is a list of words
"$cc" $cflags -I/usr/include "$root/benches/db_bench.c" -lleveldb -o "$work/db_bench"
sides="ref ours"
if [ "$rocksdb" = 1 ]; then
  if [ ! -f /usr/include/rocksdb/c.h ]; then
    echo "RocksDB's C header is missing: apt-get install librocksdb-dev, or pass --no-rocksdb" >&2
    exit 1
  fi
  # shellcheck disable=SC2086
  "$cc" $cflags -DBENCH_ROCKSDB "$root/benches/db_bench.c" -lrocksdb -o "$work/db_bench_rocksdb"
  sides="ref ours rocks"
fi

binary_of() {
  if [ "$1" = rocks ]; then echo "$work/db_bench_rocksdb"; else echo "$work/db_bench"; fi
}

# The databases --prefill copies: LevelDB's (read by LevelDB and Strata)
# and RocksDB's, per --num.
seed_of() { # side num
  if [ "$1" = rocks ]; then echo "$work/seed-rocks-$2"; else echo "$work/seed-ref-$2"; fi
}
if [ "$prefill" = 1 ]; then
  for num in $nums; do
    for side in $sides; do
      [ "$side" = ours ] && continue
      echo "# prefilling with $side (fillrandom --num=$num, compact)" >&2
      # The pass-through flags too, so that tables are built as the measured
      # runs would build them (--bloom_bits, --compression, --block_size...).
      env -u LD_LIBRARY_PATH "$(binary_of "$side")" "$@" --num="$num" \
        --benchmarks=fillrandom,compact --db="$(seed_of "$side" "$num")" >/dev/null 2>"$work/err.seed" || {
        echo "prefill ($side) failed:" >&2
        tail -5 "$work/err.seed" >&2
        exit 1
      }
    done
  done
  set -- "$@" --use_existing_db=1
fi

# run SIDE STEP ROUND NUM THREADS: one db_bench process on a fresh database
# (a copy of the prefilled one with --prefill).
run() {
  side=$1
  step=$2
  round=$3
  num=$4
  threads=$5
  shift 5
  db="$work/db-$side-$step-$round"
  out="$work/out.$side.$step.$round"
  err="$work/err.$side.$step.$round"
  rm -rf "$db"
  # Let the previous run's writes reach the disk first, so that the kernel's
  # writeback of them is not measured as part of this run.
  sync
  sleep "$settle"
  if [ "$prefill" = 1 ]; then
    cp -r "$(seed_of "$side" "$num")" "$db"
  fi
  per_thread=$num
  if [ "$split_num" = 1 ]; then
    per_thread=$((num / threads))
  fi
  set -- "$@" --num="$per_thread" --threads="$threads" --db="$db"
  if [ "$side" = ours ]; then
    LD_LIBRARY_PATH="$work/ours" "$work/db_bench" "$@" >"$out" 2>"$err" || status=$?
  else
    env -u LD_LIBRARY_PATH "$(binary_of "$side")" "$@" >"$out" 2>"$err" || status=$?
  fi
  if [ "${status:-0}" != 0 ]; then
    echo "db_bench ($side, step $step, round $round) failed with status $status:" >&2
    tr '\r' '\n' <"$err" | grep -v '^\.\.\. finished' | tail -20 >&2
    exit 1
  fi
  lib=$(sed -n 's/^Library: *//p' "$err" | head -1)
  case "$side" in
    ours)
      want="$work/ours/libleveldb.so.1d"
      [ "$lib" = "$want" ] || { echo "ours: loaded '$lib', expected '$want'" >&2; exit 1; } ;;
    ref)
      case "$lib" in
        "$work"/* | "" | "(unknown)") echo "reference: loaded '$lib'" >&2; exit 1 ;;
      esac ;;
    rocks)
      case "$lib" in
        "$work"/* | "" | "(unknown)" | *libleveldb*) echo "rocksdb: loaded '$lib'" >&2; exit 1 ;;
      esac ;;
  esac
  echo "# step $step (num=$num threads=$threads) round $round $side: $lib" >&2
  rm -rf "$db"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
step=0
: >"$work/steps"
for num in $nums; do
  for threads in $threads_list; do
    step=$((step + 1))
    echo "$step $num $threads" >>"$work/steps"
    i=1
    while [ "$i" -le "$rounds" ]; do
      for side in $sides; do
        (run "$side" "$step" "$i" "$num" "$threads" "$@")
      done
      i=$((i + 1))
    done
  done
done

if [ "$rocksdb" = 1 ]; then
  title="LevelDB 1.23 (distro) vs Strata vs RocksDB (distro)"
  order="LevelDB, Strata, RocksDB, LevelDB, ..."
else
  title="LevelDB 1.23 (distro) vs Strata (RocksDB left out: --no-rocksdb)"
  order="LevelDB, Strata, LevelDB, ..."
fi
echo "## db_bench: $title"
echo
echo "- command: \`benches/compare.sh $all_args\`"
echo "- machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); Strata $(cd "$root" && git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "- reference: $(sed -n 's/^Library: *//p' "$work/err.ref.1.1" | head -1); ours: our cdylib as libleveldb.so.1d"
if [ "$rocksdb" = 1 ]; then
  echo "- RocksDB: $(sed -n 's/^Library: *//p' "$work/err.rocks.1.1" | head -1) through benches/rocksdb_compat.h (LevelDB's defaults where RocksDB allows; differences in benches/RESULTS.md)"
fi
echo "- load average (1/5/15 min) before: $load_before; after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- rounds: $rounds, order $order; medians shown; speedup = other µs/op / Strata µs/op (above 1: Strata is faster); RSS = peak resident set during the workload"
echo

# Every measurement becomes one line "side step key metric value", where key
# is the nth run of a workload name within the step's list (name#n), so that
# a name listed twice gives two rows.
for side in $sides; do
  while read -r step num threads; do
    i=1
    while [ "$i" -le "$rounds" ]; do
      out="$work/out.$side.$step.$i"
      tr '\r' '\n' <"$work/err.$side.$step.$i" >"$work/err.clean"
      awk -v p="$side $step" '
        / micros\/op;/ {
          name = $1; n[name]++
          print p, name "#" n[name], "us", $3
          for (f = 4; f < NF; f++) if ($(f + 1) == "MB/s") print p, name "#" n[name], "mb", $f
        }
        /^PeakRSS:/ { print p, "whole-run#1", "rss", $2 }' "$out"
      awk -v p="$side $step" '
        function field(k,    f) { for (f = 3; f <= NF; f++) if (index($f, k "=") == 1) return substr($f, length(k) + 2); return "" }
        /^RSS: / { name = $2; n["rss " name]++; print p, name "#" n["rss " name], "rss", $3 }
        /^Ops: / {
          name = $2; n["ops " name]++; s = field("seconds")
          if (s + 0 > 0) print p, name "#" n["ops " name], "kops", field("ops") / s / 1000
        }
        /^Latency: / {
          name = $2; n["lat " name]++; k = name "#" n["lat " name]
          print p, k, "p50", field("p50"); print p, k, "p99", field("p99")
          print p, k, "p99.9", field("p99.9"); print p, k, "max", field("max")
        }
        /^Tail: / {
          name = $2; n["tail " name]++; k = name "#" n["tail " name]
          print p, k, "n>=10us", field("ge10us"); print p, k, "n>=30us", field("ge30us")
          print p, k, "n>=1ms", field("ge1000us")
        }
        /^IO: / {
          name = $2; n["io " name]++; put = field("put_bytes"); wb = field("write_bytes")
          if (put + 0 > 0 && wb != "") print p, name "#" n["io " name], "wa", wb / put
        }' "$work/err.clean"
      i=$((i + 1))
    done
  done <"$work/steps"
done >"$work/measurements"

awk -v sides="$sides" -v threads_given="$threads_given" \
  -v many_nums="$(echo "$nums" | wc -w)" -v many_threads="$(echo "$threads_list" | wc -w)" '
  function median(list,    a, k, j, t, c) {
    c = split(list, a, " ")
    for (k = 2; k <= c; k++) {            # insertion sort, numeric
      t = a[k] + 0; j = k - 1
      while (j >= 1 && a[j] + 0 > t) { a[j + 1] = a[j]; j-- }
      a[j + 1] = t
    }
    if (c == 0) return ""
    if (c % 2) return a[(c + 1) / 2]
    return (a[c / 2] + a[c / 2 + 1]) / 2
  }
  function m(side, row, metric) { return median(vals[side SUBSEP row SUBSEP metric]) }
  function num_cell(v, fmt) { return v == "" ? "" : sprintf(fmt, v) }
  function ratio(a, b) { return (a != "" && b != "" && b + 0 > 0) ? sprintf("%.2f×", a / b) : "" }
  # "| name | entries | threads" with the columns the lists call for.
  function lead(row,    r, name) {
    split(row, r, SUBSEP); name = r[2]
    sub(/#1$/, "", name); sub(/#/, " #", name)
    return "| " name (many_nums > 1 ? " | " num[r[1]] : "") (many_threads > 1 ? " | " thr[r[1]] : "")
  }
  function lead_head(first) {
    return "| " first (many_nums > 1 ? " | entries" : "") (many_threads > 1 ? " | threads" : "")
  }
  function lead_rule() { return "| ---" (many_nums > 1 ? " | ---:" : "") (many_threads > 1 ? " | ---:" : "") }
  function has(row, metric,    s) { for (s = 1; s <= nsides; s++) if (m(side[s], row, metric) != "") return 1; return 0 }
  function any_row(metric,    i) { for (i = 1; i <= nrows; i++) if (has(order[i], metric)) return 1; return 0 }
  # Header cells, one per library ("<label><unit>"), then with kind
  # "speedup" (other / Strata) or "gain" (Strata / other) one per rival.
  function head(unit, kind,    s) {
    for (s = 1; s <= nsides; s++) { h = h " | " label[side[s]] unit; r = r " | ---:" }
    if (kind == "") return
    for (s = 1; s <= nsides; s++) {
      if (side[s] == "ours") continue
      h = h (kind == "speedup" ? " | speedup vs " label[side[s]] : " | Strata / " label[side[s]])
      r = r " | ---:"
    }
  }
  function print_head() { print h " |"; print r " |" }
  # Row cells: the median of metric for each library, then the ratios of kind.
  function cells(row, metric, fmt, kind,    s, line, v, o) {
    line = ""
    for (s = 1; s <= nsides; s++) line = line " | " num_cell(m(side[s], row, metric), fmt)
    if (kind == "") return line
    o = m("ours", row, metric)
    for (s = 1; s <= nsides; s++) {
      if (side[s] == "ours") continue
      v = m(side[s], row, metric)
      line = line " | " (kind == "speedup" ? ratio(v, o) : ratio(o, v))
    }
    return line
  }
  BEGIN {
    nsides = split(sides, side, " ")
    label["ref"] = "LevelDB"; label["ours"] = "Strata"; label["rocks"] = "RocksDB"
    while ((getline line < ARGV[2]) > 0) { split(line, f, " "); num[f[1]] = f[2]; thr[f[1]] = f[3] }
    ARGV[2] = ""
  }
  {
    row = $2 SUBSEP $3
    if (!(row in seen)) { seen[row] = 1; order[++nrows] = row }
    k = $1 SUBSEP row SUBSEP $4
    if ($4 == "rss") $5 = $5 / 1024 # KiB, shown in MiB
    vals[k] = (k in vals) ? vals[k] " " $5 : $5
  }
  END {
    # Main table.
    h = lead_head("workload"); r = lead_rule()
    head(" µs/op", "speedup"); head(" MB/s", ""); head(" RSS MiB", ""); print_head()
    for (i = 1; i <= nrows; i++) {
      row = order[i]
      if (!has(row, "us") && !has(row, "rss")) continue
      print lead(row) cells(row, "us", "%.3f", "speedup") cells(row, "mb", "%.1f", "") \
        cells(row, "rss", "%.1f", "") " |"
    }

    if (threads_given) {
      print ""; print "Aggregate throughput: thousand operations per second, all threads, over wall time."; print ""
      h = lead_head("workload"); r = lead_rule(); head(" Kops/s", "gain"); print_head()
      for (i = 1; i <= nrows; i++)
        if (has(order[i], "kops")) print lead(order[i]) cells(order[i], "kops", "%.1f", "gain") " |"
    }

    if (any_row("p50")) {
      print ""; print "Latency per operation (--histogram=1), µs; \"ops ≥ T\": how many operations took at least T (they decide p99.9: it is the time 0.1% of the operations reach); speedup = other / Strata (above 1: Strata lower). \"/writes\": readwhilewriting'"'"'s writer thread."; print ""
      h = lead_head("workload") " | stat"; r = lead_rule() " | ---"; head("", "speedup"); print_head()
      nstats = split("p50 p99 p99.9 max n>=10us n>=30us n>=1ms", stat, " ")
      for (i = 1; i <= nrows; i++) {
        if (!has(order[i], "p50")) continue
        for (t = 1; t <= nstats; t++) {
          if (!has(order[i], stat[t])) continue
          shown = stat[t]; sub(/^n>=/, "ops ≥ ", shown); sub(/us$/, " µs", shown); sub(/ms$/, " ms", shown)
          print lead(order[i]) " | " shown cells(order[i], stat[t], (t > 4 ? "%.0f" : "%.3f"), "speedup") " |"
        }
      }
    }

    if (any_row("wa")) {
      print ""; print "Write amplification: bytes the process wrote (/proc/self/io write_bytes) over key + value bytes put, during the workload; whole-run: from before the first workload to after the close."; print ""
      h = lead_head("workload"); r = lead_rule(); head("", ""); print_head()
      for (i = 1; i <= nrows; i++)
        if (has(order[i], "wa")) print lead(order[i]) cells(order[i], "wa", "%.2f", "") " |"
    }
  }' "$work/measurements" "$work/steps"

if [ "$keep" = 1 ]; then
  echo
  echo "raw outputs kept in $work" >&2
fi
