#!/usr/bin/env bash
# run_recorder_bench.sh: the recorder benchmark in one run. Prints, side by side, what
# each recorder setting, the global-lock control build and heaptrack add to a bare run
# of bench_workload (CPU, wall, memory, trace bytes), how that scales with threads, and
# the cost of a bare unw_backtrace. Medians of --runs runs. Not a test: never in ctest.
#
# usage: bench/run_recorder_bench.sh [--quick] [--runs N] [--build DIR] [--work DIR] [--keep]
#            [--threads LIST] [--scale-threads LIST] [--variants LIST] [--ops N]
#        bench/run_recorder_bench.sh --tables DIR   (the tables of a run kept with --keep)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${MTDB_BUILD:-$ROOT/build-bench}
WORK=""
KEEP=0
QUICK=0
RUNS=5
OPS=500000        # allocations per thread, main table
SCALE_OPS=60000   # allocations per thread, thread-scaling table
SCALE_DEPTH=5
DEPTHS="5 30"
THREADS="1 2 4"
SCALE_THREADS="1 16 64"
CROSS=25
VARIANTS="baseline precise nocache fast leaks fp lock heaptrack ht-inproc"
SCALE_VARIANTS="baseline precise lock heaptrack"
TABLES_FROM=""
HT_PRELOAD=${HT_PRELOAD:-/usr/lib/heaptrack/libheaptrack_preload.so}

usage() {
    sed -n '2,9s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
    echo "  --quick          about one minute: fewer operations, 3 runs (options after it override it)"
    echo "  --runs N         runs per measurement (at least 3; default 5)"
    echo "  --build          build directory with recorder/ and bench/ (default build-bench)"
    echo "  --work           where traces go (default: a new temporary directory)"
    echo "  --keep           keep the work directory"
    echo "  --threads        thread counts of the main tables (default \"$THREADS\")"
    echo "  --scale-threads  thread counts of the scaling table (default \"$SCALE_THREADS\")"
    echo "  --variants       variants of the main tables (default \"$VARIANTS\")"
    echo "  --ops N          allocations per thread in the main tables (default $OPS)"
    echo "  --tables DIR     print the tables of a work directory kept by an earlier run"
}

die() {
    echo "run_recorder_bench: error: $*" >&2
    exit 1
}

parse_args() {
    while [ $# -gt 0 ]; do
        case $1 in
        --quick) QUICK=1 OPS=150000 SCALE_OPS=20000 RUNS=3 THREADS="1 4" ;;
        --runs) RUNS=${2:?--runs needs a number}; shift ;;
        --build) BUILD=${2:?--build needs a directory}; shift ;;
        --work) WORK=${2:?--work needs a directory}; shift ;;
        --keep) KEEP=1 ;;
        --threads) THREADS=${2:?--threads needs a list}; shift ;;
        --scale-threads) SCALE_THREADS=${2:?--scale-threads needs a list}; shift ;;
        --variants) VARIANTS=${2:?--variants needs a list}; shift ;;
        --ops) OPS=${2:?--ops needs a number}; shift ;;
        --tables) TABLES_FROM=${2:?--tables needs a directory}; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
        esac
        shift
    done
    if ! [[ $RUNS =~ ^[0-9]+$ ]] || [ "$RUNS" -lt 3 ]; then
        die "--runs must be 3 or more"
    fi
}

check_tools() {
    MEASURE=$BUILD/bench/bench_measure
    WORKLOAD=$BUILD/bench/bench_workload
    STAT=$BUILD/bench/bench_trace_stat
    UNWIND=$BUILD/bench/bench_unwind
    REC=$BUILD/recorder/libmtrec.so
    REC_LOCK=$BUILD/recorder/libmtrec-lock.so
    local f
    for f in "$MEASURE" "$WORKLOAD" "$STAT" "$UNWIND" "$REC" "$REC_LOCK"; do
        [ -e "$f" ] || die "$f is missing: cmake --build $BUILD first"
    done
    if ! command -v heaptrack >/dev/null || [ ! -e "$HT_PRELOAD" ]; then
        VARIANTS=${VARIANTS/ heaptrack/}
        VARIANTS=${VARIANTS/ ht-inproc/}
        SCALE_VARIANTS=${SCALE_VARIANTS/ heaptrack/}
    fi
    if [ -z "$WORK" ]; then
        WORK=$(mktemp -d "${TMPDIR:-/tmp}/mtdb-bench.XXXXXX")
    fi
    mkdir -p "$WORK"
    RESULTS=$WORK/results.tsv
    : >"$RESULTS"
}

