#!/usr/bin/env bash
# Events over RabbitMQ: the full outbox path beside a bare rabbitmq-c loop.
#
#   bench/events.sh
#   BENCH_MESSAGES=50000 bench/events.sh
#
# (1) a bare loop publishes BENCH_MESSAGES messages (an event's size) with
# publisher confirms in the relay's batch size (100) to a temporary queue and
# consumes them with manual acks (prefetch 32); (2) the same number of events
# are inserted into an outbox, 10 per transaction, on SQLite and (when a
# PostgreSQL URL is known) on PostgreSQL, while AmqpRelay and AmqpConsumer
# run: events/s from the first insert to the last handled, and the lag from
# each event's commit to its handler, p50 and p99. The ratio full/bare says
# what the outbox, the relay's confirm round trips and the consumer cost.
#
# Settings (environment):
#   EMPORIUM_TEST_AMQP_URL, EMPORIUM_TEST_POSTGRES_URL  default: the project's
#       running test servers (/tmp/emporium-test-servers/env); never started here
#   BENCH_MESSAGES=20000  BENCH_POSTGRES=1 (0: SQLite only)
#   EVENTS_BENCH   default build/release/bench/cpp/events_bench (built if missing)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

MESSAGES="${BENCH_MESSAGES:-20000}"
BIN="${EVENTS_BENCH:-build/release/bench/cpp/events_bench}"

if [[ -z "${EMPORIUM_TEST_AMQP_URL:-}" ]]; then
  [[ -f /tmp/emporium-test-servers/env ]] ||
    die "set EMPORIUM_TEST_AMQP_URL, or run scripts/test-servers.sh start first"
  # shellcheck disable=SC1091
  source /tmp/emporium-test-servers/env
fi

if [[ ! -x "$BIN" ]]; then
  [[ -f build/release/build.ninja ]] || cmake --preset release >&2
  cmake --build build/release --target events_bench >&2
fi

args=(--messages "$MESSAGES" --amqp "$EMPORIUM_TEST_AMQP_URL")
PG_URL=""
if [[ "${BENCH_POSTGRES:-1}" == 1 && -n "${EMPORIUM_TEST_POSTGRES_URL:-}" ]]; then
  PG_URL="$EMPORIUM_TEST_POSTGRES_URL"
  args+=(--postgres "$PG_URL")
else
  args+=(--no-postgres)
fi

cleanup() {
  local status=$? db
  # The bench's own PostgreSQL databases (<dbname>_eventsbench<N>).
  if [[ -n "$PG_URL" ]] && command -v psql >/dev/null 2>&1; then
    for db in $(psql "$PG_URL" -Atc "SELECT datname FROM pg_database WHERE datname LIKE '%\_eventsbench%'" 2>/dev/null); do
      psql "$PG_URL" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
    done
  fi
  exit "$status"
}
trap cleanup EXIT

log "events: $MESSAGES messages per path"
table="$("$BIN" "${args[@]}")"
stamp="$(date -u +%Y-%m-%d-%H%M%S)"
mkdir -p bench/results
out="bench/results/$stamp-events.md"
{
  echo "# Events over RabbitMQ ($stamp UTC)"
  echo
  echo "\`BENCH_MESSAGES=$MESSAGES bash bench/events.sh\` on $(nproc) cores ($(uname -m), $(hostname));"
  echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown); RabbitMQ, PostgreSQL and the"
  echo "bench share the machine's cores. Command: \`$BIN ${args[*]/$EMPORIUM_TEST_AMQP_URL/<amqp-url>}\`"
  echo
  echo "$table"
  echo
  echo "Bare: confirmed publishes in the relay's batches (AmqpRelay::kBatch) + manual-ack consumption,"
  echo "same body size;"
  echo "lag there is publish -> consume. Full: 10 events per outbox transaction, relay + consumer"
  echo "threads in the same process; lag is commit -> handler."
} | tee "$out"
log "wrote $out"
