#!/usr/bin/env bash
# run_real_bench.sh: the recorder and heaptrack on real code, the C++ compiler proper
# (cc1plus -O2) compiling a preprocessed C++ file. Prints, for a bare run, the recorder
# (default preset, under LD_PRELOAD), the same without its stack cache (nocache:
# MTDB_STACK_CACHE=off), the global-lock control build and heaptrack: CPU
# (user + sys), extra CPU over bare and its ratio to the recorder's, peak RSS, and the
# output bytes on disk per event as the run leaves them. Then launch to answers: `mtdb
# record` + `mtdb import` against `heaptrack` + `heaptrack_print`, wall, and what `mtdb
# record` keeps on disk (trimmed and packed). Medians of --runs runs, variants
# alternating inside each run. Not a test: never in ctest.
#
# usage: bench/run_real_bench.sh [--runs N] [--build DIR] [--source FILE.cpp] [--cc1plus PATH]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${MTDB_BUILD:-$ROOT/build}
RUNS=5
SOURCE=$ROOT/bench/workload_cxx.cpp
CC1PLUS=""
HT_PRELOAD=/usr/lib/heaptrack/libheaptrack_preload.so

die() {
    echo "run_real_bench: error: $*" >&2
    exit 1
}

while [ $# -gt 0 ]; do
    case $1 in
    --runs) RUNS=${2:?--runs needs a number}; shift ;;
    --build) BUILD=${2:?--build needs a directory}; shift ;;
    --source) SOURCE=${2:?--source needs a file}; shift ;;
    --cc1plus) CC1PLUS=${2:?--cc1plus needs a path}; shift ;;
    -h | --help) sed -n '2,9s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
    esac
    shift
done
if ! [[ $RUNS =~ ^[0-9]+$ ]] || [ "$RUNS" -lt 3 ]; then
    die "--runs must be 3 or more"
fi

MEASURE=$BUILD/bench/bench_measure
STAT=$BUILD/bench/bench_trace_stat
MTDB=$BUILD/cli/mtdb
REC=$BUILD/recorder/libmtrec.so
REC_LOCK=$BUILD/recorder/libmtrec-lock.so
for f in "$MEASURE" "$STAT" "$MTDB" "$REC" "$REC_LOCK" "$SOURCE"; do
    [ -e "$f" ] || die "$f is missing (build first: cmake --build $BUILD)"
done
[ -n "$CC1PLUS" ] || CC1PLUS=$(g++ -print-prog-name=cc1plus)
[ -x "$CC1PLUS" ] || die "no cc1plus ($CC1PLUS): pass --cc1plus PATH"
VARIANTS="bare mtdb nocache lock"
HEAPTRACK=0
if command -v heaptrack >/dev/null && command -v heaptrack_print >/dev/null &&
    [ -e "$HT_PRELOAD" ]; then
    VARIANTS="$VARIANTS heaptrack"
    HEAPTRACK=1
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mtdb-realbench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
g++ -E -O2 "$SOURCE" -o "$WORK/src.ii"
COMPILE=("$CC1PLUS" -quiet -O2 "$WORK/src.ii" -o "$WORK/out.s")
RESULTS=$WORK/results.tsv
: >"$RESULTS"

field() { sed -n "s/^\(.*[ :]\)\{0,1\}$1=\([0-9]*\).*/\2/p" "$2" | head -n 1; }

# run_cost VARIANT: one measured compile; appends variant cpu_ns maxrss_kb disk events.
run_cost() {
    local variant=$1 out=$WORK/run
    rm -rf "$out"
    mkdir -p "$out/trace"
    local cmd=("$MEASURE" "$out/cost")
    case $variant in
    mtdb) cmd+=(-e "LD_PRELOAD=$REC" -e "MTDB_OUTPUT=$out/trace" --) ;;
    nocache) cmd+=(-e "LD_PRELOAD=$REC" -e MTDB_STACK_CACHE=off -e "MTDB_OUTPUT=$out/trace" --) ;;
    lock) cmd+=(-e "LD_PRELOAD=$REC_LOCK" -e "MTDB_OUTPUT=$out/trace" --) ;;
    heaptrack) cmd+=(-- heaptrack -o "$out/ht") ;;
    *) cmd+=(--) ;;
    esac
    "${cmd[@]}" "${COMPILE[@]}" >"$out/log" 2>&1 || { cat "$out/log" >&2; die "$variant failed"; }
    local cpu=$(($(field user_ns "$out/cost") + $(field sys_ns "$out/cost")))
    local disk=0 events=0
    case $variant in
    mtdb | nocache | lock)
        read -r disk events < <("$STAT" "$out/trace" |
            sed 's/.*disk_bytes=\([0-9]*\) used_bytes=[0-9]* events=\([0-9]*\).*/\1 \2/') ;;
    heaptrack) disk=$(find "$out" -maxdepth 1 -name 'ht*' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }') ;;
    esac
    printf '%s\t%s\t%s\t%s\t%s\n' "$variant" "$cpu" "$(field maxrss_kb "$out/cost")" \
        "$disk" "$events" >>"$RESULTS"
}

