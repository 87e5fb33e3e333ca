#!/bin/sh
# benches/compare.sh -- LevelDB 1.23 vs Strata, side by side, one binary.
#
#   benches/compare.sh [--rounds=N] [--keep] [--prefill] [db_bench flags...]
#
# Builds benches/db_bench.c once against the distro LevelDB (-lleveldb), builds
# Strata's cdylib (cargo build --release), and runs the one binary alternately
# against the distro library and against ours (LD_LIBRARY_PATH pointing at a
# temp dir holding our library as libleveldb.so.1 and libleveldb.so.1d, the
# SONAME the distro binary asks for): A B A B ..., N rounds (default 3), each
# on a fresh database in a temp dir on the repository's disk. Every process
# reports which libleveldb it mapped; the run stops if that is not the library
# it was meant to measure. The table gives, per workload, each side's median
# micros/op, MB/s and peak RSS during the workload, and speedup =
# LevelDB micros/op / Strata micros/op (above 1: Strata is faster).
#
# --prefill measures reads on a settled database: one database is filled
# once, by LevelDB (fillrandom at --num, then compact), and every round of
# both sides starts from a copy of it with --use_existing_db=1. Without it
# reads follow the round's own writes and so also measure how much
# compaction work those writes left running.
#
# db_bench flags pass through (--num, --threads, --benchmarks, --value_size,
# --cache_size, --bloom_bits, --compression, ...); --db is chosen here.
# Before each run the harness syncs and waits BENCH_SETTLE seconds (default
# 2): a run right after the other side's could otherwise find the kernel
# still writing that run's files back (one side's reads after `compact` were
# 25% slower so, in two of three rounds).
# Environment: CC (default cc), BENCH_TMPDIR (parent of the temp dir,
# default <repo>/target), STRATA_CDYLIB (measure this file as "ours" instead
# of building; for testing the harness).
set -eu

all_args="$*"
rounds=3
keep=0
prefill=0
num=1000000
for arg in "$@"; do
  case "$arg" in
    --rounds=*) rounds=${arg#--rounds=} ;;
    --keep) keep=1 ;;
    --prefill) prefill=1 ;;
    --num=*) num=${arg#--num=} ;;
  esac
done
# Drop our own options, keep db_bench's in order.
for arg in "$@"; do
  shift
  case "$arg" in
    --rounds=* | --keep | --prefill) ;;
    *) set -- "$@" "$arg" ;;
  esac
done

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
  echo "# building Strata (cargo build --release) and db_bench (against -lleveldb)" >&2
  (cd "$root" && cargo build --release --lib --quiet)
  ours_lib="$target_dir/release/libleveldb.so"
fi
mkdir "$work/ours"
cp "$ours_lib" "$work/ours/libleveldb.so.1"
cp "$ours_lib" "$work/ours/libleveldb.so.1d"
"$cc" -std=c11 -Wall -Wextra -Werror -O2 -pthread -I/usr/include \
  "$root/benches/db_bench.c" -lleveldb -o "$work/db_bench"

if [ "$prefill" = 1 ]; then
  echo "# prefilling one database with LevelDB (fillrandom --num=$num, compact)" >&2
  env -u LD_LIBRARY_PATH "$work/db_bench" --num="$num" --benchmarks=fillrandom,compact \
    --db="$work/seed" >/dev/null 2>"$work/err.seed" || {
    echo "prefill failed:" >&2
    tail -5 "$work/err.seed" >&2
    exit 1
  }
  set -- "$@" --use_existing_db=1
fi

