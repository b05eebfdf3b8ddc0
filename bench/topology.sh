#!/usr/bin/env bash
# Topology benchmark: the same workload against the monolith and the
# microservices cluster, in one run on this machine (issue 15, "Bench").
#
#   bench/topology.sh
#   BENCH_QUICK=1 bench/topology.sh      # smoke run: small catalog, 2 s runs (~2 min)
#
# 1. Starts the services topology with scripts/cluster (nginx with TLS -> 2
#    gateways -> users, catalog x2, inventory, cart, orders, payments,
#    notifications, the card sandbox; PostgreSQL, Redis, RabbitMQ and SMTP
#    from scripts/test-servers.sh) in a private folder on free ports, and the
#    monolith (`emporium serve`, target all) on the very same backing
#    servers: databases of its own (prefix benchmono), Redis database 1,
#    RabbitMQ names of its own, the cluster's card sandbox. Both are seeded
#    with the same BENCH_PRODUCTS products (same seed: the same catalog);
#    rate limits and access logs off, log level warn, in both.
# 2. Browsing: bench/py/catalog_workload.py records Zipf(1.0) product-detail
#    paths, a category listing and 200 searches, from each topology (the two
#    recordings must match: same catalog, and both get the same warm-up);
#    "mix" interleaves them 8:1:1. wrk replays each workload against the
#    monolith, gateway-1 (plain HTTP) and nginx (https), in turn, BENCH_RUNS
#    times: medians of req/s, p50, p99 and the ratio to the monolith.
# 3. Hops: one cached product at BENCH_HOP_CONNECTIONS connection(s)
#    (latency, not throughput) against catalog-1, gateway-1, nginx and the
#    monolith; the differences of the p50s are what a gateway hop and the
#    nginx (TLS) hop cost, in microseconds.
# 4. Checkouts: bench/py/checkout_setup.py fills BENCH_CARTS carts in each
#    topology (buyers, sandbox card tokens), then bench/lua/checkout.lua has
#    wrk check them out for BENCH_CHECKOUT_DURATION s against the monolith
#    and gateway-1: orders/s, p50, p99.
# Around every measured run the CPU time of the topology's own processes
# and of the shared backing servers (PostgreSQL, Redis, RabbitMQ, SMTP,
# sandbox) is read from /proc: server CPU per request, and what one fully
# busy core would serve, for a capacity plan (wrk's own CPU is not in it).
# Prints a markdown table and the commands, writes them to
# bench/results/<date>-topology.md, and stops everything it started
# (scripts/cluster down) however it ends.
#
# Settings (environment):
#   BENCH_PRODUCTS=10000  BENCH_DURATION=10 (s per run)  BENCH_RUNS=3 (medians)
#   BENCH_THREADS=2  BENCH_CONNECTIONS=64  BENCH_WARMUP=2 (s, unmeasured, per target)
#   BENCH_WORKLOADS="mix product listing search"
#   BENCH_HOP_CONNECTIONS=1  BENCH_HOP_DURATION=$BENCH_DURATION
#   BENCH_CHECKOUT_DURATION=10  BENCH_CHECKOUT_CONNECTIONS=16  BENCH_CARTS=5000 (per topology)
#   BENCH_MONOLITH_POOL_SIZE=8   the monolith's PostgreSQL pool per service (the
#                                cluster runs 4 per service and process; both
#                                must fit the server's 200 connections)
#   BENCH_PORT_BASE=23000        ports are the first free ones from here (tests use 20000-20999)
#   BENCH_QUICK=1                defaults for a smoke run: 500 products, 2 s, 1 run, 600 carts
#   BENCH_KEEP=1                 keep the temporary folder (logs, workloads, wrk output)
#   EMPORIUM_BIN                 default build/release/src/app/emporium (built if missing)
#   EMPORIUM_CLUSTER_GATEWAY_INSTANCES, EMPORIUM_CLUSTER_CATALOG_INSTANCES  as scripts/cluster
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

if [[ "${BENCH_QUICK:-0}" == 1 ]]; then
  : "${BENCH_PRODUCTS:=500}" "${BENCH_DURATION:=2}" "${BENCH_RUNS:=1}" "${BENCH_WARMUP:=1}"
  : "${BENCH_CHECKOUT_DURATION:=2}" "${BENCH_CARTS:=600}"
