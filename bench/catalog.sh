#!/usr/bin/env bash
# Catalog benchmark: browsing and search against nginx serving the same bytes,
# and how search latency grows with the catalog.
#
#   bench/catalog.sh
#
# 1. Seeds a catalog of BENCH_PRODUCTS products (kept under BENCH_DATA and
#    reused by later runs), starts Emporium on it, and records three
#    workloads: product detail with ids drawn Zipf(1.0), one category
#    listing page, and 200 searches. nginx then serves every one of those
#    response bodies as static files, and wrk replays the same request
#    sequence against both, alternating, BENCH_RUNS times (medians).
# 2. For each size in BENCH_SEARCH_SIZES, seeds (or reuses) a catalog of that
#    size and measures searches with the cache turned off
#    (EMPORIUM_CACHE_MAX_BYTES=0), at BENCH_COLD_CONNECTIONS connections: the
#    cost of search, ranking and facets in the database, and how it grows.
#
# Settings (environment):
#   BENCH_PRODUCTS=100000          catalog size for part 1
#   BENCH_SEARCH_SIZES="10000 100000 1000000"
#   BENCH_POSTGRES_URL             set: PostgreSQL (databases bench<N>_*), else SQLite
#   BENCH_DATA=/tmp/emporium-bench-catalogs   seeded catalogs, reused across runs
#   BENCH_DURATION=10 BENCH_RUNS=3 BENCH_THREADS=2 BENCH_CONNECTIONS=64
#   BENCH_COLD_CONNECTIONS=4       part 2 concurrency (latency, not throughput)
#   BENCH_SKIP_CURVE=1             only part 1
#   BENCH_SKIP_BROWSE=1            only part 2
#   EMPORIUM_BIN                   default build/release/src/app/emporium
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

PRODUCTS="${BENCH_PRODUCTS:-100000}"
SEARCH_SIZES="${BENCH_SEARCH_SIZES:-10000 100000 1000000}"
PG_URL="${BENCH_POSTGRES_URL:-}"
DATA="${BENCH_DATA:-/tmp/emporium-bench-catalogs}"
DURATION="${BENCH_DURATION:-10}"
RUNS="${BENCH_RUNS:-3}"
THREADS="${BENCH_THREADS:-2}"
CONNECTIONS="${BENCH_CONNECTIONS:-64}"
COLD_CONNECTIONS="${BENCH_COLD_CONNECTIONS:-4}"
BIN="${EMPORIUM_BIN:-build/release/src/app/emporium}"
BACKEND=sqlite
[[ -z "$PG_URL" ]] || BACKEND=postgresql

for tool in wrk curl nginx ss python3; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found (run scripts/install-deps.sh)"
done
[[ -x "$BIN" ]] || bash scripts/build.sh release

