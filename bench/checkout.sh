#!/usr/bin/env bash
# Checkout benchmark on PostgreSQL, beside pgbench in the same run.
#
#   bench/checkout.sh
#
# Starts Emporium on a fresh set of PostgreSQL databases, prepares products,
# buyers with sandbox card tokens and BENCH_CARTS filled carts, then has wrk
# check them out (POST /api/v1/orders: price the cart, reserve stock, charge
# the card through the sandbox provider over HTTP, confirm) at each
# concurrency in BENCH_CONCURRENCY. pgbench's TPC-B-like workload then runs
# at the same concurrency against the same server: a checkout is a few short
# transactions, so orders/s over pgbench's TPS says how close the saga gets
# to what the database can do on this machine.
#
# Events go through the test servers' RabbitMQ and every confirmation is
# mailed through their SMTP server, as in production; the lag from an
# order's commit to its confirmation mail being sent (p50/p99, from the
# emporium_event_lag_seconds histogram) is reported per level.
# BENCH_EVENTS=local keeps them in process (mail to data/mail).
#
# Settings (environment):
#   BENCH_POSTGRES_URL     a server whose user may CREATE DATABASE; default:
#                          the project's test servers (scripts/test-servers.sh)
#   BENCH_CONCURRENCY="16 64"  BENCH_DURATION=10  BENCH_CARTS=40000
#   BENCH_PGBENCH_SCALE=16  BENCH_EVENTS=amqp|local
#   EMPORIUM_BIN           default build/release/src/app/emporium
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

CONCURRENCY="${BENCH_CONCURRENCY:-16 64}"
DURATION="${BENCH_DURATION:-10}"
CARTS="${BENCH_CARTS:-40000}"
SCALE="${BENCH_PGBENCH_SCALE:-16}"
THREADS=2
BIN="${EMPORIUM_BIN:-build/release/src/app/emporium}"

for tool in wrk curl pgbench psql python3 ss; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found (run scripts/install-deps.sh)"
done
[[ -x "$BIN" ]] || bash scripts/build.sh release

PG_URL="${BENCH_POSTGRES_URL:-}"
EVENTS="${BENCH_EVENTS:-amqp}"
if [[ -z "$PG_URL" || "$EVENTS" == amqp ]]; then
  # Reuse the test servers when they are up (restarting them would cut off
  # whoever else uses them); start them otherwise.
  bash scripts/test-servers.sh status >/dev/null 2>&1 || bash scripts/test-servers.sh start >&2
  # shellcheck disable=SC1091
  source /tmp/emporium-test-servers/env
  PG_URL="${PG_URL:-$EMPORIUM_TEST_POSTGRES_URL}"
fi
PG_BASE="${PG_URL%/*}"
NAME="benchco$$"