# Fills CMD with the command line that runs VARIANT on the workload args "$@", its
# output going to $OUTDIR.
build_command() {
    local variant=$1
    shift
    CMD=("$MEASURE" "$OUTDIR/cost")
    case $variant in
    baseline) ;;
    precise | fast | leaks) CMD+=(-e "LD_PRELOAD=$REC" -e "MTDB_PRESET=$variant") ;;
    nocache) CMD+=(-e "LD_PRELOAD=$REC" -e MTDB_PRESET=precise -e MTDB_STACK_CACHE=off) ;;
    fp) CMD+=(-e "LD_PRELOAD=$REC" -e MTDB_PRESET=precise -e MTDB_UNWIND=fp) ;;
    lock) CMD+=(-e "LD_PRELOAD=$REC_LOCK" -e MTDB_PRESET=precise) ;;
    ht-inproc) CMD+=(-e "LD_PRELOAD=$HT_PRELOAD" -e "DUMP_HEAPTRACK_OUTPUT=$OUTDIR/raw") ;;
    esac
    CMD+=(-e "MTDB_OUTPUT=$OUTDIR/trace" --)
    if [ "$variant" = heaptrack ]; then
        CMD+=(heaptrack -o "$OUTDIR/ht")
    fi
    CMD+=("$WORKLOAD" "$@")
}

# Bytes of the variant's output and the events the recorder itself counted in it.
output_size() {
    local variant=$1 st
    case $variant in
    baseline) echo "0 0 0" ;;
    heaptrack | ht-inproc)
        st=$(find "$OUTDIR" -maxdepth 1 -type f \( -name 'ht*' -o -name raw \) -printf '%s\n' |
            awk '{ s += $1 } END { print s + 0 }')
        echo "$st $st 0" ;;
    *)
        "$STAT" "$OUTDIR/trace" | sed 's/.*disk_bytes=\([0-9]*\) used_bytes=\([0-9]*\) events=\([0-9]*\).*/\2 \1 \3/' ;;
    esac
}

field() { sed -n "s/^\(.*[ :]\)\{0,1\}$1=\([0-9]*\).*/\2/p" "$2" | head -n 1; }

# run_one TABLE VARIANT THREADS DEPTH OPS: one measured run, appended to $RESULTS as
# table variant threads depth wall_ns cpu_ns maxrss_kb allocs events used disk rec_events
# peak_rss_kb peak_anon_kb peak_file_kb (the peak ones: while all threads are alive)
run_one() {
    local table=$1 variant=$2 threads=$3 depth=$4 ops=$5
    OUTDIR=$WORK/run
    rm -rf "$OUTDIR"
    mkdir -p "$OUTDIR/trace"
    build_command "$variant" --threads "$threads" --depth "$depth" --ops "$ops" --cross "$CROSS"
    if ! "${CMD[@]}" >"$OUTDIR/log" 2>&1; then
        cat "$OUTDIR/log" >&2
        die "$variant failed: ${CMD[*]}"
    fi
    local cost=$OUTDIR/cost log=$OUTDIR/log
    local cpu=$(($(field user_ns "$cost") + $(field sys_ns "$cost")))
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$table" "$variant" \
        "$threads" "$depth" "$(field wall_ns "$cost")" "$cpu" "$(field maxrss_kb "$cost")" \
        "$(field allocs "$log")" "$(field events "$log")" \
        "$(output_size "$variant" | tr ' ' '\t')" "$(field rss_kb "$log")" \
        "$(field rss_anon_kb "$log")" "$(field rss_file_kb "$log")" >>"$RESULTS"
}

progress() { printf '\r%-70s' "$*" >&2; }

# What each variant costs with no work at all (start-up, thread start, exit): the
# tables subtract it, so "per allocation" is the slope, not start-up spread thin.
run_startup() {
    local rep variant all=$VARIANTS
    for variant in $SCALE_VARIANTS; do
        case " $all " in *" $variant "*) ;; *) all="$all $variant" ;; esac
    done
    for rep in $(seq "$RUNS"); do
        for variant in $all; do
            progress "start-up run $rep/$RUNS: $variant"
            run_one start "$variant" 1 5 0
        done
    done
}

