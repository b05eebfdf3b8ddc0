#!/usr/bin/env bash
# Where a gateway hop's CPU goes (issue 15, "Bench"): one cached product page,
# straight from the catalog service and through the gateway, in one run.
#
#   bench/gateway_profile.sh
#   BENCH_DURATION=10 BENCH_CONNECTIONS=64 bench/gateway_profile.sh
#
# Starts private PostgreSQL and RabbitMQ (scripts/test-servers.sh), migrates
# and seeds BENCH_PRODUCTS products, then runs each service as its own
# process (`serve --target=<service>`) behind one `--target=gateway`, as the
# services topology does, with rate limits and access logs off. wrk asks for
# one product page (cached after the first request) from the catalog's port,
# then from the gateway's; around the gateway run it reads the CPU time of
# the gateway and the catalog from /proc (CPU microseconds per request), and,
# when `perf` is installed, samples the gateway (perf record -g) and prints
# its CPU by shared object and its top symbols. Stops everything it started,
# however it ends; BENCH_KEEP=1 keeps the folder (logs, perf.data).
#
# Settings: BENCH_PRODUCTS (2000), BENCH_DURATION (8 s), BENCH_CONNECTIONS
# (16), BENCH_PORT_BASE (21400), EMPORIUM_BIN.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

PRODUCTS="${BENCH_PRODUCTS:-2000}"
DURATION="${BENCH_DURATION:-8}"
CONNECTIONS="${BENCH_CONNECTIONS:-16}"
PORT_BASE="${BENCH_PORT_BASE:-21400}"
BIN="${EMPORIUM_BIN:-$ROOT/build/release/src/app/emporium}"
[[ -x "$BIN" ]] || die "no $BIN: build it (scripts/build.sh release) or set EMPORIUM_BIN"
for tool in wrk jq curl openssl; do
  command -v "$tool" >/dev/null || die "$tool is not installed (scripts/install-deps.sh installs it)"
done

WORK="$(mktemp -d /tmp/emporium-gateway-profile.XXXXXX)"
chmod 755 "$WORK"  # the postgres user writes its data dir under it
SERVICES=(users catalog inventory cart orders payments notifications gateway)
declare -A PORT PID

