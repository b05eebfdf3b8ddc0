# Sourced by the e2e shell tests: start_shop BINARY WORK starts `serve` on a
# port the kernel picks (port 0; serve writes it to WORK/ports) and sets
# $server (its pid) and $port, or prints serve's log and returns 1.
start_shop() {
  local binary=$1 work=$2
  "$binary" serve --listen 127.0.0.1:0 --port-file "$work/ports" > "$work/serve.log" 2>&1 &
  server=$!
  port=
  for _ in $(seq 600); do
    port=$(awk '$1 == "shop" {print $2}' "$work/ports" 2>/dev/null || true)
    [[ -n $port ]] && return 0
    kill -0 "$server" 2>/dev/null || break
    sleep 0.1
  done
  echo "the shop did not start:" >&2
  cat "$work/serve.log" >&2
  return 1
}

# skip_unless_installed TEST PACKAGE...: with nothing missing, returns; else
# the test is skipped (exit 77), or fails (exit 1) under
# EMPORIUM_REQUIRE_SERVERS=1, as CI runs, where a missing tool is a bug of
# scripts/install-deps.sh.
skip_unless_installed() {
  local test=$1
  shift
  (($#)) || return 0
  if [[ ${EMPORIUM_REQUIRE_SERVERS:-} == 1 ]]; then
    echo "$test: missing $*" >&2
    exit 1
  fi
  echo "$test: skipped (missing $*)"
  exit 77
}
