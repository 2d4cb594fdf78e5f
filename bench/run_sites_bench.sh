#!/usr/bin/env bash
# run_sites_bench.sh: what the fast preset's call sites cost. Runs the C workload
# (bench_workload: call sites in the program) and the C++ one (bench_workload_cxx: call
# sites inside operator new and libstdc++, followed by a short walk to the program's
# caller) bare, under --preset fast and under --preset precise, and prints the median
# CPU time (user + system) of --runs runs and the extra ns per allocation + free over
# bare. --base LIB adds a column for another build of libmtrec.so (an earlier commit's,
# to see what a change cost). Not a test: never in ctest.
#
# usage: bench/run_sites_bench.sh [--runs N] [--ops N] [--threads N] [--depth D] [--build DIR] [--base LIB]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${MTDB_BUILD:-$ROOT/build}
RUNS=5 OPS=200000 THREADS=2 DEPTH=30 BASE=

while [ $# -gt 0 ]; do
    case $1 in
    --runs) RUNS=${2:?}; shift ;;
    --ops) OPS=${2:?}; shift ;;
    --threads) THREADS=${2:?}; shift ;;
    --depth) DEPTH=${2:?}; shift ;;
    --build) BUILD=${2:?}; shift ;;
    --base) BASE=${2:?}; shift ;;
    -h | --help) sed -n '2,10s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "run_sites_bench: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done

MEASURE=$BUILD/bench/bench_measure
LIB=$BUILD/recorder/libmtrec.so
for f in "$MEASURE" "$LIB" "$BUILD/bench/bench_workload" "$BUILD/bench/bench_workload_cxx"; do
    [ -e "$f" ] || { echo "run_sites_bench: $f missing (build first)" >&2; exit 1; }
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mtdb-sites.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
cpu_ns() { sed -n 's/.*user_ns=\([0-9]*\) sys_ns=\([0-9]*\).*/\1 \2/p' "$1" | awk '{print $1 + $2}'; }

# run PROG [ENV...]: the median CPU ns of RUNS runs.
run() {
    local prog=$1; shift
    for _ in $(seq "$RUNS"); do
        rm -rf "$WORK/out"
        "$MEASURE" "$WORK/m" "$@" -- "$prog" --threads "$THREADS" --depth "$DEPTH" --ops "$OPS" > /dev/null
        cpu_ns "$WORK/m"
    done | median
}

# allocations per op: bench_workload makes one, bench_workload_cxx three
echo "call sites under the fast preset: $THREADS threads, depth $DEPTH, medians of $RUNS runs (CPU ms; extra ns per allocation + free)"
printf '%-10s %10s %18s %18s %18s\n' "workload" "bare" "fast" "precise" "${BASE:+fast (base)}"
for w in "bench_workload 1" "bench_workload_cxx 3"; do
    read -r name per_op <<< "$w"
    prog=$BUILD/bench/$name
    allocs=$((THREADS * OPS * per_op))
    bare=$(run "$prog")
    cols=""
    for cfg in "$LIB fast" "$LIB precise" ${BASE:+"$BASE fast"}; do
        read -r lib preset <<< "$cfg"
        ns=$(run "$prog" -e LD_PRELOAD="$lib" -e MTDB_OUTPUT="$WORK/out" -e MTDB_PRESET="$preset")
        cols="$cols$(printf ' %8.0f (%5.0f)' "$(echo "$ns / 1000000" | bc -l)" "$(echo "($ns - $bare) / $allocs" | bc -l)")"
    done
    printf '%-10s %10.0f%s\n' "${prog##*/bench_}" "$(echo "$bare / 1000000" | bc -l)" "$cols"
done