# run SIDE ROUND: one db_bench process on a fresh database (a copy of the
# prefilled one with --prefill).
run() {
  side=$1
  round=$2
  shift 2
  db="$work/db-$side-$round"
  rm -rf "$db"
  # Let the previous run's writes reach the disk first, so that the kernel's
  # writeback of them is not measured as part of this run.
  sync
  sleep "$settle"
  if [ "$prefill" = 1 ]; then
    cp -r "$work/seed" "$db"
  fi
  if [ "$side" = ours ]; then
    LD_LIBRARY_PATH="$work/ours" "$work/db_bench" "$@" --db="$db" \
      >"$work/out.$side.$round" 2>"$work/err.$side.$round" || status=$?
  else
    env -u LD_LIBRARY_PATH "$work/db_bench" "$@" --db="$db" \
      >"$work/out.$side.$round" 2>"$work/err.$side.$round" || status=$?
  fi
  if [ "${status:-0}" != 0 ]; then
    echo "db_bench ($side, round $round) failed with status $status:" >&2
    tr '\r' '\n' <"$work/err.$side.$round" | grep -v '^\.\.\. finished' | tail -20 >&2
    exit 1
  fi
  lib=$(sed -n 's/^Library: *//p' "$work/err.$side.$round" | head -1)
  if [ "$side" = ours ]; then
    want="$work/ours/libleveldb.so.1d"
    [ "$lib" = "$want" ] || { echo "ours: loaded '$lib', expected '$want'" >&2; exit 1; }
  else
    case "$lib" in
      "$work"/* | "" | "(unknown)") echo "reference: loaded '$lib'" >&2; exit 1 ;;
    esac
  fi
  echo "# round $round $side: $lib" >&2
  rm -rf "$db"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
i=1
while [ "$i" -le "$rounds" ]; do
  (run ref "$i" "$@")
  (run ours "$i" "$@")
  i=$((i + 1))
done

echo "## db_bench: LevelDB 1.23 (distro) vs Strata"
echo
echo "- command: \`benches/compare.sh $all_args\`"
echo "- machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); Strata $(cd "$root" && git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "- reference: $(sed -n 's/^Library: *//p' "$work/err.ref.1" | head -1); ours: our cdylib as libleveldb.so.1d"
echo "- load average (1/5/15 min) before: $load_before; after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- $rounds rounds, order LevelDB, Strata, LevelDB, Strata ...; medians shown; RSS = peak resident set during the workload"
echo

# Each output line "name : X micros/op; [Y MB/s] [...]" becomes
# "side occurrence-key micros mbps"; RSS lines from stderr are matched by the
# same occurrence key (the nth run of a workload name in the list).
for side in ref ours; do
  i=1
  while [ "$i" -le "$rounds" ]; do
    awk -v side="$side" '
      / micros\/op;/ {
        name = $1; n[name]++
        micros = $3
        mbps = "-"
        for (f = 4; f < NF; f++) if ($(f + 1) == "MB/s") mbps = $f
        print side, name "#" n[name], micros, mbps
      }' "$work/out.$side.$i"
    tr '\r' '\n' <"$work/err.$side.$i" | awk -v side="$side" '
      /^RSS: / { name = $2; n[name]++; print side "-rss", name "#" n[name], $3 }'
    awk -v side="$side" '/^PeakRSS:/ { print side "-rss", "whole-run#1", $2 }' "$work/out.$side.$i"
    i=$((i + 1))
  done
done | awk '
  function median(list,    a, k, m, j, t, c) {
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
  function add(key, v) { vals[key] = (key in vals) ? vals[key] " " v : v }
  {
    side = $1; key = $2
    if (!(key in seen)) { seen[key] = 1; order[++nkeys] = key }
    if (side == "ref" || side == "ours") {
      add(side " us " key, $3)
      if ($4 != "-") add(side " mb " key, $4)
    } else {
      add(side " " key, $3)
    }
  }
  END {
    print "| workload | LevelDB µs/op | Strata µs/op | speedup | LevelDB MB/s | Strata MB/s | LevelDB RSS MiB | Strata RSS MiB |"
    print "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    for (i = 1; i <= nkeys; i++) {
      key = order[i]
      name = key; sub(/#1$/, "", name); sub(/#/, " #", name)
      ru = median(vals["ref us " key]); ou = median(vals["ours us " key])
      rm = median(vals["ref mb " key]); om = median(vals["ours mb " key])
      rr = median(vals["ref-rss " key]); orr = median(vals["ours-rss " key])
      speed = (ru != "" && ou != "" && ou + 0 > 0) ? sprintf("%.2f×", ru / ou) : ""
      printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", name,
        ru == "" ? "" : sprintf("%.3f", ru), ou == "" ? "" : sprintf("%.3f", ou), speed,
        rm == "" ? "" : sprintf("%.1f", rm), om == "" ? "" : sprintf("%.1f", om),
        rr == "" ? "" : sprintf("%.1f", rr / 1024), orr == "" ? "" : sprintf("%.1f", orr / 1024)
    }
  }'

if [ "$keep" = 1 ]; then
  echo
  echo "raw outputs kept in $work" >&2
fi