fi
PRODUCTS="${BENCH_PRODUCTS:-10000}"
DURATION="${BENCH_DURATION:-10}"
RUNS="${BENCH_RUNS:-3}"
THREADS="${BENCH_THREADS:-2}"
CONNECTIONS="${BENCH_CONNECTIONS:-64}"
WARMUP="${BENCH_WARMUP:-2}"
WORKLOADS="${BENCH_WORKLOADS:-mix product listing search}"
HOP_CONNECTIONS="${BENCH_HOP_CONNECTIONS:-1}"
HOP_DURATION="${BENCH_HOP_DURATION:-$DURATION}"
CHECKOUT_DURATION="${BENCH_CHECKOUT_DURATION:-10}"
CHECKOUT_CONNECTIONS="${BENCH_CHECKOUT_CONNECTIONS:-16}"
CARTS="${BENCH_CARTS:-5000}"
MONO_POOL="${BENCH_MONOLITH_POOL_SIZE:-8}"
PORT_BASE="${BENCH_PORT_BASE:-23000}"
GATEWAYS="${EMPORIUM_CLUSTER_GATEWAY_INSTANCES:-2}"
CATALOGS="${EMPORIUM_CLUSTER_CATALOG_INSTANCES:-2}"
CORES="$(nproc)"
CLK_TCK="$(getconf CLK_TCK)"
BIN="${EMPORIUM_BIN:-build/release/src/app/emporium}"

for tool in wrk curl jq python3 ss psql nginx openssl ps; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found (run scripts/install-deps.sh)"
done
for w in $WORKLOADS; do
  [[ "$w" =~ ^(mix|product|listing|search)$ ]] || die "unknown workload '$w' in BENCH_WORKLOADS"
done
[[ -x "$BIN" ]] || bash scripts/build.sh release
# scripts/cluster resolves it from its own folder; one absolute path for both.
BIN="$(realpath "$BIN")"
export EMPORIUM_BIN="$BIN"

work="$(mktemp -d /tmp/emporium-bench-topology.XXXXXX)"
# The cluster's PostgreSQL runs as the postgres user and keeps its data in here.
chmod 755 "$work"
mono_pid=""
cluster_started=0
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  # The monolith first: it holds connections to the cluster's PostgreSQL.
  if [[ -n "$mono_pid" ]]; then
    kill -TERM "$mono_pid" 2>/dev/null || true
    wait "$mono_pid" 2>/dev/null || true
  fi
  if ((cluster_started)); then
    bash scripts/cluster down >>"$work/cluster.log" 2>&1 || {
      log "scripts/cluster down failed; see $work/cluster.log"
      ((status)) || status=1
    }
  fi
  if [[ "${BENCH_KEEP:-0}" == 1 ]]; then
    log "kept $work"
  elif ((status)); then
    # Keep the logs to read; the databases and metrics (hundreds of MB) go.
    rm -rf "$work/cluster/servers/postgres/data" "$work/cluster/prometheus/data" "$work/cluster/servers/rabbitmq/mnesia"
    log "kept $work (logs)"
  else
    rm -rf "$work"
  fi
  exit "$status"
}
trap cleanup EXIT
# Ctrl-C or a kill still goes through cleanup (the EXIT trap).
trap 'exit 130' INT
trap 'exit 143' TERM

# --- ports: all free ones from PORT_BASE, never the defaults a running cluster holds
MONO_PORT="" HTTPS_PORT="" HTTP_PORT="" SANDBOX_PORT="" PROMETHEUS_PORT="" GATEWAY_PORT="" SERVICE_PORT=""
pick_port "$PORT_BASE" MONO_PORT
pick_port "$PORT_BASE" HTTPS_PORT
pick_port "$PORT_BASE" HTTP_PORT
pick_port "$PORT_BASE" SANDBOX_PORT
pick_port "$PORT_BASE" PROMETHEUS_PORT
pick_range "$PORT_BASE" "$GATEWAYS" GATEWAY_PORT
# users, catalog x N, inventory, cart, orders, payments, notifications
pick_range "$PORT_BASE" "$((6 + CATALOGS))" SERVICE_PORT
# Exported: every scripts/cluster call (up, status, env, down) must see the
# same ports, as `env` and `status` recompute them from the environment.
export EMPORIUM_CLUSTER_DIR="$work/cluster" EMPORIUM_CLUSTER_TOPOLOGY=services \
  EMPORIUM_CLUSTER_HTTPS_PORT="$HTTPS_PORT" EMPORIUM_CLUSTER_HTTP_PORT="$HTTP_PORT" \
  EMPORIUM_CLUSTER_SANDBOX_PORT="$SANDBOX_PORT" EMPORIUM_CLUSTER_PROMETHEUS_PORT="$PROMETHEUS_PORT" \
  EMPORIUM_CLUSTER_GATEWAY_PORT="$GATEWAY_PORT" EMPORIUM_CLUSTER_SERVICE_PORT="$SERVICE_PORT" \
  EMPORIUM_CLUSTER_GATEWAY_INSTANCES="$GATEWAYS" EMPORIUM_CLUSTER_CATALOG_INSTANCES="$CATALOGS"

