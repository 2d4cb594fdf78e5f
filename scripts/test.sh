#!/usr/bin/env bash
# test.sh: builds mtdb and runs every test; exits non-zero when anything fails.
# Then, unless MTDB_TEST_SANITIZE=0, builds the in-process tests and tools with
# address;undefined sanitizers into build-asan/ and runs them (tests labelled "preload",
# which inject the recorder into sanitizer builds, are left out there). Also runs
# the lint of the scripts (ShellCheck) when it is installed.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${MTDB_BUILD_DIR:-$root/build}
asan_dir=${MTDB_ASAN_BUILD_DIR:-$root/build-asan}
jobs=$(nproc)
failed=()

run_step() {
  local name=$1
  shift
  echo "test: $name" >&2
  if ! "$@"; then
    failed+=("$name")
    return 1
  fi
}

if run_step build env MTDB_BUILD_DIR="$build_dir" "$root/scripts/build.sh"; then
  run_step ctest ctest --test-dir "$build_dir" --output-on-failure -j "$jobs" || true
fi

if [[ "${MTDB_TEST_SANITIZE:-1}" != 0 ]]; then
  if run_step "sanitizer build" env MTDB_BUILD_DIR="$asan_dir" MTDB_BUILD_TYPE=Debug \
    "$root/scripts/build.sh" -DMTDB_SANITIZE="address;undefined"; then
    run_step "sanitizer ctest" ctest --test-dir "$asan_dir" --output-on-failure -j "$jobs" \
      -LE preload || true
  fi
fi

if command -v shellcheck >/dev/null; then
  run_step shellcheck shellcheck "$root"/scripts/*.sh "$root/.ci/run" || true
fi

if [[ ${#failed[@]} -ne 0 ]]; then
  echo "test: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "test: all passed" >&2