cleanup() {
  local name
  for name in "${SERVICES[@]}"; do
    [[ -n "${PID[$name]:-}" ]] && kill "${PID[$name]}" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  EMPORIUM_TEST_STATE="$WORK/servers" bash "$ROOT/scripts/test-servers.sh" stop >/dev/null 2>&1 || true
  if [[ "${BENCH_KEEP:-0}" == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

log "starting PostgreSQL and RabbitMQ (scripts/test-servers.sh) in $WORK/servers"
EMPORIUM_TEST_STATE="$WORK/servers" EMPORIUM_TEST_PG_FSYNC=off \
  bash "$ROOT/scripts/test-servers.sh" start >"$WORK/servers.log" 2>&1 ||
  die "the test servers did not start: $(tail -n 5 "$WORK/servers.log")"
# shellcheck disable=SC1091
source "$WORK/servers/env"

export EMPORIUM_POSTGRES_URL="${EMPORIUM_TEST_POSTGRES_URL%/*}/gwprof"
export EMPORIUM_AMQP_URL="$EMPORIUM_TEST_AMQP_URL" EMPORIUM_EVENTS_AMQP_PREFIX=gwprof.
export EMPORIUM_DATA_DIR="$WORK/data" EMPORIUM_RATE_LIMITS=off EMPORIUM_LOG_LEVEL=warn
EMPORIUM_SERVICE_SECRET="$(openssl rand -hex 32)"
export EMPORIUM_SERVICE_SECRET
mkdir -p "$EMPORIUM_DATA_DIR"
port="$PORT_BASE"
for name in "${SERVICES[@]}"; do
  pick_port "$port" "PORT[$name]"
  port=$((PORT[$name] + 1))
done
for name in users catalog inventory cart orders payments; do
  export "EMPORIUM_SERVICE_${name^^}_URLS=http://127.0.0.1:${PORT[$name]}"
done

"$BIN" migrate >"$WORK/migrate.log" 2>&1 || die "migrate failed: $(tail -n 5 "$WORK/migrate.log")"
"$BIN" seed --products "$PRODUCTS" >"$WORK/seed.log" 2>&1 ||
  die "seed failed: $(tail -n 5 "$WORK/seed.log")"
for name in "${SERVICES[@]}"; do
  trust=true
  [[ "$name" == gateway ]] && trust=false
  EMPORIUM_HTTP_TRUST_FORWARDED_FOR=$trust EMPORIUM_HTTP_TRUST_BUDGET_HEADER=$trust \
    EMPORIUM_ACCESS_LOG=false \
    "$BIN" serve --target="$name" --listen "127.0.0.1:${PORT[$name]}" >"$WORK/$name.log" 2>&1 &
  PID[$name]=$!
done
for name in "${SERVICES[@]}"; do
  wait_http "$name" "http://127.0.0.1:${PORT[$name]}/healthz" "${PID[$name]}" "$WORK/$name.log"
done

catalog="http://127.0.0.1:${PORT[catalog]}"
gateway="http://127.0.0.1:${PORT[gateway]}"
slug="$(curl -sf "$gateway/api/v1/products?limit=1" | jq -r '.items[0].slug')" ||
  die "the gateway did not list products: $(tail -n 5 "$WORK/gateway.log")"
[[ -n "$slug" && "$slug" != null ]] || die "no product listed through the gateway"
path="/api/v1/products/$slug"
bytes="$(curl -sf "$gateway$path" | wc -c)" || die "no $path through the gateway"
log "one product page, $bytes bytes: $path"

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz="$(getconf CLK_TCK)"

wrk -t1 -c"$CONNECTIONS" -d2s "$catalog$path" >/dev/null
direct="$(wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" "$catalog$path")"
wrk -t1 -c"$CONNECTIONS" -d2s "$gateway$path" >/dev/null
g0="$(ticks "${PID[gateway]}")"
c0="$(ticks "${PID[catalog]}")"
perf_pid=""
if command -v perf >/dev/null; then
  perf record -F 999 -g -p "${PID[gateway]}" -o "$WORK/perf.data" -- sleep "$DURATION" \
    >"$WORK/perf.log" 2>&1 &
  perf_pid=$!
fi
through="$(wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" "$gateway$path")"
[[ -n "$perf_pid" ]] && wait "$perf_pid" || true
g1="$(ticks "${PID[gateway]}")"
c1="$(ticks "${PID[catalog]}")"

rps() { awk '/^Requests\/sec/ {print int($2)}' <<<"$1"; }
count() { awk '/requests in/ {print $1}' <<<"$1"; }
n="$(count "$through")"
((n > 0)) || die "wrk made no request through the gateway"
# A page that stopped being a 200 would measure error pages, not the hop.
if grep -q "Non-2xx" <<<"$direct$through"; then
  die "some answers were not 2xx: $(grep Non-2xx <<<"$direct$through" | tr '\n' ' ')"
fi
echo "| target | req/s | CPU us per request (gateway / catalog) |"
echo "| --- | ---: | --- |"
echo "| catalog, direct | $(rps "$direct") | |"
echo "| through the gateway | $(rps "$through") | $(((g1 - g0) * 1000000 / hz / n)) / $(((c1 - c0) * 1000000 / hz / n)) |"
echo "(wrk -t1 -c$CONNECTIONS -d${DURATION}s, $bytes-byte cached product page; perf sampling adds a little to the gateway's CPU)"
if [[ -s "$WORK/perf.data" ]]; then
  echo
  echo "gateway CPU by shared object (perf):"
  # awk reads to the end: `head` would close the pipe early, and with
  # pipefail the script would exit 141 after printing.
  perf report -i "$WORK/perf.data" --no-children --sort dso -g none --stdio 2>/dev/null |
    awk '/%/ && n++ < 8'
  echo "top symbols:"
  perf report -i "$WORK/perf.data" --no-children --sort sym -g none --stdio 2>/dev/null |
    awk '/%/ && n++ < 15'
fi
