#!/usr/bin/env bash
# install-deps.sh: installs the Debian 12 packages mtdb needs to build, test and demo.
# Run as root; it installs only what is missing. With --check it installs nothing and
# exits 1 when a package is missing (scripts/demo.sh and .ci/run use that).
set -euo pipefail

packages=(
  build-essential cmake pkg-config g++ clang
  sqlite3 libsqlite3-dev libunwind-dev libdw-dev libelf-dev
  check shellcheck heaptrack valgrind
  zlib1g-dev libzstd-dev golang-go chromium libjs-d3
)

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$package")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi
if [[ "${1:-}" == "--check" ]]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  exit 1
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run as root (sudo $0) to install them" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}"
