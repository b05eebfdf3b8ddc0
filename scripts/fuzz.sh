#!/usr/bin/env bash
# Builds the libFuzzer targets (clang 14 with ASan + UBSan, preset "fuzz") and
# runs each for a bounded time from the seed corpus in tests/fuzz/corpus.
# Fails when a target finds a crash, a leak or undefined behaviour; the
# reproducer is kept in build/fuzz/findings/.
#
#   scripts/fuzz.sh                 # 60 s of fuzzing per target, all at once
#   FUZZ_SECONDS=600 scripts/fuzz.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds="${FUZZ_SECONDS:-60}"
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$(pwd)}" CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
[[ -f build/fuzz/build.ninja ]] || cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j"$(nproc)" >/dev/null

findings=build/fuzz/findings
mkdir -p "$findings"
targets=(http_request json_body jwt_verify)
# The targets run side by side, each for 1.5x the budget of wall time: on two
# cores that is the same fuzzing work as one after another, in half the time.
wall=$((seconds * 3 / 2))
# fuzz_one TARGET: exit 0 when the fuzzer found nothing.
fuzz_one() {
  local target="$1" corpus
  # Work on a copy so the corpus the fuzzer grows never lands in the tree.
  corpus=$(mktemp -d "/tmp/emporium-fuzz-$target.XXXXXX")
  cp tests/fuzz/corpus/"$target"/* "$corpus"/
  local status=0
  build/fuzz/tests/fuzz/"${target}_fuzz" -max_total_time="$wall" -max_len=8192 -timeout=10 \
    -rss_limit_mb=2048 -artifact_prefix="$findings/${target}-" "$corpus" >"$findings/$target.log" 2>&1 ||
    status=$?
  rm -rf "$corpus"
  return "$status"
}
pids=()
for target in "${targets[@]}"; do
  fuzz_one "$target" &
  pids+=($!)
done
status=0
for i in "${!targets[@]}"; do
  target="${targets[$i]}" log="$findings/${targets[$i]}.log"
  if wait "${pids[$i]}"; then
    echo "fuzz: $target: $(grep -Eo "Done [0-9]+ runs in [0-9]+ s" "$log" | tail -1)econds, no findings"
  else
    echo "fuzz: $target: FOUND A PROBLEM (reproducer in $findings/):"
    grep -E 'ERROR|runtime error|SUMMARY' "$log" | head -5
    status=1
  fi
done
exit "$status"
