#!/usr/bin/env bash
# run_report_bench.sh: what `mtdb report` costs on the traces that were slow to read
# (docs/performance.md "Reports on millions of stacks"): a recursive program's STACKS
# distinct stacks (bench_deepstacks STACKS 14 48), and a build's many processes (gcc
# compiling FILES small C files, three processes each: gcc, cc1, as). Each is recorded
# and imported once; then every format is written RUNS times and the median wall time
# printed.
#
#   bench/run_report_bench.sh [BUILD_DIR] [RUNS] [STACKS] [FILES]
set -euo pipefail

build=${1:-build}
runs=${2:-3}
stacks=${3:-2000000}
files=${4:-10}
mtdb=$build/cli/mtdb
work=$(mktemp -d "${TMPDIR:-/tmp}/mtdb-reportbench-XXXXXX")
trap 'rm -rf "$work"' EXIT

now_ms() { echo $(($(date +%s%N) / 1000000)); }
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# Writes every format of db RUNS times; prints a line of medians for name.
formats() {
  local name=$1 db=$2 f i t0
  local line="$name:"
  for f in text json html folded pprof; do
    local took=()
    for ((i = 1; i <= runs; i++)); do
      t0=$(now_ms)
      "$mtdb" report -f "$f" -o "$work/out.$f" "$db" 2>/dev/null
      took+=($(($(now_ms) - t0)))
    done
    line+=" $f $(median "${took[@]}") ms"
    rm -f "$work/out.$f"
  done
  echo "$line"
}

"$mtdb" record -q -o "$work/deep" -- "$build/bench/bench_deepstacks" "$stacks" 14 48 >/dev/null
"$mtdb" import -q -o "$work/deep.db" "$work/deep"
rm -rf "$work/deep"
formats "bench_deepstacks $stacks 14 48 ($(sqlite3 "$work/deep.db" 'SELECT count(*) FROM stacks') stacks)" \
  "$work/deep.db"

mkdir -p "$work/src"
for ((i = 1; i <= files; i++)); do
  printf 'int f%d(int x) { return x * %d; }\n' "$i" "$i" >"$work/src/f$i.c"
done
"$mtdb" record -q -o "$work/build" -- sh -c \
  "for f in '$work'/src/*.c; do gcc -O2 -c \"\$f\" -o \"\${f%.c}.o\"; done"
"$mtdb" import -q -o "$work/build.db" "$work/build"
formats "gcc -O2 -c of $files files ($(sqlite3 "$work/build.db" 'SELECT count(*) FROM processes') processes)" \
  "$work/build.db"
