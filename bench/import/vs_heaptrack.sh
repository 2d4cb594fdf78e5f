#!/bin/sh
# bench/import/vs_heaptrack.sh: launch-to-answers time of `mtdb record` + `mtdb import`
# against `heaptrack` + `heaptrack_print` on the same workload (tests/importer's
# e2e_prog: THREADS threads, ITERATIONS malloc/free each, a quarter freed cross-thread).
# Usage: bench/import/vs_heaptrack.sh [BUILD_DIR] [THREADS] [ITERATIONS] [ROUNDS]
# Prints one line per tool and round. Not a test.
set -eu
build=${1:-build}
threads=${2:-4}
iterations=${3:-200000}
rounds=${4:-3}
prog=$build/tests/importer/imp_e2e_prog
mtdb=$build/cli/mtdb
command -v heaptrack >/dev/null || { echo "heaptrack not installed"; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/mtdb-vs-XXXXXX")
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
i=1
while [ "$i" -le "$rounds" ]; do
  rm -rf "$work"/*
  s=$(now)
  "$mtdb" record -o "$work/out" -- "$prog" "$threads" "$iterations" >/dev/null
  "$mtdb" import -q -o "$work/trace.db" "$work/out"
  sqlite3 "$work/trace.db" < queries/leaks.sql >/dev/null
  e=$(now)
  echo "round $i mtdb record+import+leaks.sql: $(echo "$e - $s" | bc) s"
  s=$(now)
  heaptrack -o "$work/ht" "$prog" "$threads" "$iterations" >/dev/null 2>&1
  heaptrack_print "$work"/ht.* >/dev/null 2>&1
  e=$(now)
  echo "round $i heaptrack+heaptrack_print:     $(echo "$e - $s" | bc) s"
  i=$((i + 1))
done
