#!/usr/bin/env bash
# build.sh: configures and builds mtdb into build/ (or $MTDB_BUILD_DIR).
# Extra arguments go to the cmake configure step, e.g. -DMTDB_SANITIZE=address.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${MTDB_BUILD_DIR:-$root/build}
build_type=${MTDB_BUILD_TYPE:-RelWithDebInfo}

cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE="$build_type" "$@"
cmake --build "$build_dir" -j "$(nproc)"
