# tst_scratch.sh: the scratch directory of the shell tests, as tst_scratch.h does it
# for the C tests. Source it, then `tst_scratch TAG`: sets $scratch to a fresh
# "$TMPDIR/mtdb-TAG-XXXXXX" (TMPDIR defaults to /tmp) and removes it when the script
# exits, whatever the reason (MTDB_TEST_KEEP=1 keeps it); a failing script names it.
# shellcheck shell=bash

tst_scratch() {
  scratch=$(mktemp -d "${TMPDIR:-/tmp}/mtdb-$1-XXXXXX") || {
    echo "scratch: cannot make a directory under ${TMPDIR:-/tmp}" >&2
    exit 1
  }
  trap 'tst_scratch_exit $?' EXIT
}

tst_scratch_exit() {
  if [[ ${MTDB_TEST_KEEP:-0} != 0 ]]; then
    echo "scratch: kept $scratch" >&2
    return
  fi
  [[ $1 -ne 0 && $1 -ne 77 ]] && echo "scratch: failed; removing $scratch" >&2
  rm -rf "$scratch"
}
