#!/usr/bin/env bash
# The whole check, as CI runs it (.ci/run): install what is missing, build
# release, lint (clang-tidy needs the release build's compile_commands.json),
# build asan (ASan + UBSan), then run both test suites against private
# PostgreSQL/Redis/RabbitMQ/SMTP servers (scripts/with-test-servers.sh).
# Every step runs even after an earlier one failed (a test suite only if its
# build succeeded); the last line sums up; exit status 1 on any failure.
#
# The release suite runs every test; the ASan + UBSan suite runs the tests
# that exercise memory the most for their cost (the unit tests as one process,
# labels sql, integration, and "asan": one pass of each HTTP API per backend, the transport and the
# provider client; see docs/testing.md), which keeps the whole run within its
# 40-minute budget on 2 cores. The last lines are a table of step times.
#
#   EMPORIUM_TEST_TIMEOUT   seconds a single test may take (300)
#   EMPORIUM_ASAN_LABELS    ctest -L regex for the ASan suite (asan-once|sql|integration|asan:
#                           asan-once is the unit tests as one process);
#                           "." runs everything
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

t0=$SECONDS
passed=()
failed=()
timings=()  # "NAME<TAB>SECONDS<TAB>ok|FAILED", in the order the steps ran

# step NAME CMD...: run CMD, record the outcome; never fails itself.
step() {
  local name="$1" t=$SECONDS
  shift
  echo "=== test.sh: $name"
  if "$@"; then
    passed+=("$name")
    timings+=("$name"$'\t'"$((SECONDS - t))"$'\t'ok)
    echo "=== test.sh: $name: ok ($((SECONDS - t))s)"
  else
    failed+=("$name")
    timings+=("$name"$'\t'"$((SECONDS - t))"$'\t'FAILED)
    echo "=== test.sh: $name: FAILED ($((SECONDS - t))s)"
    return 1
  fi
}

time_table() {
  echo "test.sh: step times"
  local row name secs outcome
  for row in "${timings[@]}"; do
    IFS=$'\t' read -r name secs outcome <<<"$row"
    printf '  %-16s %5ss  %3dm%02ds  %s\n' "$name" "$secs" $((secs / 60)) $((secs % 60)) "$outcome"
  done
  local took=$((SECONDS - t0))
  printf '  %-16s %5ss  %3dm%02ds\n' total "$took" $((took / 60)) $((took % 60))
}

join() {
  local IFS=,
  local s="$*"
  echo "${s//,/, }"
}

summary() {
  local took=$((SECONDS - t0))
  time_table
  if ((${#failed[@]} == 0)); then
    echo "test.sh: PASSED: $(join "${passed[@]}") (${took}s)"
    exit 0
  fi
  echo "test.sh: FAILED: $(join "${failed[@]}") (passed: $(join "${passed[@]}")) (${took}s)"
  exit 1
}

step "install deps" bash scripts/install-deps.sh || summary

# A build directory this run creates is a unity build: half the compile time
# on a fresh clone (scripts/build.sh). An existing one is left as it is.
export EMPORIUM_UNITY_BUILD="${EMPORIUM_UNITY_BUILD:-1}"

suites=()
step "build release" bash scripts/build.sh release && suites+=(release)
step "lint" bash scripts/lint.sh || true
# The asan preset builds only the binaries the default ASan labels run; any
# other selection gets every binary.
build_all_asan=0
[[ -z "${EMPORIUM_ASAN_LABELS:-}" ]] || build_all_asan=1
step "build asan" env EMPORIUM_BUILD_ALL="$build_all_asan" bash scripts/build.sh asan && suites+=(asan)
step "fuzz" bash scripts/fuzz.sh || true

if ((${#suites[@]})); then
  # Integration tests fail, rather than skip, when a server is missing.
  export EMPORIUM_REQUIRE_POSTGRES=1 EMPORIUM_REQUIRE_SERVERS=1
  results="$(mktemp)"
  # One set of servers for both suites, run one after the other; within a
  # suite, two tests at a time (they must not depend on each other).
  # shellcheck disable=SC2016  # expanded by the inner bash
  bash scripts/with-test-servers.sh bash -c '
    results="$1" timeout="$2" asan_labels="$3"
    shift 3
    rc=0
    for preset; do
      t=$SECONDS
      # asan-once: the unit tests as one process, for the ASan suite only.
      select=(-LE asan-once)
      [[ "$preset" == asan ]] && select=(-L "$asan_labels")
      echo "=== test.sh: ctest $preset ${select[*]}"
      if ctest --preset "$preset" "${select[@]}" -j2 --output-on-failure --no-tests=error \
          --timeout "$timeout"; then
        echo "ok ctest $preset $((SECONDS - t))" >>"$results"
        echo "=== test.sh: ctest $preset: ok ($((SECONDS - t))s)"
      else
        echo "FAILED ctest $preset $((SECONDS - t))" >>"$results"
        echo "=== test.sh: ctest $preset: FAILED ($((SECONDS - t))s)"
        rc=1
      fi
    done
    exit "$rc"' _ "$results" "${EMPORIUM_TEST_TIMEOUT:-300}" \
    "${EMPORIUM_ASAN_LABELS:-asan-once|sql|integration|asan}" "${suites[@]}" || true
  for preset in "${suites[@]}"; do
    line="$(grep -E "^(ok|FAILED) ctest $preset " "$results" || true)"
    secs="${line##* }"
    if [[ "$line" == ok* ]]; then
      passed+=("ctest $preset")
      timings+=("ctest $preset"$'\t'"$secs"$'\t'ok)
    else
      # Includes test servers that did not start: the suite never ran.
      failed+=("ctest $preset")
      timings+=("ctest $preset"$'\t'"${secs:-0}"$'\t'FAILED)
    fi
  done
  rm -f "$results"
fi

summary