# --- the cluster -----------------------------------------------------------------
log "starting the cluster in $EMPORIUM_CLUSTER_DIR (log: $work/cluster.log)"
cluster_started=1
# scripts/cluster passes the caller's EMPORIUM_* variables on to every
# emporium process it launches.
EMPORIUM_RATE_LIMITS=off EMPORIUM_ACCESS_LOG=off EMPORIUM_LOG_LEVEL=warn \
  bash scripts/cluster up >>"$work/cluster.log" 2>&1 || {
  tail -n 30 "$work/cluster.log" >&2
  die "scripts/cluster up failed"
}
bash scripts/cluster status --json >"$work/status.json" || {
  cat "$work/status.json" >&2
  die "the cluster is not healthy"
}
mapfile -t CLUSTER_ENV < <(bash scripts/cluster env)
cenv() { printf '%s\n' "${CLUSTER_ENV[@]}" | sed -n "s/^$1=//p"; }
port_of() { jq -r --arg n "$1" '.[] | select(.name == $n) | .port' "$work/status.json"; }
# Whose CPU counts for what: each process (and everything below it) by its
# kind; a topology's own kinds are its "app", the servers both topologies
# share are "backing". Prometheus (it scrapes every 5 s) is neither.
ROOTS="$(jq -r '.[] | select(.pid != null and .kind != "prometheus") | "\(.pid)=\(.kind)"' "$work/status.json" | tr '\n' ' ')"
CLUSTER_KINDS=(gateway nginx users catalog inventory cart orders payments notifications)
BACKING_KINDS=(postgres redis rabbitmq payment-sandbox smtp)
mapfile -t CLUSTER_EMPORIUM_PORTS < <(jq -r '.[] | select(.kind | IN("gateway", "users", "catalog",
  "inventory", "cart", "orders", "payments", "notifications")) | .port' "$work/status.json")
GW_URL="http://127.0.0.1:$(port_of gateway-1)"
CAT_URL="http://127.0.0.1:$(port_of catalog-1)"
NGINX_URL="https://127.0.0.1:$HTTPS_PORT"
MONO_URL="http://127.0.0.1:$MONO_PORT"

# --- the monolith, on the cluster's backing servers ----------------------------
PG_URL="$(cenv EMPORIUM_POSTGRES_URL)"
PG_BASE="${PG_URL%/*}"
REDIS_URL="$(cenv EMPORIUM_REDIS_URL)"
# Its own database names (benchmono_catalog, ...), Redis database and RabbitMQ
# names; the same sandbox, SMTP sink and key-encryption key as the cluster. No
# service credential: a monolith has no internal routes to guard.
MONO_ENV=(
  "EMPORIUM_POSTGRES_URL=$PG_BASE/benchmono"
  "EMPORIUM_POSTGRES_POOL_SIZE=$MONO_POOL"
  "EMPORIUM_REDIS_URL=${REDIS_URL%/*}/1"
  "EMPORIUM_AMQP_URL=$(cenv EMPORIUM_AMQP_URL)"
  EMPORIUM_EVENTS_AMQP_PREFIX=benchmono.
  "EMPORIUM_SMTP_URL=$(cenv EMPORIUM_SMTP_URL)"
  "EMPORIUM_PAYMENT_PROVIDER_URL=$(cenv EMPORIUM_PAYMENT_PROVIDER_URL)"
  "EMPORIUM_SANDBOX_SECRET=$(cenv EMPORIUM_SANDBOX_SECRET)"
  "EMPORIUM_KEY_ENCRYPTION_KEY=$(cenv EMPORIUM_KEY_ENCRYPTION_KEY)"
  "EMPORIUM_DATA_DIR=$work/monolith"
  EMPORIUM_RATE_LIMITS=off EMPORIUM_ACCESS_LOG=off EMPORIUM_LOG_LEVEL=warn
)
env "${MONO_ENV[@]}" "$BIN" migrate >"$work/monolith-migrate.log" 2>&1 || {
  cat "$work/monolith-migrate.log" >&2
  die "emporium migrate (monolith) failed"
}

