#!/usr/bin/env bash
# run_pack_bench.sh: what packing the trace after the run costs and saves (docs/performance.md
# "Packed trace files"). For RUNS rounds: `mtdb record` of bench_workload_cxx with and
# without --no-compress (wall time, bytes on disk, used bytes), `mtdb pack` of a copy of the
# unpacked trace (the time it reports), and `mtdb import` of the same trace unpacked and
# packed (wall time). Prints every round, then the medians.
#
#   bench/run_pack_bench.sh [BUILD_DIR] [RUNS] [-- WORKLOAD ARGS]
set -euo pipefail

build=${1:-build}
runs=${2:-3}
shift $(($# < 2 ? $# : 2))
[[ ${1:-} == "--" ]] && shift
args=("$@")
[[ ${#args[@]} -eq 0 ]] && args=(--threads 4 --ops 50000)

mtdb=$build/cli/mtdb
stat=$build/bench/bench_trace_stat
prog=$build/bench/bench_workload_cxx
work=$(mktemp -d "${TMPDIR:-/tmp}/mtdb-packbench-XXXXXX")
trap 'rm -rf "$work"' EXIT

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# Runs a command quietly; prints its wall time in ms.
timed() {
  local t0
  t0=$(now_ms)
  "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; return 1; }
  echo $(($(now_ms) - t0))
}

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

declare -a rec_raw rec_pk disk_raw disk_pk pack_s imp_raw imp_pk
for ((i = 1; i <= runs; i++)); do
  rec_raw+=("$(timed "$mtdb" record -q --no-compress -o "$work/raw$i" -- "$prog" "${args[@]}")")
  rec_pk+=("$(timed "$mtdb" record -q -o "$work/pk$i" -- "$prog" "${args[@]}")")
  disk_raw+=("$(du -B1 -s "$work/raw$i" | cut -f1)")
  disk_pk+=("$(du -B1 -s "$work/pk$i" | cut -f1)")
  echo "round $i: raw $("$stat" "$work/raw$i")" >&2
  echo "round $i: packed $("$stat" "$work/pk$i")" >&2
  cp -a "$work/raw$i" "$work/cp$i"
  "$mtdb" pack "$work/cp$i" 2>"$work/said"
  pack_s+=("$(sed -n 's/.* in \([0-9.]*\) s.*/\1/p' "$work/said")")
  echo "round $i: $(cat "$work/said")" >&2
  imp_raw+=("$(timed "$mtdb" import -q -o "$work/raw$i.db" "$work/raw$i")")
  imp_pk+=("$(timed "$mtdb" import -q -o "$work/cp$i.db" "$work/cp$i")")
  echo "round $i: record ${rec_raw[-1]} / ${rec_pk[-1]} ms (unpacked / packed), disk" \
    "${disk_raw[-1]} / ${disk_pk[-1]} B, pack ${pack_s[-1]} s, import ${imp_raw[-1]} /" \
    "${imp_pk[-1]} ms" >&2
  rm -rf "$work/raw$i" "$work/pk$i" "$work/cp$i" "$work/raw$i.db" "$work/cp$i.db"
done
echo "medians of $runs: record $(median "${rec_raw[@]}") / $(median "${rec_pk[@]}") ms," \
  "disk $(median "${disk_raw[@]}") / $(median "${disk_pk[@]}") B," \
  "mtdb pack $(median "${pack_s[@]}") s, import $(median "${imp_raw[@]}") /" \
  "$(median "${imp_pk[@]}") ms (unpacked / packed)"
