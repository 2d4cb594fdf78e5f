#!/usr/bin/env bash
# run_deepstacks_bench.sh: the distinct-stacks cliff. bench_deepstacks makes COUNT
# allocations (each freed at once) from COUNT distinct stacks, depth 14 through four
# call sites; this prints the peak RSS of a bare run and of recorded runs under several
# MTDB_STACK_TABLE_KB budgets (4194304: in effect unbounded), the stack table resets,
# the trace size, and the import's time and events per second. Medians of --runs runs.
# Not a test: never in ctest.
#
# usage: bench/run_deepstacks_bench.sh [--count N] [--runs N] [--build DIR] [--budgets "KB ..."]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${MTDB_BUILD:-$ROOT/build}
COUNT=2000000
DEPTH=14
RUNS=3
BUDGETS="32768 4194304"

while [ $# -gt 0 ]; do
    case $1 in
    --count) COUNT=${2:?}; shift ;;
    --runs) RUNS=${2:?}; shift ;;
    --build) BUILD=${2:?}; shift ;;
    --budgets) BUDGETS=${2:?}; shift ;;
    -h | --help) sed -n '2,9s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "run_deepstacks_bench: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done

PROG=$BUILD/bench/bench_deepstacks
MEASURE=$BUILD/bench/bench_measure
MTDB=$BUILD/cli/mtdb
LIB=$BUILD/recorder/libmtrec.so
for f in "$PROG" "$MEASURE" "$MTDB" "$LIB"; do
    [ -e "$f" ] || { echo "run_deepstacks_bench: $f missing (build first)" >&2; exit 1; }
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mtdb-deepstacks.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

field() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" "$2"; }
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

# run NAME [ENV...]: RUNS measured runs; prints the median peak RSS in KiB.
run() {
    local name=$1; shift
    for i in $(seq "$RUNS"); do
        rm -rf "$WORK/out"
        "$MEASURE" "$WORK/m" "$@" -- "$PROG" "$COUNT" "$DEPTH" 48 > /dev/null
        field maxrss_kb "$WORK/m"
    done | median
}

echo "bench_deepstacks: $COUNT allocations from $COUNT distinct stacks (depth $DEPTH), medians of $RUNS runs"
bare=$(run bare)
printf '%-24s %10s %10s %8s %10s %12s %12s\n' "run" "peak_MiB" "added_MiB" "resets" "trace_MiB" "import_s" "events_per_s"
printf '%-24s %10.1f %10s\n' "bare" "$(echo "$bare / 1024" | bc -l)" "-"
for kb in $BUDGETS; do
    rss=$(run "kb$kb" -e LD_PRELOAD="$LIB" -e MTDB_OUTPUT="$WORK/out" -e MTDB_STACK_TABLE_KB="$kb")
    trace_kb=$(du -sk "$WORK/out" | cut -f1)
    rm -f "$WORK/db"
    t0=$(date +%s.%N)
    "$MTDB" import -q -o "$WORK/db" "$WORK/out"
    t1=$(date +%s.%N)
    resets=$(sqlite3 "$WORK/db" "SELECT sum(value) FROM health_counters WHERE counter = 'stack_table_resets';")
    events=$(sqlite3 "$WORK/db" "SELECT sum(value) FROM health_counters WHERE counter = 'events';")
    secs=$(echo "$t1 - $t0" | bc -l)
    printf '%-24s %10.1f %10.1f %8s %10.1f %12.2f %12.0f\n' "MTDB_STACK_TABLE_KB=$kb" \
        "$(echo "$rss / 1024" | bc -l)" "$(echo "($rss - $bare) / 1024" | bc -l)" "$resets" \
        "$(echo "$trace_kb / 1024" | bc -l)" "$secs" "$(echo "$events / $secs" | bc -l)"
done