# --- the same catalog and an admin in both ---------------------------------------
seed_and_admin() {
  local name="$1" started=$SECONDS
  shift
  env "$@" EMPORIUM_LOG_LEVEL=warn "$BIN" seed --products "$PRODUCTS" --seed 1 >"$work/seed-$name.log" 2>&1 || {
    cat "$work/seed-$name.log" >&2
    die "seeding the $name failed"
  }
  env "$@" EMPORIUM_LOG_LEVEL=warn "$BIN" user create --admin --email admin@bench.example \
    --password bench-admin-1 >>"$work/seed-$name.log" 2>&1 || die "user create failed ($name)"
  log "seeded $PRODUCTS products into the $name in $((SECONDS - started)) s"
}
seed_and_admin cluster "${CLUSTER_ENV[@]}"
seed_and_admin monolith "${MONO_ENV[@]}"

env "${MONO_ENV[@]}" "$BIN" serve --listen "127.0.0.1:$MONO_PORT" >"$work/monolith.log" 2>&1 </dev/null &
mono_pid=$!
ROOTS+="$mono_pid=monolith"
wait_http monolith "$MONO_URL/readyz" "$mono_pid" "$work/monolith.log"

# --- measuring -------------------------------------------------------------------

# snapshot FILE: "pid kind cpu-ticks" (user + system) for every process of
# ROOTS and every process below one (PostgreSQL's backends, nginx's workers,
# RabbitMQ's helpers), which counts as its root's kind.
snapshot() {
  ps -e -o pid=,ppid= | awk -v roots="$ROOTS" '
    { parent[$1] = $2; pid[++n] = $1 }
    END {
      m = split(roots, r, " ")
      for (i = 1; i <= m; i++) { split(r[i], kv, "="); kind[kv[1]] = kv[2] }
      for (i = 1; i <= n; i++) {
        p = pid[i]; q = p; hops = 0
        while (!(q in kind) && (q in parent) && q > 1 && hops++ < 64) q = parent[q]
        if (!(q in kind)) continue
        file = "/proc/" p "/stat"
        if ((getline line < file) > 0) {
          sub(/^.*\) /, "", line)
          split(line, f, " ")
          print p, kind[q], f[12] + f[13]
        }
        close(file)
      }
    }' >"$1"
}

# cpu_by_kind BEFORE AFTER: "kind ms" lines, CPU milliseconds spent between the
# snapshots (a process that started in between counts from zero).
cpu_by_kind() {
  awk -v hz="$CLK_TCK" 'NR == FNR { a[$1] = $3; next } { d[$2] += $3 - ($1 in a ? a[$1] : 0) }
    END { for (k in d) printf "%s %.0f\n", k, d[k] * 1000 / hz }' "$1" "$2"
}

# us_per_request CPU_FILE KIND...: CPU us per request of those kinds, over every
# run in CPU_FILE (lines "requests kind ms kind ms ...").
us_per_request() {
  awk -v kinds=" ${*:2} " '{ n += $1; for (i = 2; i < NF; i += 2) if (index(kinds, " " $i " ")) ms += $(i + 1) }
    END { printf "%.1f", n ? ms * 1000 / n : 0 }' "$1"
}

app_kinds() { if [[ "$1" == monolith ]]; then echo monolith; else echo "${CLUSTER_KINDS[*]}"; fi; }
url_of() {
  case "$1" in
    monolith) echo "$MONO_URL" ;;
    catalog) echo "$CAT_URL" ;;
    gateway) echo "$GW_URL" ;;
    nginx) echo "$NGINX_URL" ;;
  esac
}

# measure LABEL TARGET RUNS_FILE COMMAND...: runs the wrk COMMAND and appends
# "req/s p50_ms p99_ms bad requests app_cpu_us/req backing_cpu_us/req" to
# RUNS_FILE, and "requests kind ms kind ms ..." to RUNS_FILE.cpu.
measure() {
  local label="$1" target="$2" runs="$3" parsed requests app back rps p50 p99 bad
  shift 3
  snapshot "$work/cpu.0"
  "$@" >"$work/wrk.out" 2>&1 || {
    cat "$work/wrk.out" >&2
    die "wrk failed: $*"
  }
  snapshot "$work/cpu.1"
  parsed="$(parse_wrk "$work/wrk.out")" || die "could not parse wrk output ($label)"
  requests="$(awk '/ requests in / { print $1 }' "$work/wrk.out")"
  echo "$requests $(cpu_by_kind "$work/cpu.0" "$work/cpu.1" | sort | tr '\n' ' ')" >"$work/run.cpu"
  cat "$work/run.cpu" >>"$runs.cpu"
  # shellcheck disable=SC2046
  app="$(us_per_request "$work/run.cpu" $(app_kinds "$target"))"
  back="$(us_per_request "$work/run.cpu" "${BACKING_KINDS[@]}")"
  echo "$parsed $requests $app $back" >>"$runs"
  read -r rps p50 p99 bad _ <<<"$parsed"
  ((bad == 0)) || log "warning: $label: $bad non-2xx/3xx responses or socket errors"
  log "  $(printf '%-26s %9.0f req/s  p50 %8.3f ms  p99 %8.3f ms  CPU %7.1f + %7.1f us/req' \
    "$label" "$rps" "$p50" "$p99" "$app" "$back")"
}

