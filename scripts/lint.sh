#!/usr/bin/env bash
# Lint: clang-format over every *.cpp/*.hpp under src/ tests/ bench/, then
# clang-tidy over src/**/*.cpp (needs build/release/compile_commands.json,
# i.e. a configured release build, or build/lint when that one is a unity
# build; the repo's .clang-tidy makes every warning an error).
#
#   scripts/lint.sh          # check; exit 1 on any finding
#   scripts/lint.sh --fix    # rewrite files clang-format would change; no tidy
#
#   EMPORIUM_SKIP_TIDY=1     skip clang-tidy
#   CLANG_FORMAT, CLANG_TIDY which binaries to run (clang-format, clang-tidy)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

CLANG_FORMAT="${CLANG_FORMAT:-clang-format}"
CLANG_TIDY="${CLANG_TIDY:-clang-tidy}"
COMPDB_DIR=build/release

fix=0
case "${1:-}" in
  "") ;;
  --fix) fix=1 ;;
  *) echo "usage: $0 [--fix]" >&2; exit 2 ;;
esac

if ! command -v "$CLANG_FORMAT" >/dev/null 2>&1; then
  echo "lint: $CLANG_FORMAT not found (run scripts/install-deps.sh)" >&2
  exit 1
fi

dirs=()
for d in src tests bench; do [[ -d "$d" ]] && dirs+=("$d"); done
sources=()
if ((${#dirs[@]})); then
  mapfile -t sources < <(find "${dirs[@]}" -type f \( -name '*.cpp' -o -name '*.hpp' \) | LC_ALL=C sort)
fi

# --- clang-format -----------------------------------------------------------

if ((fix)); then
  ((${#sources[@]} == 0)) || "$CLANG_FORMAT" -i "${sources[@]}"
  echo "lint: clang-format applied to ${#sources[@]} file(s)"
  exit 0
fi

status=0
# Two at a time; each prints its name if clang-format would change it.
export CLANG_FORMAT
unformatted=()
if ((${#sources[@]})); then
  # shellcheck disable=SC2016  # expanded by the inner bash
  mapfile -t unformatted < <(printf '%s\0' "${sources[@]}" | xargs -0 -n8 -P2 bash -c '
    for f; do "$CLANG_FORMAT" --dry-run -Werror "$f" >/dev/null 2>&1 || echo "$f"; done' _ |
    LC_ALL=C sort)
fi
if ((${#unformatted[@]})); then
  echo "lint: clang-format: ${#unformatted[@]} file(s) not formatted (fix: scripts/lint.sh --fix):"
  printf '  %s\n' "${unformatted[@]}"
  status=1
else
  echo "lint: clang-format: ${#sources[@]} file(s) OK"
fi

# --- clang-tidy -------------------------------------------------------------

if [[ "${EMPORIUM_SKIP_TIDY:-0}" == 1 ]]; then
  echo "lint: clang-tidy skipped (EMPORIUM_SKIP_TIDY=1)"
  exit "$status"
fi
if [[ ! -f "$COMPDB_DIR/compile_commands.json" ]]; then
  echo "lint: clang-tidy skipped: no $COMPDB_DIR/compile_commands.json (run scripts/build.sh first)"
  exit "$status"
fi
# A unity build (EMPORIUM_UNITY_BUILD=1, scripts/build.sh) lists the files it
# compiles, not the sources: check with the flags of a configure-only
# directory of the same preset, one entry per source (a few seconds; no
# build, so no header list for the verdict cache either).
if grep -q '/Unity/unity_' "$COMPDB_DIR/compile_commands.json"; then
  COMPDB_DIR=build/lint
  if ! cmake --preset release -B "$COMPDB_DIR" -DCMAKE_UNITY_BUILD=OFF >/dev/null; then
    echo "lint: clang-tidy: configuring $COMPDB_DIR failed" >&2
    exit 1
  fi
fi

# Only sources the build compiles: anything else has no flags to be checked
# with (and a file not in the build is worth a look of its own).
tidy_files=()
not_built=()
root="$(pwd)"
for f in "${sources[@]}"; do
  [[ "$f" == src/*.cpp ]] || continue
  if grep -qF "\"$root/$f\"" "$COMPDB_DIR/compile_commands.json"; then
    tidy_files+=("$f")
  else
    not_built+=("$f")
  fi
done
if ((${#not_built[@]})); then
  echo "lint: clang-tidy: not in the build, not checked: ${not_built[*]}"
fi

# Verdicts are cached by everything they depend on (scripts/tidy-keys.py):
# a file whose key passed before is not checked again. Only clean files are
# cached, so a finding is reported on every run until it is fixed.
TIDY_CACHE="${EMPORIUM_TIDY_CACHE:-${HOME:-/root}/.cache/emporium-tidy}"
TIDY_ARGS="--extra-arg=-DBOOST_ASIO_HAS_CO_AWAIT=1 --extra-arg=-DBOOST_ASIO_HAS_STD_COROUTINE=1"
cached=0
if ((${#tidy_files[@]})) && command -v python3 >/dev/null 2>&1; then
  mkdir -p "$TIDY_CACHE"
  declare -A tidy_key=()
  to_check=()
  while read -r key file; do
    tidy_key["$file"]="$key"
    if [[ "$key" != - && -f "$TIDY_CACHE/$key" ]]; then
      cached=$((cached + 1))
    else
      to_check+=("$file")
    fi
  done < <(python3 scripts/tidy-keys.py "$COMPDB_DIR" "$("$CLANG_TIDY" --version | tr '\n' ' ')" \
    "$TIDY_ARGS" "${tidy_files[@]}")
  total=${#tidy_files[@]}
  tidy_files=("${to_check[@]}")
  echo "lint: clang-tidy: $cached of $total file(s) unchanged since a clean check (cache: $TIDY_CACHE)"
fi

if ((${#tidy_files[@]})); then
  start=$SECONDS
  # Two files at a time (one per core). Each file's report is printed whole,
  # and only when it has findings, so parallel reports do not interleave.
  # clang-tidy 14 parses with clang 14, for which Boost 1.74's Asio only
  # looks for <experimental/coroutine> (libc++); with libstdc++ it then hides
  # awaitable/co_spawn. clang 14 does handle libstdc++'s <coroutine>, so tell
  # Asio to use it, as it does for g++.
  export CLANG_TIDY COMPDB_DIR TIDY_ARGS
  clean_list="$(mktemp)"
  export clean_list
  # shellcheck disable=SC2016  # expanded by the inner bash
  if printf '%s\0' "${tidy_files[@]}" | xargs -0 -n1 -P2 bash -c '
      # A finding fails the file even if .clang-tidy stops making warnings
      # errors: it must exit 0 and print no diagnostic.
      # shellcheck disable=SC2086  # TIDY_ARGS: several words
      if out="$("$CLANG_TIDY" -p "$COMPDB_DIR" --quiet $TIDY_ARGS "$1" 2>&1)" &&
        ! grep -qE ": (warning|error): " <<<"$out"; then
        echo "$1" >>"$clean_list"
        exit 0
      fi
      # Without the "N warnings generated." count of suppressed ones.
      printf "lint: clang-tidy: %s\n%s\n\n" "$1" "$(grep -vE "^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$" <<<"$out")"
      exit 1' _; then
    echo "lint: clang-tidy: ${#tidy_files[@]} file(s) OK ($((SECONDS - start))s)"
  else
    echo "lint: clang-tidy: findings above ($((SECONDS - start))s)"
    status=1
  fi
  # Remember the clean ones (appends of short lines from parallel jobs do not interleave).
  while read -r file; do
    key="${tidy_key[$file]:-}"
    [[ -n "$key" && "$key" != - ]] && : >"$TIDY_CACHE/$key"
  done <"$clean_list"
  rm -f "$clean_list"
fi

exit "$status"
