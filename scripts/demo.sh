#!/usr/bin/env bash
# demo.sh: from a bare Debian 12 to a recorded trace of the bundled example, in one go.
# Installs what is missing (needs root for that), builds into build/, records
# mtdb-example into build/demo/trace, then dumps it and imports it into build/demo/trace.db.
# Each later step is one `demo_step` line; steps whose subcommand is not built are skipped.
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

demo_step dump --summary "$trace_dir"
demo_step import -f -o "$demo_dir/trace.db" "$trace_dir"
# When it lands: demo_step report ... "$demo_dir/trace.db"
echo "demo: the trace is in $trace_dir" >&2
if [[ -f "$demo_dir/trace.db" ]]; then
  echo "demo: the database is $demo_dir/trace.db (try: sqlite3 $demo_dir/trace.db .tables)" >&2
fi