# col RUNS_FILE N: the median of column N over the runs; sum_col: the sum.
col() {
  local -a v
  mapfile -t v < <(cut -d' ' -f"$2" "$1")
  median "${v[@]}"
}
sum_col() { awk -v c="$2" '{ s += $c } END { printf "%d", s }' "$1"; }

# Sums every consumer's handled-events counter over both topologies; drain
# waits until it stops moving, so one phase's event backlog (mails, stock
# events) is not worked off during the next measurement.
events_handled() {
  local port total=0 n
  for port in "$MONO_PORT" "${CLUSTER_EMPORIUM_PORTS[@]}"; do
    n="$(curl -fsS --max-time 5 "http://127.0.0.1:$port/metrics" 2>/dev/null |
      awk '/^emporium_events_handled_total/ { s += $NF } END { printf "%d", s }')" || n=0
    total=$((total + ${n:-0}))
  done
  echo "$total"
}
drain() {
  local last=-1 now deadline=$((SECONDS + 120))
  while ((SECONDS < deadline)); do
    now="$(events_handled)"
    [[ "$now" == "$last" ]] && return 0
    last="$now"
    sleep 1
  done
  log "warning: the event consumers did not settle within 120 s"
}

# --- 2. browsing ---------------------------------------------------------------------
log "recording the browse workload from the monolith and from the cluster (also warms both)"
python3 bench/py/catalog_workload.py "$MONO_URL" "$work/wl" "$PRODUCTS"
python3 bench/py/catalog_workload.py "$GW_URL" "$work/wl-cluster" "$PRODUCTS"
for f in product-paths listing-paths search-paths; do
  cmp -s "$work/wl/$f" "$work/wl-cluster/$f" || die "the topologies serve different catalogs ($f differs)"
done
curl -fsSk -o /dev/null "$NGINX_URL$(head -n 1 "$work/wl/listing-paths")" || die "nginx does not answer the listing"
# mix: after every 8 product pages, the listing and one search (80/10/10).
awk -v listing="$(head -n 1 "$work/wl/listing-paths")" '
  NR == FNR { search[n++] = $0; next }
  { print; if (FNR % 8 == 0) { print listing; print search[k++ % n] } }' \
  "$work/wl/search-paths" "$work/wl/product-paths" >"$work/wl/mix-paths"

BROWSE_TARGETS=(monolith gateway nginx)
WRK=(wrk "-t$THREADS" "-c$CONNECTIONS" "-d${DURATION}s" --latency -s bench/lua/paths.lua)
for w in $WORKLOADS; do
  paths="$work/wl/$w-paths"
  log "browse: $w ($(sort -u "$paths" | wc -l) distinct URLs)"
  for t in "${BROWSE_TARGETS[@]}"; do
    : >"$work/runs-$w-$t" && : >"$work/runs-$w-$t.cpu"
    ((WARMUP == 0)) || BENCH_PATHS="$paths" wrk "-t$THREADS" "-c$CONNECTIONS" "-d${WARMUP}s" \
      -s bench/lua/paths.lua "$(url_of "$t")" >/dev/null 2>&1 || true
  done
  # The targets take turns within each run, so a noisy minute hits all three.
  for ((run = 1; run <= RUNS; run++)); do
    for t in "${BROWSE_TARGETS[@]}"; do
      measure "$w $t" "$t" "$work/runs-$w-$t" env "BENCH_PATHS=$paths" "${WRK[@]}" "$(url_of "$t")"
    done
  done
done