work="$(mktemp -d /tmp/emporium-bench-checkout.XXXXXX)"
pids=()
cleanup() {
  local status=$? pid db
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  for db in $(psql "$PG_URL" -Atc "SELECT datname FROM pg_database WHERE datname LIKE '${NAME}%'" 2>/dev/null); do
    psql "$PG_URL" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
  done
  [[ $status -ne 0 || "${BENCH_KEEP:-0}" == 1 ]] && log "kept $work" || rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT

pick_port 18600 PORT
export EMPORIUM_POSTGRES_URL="$PG_BASE/$NAME" EMPORIUM_RATE_LIMITS=off EMPORIUM_LOG_LEVEL=warn
export EMPORIUM_DATA_DIR="$work/data"
if [[ "$EVENTS" == amqp ]]; then
  export EMPORIUM_AMQP_URL="$EMPORIUM_TEST_AMQP_URL" EMPORIUM_EVENTS_AMQP_PREFIX="bench$$."
  export EMPORIUM_SMTP_URL="$EMPORIUM_TEST_SMTP_URL"
fi

metrics() { curl -fsS "http://127.0.0.1:$PORT/metrics"; }
# Waits until the notifications consumer has handled everything (its count
# stops moving), so one level's backlog does not count against the next.
drain_events() {
  local last=-1 now tries=0
  while ((tries < 240)); do
    now="$(metrics | awk '/^emporium_events_handled_total\{consumer="notifications"\}/ { print $2 }')"
    [[ "$now" == "$last" ]] && return 0
    last="$now"
    tries=$((tries + 1))
    sleep 1
  done
  log "warning: the notifications consumer did not catch up"
}
"$BIN" user create --admin --email admin@bench.example --password bench-admin-1 >/dev/null
"$BIN" serve --listen "127.0.0.1:$PORT" >"$work/emporium.log" 2>&1 &
pids+=($!)
wait_http emporium "http://127.0.0.1:$PORT/readyz" "${pids[-1]}" "$work/emporium.log"
ADMIN="$(curl -fsS -H 'Content-Type: application/json' \
  -d '{"email":"admin@bench.example","password":"bench-admin-1"}' \
  "http://127.0.0.1:$PORT/api/v1/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"

log "preparing $CARTS carts"
started=$SECONDS
python3 bench/py/checkout_setup.py "http://127.0.0.1:$PORT" "$ADMIN" "$work/carts.tsv" "$CARTS"
log "prepared in $((SECONDS - started)) s"

log "pgbench: initialising scale $SCALE"
psql "$PG_URL" -qc "CREATE DATABASE ${NAME}_pgbench" >/dev/null
pgbench -q -i -s "$SCALE" "$PG_BASE/${NAME}_pgbench" >/dev/null 2>&1

results=()
offset=0
for c in $CONCURRENCY; do
  # Each level checks out carts no earlier level touched.
  tail -n +"$((offset + 1))" "$work/carts.tsv" >"$work/carts-$c.tsv"
  drain_events
  metrics >"$work/metrics-before-$c.txt"
  log "checkout at $c buyers, ${DURATION}s"
  BENCH_CARTS="$work/carts-$c.tsv" BENCH_WRK_THREADS=$THREADS \
    wrk -t"$THREADS" -c"$c" -d"${DURATION}s" --latency -s bench/lua/checkout.lua \
    "http://127.0.0.1:$PORT" >"$work/wrk-$c.txt"
  read -r rps p50 p99 bad < <(parse_wrk "$work/wrk-$c.txt")
  drain_events
  metrics >"$work/metrics-after-$c.txt"
  read -r mailed lag50 lag99 < <(python3 bench/py/event_lag.py "$work/metrics-before-$c.txt" \
    "$work/metrics-after-$c.txt" notifications)
  done_orders="$(awk '/requests in/ { print $1 }' "$work/wrk-$c.txt")"
  offset=$((offset + done_orders))
  ((offset < CARTS)) || log "warning: ran out of carts; raise BENCH_CARTS"
  log "pgbench at $c clients, ${DURATION}s"
  tps="$(pgbench -n -c "$c" -j "$THREADS" -T "$DURATION" "$PG_BASE/${NAME}_pgbench" 2>/dev/null |
    awk '/^tps = / { print $3; exit }')"
  ratio="$(awk -v a="$rps" -v b="$tps" 'BEGIN { printf "%.2f", a / b }')"
  results+=("| $c | $rps | $p50 | $p99 | $bad | $tps | ${ratio}x | $mailed | ≤ $lag50 | ≤ $lag99 |")
done

orders="$(psql "$PG_BASE/${NAME}_orders" -Atc "SELECT count(*) FROM orders WHERE status = 'confirmed'")"
oversold="$(psql "$PG_BASE/${NAME}_inventory" -Atc "SELECT count(*) FROM stock WHERE reserved > on_hand")"
stamp="$(date -u +%Y-%m-%d-%H%M%S)"
mkdir -p bench/results
out="bench/results/$stamp-checkout-postgresql.md"
{
  echo "# Checkout on PostgreSQL beside pgbench ($stamp UTC)"
  echo
  echo "\`bash bench/checkout.sh\` on $(nproc) cores; wrk -t$THREADS, ${DURATION}s per level;"
  echo "each request checks out its own cart (1-3 lines) and pays by card through the"
  echo "sandbox provider over HTTP. pgbench: TPC-B-like, scale $SCALE, same server, same run."
  echo
  echo "Events: $EVENTS (amqp: outbox -> relay -> RabbitMQ -> notifications consumer -> SMTP)."
  echo "Lag: from the order's commit to its confirmation mail sent, histogram buckets."
  echo
  echo "| buyers | orders/s | p50 ms | p99 ms | errors | pgbench TPS | orders/s ÷ TPS | mails | lag p50 ms | lag p99 ms |"
  echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  printf '%s\n' "${results[@]}"
  echo
  echo "Confirmed orders in the database: $orders. SKUs with reserved > on_hand: $oversold."
} | tee "$out"
log "wrote $out"
