#!/usr/bin/env bash
# run_symbols_bench.sh: what symbolizing costs on one large compile unit (docs/performance.md
# "Symbols from one walk per compile unit"). Generates a C++ file of FUNCS functions, each
# in a namespace with a class of its own and allocating through std::map, std::string and
# malloc; builds it with -O1 -g as users build; records it once; then imports that trace
# RUNS times and prints the symbolize step of each import (`mtdb import -v`), the frames
# it named and the median.
#
#   bench/run_symbols_bench.sh [BUILD_DIR] [RUNS] [FUNCS]
set -euo pipefail

build=${1:-build}
runs=${2:-3}
funcs=${3:-3000}
mtdb=$build/cli/mtdb
work=$(mktemp -d "${TMPDIR:-/tmp}/mtdb-symbench-XXXXXX")
trap 'rm -rf "$work"' EXIT

{
  printf '#include <cstdlib>\n#include <map>\n#include <string>\n#include <vector>\n'
  printf 'static std::vector<void *> kept;\n'
  for ((i = 0; i < funcs; i++)); do
    printf 'namespace ns%d { struct S%d { std::map<int, std::string> m; }; }\n' $((i % 10)) "$i"
    printf 'static __attribute__((noinline)) void g%d(int k) { ns%d::S%d s; ' "$i" $((i % 10)) "$i"
    printf 's.m[k] = std::to_string(k); kept.push_back(malloc(16 + k)); }\n'
  done
  printf 'int main() {\n'
  for ((i = 0; i < funcs; i++)); do printf '  g%d(%d);\n' "$i" $((i % 50)); done
  printf '  return kept.empty();\n}\n'
} >"$work/unit.cpp"
g++ -O1 -g "$work/unit.cpp" -o "$work/unit"
"$mtdb" record -q -o "$work/trace" -- "$work/unit"

declare -a took
for ((i = 1; i <= runs; i++)); do
  "$mtdb" import -v -o "$work/t$i.db" "$work/trace" 2>"$work/said"
  took+=("$(sed -n 's/.*symbolize \([0-9.]*\) s.*/\1/p' "$work/said")")
  frames=$(sqlite3 "$work/t$i.db" "SELECT count(*) FROM frames WHERE symbolized")
  echo "round $i: symbolize ${took[-1]} s, $frames frames named" >&2
  rm -f "$work/t$i.db"
done
echo "median of $runs: symbolize $(printf '%s\n' "${took[@]}" | sort -n |
  awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }') s ($funcs functions in one unit)"
