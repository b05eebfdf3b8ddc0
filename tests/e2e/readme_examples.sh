#!/usr/bin/env bash
# Runs the README's examples as a new user would: every ```sh block of
# README.md, as written, against a fresh shop seeded like scripts/run.sh's,
# with rate limits on (the default). Each curl must get a 2xx/3xx answer.
#
#   tests/e2e/readme_examples.sh EMPORIUM_BINARY README.md [sqlite|postgres]
#
# PostgreSQL uses EMPORIUM_TEST_POSTGRES_URL (a fresh database per run); without
# it the run is skipped (exit 77), or fails when EMPORIUM_REQUIRE_POSTGRES=1.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/start_shop.sh"

binary=$1
readme=$2
backend=${3:-sqlite}

work=$(mktemp -d /tmp/emporium-readme-XXXXXX)
server=
cleanup() {
  if [[ -n $server ]]; then
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

export EMPORIUM_DATA_DIR=$work/data EMPORIUM_ACCESS_LOG=false
if [[ $backend == postgres ]]; then
  if [[ -z ${EMPORIUM_TEST_POSTGRES_URL:-} ]]; then
    if [[ ${EMPORIUM_REQUIRE_POSTGRES:-} == 1 ]]; then
      echo "readme_examples: EMPORIUM_TEST_POSTGRES_URL is not set" >&2
      exit 1
    fi
    echo "readme_examples: skipped (EMPORIUM_TEST_POSTGRES_URL not set)"
    exit 77
  fi
  export EMPORIUM_POSTGRES_URL="${EMPORIUM_TEST_POSTGRES_URL%/*}/readme_${RANDOM}${RANDOM}"
fi

EMPORIUM_LOG_LEVEL=warn "$binary" seed --products 1000 > "$work/seed.log" 2>&1 ||
  { cat "$work/seed.log"; exit 1; }

export EMPORIUM_LOG_LEVEL=warn
start_shop "$binary" "$work" || exit 1

# The sh blocks, with the README's address replaced by this shop's.
awk '/^```sh$/ {on = 1; next} /^```/ {on = 0} on' "$readme" |
  sed "s/localhost:8080/127.0.0.1:$port/g" > "$work/examples.sh"
blocks=$(grep -c '^```sh$' "$readme" || true)
if ((blocks < 3)); then
  echo "readme_examples: expected the README's sh blocks, found $blocks" >&2
  exit 1
fi

# curl as the examples call it, failing on an HTTP error status.
cat > "$work/prelude.sh" <<PRELUDE
set -euo pipefail
curl() {
  local code
  code=\$(command curl -sS -o "$work/body" -w '%{http_code}' "\$@") || return 1
  cat "$work/body"
  echo
  if ((code >= 400)); then
    echo "readme_examples: HTTP \$code from curl \$*" >&2
    return 1
  fi
}
PRELUDE
if ! bash -c "source '$work/prelude.sh'; source '$work/examples.sh'" > "$work/out.log" 2>&1; then
  echo "readme_examples: an example failed ($backend):"
  cat "$work/out.log"
  echo "--- the examples as run:"
  cat "$work/examples.sh"
  exit 1
fi
# The purchase block ends by listing the buyer's orders: the card order it
# placed through the sandbox must be there, confirmed.
if ! grep -q '"status":"confirmed"' "$work/out.log"; then
  echo "readme_examples: the README's purchase placed no confirmed order ($backend):"
  cat "$work/out.log"
  exit 1
fi
echo "readme_examples: $blocks block(s), $(grep -o 'curl -s' "$work/examples.sh" | wc -l) curl call(s) passed ($backend)"