# Variants alternate inside each run, so drift in the machine's load hits them alike.
run_matrix() {
    local rep depth threads variant
    for rep in $(seq "$RUNS"); do
        run_micro
        for depth in $DEPTHS; do
            for threads in $THREADS; do
                for variant in $VARIANTS; do
                    progress "run $rep/$RUNS: depth $depth, $threads threads, $variant"
                    run_one main "$variant" "$threads" "$depth" "$OPS"
                done
            done
        done
    done
}

run_scaling() {
    local rep threads variant
    for rep in $(seq "$RUNS"); do
        for threads in $SCALE_THREADS; do
            for variant in $SCALE_VARIANTS; do
                progress "scaling run $rep/$RUNS: $threads threads, $variant"
                run_one scale "$variant" "$threads" "$SCALE_DEPTH" "$SCALE_OPS"
            done
        done
    done
    progress ""
    printf '\r' >&2
}

# One bare unw_backtrace and frame-pointer walk at depth 30; run once per repetition,
# the tables take the medians.
run_micro() {
    local depth
    for depth in $DEPTHS; do
        progress "unw_backtrace at depth $depth"
        "$UNWIND" --depth "$depth" --iterations $((QUICK ? 50000 : 200000)) >>"$WORK/micro"
    done
}

# median_of NAME DEPTH: the median of bench_unwind's NAME=value at that depth.
median_of() {
    sed -n "s/.*depth=$2 .*$1=\([0-9.]*\).*/\1/p" "$WORK/micro" | sort -n |
        awk '{ a[NR] = $1 } END { print NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# The lines that say where and how the figures were taken, kept with the results so
# that --tables prints them for a run made on another machine.
save_header() {
    {
        echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) cores," \
            "kernel $(uname -r), clock source" \
            "$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null ||
                echo unknown)"
        echo "command: bench/run_recorder_bench.sh $ARGS"
        echo "runs: median of $RUNS; ops/thread: $OPS (main), $SCALE_OPS (scaling);" \
            "cross-thread frees: $CROSS%"
        echo "note: CPU = user+sys of the whole process tree (getrusage); noisy when the" \
            "machine is shared"
    } >"$WORK/header"
    echo "$VARIANTS" >"$WORK/variants"
}

print_header() {
    echo "# mtdb recorder benchmark"
    cat "$WORK/header"
    echo "bare stack walk at depth 30 (bench_unwind, median of $RUNS):" \
        "unw_backtrace $UNW_NS ns, frame pointers $FP_NS ns; at depth 5: unw_backtrace $UNW5_NS ns"
    echo
}

print_tables() {
    UNW_NS=$(median_of unw_backtrace_ns 30)
    FP_NS=$(median_of fp_walk_ns 30)
    UNW5_NS=$(median_of unw_backtrace_ns 5)
    print_header
    awk -F '\t' -v unw="$UNW_NS" -v fp="$FP_NS" -v unw5="$UNW5_NS" -v variants="$VARIANTS" \
        -f "$ROOT/bench/bench_tables.awk" "$RESULTS"
}

cleanup() {
    if [ "$KEEP" = 0 ] && [ -n "$WORK" ]; then
        rm -rf "$WORK"
    elif [ -n "$WORK" ]; then
        echo "work directory kept: $WORK" >&2
    fi
}

main() {
    ARGS="$*"
    parse_args "$@"
    if [ -n "$TABLES_FROM" ]; then
        WORK=$TABLES_FROM RESULTS=$TABLES_FROM/results.tsv
        if [ ! -e "$RESULTS" ] || [ ! -e "$WORK/header" ]; then
            die "$TABLES_FROM holds no kept run"
        fi
        VARIANTS=$(cat "$WORK/variants")
        RUNS=$(sed -n 's/^runs: median of \([0-9]*\).*/\1/p' "$WORK/header")
        print_tables
        return
    fi
    check_tools
    save_header
    trap cleanup EXIT
    run_startup
    run_matrix
    run_scaling
    print_tables
}

main "$@"
