#!/usr/bin/env bash
# Installs every Debian 12 (bookworm) package Emporium needs to build, test,
# benchmark and run. Idempotent and quiet: packages already installed are left
# alone, `apt-get update` runs only when something is missing, and apt's output
# goes to a log file (its tail is printed on failure).
#
# Works as root on a fresh minimal Debian 12 (debootstrap --variant=minbase):
# it needs nothing but bash, dpkg and apt.
#
#   scripts/install-deps.sh            # install what is missing
#   scripts/install-deps.sh --list     # print the package list and exit
#   scripts/install-deps.sh --check    # exit 1 (listing them) if any are missing
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential g++ cmake ninja-build ccache pkg-config git ca-certificates
  # libraries (headers + pkg-config/CMake files)
  libboost-dev libboost-system-dev libpq-dev libsqlite3-dev sqlite3
  libhiredis-dev librabbitmq-dev libsodium-dev libcurl4-openssl-dev
  libspdlog-dev libfmt-dev rapidjson-dev libcli11-dev libtomlplusplus-dev libcrypt-dev
  zlib1g-dev libbrotli-dev
  # tests, benchmarks, lint
  libgtest-dev libgmock-dev libbenchmark-dev clang-format clang-tidy
  # libFuzzer targets (scripts/fuzz.sh): clang and its sanitizer/fuzzer runtimes
  clang-14 libclang-rt-14-dev
  # servers the integration tests run privately (scripts/test-servers.sh)
  # and the nginx that bench/run.sh compares against
  postgresql-15 postgresql-client-15 redis-server redis-tools rabbitmq-server
  nginx-light python3 python3-aiosmtpd
  # tools the scripts call; prometheus ships promtool (ops_api_test lints /metrics)
  curl jq wrk procps iproute2 prometheus
  # scripts/cluster (the self-signed certificate) and the deploy_manifests test (YAML)
  openssl python3-yaml
)

LOG="${EMPORIUM_INSTALL_LOG:-/tmp/emporium-install-deps.log}"

case "${1:-}" in
  --list) printf '%s\n' "${PACKAGES[@]}"; exit 0 ;;
  --check | "") ;;
  -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
  *) echo "install-deps: unknown option: $1" >&2; exit 2 ;;
esac

# missing_of PKG...: prints those of PKG not installed, one a line. "install
# ok installed" is the only usable state; half-configured packages, or ones
# removed with their config kept, count as missing. One dpkg-query for all:
# it lists the known ones and complains (ignored) about never-seen ones.
missing_of() {
  local -A ok=()
  local name status
  while read -r name status; do
    [[ "$status" == "install ok installed" ]] && ok["$name"]=1
  done < <(dpkg-query -W -f='${Package} ${Status}\n' "$@" 2>/dev/null || true)
  for name in "$@"; do
    [[ -n "${ok[$name]:-}" ]] || echo "$name"
  done
}

mapfile -t missing < <(missing_of "${PACKAGES[@]}")

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi
if [[ "${1:-}" == "--check" ]]; then
  echo "install-deps: missing ${#missing[@]} package(s): ${missing[*]}" >&2
  exit 1
fi

# Root is needed from here on. A minbase system has no sudo; use it only if it
# happens to exist.
SUDO=()
if ((EUID != 0)); then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo --preserve-env=DEBIAN_FRONTEND)
  else
    echo "install-deps: must run as root to install: ${missing[*]}" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
: >"$LOG"

fail() {
  echo "install-deps: $1 failed; last lines of $LOG:" >&2
  tail -n 25 "$LOG" >&2
  exit 1
}

# Installing postgresql-15, redis-server, rabbitmq-server and nginx would
# normally start system-wide daemons on their default ports (and on a machine
# without systemd, invoke-rc.d really starts them). The project never uses
# those: tests and benchmarks run private instances. A policy-rc.d that exits
# 101 tells invoke-rc.d not to start anything. Only add it if the machine has
# none, and remove it again afterwards.
POLICY=/usr/sbin/policy-rc.d
added_policy=0
cleanup() {
  if ((added_policy)); then
    "${SUDO[@]}" rm -f "$POLICY"
  fi
}
trap cleanup EXIT
if [[ ! -e "$POLICY" ]]; then
  printf '#!/bin/sh\n# added by emporium scripts/install-deps.sh while it runs\nexit 101\n' |
    "${SUDO[@]}" tee "$POLICY" >/dev/null
  "${SUDO[@]}" chmod 755 "$POLICY"
  added_policy=1
fi

start=$SECONDS
echo "install-deps: installing ${#missing[@]} package(s): ${missing[*]} (log: $LOG)"

"${SUDO[@]}" apt-get update >>"$LOG" 2>&1 || fail "apt-get update"

# Name a package that this Debian does not know plainly, instead of leaving
# the reader to find apt's "Unable to locate package" in the log.
unknown=()
for pkg in "${missing[@]}"; do
  candidate="$(apt-cache policy "$pkg" 2>/dev/null | awk '/Candidate:/ {print $2}')"
  [[ -n "$candidate" && "$candidate" != "(none)" ]] || unknown+=("$pkg")
done
if ((${#unknown[@]})); then
  echo "install-deps: no installation candidate for: ${unknown[*]} (is this Debian 12 with 'main' enabled?)" >&2
  exit 1
fi

"${SUDO[@]}" apt-get install -y --no-install-recommends \
  -o Acquire::Retries=3 -o Dpkg::Use-Pty=0 \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
  "${missing[@]}" >>"$LOG" 2>&1 || fail "apt-get install"

mapfile -t still_missing < <(missing_of "${missing[@]}")
if ((${#still_missing[@]})); then
  echo "install-deps: still not installed: ${still_missing[*]}" >&2
  fail "apt-get install"
fi

echo "install-deps: installed ${#missing[@]} package(s) in $((SECONDS - start))s; all ${#PACKAGES[@]} present"
