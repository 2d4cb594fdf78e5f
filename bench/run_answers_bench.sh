#!/usr/bin/env bash
# run_answers_bench.sh: launch to answers on bench_workload, mtdb against heaptrack.
# For each stack depth: wall seconds of `mtdb record` + `mtdb import` (the database with
# every view ready) against `heaptrack` + `heaptrack_print`, with the record and import
# (or print) parts, medians of --runs runs, the tools alternating inside each run. The
# workload: --threads threads, --ops allocations each, 25% freed by another thread.
# Not a test: never in ctest.
#
# usage: bench/run_answers_bench.sh [--runs N] [--build DIR] [--threads N] [--ops N]
#        [--depths "5 30"]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${MTDB_BUILD:-$ROOT/build}
RUNS=5
THREADS=2
OPS=200000
DEPTHS="5 30"

die() {
    echo "run_answers_bench: error: $*" >&2
    exit 1
}

while [ $# -gt 0 ]; do
    case $1 in
    --runs) RUNS=${2:?--runs needs a number}; shift ;;
    --build) BUILD=${2:?--build needs a directory}; shift ;;
    --threads) THREADS=${2:?--threads needs a number}; shift ;;
    --ops) OPS=${2:?--ops needs a number}; shift ;;
    --depths) DEPTHS=${2:?--depths needs a list}; shift ;;
    -h | --help) sed -n '2,10s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) die "unknown argument $1 (--help)" ;;
    esac
    shift
done
[[ $RUNS =~ ^[0-9]+$ ]] && [ "$RUNS" -ge 1 ] || die "--runs must be 1 or more"
MTDB=$BUILD/cli/mtdb
WORKLOAD=$BUILD/bench/bench_workload
[ -x "$MTDB" ] && [ -x "$WORKLOAD" ] || die "build first: $MTDB, $WORKLOAD"
command -v heaptrack >/dev/null && command -v heaptrack_print >/dev/null ||
    die "heaptrack and heaptrack_print are needed (apt-get install heaptrack)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mtdb-answers.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
RESULTS=$WORK/results.tsv
: >"$RESULTS"
now() { date +%s%N; }

# run_tool TOOL DEPTH: appends "depth tool first_ns second_ns" (record, then import/print).
run_tool() {
    local tool=$1 depth=$2 out=$WORK/run t0 t1 t2
    rm -rf "$out"
    mkdir -p "$out"
    local args=(--threads "$THREADS" --depth "$depth" --ops "$OPS" --cross 25)
    t0=$(now)
    if [ "$tool" = mtdb ]; then
        "$MTDB" record -q -o "$out/trace" -- "$WORKLOAD" "${args[@]}" >/dev/null
        t1=$(now)
        "$MTDB" import -q -o "$out/trace.db" "$out/trace"
    else
        heaptrack -o "$out/ht" "$WORKLOAD" "${args[@]}" >/dev/null 2>&1
        t1=$(now)
        heaptrack_print "$out"/ht.* >"$out/print.txt" 2>/dev/null
    fi
    t2=$(now)
    printf '%s\t%s\t%s\t%s\n' "$depth" "$tool" "$((t1 - t0))" "$((t2 - t1))" >>"$RESULTS"
}

for rep in $(seq "$RUNS"); do
    for depth in $DEPTHS; do
        for tool in mtdb heaptrack; do
            printf '\rrun %s/%s: depth %s, %-9s' "$rep" "$RUNS" "$depth" "$tool" >&2
            run_tool "$tool" "$depth"
        done
    done
done
printf '\r%-40s\r' "" >&2

echo "# launch to answers: bench_workload --threads $THREADS --ops $OPS --cross 25"
echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) cores; medians of $RUNS runs"
echo
awk -F '\t' '
function median(list,    a, n, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{
    k = $1 SUBSEP $2
    first[k] = first[k] " " $3; second[k] = second[k] " " $4; total[k] = total[k] " " ($3 + $4)
    if (!($1 in seen)) { seen[$1] = 1; depths[++nd] = $1 }
}
END {
    print "| depth | mtdb record s | mtdb import s | mtdb total s | heaptrack s | heaptrack_print s | heaptrack total s | mtdb / heaptrack |"
    print "|------:|--------------:|--------------:|-------------:|------------:|------------------:|------------------:|-----------------:|"
    for (i = 1; i <= nd; i++) {
        m = depths[i] SUBSEP "mtdb"; h = depths[i] SUBSEP "heaptrack"
        printf "| %5s | %13.2f | %13.2f | %12.2f | %11.2f | %17.2f | %17.2f | %16.2f |\n", depths[i],
            median(first[m]) / 1e9, median(second[m]) / 1e9, median(total[m]) / 1e9,
            median(first[h]) / 1e9, median(second[h]) / 1e9, median(total[h]) / 1e9,
            median(total[m]) / median(total[h])
    }
}' "$RESULTS"