# --- 3. the cost of each hop ---------------------------------------------------------
# The most requested product of the Zipf sample: cached everywhere by now.
HOP_PATH="$(sort "$work/wl/product-paths" | uniq -c | sort -k1,1nr -k2,2 | awk 'NR == 1 { print $2 }')"
HOP_TARGETS=(catalog gateway nginx monolith)
HOP_WRK=(wrk -t1 "-c$HOP_CONNECTIONS" "-d${HOP_DURATION}s" --latency)
log "hops: GET $HOP_PATH at $HOP_CONNECTIONS connection(s)"
for t in "${HOP_TARGETS[@]}"; do
  : >"$work/hop-$t" && : >"$work/hop-$t.cpu"
  ((WARMUP == 0)) || wrk -t1 "-c$HOP_CONNECTIONS" "-d${WARMUP}s" "$(url_of "$t")$HOP_PATH" >/dev/null 2>&1 || true
done
for ((run = 1; run <= RUNS; run++)); do
  for t in "${HOP_TARGETS[@]}"; do
    measure "hop $t" "$t" "$work/hop-$t" "${HOP_WRK[@]}" "$(url_of "$t")$HOP_PATH"
  done
done

# --- 4. checkouts --------------------------------------------------------------------
login() {
  curl -fsS -H 'Content-Type: application/json' \
    -d '{"email":"admin@bench.example","password":"bench-admin-1"}' "$1/api/v1/auth/login" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}
for t in monolith gateway; do
  started=$SECONDS
  python3 bench/py/checkout_setup.py "$(url_of "$t")" "$(login "$(url_of "$t")")" "$work/carts-$t.tsv" "$CARTS"
  log "checkout: $CARTS carts prepared through the $t in $((SECONDS - started)) s"
done
for t in monolith gateway; do
  drain
  : >"$work/checkout-$t" && : >"$work/checkout-$t.cpu"
  measure "checkout $t" "$t" "$work/checkout-$t" env "BENCH_CARTS=$work/carts-$t.tsv" \
    "BENCH_WRK_THREADS=$THREADS" wrk "-t$THREADS" "-c$CHECKOUT_CONNECTIONS" "-d${CHECKOUT_DURATION}s" \
    --latency -s bench/lua/checkout.lua "$(url_of "$t")"
  (($(sum_col "$work/checkout-$t" 5) < CARTS)) || log "warning: $t ran out of carts; raise BENCH_CARTS"
done
confirmed() { psql "$PG_BASE/$1_orders" -Atc "SELECT count(*) FROM orders WHERE status = 'confirmed'" 2>/dev/null || echo "?"; }
declare -A CONFIRMED=([monolith]="$(confirmed benchmono)" [gateway]="$(confirmed emporium)")
PG_CONNECTIONS="$(psql "$PG_URL" -Atc 'SELECT count(*) FROM pg_stat_activity WHERE datname IS NOT NULL' 2>/dev/null || echo "?")"

# --- report --------------------------------------------------------------------------
f2() { awk -v v="$1" 'BEGIN { printf "%.2f", v }'; }
f0() { awk -v v="$1" 'BEGIN { printf "%.0f", v }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
# per_busy_core APP_US BACKING_US: requests one core would serve at 100 % CPU.
per_busy_core() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (a + b > 0 ? 1e6 / (a + b) : 0) }'; }
declare -A PATH_NAME=([monolith]="monolith" [catalog]="catalog-1 direct" [gateway]="cluster via gateway-1"
  [nginx]="cluster via nginx (TLS)")
us() { awk -v v="$1" 'BEGIN { printf "%.0f", v * 1000 }'; }