work="$(mktemp -d /tmp/emporium-bench-catalog.XXXXXX)"
chmod 755 "$work"
mkdir -p "$DATA"
pids=()
cleanup() {
  local status=$? pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [[ $status -ne 0 || "${BENCH_KEEP:-0}" == 1 ]] && log "kept $work" || rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT

# catalog_env N: the environment that points emporium at the catalog of N products.
catalog_env() {
  local n="$1"
  if [[ -n "$PG_URL" ]]; then
    echo "EMPORIUM_POSTGRES_URL=${PG_URL%/*}/bench$n"
  else
    echo "EMPORIUM_DATA_DIR=$DATA/sqlite-$n"
  fi
}

# seed N: a catalog of N products, seeded once and reused.
seed() {
  local n="$1"
  local marker="$DATA/$BACKEND-$n.seeded" started=$SECONDS
  [[ -f "$marker" ]] && return
  log "seeding $n products ($BACKEND); kept for later runs"
  [[ -n "$PG_URL" ]] || rm -rf "$DATA/sqlite-$n"
  env "$(catalog_env "$n")" "$BIN" seed --products "$n" --seed 1 >&2
  echo "$((SECONDS - started))" >"$marker"
}

# serve N PORT [ENV...]: emporium on the catalog of N products.
serve() {
  local n="$1" port="$2"
  local log_file="$work/emporium-$n.log"
  env "$(catalog_env "$n")" "${@:3}" EMPORIUM_RATE_LIMITS=off EMPORIUM_ACCESS_LOG=off \
    EMPORIUM_LOG_LEVEL=warn "$BIN" serve --listen "127.0.0.1:$port" >"$log_file" 2>&1 </dev/null &
  pids+=($!)
  EMPORIUM_PID=$!
  wait_http emporium "http://127.0.0.1:$port/healthz" "$!" "$log_file"
}

stop_emporium() {
  kill -TERM "$EMPORIUM_PID" 2>/dev/null || true
  wait "$EMPORIUM_PID" 2>/dev/null || true
}

WRK=(wrk "-t$THREADS" "-c$CONNECTIONS" "-d${DURATION}s" --latency -s bench/lua/paths.lua)

# run_wrk URL PATHS OUT LABEL
run_wrk() {
  local raw="$work/wrk.out" parsed rps p50 p99 bad
  BENCH_PATHS="$2" "${WRK[@]}" "$1" >"$raw" 2>&1 || {
    cat "$raw" >&2
    die "wrk failed against $1"
  }
  parsed="$(parse_wrk "$raw")" || die "could not parse wrk output"
  echo "$parsed" >>"$3"
  read -r rps p50 p99 bad <<<"$parsed"
  ((bad == 0)) || log "warning: $4: $bad non-2xx/3xx responses or socket errors"
  log "  $(printf '%-9s %10.0f req/s  p50 %7.3f ms  p99 %7.3f ms' "$4" "$rps" "$p50" "$p99")"
}

# warm N: reads the catalog's SQLite files once, so the first measured
# requests do not pay for disk reads a running shop would not (PostgreSQL:
# the warm-up requests do that).
warm() {
  [[ -n "$PG_URL" ]] || cat "$DATA/sqlite-$1"/*.db >/dev/null
}

# --- part 1: browsing beside nginx ---------------------------------------------
pick_port 18280 E_PORT
pick_port 18380 N_PORT
rows=()
if [[ "${BENCH_SKIP_BROWSE:-0}" != 1 ]]; then
seed "$PRODUCTS"
warm "$PRODUCTS"
serve "$PRODUCTS" "$E_PORT"
log "recording the workload from emporium"
python3 bench/py/catalog_workload.py "http://127.0.0.1:$E_PORT" "$work" "$PRODUCTS"

mkdir -p "$work/nginx/tmp"
cat >"$work/nginx/nginx.conf" <<NGINX
worker_processes auto;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000;
  keepalive_timeout 75s;
  sendfile on;
  open_file_cache max=100000 inactive=60s;
  open_file_cache_valid 60s;
  tcp_nopush on;
  tcp_nodelay on;
  server_tokens off;
  client_body_temp_path $work/nginx/tmp/body;
  proxy_temp_path $work/nginx/tmp/proxy;
  fastcgi_temp_path $work/nginx/tmp/fastcgi;
  uwsgi_temp_path $work/nginx/tmp/uwsgi;
  scgi_temp_path $work/nginx/tmp/scgi;
  default_type application/json;
  map \$request_uri \$bench_file {
    default \$uri;
$(cat "$work/nginx-map")
  }
  server {
    listen 127.0.0.1:$N_PORT;
    root $work/html;
    location / { try_files \$bench_file =404; }
  }
}
NGINX
chmod -R a+rX "$work"
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" >/dev/null 2>&1 </dev/null &
pids+=($!)
wait_http nginx "http://127.0.0.1:$N_PORT$(head -1 "$work/listing-paths")" "$!" "$work/nginx/error.log"

for workload in product listing search; do
  paths="$work/$workload-paths"
  log "$workload ($(sort -u "$paths" | wc -l) distinct URLs)"
  # Warm-up: the first pass fills Emporium's caches (as production traffic would).
  BENCH_PATHS="$paths" wrk -t"$THREADS" -c"$CONNECTIONS" -d2s -s bench/lua/paths.lua \
    "http://127.0.0.1:$E_PORT" >/dev/null 2>&1 || true
  : >"$work/e.runs" && : >"$work/n.runs"
  for _ in $(seq "$RUNS"); do
    run_wrk "http://127.0.0.1:$E_PORT" "$paths" "$work/e.runs" emporium
    run_wrk "http://127.0.0.1:$N_PORT" "$paths" "$work/n.runs" nginx
  done
  # shellcheck disable=SC2046
  rows+=("$workload|$(median $(cut -d' ' -f1 "$work/e.runs"))|$(median $(cut -d' ' -f2 "$work/e.runs"))|$(median $(cut -d' ' -f3 "$work/e.runs"))|$(median $(cut -d' ' -f1 "$work/n.runs"))|$(median $(cut -d' ' -f2 "$work/n.runs"))|$(median $(cut -d' ' -f3 "$work/n.runs"))")
done
stop_emporium
fi

# --- part 2: cold search as the catalog grows -----------------------------------
curve=()
if [[ "${BENCH_SKIP_CURVE:-0}" != 1 ]]; then
  if [[ -f "$work/search-words" ]]; then
    cp "$work/search-words" "$work/cold-words"
  else
    # Without part 1: words from the titles of the smallest catalog.
    n="${SEARCH_SIZES%% *}"
    seed "$n"
    serve "$n" "$E_PORT"
    curl -fsS "http://127.0.0.1:$E_PORT/api/v1/products?limit=100" |
      python3 -c 'import json, sys
words = {w for item in json.load(sys.stdin)["items"] for w in item["title"].lower().split() if w.isalpha() and len(w) >= 4}
print("\n".join(sorted(words)))' >"$work/cold-words"
    stop_emporium
  fi
  for n in $SEARCH_SIZES; do
    seed "$n"
    warm "$n"
    # No cache at all: every request pays for search, ranking and facets.
    serve "$n" "$E_PORT" EMPORIUM_CACHE_MAX_BYTES=0
    log "cold search at $n products"
    BENCH_WORDS="$work/cold-words" wrk -t1 -c"$COLD_CONNECTIONS" -d5s -s bench/lua/cold_search.lua \
      "http://127.0.0.1:$E_PORT" >/dev/null 2>&1 || true
    : >"$work/c.runs"
    for _ in $(seq "$RUNS"); do
      BENCH_WORDS="$work/cold-words" wrk -t1 -c"$COLD_CONNECTIONS" -d"${DURATION}s" --latency \
        -s bench/lua/cold_search.lua "http://127.0.0.1:$E_PORT" >"$work/wrk.out" 2>&1
      parse_wrk "$work/wrk.out" >>"$work/c.runs"
      log "  $(tail -1 "$work/c.runs")"
    done
    # shellcheck disable=SC2046
    curve+=("$n|$(median $(cut -d' ' -f1 "$work/c.runs"))|$(median $(cut -d' ' -f2 "$work/c.runs"))|$(median $(cut -d' ' -f3 "$work/c.runs"))|$(cat "$DATA/$BACKEND-$n.seeded")")
    stop_emporium
  done
fi

# --- report ---------------------------------------------------------------------
mkdir -p bench/results
out="bench/results/$(date -u +%Y-%m-%d-%H%M%S)-catalog-$BACKEND.md"
commit="$(git rev-parse --short HEAD 2>/dev/null || echo none)"
git diff --quiet HEAD 2>/dev/null || commit="$commit (with uncommitted changes)"
{
  echo "# Catalog bench ($BACKEND)"
  echo
  echo "- commit: $commit; machine: $(nproc) cores; client and servers share them"
  echo "- load: \`${WRK[*]} URL\` replaying the same request sequence on both servers; $RUNS runs each, alternating, medians"
  echo
  if ((${#rows[@]})); then
  echo "Browsing, $PRODUCTS products, caches on:"
  echo
  echo "| workload | emporium req/s | p50 ms | p99 ms | nginx req/s | p50 ms | p99 ms | ratio |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  fi
  for row in "${rows[@]}"; do
    IFS='|' read -r name er e5 e9 nr n5 n9 <<<"$row"
    printf '| %s | %.0f | %.2f | %.2f | %.0f | %.2f | %.2f | %.2f |\n' "$name" "$er" "$e5" "$e9" "$nr" "$n5" "$n9" \
      "$(awk -v a="$er" -v b="$nr" 'BEGIN { print (b > 0 ? a / b : 0) }')"
  done
  if ((${#curve[@]})); then
    echo
    echo "Cold search (cache off: search, ranking and facets in the database every time), \`wrk -t1 -c$COLD_CONNECTIONS\`:"
    echo
    echo "| products | req/s | p50 ms | p99 ms | p99 vs smallest | seed time s |"
    echo "| ---: | ---: | ---: | ---: | ---: | ---: |"
    base=""
    for row in "${curve[@]}"; do
      IFS='|' read -r n r p5 p9 seeded <<<"$row"
      [[ -n "$base" ]] || base="$p9"
      printf '| %s | %.0f | %.2f | %.2f | %.2fx | %s |\n' "$n" "$r" "$p5" "$p9" \
        "$(awk -v a="$p9" -v b="$base" 'BEGIN { print (b > 0 ? a / b : 0) }')" "$seeded"
    done
  fi
  if ((${#rows[@]})); then
    echo
    echo "Workload: product ids Zipf(1.0) over all $PRODUCTS products (20,000 draws, $(sort -u "$work/product-paths" | wc -l) distinct);"
    echo "listing \`$(cat "$work/listing-paths")\`; 200 searches \`?q=<word from a product title>\`."
  fi
} | tee "$out"
echo "results: $out"
