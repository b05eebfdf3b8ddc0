#!/usr/bin/env bash
# Shows the suite is deterministic by repetition: the quick labels (unit, sql,
# integration) N times in a row, then the end-to-end label M times, every test
# each time (ctest --repeat until-fail: a test's first failure ends its runs and
# the loop reports it). --loops K runs K such loops side by side, each with its
# own test servers, so every run happens under the load of the others.
#
#   scripts/repeat-tests.sh                      # 20 quick, 3 e2e, 2 loops at once
#   scripts/repeat-tests.sh --quick 5 --e2e 1 --loops 1 --preset asan
#
# Logs: $EMPORIUM_REPEAT_DIR (default /tmp/emporium-repeat)/loop-K.log; the
# last lines say which loop passed. Exit 1 when any failed. A failure found
# this way is fixed at its cause, never by retrying in the runner.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

preset=release quick=20 e2e=3 loops=2
while (($#)); do
  case "$1" in
    --preset) preset="$2"; shift 2 ;;
    --quick) quick="$2"; shift 2 ;;
    --e2e) e2e="$2"; shift 2 ;;
    --loops) loops="$2"; shift 2 ;;
    -h | --help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "repeat-tests: unknown option: $1" >&2; exit 2 ;;
  esac
done

dir="${EMPORIUM_REPEAT_DIR:-/tmp/emporium-repeat}"
mkdir -p "$dir"
bash scripts/build.sh "$preset" >/dev/null

export EMPORIUM_REQUIRE_POSTGRES=1 EMPORIUM_REQUIRE_SERVERS=1
timeout="${EMPORIUM_TEST_TIMEOUT:-300}"

# one_loop K: the quick labels, then e2e; each with its own servers.
one_loop() {
  local k="$1" t=$SECONDS rc=0
  {
    echo "=== loop $k: unit|sql|integration x$quick"
    bash scripts/with-test-servers.sh ctest --preset "$preset" -L 'unit|sql|integration' -j2 \
      --repeat "until-fail:$quick" --output-on-failure --no-tests=error --timeout "$timeout" &&
      echo "=== loop $k: e2e x$e2e" &&
      bash scripts/with-test-servers.sh ctest --preset "$preset" -L e2e -j2 \
        --repeat "until-fail:$e2e" --output-on-failure --no-tests=error --timeout "$timeout"
  } >"$dir/loop-$k.log" 2>&1 || rc=$?
  echo "loop $k: $( ((rc == 0)) && echo passed || echo FAILED) in $((SECONDS - t))s" \
    "(log: $dir/loop-$k.log)"
  return "$rc"
}

pids=()
for ((k = 1; k <= loops; k++)); do
  one_loop "$k" &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
if ((status == 0)); then
  echo "repeat-tests: $loops loop(s) of unit|sql|integration x$quick and e2e x$e2e: all passed"
else
  echo "repeat-tests: a loop FAILED; its log names the test (grep -n 'Failed\|FAILED' $dir/loop-*.log)"
fi
exit "$status"