stamp="$(date -u +%Y-%m-%d-%H%M%S)"
commit="$(git rev-parse --short HEAD 2>/dev/null || echo none)"
git diff --quiet HEAD 2>/dev/null || commit="$commit (with uncommitted changes)"
mkdir -p bench/results
out="bench/results/$stamp-topology.md"
{
  echo "# Monolith vs services cluster, same workload, one run ($stamp UTC)"
  echo
  echo "- commit: $commit; machine: $CORES cores ($(uname -m)), shared by wrk, both topologies and their servers"
  echo "- catalog: $PRODUCTS seeded products (\`emporium seed --products $PRODUCTS --seed 1\`) in each topology"
  echo "- cluster: nginx (TLS, ${GATEWAYS} gateways upstream) -> gateways -> users, catalog x$CATALOGS, inventory, cart, orders,"
  echo "  payments, notifications; PostgreSQL pool ${EMPORIUM_POSTGRES_POOL_SIZE:-4} per service and process. Monolith: \`emporium serve\` (target all),"
  echo "  pool $MONO_POOL per service, on the same PostgreSQL, Redis, RabbitMQ, SMTP sink and card sandbox"
  echo "- both: EMPORIUM_RATE_LIMITS=off EMPORIUM_ACCESS_LOG=off EMPORIUM_LOG_LEVEL=warn; nginx keeps its access log"
  echo "  (deploy/nginx/cluster.conf.template) and Prometheus scrapes the cluster every 5 s, as \`scripts/cluster up\` sets them"
  echo "- $RUNS run(s) of each measurement, targets taking turns; medians. CPU: user + system time of the"
  echo "  topology's processes (app) and of the shared servers (backing: PostgreSQL, Redis, RabbitMQ, SMTP, sandbox)"
  echo "  per request, from /proc; \"per busy core\" = 10^6 / (app + backing) us. \"÷ cores\" = req/s / $CORES."
  echo
  echo "## Browsing (\`wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s\`)"
  echo
  echo "| workload | path | req/s | p50 ms | p99 ms | vs monolith | req/s ÷ cores | CPU us/req app + backing | req/s per busy core | errors |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  for w in $WORKLOADS; do
    mono_rps="$(col "$work/runs-$w-monolith" 1)"
    for t in "${BROWSE_TARGETS[@]}"; do
      r="$work/runs-$w-$t"
      rps="$(col "$r" 1)" app="$(col "$r" 6)" back="$(col "$r" 7)"
      echo "| $w | ${PATH_NAME[$t]} | $(f0 "$rps") | $(f2 "$(col "$r" 2)") | $(f2 "$(col "$r" 3)") |" \
        "$(ratio "$rps" "$mono_rps")x | $(f0 "$(ratio "$rps" "$CORES")") | $(f0 "$app") + $(f0 "$back") |" \
        "$(per_busy_core "$app" "$back") | $(sum_col "$r" 4) |"
    done
  done
  if [[ " $WORKLOADS " == *" mix "* ]]; then
    goal="$(ratio "$(col "$work/runs-mix-nginx" 1)" "$(col "$work/runs-mix-monolith" 1)")"
    echo
    echo "Goal (issue 15): the cluster within 0.5x of the monolith's throughput. Mix through nginx: ${goal}x," \
      "$(awk -v g="$goal" 'BEGIN { print (g >= 0.5 ? "met" : "not met") }')."
  fi
  echo
  echo "Workload: product ids Zipf(1.0) over all $PRODUCTS products (20,000 draws, $(sort -u "$work/wl/product-paths" | wc -l) distinct);"
  echo "listing \`$(head -n 1 "$work/wl/listing-paths")\`; 200 searches \`?q=<word from a product title>\`;"
  echo "mix: 8 product pages, then the listing and one search, repeated (80/10/10)."
  echo
  echo "## Hops (\`wrk -t1 -c$HOP_CONNECTIONS -d${HOP_DURATION}s\`, GET $HOP_PATH, cached)"
  echo
  echo "| path | p50 us | p99 us | req/s | CPU us/req app + backing |"
  echo "| --- | ---: | ---: | ---: | ---: |"
  for t in "${HOP_TARGETS[@]}"; do
    r="$work/hop-$t"
    echo "| ${PATH_NAME[$t]} | $(us "$(col "$r" 2)") | $(us "$(col "$r" 3)") | $(f0 "$(col "$r" 1)") |" \
      "$(f0 "$(col "$r" 6)") + $(f0 "$(col "$r" 7)") |"
  done
  c50="$(us "$(col "$work/hop-catalog" 2)")" g50="$(us "$(col "$work/hop-gateway" 2)")"
  n50="$(us "$(col "$work/hop-nginx" 2)")" m50="$(us "$(col "$work/hop-monolith" 2)")"
  echo
  echo "- gateway hop (gateway-1 p50 - catalog-1 p50): $((g50 - c50)) us"
  echo "- nginx TLS hop (nginx p50 - gateway-1 p50): $((n50 - g50)) us"
  echo "- whole cluster path over the monolith (nginx p50 - monolith p50): $((n50 - m50)) us;" \
    "without TLS (gateway-1 p50 - monolith p50): $((g50 - m50)) us"
  echo
  echo "## Checkouts (\`wrk -t$THREADS -c$CHECKOUT_CONNECTIONS -d${CHECKOUT_DURATION}s\`, card payments through the sandbox)"
  echo
  echo "| path | orders/s | p50 ms | p99 ms | errors | confirmed orders | orders/s ÷ cores | CPU us/order app + backing | orders/s per busy core |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  for t in monolith gateway; do
    r="$work/checkout-$t"
    rps="$(col "$r" 1)" app="$(col "$r" 6)" back="$(col "$r" 7)"
    echo "| ${PATH_NAME[$t]} | $(f0 "$rps") | $(f2 "$(col "$r" 2)") | $(f2 "$(col "$r" 3)") | $(sum_col "$r" 4) |" \
      "${CONFIRMED[$t]} | $(f0 "$(ratio "$rps" "$CORES")") | $(f0 "$app") + $(f0 "$back") | $(per_busy_core "$app" "$back") |"
  done
  echo
  echo "Each checkout: its own cart of 1-3 lines, priced, stock reserved, card charged over HTTP, confirmed;"
  echo "$CARTS carts per topology (bench/py/checkout_setup.py); events drained before each run."
  echo "PostgreSQL connections open at the end (both topologies): $PG_CONNECTIONS of 200."
  echo
  read -ra wl <<<"$WORKLOADS"
  bw="${wl[0]}"
  [[ " $WORKLOADS " != *" mix "* ]] || bw=mix
  sets=("runs-$bw-monolith" "runs-$bw-gateway" "runs-$bw-nginx" checkout-monolith checkout-gateway)
  echo "## Server CPU by process, us per request (all runs)"
  echo
  echo "| process | $bw: monolith | $bw: via gateway-1 | $bw: via nginx | checkout: monolith | checkout: via gateway-1 |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: |"
  for k in monolith "${CLUSTER_KINDS[@]}" "${BACKING_KINDS[@]}" all; do
    row="| $k"
    for set in "${sets[@]}"; do
      if [[ "$k" == all ]]; then
        row+=" | **$(f0 "$(us_per_request "$work/$set.cpu" monolith "${CLUSTER_KINDS[@]}" "${BACKING_KINDS[@]}")")**"
      else
        row+=" | $(f0 "$(us_per_request "$work/$set.cpu" "$k")")"
      fi
    done
    echo "$row |"
  done
  echo
  echo "Both topologies publish an activity event per product view and search to RabbitMQ's"
  echo "activity stream (AMQP is configured): the rabbitmq row. Idle processes still count (a few ms)."
  echo
  echo "## Commands"
  echo
  echo '```sh'
  echo "BENCH_PRODUCTS=$PRODUCTS BENCH_DURATION=$DURATION BENCH_RUNS=$RUNS bash bench/topology.sh"
  echo "# cluster (ports chosen free from $PORT_BASE):"
  echo "EMPORIUM_CLUSTER_DIR=<tmp>/cluster EMPORIUM_CLUSTER_HTTPS_PORT=$HTTPS_PORT EMPORIUM_CLUSTER_GATEWAY_PORT=$GATEWAY_PORT \\"
  echo "  EMPORIUM_CLUSTER_SERVICE_PORT=$SERVICE_PORT EMPORIUM_CLUSTER_SANDBOX_PORT=$SANDBOX_PORT \\"
  echo "  EMPORIUM_CLUSTER_HTTP_PORT=$HTTP_PORT EMPORIUM_CLUSTER_PROMETHEUS_PORT=$PROMETHEUS_PORT \\"
  echo "  EMPORIUM_RATE_LIMITS=off EMPORIUM_ACCESS_LOG=off EMPORIUM_LOG_LEVEL=warn scripts/cluster up"
  echo "env \$(scripts/cluster env) emporium seed --products $PRODUCTS --seed 1"
  echo "# monolith:"
  echo "env EMPORIUM_POSTGRES_URL=$PG_BASE/benchmono EMPORIUM_POSTGRES_POOL_SIZE=$MONO_POOL \\"
  echo "  EMPORIUM_REDIS_URL=${REDIS_URL%/*}/1 EMPORIUM_EVENTS_AMQP_PREFIX=benchmono. (AMQP, SMTP, sandbox: the cluster's) \\"
  echo "  EMPORIUM_RATE_LIMITS=off EMPORIUM_ACCESS_LOG=off EMPORIUM_LOG_LEVEL=warn emporium serve --listen 127.0.0.1:$MONO_PORT"
  echo "# browsing, per workload and path (monolith :$MONO_PORT, gateway-1 ${GW_URL##*:}, nginx https :$HTTPS_PORT):"
  echo "BENCH_PATHS=<workload>-paths ${WRK[*]} <url>"
  echo "# hops (catalog-1 ${CAT_URL##*:}):"
  echo "${HOP_WRK[*]} <url>$HOP_PATH"
  echo "# checkouts:"
  echo "BENCH_CARTS=carts.tsv BENCH_WRK_THREADS=$THREADS wrk -t$THREADS -c$CHECKOUT_CONNECTIONS -d${CHECKOUT_DURATION}s --latency -s bench/lua/checkout.lua <url>"
  echo '```'
} | tee "$out"
log "wrote $out"
