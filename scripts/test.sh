#!/usr/bin/env bash
# The whole check, as CI runs it (.ci/run): install what is missing, build
# release, lint (clang-tidy needs the release build's compile_commands.json),
# build asan (ASan + UBSan), then run both test suites against private
# PostgreSQL/Redis/RabbitMQ/SMTP servers (scripts/with-test-servers.sh).
# Every step runs even after an earlier one failed (a test suite only if its
# build succeeded); the last line sums up; exit status 1 on any failure.
#
#   EMPORIUM_TEST_TIMEOUT   seconds a single test may take (300)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

t0=$SECONDS
passed=()
failed=()

# step NAME CMD...: run CMD, record the outcome; never fails itself.
step() {
  local name="$1" t=$SECONDS
  shift
  echo "=== test.sh: $name"
  if "$@"; then
    passed+=("$name")
    echo "=== test.sh: $name: ok ($((SECONDS - t))s)"
  else
    failed+=("$name")
    echo "=== test.sh: $name: FAILED ($((SECONDS - t))s)"
    return 1
  fi
}

join() {
  local IFS=,
  local s="$*"
  echo "${s//,/, }"
}

summary() {
  local took=$((SECONDS - t0))
  if ((${#failed[@]} == 0)); then
    echo "test.sh: PASSED: $(join "${passed[@]}") (${took}s)"
    exit 0
  fi
  echo "test.sh: FAILED: $(join "${failed[@]}") (passed: $(join "${passed[@]}")) (${took}s)"
  exit 1
}

step "install deps" bash scripts/install-deps.sh || summary

suites=()
step "build release" bash scripts/build.sh release && suites+=(release)
step "lint" bash scripts/lint.sh || true
step "build asan" bash scripts/build.sh asan && suites+=(asan)
step "fuzz" bash scripts/fuzz.sh || true

if ((${#suites[@]})); then
  # Integration tests fail, rather than skip, when a server is missing.
  export EMPORIUM_REQUIRE_POSTGRES=1 EMPORIUM_REQUIRE_SERVERS=1
  results="$(mktemp)"
  # One set of servers for both suites, run one after the other; within a
  # suite, two tests at a time (they must not depend on each other).
  # shellcheck disable=SC2016  # expanded by the inner bash
  bash scripts/with-test-servers.sh bash -c '
    results="$1" timeout="$2"
    shift 2
    rc=0
    for preset; do
      t=$SECONDS
      echo "=== test.sh: ctest $preset"
      if ctest --preset "$preset" -j2 --output-on-failure --no-tests=error --timeout "$timeout"; then
        echo "ok ctest $preset" >>"$results"
        echo "=== test.sh: ctest $preset: ok ($((SECONDS - t))s)"
      else
        echo "FAILED ctest $preset" >>"$results"
        echo "=== test.sh: ctest $preset: FAILED ($((SECONDS - t))s)"
        rc=1
      fi
    done
    exit "$rc"' _ "$results" "${EMPORIUM_TEST_TIMEOUT:-300}" "${suites[@]}" || true
  for preset in "${suites[@]}"; do
    if grep -qx "ok ctest $preset" "$results"; then
      passed+=("ctest $preset")
    else
      # Includes test servers that did not start: the suite never ran.
      failed+=("ctest $preset")
    fi
  done
  rm -f "$results"
fi

summary
