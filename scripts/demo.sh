#!/usr/bin/env bash
# demo.sh: from a bare Debian 12 to the answers about the bundled example, in one go.
# Installs what is missing (needs root for that), builds into build/, records
# mtdb-example into build/demo/trace, imports it into build/demo/trace.db, prints
# `mtdb report` and writes the HTML report to build/demo/report.html.
# Each step is one `demo_step` line; steps whose subcommand is not built are skipped.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${MTDB_BUILD_DIR:-$root/build}
demo_dir=$build_dir/demo
trace_dir=$demo_dir/trace
mtdb=$build_dir/cli/mtdb

if ! "$root/scripts/install-deps.sh" --check; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "demo: packages are missing; run it as root: sudo scripts/demo.sh" >&2
    exit 1
  fi
  "$root/scripts/install-deps.sh"
fi

MTDB_BUILD_DIR=$build_dir "$root/scripts/build.sh"

# Runs `mtdb COMMAND ARGS...` when this build has that subcommand.
demo_step() {
  if "$mtdb" --help | grep -q "^  $1 "; then
    echo "demo: mtdb $*" >&2
    "$mtdb" "$@"
  else
    echo "demo: 'mtdb $1' is not built yet: skipped" >&2
  fi
}

rm -rf "$demo_dir"
mkdir -p "$demo_dir"
echo "demo: mtdb record -o $trace_dir -- mtdb-example" >&2
"$mtdb" record -o "$trace_dir" -- "$build_dir/examples/mtdb-example"

demo_step import -f -o "$demo_dir/trace.db" "$trace_dir"
db=$demo_dir/trace.db
if [[ -f "$db" ]]; then
  demo_step report "$db"
  demo_step report -f html -o "$demo_dir/report.html" "$db"
  echo >&2
  echo "demo: the trace is in $trace_dir, the database is $db" >&2
  if [[ -f "$demo_dir/report.html" ]]; then
    echo "demo: the HTML report is $demo_dir/report.html (open it in a browser; works offline)" >&2
  fi
  echo "demo: more questions: mtdb query --list, or any SQL: sqlite3 $db" >&2
fi