# run_answers TOOL: wall seconds from launch to answers; appends answers TOOL wall_ns.
run_answers() {
    local tool=$1 out=$WORK/answers t0 t1
    rm -rf "$out"
    mkdir -p "$out"
    t0=$(date +%s%N)
    if [ "$tool" = mtdb ]; then
        "$MTDB" record -o "$out/trace" -- "${COMPILE[@]}" >/dev/null 2>&1
        "$MTDB" import -o "$out/trace.db" "$out/trace" >/dev/null 2>&1
    else
        heaptrack -o "$out/ht" "${COMPILE[@]}" >/dev/null 2>&1
        heaptrack_print "$out"/ht.* >"$out/print.txt" 2>/dev/null
    fi
    t1=$(date +%s%N)
    printf 'answers\t%s\t%s\n' "$tool" "$((t1 - t0))" >>"$RESULTS"
    if [ "$tool" = mtdb ]; then
        # what mtdb record leaves on disk (trimmed and packed), in allocated blocks
        local events
        events=$("$STAT" "$out/trace" | sed 's/.*events=\([0-9]*\).*/\1/')
        printf 'kept\tmtdb\t%s\t%s\n' "$(du -B1 -s "$out/trace" | cut -f1)" "$events" >>"$RESULTS"
    fi
}

for rep in $(seq "$RUNS"); do
    for variant in $VARIANTS; do
        printf '\rrun %s/%s: %-10s' "$rep" "$RUNS" "$variant" >&2
        run_cost "$variant"
    done
    printf '\rrun %s/%s: launch to answers' "$rep" "$RUNS" >&2
    run_answers mtdb
    [ "$HEAPTRACK" = 0 ] || run_answers heaptrack
done
printf '\r%-40s\r' "" >&2

echo "# real program: $(basename "$CC1PLUS") -O2 on $(basename "$SOURCE") (preprocessed, $(wc -c <"$WORK/src.ii") bytes)"
echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) cores; medians of $RUNS runs"
awk -F '\t' -v variants="$VARIANTS" '
function median(list, n,   a, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
$1 == "answers" { wall[$2] = wall[$2] " " $3; next }
$1 == "kept" { kept = kept " " $3; kept_ev = kept_ev " " $4; next }
{ cpu[$1] = cpu[$1] " " $2; rss[$1] = rss[$1] " " $3; disk[$1] = disk[$1] " " $4; ev[$1] = ev[$1] " " $5 }
END {
    n = split(variants, v, " ")
    base = median(cpu["bare"]); rec = median(cpu["mtdb"]) - base
    print ""
    print "| variant | CPU s | extra CPU s | extra / mtdb extra | peak RSS MiB | output on disk | bytes/event on disk |"
    print "|---|---:|---:|---:|---:|---:|---:|"
    for (i = 1; i <= n; i++) {
        c = median(cpu[v[i]]); x = c - base; d = median(disk[v[i]]); e = median(ev[v[i]])
        xs = v[i] == "bare" ? "-" : sprintf("%.2f", x / 1e9)
        ratio = (v[i] == "bare" || rec <= 0) ? "-" : sprintf("%.1f", x / rec)
        ds = v[i] == "bare" ? "-" : sprintf("%.2f MB", d / 1e6)
        per = (e > 0) ? sprintf("%.2f", d / e) : "-"
        printf "| %s | %.2f | %s | %s | %.1f | %s | %s |\n", v[i], c / 1e9, xs, ratio,
            median(rss[v[i]]) / 1024, ds, per
    }
    if (wall["mtdb"] != "") {
        print ""
        print "| launch to answers | wall s |"
        print "|---|---:|"
        m = median(wall["mtdb"]); printf "| mtdb record + mtdb import | %.2f |\n", m / 1e9
        k = median(kept); ke = median(kept_ev)
        if (wall["heaptrack"] != "") {
            h = median(wall["heaptrack"])
            printf "| heaptrack + heaptrack_print | %.2f |\n", h / 1e9
            printf "| ratio mtdb / heaptrack | %.2f |\n", m / h
        }
        if (ke > 0)
            printf "\nmtdb record leaves %.2f MB on disk (trimmed, packed): %.2f bytes/event\n", k / 1e6, k / ke
    }
}' "$RESULTS"
