#!/usr/bin/env bash
# test.sh: builds mtdb and runs every test; exits non-zero when anything fails.
# Then, unless MTDB_TEST_SANITIZE=0, builds the in-process tests and tools with
# address;undefined sanitizers into build-asan/ and runs them (tests labelled "preload",
# which inject the recorder into sanitizer builds, are left out there), and the
# recorder's in-process engine tests and the packing of a trace file's pieces on
# several threads under ThreadSanitizer in build-tsan/, and the
# trace reader's libFuzzer harness for 20 s with clang (MTDB_TEST_FUZZ=0 skips it). Every
# ctest run gets a fresh TMPDIR and fails if the tests leave anything in it. Also runs
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

# Runs ctest (arguments passed on) with TMPDIR a fresh empty directory, and fails,
# naming them, when the tests leave anything in it.
ctest_leaving_nothing() {
  local tmp status=0 left
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/mtdb-ctest-XXXXXX") || return 1
  chmod 0711 "$tmp" # as /tmp: the privilege-drop cases pass through it as nobody
  TMPDIR=$tmp ctest "$@" || status=1
  left=$(find "$tmp" -mindepth 1 -maxdepth 1)
  if [[ -n $left ]]; then
    echo "test: the tests left these in their temp directory:" >&2
    echo "$left" >&2
    status=1
  fi
  rm -rf "$tmp"
  return $status
}

if run_step build env MTDB_BUILD_DIR="$build_dir" "$root/scripts/build.sh"; then
  run_step ctest ctest_leaving_nothing --test-dir "$build_dir" --output-on-failure -j "$jobs" || true
fi

if [[ "${MTDB_TEST_SANITIZE:-1}" != 0 ]]; then
  if run_step "sanitizer build" env MTDB_BUILD_DIR="$asan_dir" MTDB_BUILD_TYPE=Debug \
    "$root/scripts/build.sh" -DMTDB_SANITIZE="address;undefined"; then
    run_step "sanitizer ctest" ctest_leaving_nothing --test-dir "$asan_dir" --output-on-failure -j "$jobs" \
      -LE preload || true
  fi
fi

# ThreadSanitizer over the recorder's engine driven in-process by many threads (the
# injected library itself is never instrumented), and over the packing of a file's
# pieces side by side. Only those targets are built.
if [[ "${MTDB_TEST_SANITIZE:-1}" != 0 ]]; then
  tsan_dir=${MTDB_TSAN_BUILD_DIR:-$root/build-tsan}
  if run_step "thread-sanitizer build" cmake -S "$root" -B "$tsan_dir" -DCMAKE_BUILD_TYPE=Debug \
    -DMTDB_SANITIZE=thread >/dev/null &&
    run_step "thread-sanitizer build" cmake --build "$tsan_dir" -j "$jobs" \
      --target test_recorder_unit_engine test_recorder_unit_table test_recorder_unit_stack \
        test_recorder_unit_acl test_recorder_unit_runtime test_format_reader_packed >/dev/null; then
    run_step "thread-sanitizer ctest" ctest_leaving_nothing --test-dir "$tsan_dir" --output-on-failure \
      -R '^(recorder_unit_|test_format_reader_packed$)' || true
  fi
fi

# The trace reader under libFuzzer for 20 seconds (clang only; the targets alone).
if [[ "${MTDB_TEST_FUZZ:-1}" != 0 ]] && command -v clang >/dev/null; then
  fuzz_dir=${MTDB_FUZZ_BUILD_DIR:-$root/build-fuzz}
  if run_step "fuzz build" env CC=clang CXX=clang++ cmake -S "$root" -B "$fuzz_dir" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMTDB_FUZZ=ON >/dev/null &&
    run_step "fuzz build" cmake --build "$fuzz_dir" -j "$jobs" --target fuzz_reader fuzz_seeds \
      >/dev/null; then
    run_step "fuzz" ctest --test-dir "$fuzz_dir" --output-on-failure -R '^test_fuzz_reader' || true
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
