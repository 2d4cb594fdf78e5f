#!/bin/sh
# bench/import/run.sh: end-to-end import speed on a synthetic trace.
# Usage: bench/import/run.sh [BUILD_DIR] [EVENTS] [THREADS]
# Generates EVENTS heap events over THREADS threads, imports them with `mtdb import -v`,
# then loads the same number of rows as blocks into a bare 8-column table in the same
# run, and prints events/s, blocks/s and the bare insert rate. Not a test: no pass/fail.
set -eu
build=${1:-build}
events=${2:-10000000}
threads=${3:-4}
mtdb=$build/cli/mtdb
bench=$build/importer/imp_bench
work=$(mktemp -d "${TMPDIR:-/tmp}/mtdb-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT

$bench gen "$work/trace" "$threads" "$events" >/dev/null
echo "trace: $(du -sh "$work/trace" | cut -f1) for $events events, $threads threads"
start=$(date +%s.%N)
$mtdb import -v -o "$work/trace.db" "$work/trace" 2>"$work/import.log" || true
end=$(date +%s.%N)
cat "$work/import.log"
blocks=$(sqlite3 "$work/trace.db" "SELECT count(*) FROM allocations;")
secs=$(echo "$end - $start" | bc -l)
$bench bare "$work/bare.db" "$blocks" >"$work/bare.txt"
bare=$(awk '/bare_rows_per_s/ {print $2}' "$work/bare.txt")
echo "events/s:      $(echo "$events / $secs" | bc)"
echo "blocks/s:      $(echo "$blocks / $secs" | bc)  ($blocks blocks)"
echo "bare insert/s: $bare  (same $blocks rows, 8 integer columns)"
echo "blocks/s as a share of the bare rate: $(echo "100 * $blocks / $secs / $bare" | bc)%"
echo "database: $(du -h "$work/trace.db" | cut -f1)"
